/*
 * test_ext2 — host unit tests (Check) for pvguest/fs/ext2.c, the read-only ext2 reader of
 * issue 12.
 *
 * main() builds a directory tree of deterministic pseudo-random files under a temporary
 * directory (nested directories, an empty file, names with spaces, a file needing
 * double-indirect blocks at 1 KiB, a sparse 70 MiB file whose last bytes need the
 * triple-indirect block at 1 KiB, a 600-entry directory, fast, slow, dangling, looping and
 * chained symlinks) and turns it into ext2 images with `mke2fs -d`: revisions 0 and 1, block
 * sizes 1, 2 and 4 KiB, flex_bg/uninit_bg, metadata_csum and a clean ext3 journal. The images
 * are read through a device callback over an in-memory copy that asserts the reader's
 * contract (whole 512-byte sectors, aligned buffers, within the device).
 *
 * The tree tests compare every file, directory listing, symlink and inode with the host's.
 * The corruption tests edit real images in memory (superblock fields, feature bits, group
 * descriptors, directory entries, block pointers, indirect loops, sizes) and expect the
 * documented error; a failing device and random corruption must give errors, never a crash
 * or a hang (Check's fork mode and timeout catch both; the build adds ASan and UBSan).
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pvguest/ext2.h>

/*
 * Check's ck_assert*() records the location of every passing assertion too (a message to the
 * runner each time, which it unpacks at quadratic cost): the hot paths (the device callback,
 * the comparison loops) use this one, which only reports failures.
 */
#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (!(expr))                                                                               \
            ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #expr);                          \
    } while (0)
#define CHECK_MSG(expr, ...)                                                                       \
    do {                                                                                           \
        if (!(expr))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)

/* ---- the images --------------------------------------------------------------------- */

enum {
    IMG_1K,
    IMG_2K,
    IMG_4K,
    IMG_1K_REV0,
    IMG_4K_REV0,
    IMG_FLEX,
    IMG_CSUM,
    IMG_EXT3,
    IMG_EXT4,
    IMG_TIND_1K, /* these three hold only the 4 GiB sparse file of make_tind_tree() */
    IMG_TIND_2K,
    IMG_TIND_4K,
    NR_IMAGES
};
#define NR_TREE_IMAGES IMG_EXT4 /* images holding the tree in a form the reader accepts */

struct image {
    const char *name;
    const char *args; /* mke2fs options besides -q -F -d */
    bool tind;        /* made from tinddir, not treedir */
    uint8_t *data;
    size_t size;
};

/* Small images (every test's child process inherits them), with several block groups. */
static struct image images[NR_IMAGES] = {
    [IMG_1K] = {"1k-rev1", "-t ext2 -b 1024 -g 1024 -r 1 -L micatest"},
    [IMG_2K] = {"2k-rev1", "-t ext2 -b 2048 -g 1024 -r 1"},
    [IMG_4K] = {"4k-rev1", "-t ext2 -b 4096 -g 512 -r 1"},
    [IMG_1K_REV0] = {"1k-rev0", "-t ext2 -b 1024 -g 1024 -r 0"},
    [IMG_4K_REV0] = {"4k-rev0", "-t ext2 -b 4096 -g 512 -r 0"},
    [IMG_FLEX] = {"1k-flex", "-t ext2 -b 1024 -g 1024 -O flex_bg,huge_file,dir_nlink,"
                             "extra_isize,uninit_bg"},
    [IMG_CSUM] = {"2k-csum", "-t ext2 -b 2048 -O metadata_csum"},
    [IMG_EXT3] = {"4k-ext3", "-t ext3 -b 4096 -J size=1"},
    [IMG_EXT4] = {"4k-ext4", "-t ext4 -b 4096 -J size=1"},
    [IMG_TIND_1K] = {"1k-tind", "-t ext2 -b 1024", true},
    [IMG_TIND_2K] = {"2k-tind", "-t ext2 -b 2048", true},
    [IMG_TIND_4K] = {"4k-tind", "-t ext2 -b 4096", true},
};

#define IMAGE_SIZE "4M"
static char tmpdir[256], treedir[300], tinddir[300];
static const char slow_target[] = "dir1/./././././././././././././././././././././././././././././"
                                  "./././././dir2/dir3/deep.bin";

/* xorshift64: deterministic "random" contents. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void put_file(const char *rel, size_t size)
{
    char path[600];
    FILE *f;
    size_t i;

    snprintf(path, sizeof(path), "%s/%s", treedir, rel);
    f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    for (i = 0; i < size; i++)
        fputc((int)(rnd() & 0xff), f);
    fclose(f);
}

static void put_dir(const char *rel)
{
    char path[600];

    snprintf(path, sizeof(path), "%s/%s", treedir, rel);
    if (mkdir(path, 0755)) {
        perror(path);
        exit(2);
    }
}

static void put_link(const char *target, const char *rel)
{
    char path[600];

    snprintf(path, sizeof(path), "%s/%s", treedir, rel);
    if (symlink(target, path)) {
        perror(path);
        exit(2);
    }
}

/* A sparse file of 70 MiB with data at a few offsets: the last piece lies beyond
 * 12 + 256 + 256^2 blocks, in the triple-indirect range at 1 KiB blocks. */
static void put_sparse(const char *rel)
{
    static const uint64_t at[] = {0, 40000, 5u << 20, 68u << 20, (70u << 20) - 100};
    char path[600], buf[100];
    unsigned int i, j;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", treedir, rel);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    if (fd < 0 || ftruncate(fd, 70u << 20)) {
        perror(path);
        exit(2);
    }
    for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        for (j = 0; j < sizeof(buf); j++)
            buf[j] = (char)(rnd() | 1);
        if (pwrite(fd, buf, sizeof(buf), (off_t)at[i]) != (ssize_t)sizeof(buf)) {
            perror(path);
            exit(2);
        }
    }
    close(fd);
}

static void make_tree(void)
{
    char name[300], target[32];
    unsigned int i;

    snprintf(treedir, sizeof(treedir), "%s/tree", tmpdir);
    put_dir("");
    put_file("empty", 0);
    put_file("small.txt", 100);
    put_file("name with spaces.txt", 777);
    put_dir("dir1");
    put_dir("dir1/dir2");
    put_dir("dir1/dir2/dir3");
    put_dir("dir1/empty dir");
    put_file("dir1/dir2/dir3/deep.bin", 5000);
    put_file("dind.bin", 300 * 1024 + 17); /* > 12 + 256 blocks of 1 KiB */
    put_file("big.bin", 1 << 20);
    put_sparse("sparse.bin");
    chmod(treedir, 0755);
    put_dir("bigdir");
    for (i = 0; i < 600; i++) {
        size_t len = (size_t)snprintf(name, sizeof(name), "bigdir/entry %u ", i);

        /* Names from 10 up to 255 bytes, so entries have every length. */
        memset(name + len, 'a' + (int)(i % 26), (i * 7) % 246);
        name[len + (i * 7) % 246] = '\0';
        put_file(name, i % 3 == 0 ? i : 0);
    }
    put_link("small.txt", "fastlink");
    put_link(slow_target, "slowlink"); /* > 60 bytes: stored in a block */
    put_link("loop2", "loop1");
    put_link("loop1", "loop2");
    put_link("self", "self");
    put_link("/dir1/dir2", "abslink");
    put_link("dir1/dir2", "dirlink");
    put_link("nonexistent", "dangling");
    put_link("../../small.txt", "dir1/dir2/up");
    /* chain0 -> chain1 -> ... -> chain8 -> small.txt: 9 links from chain0, 8 from chain1. */
    for (i = 0; i < 9; i++) {
        if (i < 8)
            snprintf(target, sizeof(target), "chain%u", i + 1);
        else
            snprintf(target, sizeof(target), "small.txt");
        snprintf(name, sizeof(name), "chain%u", i);
        put_link(target, name);
    }
}

/* Images live in mappings, not on the heap: LeakSanitizer, run at the end of every test's
 * child process, then does not scan them (a third of the suite's time otherwise). */
static void *map_anon(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

/* Pieces of data in tind.bin, a sparse file of 4 GiB + 9 MiB: the last ones lie in the
 * triple-indirect range at every block size (from block 12 + 1024 + 1024^2 at 4 KiB). */
#define TIND_SIZE ((4ull << 30) + (9u << 20))
static const uint64_t tind_at[] = {0,
                                   100000,
                                   (2ull << 30) - 50,
                                   (4ull << 30) + (4u << 20) + 4096,
                                   (4ull << 30) + (8u << 20),
                                   TIND_SIZE - 100};

static void make_tind_tree(void)
{
    char path[400], buf[100];
    unsigned int i, j;
    int fd;

    snprintf(tinddir, sizeof(tinddir), "%s/tind", tmpdir);
    snprintf(path, sizeof(path), "%s/tind.bin", tinddir);
    if (mkdir(tinddir, 0755) || (fd = open(path, O_WRONLY | O_CREAT, 0644)) < 0 ||
        ftruncate(fd, (off_t)TIND_SIZE)) {
        perror(path);
        exit(2);
    }
    for (i = 0; i < sizeof(tind_at) / sizeof(tind_at[0]); i++) {
        for (j = 0; j < sizeof(buf); j++)
            buf[j] = (char)(rnd() | 1);
        if (pwrite(fd, buf, sizeof(buf), (off_t)tind_at[i]) != (ssize_t)sizeof(buf)) {
            perror(path);
            exit(2);
        }
    }
    close(fd);
}

static void load_image(struct image *im, const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat st;

    if (fd < 0 || fstat(fd, &st) || st.st_size <= 0 || !(im->data = map_anon((size_t)st.st_size)) ||
        pread(fd, im->data, (size_t)st.st_size, 0) != st.st_size) {
        perror(path);
        exit(2);
    }
    im->size = (size_t)st.st_size;
    close(fd);
}

static void make_images(void)
{
    char cmd[2048], img[400];
    unsigned int i;

    for (i = 0; i < NR_IMAGES; i++) {
        snprintf(img, sizeof(img), "%s/%s.img", tmpdir, images[i].name);
        snprintf(cmd, sizeof(cmd),
                 "PATH=\"$PATH:/sbin:/usr/sbin\" mke2fs -q -F %s -d '%s' '%s' " IMAGE_SIZE
                 " >/dev/null 2>&1",
                 images[i].args, images[i].tind ? tinddir : treedir, img);
        if (system(cmd) != 0) {
            fprintf(stderr, "test_ext2: failed: %s\n", cmd);
            exit(2);
        }
        load_image(&images[i], img);
        unlink(img);
    }
}

/* ---- the device --------------------------------------------------------------------- */

struct dev {
    uint8_t *data;
    uint64_t size;       /* what the reader is told */
    uint64_t stored;     /* bytes in data */
    long reads, fail_at; /* fail_at: the read index from which on reads fail (-1: never) */
    /* Run during every third read, as another guest thread would while blkfront waits. */
    void (*hook)(struct dev *d);
    struct ext2_fs *fs;
    int depth;
};

/* The reader's contract: whole sectors, aligned buffers, within the device. */
static int dev_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct dev *d = ctx;

    CHECK(off % 512 == 0);
    CHECK(len % 512 == 0);
    CHECK((uintptr_t)buf % 512 == 0);
    CHECK(len > 0);
    CHECK(off <= d->size && len <= d->size - off);
    CHECK(off + len <= d->stored);
    if (d->fail_at >= 0 && d->reads >= d->fail_at) {
        d->reads++;
        return -EIO;
    }
    d->reads++;
    memcpy(buf, d->data + off, len);
    if (d->hook && d->depth == 0 && d->reads % 3 == 0) {
        /* The data is in place before the other thread runs: whatever it writes into a
         * buffer still in use shows. */
        d->depth++;
        d->hook(d);
        d->depth--;
    }
    return 0;
}

/* A private copy of image @i (to edit before mounting). */
static struct dev *dev_new(int i)
{
    struct dev *d = calloc(1, sizeof(*d));

    ck_assert_ptr_nonnull(d);
    d->data = map_anon(images[i].size);
    ck_assert_ptr_nonnull(d->data);
    memcpy(d->data, images[i].data, images[i].size);
    d->size = d->stored = images[i].size;
    d->fail_at = -1;
    return d;
}

static void dev_free(struct dev *d)
{
    munmap(d->data, d->stored);
    free(d);
}

static char why[256];

static struct ext2_fs *mount_ok(struct dev *d)
{
    struct ext2_fs *fs = NULL;
    int err = ext2_mount(dev_read, d, d->size, &fs, why, sizeof(why));

    ck_assert_msg(err == 0, "mount: %d (%s): %s", err, ext2_strerror(err), why);
    ck_assert_ptr_nonnull(fs);
    return fs;
}

/* Mount must fail with @err and a reason containing @what. */
static void mount_fails(struct dev *d, int err, const char *what)
{
    struct ext2_fs *fs = (struct ext2_fs *)1;
    int got = ext2_mount(dev_read, d, d->size, &fs, why, sizeof(why));

    ck_assert_msg(got == err, "mount gave %d (%s), not %d; why: %s", got, ext2_strerror(got), err,
                  why);
    ck_assert_ptr_null(fs);
    ck_assert_msg(strstr(why, what), "reason \"%s\" lacks \"%s\"", why, what);
}

/* ---- raw access to an image, for the corruption tests ------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint8_t *sb_of(struct dev *d)
{
    return d->data + 1024;
}

static uint32_t bs_of(struct dev *d)
{
    return 1024u << rd32(sb_of(d) + 24);
}

static uint8_t *block_of(struct dev *d, uint32_t blk)
{
    ck_assert_uint_lt((uint64_t)blk * bs_of(d), d->stored);
    return d->data + (size_t)blk * bs_of(d);
}

/* The group descriptor of group @g. */
static uint8_t *gd_of(struct dev *d, uint32_t g)
{
    uint8_t *sb = sb_of(d);

    return block_of(d, rd32(sb + 20) + 1) + 32 * g;
}

static uint8_t *inode_of(struct dev *d, uint32_t ino)
{
    uint8_t *sb = sb_of(d);
    uint32_t ipg = rd32(sb + 40), isz = rd32(sb + 76) ? (sb[88] | sb[89] << 8) : 128;
    uint32_t it = rd32(gd_of(d, (ino - 1) / ipg) + 8);

    return block_of(d, it) + (size_t)((ino - 1) % ipg) * isz;
}

/* The inode number of @path in image @d (through the reader, which the tree tests check). */
static uint32_t ino_of(struct dev *d, const char *path)
{
    struct ext2_fs *fs = mount_ok(d);
    uint32_t ino = 0;

    ck_assert_int_eq(ext2_lookup(fs, path, false, &ino), 0);
    ext2_unmount(fs);
    return ino;
}

/* ---- comparing the image with the host tree ------------------------------------------ */

struct entry {
    char *name;
    uint32_t ino;
    uint8_t type;
};

struct listing {
    struct entry *e;
    size_t n, cap;
};

static int list_cb(void *arg, const struct ext2_dirent *de)
{
    struct listing *l = arg;

    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->e = realloc(l->e, l->cap * sizeof(*l->e));
        ck_assert_ptr_nonnull(l->e);
    }
    l->e[l->n].name = strdup(de->name);
    l->e[l->n].ino = de->ino;
    l->e[l->n].type = de->file_type;
    l->n++;
    return 0;
}

static int nop_cb(void *arg, const struct ext2_dirent *de)
{
    (void)arg;
    (void)de;
    return 0;
}

static int count_cb(void *arg, const struct ext2_dirent *de)
{
    (void)de;
    ++*(int *)arg;
    return 0;
}

static void listing_free(struct listing *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->e[i].name);
    free(l->e);
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint8_t expected_type(mode_t m)
{
    return S_ISREG(m) ? 1 : S_ISDIR(m) ? 2 : S_ISLNK(m) ? 7 : 0;
}

/* File @ino's bytes against the host's @host: one pass of large reads into an aligned buffer
 * (asking for more than is left at the end); for files of at most one chunk also a pass of
 * odd-sized reads into an unaligned buffer and random small reads. */
static void compare_file(struct ext2_fs *fs, uint32_t ino, const char *host, uint64_t size)
{
    const size_t chunk = size < (1u << 20) ? (size_t)size + 1 : 1u << 20;
    uint8_t *want = malloc(chunk), *got = memalign(4096, chunk + 64);
    uint64_t off;
    ssize_t n;
    int fd = open(host, O_RDONLY);
    unsigned int i;

    CHECK(fd >= 0);
    CHECK(want && got);
    for (off = 0; off < size; off += chunk) {
        size_t len = size - off < chunk ? (size_t)(size - off) : chunk;

        CHECK(pread(fd, want, len, (off_t)off) == (ssize_t)len);
        n = ext2_read(fs, ino, off, got, chunk);
        CHECK(n == (ssize_t)len);
        CHECK_MSG(memcmp(want, got, len) == 0, "%s differs in [%llu, +%zu)", host,
                  (unsigned long long)off, len);
    }
    close(fd);
    CHECK(ext2_read(fs, ino, size, got, 10) == 0);
    CHECK(ext2_read(fs, ino, size + 12345, got, 10) == 0);
    if (size <= chunk) { /* want holds the whole file */
        for (off = 0; off < size; off += (uint64_t)n) {
            size_t len = 1000 + (size_t)(off % 3001);
            size_t left = size - off < len ? (size_t)(size - off) : len;

            n = ext2_read(fs, ino, off, got + 3, len);
            CHECK(n == (ssize_t)left);
            CHECK(memcmp(want + off, got + 3, left) == 0);
        }
        for (i = 0; size && i < 40; i++) {
            size_t len = (size_t)(rnd() % 9000) + 1;
            uint64_t at = rnd() % size;
            size_t left = size - at < len ? (size_t)(size - at) : len;

            CHECK(ext2_read(fs, ino, at, got + 1, len) == (ssize_t)left);
            CHECK(memcmp(want + at, got + 1, left) == 0);
        }
    }
    free(want);
    free(got);
}

/* Inode @ino, @path in the image, against @host; the caller checked that @path leads to
 * @ino. */
static void compare_tree(struct ext2_fs *fs, bool filetype, const char *host, const char *path,
                         uint32_t ino)
{
    struct ext2_stat st;
    struct stat hs;
    bool root = strcmp(path, "/") == 0;

    CHECK(lstat(host, &hs) == 0);
    CHECK(ext2_stat(fs, ino, &st) == 0);
    CHECK(st.ino == ino);
    CHECK_MSG(st.mode == (hs.st_mode & 0xffff), "%s: mode %o, host %o", path, st.mode, hs.st_mode);
    CHECK(st.uid == hs.st_uid);
    CHECK(st.gid == hs.st_gid);
    if (!root) { /* mke2fs made the image's root, which also holds lost+found */
        CHECK(st.mtime == (uint32_t)hs.st_mtime);
        CHECK_MSG(st.links == hs.st_nlink, "%s: %u links, host %u", path, st.links,
                  (unsigned int)hs.st_nlink);
    }
    if (S_ISREG(hs.st_mode)) {
        CHECK(st.size == (uint64_t)hs.st_size);
        compare_file(fs, ino, host, st.size);
    } else if (S_ISLNK(hs.st_mode)) {
        char want[4096], got[4096];
        ssize_t n = readlink(host, want, sizeof(want) - 1);

        CHECK(n > 0);
        want[n] = '\0';
        CHECK(st.size == (uint64_t)n);
        CHECK(ext2_readlink(fs, ino, got, sizeof(got)) == (int)n);
        CHECK(strcmp(got, want) == 0);
    } else if (S_ISDIR(hs.st_mode)) {
        struct listing l = {0};
        char **names = NULL, sub_host[1024], sub_path[1024];
        size_t nn = 0, i;
        uint32_t sub_ino;
        struct dirent *e;
        DIR *dir = opendir(host);

        CHECK(dir);
        while ((e = readdir(dir))) {
            names = realloc(names, (nn + 2) * sizeof(*names));
            names[nn++] = strdup(e->d_name);
        }
        closedir(dir);
        if (root)
            names[nn++] = strdup("lost+found");
        qsort(names, nn, sizeof(*names), cmp_str);
        CHECK(ext2_readdir(fs, ino, list_cb, &l) == 0);
        qsort(l.e, l.n, sizeof(*l.e), cmp_entry);
        CHECK_MSG(l.n == nn, "%s: %zu entries, host %zu", path, l.n, nn);
        for (i = 0; i < nn; i++) {
            CHECK(strcmp(l.e[i].name, names[i]) == 0);
            if (!strcmp(names[i], ".") || !strcmp(names[i], "..") ||
                (root && !strcmp(names[i], "lost+found")))
                continue;
            snprintf(sub_host, sizeof(sub_host), "%s/%s", host, names[i]);
            snprintf(sub_path, sizeof(sub_path), "%s/%s", root ? "" : path, names[i]);
            CHECK(lstat(sub_host, &hs) == 0);
            CHECK(l.e[i].type == (filetype ? expected_type(hs.st_mode) : 0));
            CHECK(ext2_lookup(fs, sub_path, false, &sub_ino) == 0);
            CHECK(l.e[i].ino == sub_ino);
            compare_tree(fs, filetype, sub_host, sub_path, sub_ino);
        }
        for (i = 0; i < nn; i++)
            free(names[i]);
        free(names);
        listing_free(&l);
    } else {
        ck_abort_msg("%s: unexpected file type", host);
    }
}

START_TEST(test_tree)
{
    struct dev *d = dev_new(_i);
    struct ext2_fs *fs = mount_ok(d);
    struct ext2_statfs sf;

    ext2_statfs(fs, &sf);
    ck_assert_uint_eq(sf.revision, rd32(sb_of(d) + 76));
    ck_assert_uint_eq(sf.block_size, bs_of(d));
    compare_tree(fs, sf.revision == 1, treedir, "/", 2);
    ext2_unmount(fs);
    dev_free(d);
}
END_TEST

/* The images really use what the tree tests claim to cover. */
START_TEST(test_image_shapes)
{
    struct dev *d = dev_new(IMG_1K), *d0 = dev_new(IMG_1K_REV0);
    uint32_t sparse = ino_of(d, "/sparse.bin"), dind = ino_of(d, "/dind.bin");
    uint32_t slow = ino_of(d, "/slowlink"), fast = ino_of(d, "/fastlink");
    struct ext2_fs *fs = mount_ok(d);
    struct ext2_stat st;
    uint32_t ino;

    ck_assert_uint_ne(rd32(inode_of(d, sparse) + 40 + 4 * 14), 0); /* triple-indirect */
    ck_assert_uint_ne(rd32(inode_of(d, dind) + 40 + 4 * 13), 0);   /* double-indirect */
    ck_assert_uint_ne(rd32(inode_of(d, slow) + 28), 0);            /* a block */
    ck_assert_uint_eq(rd32(inode_of(d, fast) + 28), 0);            /* in the inode */
    ck_assert_int_eq(ext2_lookup(fs, "/bigdir", false, &ino), 0);
    ck_assert_int_eq(ext2_stat(fs, ino, &st), 0);
    ck_assert_uint_gt(st.size, 8 * 1024); /* many blocks */
    ck_assert_uint_eq(rd32(sb_of(d0) + 76), 0);
    ck_assert_uint_eq(rd32(sb_of(d) + 76), 1);
    ext2_unmount(fs);
    dev_free(d);
    dev_free(d0);
}
END_TEST

/* Triple-indirect blocks at every block size: reads around each piece of data (and across
 * the holes between) match the host's file; the i_block[14] of the inode is in use. */
START_TEST(test_triple_indirect)
{
    struct dev *d = dev_new(IMG_TIND_1K + _i);
    uint32_t ino = ino_of(d, "/tind.bin");
    struct ext2_fs *fs = mount_ok(d);
    uint8_t *want = malloc(1 << 20), *got = malloc((1 << 20) + 1);
    char path[400];
    struct ext2_stat st;
    unsigned int i;
    int fd;

    ck_assert_uint_ne(rd32(inode_of(d, ino) + 40 + 4 * 14), 0);
    ck_assert_int_eq(ext2_stat(fs, ino, &st), 0);
    ck_assert_uint_eq(st.size, TIND_SIZE);
    snprintf(path, sizeof(path), "%s/tind.bin", tinddir);
    fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    for (i = 0; i < sizeof(tind_at) / sizeof(tind_at[0]); i++) {
        uint64_t at = tind_at[i] > 70000 ? tind_at[i] - 70000 : 0;
        size_t len = at + (1 << 20) > TIND_SIZE ? (size_t)(TIND_SIZE - at) : 1 << 20;

        ck_assert_int_eq(pread(fd, want, len, (off_t)at), (ssize_t)len);
        ck_assert_int_eq(ext2_read(fs, ino, at, got + 1, 1 << 20), (ssize_t)len);
        ck_assert_msg(memcmp(want, got + 1, len) == 0, "differs near %llu",
                      (unsigned long long)tind_at[i]);
    }
    close(fd);
    free(want);
    free(got);
    ext2_unmount(fs);
    dev_free(d);
}
END_TEST

/* ---- the API ------------------------------------------------------------------------- */

static uint32_t must_lookup(struct ext2_fs *fs, const char *path, bool follow)
{
    uint32_t ino = 0;
    int err = ext2_lookup(fs, path, follow, &ino);

    ck_assert_msg(err == 0, "lookup %s: %d", path, err);
    return ino;
}

static int lookup_err(struct ext2_fs *fs, const char *path, bool follow)
{
    uint32_t ino = 12345;
    int err = ext2_lookup(fs, path, follow, &ino);

    if (err)
        ck_assert_uint_eq(ino, 12345); /* untouched on failure */
    return err;
}

START_TEST(test_lookup)
{
    struct dev *d = dev_new(_i);
    struct ext2_fs *fs = mount_ok(d);
    uint32_t deep = must_lookup(fs, "/dir1/dir2/dir3/deep.bin", false);
    uint32_t dir2 = must_lookup(fs, "/dir1/dir2", false);
    uint32_t small = must_lookup(fs, "/small.txt", false);
    char longname[300];
    struct ext2_stat st;

    ck_assert_uint_eq(must_lookup(fs, "/", false), 2);
    ck_assert_uint_eq(must_lookup(fs, "///", true), 2);
    ck_assert_uint_eq(must_lookup(fs, "/..", false), 2);
    ck_assert_uint_eq(must_lookup(fs, "/.", false), 2);
    ck_assert_uint_eq(must_lookup(fs, "//dir1///dir2//", false), dir2);
    ck_assert_uint_eq(must_lookup(fs, "/dir1/./dir2/dir3/../../dir2/dir3/deep.bin", false), deep);
    /* Symlinks: in the middle always followed, at the end only if asked. */
    ck_assert_uint_eq(must_lookup(fs, "/dirlink/dir3/deep.bin", false), deep);
    ck_assert_uint_eq(must_lookup(fs, "/abslink/dir3/deep.bin", false), deep);
    ck_assert_uint_eq(must_lookup(fs, "/dirlink", true), dir2);
    ck_assert_uint_eq(must_lookup(fs, "/dirlink/", false), dir2);
    ck_assert_uint_ne(must_lookup(fs, "/dirlink", false), dir2);
    ck_assert_uint_eq(must_lookup(fs, "/slowlink", true), deep);
    ck_assert_uint_eq(must_lookup(fs, "/fastlink", true), small);
    ck_assert_uint_eq(must_lookup(fs, "/dir1/dir2/up", true), small);
    ck_assert_uint_eq(must_lookup(fs, "/dirlink/up", true), small);
    ck_assert_int_eq(ext2_stat(fs, must_lookup(fs, "/fastlink", false), &st), 0);
    ck_assert_uint_eq(st.mode & 0xf000, 0xa000);
    ck_assert_uint_eq(must_lookup(fs, "/chain1", true), small); /* 8 links: allowed */
    ck_assert_int_eq(lookup_err(fs, "/chain0", true), -ELOOP);  /* 9 */
    ck_assert_uint_ne(must_lookup(fs, "/chain0", false), small);
    ck_assert_int_eq(lookup_err(fs, "/loop1", true), -ELOOP);
    ck_assert_int_eq(lookup_err(fs, "/loop1/x", false), -ELOOP);
    ck_assert_int_eq(lookup_err(fs, "/self", true), -ELOOP);
    must_lookup(fs, "/loop1", false);
    ck_assert_int_eq(lookup_err(fs, "/dangling", true), -ENOENT);
    must_lookup(fs, "/dangling", false);
    /* Errors. */
    ck_assert_int_eq(lookup_err(fs, "/nope", false), -ENOENT);
    ck_assert_int_eq(lookup_err(fs, "/dir1/nope/x", false), -ENOENT);
    ck_assert_int_eq(lookup_err(fs, "/small.txt/", false), -ENOTDIR);
    ck_assert_int_eq(lookup_err(fs, "/small.txt/x", false), -ENOTDIR);
    ck_assert_int_eq(lookup_err(fs, "/fastlink/", false), -ENOTDIR);
    ck_assert_int_eq(lookup_err(fs, "small.txt", false), -EINVAL);
    ck_assert_int_eq(lookup_err(fs, "", false), -EINVAL);
    memset(longname, 'x', sizeof(longname));
    longname[0] = '/';
    longname[257] = '\0';
    ck_assert_int_eq(lookup_err(fs, longname, false), -ENAMETOOLONG);
    ck_assert_int_eq(lookup_err(fs, "/small.tx", false), -ENOENT); /* no prefix match */
    ck_assert_int_eq(lookup_err(fs, "/small.txtx", false), -ENOENT);
    ext2_unmount(fs);
    dev_free(d);
}
END_TEST

static int stop_cb(void *arg, const struct ext2_dirent *de)
{
    int *n = arg;

    (void)de;
    return ++*n == 3 ? 42 : 0;
}

/* Entries are handed over one at a time, so the callback may use the filesystem. */
struct nested {
    struct ext2_fs *fs;
    unsigned int n;
};

static int nested_cb(void *arg, const struct ext2_dirent *de)
{
    struct nested *x = arg;
    struct ext2_stat st;
    char buf[64];
    ssize_t n;

    CHECK(ext2_stat(x->fs, de->ino, &st) == 0);
    n = ext2_read(x->fs, de->ino, 0, buf, sizeof(buf));
    CHECK(n >= 0 || n == -EISDIR);
    x->n++;
    return 0;
}

START_TEST(test_api)
{
    struct dev *d = dev_new(IMG_1K);
    struct ext2_fs *fs = mount_ok(d);
    uint32_t small = must_lookup(fs, "/small.txt", false), dir1 = must_lookup(fs, "/dir1", false);
    uint32_t fast = must_lookup(fs, "/fastlink", false), slow = must_lookup(fs, "/slowlink", false);
    uint32_t bigdir = must_lookup(fs, "/bigdir", false);
    struct nested x = {fs, 0};
    struct ext2_statfs sf;
    char buf[200];
    int n = 0;

    /* mount_ok() left the mount line in why. */
    ck_assert_msg(strstr(why, "ext2 rev 1, 1024-byte blocks, 4096 blocks, ") == why, "%s", why);
    ck_assert_msg(strstr(why, " filetype") && strstr(why, " large_file") &&
                      strstr(why, " sparse_super") && strstr(why, " ext_attr"),
                  "%s", why);

    ck_assert_int_eq(ext2_read(fs, dir1, 0, buf, 10), -EISDIR);
    ck_assert_int_eq(ext2_read(fs, fast, 0, buf, 10), -EINVAL);
    ck_assert_int_eq(ext2_read(fs, small, 0, buf, 0), 0);
    ck_assert_int_eq(ext2_read(fs, small, 99, buf, 10), 1);
    ck_assert_int_eq(ext2_read(fs, small, 100, buf, 10), 0);
    ck_assert_int_eq(ext2_read(fs, small, UINT64_MAX, buf, 10), 0);
    ck_assert_int_eq(ext2_readlink(fs, small, buf, sizeof(buf)), -EINVAL);
    ck_assert_int_eq(ext2_readlink(fs, dir1, buf, sizeof(buf)), -EINVAL);
    ck_assert_int_eq(ext2_readlink(fs, fast, buf, 9), -ENAMETOOLONG); /* "small.txt" + NUL */
    ck_assert_int_eq(ext2_readlink(fs, fast, buf, 10), 9);
    ck_assert_str_eq(buf, "small.txt");
    ck_assert_int_eq(ext2_readlink(fs, slow, buf, sizeof(buf)), (int)strlen(slow_target));
    ck_assert_str_eq(buf, slow_target);
    ck_assert_int_eq(ext2_readlink(fs, slow, buf, strlen(slow_target)), -ENAMETOOLONG);
    ck_assert_int_eq(ext2_readdir(fs, small, list_cb, NULL), -ENOTDIR);
    ck_assert_int_eq(ext2_readdir(fs, dir1, stop_cb, &n), 42);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(ext2_readdir(fs, bigdir, nested_cb, &x), 0);
    ck_assert_uint_eq(x.n, 602);
    ck_assert_int_eq(ext2_stat(fs, 0, &(struct ext2_stat){0}), -EUCLEAN);
    ck_assert_int_eq(ext2_stat(fs, rd32(sb_of(d)) + 1, &(struct ext2_stat){0}), -EUCLEAN);
    ck_assert_int_eq(ext2_read(fs, 0, 0, buf, 1), -EUCLEAN);
    ck_assert_int_eq(ext2_readdir(fs, UINT32_MAX, list_cb, NULL), -EUCLEAN);
    ext2_statfs(fs, &sf);
    ck_assert_uint_eq(sf.block_size, 1024);
    ck_assert_uint_eq(sf.blocks, 4096);
    ck_assert_uint_eq(sf.blocks, rd32(sb_of(d) + 4));
    ck_assert_uint_eq(sf.free_blocks, rd32(sb_of(d) + 12));
    ck_assert_uint_eq(sf.reserved_blocks, rd32(sb_of(d) + 8));
    ck_assert_uint_eq(sf.inodes, rd32(sb_of(d) + 0));
    ck_assert_uint_eq(sf.free_inodes, rd32(sb_of(d) + 16));
    ck_assert_uint_eq(sf.revision, 1);
    ck_assert_str_eq(sf.volume_name, "micatest");
    ck_assert_str_eq(ext2_strerror(-EUCLEAN), "Structure needs cleaning");
    ck_assert_str_eq(ext2_strerror(EUCLEAN), "Structure needs cleaning");
    ck_assert_str_eq(ext2_strerror(-ENOENT), strerror(ENOENT));
    ext2_unmount(fs);
    ext2_unmount(NULL);
    dev_free(d);
}
END_TEST

/* Several mounted at once: nothing global. */
START_TEST(test_two_mounts)
{
    struct dev *a = dev_new(IMG_1K), *b = dev_new(IMG_4K_REV0);
    struct ext2_fs *fa = mount_ok(a), *fb = mount_ok(b);
    uint8_t x[5000], y[5000];

    ck_assert_msg(strstr(why, "ext2 rev 0, 4096-byte blocks, ") == why, "%s", why);
    ck_assert_msg(strstr(why, "features: (none)"), "%s", why);

    ck_assert_int_eq(
        ext2_read(fa, must_lookup(fa, "/dir1/dir2/dir3/deep.bin", false), 0, x, sizeof(x)), 5000);
    ck_assert_int_eq(ext2_read(fb, must_lookup(fb, "/slowlink", true), 0, y, sizeof(y)), 5000);
    ck_assert(memcmp(x, y, sizeof(x)) == 0);
    ext2_unmount(fa);
    ck_assert_int_eq(ext2_read(fb, must_lookup(fb, "/dirlink/dir3/deep.bin", false), 0, y, 10), 10);
    ext2_unmount(fb);
    dev_free(a);
    dev_free(b);
}
END_TEST

/* What the other "thread" checks: deep.bin's bytes and the 602 entries of bigdir. */
static uint8_t deep_bytes[5000];

static void other_thread(struct dev *d)
{
    uint8_t buf[5000];
    uint32_t ino;
    int n = 0;

    CHECK(ext2_lookup(d->fs, "/dirlink/dir3/deep.bin", true, &ino) == 0);
    CHECK(ext2_read(d->fs, ino, 0, buf + 1, 4999) == 4999);
    CHECK(memcmp(buf + 1, deep_bytes, 4999) == 0);
    CHECK(ext2_lookup(d->fs, "/bigdir", true, &ino) == 0);
    CHECK(ext2_readdir(d->fs, ino, count_cb, &n) == 0);
    CHECK(n == 602);
}

/* Device reads that let another thread use the filesystem meanwhile: busy cache slots and
 * the busy run buffer are neither used nor handed out before their data arrived. */
START_TEST(test_concurrent)
{
    struct dev *d = dev_new(_i == 0 ? IMG_1K : IMG_4K);
    struct ext2_fs *fs = mount_ok(d);
    uint32_t deep = must_lookup(fs, "/dir1/dir2/dir3/deep.bin", false);

    ck_assert_int_eq(ext2_read(fs, deep, 0, deep_bytes, sizeof(deep_bytes)), 5000);
    ext2_unmount(fs);
    fs = mount_ok(d); /* a cold cache */
    d->fs = fs;
    d->hook = other_thread;
    compare_tree(fs, true, treedir, "/", 2);
    ck_assert_int_gt(d->reads, 100);
    ext2_unmount(fs);
    dev_free(d);
}
END_TEST

/* The cache spares repeated metadata reads; file data goes in runs. */
START_TEST(test_cache_and_runs)
{
    static const int imgs[] = {IMG_1K, IMG_4K};
    int i = imgs[_i];
    struct dev *d = dev_new(i);
    struct ext2_fs *fs = mount_ok(d);
    uint8_t *buf = memalign(4096, (1 << 20) + 1), *want = malloc(1 << 20);
    uint32_t ino, big;
    long before;
    uint64_t off;

    ck_assert_int_eq(ext2_lookup(fs, "/bigdir/entry 599 ", true, &ino), -ENOENT);
    must_lookup(fs, "/dir1/dir2/dir3/deep.bin", true);
    before = d->reads;
    must_lookup(fs, "/dir1/dir2/dir3/deep.bin", true);
    ck_assert_int_eq(d->reads, before);
    big = must_lookup(fs, "/big.bin", false);
    ck_assert_int_eq(ext2_read(fs, big, 0, want, 1 << 20), 1 << 20);
    /* One 1 MiB read: 16 runs of 64 KiB plus indirect blocks (more at 1 KiB). */
    before = d->reads;
    ck_assert_int_eq(ext2_read(fs, big, 0, buf + 1, 1 << 20), 1 << 20);
    ck_assert(memcmp(buf + 1, want, 1 << 20) == 0);
    ck_assert_int_le(d->reads - before, i == IMG_4K ? 18 : 40);
    /* Small sequential reads: the run buffer reads ahead. */
    before = d->reads;
    for (off = 0; off < (1 << 20); off += 700)
        ck_assert_int_eq(ext2_read(fs, big, off, buf, 700),
                         off + 700 <= (1 << 20) ? 700 : (1 << 20) - (int)off);
    ck_assert_int_le(d->reads - before, i == IMG_4K ? 18 : 40);
    /* Aligned whole blocks go straight into the caller's buffer. */
    ck_assert_int_eq(ext2_read(fs, big, 0, buf, 1 << 20), 1 << 20);
    ck_assert(memcmp(buf, want, 1 << 20) == 0);
    free(buf);
    free(want);
    ext2_unmount(fs);
    dev_free(d);
}
END_TEST

/* ---- refused and corrupted images --------------------------------------------------- */

START_TEST(test_bad_magic)
{
    struct dev *d = dev_new(IMG_1K);

    wr16(sb_of(d) + 56, 0x1234);
    mount_fails(d, -EINVAL, "bad magic 0x1234 (not ext2)");
    memset(d->data, 0, d->stored);
    mount_fails(d, -EINVAL, "bad magic 0x0000");
    d->size = 1500;
    mount_fails(d, -EINVAL, "too small");
    dev_free(d);
}
END_TEST

static const struct {
    uint32_t bit;
    const char *why;
} incompat_cases[] = {
    {0x40, "unsupported feature: extents (incompat 0x40)"},
    {0x4, "journal needs recovery (incompat 0x4)"},
    {0x80, "unsupported feature: 64bit (incompat 0x80)"},
    {0x1, "unsupported feature: compression (incompat 0x1)"},
    {0x10, "unsupported feature: meta_bg (incompat 0x10)"},
    {0x8, "unsupported feature: journal_dev (incompat 0x8)"},
    {0x8000, "unsupported feature: inline_data (incompat 0x8000)"},
    {0x80000000, "unsupported feature: unknown (incompat 0x80000000)"},
};

START_TEST(test_incompat)
{
    struct dev *d = dev_new(IMG_1K);
    uint8_t *sb = sb_of(d);

    wr32(sb + 96, rd32(sb + 96) | incompat_cases[_i].bit);
    mount_fails(d, -ENOTSUP, incompat_cases[_i].why);
    dev_free(d);
}
END_TEST

START_TEST(test_unsupported)
{
    struct dev *d;

    /* A real ext4 image: extents (and 64bit) named. */
    d = dev_new(IMG_EXT4);
    mount_fails(d, -ENOTSUP, "unsupported feature: extents (incompat 0x40)");
    dev_free(d);
    d = dev_new(IMG_1K);
    wr32(sb_of(d) + 100, rd32(sb_of(d) + 100) | 0x200);
    mount_fails(d, -ENOTSUP, "bigalloc");
    dev_free(d);
    d = dev_new(IMG_1K);
    wr32(sb_of(d) + 76, 2);
    mount_fails(d, -ENOTSUP, "revision 2");
    dev_free(d);
    d = dev_new(IMG_1K);
    wr32(sb_of(d) + 24, 3); /* 8 KiB blocks: valid ext2, not read here */
    mount_fails(d, -ENOTSUP, "block size");
    dev_free(d);
    /* Compatible and read-only-compatible features do not matter. */
    d = dev_new(IMG_1K);
    wr32(sb_of(d) + 92, 0xffffffff);
    wr32(sb_of(d) + 100, ~0x200u);
    ext2_unmount(mount_ok(d));
    dev_free(d);
}
END_TEST

/* A superblock field set to a bad value; mount gives -EUCLEAN and says @what. */
static void bad_sb_field(int img, unsigned int off, unsigned int size, uint32_t val,
                         const char *what)
{
    struct dev *d = dev_new(img);

    if (size == 4)
        wr32(sb_of(d) + off, val);
    else
        wr16(sb_of(d) + off, (uint16_t)val);
    mount_fails(d, -EUCLEAN, what);
    dev_free(d);
}

START_TEST(test_bad_superblock)
{
    uint8_t *sb = sb_of(&(struct dev){.data = images[IMG_1K].data});
    uint32_t inodes = rd32(sb), blocks = rd32(sb + 4), ipg = rd32(sb + 40);

    bad_sb_field(IMG_1K, 24, 4, 7, "s_log_block_size 7");
    bad_sb_field(IMG_1K, 24, 4, 0xffffffff, "block size");
    bad_sb_field(IMG_1K, 40, 4, 0, "inodes per group");
    bad_sb_field(IMG_1K, 40, 4, 8 * 1024 + 1, "inodes per group");
    bad_sb_field(IMG_1K, 32, 4, 0, "blocks");
    bad_sb_field(IMG_1K, 32, 4, 8 * 1024 + 8, "blocks");
    bad_sb_field(IMG_1K, 0, 4, inodes + 1, "inode count");
    bad_sb_field(IMG_1K, 0, 4, 0, "inode count");
    bad_sb_field(IMG_1K, 40, 4, ipg - 8, "inode count");
    bad_sb_field(IMG_1K, 4, 4, blocks + 1, "larger than the device");
    bad_sb_field(IMG_1K, 4, 4, 0xffffffff, "larger than the device");
    bad_sb_field(IMG_1K, 4, 4, 1, "block count");
    bad_sb_field(IMG_1K, 4, 4, 0, "block count");
    bad_sb_field(IMG_1K, 20, 4, 0, "s_first_data_block");
    bad_sb_field(IMG_4K, 20, 4, 1, "s_first_data_block");
    bad_sb_field(IMG_1K, 88, 2, 100, "inode size");
    bad_sb_field(IMG_1K, 88, 2, 384, "inode size");
    bad_sb_field(IMG_1K, 88, 2, 2048, "inode size");
    bad_sb_field(IMG_1K, 88, 2, 0, "inode size");
}
END_TEST

START_TEST(test_bad_group_desc)
{
    struct dev *d = dev_new(IMG_1K);
    uint32_t blocks = rd32(sb_of(d) + 4);

    wr32(gd_of(d, 1) + 8, blocks - 1); /* inode table runs off the end */
    mount_fails(d, -EUCLEAN, "group 1");
    dev_free(d);
    d = dev_new(IMG_1K);
    wr32(gd_of(d, 0) + 0, 1); /* block bitmap in the superblock */
    mount_fails(d, -EUCLEAN, "group 0");
    dev_free(d);
    d = dev_new(IMG_4K);
    wr32(gd_of(d, 0) + 4, 0);
    mount_fails(d, -EUCLEAN, "group 0");
    dev_free(d);
    /* Root inode not a directory. */
    d = dev_new(IMG_1K);
    wr16(inode_of(d, 2), 0x81a4);
    mount_fails(d, -EUCLEAN, "root");
    dev_free(d);
}
END_TEST

START_TEST(test_truncated_device)
{
    struct dev *d = dev_new(IMG_2K);

    d->size -= 2048;
    mount_fails(d, -EUCLEAN, "larger than the device");
    d->size = 4096;
    mount_fails(d, -EUCLEAN, "larger than the device");
    dev_free(d);
}
END_TEST

/* Walk the root directory's first block to the entry named @name; returns its offset. */
static uint8_t *dirent_of(struct dev *d, uint32_t dir_ino, const char *name)
{
    uint8_t *blk = block_of(d, rd32(inode_of(d, dir_ino) + 40));
    uint32_t off = 0, bs = bs_of(d);

    while (off < bs) {
        uint8_t *e = blk + off;

        if (e[6] == strlen(name) && !memcmp(e + 8, name, e[6]))
            return e;
        off += (uint32_t)(e[4] | e[5] << 8);
    }
    ck_abort_msg("no entry %s", name);
    return NULL;
}

/* Root directory entry edited; readdir and lookups through it give -EUCLEAN. */
static void bad_root_dirent(int img, unsigned int field, uint32_t val)
{
    struct dev *d = dev_new(img);
    uint8_t *e = dirent_of(d, 2, "..");
    struct listing l = {0};
    struct ext2_fs *fs;
    uint32_t ino;

    if (field == 0)
        wr32(e, val);
    else if (field == 4)
        wr16(e + 4, (uint16_t)val);
    else
        e[6] = (uint8_t)val;
    fs = mount_ok(d);
    ck_assert_int_eq(ext2_readdir(fs, 2, list_cb, &l), -EUCLEAN);
    ck_assert_int_eq(ext2_lookup(fs, "/small.txt", false, &ino), -EUCLEAN);
    listing_free(&l);
    ext2_unmount(fs);
    dev_free(d);
}

START_TEST(test_bad_dirent)
{
    bad_root_dirent(IMG_1K, 4, 1024);       /* rec_len overruns the block */
    bad_root_dirent(IMG_4K, 4, 0xfffc);     /* ... by far */
    bad_root_dirent(IMG_1K, 4, 0);          /* rec_len 0: must not loop forever */
    bad_root_dirent(IMG_1K, 4, 4);          /* rec_len < 8 */
    bad_root_dirent(IMG_1K, 4, 14);         /* not a multiple of 4 */
    bad_root_dirent(IMG_1K, 6, 200);        /* name_len beyond rec_len - 8 */
    bad_root_dirent(IMG_1K_REV0, 4, 0);     /* revision 0: 16-bit name_len */
    bad_root_dirent(IMG_1K, 0, 0x7fffffff); /* inode beyond s_inodes_count */
}
END_TEST

START_TEST(test_bad_dirent_ino)
{
    struct dev *d = dev_new(IMG_2K);
    uint8_t *e = dirent_of(d, 2, "small.txt");
    struct ext2_fs *fs;
    uint32_t ino;

    wr32(e, rd32(sb_of(d)) + 1);
    fs = mount_ok(d);
    ck_assert_int_eq(ext2_lookup(fs, "/small.txt", false, &ino), -EUCLEAN);
    ck_assert_int_eq(ext2_readdir(fs, 2, nop_cb, NULL), -EUCLEAN);
    ext2_unmount(fs);
    dev_free(d);
}
END_TEST

START_TEST(test_bad_block_pointer)
{
    struct dev *d = dev_new(IMG_1K);
    uint32_t small = ino_of(d, "/small.txt"), deep = ino_of(d, "/dir1/dir2/dir3/deep.bin");
    uint32_t blocks = rd32(sb_of(d) + 4);
    struct ext2_fs *fs;
    char buf[100];

    wr32(inode_of(d, small) + 40, blocks + 5);
    wr32(inode_of(d, deep) + 40 + 4, 1); /* the superblock */
    fs = mount_ok(d);
    ck_assert_int_eq(ext2_read(fs, small, 0, buf, sizeof(buf)), -EUCLEAN);
    ck_assert_int_eq(ext2_read(fs, deep, 0, buf, sizeof(buf)), 100); /* block 0 is fine */
    ck_assert_int_eq(ext2_read(fs, deep, 1024, buf, sizeof(buf)), -EUCLEAN);
    ext2_unmount(fs);
    dev_free(d);
}
END_TEST

START_TEST(test_indirect_loops)
{
    struct dev *d = dev_new(IMG_1K);
    uint32_t dind = ino_of(d, "/dind.bin"), ind, dblk, dind_ind;
    uint8_t *in = inode_of(d, dind), buf[64];
    struct ext2_fs *fs;

    /* The single-indirect block's first pointer names itself. */
    ind = rd32(in + 40 + 4 * 12);
    wr32(block_of(d, ind), ind);
    /* The double-indirect block's first child points back to it. */
    dblk = rd32(in + 40 + 4 * 13);
    dind_ind = rd32(block_of(d, dblk));
    wr32(block_of(d, dind_ind), dblk);
    fs = mount_ok(d);
    ck_assert_int_eq(ext2_read(fs, dind, 0, buf, sizeof(buf)), sizeof(buf));
    ck_assert_int_eq(ext2_read(fs, dind, 12 * 1024, buf, sizeof(buf)), -EUCLEAN);
    ck_assert_int_eq(ext2_read(fs, dind, 13 * 1024, buf, sizeof(buf)), sizeof(buf));
    ck_assert_int_eq(ext2_read(fs, dind, (12 + 256) * 1024, buf, sizeof(buf)), -EUCLEAN);
    ext2_unmount(fs);
    dev_free(d);
}
END_TEST

/* A self-referencing indirect block in a large (sparse) range: reads end, bounded by size. */
START_TEST(test_indirect_self_big)
{
    struct dev *d = dev_new(IMG_1K);
    uint32_t sparse = ino_of(d, "/sparse.bin"), small = ino_of(d, "/small.txt");
    uint8_t *in = inode_of(d, sparse), *buf = malloc(1 << 20);
    uint32_t tind = rd32(in + 40 + 4 * 14);
    struct ext2_fs *fs;
    unsigned int i;

    for (i = 0; i < 256; i++)
        wr32(block_of(d, tind) + 4 * i, tind);
    /* small.txt claims 3 GiB, all holes past its one block. */
    wr32(inode_of(d, small) + 4, 0xc0000000);
    fs = mount_ok(d);
    ck_assert_int_eq(ext2_read(fs, sparse, 68u << 20, buf, 1 << 20), -EUCLEAN);
    ck_assert_int_eq(ext2_read(fs, sparse, 0, buf, 1 << 20), 1 << 20);
    ck_assert_int_eq(ext2_read(fs, small, 0xbff00000, buf, 1 << 20), 1 << 20);
    ck_assert_int_eq(ext2_read(fs, small, 0xc0000000 - 10, buf, 1 << 20), 10);
    for (i = 0; i < 10; i++)
        ck_assert_uint_eq(buf[i], 0);
    ext2_unmount(fs);
    dev_free(d);
    free(buf);
}
END_TEST

START_TEST(test_bad_inodes)
{
    struct dev *d = dev_new(IMG_1K);
    uint32_t dind = ino_of(d, "/dind.bin"), small = ino_of(d, "/small.txt");
    uint32_t deep = ino_of(d, "/dir1/dir2/dir3/deep.bin"), slow = ino_of(d, "/slowlink");
    uint32_t fast = ino_of(d, "/fastlink"), dir1 = ino_of(d, "/dir1");
    uint32_t empty = ino_of(d, "/empty");
    struct ext2_stat st;
    struct ext2_fs *fs;
    char buf[2048];
    uint32_t ino;

    wr32(inode_of(d, dind) + 108, 0xffffffff); /* i_size_high: absurd size */
    wr16(inode_of(d, small), 0);               /* a free inode in a directory */
    wr32(inode_of(d, deep) + 32, 0x80000);     /* extents flag */
    wr32(inode_of(d, slow) + 4, 1024);         /* slow symlink as long as its block */
    wr32(inode_of(d, fast) + 4, 0);            /* empty symlink */
    wr32(inode_of(d, dir1) + 4, 1000);         /* directory size not a block multiple */
    wr32(inode_of(d, 2) + 4, 0xfffffc00);      /* root directory of 4 GiB */
    wr32(inode_of(d, empty) + 4, 61);          /* "fast" data of a regular file: a hole */
    fs = mount_ok(d);
    ck_assert_int_eq(ext2_stat(fs, dind, &st), -EUCLEAN);
    ck_assert_int_eq(ext2_read(fs, dind, 0, buf, 10), -EUCLEAN);
    ck_assert_int_eq(ext2_stat(fs, small, &st), -EUCLEAN);
    ck_assert_int_eq(ext2_stat(fs, deep, &st), -EUCLEAN);
    ck_assert_int_eq(ext2_readlink(fs, slow, buf, sizeof(buf)), -EUCLEAN);
    ck_assert_int_eq(ext2_readlink(fs, fast, buf, sizeof(buf)), -EUCLEAN);
    ck_assert_int_eq(ext2_readdir(fs, dir1, nop_cb, NULL), -EUCLEAN);
    ck_assert_int_eq(ext2_readdir(fs, 2, nop_cb, NULL), -EUCLEAN);
    ck_assert_int_eq(ext2_lookup(fs, "/anything", false, &ino), -EUCLEAN);
    ck_assert_int_eq(ext2_read(fs, empty, 0, buf, sizeof(buf)), 61);
    ext2_unmount(fs);
    dev_free(d);
}
END_TEST

/* A directory with a hole, and a symlink whose block is missing. */
START_TEST(test_holes_in_metadata)
{
    struct dev *d = dev_new(IMG_1K);
    uint32_t bigdir = ino_of(d, "/bigdir"), slow = ino_of(d, "/slowlink");
    struct ext2_fs *fs;
    char buf[256];
    uint32_t ino;

    wr32(inode_of(d, bigdir) + 40 + 4 * 3, 0);
    wr32(inode_of(d, slow) + 40, 0);
    fs = mount_ok(d);
    ck_assert_int_eq(ext2_readdir(fs, bigdir, nop_cb, NULL), -EUCLEAN);
    ck_assert_int_eq(ext2_lookup(fs, "/bigdir/nonexistent", false, &ino), -EUCLEAN);
    ck_assert_int_eq(ext2_readlink(fs, slow, buf, sizeof(buf)), -EUCLEAN);
    ck_assert_int_eq(ext2_lookup(fs, "/slowlink", true, &ino), -EUCLEAN);
    ext2_unmount(fs);
    dev_free(d);
}
END_TEST

/* Run every operation over @d's tree; results are ignored, only the absence of crashes,
 * overruns and hangs matters (ASan and Check's timeout watch). Bounded: depth and reads. */
static void exercise(struct ext2_fs *fs, const char *path, int depth)
{
    struct listing l = {0};
    struct ext2_stat st;
    char buf[4096], sub[2048];
    uint32_t ino;
    size_t i;

    if (depth > 5 || ext2_lookup(fs, path, false, &ino))
        return;
    (void)ext2_lookup(fs, path, true, &ino);
    if (ext2_stat(fs, ino, &st))
        return;
    (void)ext2_read(fs, ino, 0, buf, sizeof(buf));
    (void)ext2_read(fs, ino, st.size / 2, buf, sizeof(buf));
    (void)ext2_readlink(fs, ino, buf, sizeof(buf));
    if (ext2_readdir(fs, ino, list_cb, &l) == 0) {
        for (i = 0; i < l.n && i < 40; i++) {
            if (!strcmp(l.e[i].name, ".") || !strcmp(l.e[i].name, ".."))
                continue;
            snprintf(sub, sizeof(sub), "%s/%s", strcmp(path, "/") ? path : "", l.e[i].name);
            exercise(fs, sub, depth + 1);
        }
    }
    listing_free(&l);
}

START_TEST(test_device_errors)
{
    struct dev *d = dev_new(_i == 0 ? IMG_1K : IMG_4K_REV0);
    long total, k;

    /* Count the reads of a full pass, then fail from each one on. */
    {
        struct ext2_fs *fs = mount_ok(d);

        exercise(fs, "/", 0);
        ext2_unmount(fs);
        total = d->reads;
    }
    for (k = 0; k < total; k += 1 + total / 60) {
        struct ext2_fs *fs = NULL;
        int err;

        d->reads = 0;
        d->fail_at = k;
        err = ext2_mount(dev_read, d, d->size, &fs, why, sizeof(why));
        if (err) {
            ck_assert_int_eq(err, -EIO);
            ck_assert_ptr_null(fs);
            continue;
        }
        exercise(fs, "/", 0);
        ext2_unmount(fs);
    }
    /* A failing data read is reported as such. */
    {
        struct ext2_fs *fs;
        uint32_t big;
        static uint8_t buf[1 << 16];

        d->fail_at = -1;
        fs = mount_ok(d);
        big = must_lookup(fs, "/big.bin", false);
        d->fail_at = d->reads;
        ck_assert_int_eq(ext2_read(fs, big, 0, buf, sizeof(buf)), -EIO);
        ck_assert_int_eq(ext2_read(fs, big, 0, buf + 1, 100), -EIO);
        d->fail_at = -1;
        ck_assert_int_eq(ext2_read(fs, big, 0, buf + 1, 100), 100);
        ext2_unmount(fs);
    }
    dev_free(d);
}
END_TEST

/* Random bytes of metadata overwritten: errors allowed, crashes and hangs not. */
START_TEST(test_fuzz)
{
    static const int imgs[] = {IMG_1K, IMG_4K, IMG_1K_REV0, IMG_2K};
    struct dev *d = dev_new(imgs[_i % 4]);
    uint8_t *orig = images[imgs[_i % 4]].data;
    uint32_t bs = bs_of(d), it = rd32(gd_of(d, 0) + 8);
    unsigned int round, k;

    rng = 0x1234567u + (uint64_t)_i * 7919u;
    for (round = 0; round < 25; round++) {
        struct ext2_fs *fs = NULL;

        memcpy(d->data, orig, d->stored);
        for (k = 0; k < 1 + rnd() % 8; k++) {
            /* Mostly the inode table and the blocks after it (directories, indirect
             * blocks), sometimes the superblock and descriptors. */
            uint64_t at = rnd() % 8 == 0 ? 1024 + rnd() % (2 * bs)
                                         : (uint64_t)it * bs + rnd() % (256u * 1024);
            uint8_t v = (uint8_t)rnd();

            if (at < d->stored)
                d->data[at] = rnd() % 3 ? v : (uint8_t)(d->data[at] ^ (1u << (v & 7)));
        }
        if (ext2_mount(dev_read, d, d->size, &fs, why, sizeof(why)) == 0) {
            exercise(fs, "/", 0);
            ext2_unmount(fs);
        }
    }
    dev_free(d);
}
END_TEST

/* ---- main --------------------------------------------------------------------------- */

static void cleanup(void)
{
    char cmd[600];
    unsigned int i;

    if (tmpdir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "test_ext2: could not remove %s\n", tmpdir);
    }
    for (i = 0; i < NR_IMAGES; i++)
        munmap(images[i].data, images[i].size);
}

int main(void)
{
    const char *t = getenv("TMPDIR");
    Suite *s = suite_create("ext2");
    TCase *tree = tcase_create("tree"), *api = tcase_create("api");
    TCase *bad = tcase_create("corrupted");
    SRunner *sr;
    int failed;

    snprintf(tmpdir, sizeof(tmpdir), "%s/test_ext2.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror(tmpdir);
        return EXIT_FAILURE;
    }
    make_tree();
    make_tind_tree();
    make_images();

    tcase_set_timeout(tree, 30);
    tcase_add_loop_test(tree, test_tree, 0, NR_TREE_IMAGES);
    tcase_add_test(tree, test_image_shapes);
    tcase_add_loop_test(tree, test_triple_indirect, 0, 3);
    suite_add_tcase(s, tree);

    tcase_set_timeout(api, 20);
    tcase_add_loop_test(api, test_lookup, 0, NR_TREE_IMAGES);
    tcase_add_test(api, test_api);
    tcase_add_test(api, test_two_mounts);
    tcase_add_loop_test(api, test_cache_and_runs, 0, 2);
    tcase_add_loop_test(api, test_concurrent, 0, 2);
    suite_add_tcase(s, api);

    tcase_set_timeout(bad, 20);
    tcase_add_test(bad, test_bad_magic);
    tcase_add_loop_test(bad, test_incompat, 0,
                        (int)(sizeof(incompat_cases) / sizeof(incompat_cases[0])));
    tcase_add_test(bad, test_unsupported);
    tcase_add_test(bad, test_bad_superblock);
    tcase_add_test(bad, test_bad_group_desc);
    tcase_add_test(bad, test_truncated_device);
    tcase_add_test(bad, test_bad_dirent);
    tcase_add_test(bad, test_bad_dirent_ino);
    tcase_add_test(bad, test_bad_block_pointer);
    tcase_add_test(bad, test_indirect_loops);
    tcase_add_test(bad, test_indirect_self_big);
    tcase_add_test(bad, test_bad_inodes);
    tcase_add_test(bad, test_holes_in_metadata);
    tcase_add_loop_test(bad, test_device_errors, 0, 2);
    tcase_add_loop_test(bad, test_fuzz, 0, 8);
    suite_add_tcase(s, bad);

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

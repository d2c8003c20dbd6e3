/*
 * The shell's file and disk commands (shell_cmds.h): ls, cat, stat, sha256sum, df over the
 * ext2 reader (ext2.h), blkread and blkwrite over blkfront (blkfront.h).
 *
 * Formats follow GNU coreutils 9 in the C locale (its manual, "ls invocation", "stat
 * invocation", "sha256sum invocation" / "md5sum invocation", "df invocation") and
 * `hexdump -C` (util-linux): what a user or a script comparing with the host's tools expects.
 * Paths are absolute; a relative one is taken from "/" (the shell has no working directory).
 * Uids and gids print as numbers except 0 ("root"): the guest has no user database.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <xen/errno.h>

#include <pvguest/blkfront.h>
#include <pvguest/ext2.h>
#include <pvguest/sha256.h>
#include <pvguest/time.h>

#include "shell_cmds.h"

#define PATH_MAX_LEN  1024
#define READ_CHUNK    (64 * 1024)
#define BLK_MAX_SECTS 64
#define SECTOR        512

/* The filesystem, or an error naming why there is none. */
static struct ext2_fs *need_fs(struct shell_env *env, const char *cmd)
{
    if (!env->fs)
        shell_err(cmd, "no filesystem%s%s", env->fs_error ? ": " : "",
                  env->fs_error ? env->fs_error : "");
    return env->fs;
}

/* @path made absolute in @buf ("x" is "/x"); false (message printed) if too long. */
static bool abs_path(const char *cmd, const char *path, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s%s", path[0] == '/' ? "" : "/", path);
    if (n < 0 || (size_t)n >= size) {
        shell_err(cmd, "%s: %s", path, ext2_strerror(-ENAMETOOLONG));
        return false;
    }
    return true;
}

/* Resolve @path; on failure print "CMD: PATH: error" and return the error. */
static int resolve(struct ext2_fs *fs, const char *cmd, const char *path, bool follow,
                   uint32_t *ino)
{
    char abs[PATH_MAX_LEN];

    if (!abs_path(cmd, path, abs, sizeof(abs)))
        return -ENAMETOOLONG;
    int rc = ext2_lookup(fs, abs, follow, ino);
    if (rc < 0)
        shell_err(cmd, "%s: %s", path, ext2_strerror(rc));
    return rc;
}

/* ls -l's and stat's type letter and permission string, as coreutils' filemode.c: 10
   characters and a NUL. */
static void mode_string(uint16_t mode, char out[11])
{
    static const char rwx[] = "rwxrwxrwx";
    char type;

    switch (mode & S_IFMT) {
    case S_IFDIR:
        type = 'd';
        break;
    case S_IFLNK:
        type = 'l';
        break;
    case S_IFCHR:
        type = 'c';
        break;
    case S_IFBLK:
        type = 'b';
        break;
    case S_IFIFO:
        type = 'p';
        break;
    case S_IFSOCK:
        type = 's';
        break;
    case S_IFREG:
        type = '-';
        break;
    default:
        type = '?';
        break;
    }
    out[0] = type;
    for (int i = 0; i < 9; i++)
        out[1 + i] = (mode & (0400 >> i)) ? rwx[i] : '-';
    if (mode & S_ISUID)
        out[3] = out[3] == 'x' ? 's' : 'S';
    if (mode & S_ISGID)
        out[6] = out[6] == 'x' ? 's' : 'S';
    if (mode & S_ISVTX)
        out[9] = out[9] == 'x' ? 't' : 'T';
    out[10] = '\0';
}

static const char *type_name(const struct ext2_stat *st)
{
    switch (st->mode & S_IFMT) {
    case S_IFREG:
        return st->size ? "regular file" : "regular empty file";
    case S_IFDIR:
        return "directory";
    case S_IFLNK:
        return "symbolic link";
    case S_IFCHR:
        return "character special file";
    case S_IFBLK:
        return "block special file";
    case S_IFIFO:
        return "fifo";
    case S_IFSOCK:
        return "socket";
    default:
        return "weird file";
    }
}

static const char *id_name(uint32_t id, char *buf, size_t size)
{
    if (id == 0)
        return "root";
    snprintf(buf, size, "%lu", (unsigned long)id);
    return buf;
}

/* ---- ls ---------------------------------------------------------------------------- */

struct ls_entry {
    char *name;
    uint32_t ino;
    struct ext2_stat st;
    bool have_st;
    char *target; /* a symlink's, with -l */
};

struct ls_list {
    struct ls_entry *e;
    size_t n, cap;
    bool all;
    bool nomem;
};

static int ls_collect(void *arg, const struct ext2_dirent *de)
{
    struct ls_list *l = arg;

    if (de->name[0] == '.' && !l->all)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        struct ls_entry *e = realloc(l->e, cap * sizeof(*e));
        if (!e) {
            l->nomem = true;
            return 1;
        }
        l->e = e;
        l->cap = cap;
    }
    char *name = strdup(de->name);
    if (!name) {
        l->nomem = true;
        return 1;
    }
    l->e[l->n++] = (struct ls_entry){.name = name, .ino = de->ino};
    return 0;
}

static int ls_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ls_entry *)a)->name, ((const struct ls_entry *)b)->name);
}

static void ls_sort(struct ls_list *l)
{
    if (l->n > 1)
        qsort(l->e, l->n, sizeof(*l->e), ls_cmp);
}

static void ls_free(struct ls_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->e[i].name);
        free(l->e[i].target);
    }
    free(l->e);
    memset(l, 0, sizeof(*l));
}

static unsigned int digits(uint64_t v)
{
    unsigned int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* coreutils' "%b %e %H:%M" for times within six months of now (and not in the future),
   "%b %e  %Y" otherwise. */
static void ls_time(uint32_t t, char *buf, size_t size)
{
    time_t tt = t, now = (time_t)(wall_clock_ns() / NSEC_PER_SEC);
    struct tm tm;
    const time_t six_months = 31556952 / 2;

    gmtime_r(&tt, &tm);
    if (tt > now - six_months && tt <= now + 60)
        strftime(buf, size, "%b %e %H:%M", &tm);
    else
        strftime(buf, size, "%b %e  %Y", &tm);
}

/* Print the entries (sorted already), in the long format if @lng; stats are filled in. */
static void ls_print(struct ls_list *l, bool lng, bool total)
{
    if (!lng) {
        for (size_t i = 0; i < l->n; i++)
            printf("%s\n", l->e[i].name);
        return;
    }
    unsigned int wl = 1, wu = 1, wg = 1, ws = 1;
    uint64_t blocks = 0;
    char ub[16], gb[16];

    for (size_t i = 0; i < l->n; i++) {
        const struct ext2_stat *st = &l->e[i].st;
        if (!l->e[i].have_st)
            continue;
        blocks += (st->blocks + 1) / 2; /* 512-byte units to 1 KiB, rounded up */
        if (digits(st->links) > wl)
            wl = digits(st->links);
        unsigned int lu = (unsigned int)strlen(id_name(st->uid, ub, sizeof(ub)));
        unsigned int lg = (unsigned int)strlen(id_name(st->gid, gb, sizeof(gb)));
        if (lu > wu)
            wu = lu;
        if (lg > wg)
            wg = lg;
        if (digits(st->size) > ws)
            ws = digits(st->size);
    }
    if (total)
        printf("total %llu\n", (unsigned long long)blocks);
    for (size_t i = 0; i < l->n; i++) {
        const struct ls_entry *e = &l->e[i];
        char mode[11], when[32];
        if (!e->have_st) {
            printf("?????????? %*s %-*s %-*s %*s %12s %s\n", (int)wl, "?", (int)wu, "?", (int)wg,
                   "?", (int)ws, "?", "?", e->name);
            continue;
        }
        mode_string(e->st.mode, mode);
        ls_time(e->st.mtime, when, sizeof(when));
        printf("%s %*u %-*s %-*s %*llu %s %s", mode, (int)wl, e->st.links, (int)wu,
               id_name(e->st.uid, ub, sizeof(ub)), (int)wg, id_name(e->st.gid, gb, sizeof(gb)),
               (int)ws, (unsigned long long)e->st.size, when, e->name);
        if (e->target)
            printf(" -> %s", e->target);
        printf("\n");
    }
}

/* Fill in the stats (and symlink targets) of @l's entries for -l. */
static int ls_stat_all(struct ext2_fs *fs, struct ls_list *l, const char *dir)
{
    int status = SHELL_OK;

    for (size_t i = 0; i < l->n; i++) {
        struct ls_entry *e = &l->e[i];
        int rc = ext2_stat(fs, e->ino, &e->st);
        if (rc < 0) {
            shell_err("ls", "cannot access '%s%s%s': %s", dir ? dir : "",
                      dir && dir[strlen(dir) - 1] != '/' ? "/" : "", e->name, ext2_strerror(rc));
            status = SHELL_FAIL;
            continue;
        }
        e->have_st = true;
        if (S_ISLNK(e->st.mode)) {
            char target[PATH_MAX_LEN];
            if (ext2_readlink(fs, e->ino, target, sizeof(target)) >= 0)
                e->target = strdup(target);
        }
    }
    return status;
}

int cmd_ls(struct shell_env *env, int argc, char **argv)
{
    bool lng = false, all = false;
    int i, status = SHELL_OK;

    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        for (const char *o = argv[i] + 1; *o; o++) {
            if (*o == 'l')
                lng = true;
            else if (*o == 'a')
                all = true;
            else {
                shell_err("ls", "invalid option -- '%c'", *o);
                return shell_usage("ls");
            }
        }
    }
    struct ext2_fs *fs = need_fs(env, "ls");
    if (!fs)
        return SHELL_FAIL;

    char *dot[] = {"/"};
    char **ops = i < argc ? argv + i : dot;
    int nops = i < argc ? argc - i : 1;
    struct ls_list files = {.all = true};
    uint32_t *dirs = calloc((size_t)nops, sizeof(*dirs));
    const char **dir_names = calloc((size_t)nops, sizeof(*dir_names));
    int ndirs = 0;
    if (!dirs || !dir_names) {
        free(dirs);
        free(dir_names);
        shell_err("ls", "%s", ext2_strerror(-ENOMEM));
        return SHELL_FAIL;
    }

    /* Operands: files are listed first, together, then each directory (coreutils' order).
       A symlink operand is followed unless -l (then it is shown itself). */
    for (int k = 0; k < nops; k++) {
        char abs[PATH_MAX_LEN];
        uint32_t ino;
        struct ext2_stat st;
        int rc = abs_path("ls", ops[k], abs, sizeof(abs)) ? ext2_lookup(fs, abs, !lng, &ino)
                                                          : -ENAMETOOLONG;
        if (rc == -ENOENT && !lng) /* a dangling symlink: list the link */
            rc = ext2_lookup(fs, abs, false, &ino);
        if (rc >= 0)
            rc = ext2_stat(fs, ino, &st);
        if (rc < 0) {
            shell_err("ls", "cannot access '%s': %s", ops[k], ext2_strerror(rc));
            status = SHELL_FAIL;
            continue;
        }
        if (S_ISDIR(st.mode)) {
            dirs[ndirs] = ino;
            dir_names[ndirs++] = ops[k];
            continue;
        }
        struct ext2_dirent de = {.ino = ino, .name = ops[k]};
        ls_collect(&files, &de);
    }
    ls_sort(&files);
    if (lng && ls_stat_all(fs, &files, NULL))
        status = SHELL_FAIL;
    ls_print(&files, lng, false);
    bool printed = files.n > 0;
    ls_free(&files);

    /* Directories in the operands' sorted order. */
    for (int a = 1; a < ndirs; a++)
        for (int b = a; b > 0 && strcmp(dir_names[b - 1], dir_names[b]) > 0; b--) {
            const char *tn = dir_names[b];
            uint32_t ti = dirs[b];
            dir_names[b] = dir_names[b - 1];
            dirs[b] = dirs[b - 1];
            dir_names[b - 1] = tn;
            dirs[b - 1] = ti;
        }
    for (int k = 0; k < ndirs; k++) {
        struct ls_list l = {.all = all};
        int rc = ext2_readdir(fs, dirs[k], ls_collect, &l);
        if (printed)
            printf("\n");
        if (nops > 1)
            printf("%s:\n", dir_names[k]);
        printed = true;
        if (rc < 0 || l.nomem) {
            shell_err("ls", "cannot open directory '%s': %s", dir_names[k],
                      ext2_strerror(rc < 0 ? rc : -ENOMEM));
            status = SHELL_FAIL;
            ls_free(&l);
            continue;
        }
        ls_sort(&l);
        if (lng && ls_stat_all(fs, &l, dir_names[k]))
            status = SHELL_FAIL;
        ls_print(&l, lng, true);
        ls_free(&l);
    }
    free(dirs);
    free(dir_names);
    return status;
}

/* ---- cat, sha256sum ---------------------------------------------------------------- */

/* Read regular file @path through, calling @fn on each chunk; prints "CMD: PATH: error". */
static int for_each_chunk(struct ext2_fs *fs, const char *cmd, const char *path,
                          void (*fn)(void *arg, const void *data, size_t len), void *arg)
{
    uint32_t ino;
    int rc = resolve(fs, cmd, path, true, &ino);
    if (rc < 0)
        return rc;
    char *buf = malloc(READ_CHUNK);
    if (!buf) {
        shell_err(cmd, "%s: %s", path, ext2_strerror(-ENOMEM));
        return -ENOMEM;
    }
    uint64_t off = 0;
    for (;;) {
        ssize_t n = ext2_read(fs, ino, off, buf, READ_CHUNK);
        if (n < 0) {
            shell_err(cmd, "%s: %s", path, ext2_strerror((int)n));
            free(buf);
            return (int)n;
        }
        if (n == 0)
            break;
        fn(arg, buf, (size_t)n);
        off += (uint64_t)n;
    }
    free(buf);
    return 0;
}

static void cat_out(void *arg, const void *data, size_t len)
{
    (void)arg;
    fwrite(data, 1, len, stdout);
}

int cmd_cat(struct shell_env *env, int argc, char **argv)
{
    int status = SHELL_OK;

    if (argc < 2)
        return shell_usage("cat");
    struct ext2_fs *fs = need_fs(env, "cat");
    if (!fs)
        return SHELL_FAIL;
    for (int i = 1; i < argc; i++) {
        if (shell_interrupted())
            return SHELL_INTR;
        if (for_each_chunk(fs, "cat", argv[i], cat_out, NULL) < 0)
            status = SHELL_FAIL;
    }
    fflush(stdout);
    return status;
}

static void hash_chunk(void *arg, const void *data, size_t len)
{
    sha256_update(arg, data, len);
}

/* coreutils' digest line: "HEX  NAME"; a name holding a backslash or newline is escaped
   ("\\", "\n") and the line starts with a backslash. */
static void print_digest_line(const char *hex, const char *name)
{
    bool esc = strpbrk(name, "\\\n") != NULL;

    printf("%s%s  ", esc ? "\\" : "", hex);
    for (const char *p = name; *p; p++) {
        if (esc && *p == '\\')
            fputs("\\\\", stdout);
        else if (esc && *p == '\n')
            fputs("\\n", stdout);
        else
            putchar(*p);
    }
    putchar('\n');
}

int cmd_sha256sum(struct shell_env *env, int argc, char **argv)
{
    int status = SHELL_OK;

    if (argc < 2)
        return shell_usage("sha256sum");
    struct ext2_fs *fs = need_fs(env, "sha256sum");
    if (!fs)
        return SHELL_FAIL;
    for (int i = 1; i < argc; i++) {
        struct sha256_ctx ctx;
        uint8_t digest[SHA256_DIGEST_SIZE];
        char hex[2 * SHA256_DIGEST_SIZE + 1];

        if (shell_interrupted())
            return SHELL_INTR;
        sha256_init(&ctx);
        if (for_each_chunk(fs, "sha256sum", argv[i], hash_chunk, &ctx) < 0) {
            status = SHELL_FAIL;
            continue;
        }
        sha256_final(&ctx, digest);
        sha256_hex(digest, hex);
        print_digest_line(hex, argv[i]);
    }
    return status;
}

/* ---- stat -------------------------------------------------------------------------- */

static void stat_time(const char *label, uint32_t t)
{
    time_t tt = t;
    struct tm tm;
    char buf[32];

    gmtime_r(&tt, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    printf("%s: %s.000000000 +0000\n", label, buf);
}

int cmd_stat(struct shell_env *env, int argc, char **argv)
{
    bool follow = false;
    int i = 1, status = SHELL_OK;

    if (i < argc && strcmp(argv[i], "-L") == 0) {
        follow = true;
        i++;
    }
    if (i >= argc)
        return shell_usage("stat");
    struct ext2_fs *fs = need_fs(env, "stat");
    if (!fs)
        return SHELL_FAIL;
    struct ext2_statfs sf;
    ext2_statfs(fs, &sf);
    for (; i < argc; i++) {
        uint32_t ino;
        struct ext2_stat st;
        char mode[11], target[PATH_MAX_LEN], ub[16], gb[16];
        int rc = resolve(fs, "stat", argv[i], follow, &ino);
        if (rc >= 0 && (rc = ext2_stat(fs, ino, &st)) < 0)
            shell_err("stat", "cannot stat '%s': %s", argv[i], ext2_strerror(rc));
        if (rc < 0) {
            status = SHELL_FAIL;
            continue;
        }
        mode_string(st.mode, mode);
        if (S_ISLNK(st.mode) && ext2_readlink(fs, ino, target, sizeof(target)) >= 0)
            printf("  File: %s -> %s\n", argv[i], target);
        else
            printf("  File: %s\n", argv[i]);
        printf("  Size: %-10llu\tBlocks: %-10llu IO Block: %-6u %s\n", (unsigned long long)st.size,
               (unsigned long long)st.blocks, sf.block_size, type_name(&st));
        printf("Device: vbd\tInode: %-11lu Links: %u\n", (unsigned long)st.ino, st.links);
        printf("Access: (%04o/%s)  Uid: (%5lu/%8s)   Gid: (%5lu/%8s)\n", st.mode & 07777, mode,
               (unsigned long)st.uid, id_name(st.uid, ub, sizeof(ub)), (unsigned long)st.gid,
               id_name(st.gid, gb, sizeof(gb)));
        stat_time("Access", st.atime);
        stat_time("Modify", st.mtime);
        stat_time("Change", st.ctime);
        printf(" Birth: -\n");
    }
    return status;
}

/* ---- df ---------------------------------------------------------------------------- */

int cmd_df(struct shell_env *env, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return shell_usage("df");
    struct ext2_fs *fs = need_fs(env, "df");
    if (!fs)
        return SHELL_FAIL;
    struct ext2_statfs sf;
    ext2_statfs(fs, &sf);

    /* coreutils: Used = total - free; Available = free - reserved (not below 0);
       Use% = Used / (Used + Available), rounded up. */
    uint64_t k = sf.block_size / 1024;
    uint64_t total = sf.blocks * k, free_k = sf.free_blocks * k;
    uint64_t used = total - free_k;
    uint64_t avail =
        sf.free_blocks > sf.reserved_blocks ? (sf.free_blocks - sf.reserved_blocks) * k : 0;
    char pct[8], name[32], t[24], u[24], a[24];
    if (used + avail == 0)
        snprintf(pct, sizeof(pct), "-");
    else
        snprintf(pct, sizeof(pct), "%llu%%",
                 (unsigned long long)((used * 100 + used + avail - 1) / (used + avail)));
    snprintf(name, sizeof(name), "%s", sf.volume_name[0] ? sf.volume_name : "vbd0");
    snprintf(t, sizeof(t), "%llu", (unsigned long long)total);
    snprintf(u, sizeof(u), "%llu", (unsigned long long)used);
    snprintf(a, sizeof(a), "%llu", (unsigned long long)avail);

    int w0 = (int)(strlen(name) > 10 ? strlen(name) : 10), w1 = 9, w2 = 4, w3 = 9;
    if ((int)strlen(t) > w1)
        w1 = (int)strlen(t);
    if ((int)strlen(u) > w2)
        w2 = (int)strlen(u);
    if ((int)strlen(a) > w3)
        w3 = (int)strlen(a);
    printf("%-*s %*s %*s %*s %4s %s\n", w0, "Filesystem", w1, "1K-blocks", w2, "Used", w3,
           "Available", "Use%", "Mounted on");
    printf("%-*s %*s %*s %*s %4s %s\n", w0, name, w1, t, w2, u, w3, a, pct, "/");
    return SHELL_OK;
}

/* ---- blkread, blkwrite ------------------------------------------------------------- */

static struct blkfront *need_disk(struct shell_env *env, const char *cmd)
{
    if (!env->bf)
        shell_err(cmd, "no disk");
    return env->bf;
}

/* Sectors @lba .. @lba + @count - 1 must lie on the disk. */
static bool in_range(const char *cmd, struct blkfront *bf, uint64_t lba, uint64_t count)
{
    uint64_t sectors = blkfront_info(bf)->sectors;

    if (lba < sectors && count <= sectors - lba)
        return true;
    shell_err(cmd, "sectors %llu-%llu are beyond the end of the disk (%llu sectors)",
              (unsigned long long)lba, (unsigned long long)(lba + count - 1),
              (unsigned long long)sectors);
    return false;
}

/* hexdump -C: offset, 16 bytes in two groups of 8, the printable characters between bars;
   a run of lines equal to the one before prints as one "*"; the end offset closes it. */
static void hexdump_c(const uint8_t *p, size_t len, uint64_t base)
{
    bool starred = false;

    for (size_t off = 0; off < len; off += 16) {
        size_t n = len - off < 16 ? len - off : 16;
        if (off > 0 && n == 16 && memcmp(p + off, p + off - 16, 16) == 0) {
            if (!starred)
                printf("*\n");
            starred = true;
            continue;
        }
        starred = false;
        printf("%08llx ", (unsigned long long)(base + off));
        for (size_t i = 0; i < 16; i++) {
            if (i == 8)
                printf(" ");
            if (i < n)
                printf(" %02x", p[off + i]);
            else
                printf("   ");
        }
        printf("  |");
        for (size_t i = 0; i < n; i++)
            putchar(p[off + i] >= 0x20 && p[off + i] < 0x7f ? p[off + i] : '.');
        printf("|\n");
    }
    printf("%08llx\n", (unsigned long long)(base + len));
}

int cmd_blkread(struct shell_env *env, int argc, char **argv)
{
    uint64_t lba, count;

    if (argc != 3)
        return shell_usage("blkread");
    if (!shell_parse_u64(argv[1], &lba)) {
        shell_err("blkread", "invalid sector number: '%s'", argv[1]);
        return SHELL_FAIL;
    }
    if (!shell_parse_u64(argv[2], &count) || count == 0 || count > BLK_MAX_SECTS) {
        shell_err("blkread", "invalid count: '%s' (1 to %d sectors)", argv[2], BLK_MAX_SECTS);
        return SHELL_FAIL;
    }
    struct blkfront *bf = need_disk(env, "blkread");
    if (!bf || !in_range("blkread", bf, lba, count))
        return SHELL_FAIL;
    uint8_t *buf = memalign(SECTOR, count * SECTOR);
    if (!buf) {
        shell_err("blkread", "%s", shell_xen_strerror(-XEN_ENOMEM));
        return SHELL_FAIL;
    }
    int rc = blkfront_rw(bf, false, lba, buf, count, false);
    if (rc < 0)
        shell_err("blkread", "reading sectors %llu-%llu: %s", (unsigned long long)lba,
                  (unsigned long long)(lba + count - 1), shell_xen_strerror(rc));
    else
        hexdump_c(buf, count * SECTOR, lba * SECTOR);
    free(buf);
    return rc < 0 ? SHELL_FAIL : SHELL_OK;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cmd_blkwrite(struct shell_env *env, int argc, char **argv)
{
    uint64_t lba;

    if (argc != 3)
        return shell_usage("blkwrite");
    if (!shell_parse_u64(argv[1], &lba)) {
        shell_err("blkwrite", "invalid sector number: '%s'", argv[1]);
        return SHELL_FAIL;
    }
    const char *hex = argv[2];
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        hex += 2;
    size_t digits_n = strlen(hex);
    bool ok = digits_n > 0 && digits_n % 2 == 0;
    for (size_t i = 0; ok && i < digits_n; i++)
        ok = hex_value(hex[i]) >= 0;
    if (!ok) {
        shell_err("blkwrite", "invalid bytes: '%s' (an even number of hex digits)", argv[2]);
        return SHELL_FAIL;
    }
    size_t len = digits_n / 2;
    uint64_t count = (len + SECTOR - 1) / SECTOR;
    struct blkfront *bf = need_disk(env, "blkwrite");
    if (!bf)
        return SHELL_FAIL;
    if (blkfront_info(bf)->read_only) {
        shell_err("blkwrite", "device is read-only");
        return SHELL_FAIL;
    }
    if (!in_range("blkwrite", bf, lba, count))
        return SHELL_FAIL;
    uint8_t *buf = memalign(SECTOR, count * SECTOR);
    if (!buf) {
        shell_err("blkwrite", "%s", shell_xen_strerror(-XEN_ENOMEM));
        return SHELL_FAIL;
    }
    /* Read-modify-write: the bytes after @len in the last sector stay as they are. */
    int rc = len % SECTOR ? blkfront_rw(bf, false, lba, buf, count, false) : 0;
    if (rc >= 0) {
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
        rc = blkfront_rw(bf, true, lba, buf, count, false);
    }
    if (rc >= 0 && blkfront_info(bf)->flush)
        rc = blkfront_flush(bf);
    free(buf);
    if (rc < 0) {
        shell_err("blkwrite", "sectors %llu-%llu: %s", (unsigned long long)lba,
                  (unsigned long long)(lba + count - 1), shell_xen_strerror(rc));
        return SHELL_FAIL;
    }
    printf("wrote %zu bytes at sector %llu (byte %llu)\n", len, (unsigned long long)lba,
           (unsigned long long)(lba * SECTOR));
    return SHELL_OK;
}

/*
 * ext2 — a read-only ext2 filesystem reader (issue 12); the API and its contract are in
 * <pvguest/ext2.h>.
 *
 * Written from the on-disk format as documented by e2fsprogs (lib/ext2fs/ext2_fs.h: the field
 * offsets and feature bits) and by Dave Poirier's "The Second Extended File System" (the
 * layout rules). Nothing read from the device is trusted: every number is range-checked
 * before it is used as a size, an index or a block/inode number, so a corrupted image gives
 * -EUCLEAN, never a crash, an overrun or a hang.
 *
 * Device access: only whole 512-byte sectors at 512-aligned offsets into 512-aligned buffers.
 * Metadata (group descriptors, inodes, indirect and directory blocks, slow symlinks) goes
 * through a small LRU block cache; file data is read in runs of physically consecutive blocks
 * (up to EXT2_RUN_BYTES per device request) into a run buffer that doubles as read-ahead for
 * small sequential reads, or straight into the caller's buffer when it is sector-aligned.
 *
 * Concurrency: the guest's threads are cooperative and the read callback may yield (blkfront
 * waits for its response). Several threads may use one mounted filesystem: no pointer into
 * the cache or the run buffer is held across a device read; a slot being filled is marked
 * busy (not matched, not evicted); when nothing is free a private buffer is used.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvguest/ext2.h>

#define SECTOR              512u
#define EXT2_SB_OFFSET      1024u   /* the superblock's byte offset on the device */
#define EXT2_SB_SIZE        1024u   /* the superblock's size */
#define EXT2_MAGIC          0xEF53u /* s_magic */
#define EXT2_ROOT_INO       2u      /* the root directory's inode */
#define EXT2_GOOD_OLD_ISIZE 128u    /* revision 0's inode size */
#define EXT2_N_BLOCKS       15u     /* i_block[]: 12 direct, single-, double-, triple-indirect */
#define EXT2_NDIR           12u
#define EXT2_DESC_SIZE      32u /* a group descriptor without the 64bit feature */
#define EXT2_NAME_MAX       255u
#define EXT2_FAST_LINK_MAX  60u /* sizeof(i_block): fast symlinks store the target there */
#define EXT2_MAX_SYMLINKS   8   /* per lookup (the header's contract) */
#define EXT2_PATH_MAX       4096u
#define EXT2_CACHE_SLOTS    32u    /* metadata cache, in blocks */
#define EXT2_RUN_BYTES      65536u /* the largest data read issued at once */

/* s_feature_incompat (ext2_fs.h, EXT2_FEATURE_INCOMPAT_* / EXT3_* / EXT4_*). */
#define INCOMPAT_COMPRESSION 0x1u
#define INCOMPAT_FILETYPE    0x2u
#define INCOMPAT_RECOVER     0x4u
#define INCOMPAT_FLEX_BG     0x200u
#define INCOMPAT_SUPPORTED   (INCOMPAT_FILETYPE | INCOMPAT_FLEX_BG)
/* s_feature_ro_compat: the ones that change what a reader sees. */
#define RO_COMPAT_LARGE_FILE 0x2u
#define RO_COMPAT_HUGE_FILE  0x8u
#define RO_COMPAT_BIGALLOC   0x200u

/* i_flags (ext2_fs.h): formats this reader does not decode. */
#define INODE_FL_HUGE_FILE   0x40000u /* i_blocks counts filesystem blocks */
#define INODE_FL_EXTENTS     0x80000u /* i_block holds an extent tree */
#define INODE_FL_INLINE_DATA 0x10000000u

/* i_mode's type bits (ext2_fs.h, the same values as POSIX's S_IF*). */
#define MODE_FMT  0xF000u
#define MODE_SOCK 0xC000u
#define MODE_LNK  0xA000u
#define MODE_REG  0x8000u
#define MODE_BLK  0x6000u
#define MODE_DIR  0x4000u
#define MODE_CHR  0x2000u
#define MODE_FIFO 0x1000u

/** An inode as this reader uses it (struct ext2_inode, decoded). */
struct inode {
    uint32_t ino;
    uint16_t mode, links;
    uint32_t uid, gid;
    uint64_t size, blocks;
    uint32_t atime, ctime, mtime, flags, file_acl;
    uint32_t block[EXT2_N_BLOCKS];
    uint8_t raw_block[EXT2_FAST_LINK_MAX]; /* i_block as bytes (fast symlinks) */
};

struct cache_slot {
    uint32_t blk;   /* valid only if 'valid' */
    uint32_t stamp; /* last use (LRU) */
    bool valid, busy;
};

struct ext2_fs {
    ext2_read_fn read;
    void *ctx;
    uint32_t bs, bs_shift; /* block size and its log2 */
    uint32_t ptrs;         /* block pointers per indirect block (bs / 4) */
    uint32_t first_data_block, blocks_count, inodes_count;
    uint32_t ipg, inode_size, ngroups;
    uint32_t meta_end; /* first block after the superblock and primary descriptors */
    uint32_t creator_os;
    bool filetype, large_file, huge_file;
    uint64_t max_file_blocks; /* 12 + p + p^2 + p^3 */
    uint32_t *itable;         /* per group: bg_inode_table */
    struct ext2_statfs sf;
    /* Metadata cache: EXT2_CACHE_SLOTS blocks in one aligned allocation. */
    uint8_t *cache_data;
    struct cache_slot slot[EXT2_CACHE_SLOTS];
    uint32_t clock;
    /* The data run buffer: blocks [run_blk, run_blk + run_n) when run_n != 0. */
    uint8_t *run_buf;
    uint32_t run_blk, run_n;
    bool run_busy;
};

static inline uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

const char *ext2_strerror(int err)
{
    if (err < 0)
        err = -err;
    if (err == EUCLEAN)
        return "Structure needs cleaning";
    return strerror(err);
}

/* A 512-aligned buffer of @n bytes (a multiple of 512). */
static void *alloc_aligned(size_t n)
{
    return memalign(SECTOR, n);
}

/* Read @n blocks from @blk into aligned @buf (the caller checked the range). */
static int dev_read_blocks(struct ext2_fs *fs, uint32_t blk, uint32_t n, void *buf)
{
    return fs->read(fs->ctx, (uint64_t)blk << fs->bs_shift, buf, (size_t)n << fs->bs_shift);
}

/**
 * Whether @blk may hold file data, a directory, an indirect block or a slow symlink: within
 * s_blocks_count and past block 0, the superblock and the primary group descriptors (ext2
 * on-disk format: s_first_data_block holds the superblock, the descriptors follow it).
 */
static bool data_block_ok(const struct ext2_fs *fs, uint32_t blk)
{
    return blk >= fs->meta_end && blk < fs->blocks_count;
}

/* Copy @len bytes at @off of metadata block @blk (already range-checked) out of the cache,
 * reading it on a miss. */
static int cache_read(struct ext2_fs *fs, uint32_t blk, uint32_t off, void *dst, uint32_t len)
{
    struct cache_slot *victim = NULL;
    uint8_t *data, *tmp;
    unsigned int i;
    int err;

    for (i = 0; i < EXT2_CACHE_SLOTS; i++) {
        struct cache_slot *s = &fs->slot[i];

        if (s->valid && !s->busy && s->blk == blk) {
            s->stamp = ++fs->clock;
            memcpy(dst, fs->cache_data + ((size_t)i << fs->bs_shift) + off, len);
            return 0;
        }
        /* The victim: a free slot if any, else the least recently used idle one. */
        if (s->busy || (victim && !victim->valid))
            continue;
        if (!victim || !s->valid || s->stamp < victim->stamp)
            victim = s;
    }
    if (!victim) {
        /* Every slot is being filled by another thread: read privately. */
        tmp = alloc_aligned(fs->bs);
        if (!tmp)
            return -ENOMEM;
        err = dev_read_blocks(fs, blk, 1, tmp);
        if (!err)
            memcpy(dst, tmp + off, len);
        free(tmp);
        return err;
    }
    i = (unsigned int)(victim - fs->slot);
    data = fs->cache_data + ((size_t)i << fs->bs_shift);
    victim->valid = false;
    victim->busy = true;
    err = dev_read_blocks(fs, blk, 1, data);
    victim->busy = false;
    if (err)
        return err;
    victim->blk = blk;
    victim->valid = true;
    victim->stamp = ++fs->clock;
    memcpy(dst, data + off, len);
    return 0;
}

/* ---- mount ---------------------------------------------------------------------------- */

/* Names of s_feature_incompat bits (ext2_fs.h). */
static const char *const incompat_names[32] = {
    [0] = "compression", [1] = "filetype",     [2] = "needs_recovery", [3] = "journal_dev",
    [4] = "meta_bg",     [6] = "extents",      [7] = "64bit",          [8] = "mmp",
    [9] = "flex_bg",     [10] = "ea_inode",    [12] = "dirdata",       [13] = "metadata_csum_seed",
    [14] = "large_dir",  [15] = "inline_data", [16] = "encrypt",       [17] = "casefold",
};

/* Names of s_feature_compat and s_feature_ro_compat bits (ext2_fs.h; e2fsprogs' names). */
static const char *const compat_names[32] = {
    [0] = "dir_prealloc", [1] = "imagic_inodes",  [2] = "has_journal",  [3] = "ext_attr",
    [4] = "resize_inode", [5] = "dir_index",      [6] = "lazy_bg",      [9] = "sparse_super2",
    [10] = "fast_commit", [11] = "stable_inodes", [12] = "orphan_file",
};
static const char *const ro_compat_names[32] = {
    [0] = "sparse_super", [1] = "large_file",      [2] = "btree_dir",   [3] = "huge_file",
    [4] = "uninit_bg",    [5] = "dir_nlink",       [6] = "extra_isize", [8] = "quota",
    [9] = "bigalloc",     [10] = "metadata_csum",  [12] = "read-only",  [13] = "project",
    [15] = "verity",      [16] = "orphan_present",
};

#define WHY(...) (why_size ? (void)snprintf(why, why_size, __VA_ARGS__) : (void)0)

/* Append " @text" to @buf (NUL-terminated, @size bytes) as far as it fits. */
static void append(char *buf, size_t size, const char *text)
{
    size_t n = strlen(buf);

    if (n + 1 < size)
        snprintf(buf + n, size - n, " %s", text);
}

/* The mount line: "ext2 rev 1, 1024-byte blocks, 4096 blocks, 1024 inodes, features: ...",
 * every feature bit by name (e2fsprogs' names), unknown ones as kind:0xBIT. */
static void describe(const struct ext2_fs *fs, uint32_t compat, uint32_t incompat,
                     uint32_t ro_compat, char *why, size_t why_size)
{
    static const struct {
        const char *kind;
        const char *const *names;
    } kinds[3] = {
        {"compat", compat_names}, {"incompat", incompat_names}, {"ro_compat", ro_compat_names}};
    uint32_t bits[3] = {compat, incompat, ro_compat};
    char unknown[24];
    unsigned int k, b;
    bool any = false;

    WHY("ext2 rev %u, %u-byte blocks, %u blocks, %u inodes, features:", fs->sf.revision, fs->bs,
        fs->blocks_count, fs->inodes_count);
    for (k = 0; k < 3; k++)
        for (b = 0; b < 32; b++) {
            if (!(bits[k] & (1u << b)))
                continue;
            any = true;
            if (kinds[k].names[b]) {
                append(why, why_size, kinds[k].names[b]);
            } else {
                snprintf(unknown, sizeof(unknown), "%s:0x%x", kinds[k].kind, 1u << b);
                append(why, why_size, unknown);
            }
        }
    if (!any)
        append(why, why_size, "(none)");
}

/**
 * Refuse what this reader cannot read correctly (ext2 on-disk format, s_feature_incompat:
 * a reader must not mount a filesystem with an incompatible feature it does not know;
 * RECOVER means the journal holds updates not yet written to their place). Read-only
 * compatible features are harmless to a reader except bigalloc, whose cluster allocation
 * this reader does not model.
 */
static int check_features(uint32_t incompat, uint32_t ro_compat, char *why, size_t why_size)
{
    uint32_t bad = incompat & ~INCOMPAT_SUPPORTED;
    unsigned int bit;

    if (bad) {
        for (bit = 0; !(bad & (1u << bit)); bit++)
            ;
        if (bit == 2)
            WHY("journal needs recovery (incompat 0x4)");
        else if (incompat_names[bit])
            WHY("unsupported feature: %s (incompat 0x%x)", incompat_names[bit], 1u << bit);
        else
            WHY("unsupported feature: unknown (incompat 0x%x)", 1u << bit);
        if ((bad & ~(1u << bit)) && why_size) {
            size_t n = strlen(why);

            snprintf(why + n, why_size - n, "; all unsupported incompat 0x%x", bad);
        }
        return -ENOTSUP;
    }
    if (ro_compat & RO_COMPAT_BIGALLOC) {
        WHY("unsupported feature: bigalloc (ro_compat 0x%x)", RO_COMPAT_BIGALLOC);
        return -ENOTSUP;
    }
    return 0;
}

/* Read and check the group descriptors (ext2 on-disk format: struct ext2_group_desc, 32
 * bytes each, in the blocks after s_first_data_block); keep each group's inode table. */
static int load_groups(struct ext2_fs *fs, uint32_t gdt_blocks, char *why, size_t why_size)
{
    uint32_t itb = (uint32_t)(((uint64_t)fs->ipg * fs->inode_size + fs->bs - 1) >> fs->bs_shift);
    uint32_t per_run = EXT2_RUN_BYTES >> fs->bs_shift;
    uint32_t done = 0, g = 0;
    uint8_t *buf;
    int err = 0;

    fs->itable = malloc((size_t)fs->ngroups * sizeof(*fs->itable));
    buf = alloc_aligned(EXT2_RUN_BYTES);
    if (!fs->itable || !buf) {
        free(buf);
        WHY("out of memory");
        return -ENOMEM;
    }
    while (done < gdt_blocks && !err) {
        uint32_t n = gdt_blocks - done < per_run ? gdt_blocks - done : per_run;
        uint32_t per_blk = fs->bs / EXT2_DESC_SIZE, i;

        err = dev_read_blocks(fs, fs->first_data_block + 1 + done, n, buf);
        if (err) {
            WHY("reading the group descriptors: %s", ext2_strerror(err));
            break;
        }
        for (i = 0; i < n * per_blk && g < fs->ngroups; i++, g++) {
            const uint8_t *d = buf + (size_t)i * EXT2_DESC_SIZE;
            uint32_t bbm = le32(d), ibm = le32(d + 4), it = le32(d + 8);

            if (!data_block_ok(fs, bbm) || !data_block_ok(fs, ibm) || !data_block_ok(fs, it) ||
                (uint64_t)it + itb > fs->blocks_count) {
                WHY("group %u: descriptor out of range (bitmaps %u, %u, inode table %u+%u of "
                    "%u blocks)",
                    g, bbm, ibm, it, itb, fs->blocks_count);
                err = -EUCLEAN;
                break;
            }
            fs->itable[g] = it;
        }
        done += n;
    }
    free(buf);
    return err;
}

static int read_inode(struct ext2_fs *fs, uint32_t ino, struct inode *in);

int ext2_mount(ext2_read_fn read, void *ctx, uint64_t dev_bytes, struct ext2_fs **out, char *why,
               size_t why_size)
{
    uint32_t log_bs, rev, bpg, gdt_blocks, compat = 0, incompat = 0, ro_compat = 0, magic;
    struct ext2_fs *fs;
    struct inode root;
    uint8_t *sb;
    int err;

    if (why_size)
        why[0] = '\0';
    if (!read || !out) {
        WHY("bad arguments");
        return -EINVAL;
    }
    *out = NULL;
    if (dev_bytes < EXT2_SB_OFFSET + EXT2_SB_SIZE) {
        WHY("device of %llu bytes too small for ext2", (unsigned long long)dev_bytes);
        return -EINVAL;
    }
    fs = calloc(1, sizeof(*fs));
    sb = alloc_aligned(EXT2_SB_SIZE);
    if (!fs || !sb) {
        free(fs);
        free(sb);
        WHY("out of memory");
        return -ENOMEM;
    }
    fs->read = read;
    fs->ctx = ctx;
    err = read(ctx, EXT2_SB_OFFSET, sb, EXT2_SB_SIZE);
    if (err) {
        WHY("reading the superblock: %s", ext2_strerror(err));
        goto fail;
    }
    /* struct ext2_super_block: the field offsets below are its layout. */
    magic = le16(sb + 56);
    if (magic != EXT2_MAGIC) {
        WHY("bad magic 0x%04x (not ext2)", magic);
        err = -EINVAL;
        goto fail;
    }
    err = -EUCLEAN;
    rev = le32(sb + 76);
    if (rev > 1) {
        WHY("unsupported revision %u", rev);
        err = -ENOTSUP;
        goto fail;
    }
    log_bs = le32(sb + 24);
    if (log_bs > 2) {
        WHY("unsupported block size: s_log_block_size %u (1, 2 or 4 KiB only)", log_bs);
        err = log_bs <= 6 ? -ENOTSUP : -EUCLEAN;
        goto fail;
    }
    fs->bs_shift = 10 + log_bs;
    fs->bs = 1u << fs->bs_shift;
    fs->ptrs = fs->bs / 4;
    fs->inodes_count = le32(sb + 0);
    fs->blocks_count = le32(sb + 4);
    fs->first_data_block = le32(sb + 20);
    bpg = le32(sb + 32);
    fs->ipg = le32(sb + 40);
    fs->creator_os = le32(sb + 72);
    if (rev >= 1) {
        compat = le32(sb + 92);
        incompat = le32(sb + 96);
        ro_compat = le32(sb + 100);
        fs->inode_size = le16(sb + 88);
    } else {
        fs->inode_size = EXT2_GOOD_OLD_ISIZE;
    }
    err = check_features(incompat, ro_compat, why, why_size);
    if (err)
        goto fail;
    err = -EUCLEAN;
    fs->filetype = incompat & INCOMPAT_FILETYPE;
    fs->large_file = rev >= 1; /* i_size_high is read on revision 1 (header contract) */
    fs->huge_file = ro_compat & RO_COMPAT_HUGE_FILE;
    /* s_first_data_block is 1 with 1 KiB blocks (the superblock is block 1), else 0. */
    if (fs->first_data_block != (fs->bs == 1024 ? 1u : 0u)) {
        WHY("bad s_first_data_block %u for %u-byte blocks", fs->first_data_block, fs->bs);
        goto fail;
    }
    if (bpg == 0 || bpg > 8 * fs->bs || fs->ipg == 0 || fs->ipg > 8 * fs->bs) {
        WHY("bad group geometry: %u blocks, %u inodes per group (1..%u)", bpg, fs->ipg, 8 * fs->bs);
        goto fail;
    }
    if (rev >= 1 && (fs->inode_size < EXT2_GOOD_OLD_ISIZE || fs->inode_size > fs->bs ||
                     (fs->inode_size & (fs->inode_size - 1)))) {
        WHY("bad inode size %u", fs->inode_size);
        goto fail;
    }
    if (fs->blocks_count <= fs->first_data_block + 1) {
        WHY("bad block count %u", fs->blocks_count);
        goto fail;
    }
    if ((uint64_t)fs->blocks_count << fs->bs_shift > dev_bytes) {
        WHY("filesystem of %llu bytes larger than the device (%llu bytes)",
            (unsigned long long)fs->blocks_count << fs->bs_shift, (unsigned long long)dev_bytes);
        goto fail;
    }
    fs->ngroups = (fs->blocks_count - fs->first_data_block + bpg - 1) / bpg;
    if ((uint64_t)fs->ngroups * fs->ipg != fs->inodes_count || fs->inodes_count < EXT2_ROOT_INO) {
        WHY("inode count %u inconsistent with %u groups of %u inodes", fs->inodes_count,
            fs->ngroups, fs->ipg);
        goto fail;
    }
    gdt_blocks = (uint32_t)(((uint64_t)fs->ngroups * EXT2_DESC_SIZE + fs->bs - 1) >> fs->bs_shift);
    fs->meta_end = fs->first_data_block + 1 + gdt_blocks;
    if (fs->meta_end >= fs->blocks_count) {
        WHY("group descriptors (%u blocks) beyond the filesystem", gdt_blocks);
        goto fail;
    }
    fs->max_file_blocks = EXT2_NDIR + (uint64_t)fs->ptrs + (uint64_t)fs->ptrs * fs->ptrs +
                          (uint64_t)fs->ptrs * fs->ptrs * fs->ptrs;

    fs->sf.block_size = fs->bs;
    fs->sf.blocks = fs->blocks_count;
    fs->sf.free_blocks = le32(sb + 12);
    fs->sf.reserved_blocks = le32(sb + 8);
    fs->sf.inodes = fs->inodes_count;
    fs->sf.free_inodes = le32(sb + 16);
    fs->sf.revision = rev;
    if (rev >= 1)
        memcpy(fs->sf.volume_name, sb + 120, 16);
    fs->sf.volume_name[16] = '\0';

    fs->cache_data = alloc_aligned((size_t)EXT2_CACHE_SLOTS << fs->bs_shift);
    fs->run_buf = alloc_aligned(EXT2_RUN_BYTES);
    if (!fs->cache_data || !fs->run_buf) {
        WHY("out of memory");
        err = -ENOMEM;
        goto fail;
    }
    err = load_groups(fs, gdt_blocks, why, why_size);
    if (err)
        goto fail;
    err = read_inode(fs, EXT2_ROOT_INO, &root);
    if (!err && (root.mode & MODE_FMT) != MODE_DIR)
        err = -EUCLEAN;
    if (err) {
        WHY("root directory (inode 2): %s", err == -EUCLEAN ? "corrupted" : ext2_strerror(err));
        goto fail;
    }
    describe(fs, compat, incompat, ro_compat, why, why_size);
    free(sb);
    *out = fs;
    return 0;

fail:
    free(sb);
    ext2_unmount(fs);
    return err;
}

void ext2_unmount(struct ext2_fs *fs)
{
    if (!fs)
        return;
    free(fs->itable);
    free(fs->cache_data);
    free(fs->run_buf);
    free(fs);
}

void ext2_statfs(const struct ext2_fs *fs, struct ext2_statfs *sf)
{
    *sf = fs->sf;
}

/* ---- inodes and block maps ------------------------------------------------------------ */

static bool mode_type_ok(uint16_t mode)
{
    switch (mode & MODE_FMT) {
    case MODE_SOCK:
    case MODE_LNK:
    case MODE_REG:
    case MODE_BLK:
    case MODE_DIR:
    case MODE_CHR:
    case MODE_FIFO:
        return true;
    default:
        return false;
    }
}

/**
 * Read and decode inode @ino (ext2 on-disk format: inode n is entry (n - 1) % s_inodes_per_group
 * of group (n - 1) / s_inodes_per_group's table, s_inode_size bytes each). -EUCLEAN if @ino is
 * outside 1..s_inodes_count, the inode is not in use (no valid type), uses extents or inline
 * data (features refused at mount), or is larger than its block map can address.
 */
static int read_inode(struct ext2_fs *fs, uint32_t ino, struct inode *in)
{
    uint8_t raw[EXT2_GOOD_OLD_ISIZE];
    uint32_t g, idx, i;
    uint64_t off;
    int err;

    if (ino < 1 || ino > fs->inodes_count)
        return -EUCLEAN;
    g = (ino - 1) / fs->ipg;
    idx = (ino - 1) % fs->ipg;
    off = (uint64_t)idx * fs->inode_size;
    /* inode_size is a power of two <= bs, so an inode never straddles two blocks. */
    err = cache_read(fs, fs->itable[g] + (uint32_t)(off >> fs->bs_shift),
                     (uint32_t)(off & (fs->bs - 1)), raw, sizeof(raw));
    if (err)
        return err;
    memset(in, 0, sizeof(*in));
    in->ino = ino;
    in->mode = le16(raw + 0);
    in->uid = le16(raw + 2);
    in->size = le32(raw + 4);
    in->atime = le32(raw + 8);
    in->ctime = le32(raw + 12);
    in->mtime = le32(raw + 16);
    in->gid = le16(raw + 24);
    in->links = le16(raw + 26);
    in->blocks = le32(raw + 28);
    in->flags = le32(raw + 32);
    for (i = 0; i < EXT2_N_BLOCKS; i++)
        in->block[i] = le32(raw + 40 + 4 * i);
    memcpy(in->raw_block, raw + 40, sizeof(in->raw_block));
    in->file_acl = le32(raw + 104);
    if ((in->mode & MODE_FMT) == MODE_REG && fs->large_file)
        in->size |= (uint64_t)le32(raw + 108) << 32; /* i_size_high */
    if (fs->creator_os == 0) {                       /* Linux's osd2: the high halves */
        in->uid |= (uint32_t)le16(raw + 120) << 16;
        in->gid |= (uint32_t)le16(raw + 122) << 16;
        if (fs->huge_file) {
            in->blocks |= (uint64_t)le16(raw + 116) << 32;
            if (in->flags & INODE_FL_HUGE_FILE)
                in->blocks <<= fs->bs_shift - 9;
        }
    }
    if (!mode_type_ok(in->mode) || (in->flags & (INODE_FL_EXTENTS | INODE_FL_INLINE_DATA)))
        return -EUCLEAN;
    if ((in->size + fs->bs - 1) >> fs->bs_shift > fs->max_file_blocks)
        return -EUCLEAN;
    return 0;
}

/* Blocks the file's size covers: block indexes at or beyond it are never followed. */
static uint64_t file_blocks(const struct ext2_fs *fs, const struct inode *in)
{
    return (in->size + fs->bs - 1) >> fs->bs_shift;
}

/**
 * Map logical block @lblk of @in to a physical block in *@pblk (0: a hole). Ext2 on-disk
 * format: i_block[0..11] direct, [12] single-, [13] double-, [14] triple-indirect, each
 * indirect block holding bs / 4 little-endian block numbers. Every block number is checked;
 * one that repeats a block of its own path (an indirect block naming itself or an ancestor)
 * is a loop: -EUCLEAN.
 */
static int bmap(struct ext2_fs *fs, const struct inode *in, uint64_t lblk, uint32_t *pblk)
{
    uint64_t p = fs->ptrs, idx[3];
    uint32_t path[3], blk;
    unsigned int depth, d, k;
    uint8_t le[4];
    int err;

    if (lblk < EXT2_NDIR) {
        depth = 0;
        blk = in->block[lblk];
    } else if ((lblk -= EXT2_NDIR) < p) {
        depth = 1;
        blk = in->block[12];
        idx[0] = lblk;
    } else if ((lblk -= p) < p * p) {
        depth = 2;
        blk = in->block[13];
        idx[0] = lblk / p;
        idx[1] = lblk % p;
    } else if ((lblk -= p * p) < p * p * p) {
        depth = 3;
        blk = in->block[14];
        idx[0] = lblk / (p * p);
        idx[1] = (lblk / p) % p;
        idx[2] = lblk % p;
    } else {
        return -EUCLEAN;
    }
    for (d = 0;; d++) {
        if (blk == 0) {
            *pblk = 0;
            return 0;
        }
        if (!data_block_ok(fs, blk))
            return -EUCLEAN;
        for (k = 0; k < d; k++)
            if (path[k] == blk)
                return -EUCLEAN;
        if (d == depth)
            break;
        path[d] = blk;
        err = cache_read(fs, blk, (uint32_t)idx[d] * 4, le, 4);
        if (err)
            return err;
        blk = le32(le);
    }
    *pblk = blk;
    return 0;
}

int ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st)
{
    struct inode in;
    int err = read_inode(fs, ino, &in);

    if (err)
        return err;
    memset(st, 0, sizeof(*st));
    st->ino = ino;
    st->mode = in.mode;
    st->links = in.links;
    st->uid = in.uid;
    st->gid = in.gid;
    st->size = in.size;
    st->blocks = in.blocks;
    st->atime = in.atime;
    st->mtime = in.mtime;
    st->ctime = in.ctime;
    return 0;
}

/* ---- file data ------------------------------------------------------------------------ */

/* Copy @len bytes at byte @off of block @pblk if the run buffer holds it; true if it did. */
static bool run_copy(struct ext2_fs *fs, uint32_t pblk, uint32_t off, uint8_t *dst, size_t len)
{
    if (fs->run_busy || fs->run_n == 0 || pblk < fs->run_blk || pblk - fs->run_blk >= fs->run_n)
        return false;
    memcpy(dst, fs->run_buf + ((size_t)(pblk - fs->run_blk) << fs->bs_shift) + off, len);
    return true;
}

/* Read regular file data. See the header; the work is bounded by the request and the file's
 * size, whatever the block map says. */
static ssize_t read_data(struct ext2_fs *fs, const struct inode *in, uint64_t offset, uint8_t *dst,
                         size_t len)
{
    uint64_t nblocks = file_blocks(fs, in), pos = offset, end;
    uint32_t max_run = EXT2_RUN_BYTES >> fs->bs_shift;
    int err;

    if (offset >= in->size || len == 0)
        return 0;
    if (len > ((size_t)-1 >> 1)) /* the count must fit in ssize_t */
        len = (size_t)-1 >> 1;
    end = in->size - offset < len ? in->size : offset + len;
    while (pos < end) {
        uint64_t lblk = pos >> fs->bs_shift;
        uint32_t boff = (uint32_t)(pos & (fs->bs - 1)), pblk, n, next;
        size_t chunk = fs->bs - boff;
        uint8_t *out = dst + (pos - offset), *buf;

        if (chunk > end - pos)
            chunk = (size_t)(end - pos);
        err = bmap(fs, in, lblk, &pblk);
        if (err)
            return err;
        if (pblk == 0) {
            memset(out, 0, chunk);
            pos += chunk;
            continue;
        }
        if (run_copy(fs, pblk, boff, out, chunk)) {
            pos += chunk;
            continue;
        }
        /* A run of physically consecutive blocks from lblk, up to the end of the file (the
         * part beyond the request is read-ahead for the next small read). */
        for (n = 1; n < max_run && lblk + n < nblocks; n++)
            if (bmap(fs, in, lblk + n, &next) || next != (uint64_t)pblk + n)
                break;
        if (boff == 0 && ((uintptr_t)out & (SECTOR - 1)) == 0 && end - pos >= fs->bs) {
            /* Whole blocks into a sector-aligned caller buffer: no copy. */
            if (n > (end - pos) >> fs->bs_shift)
                n = (uint32_t)((end - pos) >> fs->bs_shift);
            err = dev_read_blocks(fs, pblk, n, out);
            if (err)
                return err;
            pos += (uint64_t)n << fs->bs_shift;
            continue;
        }
        if (!fs->run_busy) {
            fs->run_busy = true;
            fs->run_n = 0;
            buf = fs->run_buf;
        } else {
            buf = alloc_aligned(EXT2_RUN_BYTES);
            if (!buf)
                return -ENOMEM;
        }
        err = dev_read_blocks(fs, pblk, n, buf);
        if (!err) {
            /* Everything of the run the request covers. */
            uint64_t take = ((uint64_t)n << fs->bs_shift) - boff;

            if (take > end - pos)
                take = end - pos;
            memcpy(out, buf + boff, (size_t)take);
            pos += take;
        }
        if (buf == fs->run_buf) {
            fs->run_busy = false;
            if (!err) {
                fs->run_blk = pblk;
                fs->run_n = n;
            }
        } else {
            free(buf);
        }
        if (err)
            return err;
    }
    return (ssize_t)(end - offset);
}

ssize_t ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t offset, void *buf, size_t len)
{
    struct inode in;
    int err = read_inode(fs, ino, &in);

    if (err)
        return err;
    if ((in.mode & MODE_FMT) == MODE_DIR)
        return -EISDIR;
    if ((in.mode & MODE_FMT) != MODE_REG)
        return -EINVAL;
    return read_data(fs, &in, offset, buf, len);
}

/* ---- symlinks ------------------------------------------------------------------------- */

/**
 * The target of symlink @in into @buf (@size bytes, NUL-terminated). Ext2 on-disk format: a
 * fast symlink (no data blocks besides an extended-attribute block) keeps its target, shorter
 * than 60 bytes, in i_block; a slow one in its first data block (so shorter than a block).
 */
static int symlink_target(struct ext2_fs *fs, const struct inode *in, char *buf, size_t size)
{
    uint64_t ea_sectors = in->file_acl ? fs->bs / 512 : 0;
    uint32_t pblk, len;
    int err;

    if (in->size == 0 || in->size >= fs->bs || in->size >= EXT2_PATH_MAX)
        return -EUCLEAN;
    len = (uint32_t)in->size;
    if (len + 1 > size)
        return -ENAMETOOLONG;
    if (in->blocks == ea_sectors) {
        if (len >= EXT2_FAST_LINK_MAX)
            return -EUCLEAN;
        memcpy(buf, in->raw_block, len);
    } else {
        err = bmap(fs, in, 0, &pblk);
        if (err)
            return err;
        if (pblk == 0)
            return -EUCLEAN;
        err = cache_read(fs, pblk, 0, buf, len);
        if (err)
            return err;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) /* a NUL inside the target */
        return -EUCLEAN;
    return (int)len;
}

int ext2_readlink(struct ext2_fs *fs, uint32_t ino, char *buf, size_t size)
{
    struct inode in;
    int err = read_inode(fs, ino, &in);

    if (err)
        return err;
    if ((in.mode & MODE_FMT) != MODE_LNK)
        return -EINVAL;
    return symlink_target(fs, &in, buf, size);
}

/* ---- directories ---------------------------------------------------------------------- */

/**
 * Walk directory @dir's entries in on-disk order, calling @fn until it returns non-zero.
 * Ext2 on-disk format (struct ext2_dir_entry_2): inode u32, rec_len u16, name_len u8 and
 * file_type u8 with the filetype feature (name_len u16 without it), then the name; entries
 * tile each block exactly; inode 0 marks an unused entry. Checked: rec_len >= 8, a multiple
 * of 4, within the block; name_len <= rec_len - 8 and non-zero; inode <= s_inodes_count.
 * The directory's size is a multiple of the block size and holes are corruption. Each block
 * is copied out of the cache first, so @fn may call back into the filesystem.
 */
static int dir_walk(struct ext2_fs *fs, const struct inode *dir,
                    int (*fn)(void *arg, const struct ext2_dirent *de), void *arg)
{
    uint64_t nblocks = file_blocks(fs, dir), lblk;
    char name[EXT2_NAME_MAX + 1];
    struct ext2_dirent de;
    uint8_t *blk;
    int ret = 0;

    if ((dir->size & (fs->bs - 1)) || nblocks == 0 || nblocks > fs->blocks_count)
        return -EUCLEAN;
    blk = malloc(fs->bs);
    if (!blk)
        return -ENOMEM;
    for (lblk = 0; lblk < nblocks && !ret; lblk++) {
        uint32_t pblk, off = 0;

        ret = bmap(fs, dir, lblk, &pblk);
        if (!ret && pblk == 0)
            ret = -EUCLEAN;
        if (!ret)
            ret = cache_read(fs, pblk, 0, blk, fs->bs);
        while (!ret && off < fs->bs) {
            const uint8_t *e = blk + off;
            uint32_t ino, rec_len, name_len;

            if (fs->bs - off < 8) {
                ret = -EUCLEAN;
                break;
            }
            ino = le32(e);
            rec_len = le16(e + 4);
            name_len = fs->filetype ? e[6] : le16(e + 6);
            if (rec_len < 8 || (rec_len & 3) || rec_len > fs->bs - off || name_len > rec_len - 8 ||
                ino > fs->inodes_count || (ino && (name_len == 0 || name_len > EXT2_NAME_MAX))) {
                ret = -EUCLEAN;
                break;
            }
            if (ino) {
                memcpy(name, e + 8, name_len);
                name[name_len] = '\0';
                de.ino = ino;
                de.file_type = fs->filetype ? e[7] : 0;
                de.name = name;
                ret = fn(arg, &de);
            }
            off += rec_len;
        }
    }
    free(blk);
    return ret;
}

int ext2_readdir(struct ext2_fs *fs, uint32_t ino,
                 int (*fn)(void *arg, const struct ext2_dirent *de), void *arg)
{
    struct inode in;
    int err = read_inode(fs, ino, &in);

    if (err)
        return err;
    if ((in.mode & MODE_FMT) != MODE_DIR)
        return -ENOTDIR;
    return dir_walk(fs, &in, fn, arg);
}

struct find {
    const char *name;
    size_t len;
    uint32_t ino;
};

static int find_cb(void *arg, const struct ext2_dirent *de)
{
    struct find *f = arg;

    if (strlen(de->name) == f->len && memcmp(de->name, f->name, f->len) == 0) {
        f->ino = de->ino;
        return 1;
    }
    return 0;
}

/* ---- path lookup ---------------------------------------------------------------------- */

int ext2_lookup(struct ext2_fs *fs, const char *path, bool follow, uint32_t *ino)
{
    uint32_t cur = EXT2_ROOT_INO;
    char *work, *p, *target = NULL;
    int links = 0, err = 0;
    size_t plen;

    if (!path || path[0] != '/')
        return -EINVAL;
    plen = strlen(path);
    if (plen >= EXT2_PATH_MAX)
        return -ENAMETOOLONG;
    work = malloc(EXT2_PATH_MAX);
    target = malloc(EXT2_PATH_MAX);
    if (!work || !target) {
        free(work);
        free(target);
        return -ENOMEM;
    }
    memcpy(work, path, plen + 1);
    p = work;
    for (;;) {
        struct inode dir, in;
        struct find f;
        bool last, slash;
        size_t n;

        while (*p == '/')
            p++;
        if (*p == '\0')
            break; /* cur is the answer ("/", or a trailing slash after a directory) */
        f.name = p;
        f.len = strcspn(p, "/");
        p += f.len;
        slash = *p == '/';
        while (*p == '/')
            p++;
        last = *p == '\0';
        if (f.len > EXT2_NAME_MAX) {
            err = -ENAMETOOLONG;
            break;
        }
        err = read_inode(fs, cur, &dir);
        if (err)
            break;
        if ((dir.mode & MODE_FMT) != MODE_DIR) {
            err = -ENOTDIR;
            break;
        }
        f.ino = 0;
        err = dir_walk(fs, &dir, find_cb, &f);
        if (err < 0)
            break;
        if (err == 0) {
            err = -ENOENT;
            break;
        }
        err = read_inode(fs, f.ino, &in);
        if (err)
            break;
        if ((in.mode & MODE_FMT) == MODE_LNK && (!last || follow || slash)) {
            /* Splice the target in front of the rest of the path; an absolute target
             * restarts at the root, a relative one in the link's directory. */
            if (++links > EXT2_MAX_SYMLINKS) {
                err = -ELOOP;
                break;
            }
            err = symlink_target(fs, &in, target, EXT2_PATH_MAX);
            if (err < 0)
                break;
            n = (size_t)err;
            err = 0;
            if (n + 1 + strlen(p) + 1 > EXT2_PATH_MAX) {
                err = -ENAMETOOLONG;
                break;
            }
            /* Rebuild work as target "/" rest (slash keeps a trailing slash's meaning). */
            memmove(work + n + 1, p, strlen(p) + 1);
            memcpy(work, target, n);
            work[n] = slash ? '/' : '\0';
            p = work;
            if (target[0] == '/')
                cur = EXT2_ROOT_INO;
            continue;
        }
        if (slash && (in.mode & MODE_FMT) != MODE_DIR) {
            err = -ENOTDIR;
            break;
        }
        cur = f.ino;
    }
    free(work);
    free(target);
    if (err)
        return err;
    *ino = cur;
    return 0;
}

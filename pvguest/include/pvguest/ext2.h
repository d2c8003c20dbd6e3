/*
 * ext2 — a read-only ext2 filesystem reader (issue 12; docs/running.md). Portable C: no
 * guest-only calls, only malloc/free and string functions, so tests/unit/test_ext2.c runs it
 * on the host over images made by mke2fs.
 *
 * Layout facts come from the ext2 on-disk format (e2fsprogs lib/ext2fs/ext2_fs.h, "The
 * Second Extended File System" by Dave Poirier): superblock at byte 1024, block group
 * descriptors in the block after it, inodes in per-group tables, 12 direct block pointers,
 * then single-, double- and triple-indirect.
 *
 * Supported: revisions 0 and 1; block sizes 1, 2 and 4 KiB; direct and indirect blocks of
 * every level; directories of any size (linear, the htree index is ignored as ext2 allows);
 * symlinks (fast, in the inode, and slow, in a block); sparse files (holes read as zeros).
 * Refused at mount, with a message naming it: every incompatible feature other than
 * filetype and flex_bg (which only moves metadata the group descriptors point to), e.g.
 * compression, a journal needing recovery, a journal device, meta_bg, extents, 64bit.
 * Compatible and read-only-compatible features do not matter to a reader, except bigalloc
 * (clusters of blocks), also refused; ext2_mount() lists every feature by name on success.
 * A clean ext3 filesystem (has_journal without needs_recovery) reads as ext2.
 *
 * Errors are negated errno values (<errno.h>): -ENOENT, -ENOTDIR, -EISDIR, -ELOOP,
 * -ENAMETOOLONG, -EINVAL (bad argument), -EIO (the device failed), -EUCLEAN (corrupted:
 * a number out of range, an entry overrunning its block, a loop), -ENOTSUP (unsupported
 * feature), -ENOMEM.
 */
#ifndef PVGUEST_EXT2_H
#define PVGUEST_EXT2_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * The device under the filesystem: read @len bytes at byte @offset into @buf. The reader
 * only asks for whole 512-byte sectors: @offset and @len are multiples of 512 and @buf is
 * 512-byte aligned (so blkfront_rw can take it as is). Returns 0 or a negated errno.
 */
typedef int (*ext2_read_fn)(void *ctx, uint64_t offset, void *buf, size_t len);

/* Linux's "Structure needs cleaning" (its EFSCORRUPTED); newlib has no such errno. */
#ifndef EUCLEAN
#define EUCLEAN 117
#endif

struct ext2_fs;

/** The text for a negated or positive errno this module returns ("Structure needs
 *  cleaning" for EUCLEAN, strerror()'s otherwise). */
const char *ext2_strerror(int err);

/** An inode's metadata (struct ext2_inode, decoded). */
struct ext2_stat {
    uint32_t ino;
    uint16_t mode;   /* i_mode: S_IFMT type bits | permission bits */
    uint16_t links;  /* i_links_count */
    uint32_t uid, gid;
    uint64_t size;   /* bytes (i_size, plus i_size_high for regular files on revision 1) */
    uint64_t blocks; /* i_blocks: 512-byte units allocated */
    uint32_t atime, mtime, ctime; /* seconds since the epoch */
};

/** The filesystem as a whole (df). */
struct ext2_statfs {
    uint32_t block_size;        /* bytes: 1024, 2048 or 4096 */
    uint64_t blocks, free_blocks;
    uint64_t reserved_blocks;   /* s_r_blocks_count */
    uint64_t inodes, free_inodes;
    uint32_t revision;          /* 0 or 1 */
    char volume_name[17];       /* NUL-terminated */
};

/** One directory entry, as ext2_readdir() hands it over (name NUL-terminated). */
struct ext2_dirent {
    uint32_t ino;
    uint8_t file_type; /* EXT2_FT_*: 1 regular, 2 directory, 7 symlink, ...; 0 if unknown */
    const char *name;
};

/**
 * Mount the filesystem on a device of @dev_bytes bytes read through @read(@ctx, ...).
 * Checks the superblock (magic, sizes, counts against @dev_bytes, features) and the group
 * descriptors. On failure returns a negated errno and writes a one-line reason to @why
 * (@why_size bytes, may be 0), e.g. "unsupported feature: extents (incompat 0x40)" or
 * "bad magic 0x0000 (not ext2)". On success *@out is the mounted filesystem and @why holds
 * the mount line, e.g. "ext2 rev 1, 1024-byte blocks, 65536 blocks, 16384 inodes, features:
 * ext_attr resize_inode dir_index filetype sparse_super large_file".
 * Errors: -EINVAL for a device too small or without the ext2 magic, -ENOTSUP for an
 * unsupported revision, block size (8 to 64 KiB) or feature, -EUCLEAN for an inconsistent
 * superblock or group descriptor (also a filesystem larger than @dev_bytes), -EIO/-ENOMEM.
 */
int ext2_mount(ext2_read_fn read, void *ctx, uint64_t dev_bytes, struct ext2_fs **out,
               char *why, size_t why_size);

/** Release everything ext2_mount() allocated. */
void ext2_unmount(struct ext2_fs *fs);

/**
 * Resolve absolute @path ("/", "/a/b", repeated and trailing slashes allowed; "." and ".."
 * as stored in the directories) to an inode number. Symlinks in the middle are followed;
 * the last component's too if @follow. At most 8 symlinks per lookup (-ELOOP beyond).
 */
int ext2_lookup(struct ext2_fs *fs, const char *path, bool follow, uint32_t *ino);

/** Inode @ino's metadata. -EUCLEAN if @ino is out of range. */
int ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st);

/**
 * Read up to @len bytes of regular file @ino from byte @offset into @buf (any alignment).
 * Returns the number of bytes read (0 at or past the end of the file) or a negated errno
 * (-EISDIR for a directory, -EINVAL for other non-regular files).
 */
ssize_t ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t offset, void *buf, size_t len);

/** The target of symlink @ino, NUL-terminated in @buf (@size bytes); its length or -errno
 *  (-ENAMETOOLONG if it does not fit, -EINVAL if @ino is not a symlink). */
int ext2_readlink(struct ext2_fs *fs, uint32_t ino, char *buf, size_t size);

/**
 * Call @fn for every entry of directory @ino ("." and ".." included), in on-disk order,
 * until @fn returns non-zero (that value is returned). Returns 0 at the end, or a negated
 * errno (-ENOTDIR, -EUCLEAN for an entry that overruns its block or has a bad length).
 */
int ext2_readdir(struct ext2_fs *fs, uint32_t ino,
                 int (*fn)(void *arg, const struct ext2_dirent *de), void *arg);

/** The superblock's totals. */
void ext2_statfs(const struct ext2_fs *fs, struct ext2_statfs *sf);

#endif /* PVGUEST_EXT2_H */

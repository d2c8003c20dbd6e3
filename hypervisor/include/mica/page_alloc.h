/*
 * The frame allocator: a binary buddy allocator over the frame table
 * (struct page_info, <mica/mm.h>). It hands out naturally aligned runs of
 * 2^order machine frames, order 0..MAX_ORDER (MAX_ORDER 18: 1 GiB runs).
 *
 * Giving it memory costs O(number of blocks), not O(frames): the free-list
 * links live in the head frame's page_info and the free frames themselves
 * are never read or written, so a machine with many GiB starts as fast as
 * a small one. Allocating or freeing 2^order frames writes their 2^order
 * page_info entries (owner, counts), nothing else.
 *
 * The state is all in struct frame_allocator (no globals), so tests can
 * build several. Not thread-safe: callers serialise.
 */
#ifndef MICA_PAGE_ALLOC_H
#define MICA_PAGE_ALLOC_H

#include <mica/mm.h>
#include <mica/types.h>

#define MAX_ORDER 18 /* largest block: 2^18 frames = 1 GiB */
#define NR_ORDERS (MAX_ORDER + 1)

/* Most separate frame ranges one allocator accepts (adjacent ranges are joined). */
#define FRAME_ALLOC_MAX_RANGES 128

struct frame_allocator {
    struct page_info *frame_table; /* nr_frames entries, indexed by MFN */
    unsigned long nr_frames;
    uint32_t free_head[NR_ORDERS];    /* first block of each free list, or PAGE_LIST_NULL */
    unsigned long nr_free[NR_ORDERS]; /* free blocks of each order */
    unsigned long free_frames;        /* frames in all free blocks */
    unsigned long managed_frames;     /* frames ever given by frame_allocator_add_range */
    /* Counters. */
    unsigned long nr_allocs, nr_frees, nr_alloc_failures, nr_bad_frees;
    /* The ranges given to the allocator, [start, end) in MFNs, sorted, disjoint. */
    unsigned int nr_ranges;
    struct {
        mfn_t start, end;
    } range[FRAME_ALLOC_MAX_RANGES];
};

/*
 * Set up fa over frame_table, which has nr_frames entries (MFN 0 to
 * nr_frames - 1). Every entry is initialised as reserved (owner DOMID_XEN,
 * counts zero, no flags): O(nr_frames) writes of the table, nothing more.
 * The allocator starts with no free memory.
 * Returns 0, or -EINVAL if nr_frames does not fit the 32-bit links.
 */
int frame_allocator_init(struct frame_allocator *fa, struct page_info *frame_table,
                         unsigned long nr_frames);

/*
 * Give the allocator the count frames starting at mfn, as maximal naturally
 * aligned power-of-two blocks (joined with free neighbours). Returns 0;
 * -EINVAL if the range is empty or beyond the frame table; -EEXIST if it
 * overlaps a range given before; -ENOSPC if FRAME_ALLOC_MAX_RANGES separate
 * ranges are already recorded. Nothing changes on error.
 */
int frame_allocator_add_range(struct frame_allocator *fa, mfn_t mfn, unsigned long count);

/*
 * Allocate 2^order contiguous frames, the first MFN a multiple of 2^order,
 * for owner. Each frame's page_info gets owner, count_info 0 and type_info 0
 * (the head also PGC_alloc_head); the frames' contents are not cleared.
 * Returns the first MFN, -EINVAL if order > MAX_ORDER, -ENOMEM if no free
 * block is large enough.
 */
long frame_allocator_alloc(struct frame_allocator *fa, unsigned int order, domid_t owner);

/*
 * Give back 2^order frames that frame_allocator_alloc returned with exactly
 * this MFN and order; buddies are merged back into larger blocks. Each
 * frame's owner becomes PAGE_OWNER_FREE and its counts zero.
 * Returns 0, or -EINVAL (nothing changed) if mfn is misaligned for order,
 * beyond the frame table, not the start of an allocated block of that order
 * (a double free, a frame never given to the allocator, a wrong order).
 */
int frame_allocator_free(struct frame_allocator *fa, mfn_t mfn, unsigned int order);

/* Whether mfn lies inside a free block. O(MAX_ORDER). */
bool frame_allocator_is_free(const struct frame_allocator *fa, mfn_t mfn);

/*
 * Check the free lists for consistency: every block's head flag, order,
 * alignment, links and range, and the counters. O(free blocks). Returns 0,
 * or -EINVAL at the first inconsistency (for tests and debugging).
 */
int frame_allocator_check(const struct frame_allocator *fa);

#endif /* MICA_PAGE_ALLOC_H */

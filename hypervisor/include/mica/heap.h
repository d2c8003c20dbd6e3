/*
 * Machine frames for the hypervisor and for domains: the frame table (one struct page_info
 * per machine frame) and the frame allocator over it, set up once at boot.
 */
#ifndef MICA_HEAP_H
#define MICA_HEAP_H

#include <mica/types.h>

struct page_info;

struct memmap;

/** Highest machine frame number + 1 that the frame table covers. */
extern unsigned long max_mfn;

/**
 * Build the frame table for frames [0, @ram_end >> PAGE_SHIFT) in memory taken from @map's
 * RAM regions, then give the allocator every remaining RAM region of @map. The direct map
 * must already cover @ram_end. Panics if no region can hold the frame table.
 */
void heap_init(struct memmap *map, paddr_t ram_end);

/**
 * Allocate 2^@order machine-contiguous frames owned by @owner (a domid, or DOMID_XEN).
 * Returns the first MFN, or -ENOMEM. The frames are not cleared.
 */
long alloc_frames(unsigned int order, domid_t owner);

/**
 * Return 2^@order frames from alloc_frames(); they are cleared (scrubbed) on the way back.
 * Returns 0 or -EINVAL (not an allocated block: nothing changes).
 */
int free_frames(mfn_t mfn, unsigned int order);

/**
 * Allocate one zeroed frame owned by @owner and return its direct-map address (and its MFN
 * in *@mfn), or NULL when memory is exhausted.
 */
void *alloc_hv_page(mfn_t *mfn, domid_t owner);

/** Frame table entry of @mfn (which must satisfy mfn_valid()). */
struct page_info *mfn_to_page(mfn_t mfn);

/** True if @mfn has a frame-table entry. */
bool mfn_valid(mfn_t mfn);

/** Hypervisor (direct-map) address of frame @mfn. */
void *map_frame(mfn_t mfn);

/** The M2P table, hypervisor-writable: machine_to_phys[mfn] = the owner's PFN, or ~0. */
extern unsigned long *machine_to_phys;

/** Frames the allocator still has free. */
unsigned long heap_free_frames(void);

/** Frames heap_init() gave the allocator (free or allocated since). */
unsigned long heap_total_frames(void);

#endif /* MICA_HEAP_H */

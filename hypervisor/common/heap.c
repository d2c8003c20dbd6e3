/*
 * The machine's frames at run time: the frame table (one struct page_info per frame), the
 * machine-to-physical (M2P) table guests read, and the buddy allocator (page_alloc.c) that
 * owns every RAM frame left after boot.
 */
#include <arch/layout.h>
#include <arch/paging.h>
#include <mica/console.h>
#include <mica/errno.h>
#include <mica/heap.h>
#include <mica/memmap.h>
#include <mica/page_alloc.h>
#include <mica/panic.h>
#include <mica/string.h>

unsigned long max_mfn;
struct page_info *frame_table;
unsigned long *machine_to_phys; /* M2P, hypervisor-writable view; max_mfn entries */

static struct frame_allocator allocator;
static unsigned long given_frames; /* RAM frames heap_init gave the allocator */

/* Take @bytes (rounded up to pages) of contiguous RAM off the top of the highest region of
   @map that holds them. Returns the machine address, or 0. */
static paddr_t take_contiguous(struct memmap *map, size_t bytes)
{
    const size_t len = ALIGN_UP(bytes, PAGE_SIZE);

    for (int i = (int)map->nr - 1; i >= 0; i--) {
        const struct memmap_region *r = &map->region[i];
        if (r->type != MEMMAP_RAM || r->end - r->start < len)
            continue;
        paddr_t pa = r->end - len;
        if (memmap_reserve(map, pa, pa + len))
            return 0;
        return pa;
    }
    return 0;
}

void heap_init(struct memmap *map, paddr_t ram_end)
{
    const unsigned long nr = ram_end >> PAGE_SHIFT;
    paddr_t ft, m2p;
    unsigned long given = 0;

    ft = take_contiguous(map, nr * sizeof(struct page_info));
    m2p = take_contiguous(map, nr * sizeof(unsigned long));
    if (!ft || !m2p)
        panic("no contiguous memory for the frame table and M2P of %lu frames", nr);
    frame_table = maddr_to_virt(ft);
    machine_to_phys = maddr_to_virt(m2p);
    max_mfn = nr;
    if (frame_allocator_init(&allocator, frame_table, nr))
        panic("frame allocator cannot cover %lu frames", nr);
    /* Frames no guest owns read as INVALID_M2P_ENTRY (~0) through the M2P. */
    memset(machine_to_phys, 0xff, nr * sizeof(unsigned long));
    paging_map_m2p(m2p, nr * sizeof(unsigned long));

    for (unsigned int i = 0; i < map->nr; i++) {
        const struct memmap_region *r = &map->region[i];
        if (r->type != MEMMAP_RAM)
            continue;
        int rc = frame_allocator_add_range(&allocator, r->start >> PAGE_SHIFT,
                                           (r->end - r->start) >> PAGE_SHIFT);
        if (rc)
            panic("frame allocator refused RAM %#lx-%#lx: error %d", r->start, r->end, rc);
        given += (r->end - r->start) >> PAGE_SHIFT;
    }
    given_frames = given;
    printk("mica: frames: %lu free of %lu (frame table %lu KiB, M2P %lu KiB)\n",
           allocator.free_frames, nr, nr * sizeof(struct page_info) >> 10,
           nr * sizeof(unsigned long) >> 10);
}

long alloc_frames(unsigned int order, domid_t owner)
{
    return frame_allocator_alloc(&allocator, order, owner);
}

int free_frames(mfn_t mfn, unsigned int order)
{
    int rc = frame_allocator_free(&allocator, mfn, order);

    /* Scrubbed on the way back: no domain ever sees another's (or the hypervisor's) old
       data. Uniprocessor, so nothing can take the frames before this finishes. */
    if (!rc)
        memset(map_frame(mfn), 0, PAGE_SIZE << order);
    return rc;
}

void *alloc_hv_page(mfn_t *mfn, domid_t owner)
{
    long m = alloc_frames(0, owner);
    void *va;

    if (m < 0)
        return NULL;
    va = maddr_to_virt((paddr_t)m << PAGE_SHIFT);
    memset(va, 0, PAGE_SIZE);
    *mfn = (mfn_t)m;
    return va;
}

unsigned long heap_free_frames(void)
{
    return allocator.free_frames;
}

unsigned long heap_total_frames(void)
{
    return given_frames;
}

struct page_info *mfn_to_page(mfn_t mfn)
{
    return &frame_table[mfn];
}

bool mfn_valid(mfn_t mfn)
{
    return mfn < max_mfn;
}

void *map_frame(mfn_t mfn)
{
    return maddr_to_virt((paddr_t)mfn << PAGE_SHIFT);
}

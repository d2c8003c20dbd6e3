/*
 * The machine's physical memory map, built from the firmware's list (the
 * multiboot 1 memory map, Multiboot Specification 0.6.96 section 3.3,
 * mmap_addr/mmap_length) and cut down to the frames the frame allocator may
 * hand out.
 *
 * Use:
 *   memmap_init(&map);
 *   memmap_add_multiboot(&map, mmap, mmap_length);   (or memmap_add_raw per entry)
 *   memmap_build(&map);        clean, sorted map of RAM and reserved regions
 *   memmap_summary(&map, &s);  s.ram_end sizes the frame table
 *   memmap_reserve(&map, ...)  for the hypervisor image, modules, multiboot
 *                              info and the first MiB
 * after which the MEMMAP_RAM regions are exactly the free frames.
 *
 * All storage is fixed-size arrays inside struct memmap; running out is an
 * error (-ENOSPC), never a silent truncation.
 */
#ifndef MICA_MEMMAP_H
#define MICA_MEMMAP_H

#include <mica/types.h>

/* Capacity of both the firmware list and the built map, in entries. */
#define MEMMAP_MAX_REGIONS 128

/* Multiboot 1 memory types: 1 is available RAM; every other value is reserved. */
#define MEMMAP_RAM      1
#define MEMMAP_RESERVED 2

/* One region of the built map: [start, end), bytes. */
struct memmap_region {
    paddr_t start;
    paddr_t end;   /* exclusive */
    uint32_t type; /* MEMMAP_RAM or MEMMAP_RESERVED */
};

/* One entry as the firmware gave it (may overlap others, any order, any type). */
struct memmap_entry {
    paddr_t addr;
    uint64_t len;  /* bytes */
    uint32_t type; /* multiboot type: 1 RAM, else reserved */
};

struct memmap {
    unsigned int nr_raw; /* entries in raw[] */
    unsigned int nr;     /* regions in region[], valid after memmap_build() */
    struct memmap_entry raw[MEMMAP_MAX_REGIONS];
    /* Sorted by start, non-overlapping; neighbours of the same type are merged. */
    struct memmap_region region[MEMMAP_MAX_REGIONS];
};

/* What memmap_summary() reports. */
struct memmap_summary {
    uint64_t ram_bytes;       /* total bytes in MEMMAP_RAM regions */
    paddr_t ram_end;          /* end (exclusive) of the highest RAM region; 0 if none */
    unsigned int nr_ram;      /* number of MEMMAP_RAM regions */
    unsigned int nr_reserved; /* number of MEMMAP_RESERVED regions */
};

/* Empty the map. */
void memmap_init(struct memmap *map);

/*
 * Record one firmware entry. Zero-length entries are ignored; an entry
 * reaching past 2^64 is clipped. Returns 0, or -ENOSPC if MEMMAP_MAX_REGIONS
 * entries are already recorded.
 */
int memmap_add_raw(struct memmap *map, paddr_t addr, uint64_t len, uint32_t type);

/*
 * Record every entry of a multiboot 1 memory map: length bytes at mmap,
 * each entry a u32 size (of the rest of the entry, at least 20) followed by
 * u64 base_addr, u64 length, u32 type, packed. Returns 0, -EINVAL if an
 * entry's size is below 20 or runs past length, -ENOSPC if the table fills.
 */
int memmap_add_multiboot(struct memmap *map, const void *mmap, size_t length);

/*
 * Build region[] from the recorded entries: where entries overlap, reserved
 * wins over RAM; touching regions of the same type merge; RAM regions are
 * then trimmed inward to whole pages (dropped if none is left). Returns 0,
 * or -ENOSPC if the result needs more than MEMMAP_MAX_REGIONS regions.
 */
int memmap_build(struct memmap *map);

/*
 * Take [start, end) (bytes, widened outward to whole pages) out of the RAM
 * regions, for memory already in use (hypervisor image, modules, boot
 * information, the first MiB). Reserved regions and holes are untouched.
 * Returns 0, -EINVAL if start > end, or -ENOSPC if a split needs a region
 * slot the table does not have (the map is then unchanged).
 */
int memmap_reserve(struct memmap *map, paddr_t start, paddr_t end);

/* Fill *s with the totals of the built map (see struct memmap_summary). */
void memmap_summary(const struct memmap *map, struct memmap_summary *s);

#endif /* MICA_MEMMAP_H */

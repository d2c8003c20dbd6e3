/*
 * Physical memory map from the multiboot 1 memory map (see <mica/memmap.h>;
 * entry layout: Multiboot Specification 0.6.96, section 3.3).
 */
#include <mica/errno.h>
#include <mica/memmap.h>
#include <mica/string.h>

void memmap_init(struct memmap *map)
{
    map->nr_raw = 0;
    map->nr = 0;
}

int memmap_add_raw(struct memmap *map, paddr_t addr, uint64_t len, uint32_t type)
{
    if (len == 0)
        return 0;
    if (map->nr_raw == MEMMAP_MAX_REGIONS)
        return -ENOSPC;
    if (len > ~(uint64_t)0 - addr) /* clip at the top of the address space */
        len = ~(uint64_t)0 - addr;
    map->raw[map->nr_raw++] = (struct memmap_entry){.addr = addr, .len = len, .type = type};
    return 0;
}

/* Offsets inside a multiboot mmap entry, from its size field. */
#define MB_ENTRY_ADDR  4
#define MB_ENTRY_LEN   12
#define MB_ENTRY_TYPE  20
#define MB_ENTRY_MINSZ 20 /* the size field counts the bytes after itself */

int memmap_add_multiboot(struct memmap *map, const void *mmap, size_t length)
{
    const unsigned char *p = mmap;
    size_t off = 0;

    while (off < length) {
        uint32_t size, type;
        uint64_t addr, len;
        int rc;

        if (length - off < 4)
            return -EINVAL;
        memcpy(&size, p + off, sizeof(size)); /* fields are unaligned: copy them */
        if (size < MB_ENTRY_MINSZ || size > length - off - 4)
            return -EINVAL;
        memcpy(&addr, p + off + MB_ENTRY_ADDR, sizeof(addr));
        memcpy(&len, p + off + MB_ENTRY_LEN, sizeof(len));
        memcpy(&type, p + off + MB_ENTRY_TYPE, sizeof(type));
        rc = memmap_add_raw(map, addr, len, type);
        if (rc)
            return rc;
        off += (size_t)size + 4;
    }
    return 0;
}

/* Append a region to the built map, merging with the last one if they touch. */
static int append(struct memmap *map, paddr_t start, paddr_t end, uint32_t type)
{
    struct memmap_region *last = map->nr ? &map->region[map->nr - 1] : NULL;

    if (last && last->type == type && last->end == start) {
        last->end = end;
        return 0;
    }
    if (map->nr == MEMMAP_MAX_REGIONS)
        return -ENOSPC;
    map->region[map->nr++] = (struct memmap_region){.start = start, .end = end, .type = type};
    return 0;
}

int memmap_build(struct memmap *map)
{
    /* Every entry's start and end, sorted: between two neighbours nothing changes. */
    paddr_t edge[2 * MEMMAP_MAX_REGIONS];
    unsigned int nr_edges = 0, out;

    for (unsigned int i = 0; i < map->nr_raw; i++) {
        paddr_t e[2] = {map->raw[i].addr, map->raw[i].addr + map->raw[i].len};

        for (unsigned int k = 0; k < 2; k++) {
            unsigned int j = nr_edges++;

            /* insertion sort: at most 256 edges */
            while (j > 0 && edge[j - 1] > e[k]) {
                edge[j] = edge[j - 1];
                j--;
            }
            edge[j] = e[k];
        }
    }

    map->nr = 0;
    for (unsigned int i = 0; i + 1 < nr_edges; i++) {
        paddr_t start = edge[i], end = edge[i + 1];
        bool ram = false, reserved = false;
        int rc;

        if (start == end)
            continue;
        for (unsigned int j = 0; j < map->nr_raw && !reserved; j++) {
            const struct memmap_entry *r = &map->raw[j];

            if (r->addr <= start && end <= r->addr + r->len) {
                if (r->type == MEMMAP_RAM)
                    ram = true;
                else
                    reserved = true;
            }
        }
        if (!ram && !reserved)
            continue; /* a hole */
        rc = append(map, start, end, reserved ? MEMMAP_RESERVED : MEMMAP_RAM);
        if (rc)
            return rc;
    }

    /* Trim RAM to whole pages; drop what is left empty. */
    out = 0;
    for (unsigned int i = 0; i < map->nr; i++) {
        struct memmap_region r = map->region[i];

        if (r.type == MEMMAP_RAM) {
            paddr_t start = r.start > ~(paddr_t)0 - (PAGE_SIZE - 1) ? ~(paddr_t)0
                                                                    : ALIGN_UP(r.start, PAGE_SIZE);
            paddr_t end = ALIGN_DOWN(r.end, PAGE_SIZE);

            if (start >= end)
                continue;
            r.start = start;
            r.end = end;
        }
        map->region[out++] = r;
    }
    map->nr = out;
    return 0;
}

int memmap_reserve(struct memmap *map, paddr_t start, paddr_t end)
{
    unsigned int out = 0;

    if (start > end)
        return -EINVAL;
    if (start == end)
        return 0;
    start = ALIGN_DOWN(start, PAGE_SIZE);
    end = end > ~(paddr_t)0 - (PAGE_SIZE - 1) ? ~(paddr_t)0 : ALIGN_UP(end, PAGE_SIZE);

    for (unsigned int i = 0; i < map->nr; i++) {
        struct memmap_region *r = &map->region[i];

        /*
         * Regions do not overlap, so at most one can strictly contain the
         * range: split it in two and nothing else is affected.
         */
        if (r->type == MEMMAP_RAM && r->start < start && end < r->end) {
            if (map->nr == MEMMAP_MAX_REGIONS)
                return -ENOSPC;
            memmove(r + 1, r, (map->nr - i) * sizeof(*r));
            r[0].end = start;
            r[1].start = end;
            map->nr++;
            return 0;
        }
    }

    /* Otherwise each RAM region loses its head, its tail, or everything. */
    for (unsigned int i = 0; i < map->nr; i++) {
        struct memmap_region cur = map->region[i];

        if (cur.type == MEMMAP_RAM && cur.start < end && start < cur.end) {
            if (cur.start < start)
                cur.end = start;
            else if (end < cur.end)
                cur.start = end;
            else
                continue; /* entirely covered */
        }
        map->region[out++] = cur;
    }
    map->nr = out;
    return 0;
}

void memmap_summary(const struct memmap *map, struct memmap_summary *s)
{
    *s = (struct memmap_summary){0};
    for (unsigned int i = 0; i < map->nr; i++) {
        const struct memmap_region *r = &map->region[i];

        if (r->type == MEMMAP_RAM) {
            s->ram_bytes += r->end - r->start;
            s->ram_end = MAX(s->ram_end, r->end);
            s->nr_ram++;
        } else {
            s->nr_reserved++;
        }
    }
}

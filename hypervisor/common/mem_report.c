/*
 * Debug key 'm' (issue 13; docs/benchmarks.md "Memory"): the hypervisor's own memory
 * footprint and what it holds for each domain beyond the domain's own pages, one line each,
 * for tools/mica-bench to read:
 *
 *   mica: mem: image text T data D bss B total I bytes (file F)
 *   mica: mem: frame table X bytes (Y frames), M2P Z bytes, frames given to the allocator N,
 *              free F, owned by domains O, hypervisor H
 *   mica: mem: d1: struct domain S vcpu V bytes, frames: shared_info 1 evtchn E grant G
 *              maptrack M (total T bytes)
 *
 * Sizes are in bytes (frames of 4 KiB). "hypervisor" frames are every allocated frame no
 * domain's tot_pages counts: per-domain state, the trace buffer, kept boot modules, page
 * tables of the hypervisor's own mappings (heap_init and paging allocate from the same pool).
 */
#include <arch/layout.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/event.h>
#include <mica/grant_table.h>
#include <mica/heap.h>
#include <mica/keyhandler.h>
#include <mica/mem_report.h>
#include <mica/page_alloc.h>

#define say(...) printk_level(LOG_ERR, __VA_ARGS__)

/* Linker symbols (arch/x86_64/link/mica.lds): the image's sections, page-aligned. */
extern const char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[],
    __edata[], __bss_start[], __bss_end[];

unsigned long mem_report_domain_frames(const struct domain *d, unsigned long *evtchn,
                                       unsigned long *grant, unsigned long *maptrack)
{
    const struct grant_table *gt = d->grant_table;

    *evtchn = *grant = *maptrack = 0;
    for (unsigned int i = 0; i < EVTCHN_NR_PAGES; i++)
        *evtchn += d->evtchn.page[i] != NULL;
    if (gt) {
        *grant = 1 + gt->nr_frames; /* struct grant_table's own frame and the shared frames */
        for (unsigned int i = 0; i < GNTTAB_ACTIVE_FRAMES; i++)
            *grant += gt->active_mfn[i] != 0; /* MFN 0 is never allocated (first MiB) */
        *maptrack = gt->maptrack_frames;
    }
    return 1 + *evtchn + *grant + *maptrack; /* 1: shared_info */
}

static void dump_memory(unsigned char key)
{
    unsigned long text = (unsigned long)(__text_end - __text_start);
    unsigned long rodata = (unsigned long)(__rodata_end - __rodata_start);
    unsigned long data = (unsigned long)(__edata - __data_start);
    unsigned long bss = (unsigned long)(__bss_end - __bss_start);
    unsigned long owned = 0, domains = 0, given = heap_total_frames();
    unsigned long free = heap_free_frames();

    (void)key;
    say("mica: mem: image text %lu rodata %lu data %lu bss %lu total %lu bytes (loaded %lu)\n",
        text, rodata, data, bss, text + rodata + data + bss, text + rodata + data);
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        const struct domain *d = domain_lookup((domid_t)id);
        if (d) {
            owned += d->tot_pages;
            domains++;
        }
    }
    say("mica: mem: frame table %lu bytes, M2P %lu bytes for %lu frames; allocator: %lu "
        "frames given, %lu free, %lu owned by %lu domains, %lu hypervisor (%lu bytes)\n",
        max_mfn * sizeof(struct page_info), max_mfn * sizeof(unsigned long), max_mfn, given, free,
        owned, domains, given - free - owned, (given - free - owned) * PAGE_SIZE);
    say("mica: mem: static per-domain slots: struct domain %lu + struct vcpu %lu bytes, "
        "%u slots\n",
        (unsigned long)sizeof(struct domain), (unsigned long)sizeof(struct vcpu), MAX_DOMAINS);
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        const struct domain *d = domain_lookup((domid_t)id);
        unsigned long ev, gr, mt, frames;
        if (!d)
            continue;
        frames = mem_report_domain_frames(d, &ev, &gr, &mt);
        say("mica: mem: d%u: pages %lu, hypervisor frames %lu (shared_info 1 evtchn %lu "
            "grant %lu maptrack %lu), state %lu bytes\n",
            id, d->tot_pages, frames, ev, gr, mt,
            frames * PAGE_SIZE + sizeof(struct domain) + sizeof(struct vcpu));
    }
}

void mem_report_register(void)
{
    register_keyhandler('m', dump_memory, "dump the hypervisor's memory footprint");
}

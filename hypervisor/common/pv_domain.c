/* The hypervisor side of the PV domain builder (see pv_domain.h and domain_build.h). */
#include <arch/guest.h>
#include <arch/paging.h>
#include <mica/console_input.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/domain_build.h>
#include <mica/elf_xen.h>
#include <mica/errno.h>
#include <mica/heap.h>
#include <mica/mm.h>
#include <mica/page_types.h>
#include <mica/printf.h>
#include <mica/pv_domain.h>
#include <mica/string.h>
#include <xen/features.h>

/* The features mica offers a PV kernel (xen/features.h): what a kernel may require. */
#define MICA_XENFEATS (1u << XENFEAT_dom0)

struct build_ctx {
    unsigned long *p2m; /* PFN -> MFN, nr_pages entries, hypervisor-side */
    unsigned long nr_pages;
};

static void *ctx_map_pfn(void *ctx, uint64_t pfn)
{
    struct build_ctx *c = ctx;
    return pfn < c->nr_pages ? map_frame(c->p2m[pfn]) : NULL;
}

static uint64_t ctx_pfn_to_mfn(void *ctx, uint64_t pfn)
{
    const struct build_ctx *c = ctx;
    return c->p2m[pfn];
}

/* The order of the smallest block holding @bytes. */
static unsigned int order_for(size_t bytes)
{
    unsigned int order = 0;
    while ((PAGE_SIZE << order) < bytes)
        order++;
    return order;
}

static int fail(const struct pv_domain_config *cfg, int rc, const char *what, const char *msg)
{
    printk_err("mica: cannot build d%u: %s%s%s (error %d)\n", cfg->domid, what, msg[0] ? ": " : "",
               msg, rc);
    return rc;
}

int pv_domain_build(const struct pv_domain_config *cfg, struct domain **out)
{
    static struct elf_xen_image kernel; /* large; boot is single-threaded */
    char msg[160] = "";
    struct build_ctx c = {.nr_pages = cfg->nr_pages};
    struct pv_boot_state boot;
    struct domain *d;
    long p2m_mfn;
    int rc;

    if (cfg->nr_vcpus != 1) {
        snprintf(msg, sizeof(msg),
                 "%u vCPUs requested; mica is uniprocessor and gives each "
                 "domain exactly one",
                 cfg->nr_vcpus);
        return fail(cfg, -EINVAL, "configuration", msg);
    }
    rc = elf_xen_parse(&kernel, cfg->kernel, cfg->kernel_len, MICA_XENFEATS, msg, sizeof(msg));
    if (rc)
        return fail(cfg, rc, "bad kernel", msg);
    if (cfg->nr_pages > heap_free_frames()) {
        snprintf(msg, sizeof(msg), "%lu pages requested, %lu free", cfg->nr_pages,
                 heap_free_frames());
        return fail(cfg, -ENOMEM, "not enough memory", msg);
    }
    d = domain_create(cfg->domid, cfg->privileged, cfg->nr_pages, &rc);
    if (!d)
        return fail(cfg, rc, "domain_create", "");

    /* The domain's frames, one at a time: the p2m need not be contiguous, and single frames
       can later be given back one by one (decrease_reservation). */
    p2m_mfn = alloc_frames(order_for(cfg->nr_pages * sizeof(unsigned long)), DOMID_XEN);
    if (p2m_mfn < 0)
        return fail(cfg, -ENOMEM, "no memory for the builder's p2m", "");
    c.p2m = map_frame((mfn_t)p2m_mfn);
    for (unsigned long pfn = 0; pfn < cfg->nr_pages; pfn++) {
        long mfn = alloc_frames(0, d->domain_id);
        if (mfn < 0)
            return fail(cfg, -ENOMEM, "out of frames", "");
        struct page_info *pg = mfn_to_page((mfn_t)mfn);
        pg->count_info += PGC_allocated | 1; /* the owner's allocation reference (Xen) */
        c.p2m[pfn] = (unsigned long)mfn;
        machine_to_phys[mfn] = pfn;
    }
    d->tot_pages = cfg->nr_pages;

    const struct pv_build_args args = {
        .kernel = &kernel,
        .module = cfg->module,
        .module_len = cfg->module_len,
        .nr_pages = cfg->nr_pages,
        .si = {.shared_info_maddr = (uint64_t)d->shared_info_mfn << PAGE_SHIFT,
               .flags = cfg->privileged ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0,
               .cmdline = cfg->cmdline},
    };
    const struct pv_mem mem = {.ctx = &c, .map_pfn = ctx_map_pfn, .pfn_to_mfn = ctx_pfn_to_mfn};
    rc = pv_build(&args, &mem, &boot, msg, sizeof(msg));
    if (rc)
        return fail(cfg, rc, "domain builder", msg);

    /* Pages beyond the initial mapping and the module are handed over cleared. */
    for (unsigned long pfn = boot.layout.nr_mapped; pfn < cfg->nr_pages; pfn++) {
        if (boot.layout.mod_unmapped && pfn >= boot.layout.mod_pfn &&
            pfn < boot.layout.mod_pfn + ALIGN_UP(boot.layout.mod_len, PAGE_SIZE) / PAGE_SIZE)
            continue;
        memset(map_frame(c.p2m[pfn]), 0, PAGE_SIZE);
    }
    arch_init_hv_l4_slots(map_frame(boot.l4_mfn));
    if (boot.hypercall_pfn != PV_NO_PFN)
        arch_fill_hypercall_page(map_frame(c.p2m[boot.hypercall_pfn]));

    /* The initial tables become validated, pinned page-table frames: Xen's rules hold from
       the guest's first instruction. */
    rc = pin_page_table(d, boot.l4_mfn, 4);
    if (rc)
        return fail(cfg, rc, "validating the initial page tables", "");
    rc = vcpu_set_guest_table(d->vcpu[0], boot.l4_mfn);
    if (rc)
        return fail(cfg, rc, "installing the initial page tables", "");
    arch_vcpu_init_context(d->vcpu[0], boot.rip, boot.rsp, boot.rsi,
                           (paddr_t)boot.l4_mfn << PAGE_SHIFT);

    d->start_info_mfn = c.p2m[boot.start_info_pfn];
    for (unsigned int i = 0; i < BUILD_SPARE_PAGES && i < cfg->nr_pages; i++)
        d->spare_mfn[i] = c.p2m[cfg->nr_pages - 1 - i];
    free_frames((mfn_t)p2m_mfn, order_for(cfg->nr_pages * sizeof(unsigned long)));
    printk("mica: d%u: %s kernel \"%s\" %s, %lu pages (%lu MiB), entry %#lx, start_info %#lx\n",
           d->domain_id, cfg->privileged ? "privileged" : "unprivileged", kernel.guest_os,
           kernel.guest_version, cfg->nr_pages, cfg->nr_pages >> 8, boot.rip, boot.rsi);
    console_input_domain_built(d); /* issue 9: serial input focus (console_input.h) */
    *out = d;
    return 0;
}

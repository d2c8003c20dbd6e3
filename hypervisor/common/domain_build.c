/*
 * The portable half of the PV domain builder (see mica/domain_build.h): layout, kernel and
 * module loading, p2m list, start_info and the initial page tables, all through the
 * caller's struct pv_mem.
 */
#include <stdarg.h>

#include <mica/domain_build.h>
#include <mica/errno.h>
#include <mica/printf.h>
#include <mica/string.h>

#define SUPERPAGE_4M     (4ULL << 20)   /* the initial mapping ends on this boundary (xen.h) */
#define MIN_SLACK        (512ULL << 10) /* mapped padding after the boot stack (xen.h) */
#define LOWER_HALF_END   0x0000800000000000ULL
#define UPPER_HALF_START 0xffff800000000000ULL
#define L4_SHIFT         39
#define L3_SHIFT         30
#define L2_SHIFT         21
#define PT_ENTRIES       512

__printf(4, 5) static int refuse(char *msg, size_t msg_size, int err, const char *fmt, ...)
{
    va_list ap;

    if (msg && msg_size) {
        va_start(ap, fmt);
        vsnprintf(msg, msg_size, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* *va += pages * 4 KiB; false if that passes 2^64. */
static bool add_pages(uint64_t *va, uint64_t pages)
{
    if (pages > (~0ULL >> PAGE_SHIFT))
        return false;
    return !__builtin_add_overflow(*va, pages << PAGE_SHIFT, va);
}

/* Tables of the level whose entries each map 2^@shift bytes needed to cover [s, e), e > s. */
static uint64_t tables_for(uint64_t s, uint64_t e, unsigned int shift)
{
    return ((e - 1) >> shift) - (s >> shift) + 1;
}

/* [s, e) is non-empty, canonical, in one half, and clear of the hypervisor's area. */
static int check_range(uint64_t s, uint64_t e, char *msg, size_t msg_size)
{
    bool low = s < LOWER_HALF_END;

    if ((low && e > LOWER_HALF_END) || (!low && s < UPPER_HALF_START))
        return refuse(msg, msg_size, -EINVAL, "initial mapping [%#llx, %#llx) is not canonical",
                      (unsigned long long)s, (unsigned long long)e);
    if (s < HYPERVISOR_VIRT_END && e > HYPERVISOR_VIRT_START)
        return refuse(msg, msg_size, -EINVAL,
                      "initial mapping [%#llx, %#llx) overlaps the hypervisor's area "
                      "[%#llx, %#llx)",
                      (unsigned long long)s, (unsigned long long)e,
                      (unsigned long long)HYPERVISOR_VIRT_START,
                      (unsigned long long)HYPERVISOR_VIRT_END);
    return 0;
}

int pv_layout(struct pv_layout *l, const struct elf_xen_image *k, uint64_t module_len,
              uint64_t nr_pages, char *msg, size_t msg_size)
{
    uint64_t mod_pages = (module_len >> PAGE_SHIFT) + !!(module_len & (PAGE_SIZE - 1));
    uint64_t p2m_pages = (nr_pages >> (PAGE_SHIFT - 3)) + !!(nr_pages & (PAGE_SIZE / 8 - 1));
    uint64_t va, extra;
    int rc;

    memset(l, 0, sizeof(*l));
    l->nr_pages = nr_pages;
    l->v_start = k->virt_base;
    l->kern_start = k->virt_kstart;
    l->kern_end = k->virt_kend;
    l->mod_len = module_len;
    l->mod_pfn = PV_NO_PFN;
    l->mod_unmapped = module_len && k->mod_start_pfn;
    extra = l->mod_unmapped ? mod_pages : 0; /* pages needed beyond the mapping */
    if (nr_pages == 0 || nr_pages > (~0ULL >> PAGE_SHIFT))
        return refuse(msg, msg_size, -EINVAL, "domain size of %llu pages is not possible",
                      (unsigned long long)nr_pages);

    va = l->kern_end;
    if (module_len && !l->mod_unmapped) {
        l->mod_start = va;
        if (!add_pages(&va, mod_pages))
            goto wraps;
        l->mod_end = va;
    }
    l->p2m_start = va;
    if (!add_pages(&va, p2m_pages))
        goto wraps;
    l->p2m_end = va;
    l->start_info_start = va;
    if (!add_pages(&va, 1))
        goto wraps;
    l->start_info_end = va;
    l->pt_start = va;

    /* What is laid out so far must be possible before the search below. */
    rc = check_range(l->v_start, l->pt_start, msg, msg_size);
    if (rc)
        return rc;

    /*
     * The tables map [v_start, v_end), and they, the stack and the slack after it are in that
     * range: find the smallest count of table frames that covers the range it implies
     * (dom0_build.c solves the same pair of equations by the same search). Every round grows
     * the mapping, so running out of nr_pages ends it.
     */
    for (uint64_t n = 1;; n++) {
        uint64_t need;

        va = l->pt_start;
        if (!add_pages(&va, n))
            goto wraps;
        l->pt_end = l->stack_start = va;
        if (!add_pages(&va, 1))
            goto wraps;
        l->stack_end = va;
        if (__builtin_add_overflow(va, SUPERPAGE_4M - 1, &va))
            goto wraps;
        va &= ~(SUPERPAGE_4M - 1);
        if (va - l->stack_end < MIN_SLACK && __builtin_add_overflow(va, SUPERPAGE_4M, &va))
            goto wraps;
        l->v_end = va;
        l->nr_mapped = (l->v_end - l->v_start) >> PAGE_SHIFT;
        if (l->nr_mapped > nr_pages || nr_pages - l->nr_mapped < extra)
            return refuse(msg, msg_size, -ENOMEM,
                          "domain memory too small: %llu pages, but the initial mapping "
                          "[%#llx, %#llx) needs %llu%s",
                          (unsigned long long)nr_pages, (unsigned long long)l->v_start,
                          (unsigned long long)l->v_end, (unsigned long long)l->nr_mapped,
                          extra ? " plus the unmapped module" : "");

        l->nr_l3 = tables_for(l->v_start, l->v_end, L4_SHIFT);
        l->nr_l2 = tables_for(l->v_start, l->v_end, L3_SHIFT);
        l->nr_l1 = tables_for(l->v_start, l->v_end, L2_SHIFT);
        need = 1 + l->nr_l3 + l->nr_l2 + l->nr_l1;
        if (need <= n) {
            /* need(n) never falls as n grows and need(n - 1) > n - 1, so need == n. */
            l->nr_pt_frames = n;
            break;
        }
    }
    rc = check_range(l->v_start, l->v_end, msg, msg_size);
    if (rc)
        return rc;
    if (module_len)
        l->mod_pfn = l->mod_unmapped ? l->nr_mapped : pv_pfn_of(l, l->mod_start);
    return 0;

wraps:
    return refuse(msg, msg_size, -EINVAL,
                  "initial mapping from %#llx wraps past the top of the address space",
                  (unsigned long long)l->v_start);
}

/* map_pfn(@pfn), or NULL with the reason in @msg. */
static void *map_page(const struct pv_mem *mem, uint64_t pfn, char *msg, size_t msg_size)
{
    void *page = mem->map_pfn(mem->ctx, pfn);

    if (!page)
        refuse(msg, msg_size, -EFAULT, "cannot map guest PFN %#llx", (unsigned long long)pfn);
    return page;
}

/* Clear table @pfn and report it as a level-@level table. */
static uint64_t *new_table(const struct pv_mem *mem, uint64_t pfn, int level, char *msg,
                           size_t msg_size)
{
    uint64_t *t = map_page(mem, pfn, msg, msg_size);

    if (t) {
        memset(t, 0, PAGE_SIZE);
        if (mem->table)
            mem->table(mem->ctx, pfn, level);
    }
    return t;
}

static uint64_t pte(const struct pv_mem *mem, uint64_t pfn, uint64_t flags)
{
    return ((mem->pfn_to_mfn(mem->ctx, pfn) << PAGE_SHIFT) & PV_PTE_ADDR) | flags;
}

int pv_build_page_tables(const struct pv_layout *l, const struct pv_mem *mem, char *msg,
                         size_t msg_size)
{
    uint64_t l4_pfn = pv_pfn_of(l, l->pt_start);
    uint64_t l3_pfn = l4_pfn + 1, l2_pfn = l3_pfn + l->nr_l3, l1_pfn = l2_pfn + l->nr_l2;
    uint64_t pt_end_pfn = l4_pfn + l->nr_pt_frames;
    uint64_t *l4, *l1 = NULL;

    /* Clear and report every table first, in pfn order: L4, L3s, L2s, L1s. */
    for (uint64_t pfn = l4_pfn; pfn < pt_end_pfn; pfn++) {
        int level = pfn == l4_pfn ? 4 : pfn < l2_pfn ? 3 : pfn < l1_pfn ? 2 : 1;

        if (!new_table(mem, pfn, level, msg, msg_size))
            return -EFAULT;
    }
    l4 = map_page(mem, l4_pfn, msg, msg_size);
    if (!l4)
        return -EFAULT;

    for (uint64_t pfn = 0; pfn < l->nr_mapped; pfn++) {
        uint64_t va = l->v_start + (pfn << PAGE_SHIFT);
        uint64_t i3 = (va >> L4_SHIFT) - (l->v_start >> L4_SHIFT);
        uint64_t i2 = (va >> L3_SHIFT) - (l->v_start >> L3_SHIFT);
        uint64_t i1 = (va >> L2_SHIFT) - (l->v_start >> L2_SHIFT);
        bool pt_frame = pfn >= l4_pfn && pfn < pt_end_pfn;

        /* At the first page and at each 2 MiB boundary, link this L1 in (again harmless). */
        if (!l1 || (va & ((1ULL << L2_SHIFT) - 1)) == 0) {
            uint64_t *l3 = map_page(mem, l3_pfn + i3, msg, msg_size);
            uint64_t *l2 = map_page(mem, l2_pfn + i2, msg, msg_size);

            l1 = map_page(mem, l1_pfn + i1, msg, msg_size);
            if (!l3 || !l2 || !l1)
                return -EFAULT;
            l4[(va >> L4_SHIFT) % PT_ENTRIES] = pte(mem, l3_pfn + i3, PV_TABLE_PROT);
            l3[(va >> L3_SHIFT) % PT_ENTRIES] = pte(mem, l2_pfn + i2, PV_TABLE_PROT);
            l2[(va >> L2_SHIFT) % PT_ENTRIES] = pte(mem, l1_pfn + i1, PV_TABLE_PROT);
        }
        l1[(va >> PAGE_SHIFT) % PT_ENTRIES] = pte(mem, pfn, pt_frame ? PV_L1_PROT_RO : PV_L1_PROT);
    }
    return 0;
}

int pv_fill_start_info(start_info_t *si, const struct pv_layout *l, const struct elf_xen_image *k,
                       const struct pv_start_info_args *a, char *msg, size_t msg_size)
{
    size_t len = a->cmdline ? strnlen(a->cmdline, MAX_GUEST_CMDLINE) : 0;

    if (len >= MAX_GUEST_CMDLINE)
        return refuse(msg, msg_size, -E2BIG,
                      "command line is longer than %d bytes (start_info.cmd_line)",
                      MAX_GUEST_CMDLINE - 1);
    memset(si, 0, sizeof(*si));
    /* dom0_build.c: "xen-3.0-x86_64", with "p" appended for a kernel whose PAE_MODE says so. */
    snprintf(si->magic, sizeof(si->magic), "%s%s", PV_BOOT_MAGIC, k->pae ? "p" : "");
    si->nr_pages = l->nr_pages;
    si->shared_info = a->shared_info_maddr;
    si->flags = a->flags;
    si->pt_base = l->pt_start;
    si->nr_pt_frames = l->nr_pt_frames;
    si->mfn_list = l->p2m_start;
    if (l->mod_len) {
        si->mod_start = l->mod_unmapped ? l->mod_pfn : l->mod_start;
        si->mod_len = l->mod_len;
        if (l->mod_unmapped)
            si->flags |= SIF_MOD_START_PFN;
    }
    if (len)
        memcpy(si->cmd_line, a->cmdline, len);
    return 0;
}

/* Write @len bytes of @src (zeroes if NULL) from byte @off of PFN @pfn on, across pages. */
static int write_pfns(const struct pv_mem *mem, uint64_t pfn, uint64_t off, const void *src,
                      uint64_t len, char *msg, size_t msg_size)
{
    const uint8_t *from = src;

    pfn += off >> PAGE_SHIFT;
    off &= PAGE_SIZE - 1;
    while (len) {
        uint64_t chunk = MIN(len, PAGE_SIZE - off);
        uint8_t *page = map_page(mem, pfn, msg, msg_size);

        if (!page)
            return -EFAULT;
        if (from) {
            memcpy(page + off, from, chunk);
            from += chunk;
        } else {
            memset(page + off, 0, chunk);
        }
        len -= chunk;
        off = 0;
        pfn++;
    }
    return 0;
}

/* elf_xen_load()'s writer: a kernel address inside the initial mapping. */
struct load_ctx {
    const struct pv_layout *l;
    const struct pv_mem *mem;
    char *msg;
    size_t msg_size;
};

static int load_write(void *ctx, uint64_t vaddr, const void *src, size_t len)
{
    const struct load_ctx *c = ctx;
    const struct pv_layout *l = c->l;

    if (vaddr < l->kern_start || vaddr > l->kern_end || len > l->kern_end - vaddr)
        return refuse(c->msg, c->msg_size, -EFAULT,
                      "kernel bytes [%#llx, +%#zx) fall outside the kernel's area",
                      (unsigned long long)vaddr, len);
    return write_pfns(c->mem, 0, vaddr - l->v_start, src, len, c->msg, c->msg_size);
}

int pv_build(const struct pv_build_args *a, const struct pv_mem *mem, struct pv_boot_state *out,
             char *msg, size_t msg_size)
{
    const struct elf_xen_image *k = a->kernel;
    struct pv_layout *l = &out->layout;
    struct load_ctx lc = {.l = l, .mem = mem, .msg = msg, .msg_size = msg_size};
    uint64_t p2m_pfn;
    unsigned long *p2m = NULL;
    start_info_t *si;
    int rc;

    if (msg && msg_size)
        msg[0] = '\0';
    memset(out, 0, sizeof(*out));
    /* dom0_build.c: a kernel listing its features must list dom0 to be dom0. */
    if ((a->si.flags & SIF_INITDOMAIN) && k->has_supported_features &&
        !(k->features_supported[XENFEAT_dom0 / 32] & (1U << (XENFEAT_dom0 % 32))))
        return refuse(msg, msg_size, -EINVAL,
                      "kernel does not support dom0 operation (XENFEAT_dom0 not in its "
                      "SUPPORTED_FEATURES note)");
    if (a->module_len && !a->module)
        return refuse(msg, msg_size, -EINVAL, "module of %zu bytes has no data", a->module_len);
    if (a->si.cmdline && strnlen(a->si.cmdline, MAX_GUEST_CMDLINE) >= MAX_GUEST_CMDLINE)
        return refuse(msg, msg_size, -E2BIG,
                      "command line is longer than %d bytes (start_info.cmd_line)",
                      MAX_GUEST_CMDLINE - 1);
    rc = pv_layout(l, k, a->module_len, a->nr_pages, msg, msg_size);
    if (rc)
        return rc;

    /* Every page of the initial mapping starts out zero: no stale data reaches the guest. */
    for (uint64_t pfn = 0; pfn < l->nr_mapped; pfn++) {
        rc = write_pfns(mem, pfn, 0, NULL, PAGE_SIZE, msg, msg_size);
        if (rc)
            return rc;
    }
    rc = elf_xen_load(k, load_write, &lc);
    if (rc)
        return rc;
    if (a->module_len) {
        uint64_t tail = -(uint64_t)a->module_len & (PAGE_SIZE - 1);

        rc = write_pfns(mem, l->mod_pfn, 0, a->module, a->module_len, msg, msg_size);
        if (!rc && tail)
            rc = write_pfns(mem, l->mod_pfn, a->module_len, NULL, tail, msg, msg_size);
        if (rc)
            return rc;
    }

    /* The p2m list: one unsigned long MFN per PFN (xen.h: mfn_list). */
    p2m_pfn = pv_pfn_of(l, l->p2m_start);
    for (uint64_t pfn = 0; pfn < l->nr_pages; pfn++) {
        if (pfn % (PAGE_SIZE / sizeof(*p2m)) == 0) {
            p2m = map_page(mem, p2m_pfn + pfn / (PAGE_SIZE / sizeof(*p2m)), msg, msg_size);
            if (!p2m)
                return -EFAULT;
        }
        p2m[pfn % (PAGE_SIZE / sizeof(*p2m))] = mem->pfn_to_mfn(mem->ctx, pfn);
    }

    out->start_info_pfn = pv_pfn_of(l, l->start_info_start);
    si = map_page(mem, out->start_info_pfn, msg, msg_size);
    if (!si)
        return -EFAULT;
    rc = pv_fill_start_info(si, l, k, &a->si, msg, msg_size);
    if (rc)
        return rc;

    rc = pv_build_page_tables(l, mem, msg, msg_size);
    if (rc)
        return rc;

    out->rip = k->entry;
    out->rsp = l->stack_end;
    out->rsi = l->start_info_start;
    out->l4_pfn = pv_pfn_of(l, l->pt_start);
    out->l4_mfn = mem->pfn_to_mfn(mem->ctx, out->l4_pfn);
    out->hypercall_pfn =
        k->hypercall_page != ELF_XEN_NO_ADDR ? pv_pfn_of(l, k->hypercall_page) : PV_NO_PFN;
    return 0;
}

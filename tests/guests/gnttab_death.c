/*
 * gnttab_death: grants across two domains and the death of one of them (mica only: it needs
 * a domU, mica's domu_copies=1; run by t-gnttab-death.sh). The same ELF runs as dom0 and d1:
 *
 *   dom0 grants frame F0 to d1 (ref 20); d1 grants its frame F1 to dom0 (refs 8 and 9).
 *   d1 maps F0 writable at an address of its own and writes into it; dom0 maps F1 at an
 *   address of its own. d1 then crashes with both mappings in place.
 *   dom0 checks that: d1's mapping of F0 is gone (GTF_reading/GTF_writing of ref 20 clear,
 *   d1's write visible in F0); F1 is still mapped and readable (d1's frame stays allocated
 *   while dom0 maps it); a new map of d1's grants is refused (GNTST_bad_domain); the unmap
 *   works; then it maps F0 itself to show the grant is free again.
 */
#define PROBE_NAME "gnttab_death"

#include <string.h>

#include "probe.h"

#include <xen/grant_table.h>

#define RW    (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)
#define TRIES 200000

static uint8_t gt_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t frame[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t host[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static volatile grant_entry_v1_t *gt;
static xen_pfn_t frame_list[1];

static long gop(unsigned int cmd, void *uop, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, (unsigned long)uop, count);
}

static void yield(void)
{
    HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

static unsigned long mfn_of(const void *va)
{
    return (probe_leaf_pte((unsigned long)va) & PTE_FRAME_MASK) >> PAGE_SHIFT;
}

static const char *gtf(grant_ref_t ref)
{
    uint16_t f = gt[ref].flags;

    return (f & GTF_writing) ? "reading,writing" : (f & GTF_reading) ? "reading" : "-";
}

static int setup(void)
{
    struct gnttab_setup_table st = {.dom = DOMID_SELF, .nr_frames = 1};
    long rc;

    set_xen_guest_handle(st.frame_list, frame_list);
    rc = gop(GNTTABOP_setup_table, &st, 1);
    if (rc || st.status)
        return -1;
    rc = HYPERVISOR_update_va_mapping((unsigned long)gt_page,
                                      ((uint64_t)frame_list[0] << PAGE_SHIFT) | RW, UVMF_INVLPG);
    gt = (volatile grant_entry_v1_t *)gt_page;
    return rc ? -1 : 0;
}

static void grant(grant_ref_t ref, domid_t to, unsigned long mfn)
{
    gt[ref].domid = to;
    gt[ref].frame = (uint32_t)mfn;
    __atomic_store_n(&gt[ref].flags, GTF_permit_access, __ATOMIC_SEQ_CST);
}

/* Map (dom, ref) at `host`, retrying while the peer has not granted it yet. */
static int16_t map_host(domid_t dom, grant_ref_t ref, struct gnttab_map_grant_ref *op)
{
    for (unsigned int i = 0; i < TRIES; i++) {
        memset(op, 0, sizeof(*op));
        op->dom = dom;
        op->ref = ref;
        op->flags = GNTMAP_host_map;
        op->host_addr = (unsigned long)host;
        if (gop(GNTTABOP_map_grant_ref, op, 1) == 0 && op->status != GNTST_general_error)
            return op->status;
        yield();
    }
    return op->status;
}

static int domu(void)
{
    struct gnttab_map_grant_ref op;

    memcpy(frame, "d1's page", 10);
    grant(8, 0, mfn_of(frame));
    grant(9, 0, mfn_of(frame));
    P("d1: granted its frame to dom0 (refs 8, 9)");
    HYPERVISOR_update_va_mapping((unsigned long)host, 0, UVMF_INVLPG);
    int16_t st = map_host(0, 20, &op);
    P("d1: map dom0's ref 20 at host: status %d", st);
    if (st == GNTST_okay)
        memcpy(host, "written by d1", 14);
    for (unsigned int i = 0; i < TRIES && !(gt[8].flags & GTF_reading); i++)
        yield();
    P("d1: ref 8 %s; crashing with both mappings in place", gtf(8));
    HYPERVISOR_sched_op(SCHEDOP_shutdown, &(struct sched_shutdown){.reason = SHUTDOWN_crash});
    return 1;
}

static int dom0(void)
{
    struct gnttab_map_grant_ref op, probe_op;
    unsigned long mfn1;

    memcpy(frame, "dom0's page", 12);
    grant(20, 1, mfn_of(frame));
    P("dom0: granted its frame to d1 (ref 20)");
    HYPERVISOR_update_va_mapping((unsigned long)host, 0, UVMF_INVLPG);
    int16_t st = map_host(1, 8, &op);
    P("dom0: map d1's ref 8 at host: status %d", st);
    if (st != GNTST_okay)
        return 1;
    mfn1 = op.dev_bus_addr >> PAGE_SHIFT;
    P("dom0: host reads \"%s\"", (const char *)host);

    /* Wait until d1 is gone: a map of its other grant is then refused. */
    unsigned int i;
    for (i = 0; i < TRIES; i++) {
        memset(&probe_op, 0, sizeof(probe_op));
        probe_op.dom = 1;
        probe_op.ref = 9;
        probe_op.flags = GNTMAP_device_map | GNTMAP_readonly;
        gop(GNTTABOP_map_grant_ref, &probe_op, 1);
        if (probe_op.status != GNTST_okay)
            break;
        struct gnttab_unmap_grant_ref u = {.handle = probe_op.handle,
                                           .dev_bus_addr = probe_op.dev_bus_addr};
        gop(GNTTABOP_unmap_grant_ref, &u, 1);
        yield();
    }
    P("dom0: after d1's death, map of d1's ref 9: status %d", probe_op.status);
    P("dom0: ref 20 (d1 had it mapped) %s; frame reads \"%s\"", gtf(20), (const char *)frame);
    P("dom0: d1's frame still mapped at host, reads \"%s\", same frame: %s", (const char *)host,
      mfn_of(host) == mfn1 ? "yes" : "no");
    struct gnttab_unmap_grant_ref u = {.host_addr = (unsigned long)host, .handle = op.handle};
    long rc = gop(GNTTABOP_unmap_grant_ref, &u, 1);
    P("dom0: unmap d1's frame = %s, status %d; host mapped: %s", rc_str(rc), u.status,
      probe_leaf_pte((unsigned long)host) ? "yes" : "no");
    /* Our own grant is free again: we may map it ourselves once it names us. */
    grant(20, 0, mfn_of(frame));
    st = map_host(0, 20, &op);
    P("dom0: map own ref 20 = status %d, reads \"%s\"", st, (const char *)host);
    if (st == GNTST_okay) {
        u = (struct gnttab_unmap_grant_ref){.host_addr = (unsigned long)host, .handle = op.handle};
        gop(GNTTABOP_unmap_grant_ref, &u, 1);
    }
    return 0;
}

int main(void)
{
    int rc;

    frame[0] = host[0] = gt_page[0] = 1;
    if (setup()) {
        P("grant table setup failed");
        return 1;
    }
    rc = (start_info->flags & SIF_INITDOMAIN) ? dom0() : domu();
    probe_done();
    return rc;
}

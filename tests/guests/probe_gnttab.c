/*
 * probe_gnttab: grant tables v1 (grant_table.h; Xen's xen/common/grant_table.c) as dom0 on
 * Xen 4.17 and on mica, compared by t-probe-gnttab.sh (expected differences in
 * probe_gnttab.diff-ok). Xen runs with gnttab=max-ver:1, so set_version(2) is refused there
 * as on mica.
 *
 * One domain exercises every operation by granting to itself (domid 0): setup_table and
 * query_size (growth, limits, bad frame lists), set/get_version, map_grant_ref with
 * device_map, host_map (at a guest address and, with contains_pte, at the L1 entry's machine
 * address), readonly and application_map, unmap_grant_ref (bus and host address checks),
 * copy by reference and by frame, and every refusal: bad flags, references, domains and
 * addresses, read-only grants mapped writable, frames the granter does not own, page-table
 * frames, the 8-bit pin counter's limit, bad handles, bad argument pointers. GTF_reading and
 * GTF_writing are printed as they change. Machine addresses and handles are printed only as
 * "matches"/"valid", since they differ between the systems.
 */
#define PROBE_NAME "probe_gnttab"

#include <string.h>

#include "probe.h"

#include <xen/grant_table.h>

#define RW (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)

/* The grant table's first frame is mapped here (writable, as both hypervisors allow). */
static uint8_t gt_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* Frames granted to ourselves, and the address host mappings go to. */
static uint8_t frame_a[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t frame_b[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t frame_c[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t host[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static grant_entry_v1_t *gt;
static unsigned long mfn_a, mfn_b, mfn_c, mfn_host, mfn_l1;
static xen_pfn_t frame_list[8];
static struct gnttab_map_grant_ref batch[130];

/* Grant references used below. */
enum {
    REF_A = 8,        /* frame_a, read-write, to ourselves */
    REF_B_RO = 9,     /* frame_b, read-only */
    REF_L1 = 10,      /* the L1 table that maps `host` */
    REF_FOREIGN = 11, /* a frame of the hypervisor's */
    REF_OTHER = 12,   /* frame_a granted to domain 5 */
    REF_INVALID = 13, /* GTF_invalid */
    REF_SUBPAGE = 14, /* GTF_permit_access | GTF_sub_page (not for mapping) */
    REF_C = 15,       /* frame_c, read-write */
};

static long gop(unsigned int cmd, void *uop, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, (unsigned long)uop, count);
}

static unsigned long mfn_of(const void *va)
{
    return (probe_leaf_pte((unsigned long)va) & PTE_FRAME_MASK) >> PAGE_SHIFT;
}

static const char *gtf(grant_ref_t ref)
{
    static char buf[4][48];
    static unsigned int n;
    char *b = buf[n++ % 4];
    uint16_t f = gt[ref].flags;

    snprintf(b, sizeof(buf[0]), "%s%s", (f & GTF_reading) ? "reading" : "-",
             (f & GTF_writing) ? ",writing" : "");
    return b;
}

static void grant(grant_ref_t ref, domid_t dom, unsigned long mfn, uint16_t flags)
{
    gt[ref].domid = dom;
    gt[ref].frame = (uint32_t)mfn;
    __atomic_store_n(&gt[ref].flags, flags, __ATOMIC_SEQ_CST);
}

/* One map operation; prints it and returns its status (handle and address through *op). */
static int16_t map(const char *what, domid_t dom, grant_ref_t ref, uint32_t flags,
                   uint64_t host_addr, struct gnttab_map_grant_ref *op)
{
    struct gnttab_map_grant_ref local;
    long rc;

    if (!op)
        op = &local;
    memset(op, 0, sizeof(*op));
    op->dom = dom;
    op->ref = ref;
    op->flags = flags;
    op->host_addr = host_addr;
    rc = gop(GNTTABOP_map_grant_ref, op, 1);
    P("map %s = %s, status %d", what, rc_str(rc), op->status);
    return op->status;
}

static int16_t unmap(const char *what, grant_handle_t handle, uint64_t host_addr,
                     uint64_t dev_bus_addr)
{
    struct gnttab_unmap_grant_ref op = {
        .host_addr = host_addr, .dev_bus_addr = dev_bus_addr, .handle = handle, .status = 99};
    long rc = gop(GNTTABOP_unmap_grant_ref, &op, 1);

    P("unmap %s = %s, status %d", what, rc_str(rc), op.status);
    return op.status;
}

/* Unmap `host` (so no stale translation can hide what a grant mapping installs). */
static void clear_host(void)
{
    long rc = HYPERVISOR_update_va_mapping((unsigned long)host, 0, UVMF_INVLPG);

    if (rc)
        P("clear host page = %s (probe broken)", rc_str(rc));
}

static void restore_host(void)
{
    long rc = HYPERVISOR_update_va_mapping((unsigned long)host,
                                           ((uint64_t)mfn_host << PAGE_SHIFT) | RW, UVMF_INVLPG);

    if (rc)
        P("restore host page = %s (probe broken)", rc_str(rc));
}

static void table_ops(void)
{
    struct gnttab_query_size q = {.dom = DOMID_SELF};
    struct gnttab_setup_table st = {.dom = DOMID_SELF, .nr_frames = 1};
    long rc;

    rc = gop(GNTTABOP_query_size, &q, 1);
    P("query_size(self) = %s, status %d, nr_frames %u, max_nr_frames %u", rc_str(rc), q.status,
      q.nr_frames, q.max_nr_frames);

    set_xen_guest_handle(st.frame_list, frame_list);
    rc = gop(GNTTABOP_setup_table, &st, 1);
    P("setup_table(self, 1) = %s, status %d, frame 0 given: %s", rc_str(rc), st.status,
      frame_list[0] ? "yes" : "no");
    rc = HYPERVISOR_update_va_mapping((unsigned long)gt_page,
                                      ((uint64_t)frame_list[0] << PAGE_SHIFT) | RW, UVMF_INVLPG);
    P("map grant-table frame 0 writable = %s", rc_str(rc));
    gt = (grant_entry_v1_t *)gt_page;

    st.nr_frames = 4;
    rc = gop(GNTTABOP_setup_table, &st, 1);
    P("setup_table(self, 4) = %s, status %d, frame 0 same: %s, 4 frames given: %s", rc_str(rc),
      st.status, frame_list[0] == mfn_of(gt_page) ? "yes" : "no",
      frame_list[1] && frame_list[2] && frame_list[3] ? "yes" : "no");
    rc = gop(GNTTABOP_query_size, &q, 1);
    P("query_size(self) = %s, status %d, nr_frames %u", rc_str(rc), q.status, q.nr_frames);
    st.dom = 0;
    st.nr_frames = 2;
    rc = gop(GNTTABOP_setup_table, &st, 1);
    P("setup_table(0, 2) = %s, status %d", rc_str(rc), st.status);

    st.dom = DOMID_SELF;
    st.nr_frames = 65;
    rc = gop(GNTTABOP_setup_table, &st, 1);
    P("setup_table(self, 65 > max) = %s, status %d", rc_str(rc), st.status);
    st.nr_frames = 1;
    st.dom = 5;
    rc = gop(GNTTABOP_setup_table, &st, 1);
    P("setup_table(dom 5, none) = %s, status %d", rc_str(rc), st.status);
    st.dom = DOMID_SELF;
    set_xen_guest_handle(st.frame_list, (xen_pfn_t *)0x1000);
    rc = gop(GNTTABOP_setup_table, &st, 1);
    P("setup_table(frame_list unmapped) = %s, status %d", rc_str(rc), st.status);
    set_xen_guest_handle(st.frame_list, (xen_pfn_t *)0xffff800000000000UL);
    rc = gop(GNTTABOP_setup_table, &st, 1);
    P("setup_table(frame_list in hypervisor range) = %s", rc_str(rc));
    set_xen_guest_handle(st.frame_list, frame_list);
    rc = gop(GNTTABOP_setup_table, &st, 2);
    P("setup_table(count 2) = %s", rc_str(rc));
    rc = gop(GNTTABOP_query_size, &q, 0);
    P("query_size(count 0) = %s", rc_str(rc));
    rc = gop(GNTTABOP_query_size, (void *)0xffff800000000000UL, 1);
    P("query_size(uop in hypervisor range) = %s", rc_str(rc));
    q.dom = 5;
    rc = gop(GNTTABOP_query_size, &q, 1);
    P("query_size(dom 5) = %s, status %d", rc_str(rc), q.status);

    struct gnttab_set_version sv = {.version = 1};
    rc = gop(GNTTABOP_set_version, &sv, 1);
    P("set_version(1) = %s, version %u", rc_str(rc), sv.version);
    sv.version = 2;
    rc = gop(GNTTABOP_set_version, &sv, 1);
    P("set_version(2) = %s, version %u", rc_str(rc), sv.version);
    sv.version = 3;
    rc = gop(GNTTABOP_set_version, &sv, 1);
    P("set_version(3) = %s, version %u", rc_str(rc), sv.version);
    struct gnttab_get_version gv = {.dom = DOMID_SELF};
    rc = gop(GNTTABOP_get_version, &gv, 1);
    P("get_version(self) = %s, version %u", rc_str(rc), gv.version);
    gv.dom = 5;
    rc = gop(GNTTABOP_get_version, &gv, 1);
    P("get_version(dom 5) = %s", rc_str(rc));
}

static void bad_calls(void)
{
    struct gnttab_map_grant_ref op = {0};
    long rc;

    rc = gop(GNTTABOP_map_grant_ref, (void *)0xffff800000000000UL, 1);
    P("map(uop in hypervisor range) = %s", rc_str(rc));
    rc = gop(GNTTABOP_map_grant_ref, (void *)0x1000, 1);
    P("map(uop unmapped) = %s", rc_str(rc));
    rc = gop(GNTTABOP_unmap_grant_ref, (void *)0x1000, 1);
    P("unmap(uop unmapped) = %s", rc_str(rc));
    rc = gop(GNTTABOP_copy, (void *)0x1000, 1);
    P("copy(uop unmapped) = %s", rc_str(rc));
    rc = gop(GNTTABOP_map_grant_ref, &op, 0);
    P("map(count 0) = %s", rc_str(rc));
    rc = gop(GNTTABOP_map_grant_ref, &op, 0xffffffffU);
    P("map(count -1) = %s", rc_str(rc));
    rc = gop(GNTTABOP_map_grant_ref | (1U << 12), &op, 1);
    P("map(cmd with continuation bits) = %s", rc_str(rc));
    rc = gop(GNTTABOP_dump_table, &op, 1);
    P("dump_table = %s", rc_str(rc));
    rc = gop(99, &op, 1);
    P("cmd 99 = %s", rc_str(rc));
}

static void device_maps(void)
{
    struct gnttab_map_grant_ref op;

    grant(REF_A, 0, mfn_a, GTF_permit_access);
    P("grant %d: flags %s", REF_A, gtf(REF_A));
    if (map("device_map rw A", 0, REF_A, GNTMAP_device_map, 0, &op) == GNTST_okay) {
        P("  dev_bus_addr is A's machine address: %s; handle valid: %s; A %s",
          op.dev_bus_addr == (uint64_t)mfn_a << PAGE_SHIFT ? "yes" : "no",
          op.handle < 0x10000 ? "yes" : "no", gtf(REF_A));
        unmap("device A, wrong bus address", op.handle, 0, (uint64_t)mfn_b << PAGE_SHIFT);
        P("  A %s", gtf(REF_A));
        unmap("device A, no address (nothing done)", op.handle, 0, 0);
        P("  A %s", gtf(REF_A));
        unmap("device A", op.handle, 0, op.dev_bus_addr);
        P("  A %s", gtf(REF_A));
        unmap("device A again (freed handle)", op.handle, 0, op.dev_bus_addr);
    }
    grant(REF_B_RO, 0, mfn_b, GTF_permit_access | GTF_readonly);
    map("device_map rw of a read-only grant", 0, REF_B_RO, GNTMAP_device_map, 0, NULL);
    P("  B %s", gtf(REF_B_RO));
    if (map("device_map ro B", 0, REF_B_RO, GNTMAP_device_map | GNTMAP_readonly, 0, &op) ==
        GNTST_okay) {
        P("  B %s", gtf(REF_B_RO));
        unmap("device B", op.handle, 0, op.dev_bus_addr);
        P("  B %s", gtf(REF_B_RO));
    }
}

static void host_maps(void)
{
    struct gnttab_map_grant_ref op, op2;
    uint64_t va = (uint64_t)(unsigned long)host;

    memcpy(frame_a, "frame A's contents", 19);
    memcpy(frame_b, "frame B, read-only", 19);
    clear_host();
    if (map("host_map rw A at host", 0, REF_A, GNTMAP_host_map, va, &op) == GNTST_okay) {
        uint64_t pte = probe_leaf_pte((unsigned long)host);

        P("  host reads \"%s\"; A %s; entry maps A: %s, P RW: %s, NX: %s, US: %s",
          (const char *)host, gtf(REF_A),
          ((pte & PTE_FRAME_MASK) >> PAGE_SHIFT) == mfn_a ? "yes" : "no",
          (pte & (_PAGE_PRESENT | _PAGE_RW)) == (_PAGE_PRESENT | _PAGE_RW) ? "yes" : "no",
          (pte & (1ULL << 63)) ? "yes" : "no", (pte & _PAGE_USER) ? "yes" : "no");
        *(volatile uint8_t *)&host[100] = 'w';
        P("  a write through host lands in A: %s",
          *(volatile uint8_t *)&frame_a[100] == 'w' ? "yes" : "no");
        unmap("host A, wrong host_addr", op.handle, va + PAGE_SIZE, 0);
        unmap("host A, host_addr 0 (nothing done)", op.handle, 0, 0);
        P("  A %s", gtf(REF_A));
        unmap("host A, hypervisor-range host_addr", op.handle, 0xffff800000000000UL, 0);
        unmap("host A", op.handle, va, 0);
        P("  A %s; host entry present: %s", gtf(REF_A),
          probe_leaf_pte((unsigned long)host) ? "yes" : "no");
    }
    if (map("host_map ro B at host", 0, REF_B_RO, GNTMAP_host_map | GNTMAP_readonly, va, &op) ==
        GNTST_okay) {
        uint64_t pte = probe_leaf_pte((unsigned long)host);

        P("  host reads \"%s\"; B %s; RW: %s", (const char *)host, gtf(REF_B_RO),
          (pte & _PAGE_RW) ? "yes" : "no");
        unmap("host B", op.handle, va, 0);
    }
    map("host_map rw of a read-only grant", 0, REF_B_RO, GNTMAP_host_map, va, NULL);
    P("  B %s", gtf(REF_B_RO));

    /* Two mappings of one grant: host (application_map) and device; pins add up. */
    if (map("host_map|application_map rw A", 0, REF_A, GNTMAP_host_map | GNTMAP_application_map, va,
            &op) == GNTST_okay) {
        uint64_t pte = probe_leaf_pte((unsigned long)host);

        P("  US: %s", (pte & _PAGE_USER) ? "yes" : "no");
        if (map("device_map ro A as well", 0, REF_A, GNTMAP_device_map | GNTMAP_readonly, 0,
                &op2) == GNTST_okay) {
            P("  handles differ: %s; A %s", op.handle != op2.handle ? "yes" : "no", gtf(REF_A));
            unmap("host A (device mapping stays)", op.handle, va, 0);
            P("  A %s", gtf(REF_A));
            unmap("device A", op2.handle, 0, op2.dev_bus_addr);
            P("  A %s", gtf(REF_A));
        }
    }

    /* Host and device at once: one handle, two uses. */
    if (map("host_map|device_map rw A", 0, REF_A, GNTMAP_host_map | GNTMAP_device_map, va, &op) ==
        GNTST_okay) {
        unmap("host+device A, device part only", op.handle, 0, op.dev_bus_addr);
        P("  A %s; host entry present: %s", gtf(REF_A),
          probe_leaf_pte((unsigned long)host) ? "yes" : "no");
        unmap("host+device A, host part", op.handle, va, 0);
        P("  A %s", gtf(REF_A));
        unmap("host+device A again", op.handle, va, 0);
    }

    /* GNTMAP_contains_pte: host_addr is the machine address of the L1 entry. */
    uint64_t pte_ma = ((uint64_t)mfn_l1 << PAGE_SHIFT) + ((va >> PAGE_SHIFT) & 511) * 8;
    map("contains_pte, misaligned entry address", 0, REF_A, GNTMAP_host_map | GNTMAP_contains_pte,
        pte_ma + 4, NULL);
    map("contains_pte, a frame that is not a page table", 0, REF_A,
        GNTMAP_host_map | GNTMAP_contains_pte, (uint64_t)mfn_c << PAGE_SHIFT, NULL);
    if (map("contains_pte at host's L1 entry", 0, REF_A, GNTMAP_host_map | GNTMAP_contains_pte,
            pte_ma, &op) == GNTST_okay) {
        P("  host reads \"%.18s\"; A %s", (const char *)host, gtf(REF_A));
        unmap("contains_pte A", op.handle, pte_ma, 0);
        P("  A %s; host entry present: %s", gtf(REF_A),
          probe_leaf_pte((unsigned long)host) ? "yes" : "no");
    }
    restore_host();
}

static void refusals(void)
{
    uint64_t va = (uint64_t)(unsigned long)host;
    grant_handle_t h;
    struct gnttab_map_grant_ref op;

    grant(REF_L1, 0, mfn_l1, GTF_permit_access);
    grant(REF_FOREIGN, 0, 0x200, GTF_permit_access);
    grant(REF_OTHER, 5, mfn_a, GTF_permit_access);
    grant(REF_INVALID, 0, mfn_a, GTF_invalid);
    grant(REF_SUBPAGE, 0, mfn_a, GTF_permit_access | GTF_sub_page);

    map("flags 0", 0, REF_A, 0, 0, NULL);
    map("readonly alone", 0, REF_A, GNTMAP_readonly, 0, NULL);
    map("ref 100000", 0, 100000, GNTMAP_device_map, 0, NULL);
    map("ref 2048 (one past 4 frames)", 0, 2048, GNTMAP_device_map, 0, NULL);
    map("dom 5 (none)", 5, REF_A, GNTMAP_device_map, 0, NULL);
    map("dom DOMID_SELF", DOMID_SELF, REF_A, GNTMAP_device_map, 0, NULL);
    map("grant for dom 5", 0, REF_OTHER, GNTMAP_device_map, 0, NULL);
    map("GTF_invalid", 0, REF_INVALID, GNTMAP_device_map, 0, NULL);
    map("GTF_sub_page", 0, REF_SUBPAGE, GNTMAP_device_map, 0, NULL);
    map("frame not the granter's (MFN 0x200)", 0, REF_FOREIGN, GNTMAP_device_map, 0, NULL);
    P("  foreign %s", gtf(REF_FOREIGN));
    map("own L1 table rw", 0, REF_L1, GNTMAP_device_map, 0, NULL);
    P("  L1 %s", gtf(REF_L1));
    if (map("own L1 table ro", 0, REF_L1, GNTMAP_device_map | GNTMAP_readonly, 0, &op) ==
        GNTST_okay)
        unmap("L1 ro", op.handle, 0, op.dev_bus_addr);
    map("host_map, hypervisor-range address", 0, REF_A, GNTMAP_host_map, 0xffff800000000000UL,
        NULL);
    map("host_map, non-canonical address", 0, REF_A, GNTMAP_host_map, 0x0000800000000000UL, NULL);
    map("host_map, address without an L1 table", 0, REF_A, GNTMAP_host_map, 1UL << 46, NULL);
    P("  A %s", gtf(REF_A));
    (void)va;

    unmap("handle 0xffff (never given)", 0xffff, 0, 0);
    unmap("handle 0xffffffff", 0xffffffffU, 0, 0);

    /* The 8-bit read-only device pin counter: 128 mappings, then the 129th is refused. */
    for (unsigned int i = 0; i < 129; i++)
        batch[i] = (struct gnttab_map_grant_ref){
            .dom = 0, .ref = REF_A, .flags = GNTMAP_device_map | GNTMAP_readonly};
    long rc = gop(GNTTABOP_map_grant_ref, batch, 129);
    unsigned int ok = 0;
    for (unsigned int i = 0; i < 128; i++)
        ok += batch[i].status == GNTST_okay;
    P("batch of 129 ro device maps of A = %s: %u of the first 128 okay, 129th status %d",
      rc_str(rc), ok, batch[128].status);
    P("  A %s", gtf(REF_A));
    struct gnttab_unmap_grant_ref u[128];
    for (unsigned int i = 0; i < 128; i++)
        u[i] = (struct gnttab_unmap_grant_ref){.handle = batch[i].handle,
                                               .dev_bus_addr = batch[i].dev_bus_addr};
    rc = gop(GNTTABOP_unmap_grant_ref, u, 128);
    ok = 0;
    for (unsigned int i = 0; i < 128; i++)
        ok += u[i].status == GNTST_okay;
    P("batch of 128 unmaps = %s: %u okay; A %s", rc_str(rc), ok, gtf(REF_A));
    h = batch[0].handle;
    unmap("a handle of that batch again", h, 0, batch[0].dev_bus_addr);

    /* A mixed batch: per-operation statuses. */
    batch[0] = (struct gnttab_map_grant_ref){.dom = 0, .ref = REF_A, .flags = GNTMAP_device_map};
    batch[1] = (struct gnttab_map_grant_ref){.dom = 0, .ref = 99999, .flags = GNTMAP_device_map};
    batch[2] = (struct gnttab_map_grant_ref){.dom = 7, .ref = REF_A, .flags = GNTMAP_device_map};
    rc = gop(GNTTABOP_map_grant_ref, batch, 3);
    P("mixed batch of 3 maps = %s: statuses %d %d %d", rc_str(rc), batch[0].status, batch[1].status,
      batch[2].status);
    if (batch[0].status == GNTST_okay)
        unmap("the good one", batch[0].handle, 0, batch[0].dev_bus_addr);
    P("  A %s", gtf(REF_A));
}

static int16_t copy(const char *what, struct gnttab_copy c)
{
    long rc;

    c.status = 99;
    rc = gop(GNTTABOP_copy, &c, 1);
    P("copy %s = %s, status %d", what, rc_str(rc), c.status);
    return c.status;
}

static void copies(void)
{
    struct gnttab_copy c, b;

    grant(REF_C, 0, mfn_c, GTF_permit_access);
    memset(frame_c, 0, PAGE_SIZE);
    memcpy(frame_b, "frame B, read-only", 19);

    c = (struct gnttab_copy){.flags = GNTCOPY_source_gref | GNTCOPY_dest_gref, .len = 19};
    c.source.domid = 0;
    c.source.u.ref = REF_B_RO;
    c.dest.domid = 0;
    c.dest.u.ref = REF_C;
    c.dest.offset = 200;
    if (copy("gref B -> gref C at 200", c) == GNTST_okay)
        P("  C reads \"%s\"; B %s; C %s", (const char *)frame_c + 200, gtf(REF_B_RO), gtf(REF_C));

    c = (struct gnttab_copy){.flags = GNTCOPY_dest_gref, .len = 9};
    c.source.domid = DOMID_SELF;
    c.source.u.gmfn = mfn_a;
    c.source.offset = 0;
    c.dest.domid = 0;
    c.dest.u.ref = REF_C;
    c.dest.offset = 4000;
    if (copy("own frame A (DOMID_SELF) -> gref C at 4000", c) == GNTST_okay)
        P("  C reads \"%.9s\"", (const char *)frame_c + 4000);

    b = c;
    b.source.domid = 0;
    copy("frame named by domid 0 instead of DOMID_SELF", b);
    b = c;
    b.source.u.gmfn = 0x200;
    copy("frame not ours (MFN 0x200)", b);
    b = c;
    b.dest.domid = 5;
    copy("dest dom 5", b);
    b = c;
    b.dest.u.ref = REF_B_RO;
    copy("dest a read-only grant", b);
    P("  B %s", gtf(REF_B_RO));
    b = c;
    b.dest.u.ref = 70000;
    copy("dest ref 70000", b);
    b = c;
    b.len = 200; /* 4000 + 200 > 4096 */
    copy("dest crosses the page end", b);
    b = c;
    b.source.offset = 4095;
    b.dest.offset = 0;
    b.len = 2;
    copy("source crosses the page end", b);
    b = c;
    b.flags = 0;
    b.dest.domid = DOMID_SELF;
    b.dest.u.gmfn = mfn_l1;
    copy("dest own L1 table by frame", b);
    b = c;
    b.dest.u.ref = REF_INVALID;
    copy("dest GTF_invalid", b);
    b = c;
    b.len = 0;
    copy("length 0", b);
    P("  C %s; B %s; A %s", gtf(REF_C), gtf(REF_B_RO), gtf(REF_A));
}

int main(void)
{
    frame_a[0] = frame_b[0] = frame_c[0] = host[0] = gt_page[0] = 1; /* touch them */
    mfn_a = mfn_of(frame_a);
    mfn_b = mfn_of(frame_b);
    mfn_c = mfn_of(frame_c);
    mfn_host = mfn_of(host);

    /* The L1 that maps `host`: the frame of the L2 entry on the walk. */
    const uint64_t *t = (const uint64_t *)start_info->pt_base;
    unsigned long va = (unsigned long)host;
    for (int level = 4; level >= 2 && t; level--) {
        uint64_t e = t[(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511];
        unsigned long mfn = (e & PTE_FRAME_MASK) >> PAGE_SHIFT;

        if (level == 2)
            mfn_l1 = mfn;
        else
            t = probe_table_va(mfn);
    }
    P("frames found: %s", mfn_a && mfn_b && mfn_c && mfn_host && mfn_l1 ? "yes" : "no");

    table_ops();
    bad_calls();
    device_maps();
    host_maps();
    refusals();
    copies();
    probe_done();
    return 0;
}

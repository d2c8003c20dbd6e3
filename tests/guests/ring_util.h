/*
 * ring_util.h — the ping ring and the grant, mapping and waiting helpers of the ring
 * demonstration probes ring_pingpong.c and ring_hostile.c (issue 7, "Demonstration and
 * tests"; docs/rings.md, "The demonstration").
 *
 * The ring is a custom type on Xen's io/ring.h through the sring API (<sring/sring.h>):
 * DEFINE_RING_TYPES(ping, struct ping_request, struct ping_response) and
 * SRING_DEFINE_API(ping, ...). A slot is 16 bytes, so one 4 KiB page holds 128 of them. Every
 * request carries a sequence number and a check word derived from it, so a backend can
 * validate its private copy (copy before validate) and both ends can tell that every message
 * arrived once and in order.
 *
 * How the two ends find each other (docs/abi.md, "Device wiring by the builder"): with the
 * hypervisor options `domu_copies=1 domu_rings`, mica gives d1 the command-line option
 * `ring=pfn:P,gref:G,port:E,backend:B` (its ring page is PFN P, already an empty shared ring,
 * granted to B at reference G; E is its unbound port for B) and dom0 `ring-d1=gref:G,port:E`.
 * A single domain can also be both ends (ring_pingpong's mode=self, which runs on Xen 4.17):
 * it grants a page to itself and binds an interdomain channel to itself.
 *
 * Include after probe.h and evt_util.h (it uses P(), rc_str() and the EVTCHNOP helpers), once
 * per probe image.
 */
#ifndef TESTS_GUESTS_RING_UTIL_H
#define TESTS_GUESTS_RING_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pvguest/cmdline.h>
#include <pvguest/hypercall.h>
#include <sring/sring.h>
#include <xen/grant_table.h>

/** One request: its sequence number (1, 2, ...), the operation, a check word (ping_check). */
struct ping_request {
    uint64_t seq;
    uint32_t op;    /* PING_OP_PING */
    uint32_t check; /* ping_check(seq) */
};

/** One response: the request's sequence number, 0 or -XEN_EINVAL, ping_check(seq). */
struct ping_response {
    uint64_t seq;
    int32_t status;
    uint32_t check;
};

#define PING_OP_PING 0x676e6970u /* "ping" */

DEFINE_RING_TYPES(ping, struct ping_request, struct ping_response);
SRING_DEFINE_API(ping, struct ping_request, struct ping_response);

/** The check word of sequence number @seq (a multiplicative hash: any torn copy shows). */
static inline uint32_t ping_check(uint64_t seq)
{
    return (uint32_t)((seq * 0x9e3779b97f4a7c15ull) >> 32);
}

/** A writable kernel mapping of a frame (PV guests run in ring 3: user pages; page.h). */
#define RING_PTE_RW (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)

/** HYPERVISOR_grant_table_op (grant_table.h, hypercall 20); 0 or -errno for the batch. */
static inline long ring_gnttab_op(unsigned int cmd, void *uop, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, (unsigned long)uop, count);
}

/** The name of a GNTST_* status (grant_table.h), "okay" for 0, "?" for an unknown one. */
static inline const char *ring_gntst_name(int16_t st)
{
    static const char *const names[] = {
        "okay",          "general_error",   "bad_domain",      "bad_gntref",        "bad_handle",
        "bad_virt_addr", "bad_dev_addr",    "no_device_space", "permission_denied", "bad_page",
        "bad_copy_arg",  "address_too_big", "eagain",          "no_space",
    };

    return st <= 0 && -st < (int)(sizeof(names) / sizeof(names[0])) ? names[-st] : "?";
}

/**
 * Field @key of a ring option value "k1:v1,k2:v2,..." (the builder's format) into *@v.
 * Returns true if found and a number.
 */
static inline bool ring_field(const char *s, const char *key, unsigned long *v)
{
    size_t n = strlen(key);

    while (s && *s) {
        if (strncmp(s, key, n) == 0 && s[n] == ':') {
            char *end;

            *v = strtoul(s + n + 1, &end, 0);
            return end != s + n + 1;
        }
        s = strchr(s, ',');
        if (s)
            s++;
    }
    return false;
}

/** What the builder told the frontend: `ring=pfn:P,gref:G,port:E,backend:B`. */
struct ring_front_params {
    unsigned long pfn, gref, port, backend;
};

/** Parse the frontend's `ring=` option; 0, or -1 if it is missing or incomplete. */
static inline int ring_front_params(struct ring_front_params *p)
{
    char buf[96];

    if (cmdline_get("ring", buf, sizeof(buf)) <= 0)
        return -1;
    return ring_field(buf, "pfn", &p->pfn) && ring_field(buf, "gref", &p->gref) &&
                   ring_field(buf, "port", &p->port) && ring_field(buf, "backend", &p->backend)
               ? 0
               : -1;
}

/** Parse the backend's `ring-d@front=gref:G,port:E`; 0, or -1 if missing or incomplete. */
static inline int ring_back_params(domid_t front, unsigned long *gref, unsigned long *port)
{
    char key[16], buf[64];

    snprintf(key, sizeof(key), "ring-d%u", front);
    if (cmdline_get(key, buf, sizeof(buf)) <= 0)
        return -1;
    return ring_field(buf, "gref", gref) && ring_field(buf, "port", port) ? 0 : -1;
}

/** MFN of the page mapped at kernel address @va (walks the bootstrap tables). */
static inline unsigned long ring_mfn_of(const void *va)
{
    return (probe_leaf_pte((unsigned long)va) & PTE_FRAME_MASK) >> PAGE_SHIFT;
}

/**
 * Map our own pseudo-physical frame @pfn writable at the page-aligned kernel address @va,
 * replacing what was there: its MFN from the p2m list (start_info->mfn_list), then
 * update_va_mapping. Returns 0 or -errno.
 */
static inline long ring_map_pfn(void *va, unsigned long pfn)
{
    if (pfn >= start_info->nr_pages)
        return -XEN_EINVAL;
    return HYPERVISOR_update_va_mapping(
        (unsigned long)va, ((uint64_t)probe_pfn_to_mfn(pfn) << PAGE_SHIFT) | RING_PTE_RW,
        UVMF_INVLPG);
}

/**
 * Map our own grant table's first frame at @gt_page (GNTTABOP_setup_table with one frame,
 * then update_va_mapping, as both hypervisors allow). Returns the table or NULL.
 */
static inline volatile grant_entry_v1_t *ring_gnttab_map_own(void *gt_page)
{
    struct gnttab_setup_table st = {.dom = DOMID_SELF, .nr_frames = 1};
    xen_pfn_t frame;

    set_xen_guest_handle(st.frame_list, &frame);
    if (ring_gnttab_op(GNTTABOP_setup_table, &st, 1) || st.status != GNTST_okay)
        return NULL;
    if (HYPERVISOR_update_va_mapping((unsigned long)gt_page,
                                     ((uint64_t)frame << PAGE_SHIFT) | RING_PTE_RW, UVMF_INVLPG))
        return NULL;
    return (volatile grant_entry_v1_t *)gt_page;
}

/** Grant frame @mfn to domain @to at reference @ref (domid and frame first, flags last). */
static inline void ring_grant(volatile grant_entry_v1_t *gt, grant_ref_t ref, domid_t to,
                              unsigned long mfn)
{
    gt[ref].domid = to;
    gt[ref].frame = (uint32_t)mfn;
    __atomic_store_n(&gt[ref].flags, GTF_permit_access, __ATOMIC_SEQ_CST);
}

/**
 * Map grant @ref of domain @dom writable at the page-aligned kernel address @host
 * (GNTTABOP_map_grant_ref, GNTMAP_host_map); whatever @host mapped is unmapped first.
 * Returns the GNTST_* status (0 = okay), the handle in *@handle; a failed hypercall (which
 * neither hypervisor gives for a well-formed batch of one) counts as GNTST_general_error.
 */
static inline int16_t ring_map_grant(domid_t dom, grant_ref_t ref, void *host,
                                     grant_handle_t *handle)
{
    struct gnttab_map_grant_ref op = {
        .host_addr = (unsigned long)host, .flags = GNTMAP_host_map, .ref = ref, .dom = dom};

    HYPERVISOR_update_va_mapping((unsigned long)host, 0, UVMF_INVLPG);
    if (ring_gnttab_op(GNTTABOP_map_grant_ref, &op, 1))
        return GNTST_general_error;
    *handle = op.handle;
    return op.status;
}

/** Undo ring_map_grant (GNTTABOP_unmap_grant_ref); the GNTST_* status as there. */
static inline int16_t ring_unmap_grant(void *host, grant_handle_t handle)
{
    struct gnttab_unmap_grant_ref op = {.host_addr = (unsigned long)host, .handle = handle};

    if (ring_gnttab_op(GNTTABOP_unmap_grant_ref, &op, 1))
        return GNTST_general_error;
    return op.status;
}

/** A GNTST_* status as text: "0 (okay)", "-2 (bad_domain)". One of 4 static buffers. */
static inline const char *ring_st_str(int16_t st)
{
    static char bufs[4][40];
    static unsigned int next;
    char *b = bufs[next++ % 4];

    snprintf(b, sizeof(bufs[0]), "%d (%s)", st, ring_gntst_name(st));
    return b;
}

/** Counters of the waits of one end. */
struct ring_waits {
    unsigned long events;   /* waits that ended with our port pending (cleared) */
    unsigned long spurious; /* SCHEDOP_poll returned with nothing we wait for pending */
};

/** How a wait ended. */
enum ring_wait_result { RING_WAIT_EVENT, RING_WAIT_PEER_DIED, RING_WAIT_TIMEOUT };

/**
 * Wait until @port is pending (clear it: RING_WAIT_EVENT), or @virq (VIRQ_DOM_EXC, if not 0)
 * is (left pending: RING_WAIT_PEER_DIED), or system time passes @deadline
 * (RING_WAIT_TIMEOUT). Events stay masked; SCHEDOP_poll wakes on the bits (evt_util.h).
 */
static inline enum ring_wait_result ring_wait(evtchn_port_t port, evtchn_port_t virq,
                                              uint64_t deadline, struct ring_waits *w)
{
    evtchn_port_t ports[2] = {port, virq};

    for (;;) {
        if (evt_test_and_clear(port)) {
            w->events++;
            return RING_WAIT_EVENT;
        }
        if (virq && evt_pending(virq))
            return RING_WAIT_PEER_DIED;
        if (evt_now_ns() >= deadline)
            return RING_WAIT_TIMEOUT;
        evt_poll(ports, virq ? 2 : 1, deadline);
        if (!evt_pending(port) && !(virq && evt_pending(virq)) && evt_now_ns() < deadline)
            w->spurious++;
    }
}

/** Print the counters of one ring end (struct sring_stats) as two lines, for @who. */
static inline void ring_print_stats(const char *who, const char *end, const struct sring_stats *s)
{
    P("%s: %s: posted %llu, consumed %llu, ring full %llu, protocol errors %llu", who, end,
      (unsigned long long)s->posted, (unsigned long long)s->consumed, (unsigned long long)s->full,
      (unsigned long long)s->protocol_errors);
    P("%s: %s: pushes %llu: notifications sent %llu, suppressed %llu; final checks %llu, "
      "races %llu",
      who, end, (unsigned long long)s->pushes, (unsigned long long)s->notify_sent,
      (unsigned long long)s->notify_suppressed, (unsigned long long)s->final_checks,
      (unsigned long long)s->final_races);
}

#endif /* TESTS_GUESTS_RING_UTIL_H */

/*
 * netfront.c — the network frontend (netfront.h; issue 11).
 *
 * Grants: every TX page (read-only) and RX page (writable) is granted to the backend once,
 * at open, and stays granted: netback only ever grant-copies (docs/abi.md, "copy"), so a
 * page is reused as soon as its response is in. Ids are page indices: TX id i uses TX page
 * i, RX id i RX page i.
 *
 * The grant table is shared with blkfront (core/gnttab.c); netfront takes references from
 * FIRST_REF up (blkfront keeps to the first 2048).
 *
 * Threads: the event handler only wakes the netfront thread, which consumes RX responses
 * (hands each complete frame to the callback, re-posts the buffers) and TX responses (frees
 * the slots). netfront_xmit() runs in the caller's thread and reclaims TX slots itself when
 * the ring is full.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <pvguest/devtree.h>
#include <pvguest/events.h>
#include <pvguest/gnttab.h>
#include <pvguest/hypercall.h>
#include <pvguest/mm.h>
#include <pvguest/netfront.h>
#include <pvguest/netif_check.h>
#include <pvguest/netif_control.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>
#include <xen/grant_table.h>
#include <xen/io/xenbus.h>

#define PAGE_BYTES 4096u
#define FIRST_REF  2048 /* below: blkfront's (gnttab.h) */
#define NR_REFS    GNTTAB_GUEST_ENTRIES
#define SLOTS      NETFRONT_RING_SLOTS
#define NOT_DONE   2  /* a raw request's status before its response */
#define RX_BUDGET  64 /* RX responses per rx_poll: then the re-posted buffers are pushed */

struct netfront {
    struct netif_tx_frontend tx;
    struct netif_rx_frontend rx;
    volatile struct netif_control *control;
    evtchn_port_t port;
    struct netfront_info info;
    netfront_rx_fn rx_fn;
    void *rx_arg;
    uint8_t *tx_page[SLOTS];
    grant_ref_t tx_ref[SLOTS];
    bool tx_busy[SLOTS];
    int16_t tx_status[SLOTS]; /* the last response's status per id (raw requests) */
    uint16_t tx_free[SLOTS];
    unsigned int nr_tx_free;
    uint8_t *rx_page[SLOTS];
    grant_ref_t rx_ref[SLOTS];
    bool rx_posted[SLOTS];
    uint8_t *frame; /* reassembly of a multi-slot RX frame (64 KiB) */
    uint32_t frame_len;
    bool frame_bad;
    bool kick;
    bool closing;
    struct wait_queue wq;
};

/* The grant table is shared by the frontends (core/gnttab.c). */
static volatile grant_entry_v1_t *gt;
static unsigned int next_ref = FIRST_REF;

static int gnttab_init(void)
{
    gt = gnttab_entries();
    return gt ? 0 : -1;
}

/* Grant a new page to @dom for good; its reference, or -1 (table full, no memory). */
static long grant_new_page(domid_t dom, bool ro, uint8_t **va)
{
    long pfn;
    grant_ref_t ref;

    if (next_ref >= NR_REFS || (pfn = page_alloc()) < 0)
        return -1;
    ref = next_ref++;
    *va = pfn_to_virt((unsigned long)pfn);
    gt[ref].domid = dom;
    gt[ref].frame = (uint32_t)pfn_to_mfn((unsigned long)pfn);
    __atomic_store_n(&gt[ref].flags, (uint16_t)(GTF_permit_access | (ro ? GTF_readonly : 0)),
                     __ATOMIC_SEQ_CST);
    return ref;
}

static void kick_backend(struct netfront *nf, bool need)
{
    if (need) {
        nf->info.notifies++;
        evtchn_send(nf->port);
    }
}

static void event_handler(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    struct netfront *nf = data;

    (void)port;
    (void)regs;
    nf->info.events++;
    nf->kick = true;
    wake_up(&nf->wq);
}

/* Post RX buffer @id. */
static void rx_post(struct netfront *nf, uint16_t id)
{
    struct netif_rx_request req = {.id = id, .gref = nf->rx_ref[id]};

    if (netif_rx_front_post(&nf->rx, &req) == 0)
        nf->rx_posted[id] = true;
}

/* Consume TX responses. Returns the number consumed, or a ring protocol error. */
static int tx_reclaim(struct netfront *nf)
{
    struct netif_tx_response rsp = {0};
    int rc, n = 0;

    while ((rc = netif_tx_front_get_response(&nf->tx, &rsp)) > 0) {
        n++;
        if (rsp.id >= SLOTS || !nf->tx_busy[rsp.id])
            continue; /* not ours: ignore */
        nf->tx_busy[rsp.id] = false;
        nf->tx_status[rsp.id] = rsp.status;
        nf->tx_free[nf->nr_tx_free++] = rsp.id;
        if (rsp.status != NETIF_RSP_OKAY && rsp.status != NETIF_RSP_NULL)
            nf->info.tx_errors++;
    }
    return rc < 0 ? rc : n;
}

/*
 * Consume up to RX_BUDGET RX responses, hand on complete frames, re-post the buffers, push
 * them. Returns the count or an error. The budget matters: the callback's transmits wake the
 * driver domain, which delivers more frames before this loop ends, so an unbounded loop can
 * run on while every buffer it re-posted stays unpushed, invisible to netback, until netback
 * has none left and drops frames (TCP then waits for a retransmission time-out).
 */
static int rx_poll(struct netfront *nf)
{
    struct netif_rx_response rsp = {0};
    int rc = 0, n = 0;

    while (n < RX_BUDGET && (rc = netif_rx_front_get_response(&nf->rx, &rsp)) > 0) {
        n++;
        if (rsp.id >= SLOTS || !nf->rx_posted[rsp.id]) {
            nf->info.rx_errors++;
            continue;
        }
        nf->rx_posted[rsp.id] = false;
        if (rsp.status < 0 || rsp.offset + (uint32_t)rsp.status > PAGE_BYTES ||
            nf->frame_len + (uint32_t)rsp.status > NETIF_CHECK_MAX_LEN) {
            nf->frame_bad = true;
        } else {
            memcpy(nf->frame + nf->frame_len, nf->rx_page[rsp.id] + rsp.offset,
                   (uint32_t)rsp.status);
            nf->frame_len += (uint32_t)rsp.status;
        }
        if (!nf->closing)
            rx_post(nf, rsp.id);
        if (rsp.flags & NETRXF_more_data)
            continue;
        if (nf->frame_bad) {
            nf->info.rx_errors++;
        } else {
            nf->info.rx_packets++;
            nf->info.rx_bytes += nf->frame_len;
            if (nf->rx_fn)
                nf->rx_fn(nf->rx_arg, nf->frame, nf->frame_len);
        }
        nf->frame_len = 0;
        nf->frame_bad = false;
    }
    kick_backend(nf, netif_rx_front_push(&nf->rx));
    return rc < 0 ? rc : n;
}

static void netfront_thread(void *arg)
{
    struct netfront *nf = arg;

    while (!nf->closing) {
        int rx = rx_poll(nf), tx = tx_reclaim(nf);

        if (rx < 0 || tx < 0) {
            printf("pvguest: netfront: ring protocol error (rx %d, tx %d): stopped\n", rx, tx);
            return;
        }
        if (rx >= RX_BUDGET)
            thread_yield(); /* lwIP's timers and the other threads get their turn */
        if (rx > 0 || tx > 0)
            continue;
        if (netif_rx_front_final_check(&nf->rx) != 0 || netif_tx_front_final_check(&nf->tx) != 0)
            continue;
        wait_event_deadline(nf->wq, nf->kick, system_time_ns() + 100000000ULL);
        nf->kick = false;
    }
}

/*
 * Wait (reclaiming responses, up to 1 s; not at all unless @wait) until @n TX ids are free.
 * Every posted request holds its id until its response is consumed, so free ids are free ring
 * slots. 0 or -1.
 */
static int tx_wait_room(struct netfront *nf, unsigned int n, bool wait)
{
    uint64_t deadline = 0;

    while (nf->nr_tx_free < n) {
        if (tx_reclaim(nf) < 0)
            return -1;
        if (nf->nr_tx_free >= n)
            break;
        if (!wait) {
            nf->info.tx_full++;
            return -1;
        }
        if (!deadline) {
            deadline = system_time_ns() + 1000000000ULL;
            nf->info.tx_waits++;
        } else if (system_time_ns() >= deadline) {
            return -1;
        }
        sleep_ns(100000ULL);
    }
    return 0;
}

/* A free TX id (tx_wait_room first). */
static uint16_t tx_get_id(struct netfront *nf)
{
    return nf->tx_free[--nf->nr_tx_free];
}

static int xmit(struct netfront *nf, const void *frame, uint32_t len, uint32_t slot_bytes,
                bool wait)
{
    const uint8_t *src = frame;
    uint32_t first, done;
    unsigned int nslots;

    if (slot_bytes == 0 || slot_bytes > PAGE_BYTES)
        slot_bytes = PAGE_BYTES;
    if (len < NETIF_CHECK_MIN_LEN || len > NETIF_CHECK_MAX_LEN)
        return -XEN_EINVAL;
    nslots = (len + slot_bytes - 1) / slot_bytes;
    if (nslots > XEN_NETIF_NR_SLOTS_MIN)
        return -XEN_EINVAL;
    if (tx_wait_room(nf, nslots, wait) < 0)
        return -XEN_EAGAIN;
    /* io/netif.h: the first request's size is the whole packet; it holds what is left. */
    first = len - (nslots - 1) * slot_bytes;
    done = 0;
    for (unsigned int i = 0; i < nslots; i++) {
        uint32_t part = i == 0 ? first : slot_bytes;
        uint16_t id = tx_get_id(nf);
        struct netif_tx_request req;

        memcpy(nf->tx_page[id], src + done, part);
        nf->tx_busy[id] = true;
        nf->tx_status[id] = NOT_DONE;
        req = (struct netif_tx_request){.gref = nf->tx_ref[id],
                                        .offset = 0,
                                        .flags = i + 1 < nslots ? NETTXF_more_data : 0,
                                        .id = id,
                                        .size = (uint16_t)(i == 0 ? len : part)};
        int rc = netif_tx_front_post(&nf->tx, &req);
        if (rc < 0)
            return rc;
        done += part;
    }
    nf->info.tx_packets++;
    nf->info.tx_slots += nslots;
    kick_backend(nf, netif_tx_front_push(&nf->tx));
    return 0;
}

int netfront_xmit(struct netfront *nf, const void *frame, uint32_t len, uint32_t slot_bytes)
{
    return xmit(nf, frame, len, slot_bytes, true);
}

int netfront_try_xmit(struct netfront *nf, const void *frame, uint32_t len)
{
    return xmit(nf, frame, len, 0, false);
}

int netfront_raw_tx(struct netfront *nf, const struct netif_tx_request *reqs, unsigned int n,
                    int16_t *status)
{
    uint16_t ids[64];
    uint64_t deadline;
    unsigned int left;

    if (n > 64)
        return -XEN_EINVAL;
    if (tx_wait_room(nf, n, true) < 0)
        return -XEN_EAGAIN;
    for (unsigned int i = 0; i < n; i++) {
        struct netif_tx_request req = reqs[i];
        uint16_t id = tx_get_id(nf);

        ids[i] = id;
        nf->tx_busy[id] = true;
        nf->tx_status[id] = NOT_DONE;
        req.id = id;
        int rc = netif_tx_front_post(&nf->tx, &req);
        if (rc < 0)
            return rc;
    }
    kick_backend(nf, netif_tx_front_push(&nf->tx));
    deadline = system_time_ns() + 1000000000ULL;
    do {
        tx_reclaim(nf);
        left = 0;
        for (unsigned int i = 0; i < n; i++)
            left += nf->tx_busy[ids[i]];
        if (left)
            sleep_ns(1000000ULL);
    } while (left && system_time_ns() < deadline);
    for (unsigned int i = 0; i < n; i++)
        status[i] = nf->tx_status[ids[i]];
    return 0;
}

void netfront_raw_break_ring(struct netfront *nf)
{
    volatile netif_tx_sring_t *s = nf->tx.ring.sring;

    s->req_prod = s->req_prod + 1000;
    kick_backend(nf, true);
}

grant_ref_t netfront_tx_gref(const struct netfront *nf, unsigned int i)
{
    return nf->tx_ref[i % SLOTS];
}

const struct netfront_info *netfront_info(const struct netfront *nf)
{
    return &nf->info;
}

static uint64_t prop_u64(const void *fdt, int node, const char *name, uint64_t dflt)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

    if (p && len == 4)
        return fdt32_to_cpu(p[0]);
    if (p && len == 8)
        return (uint64_t)fdt32_to_cpu(p[0]) << 32 | fdt32_to_cpu(p[1]);
    return dflt;
}

struct netfront *netfront_open(unsigned int index, unsigned int rx_buffers, netfront_rx_fn rx,
                               void *arg, uint64_t timeout_ns)
{
    size_t len;
    const void *fdt = devtree_get(&len);
    int node, devices, maclen;
    unsigned int n = 0;
    struct netfront *nf;
    const uint8_t *mac;

    if (!fdt || fdt_check_header(fdt) || (devices = fdt_path_offset(fdt, "/devices")) < 0) {
        printf("pvguest: netfront: no device tree with /devices\n");
        return NULL;
    }
    fdt_for_each_subnode(node, fdt, devices)
    {
        if (fdt_node_check_compatible(fdt, node, "mica,vif-frontend") == 0 && n++ == index)
            break;
    }
    if (node < 0) {
        printf("pvguest: netfront: no vif number %u\n", index);
        return NULL;
    }
    if (gnttab_init()) {
        printf("pvguest: netfront: grant table setup failed\n");
        return NULL;
    }
    nf = calloc(1, sizeof(*nf));
    if (!nf || !(nf->frame = malloc(NETIF_CHECK_MAX_LEN + 1)))
        return NULL;
    mac = fdt_getprop(fdt, node, "mac", &maclen);
    if (!mac || maclen != 6) {
        printf("pvguest: netfront: vif %u has no mac\n", index);
        return NULL;
    }
    memcpy(nf->info.mac, mac, 6);
    nf->info.backend = (domid_t)prop_u64(fdt, node, "backend-id", 0);
    nf->port = (evtchn_port_t)prop_u64(fdt, node, "event-channel", 0);
    nf->rx_fn = rx;
    nf->rx_arg = arg;

    unsigned long pfn[3] = {prop_u64(fdt, node, "tx-ring-pfn", ~0UL),
                            prop_u64(fdt, node, "rx-ring-pfn", ~0UL),
                            prop_u64(fdt, node, "control-pfn", ~0UL)};
    void *va[3];
    for (int i = 0; i < 3; i++)
        if (!(va[i] = vmap(&pfn[i], 1, MM_WRITE))) {
            printf("pvguest: netfront: cannot map pfn %#lx\n", pfn[i]);
            return NULL;
        }
    nf->control =
        (volatile struct netif_control *)((uint8_t *)va[2] +
                                          prop_u64(fdt, node, "control-offset", 0) % PAGE_BYTES);
    if (netif_tx_front_attach(&nf->tx, va[0], PAGE_BYTES) ||
        netif_rx_front_attach(&nf->rx, va[1], PAGE_BYTES)) {
        printf("pvguest: netfront: ring attach failed\n");
        return NULL;
    }
    for (unsigned int i = 0; i < SLOTS; i++) {
        long t = grant_new_page(nf->info.backend, true, &nf->tx_page[i]);
        long r = grant_new_page(nf->info.backend, false, &nf->rx_page[i]);

        if (t < 0 || r < 0) {
            printf("pvguest: netfront: out of pages or grant references\n");
            return NULL;
        }
        nf->tx_ref[i] = (grant_ref_t)t;
        nf->rx_ref[i] = (grant_ref_t)r;
    }
    for (unsigned int i = SLOTS; i-- > 0;)
        nf->tx_free[nf->nr_tx_free++] = (uint16_t)i;
    wait_queue_init(&nf->wq);
    evtchn_bind_handler(nf->port, event_handler, nf);
    nf->control->frontend_state = XenbusStateInitialised;
    kick_backend(nf, true);

    uint64_t deadline = system_time_ns() + timeout_ns;
    while (nf->control->backend_state != XenbusStateConnected && system_time_ns() < deadline) {
        wait_event_deadline(nf->wq, nf->kick, system_time_ns() + 10000000ULL);
        nf->kick = false;
    }
    if (nf->control->backend_state != XenbusStateConnected) {
        printf("pvguest: netfront: backend d%u not connected (state %u)\n", nf->info.backend,
               nf->control->backend_state);
        return NULL;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (rx_buffers > SLOTS)
        rx_buffers = SLOTS;
    for (unsigned int i = 0; i < rx_buffers; i++)
        rx_post(nf, (uint16_t)i);
    nf->info.rx_posted = rx_buffers;
    netif_rx_front_push(&nf->rx);
    nf->control->frontend_state = XenbusStateConnected;
    kick_backend(nf, true);
    if (!thread_create("netfront", netfront_thread, nf, 32768))
        return NULL;
    printf("pvguest: netfront: vif %u: mac %02x:%02x:%02x:%02x:%02x:%02x, backend d%u, port %u, "
           "features %#x, %u RX buffers posted\n",
           index, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], nf->info.backend, nf->port,
           nf->control->features, rx_buffers);
    return nf;
}

void netfront_close(struct netfront *nf)
{
    nf->closing = true;
    nf->control->frontend_state = XenbusStateClosed;
    kick_backend(nf, true);
    wake_up(&nf->wq);
}

/*
 * netback.c — the network backend (netback.h; issue 11). One thread per vif:
 *
 *   event from the frontend -> handler wakes the thread
 *   thread: up to TX_BUDGET packets: copy each request out of the TX ring, feed it to
 *             netif_check until the packet is complete; a well-formed one is grant-copied
 *             into the vif's private pages and handed to the bridge; every slot is answered
 *             (NETIF_RSP_OKAY, or NETIF_RSP_ERROR for a malformed packet or a failed copy)
 *           push, notify, final check; yield when the budget ran out, else sleep
 *
 * RX happens in whatever thread hands the bridge a frame: netback_xmit() takes buffers the
 * frontend posted (copied out of the RX ring into a private stash first), grant-copies the
 * frame into them and pushes the responses. Nothing waits on a frontend: no buffers means a
 * dropped frame, a ring protocol error stops that vif only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <pvguest/bridge.h>
#include <pvguest/devtree.h>
#include <pvguest/events.h>
#include <pvguest/gnttab.h>
#include <pvguest/hypercall.h>
#include <pvguest/mm.h>
#include <pvguest/netback.h>
#include <pvguest/netif_control.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>
#include <sring/netif.h>
#include <xen/grant_table.h>
#include <xen/io/xenbus.h>

#define PAGE_BYTES  4096u
#define MAX_VIFS    8
#define TX_BUDGET   64 /* packets per pass before other threads run */
#define FRAME_PAGES 17 /* 64 KiB + one page: a packet's private copy */
#define FRAME_BYTES (FRAME_PAGES * PAGE_BYTES)
#define TX_BATCH    16 /* TX packets copied by one GNTTABOP_copy (tx_flush) */
#define MAX_COPIES  64 /* copy ops per packet: 18 slots or 16 RX buffers, each split in two */
#define RX_STASH    NET_RX_RING_SIZE

/* Slots in one page of each ring (ring.h's __RING_SIZE for a 4 KiB page: 256 of either). */
#define NET_RX_RING_SIZE 256

struct vif {
    char name[32];
    domid_t front;
    evtchn_port_t port;
    int bridge_port;
    uint8_t mac[6];
    struct netif_tx_backend tx;
    struct netif_rx_backend rx;
    volatile struct netif_control *control;
    uint8_t *frame;                          /* FRAME_PAGES private pages, contiguous */
    struct netif_tx_packet pkt;              /* the packet being assembled */
    struct netif_tx_packet batch[TX_BATCH];  /* complete packets waiting for tx_flush */
    uint32_t batch_at[TX_BATCH];             /* where each goes in frame */
    unsigned int nr_batch, batch_ops;        /* packets and copy ops so far */
    uint32_t batch_bytes;                    /* frame bytes they take */
    struct netif_rx_request stash[RX_STASH]; /* posted RX buffers taken off the ring */
    unsigned int stash_head, stash_count;
    bool rx_unpushed; /* RX responses posted, not yet pushed (rx_flush) */
    bool kick;
    bool stopped;
    bool closed;
    struct wait_queue wq;
    struct netback_stats st;
};

static struct vif *vifs[MAX_VIFS];
static int nr_vifs;
static struct gnttab_copy copies[MAX_COPIES];

/* The MFN of the page mapped at @va. */
static unsigned long va_to_mfn(const void *va)
{
    return (unsigned long)((mm_lookup((unsigned long)va) & 0x000ffffffffff000ULL) >> 12);
}

/*
 * @pages pages of virtual space backed by one scratch page, so that grant host mappings
 * find L1 entries in tables we own (docs/abi.md, map_grant_ref check 9).
 */
static unsigned long grant_window(unsigned long pages)
{
    static unsigned long scratch_pfn;
    unsigned long pfns[4];

    if (pages > 4)
        return 0;
    if (!scratch_pfn) {
        long pfn = page_alloc();
        if (pfn < 0)
            return 0;
        scratch_pfn = (unsigned long)pfn;
    }
    for (unsigned long i = 0; i < pages; i++)
        pfns[i] = scratch_pfn;
    return (unsigned long)vmap(pfns, pages, MM_READ);
}

/* Map grant @ref of @dom writable at @va; the GNTST_* status. */
static int16_t map_grant(domid_t dom, grant_ref_t ref, unsigned long va)
{
    struct gnttab_map_grant_ref op = {
        .host_addr = va, .flags = GNTMAP_host_map, .ref = ref, .dom = dom};

    if (gnttab_op(GNTTABOP_map_grant_ref, &op, 1))
        return GNTST_general_error;
    return op.status;
}

/*
 * Append copy ops moving @len bytes between the frontend's grant (@dom, @gref, @goff) and
 * local memory at @local (split at local page boundaries); @to_guest picks the direction.
 * Returns the new op count, or -1 if MAX_COPIES would be exceeded.
 */
static int add_copies(int n, bool to_guest, domid_t dom, grant_ref_t gref, uint16_t goff,
                      const uint8_t *local, uint32_t len)
{
    while (len) {
        uint32_t in_page = PAGE_BYTES - ((unsigned long)local & (PAGE_BYTES - 1));
        uint32_t chunk = len < in_page ? len : in_page;
        struct gnttab_copy *c = &copies[n];

        if (n >= MAX_COPIES)
            return -1;
        memset(c, 0, sizeof(*c));
        if (to_guest) {
            c->source.u.gmfn = va_to_mfn(local);
            c->source.domid = DOMID_SELF;
            c->source.offset = (uint16_t)((unsigned long)local & (PAGE_BYTES - 1));
            c->dest.u.ref = gref;
            c->dest.domid = dom;
            c->dest.offset = goff;
            c->flags = GNTCOPY_dest_gref;
        } else {
            c->source.u.ref = gref;
            c->source.domid = dom;
            c->source.offset = goff;
            c->dest.u.gmfn = va_to_mfn(local);
            c->dest.domid = DOMID_SELF;
            c->dest.offset = (uint16_t)((unsigned long)local & (PAGE_BYTES - 1));
            c->flags = GNTCOPY_source_gref;
        }
        c->len = (uint16_t)chunk;
        n++;
        local += chunk;
        goff = (uint16_t)(goff + chunk);
        len -= chunk;
    }
    return n;
}

/* Run @n copy ops; true if all of them copied. */
static bool run_copies(int n)
{
    if (n <= 0)
        return n == 0;
    if (gnttab_op(GNTTABOP_copy, copies, (unsigned int)n))
        return false;
    for (int i = 0; i < n; i++)
        if (copies[i].status != GNTST_okay)
            return false;
    return true;
}

static void notify(struct vif *v, bool need)
{
    if (need) {
        v->st.notifies++;
        evtchn_send(v->port);
    }
}

static void stop(struct vif *v, int rc, const char *ring)
{
    if (v->stopped)
        return;
    v->stopped = true;
    v->st.ring_error = rc;
    printf("pvguest: netback: %s: %s ring protocol error %d from d%u: no longer served\n", v->name,
           ring, rc, v->front);
}

/* ---- RX: frames from the bridge into the frontend's posted buffers. ---- */

/* Take posted buffers off the RX ring into the stash (copy before use). */
static void rx_refill(struct vif *v)
{
    while (!v->stopped && v->stash_count < RX_STASH) {
        struct netif_rx_request req;
        int rc = netif_rx_back_get_request(&v->rx, &req);

        if (rc < 0)
            stop(v, rc, "RX");
        if (rc <= 0)
            break;
        v->stash[(v->stash_head + v->stash_count++) % RX_STASH] = req;
    }
}

/* The bridge's transmit for a vif port. */
static void netback_xmit(void *priv, const uint8_t *frame, uint32_t len)
{
    struct vif *v = priv;
    unsigned int need = netif_rx_slots(len);
    uint32_t done = 0;

    if (v->stopped || v->closed || v->control->frontend_state != XenbusStateConnected)
        return;
    if (len > NETIF_CHECK_MAX_LEN) {
        v->st.rx_too_long++;
        return;
    }
    rx_refill(v);
    if (v->stash_count < need) {
        v->st.rx_no_buffers++;
        return;
    }
    for (unsigned int i = 0; i < need; i++) {
        struct netif_rx_request req = v->stash[v->stash_head];
        uint32_t chunk = len - done < PAGE_BYTES ? len - done : PAGE_BYTES;
        struct netif_rx_response rsp = {.id = req.id, .offset = 0};
        int n = add_copies(0, true, v->front, req.gref, 0, frame + done, chunk);

        v->stash_head = (v->stash_head + 1) % RX_STASH;
        v->stash_count--;
        if (run_copies(n)) {
            rsp.status = (int16_t)chunk;
            rsp.flags = i + 1 < need ? NETRXF_more_data : 0;
        } else {
            /* io/netif.h: a negative status is an error; the frontend drops the frame. */
            rsp.status = NETIF_RSP_ERROR;
            v->st.rx_bad_grants++;
        }
        netif_rx_back_post_response(&v->rx, &rsp);
        done += chunk;
        v->st.rx_slots++;
    }
    v->st.rx_packets++;
    v->st.rx_bytes += len;
    /* Pushed by the vif thread once the caller's burst is over (rx_flush): a notification
       per frame would switch to the frontend's domain for every frame. */
    if (!v->rx_unpushed) {
        v->rx_unpushed = true;
        v->kick = true;
        wake_up(&v->wq);
    }
}

/*
 * Push the RX responses netback_xmit() posted and notify the frontend if it asked (io/ring.h,
 * RING_PUSH_RESPONSES_AND_CHECK_NOTIFY): one notification for a burst of frames. Runs in the
 * vif thread, after the thread that fed the bridge (the e1000's, lwIP's, another vif's) has
 * yielded or blocked.
 */
static void rx_flush(struct vif *v)
{
    if (!v->rx_unpushed)
        return;
    v->rx_unpushed = false;
    v->st.rx_flushes++;
    notify(v, netif_rx_back_push(&v->rx));
}

/* ---- TX: the frontend's packets to the bridge. ---- */

/* Answer every slot of packet @p with @status. */
static void tx_answer(struct vif *v, const struct netif_tx_packet *p, int16_t status)
{
    for (unsigned int i = 0; i < p->nr_slots; i++) {
        struct netif_tx_response rsp = {.id = p->ids[i], .status = status};

        netif_tx_back_post_response(&v->tx, &rsp);
    }
}

/* Copy ops add_copies() makes for packet @p placed at @at in v->frame (one per page piece). */
static unsigned int tx_ops(const struct netif_tx_packet *p, uint32_t at)
{
    unsigned int ops = 0;

    for (unsigned int i = 0; i < p->nr_slots; i++) {
        if (p->seg[i].len)
            ops += (at + p->seg[i].len - 1) / PAGE_BYTES - at / PAGE_BYTES + 1;
        at += p->seg[i].len;
    }
    return ops;
}

/*
 * Copy every batched packet out of the frontend's grants with one GNTTABOP_copy (each op has
 * its own status: a bad grant fails only its packet), answer each packet's slots, then hand
 * the good ones to the bridge. One hypercall for up to TX_BATCH packets instead of one each.
 */
static void tx_flush(struct vif *v)
{
    int n = 0, first[TX_BATCH], end[TX_BATCH];
    bool ok[TX_BATCH], copied;

    if (!v->nr_batch)
        return;
    for (unsigned int b = 0; b < v->nr_batch; b++) {
        const struct netif_tx_packet *p = &v->batch[b];
        uint32_t at = v->batch_at[b];

        first[b] = n;
        for (unsigned int i = 0; i < p->nr_slots && n >= 0; i++) {
            n = add_copies(n, false, v->front, p->seg[i].gref, p->seg[i].offset, v->frame + at,
                           p->seg[i].len);
            at += p->seg[i].len;
        }
        end[b] = n;
    }
    /* tx_add keeps the ops within MAX_COPIES; n < 0 cannot happen, but fail safe. */
    copied = n >= 0 && (n == 0 || gnttab_op(GNTTABOP_copy, copies, (unsigned int)n) == 0);
    v->st.tx_copy_calls++;
    /* Every status first: the bridge may reuse copies[] (another vif's netback_xmit). */
    for (unsigned int b = 0; b < v->nr_batch; b++) {
        ok[b] = copied && end[b] >= 0;
        for (int i = first[b]; ok[b] && i < end[b]; i++)
            ok[b] = copies[i].status == GNTST_okay;
        if (!ok[b]) {
            v->st.tx_errors++;
            v->st.tx_bad_grants++;
        }
        /* Answer first: the bridge may take a while, and the slots are free already. */
        tx_answer(v, &v->batch[b], ok[b] ? NETIF_RSP_OKAY : NETIF_RSP_ERROR);
    }
    for (unsigned int b = 0; b < v->nr_batch; b++) {
        if (!ok[b])
            continue;
        v->st.tx_packets++;
        v->st.tx_bytes += v->batch[b].len;
        bridge_input(v->bridge_port, v->frame + v->batch_at[b], v->batch[b].len);
    }
    v->nr_batch = 0;
    v->batch_ops = 0;
    v->batch_bytes = 0;
}

/* A complete packet in v->pkt: a malformed one is answered at once (after the batch before
   it, so responses keep the requests' order), a good one joins the batch. */
static void tx_add(struct vif *v)
{
    struct netif_tx_packet *p = &v->pkt;
    unsigned int ops;
    uint32_t at;

    v->st.tx_slots += p->nr_slots;
    if (p->error != NETIF_CHECK_OK) {
        tx_flush(v);
        v->st.tx_errors++;
        v->st.tx_malformed[p->error]++;
        tx_answer(v, p, NETIF_RSP_ERROR);
        return;
    }
    /* A good packet is at most 64 KiB in at most NETIF_CHECK_MAX_SLOTS slots: alone, it
       always fits (FRAME_BYTES, MAX_COPIES). */
    at = v->batch_bytes;
    if (p->len <= PAGE_BYTES && at % PAGE_BYTES + p->len > PAGE_BYTES)
        at = (at + PAGE_BYTES - 1) & ~(PAGE_BYTES - 1); /* one copy op, not two */
    ops = tx_ops(p, at);
    if (v->nr_batch == TX_BATCH || at + p->len > FRAME_BYTES || v->batch_ops + ops > MAX_COPIES) {
        tx_flush(v);
        at = 0;
        ops = tx_ops(p, 0);
    }
    v->batch[v->nr_batch] = *p;
    v->batch_at[v->nr_batch++] = at;
    v->batch_bytes = at + p->len;
    v->batch_ops += ops;
}

/* One TX pass. Returns true if there may be more to do now. */
static bool tx_serve(struct vif *v)
{
    unsigned int packets = 0;
    int rc = 0;

    while (!v->stopped && packets < TX_BUDGET) {
        struct netif_tx_request req;

        rc = netif_tx_back_get_request(&v->tx, &req);
        if (rc <= 0)
            break;
        if (netif_tx_packet_add(&v->pkt, &req)) {
            tx_add(v);
            netif_tx_packet_init(&v->pkt);
            packets++;
        }
    }
    tx_flush(v);
    if (rc < 0)
        stop(v, rc, "TX");
    notify(v, netif_tx_back_push(&v->tx));
    if (v->stopped)
        return false;
    if (packets >= TX_BUDGET) {
        v->st.yields++;
        return true;
    }
    rc = netif_tx_back_final_check(&v->tx);
    if (rc < 0)
        stop(v, rc, "TX");
    return rc > 0;
}

static void event_handler(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    struct vif *v = data;

    (void)port;
    (void)regs;
    v->st.events++;
    v->kick = true;
    wake_up(&v->wq);
}

static void vif_thread(void *arg)
{
    struct vif *v = arg;

    for (;;) {
        rx_flush(v);
        while (tx_serve(v)) {
            rx_flush(v);
            thread_yield(); /* a flooding frontend gets its turn like every other thread */
        }
        rx_flush(v);
        uint32_t fs = v->control->frontend_state;
        if (fs == XenbusStateClosing || fs == XenbusStateClosed) {
            v->control->backend_state = XenbusStateClosed;
            evtchn_send(v->port);
            v->closed = true;
            return;
        }
        if (fs == XenbusStateConnected)
            rx_refill(v); /* keep the RX ring's requests copied while idle */
        /* Woken by the frontend's events; a 100 ms tick re-reads the control page. */
        wait_event_deadline(v->wq, v->kick, system_time_ns() + 100000000ULL);
        v->kick = false;
    }
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

/* Set up and start one vif from its /backends node. */
static int vif_start(const void *fdt, int node)
{
    const char *name = fdt_get_name(fdt, node, NULL);
    struct vif *v;
    unsigned long win, pfns[FRAME_PAGES];
    uint32_t control_offset;
    const uint8_t *mac;
    int len;
    long port;
    static const char *const what[3] = {"TX ring", "RX ring", "control page"};
    const char *const props[3] = {"tx-ring-ref", "rx-ring-ref", "control-ref"};

    if (nr_vifs >= MAX_VIFS || !(v = calloc(1, sizeof(*v))))
        return -XEN_ENOMEM;
    snprintf(v->name, sizeof(v->name), "%s", name ? name : "vif");
    v->front = (domid_t)prop_u64(fdt, node, "frontend-id", 0);
    mac = fdt_getprop(fdt, node, "mac", &len);
    if (!mac || len != 6) {
        printf("pvguest: netback: %s: no mac\n", v->name);
        return -XEN_EINVAL;
    }
    memcpy(v->mac, mac, 6);
    control_offset = (uint32_t)prop_u64(fdt, node, "control-offset", 0);
    if (control_offset > PAGE_BYTES - sizeof(struct netif_control))
        return -XEN_EINVAL;

    /* TX ring, RX ring, control page: three pages granted by the frontend. */
    win = grant_window(3);
    if (!win)
        return -XEN_ENOMEM;
    for (int i = 0; i < 3; i++) {
        int16_t st = map_grant(v->front, (grant_ref_t)prop_u64(fdt, node, props[i], ~0u),
                               win + i * PAGE_BYTES);
        if (st != GNTST_okay) {
            printf("pvguest: netback: %s: %s grant of d%u does not map: %d\n", v->name, what[i],
                   v->front, st);
            return -XEN_EINVAL;
        }
    }
    v->control = (volatile struct netif_control *)(win + 2 * PAGE_BYTES + control_offset);
    if (netif_tx_back_attach(&v->tx, (netif_tx_sring_t *)win, PAGE_BYTES) ||
        netif_rx_back_attach(&v->rx, (netif_rx_sring_t *)(win + PAGE_BYTES), PAGE_BYTES))
        return -XEN_EINVAL;

    /* The private copy of a packet: pages of our own, mapped contiguously. */
    for (int i = 0; i < FRAME_PAGES; i++) {
        long pfn = page_alloc();
        if (pfn < 0)
            return -XEN_ENOMEM;
        pfns[i] = (unsigned long)pfn;
    }
    v->frame = vmap(pfns, FRAME_PAGES, MM_WRITE);
    if (!v->frame)
        return -XEN_ENOMEM;
    netif_tx_packet_init(&v->pkt);
    wait_queue_init(&v->wq);

    v->bridge_port = bridge_add_port(v->name, v->mac, netback_xmit, v);
    if (v->bridge_port < 0) {
        printf("pvguest: netback: %s: no bridge port (MAC taken or too many ports)\n", v->name);
        return -XEN_EINVAL;
    }
    /* What io/netif.h has the backend write to xenstore, then Connected. */
    v->control->features = NETIF_CONTROL_RX_COPY | NETIF_CONTROL_SG;
    v->control->max_slots = XEN_NETIF_NR_SLOTS_MIN;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    v->control->backend_state = XenbusStateConnected;

    port = evtchn_bind_interdomain(v->front, (evtchn_port_t)prop_u64(fdt, node, "event-channel", 0),
                                   event_handler, v);
    if (port < 0) {
        printf("pvguest: netback: %s: bind_interdomain(d%u) = %ld\n", v->name, v->front, port);
        return (int)port;
    }
    v->port = (evtchn_port_t)port;
    v->kick = true;
    printf("pvguest: netback: %s: d%u, mac %02x:%02x:%02x:%02x:%02x:%02x, bridge port %d, "
           "port %ld\n",
           v->name, v->front, v->mac[0], v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5],
           v->bridge_port, port);
    vifs[nr_vifs++] = v;
    evtchn_send(v->port);
    if (!thread_create("netback", vif_thread, v, 32768))
        return -XEN_ENOMEM;
    return 0;
}

int netback_start(void)
{
    return devtree_start_each("/backends", "mica,vif-backend", vif_start);
}

int netback_wait_closed(uint64_t deadline_ns)
{
    int open;

    for (;;) {
        open = 0;
        for (int i = 0; i < nr_vifs; i++)
            open += !vifs[i]->closed;
        if (open == 0 || system_time_ns() >= deadline_ns)
            break;
        sleep_ns(50000000ULL);
    }
    for (int i = 0; i < nr_vifs; i++) {
        const struct netback_stats *s = &vifs[i]->st;
        char kinds[256];
        int at = 0;

        kinds[0] = '\0';
        for (int e = 1; e < NETIF_CHECK_NR_ERRORS; e++)
            at += snprintf(kinds + at, sizeof(kinds) - (size_t)at, "%s%s %lu", e > 1 ? ", " : "",
                           netif_check_error_name((enum netif_check_error)e), s->tx_malformed[e]);
        printf("pvguest: netback: %s: d%u %s: tx packets %lu (slots %lu, bytes %lu), tx errors "
               "%lu (bad grants %lu; %s); rx packets %lu (slots %lu, bytes %lu), rx dropped: no "
               "buffers %lu, bad grants %lu, too long %lu; events %lu, notifications %lu, "
               "rx pushes %lu, yields %lu, tx copy calls %lu, ring error %d\n",
               vifs[i]->name, vifs[i]->front, vifs[i]->closed ? "closed" : "STILL OPEN",
               s->tx_packets, s->tx_slots, s->tx_bytes, s->tx_errors, s->tx_bad_grants, kinds,
               s->rx_packets, s->rx_slots, s->rx_bytes, s->rx_no_buffers, s->rx_bad_grants,
               s->rx_too_long, s->events, s->notifies, s->rx_flushes, s->yields, s->tx_copy_calls,
               s->ring_error);
    }
    bridge_report();
    return open;
}

int netback_selftest(void)
{
    int rc = netback_start();

    if (rc <= 0) {
        printf("pvguest: test netback: netback_start = %d (FAILED)\n", rc);
        return 1;
    }
    printf("pvguest: test netback: serving %d vif(s)\n", rc);
    rc = netback_wait_closed(system_time_ns() + 600000000000ULL);
    printf("pvguest: test netback: %s\n", rc ? "FAILED (frontends still open)" : "passed");
    sleep_ns(300000000ULL); /* the guests' last lines before our power-off ends the machine */
    return rc ? 1 : 0;
}

/*
 * ring_pingpong: strict ping-pong over a shared ring and an interdomain event channel
 * (issue 7, "Demonstration and tests"; docs/rings.md, "The demonstration"). The ring is the
 * ping type of ring_util.h (sring API over Xen's io/ring.h); both ends use only the API.
 *
 * Two domains (mica, hypervisor options `domu_copies=1 domu_rings`): the same ELF runs as
 * dom0 and d1 and tells them apart by start_info->flags & SIF_INITDOMAIN.
 *   d1    frontend: maps its ring page (PFN from `ring=pfn:P,gref:G,port:E,backend:B`,
 *         through its p2m list) and attaches to the empty ring the builder made. Round i
 *         (1..N): post request i, push, notify when the API says so; then consume the
 *         response (get, final check, wait for the event), which must be i. Then it powers off.
 *   dom0  backend: maps d1's grant (`ring-d1=gref:G,port:E`) with GNTTABOP_map_grant_ref,
 *         binds EVTCHNOP_bind_interdomain(1, E), scans the ring at once, then serves: copy
 *         each request out (copy before validate), check it on the copy (operation, check
 *         word, sequence number = the next expected), answer with the same sequence number,
 *         push and notify when the API says so, final check, wait. After N requests it waits
 *         for VIRQ_DOM_EXC (d1 powered off), finds its port unbound, unmaps the ring.
 * mode=self: one domain is both ends (runs as dom0 on Xen 4.17 and on mica): it grants a page
 *         of its own to itself, maps the grant for the backend end, allocates an unbound port
 *         for itself and binds an interdomain channel to it; the frontend uses the page at
 *         its own address and one port, the backend the grant mapping and the other port. A
 *         wait of the frontend runs the backend's main loop once if the backend's port is
 *         pending (the backend was asleep and has been notified), then needs its own port
 *         pending: a notification the API suppressed when the peer was asleep shows as a lost
 *         event. Lines without timings are the same on both hypervisors.
 *
 * Every wait has a deadline in system time (2 s; 20 s for the first), so a lost notification
 * is reported, not hung on. Counts printed: messages in order, out of order and invalid,
 * events and spurious wake-ups, the API's counters (pushes, notifications sent and
 * suppressed, final checks and races); timings on ".t:" lines (round-trip time in system
 * time, vcpu_time_info).
 *
 * Command line: rounds=N (default 100000), mode=self.
 * Last line of the checking side: "ring_pingpong: result ok" or "... result FAILED".
 */
#define PROBE_NAME "ring_pingpong"

#include <stdlib.h>

#include <pvguest/cmdline.h>

#include "probe.h"

#include "evt_util.h"
#include "ring_util.h"

#define DEFAULT_ROUNDS 100000UL
#define WAIT_NS        2000000000ULL  /* longest wait for one event: 2 s of system time */
#define FIRST_WAIT_NS  20000000000ULL /* the first wait (the peer may still be starting) */
#define SELF_GREF      8              /* the reference mode=self grants its ring page at */

/* The frontend's view of the ring page (mode=self: the page itself; d1: its ring PFN). */
static uint8_t front_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* Where the backend maps the granted ring page. */
static uint8_t back_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* Our grant table's first frame (mode=self). */
static uint8_t gt_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/** The frontend end: ring, port, counts. */
struct front {
    struct ping_frontend f;
    evtchn_port_t port;
    struct ring_waits waits;
    unsigned long in_order, out_of_order, bad; /* responses */
    unsigned long not_alone;                   /* rounds that found a request still in flight */
};

/** The backend end. */
struct back {
    struct ping_backend b;
    evtchn_port_t port;
    struct ring_waits waits;
    uint64_t expected;                         /* next sequence number */
    unsigned long in_order, out_of_order, bad; /* requests */
    unsigned long served;                      /* responses posted */
    uint64_t first_ns, last_ns;                /* first request consumed, last response pushed */
};

static bool self_mode;

static unsigned long opt_ulong(const char *key, unsigned long dflt)
{
    char buf[24];

    if (cmdline_get(key, buf, sizeof(buf)) <= 0)
        return dflt;
    return strtoul(buf, NULL, 0);
}

static void send_or_fail(evtchn_port_t port, const char *who)
{
    long rc = evt_send(port);

    if (rc)
        P("FAIL: %s: send(port %u) = %s", who, port, rc_str(rc));
}

/*
 * One pass of the backend's main loop, as docs/rings.md shows it: consume every request
 * (copied out, then validated on the copy), answer each, push and notify per response (the
 * exchange alternates strictly), then the final check before sleeping. Returns 0 when the
 * backend may sleep, or the ring's protocol error.
 */
static int back_serve(struct back *be)
{
    for (;;) {
        struct ping_request req = {0};
        int rc;

        while ((rc = ping_back_get_request(&be->b, &req)) > 0) {
            bool valid = req.op == PING_OP_PING && req.check == ping_check(req.seq);
            struct ping_response rsp = {
                .seq = req.seq, .status = valid ? 0 : -XEN_EINVAL, .check = ping_check(req.seq)};

            if (!be->served)
                be->first_ns = evt_now_ns();
            if (!valid)
                be->bad++;
            else if (req.seq == be->expected)
                be->in_order++;
            else
                be->out_of_order++;
            be->expected = req.seq + 1;
            ping_back_post_response(&be->b, &rsp);
            be->served++;
            if (ping_back_push(&be->b))
                send_or_fail(be->port, "backend");
            be->last_ns = evt_now_ns();
        }
        if (rc < 0)
            return rc;
        rc = ping_back_final_check(&be->b);
        if (rc <= 0)
            return rc;
    }
}

static struct back self_back; /* mode=self: the backend end lives in the same domain */

/*
 * The frontend's wait for its port. Two domains: SCHEDOP_poll until the deadline. mode=self:
 * the peer runs only now, as it would on one CPU when we sleep: if its port is pending, one
 * pass of its loop; then our port must be pending.
 */
static enum ring_wait_result front_wait(struct front *fe, uint64_t deadline)
{
    if (self_mode) {
        if (evt_test_and_clear(self_back.port)) {
            self_back.waits.events++;
            int rc = back_serve(&self_back);
            if (rc < 0) {
                P("FAIL: self: backend: ring protocol error %s", rc_str(rc));
                return RING_WAIT_TIMEOUT;
            }
        }
        if (evt_test_and_clear(fe->port)) {
            fe->waits.events++;
            return RING_WAIT_EVENT;
        }
        return RING_WAIT_TIMEOUT;
    }
    return ring_wait(fe->port, 0, deadline, &fe->waits);
}

/*
 * The frontend's side of the exchange: @rounds strict round trips. Returns 0 when every
 * response came back in order, 1 otherwise; the time of the exchange in *@ns.
 */
static int front_run(struct front *fe, const char *who, unsigned long rounds, uint64_t *ns)
{
    uint64_t t0 = evt_now_ns();
    unsigned long i;

    for (i = 1; i <= rounds; i++) {
        struct ping_request req = {.seq = i, .op = PING_OP_PING, .check = ping_check(i)};
        struct ping_response rsp = {0};
        int rc;

        if (ping_front_free(&fe->f) != RING_SIZE(&fe->f.ring))
            fe->not_alone++;
        rc = ping_front_post(&fe->f, &req);
        if (rc) {
            P("FAIL: %s: post(request %lu) = %s", who, i, rc_str(rc));
            return 1;
        }
        if (ping_front_push(&fe->f))
            send_or_fail(fe->port, who);
        uint64_t deadline = evt_now_ns() + (i == 1 ? FIRST_WAIT_NS : WAIT_NS);
        for (;;) {
            rc = ping_front_get_response(&fe->f, &rsp);
            if (rc > 0)
                break;
            if (rc == 0)
                rc = ping_front_final_check(&fe->f);
            if (rc < 0) {
                P("FAIL: %s: ring protocol error %s waiting for response %lu", who, rc_str(rc), i);
                return 1;
            }
            if (rc > 0)
                continue;
            if (front_wait(fe, deadline) != RING_WAIT_EVENT) {
                P("FAIL: %s: response %lu lost (no event in time)", who, i);
                return 1;
            }
        }
        if (rsp.status != 0 || rsp.check != ping_check(rsp.seq))
            fe->bad++;
        else if (rsp.seq == i)
            fe->in_order++;
        else
            fe->out_of_order++;
    }
    *ns = evt_now_ns() - t0;
    return 0;
}

static void print_time(const char *who, unsigned long n, uint64_t ns)
{
    if (!n)
        return;
    printk(PROBE_NAME ".t: %s: %lu round trips in %llu.%03llu ms of system time: %llu ns per "
                      "round trip\n",
           who, n, (unsigned long long)(ns / 1000000), (unsigned long long)(ns / 1000 % 1000),
           (unsigned long long)(ns / n));
}

static int front_report(const struct front *fe, const char *who, unsigned long rounds)
{
    P("%s: %lu round trips: %lu responses in order, %lu out of order, %lu bad; %lu rounds with "
      "a request still in flight",
      who, rounds, fe->in_order, fe->out_of_order, fe->bad, fe->not_alone);
    P("%s: frontend: %lu events, %lu spurious wake-ups", who, fe->waits.events, fe->waits.spurious);
    ring_print_stats(who, "frontend ring", &fe->f.stats);
    return fe->in_order == rounds && !fe->out_of_order && !fe->bad && !fe->not_alone && !fe->f.error
               ? 0
               : 1;
}

static int back_report(const struct back *be, const char *who, unsigned long rounds)
{
    P("%s: %lu requests: %lu in order, %lu out of order, %lu invalid", who, be->served,
      be->in_order, be->out_of_order, be->bad);
    P("%s: backend: %lu events, %lu spurious wake-ups", who, be->waits.events, be->waits.spurious);
    ring_print_stats(who, "backend ring", &be->b.stats);
    if (be->served > 1)
        print_time(who, be->served - 1, be->last_ns - be->first_ns);
    return be->in_order == rounds && be->served == rounds && !be->out_of_order && !be->bad &&
                   !be->b.error
               ? 0
               : 1;
}

/* d1: the frontend of the builder's ring. */
static int run_d1(unsigned long rounds)
{
    struct ring_front_params p;
    static struct front fe;
    uint64_t ns = 0;
    long rc;

    if (ring_front_params(&p)) {
        P("d1: FAIL: no ring= option (boot mica with domu_copies=1 domu_rings)");
        return 1;
    }
    P("d1: ring pfn %s, gref %lu, port %lu, backend dom %lu",
      p.pfn == start_info->nr_pages - 1 ? "nr_pages - 1" : "?", p.gref, p.port, p.backend);
    rc = ring_map_pfn(front_page, p.pfn);
    P("d1: map the ring page = %s", rc_str(rc));
    if (rc)
        return 1;
    rc = ping_front_attach(&fe.f, (struct ping_sring *)front_page, PAGE_SIZE);
    P("d1: attach to the builder's ring = %s (%u slots)", rc_str(rc), RING_SIZE(&fe.f.ring));
    if (rc)
        return 1;
    fe.port = (evtchn_port_t)p.port;
    P("d1: exchange: %lu round trips", rounds);
    if (front_run(&fe, "d1", rounds, &ns))
        return 1;
    rc = front_report(&fe, "d1", rounds);
    print_time("d1", rounds, ns);
    P("d1: powering off");
    return (int)rc;
}

/* dom0: the backend of d1's ring. */
static int run_dom0(unsigned long rounds)
{
    static struct back be;
    unsigned long gref, port;
    grant_handle_t handle = 0;
    char st[64];
    int failures = 0;

    if (ring_back_params(1, &gref, &port)) {
        P("d0: FAIL: no ring-d1= option (boot mica with domu_copies=1 domu_rings)");
        return 1;
    }
    long virq = evt_bind_virq(VIRQ_DOM_EXC);
    P("d0: ring-d1: gref %lu, port %lu; bind_virq(VIRQ_DOM_EXC) = %s", gref, port, rc_str(virq));
    int16_t gst = ring_map_grant(1, (grant_ref_t)gref, back_page, &handle);
    P("d0: map d1's gref %lu = %s", gref, ring_st_str(gst));
    if (gst != GNTST_okay || virq <= 0)
        return 1;
    long local = evt_bind_interdomain(1, (evtchn_port_t)port);
    P("d0: bind_interdomain(dom 1, port %lu) = %s", port, rc_str(local));
    if (local <= 0)
        return 1;
    be.port = (evtchn_port_t)local;
    evt_test_and_clear(be.port); /* raised by the bind; we scan the ring now anyway */
    long rc = ping_back_attach(&be.b, (struct ping_sring *)back_page, PAGE_SIZE);
    P("d0: attach = %s (%u slots)", rc_str(rc), RING_SIZE(&be.b.ring));
    if (rc)
        return 1;
    be.expected = 1;

    enum ring_wait_result r = RING_WAIT_EVENT;
    for (;;) {
        int prc = back_serve(&be);
        if (prc < 0) {
            P("d0: FAIL: ring protocol error %s after %lu requests", rc_str(prc), be.served);
            failures++;
            break;
        }
        if (be.served >= rounds)
            break;
        r = ring_wait(be.port, (evtchn_port_t)virq,
                      evt_now_ns() + (be.served ? WAIT_NS : FIRST_WAIT_NS), &be.waits);
        if (r != RING_WAIT_EVENT) {
            P("d0: FAIL: %s after %lu requests",
              r == RING_WAIT_PEER_DIED ? "d1 died" : "no request in time", be.served);
            failures++;
            break;
        }
    }
    failures += back_report(&be, "d0", rounds);

    /* d1 powers off after its last response: wait for that, then disconnect. */
    evtchn_port_t vp = (evtchn_port_t)virq;
    uint64_t deadline = evt_now_ns() + 5 * WAIT_NS;
    while (!evt_pending(vp) && evt_now_ns() < deadline)
        evt_poll(&vp, 1, deadline);
    P("d0: VIRQ_DOM_EXC (d1 shut down): %d", evt_pending(vp));
    failures += !evt_pending(vp);
    evt_test_and_clear(vp);
    rc = evt_status(be.port, st, sizeof(st));
    P("d0: status(port %u) = %s", be.port, st);
    failures += rc != 0 || strcmp(st, "unbound dom 1") != 0;
    gst = ring_unmap_grant(back_page, handle);
    P("d0: unmap d1's ring = %s", ring_st_str(gst));
    failures += gst != GNTST_okay;
    P("result %s", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}

/* mode=self: one domain, both ends. */
static int run_self(unsigned long rounds)
{
    static struct front fe;
    volatile grant_entry_v1_t *gt = ring_gnttab_map_own(gt_page);
    grant_handle_t handle = 0;
    domid_t self = 0; /* dom0 on both hypervisors */
    uint64_t ns = 0;
    int failures = 0;
    long rc;

    P("self: grant table mapped: %s", gt ? "yes" : "no");
    if (!gt)
        return 1;
    rc = ping_front_init(&fe.f, (struct ping_sring *)front_page, PAGE_SIZE);
    P("self: frontend: init the ring page = %s (%u slots)", rc_str(rc), RING_SIZE(&fe.f.ring));
    ring_grant(gt, SELF_GREF, self, ring_mfn_of(front_page));
    int16_t gst = ring_map_grant(self, SELF_GREF, back_page, &handle);
    P("self: backend: map gref %u = %s; same frame: %s", SELF_GREF, ring_st_str(gst),
      ring_mfn_of(back_page) == ring_mfn_of(front_page) ? "yes" : "no");
    if (rc || gst != GNTST_okay)
        return 1;
    long fport = evt_alloc_unbound(DOMID_SELF, self);
    long bport = evt_bind_interdomain(self, (evtchn_port_t)fport);
    P("self: frontend: alloc_unbound(remote dom 0) = %s; backend: bind_interdomain(dom 0, port "
      "%ld) = %s",
      rc_str(fport), fport, rc_str(bport));
    if (fport <= 0 || bport <= 0)
        return 1;
    fe.port = (evtchn_port_t)fport;
    self_back.port = (evtchn_port_t)bport;
    P("self: backend port pending after the bind: %d", evt_test_and_clear(self_back.port));
    rc = ping_back_attach(&self_back.b, (struct ping_sring *)back_page, PAGE_SIZE);
    P("self: backend: attach = %s", rc_str(rc));
    if (rc)
        return 1;
    self_back.expected = 1;

    P("self: exchange: %lu round trips", rounds);
    failures += front_run(&fe, "self", rounds, &ns);
    failures += front_report(&fe, "self", rounds);
    failures += back_report(&self_back, "self", rounds);
    print_time("self", fe.in_order, ns);
    P("self: ports pending after the exchange: frontend %d, backend %d", evt_pending(fe.port),
      evt_pending(self_back.port));

    rc = HYPERVISOR_event_channel_op(EVTCHNOP_close, &(struct evtchn_close){.port = fe.port});
    char st[64];
    evt_status(self_back.port, st, sizeof(st));
    P("self: close(frontend port) = %s; backend port: %s", rc_str(rc), st);
    failures += rc != 0 || strcmp(st, "unbound dom 0") != 0;
    gst = ring_unmap_grant(back_page, handle);
    P("self: backend: unmap = %s; grant flags %#x", ring_st_str(gst), gt[SELF_GREF].flags);
    failures += gst != GNTST_okay;
    gt[SELF_GREF].flags = 0;
    P("result %s", failures ? "FAILED" : "ok");
    probe_done();
    return failures ? 1 : 0;
}

int main(void)
{
    unsigned long rounds = opt_ulong("rounds", DEFAULT_ROUNDS);
    char mode[16] = "";

    cmdline_get("mode", mode, sizeof(mode));
    self_mode = strcmp(mode, "self") == 0;
    evt_vcpu()->evtchn_upcall_mask = 1;
    evt_mask_all_ports();
    if (self_mode)
        return run_self(rounds);
    if (!(start_info->flags & SIF_INITDOMAIN))
        return run_d1(rounds);
    return run_dom0(rounds);
}

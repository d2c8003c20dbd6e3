/*
 * ring_restart: a backend that survives its frontend's restarts (issue 9, "Wiring split
 * devices": a restarted guest reconnects and its I/O resumes). Booted from
 * tests/system/ring-restart.dts: dom0 is the backend, d1 the frontend of a vbd the builder
 * wired (ring grant reference, ring PFN and port fixed by the configuration's plan, given
 * to both on their command lines); d1's on-reboot is "restart". The ring is ring_util.h's
 * ping ring.
 *   d1    frontend: maps the ring page (`ring=pfn:P,gref:G,port:E,backend:B`), attaches to
 *         the empty ring the builder made, makes `rounds` strict round trips, then asks for
 *         a reboot (SCHEDOP_shutdown, SHUTDOWN_reboot): every life does the same.
 *   dom0  backend, for each of `lives` lives of d1: bind_interdomain(1, E), retried every
 *         10 ms until the new life exists; map the ring grant; serve `rounds` requests;
 *         wait for VIRQ_DOM_EXC; its port must have reverted to unbound; close it, unmap,
 *         and read its own grant counters (mica_stats_op): mappings held (maps - unmaps)
 *         must be 0. After the last life it powers off (the machine goes off with it).
 * Command line: rounds=N (default 1000), lives=N (dom0, default 4: mica restarts a domain
 * at most 3 times). Last line of dom0: "ring_restart: result ok" or "... result FAILED".
 */
#define PROBE_NAME "ring_restart"

#include <stdlib.h>

#include <pvguest/cmdline.h>
#include <pvguest/sched.h>

#include "probe.h"

#include "evt_util.h"
#include "ring_util.h"

#include "../../hypervisor/include/public/mica_stats.h"

#define WAIT_NS       2000000000ULL  /* longest wait for one event: 2 s of system time */
#define FIRST_WAIT_NS 20000000000ULL /* the first wait of a life (the peer may be starting) */
#define RETRY_NS      10000000ULL    /* between two binds while the next life is not there */

static uint8_t front_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t back_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static unsigned long opt_ulong(const char *key, unsigned long dflt)
{
    char buf[24];

    if (cmdline_get(key, buf, sizeof(buf)) <= 0)
        return dflt;
    return strtoul(buf, NULL, 0);
}

/* Our grant mappings held now: successful maps minus unmaps (mica_stats_op, DOMID_SELF). */
static long mappings_held(void)
{
    static struct mica_stats_domain s;

    memset(&s, 0, sizeof(s));
    s.domid = DOMID_SELF;
    s.version = MICA_STATS_VERSION;
    long rc =
        raw_hypercall2(__HYPERVISOR_mica_stats_op, MICA_STATSOP_read_domain, (unsigned long)&s);
    if (rc)
        return rc < 0 ? rc : -1;
    return (long)(s.gnt_maps - s.gnt_unmaps);
}

/* d1: one life of the frontend; ends with a reboot request. */
static int run_front(unsigned long rounds)
{
    static struct ping_frontend f;
    struct ring_front_params p;
    unsigned long in_order = 0;

    if (ring_front_params(&p)) {
        P("d1: FAIL: no ring= option");
        return 1;
    }
    long rc = ring_map_pfn(front_page, p.pfn);
    if (!rc)
        rc = ping_front_attach(&f, (struct ping_sring *)front_page, PAGE_SIZE);
    P("d1: ring pfn %lu, gref %lu, port %lu: attach = %s", p.pfn, p.gref, p.port, rc_str(rc));
    if (rc)
        return 1;
    for (unsigned long i = 1; i <= rounds; i++) {
        struct ping_request req = {.seq = i, .op = PING_OP_PING, .check = ping_check(i)};
        struct ping_response rsp = {0};
        struct ring_waits w = {0};
        int r;

        if (ping_front_post(&f, &req)) {
            P("d1: FAIL: post(request %lu)", i);
            return 1;
        }
        if (ping_front_push(&f))
            evt_send((evtchn_port_t)p.port);
        uint64_t deadline = evt_now_ns() + (i == 1 ? FIRST_WAIT_NS : WAIT_NS);
        while ((r = ping_front_get_response(&f, &rsp)) == 0) {
            if (ping_front_final_check(&f) > 0)
                continue;
            if (ring_wait((evtchn_port_t)p.port, 0, deadline, &w) != RING_WAIT_EVENT) {
                P("d1: FAIL: response %lu lost", i);
                return 1;
            }
        }
        if (r > 0 && rsp.seq == i && rsp.status == 0 && rsp.check == ping_check(i))
            in_order++;
    }
    P("d1: %lu round trips, %lu responses in order; asking for a reboot", rounds, in_order);
    HYPERVISOR_sched_op(SCHEDOP_shutdown, &(struct sched_shutdown){.reason = SHUTDOWN_reboot});
    P("d1: FAIL: still running after the reboot request");
    return 1;
}

/* dom0: serve one life of d1. Returns the number of failures. */
static int serve_life(unsigned int life, unsigned long gref, unsigned long port, evtchn_port_t virq,
                      unsigned long rounds)
{
    static struct ping_backend b;
    grant_handle_t handle = 0;
    unsigned long served = 0, in_order = 0;
    struct ring_waits w = {0};
    int failures = 0;
    long local;
    char st[64];

    /* The next life: bind as soon as d1 exists again with its port unbound for us. */
    uint64_t deadline = evt_now_ns() + FIRST_WAIT_NS;
    while ((local = evt_bind_interdomain(1, (evtchn_port_t)port)) <= 0 && evt_now_ns() < deadline) {
        evtchn_port_t vp = virq;
        evt_poll(&vp, 1, evt_now_ns() + RETRY_NS);
        evt_test_and_clear(virq);
    }
    evt_test_and_clear(virq); /* d1's (re)appearance; its death raises it again */
    P("d0: life %u: bind_interdomain(dom 1, port %lu) = %s", life, port,
      local > 0 ? "ok" : rc_str(local));
    if (local <= 0)
        return 1;
    int16_t gst = ring_map_grant(1, (grant_ref_t)gref, back_page, &handle);
    P("d0: life %u: map d1's gref %lu = %s; mappings held %ld", life, gref, ring_st_str(gst),
      mappings_held());
    if (gst != GNTST_okay)
        return 1;
    evt_test_and_clear((evtchn_port_t)local); /* we scan the ring now anyway */
    if (ping_back_attach(&b, (struct ping_sring *)back_page, PAGE_SIZE))
        return 1;
    while (served < rounds) {
        struct ping_request req = {0};
        int rc;

        while ((rc = ping_back_get_request(&b, &req)) > 0) {
            bool valid = req.op == PING_OP_PING && req.check == ping_check(req.seq);
            struct ping_response rsp = {
                .seq = req.seq, .status = valid ? 0 : -XEN_EINVAL, .check = ping_check(req.seq)};
            in_order += valid && req.seq == served + 1;
            ping_back_post_response(&b, &rsp);
            served++;
            if (ping_back_push(&b))
                evt_send((evtchn_port_t)local);
        }
        if (rc < 0 || served >= rounds)
            break;
        if (ping_back_final_check(&b) > 0)
            continue;
        if (ring_wait((evtchn_port_t)local, virq, evt_now_ns() + (served ? WAIT_NS : FIRST_WAIT_NS),
                      &w) != RING_WAIT_EVENT)
            break;
    }
    P("d0: life %u: %lu requests, %lu in order", life, served, in_order);
    failures += served != rounds || in_order != rounds;

    /* d1 asks for a reboot after its last response: wait for its death. */
    deadline = evt_now_ns() + 5 * WAIT_NS;
    while (!evt_pending(virq) && evt_now_ns() < deadline) {
        evtchn_port_t vp = virq;
        evt_poll(&vp, 1, deadline);
    }
    P("d0: life %u: VIRQ_DOM_EXC (d1 died): %d", life, evt_pending(virq));
    failures += !evt_pending(virq);
    evt_test_and_clear(virq);
    evt_status((evtchn_port_t)local, st, sizeof(st));
    P("d0: life %u: status(our port) = %s", life, st);
    failures += strcmp(st, "unbound dom 1") != 0;
    HYPERVISOR_event_channel_op(EVTCHNOP_close,
                                &(struct evtchn_close){.port = (evtchn_port_t)local});
    gst = ring_unmap_grant(back_page, handle);
    long held = mappings_held();
    P("d0: life %u: unmap = %s; mappings held %ld", life, ring_st_str(gst), held);
    failures += gst != GNTST_okay || held != 0;
    return failures;
}

static int run_back(unsigned long rounds, unsigned long lives)
{
    unsigned long gref, port;
    int failures = 0;

    if (ring_back_params(1, &gref, &port)) {
        P("d0: FAIL: no ring-d1= option");
        return 1;
    }
    long virq = evt_bind_virq(VIRQ_DOM_EXC);
    P("d0: ring-d1: gref %lu, port %lu; %lu lives of %lu round trips; VIRQ_DOM_EXC bound: %s", gref,
      port, lives, rounds, virq > 0 ? "yes" : rc_str(virq));
    if (virq <= 0)
        return 1;
    for (unsigned int life = 1; life <= lives && !failures; life++)
        failures += serve_life(life, gref, port, (evtchn_port_t)virq, rounds);
    P("result %s", failures ? "FAILED" : "ok");
    probe_done();
    return failures ? 1 : 0;
}

int main(void)
{
    unsigned long rounds = opt_ulong("rounds", 1000);

    evt_vcpu()->evtchn_upcall_mask = 1;
    evt_mask_all_ports();
    if (!(start_info->flags & SIF_INITDOMAIN))
        return run_front(rounds);
    return run_back(rounds, opt_ulong("lives", 4));
}

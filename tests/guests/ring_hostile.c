/*
 * ring_hostile: a hostile peer on a shared ring cannot crash the other domain or the
 * hypervisor; the victim reports what it saw and carries on (issue 7, "Demonstration and
 * tests"; docs/rings.md, "The demonstration"). mica only: two domains wired by the builder
 * (hypervisor options `domu_copies=1 domu_rings`, see ring_util.h); the same ELF runs as dom0
 * (backend) and d1 (frontend), and `attack=NAME` on the command line picks the scenario.
 *
 * In every scenario the two first make GOOD_ROUNDS (10) honest round trips through the sring
 * API. Then, with d1 hostile and dom0 the victim backend:
 *   ahead      d1 writes req_prod 1000 past its real value and notifies: the backend's API
 *              must report -EOVERFLOW (RING_REQUEST_PROD_OVERFLOW);
 *   backwards  d1 posts 8 requests, lets the backend consume them, then moves req_prod back
 *              by 4 while the backend still holds them unanswered: -ERANGE;
 *   garbage    d1 sends GARBAGE requests with a wrong operation and check word, then 10 honest
 *              ones and goodbye: dom0 validates its copies, answers those with -EINVAL, serves
 *              the rest in order;
 *   revoke     d1 clears its grant entry's flags (GTF_permit_access off) while dom0 has the
 *              ring mapped, makes 10 more round trips (the mapping stays valid: a grant in use
 *              is not revoked by the hypervisor), then says goodbye; dom0's unmap works and a
 *              new map of the revoked grant is refused (GNTST_general_error);
 *   flood      d1 sends FLOOD_SENDS events in a tight loop (EVTCHNOP_send), then 10 more round
 *              trips and goodbye: dom0 counts the events that brought no request and serves
 *              every request in order;
 *   close      d1 closes its port mid-stream (EVTCHNOP_close) and posts one more request it can
 *              no longer announce: dom0 finds its own port unbound (EVTCHNOP_status) after a
 *              quiet period, serves what is on the ring and disconnects;
 *   die        d1 posts a request, notifies and crashes (SHUTDOWN_crash) with the page mapped by
 *              dom0: dom0 sees VIRQ_DOM_EXC, its port unbound, the page still readable; the
 *              unmap works and a new map gets GNTST_bad_domain.
 * With dom0 hostile and d1 the victim frontend:
 *   backend    dom0 answers request 11 by moving rsp_prod 5 responses past the requests d1
 *              posted (responses it never asked for): d1's API must report -EOVERFLOW; d1
 *              closes its port and powers off cleanly.
 *
 * The victim backend completes requests late, as a real device does: requests it consumes
 * are held and answered HOLD_NS after the first of them was consumed; events in between only
 * make it look at the ring again. So a producer index moved back while requests are held is
 * seen as going backwards (-ERANGE), not as an overflow. After the exchange the victim disconnects
 * (closes its port, unmaps the ring), tries to map d1's grant again and an invalid reference
 * (BAD_GREF: GNTST_bad_gntref), waits for d1's end (VIRQ_DOM_EXC) and powers off. Its last line
 * is "ring_hostile: result ok" when it saw what the scenario should show, "... FAILED" if not.
 * The attacker frontend waits for the victim to disconnect (its port unbound, GTF_reading of its
 * grant clear) and powers off.
 */
#define PROBE_NAME "ring_hostile"

#include <pvguest/cmdline.h>
#include <pvguest/shutdown.h>

#include "probe.h"

#include "evt_util.h"
#include "ring_util.h"

#define GOOD_ROUNDS   10
#define FLOOD_SENDS   100000UL
#define GARBAGE       5              /* requests with a wrong operation and check word */
#define WAIT_NS       2000000000ULL  /* longest wait for one response */
#define FIRST_WAIT_NS 20000000000ULL /* the first wait (the peer may still be starting) */
#define QUIET_NS      200000000ULL   /* the victim backend checks its port after 200 ms quiet */
#define IDLE_LIMIT_NS 20000000000ULL /* ... and gives up after 20 s without a request */
#define HOLD_NS       10000000ULL    /* how long the victim backend holds requests: 10 ms */
#define BYE_NS        20000000000ULL /* how long the attacker waits for the disconnect */
#define BAD_GREF      100000u        /* beyond any grant table mica or Xen gives a domU */
#define PING_OP_BYE   0x20657962u    /* "bye ": the frontend is done, disconnect */
#define HELD_MAX      128            /* RING_SIZE of the ping ring: at most that many held */
#define LINGER_NS     50000000ULL    /* the attacker stays 50 ms after the victim's disconnect */

static uint8_t ring_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t gt_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static char attack[16];

static bool is(const char *name)
{
    return strcmp(attack, name) == 0;
}

static void shared_sring_write(volatile RING_IDX *idx, RING_IDX value)
{
    __atomic_store_n(idx, value, __ATOMIC_SEQ_CST);
}

/* ---------------------------------------------------------------- d1: the frontend ---- */

static struct ping_frontend fe;
static evtchn_port_t fport;
static volatile grant_entry_v1_t *gt;
static unsigned long gref;
static struct ring_waits fwaits;

static const char *gtf_str(uint16_t f)
{
    static char buf[64];

    snprintf(buf, sizeof(buf), "%s%s%s%s",
             (f & GTF_type_mask) == GTF_permit_access ? "permit_access" : "invalid",
             f & GTF_readonly ? ",readonly" : "", f & GTF_reading ? ",reading" : "",
             f & GTF_writing ? ",writing" : "");
    return buf;
}

/* Post a request with operation @op and sequence number @seq, push, notify if asked. */
static int front_post(uint64_t seq, uint32_t op)
{
    struct ping_request req = {.seq = seq, .op = op, .check = ping_check(seq)};
    int rc = ping_front_post(&fe, &req);

    if (rc == 0 && ping_front_push(&fe))
        evt_send(fport);
    return rc;
}

/* Wait for the next response (get, final check, poll); 1, or a protocol error, or 0 (none). */
static int front_get(struct ping_response *rsp, uint64_t wait_ns)
{
    uint64_t deadline = evt_now_ns() + wait_ns;

    for (;;) {
        int rc = ping_front_get_response(&fe, rsp);

        if (rc != 0)
            return rc; /* 1: got one; or the ring's protocol error */
        rc = ping_front_final_check(&fe);
        if (rc < 0)
            return rc;
        if (rc > 0)
            continue; /* a response arrived while re-arming rsp_event */
        if (ring_wait(fport, 0, deadline, &fwaits) != RING_WAIT_EVENT)
            return 0;
    }
}

/* Honest round trips first..last; 0, or -1 (reported). */
static int front_rounds(uint64_t first, uint64_t last)
{
    for (uint64_t i = first; i <= last; i++) {
        struct ping_response rsp = {0};
        int rc = front_post(i, PING_OP_PING);

        if (rc == 0)
            rc = front_get(&rsp, i == 1 ? FIRST_WAIT_NS : WAIT_NS);
        if (rc != 1 || rsp.seq != i || rsp.status != 0) {
            P("d1: round trip %llu failed: %s, response %llu status %d", (unsigned long long)i,
              rc_str(rc), (unsigned long long)rsp.seq, rsp.status);
            return -1;
        }
    }
    P("d1: round trips %llu-%llu: all answered in order", (unsigned long long)first,
      (unsigned long long)last);
    return 0;
}

/* Wait (yielding) until dom0 has disconnected: our port not interdomain, grant not in use. */
static void front_wait_disconnect(void)
{
    uint64_t deadline = evt_now_ns() + BYE_NS;
    char st[64] = "";

    for (;;) {
        evt_status(fport, st, sizeof(st));
        bool port_gone = strncmp(st, "interdomain", 11) != 0;
        bool unmapped = !(gt[gref].flags & (GTF_reading | GTF_writing));
        if ((port_gone && unmapped) || evt_now_ns() >= deadline)
            break;
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    P("d1: after the victim's disconnect: port %u %s, grant %s", fport, st,
      gtf_str(gt[gref].flags));
    /* Stay a little longer, so that the victim's checks of our grant find us alive. */
    for (deadline = evt_now_ns() + LINGER_NS; evt_now_ns() < deadline;)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

/* The attacks of a hostile frontend. Returns what main returns. */
static int front_attack(void)
{
    volatile struct ping_sring *s = (volatile struct ping_sring *)ring_page;
    RING_IDX prod;
    long rc;

    if (front_rounds(1, GOOD_ROUNDS))
        return 1;
    if (is("ahead")) {
        prod = s->req_prod;
        shared_sring_write(&s->req_prod, prod + 1000);
        P("d1: attack: req_prod moved 1000 ahead; send = %s", rc_str(evt_send(fport)));
    } else if (is("backwards")) {
        for (uint64_t i = GOOD_ROUNDS + 1; i <= GOOD_ROUNDS + 8; i++)
            ping_front_post(&fe, &(struct ping_request){i, PING_OP_PING, ping_check(i)});
        ping_front_push(&fe);
        evt_send(fport);
        RING_IDX answered = s->rsp_prod;
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL); /* the backend consumes them */
        prod = s->req_prod;
        shared_sring_write(&s->req_prod, prod - 4);
        P("d1: attack: 8 requests posted, then req_prod moved back by 4 (%s answered yet); "
          "send = %s",
          s->rsp_prod == answered ? "none" : "some", rc_str(evt_send(fport)));
    } else if (is("garbage")) {
        unsigned long refused = 0;
        for (uint64_t i = GOOD_ROUNDS + 1; i <= GOOD_ROUNDS + GARBAGE; i++) {
            struct ping_request req = {.seq = i, .op = 0xdeadbeef, .check = 0};
            struct ping_response rsp = {0};
            if (ping_front_post(&fe, &req) == 0 && ping_front_push(&fe))
                evt_send(fport);
            refused += front_get(&rsp, WAIT_NS) == 1 && rsp.seq == i && rsp.status == -XEN_EINVAL;
        }
        P("d1: attack: %d garbage requests, %lu answered with -EINVAL", GARBAGE, refused);
        if (front_rounds(GOOD_ROUNDS + GARBAGE + 1, 2 * GOOD_ROUNDS + GARBAGE))
            return 1;
        front_post(2 * GOOD_ROUNDS + GARBAGE + 1, PING_OP_BYE);
    } else if (is("revoke")) {
        uint16_t before = gt[gref].flags;
        __atomic_store_n(&gt[gref].flags, 0, __ATOMIC_SEQ_CST);
        P("d1: attack: grant %lu was %s, flags cleared while mapped", gref, gtf_str(before));
        if (front_rounds(GOOD_ROUNDS + 1, 2 * GOOD_ROUNDS))
            return 1;
        P("d1: grant %lu now %s", gref, gtf_str(gt[gref].flags));
        front_post(2 * GOOD_ROUNDS + 1, PING_OP_BYE);
    } else if (is("flood")) {
        unsigned long errors = 0;
        uint64_t t0 = evt_now_ns();
        for (unsigned long i = 0; i < FLOOD_SENDS; i++)
            errors += evt_send(fport) != 0;
        uint64_t ms = (evt_now_ns() - t0) / 1000000;
        P("d1: attack: %lu sends in a tight loop, %lu failed", FLOOD_SENDS, errors);
        printk(PROBE_NAME ".t: d1: the flood took %llu ms\n", (unsigned long long)ms);
        if (front_rounds(GOOD_ROUNDS + 1, 2 * GOOD_ROUNDS))
            return 1;
        front_post(2 * GOOD_ROUNDS + 1, PING_OP_BYE);
    } else if (is("close")) {
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_close, &(struct evtchn_close){.port = fport});
        P("d1: attack: close(port %u) = %s", fport, rc_str(rc));
        ping_front_post(&fe, &(struct ping_request){GOOD_ROUNDS + 1, PING_OP_PING,
                                                    ping_check(GOOD_ROUNDS + 1)});
        ping_front_push(&fe);
        P("d1: posted request %d; send on the closed port = %s", GOOD_ROUNDS + 1,
          rc_str(evt_send(fport)));
    } else if (is("die")) {
        front_post(GOOD_ROUNDS + 1, PING_OP_PING);
        P("d1: attack: posted request %d, crashing with the ring mapped by dom0", GOOD_ROUNDS + 1);
        guest_shutdown(SHUTDOWN_crash);
    } else {
        P("d1: FAIL: unknown attack \"%s\"", attack);
        return 1;
    }
    front_wait_disconnect();
    P("d1: powering off");
    return 0;
}

/* The victim frontend of attack=backend: report the backend's protocol error and carry on. */
static int front_victim(void)
{
    struct ping_response rsp = {0};
    int failures = 0;

    if (front_rounds(1, GOOD_ROUNDS))
        return 1;
    front_post(GOOD_ROUNDS + 1, PING_OP_PING);
    int rc = front_get(&rsp, WAIT_NS);
    P("d1: victim: waiting for response %d: %s", GOOD_ROUNDS + 1, rc_str(rc));
    failures += rc != -XEN_EOVERFLOW;
    if (rc < 0)
        P("d1: victim: ring protocol error from the backend %s: disconnecting", rc_str(rc));
    P("d1: victim: the API refuses more: get_response = %s, post = %s",
      rc_str(ping_front_get_response(&fe, &rsp)),
      rc_str(ping_front_post(&fe, &(struct ping_request){99, PING_OP_PING, ping_check(99)})));
    ring_print_stats("d1", "frontend ring", &fe.stats);
    long crc = HYPERVISOR_event_channel_op(EVTCHNOP_close, &(struct evtchn_close){.port = fport});
    P("d1: victim: close(port %u) = %s; carrying on, then powering off", fport, rc_str(crc));
    failures += crc != 0;
    P("result %s", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}

static int run_d1(void)
{
    struct ring_front_params p;
    long rc;

    if (ring_front_params(&p)) {
        P("d1: FAIL: no ring= option (boot mica with domu_copies=1 domu_rings)");
        return 1;
    }
    gref = p.gref;
    fport = (evtchn_port_t)p.port;
    gt = ring_gnttab_map_own(gt_page);
    rc = ring_map_pfn(ring_page, p.pfn);
    if (rc == 0)
        rc = ping_front_attach(&fe, (struct ping_sring *)ring_page, PAGE_SIZE);
    P("d1: attack=%s; ring mapped and attached = %s; grant table mapped: %s", attack, rc_str(rc),
      gt ? "yes" : "no");
    if (rc || !gt)
        return 1;
    return is("backend") ? front_victim() : front_attack();
}

/* ---------------------------------------------------------------- dom0: the backend ---- */

/** Why the victim backend stopped serving. */
enum stop { STOP_ERROR, STOP_BYE, STOP_DIED, STOP_CLOSED, STOP_IDLE };

static struct ping_backend be;
static evtchn_port_t bport, virq;
static struct ring_waits bwaits;

/** What the victim backend saw. */
struct victim {
    unsigned long requests, in_order, out_of_order, invalid, answered;
    unsigned long empty_events; /* events after which no request was on the ring */
    unsigned long held_max;     /* most requests held unanswered at once */
    int error;                  /* the ring's protocol error */
};

static bool port_unbound(void)
{
    char st[64];

    evt_status(bport, st, sizeof(st));
    return strncmp(st, "unbound", 7) == 0;
}

/* Answer @n held requests (with their sequence numbers and statuses), push, notify. */
static void answer(struct ping_response *held, unsigned long n, struct victim *v)
{
    for (unsigned long i = 0; i < n; i++) {
        if (ping_back_post_response(&be, &held[i]) == 0)
            v->answered++;
    }
    if (ping_back_push(&be))
        evt_send(bport);
}

/* The victim backend's main loop (docs/rings.md's, with late completion). */
static enum stop back_serve(struct victim *v)
{
    static struct ping_response held[HELD_MAX];
    unsigned long nheld = 0, expected = 1;
    uint64_t idle_since = evt_now_ns(), hold_until = 0;
    bool bye = false, after_event = false;

    for (;;) {
        struct ping_request req = {0};
        unsigned long got = 0;
        int rc;

        while (nheld < HELD_MAX && ping_back_get_request(&be, &req) > 0) {
            if (!nheld)
                hold_until = evt_now_ns() + HOLD_NS;
            /* Validate our copy only: the frontend may be rewriting the slot right now. */
            bool valid = (req.op == PING_OP_PING || req.op == PING_OP_BYE) &&
                         req.check == ping_check(req.seq);
            v->requests++;
            got++;
            if (!valid)
                v->invalid++;
            else if (req.seq == expected)
                v->in_order++;
            else
                v->out_of_order++;
            if (valid || req.seq == expected)
                expected = req.seq + 1;
            bye |= valid && req.op == PING_OP_BYE;
            held[nheld++] = (struct ping_response){
                .seq = req.seq, .status = valid ? 0 : -XEN_EINVAL, .check = ping_check(req.seq)};
        }
        rc = be.error;
        if (rc < 0) {
            v->error = rc;
            P("d0: victim: ring protocol error %s after %lu requests (%lu answered, %lu held)",
              rc_str(rc), v->requests, v->answered, nheld);
            return STOP_ERROR;
        }
        if (nheld > v->held_max)
            v->held_max = nheld;
        if (after_event && !got)
            v->empty_events++;
        after_event = false;
        if (got)
            idle_since = evt_now_ns();
        if (nheld && evt_now_ns() >= hold_until) {
            answer(held, nheld, v); /* the "device" completes what it holds */
            nheld = 0;
        }
        if (bye && !nheld)
            return STOP_BYE;
        if (!nheld) {
            rc = ping_back_final_check(&be);
            if (rc > 0)
                continue;
            if (rc < 0)
                continue; /* reported at the top of the loop */
        }
        uint64_t deadline = nheld ? hold_until : evt_now_ns() + QUIET_NS;
        enum ring_wait_result r = ring_wait(bport, virq, deadline, &bwaits);
        if (r == RING_WAIT_PEER_DIED) {
            /* Serve what it left on the ring before giving up its page. */
            while (ping_back_get_request(&be, &req) > 0)
                v->requests++;
            P("d0: victim: d1 died (VIRQ_DOM_EXC) after %lu requests (%lu answered)", v->requests,
              v->answered);
            return STOP_DIED;
        }
        if (r == RING_WAIT_EVENT) {
            after_event = true;
            continue;
        }
        if (nheld)
            continue; /* the hold time passed */
        if (port_unbound()) {
            while (ping_back_get_request(&be, &req) > 0) {
                v->requests++;
                held[0] = (struct ping_response){.seq = req.seq, .check = ping_check(req.seq)};
                answer(held, 1, v);
            }
            P("d0: victim: d1 closed its end of the channel (port %u unbound) after %lu "
              "requests (%lu answered)",
              bport, v->requests, v->answered);
            return STOP_CLOSED;
        }
        if (evt_now_ns() - idle_since > IDLE_LIMIT_NS) {
            P("d0: victim: FAIL: no request for %llu s", IDLE_LIMIT_NS / 1000000000ULL);
            return STOP_IDLE;
        }
    }
}

/* The hostile backend of attack=backend: 10 honest answers, then responses never asked for. */
static int back_attack(void)
{
    volatile struct ping_sring *s = (volatile struct ping_sring *)ring_page;
    struct ping_request req = {0};
    unsigned long served = 0;

    while (served <= GOOD_ROUNDS) {
        int rc = ping_back_get_request(&be, &req);

        if (rc < 0)
            return 1;
        if (rc == 0) {
            if (ping_back_final_check(&be) == 0 &&
                ring_wait(bport, virq, evt_now_ns() + FIRST_WAIT_NS, &bwaits) != RING_WAIT_EVENT)
                return 1;
            continue;
        }
        if (++served > GOOD_ROUNDS)
            break;
        ping_back_post_response(&be, &(struct ping_response){req.seq, 0, ping_check(req.seq)});
        if (ping_back_push(&be))
            evt_send(bport);
    }
    RING_IDX prod = s->rsp_prod;
    for (RING_IDX i = prod; i != prod + 6; i++)
        s->ring[i & (RING_SIZE(&be.ring) - 1)].rsp =
            (struct ping_response){req.seq + (i - prod), 0, ping_check(req.seq + (i - prod))};
    shared_sring_write(&s->rsp_prod, prod + 6);
    P("d0: attack: request %lu answered with 6 responses (rsp_prod +6); send = %s", served,
      rc_str(evt_send(bport)));
    evtchn_port_t vp = virq;
    uint64_t deadline = evt_now_ns() + BYE_NS;
    while (!evt_pending(vp) && evt_now_ns() < deadline)
        evt_poll(&vp, 1, deadline);
    P("d0: VIRQ_DOM_EXC (d1 shut down): %d; port %u unbound: %s", evt_pending(vp), bport,
      port_unbound() ? "yes" : "no");
    return 0;
}

static const char *const stop_names[] = {"protocol error", "goodbye", "peer died",
                                         "peer closed its port", "idle"};

static int run_dom0(void)
{
    unsigned long fgref, fport_nr;
    grant_handle_t handle = 0;
    struct victim v = {0};
    int failures = 0;

    if (ring_back_params(1, &fgref, &fport_nr)) {
        P("d0: FAIL: no ring-d1= option (boot mica with domu_copies=1 domu_rings)");
        return 1;
    }
    long vrc = evt_bind_virq(VIRQ_DOM_EXC);
    int16_t gst = ring_map_grant(1, (grant_ref_t)fgref, ring_page, &handle);
    long lrc = evt_bind_interdomain(1, (evtchn_port_t)fport_nr);
    P("d0: attack=%s; bind_virq(VIRQ_DOM_EXC) = %s, map d1's gref %lu = %s, "
      "bind_interdomain(dom 1, port %lu) = %s",
      attack, rc_str(vrc), fgref, ring_st_str(gst), fport_nr, rc_str(lrc));
    if (vrc <= 0 || gst != GNTST_okay || lrc <= 0)
        return 1;
    virq = (evtchn_port_t)vrc;
    bport = (evtchn_port_t)lrc;
    evt_test_and_clear(bport);
    if (ping_back_attach(&be, (struct ping_sring *)ring_page, PAGE_SIZE))
        return 1;

    if (is("backend")) {
        failures += back_attack();
    } else {
        enum stop why = back_serve(&v);
        P("d0: victim: stopped serving: %s", stop_names[why]);
        P("d0: victim: %lu requests: %lu in order, %lu out of order, %lu invalid; %lu answered; "
          "at most %lu held",
          v.requests, v.in_order, v.out_of_order, v.invalid, v.answered, v.held_max);
        P("d0: victim: %lu events, %lu of them with no new request; %lu spurious wake-ups",
          bwaits.events, v.empty_events, bwaits.spurious);
        ring_print_stats("d0", "backend ring", &be.stats);
        if (why == STOP_DIED) {
            volatile struct ping_sring *s = (volatile struct ping_sring *)ring_page;
            char st[64];
            evt_status(bport, st, sizeof(st));
            P("d0: victim: the dead peer's page is still mapped: req_prod %u, rsp_prod %u; "
              "port %u: %s",
              s->req_prod, s->rsp_prod, bport, st);
            failures += strcmp(st, "unbound dom 1") != 0;
        }
        /* Did it see what this attack should show? */
        bool saw = is("ahead")       ? v.error == -XEN_EOVERFLOW
                   : is("backwards") ? v.error == -XEN_ERANGE
                   : is("garbage")   ? why == STOP_BYE && v.invalid == GARBAGE &&
                                         v.in_order + GARBAGE == v.requests
                   : is("revoke") ? why == STOP_BYE && v.in_order == v.requests
                   : is("flood") ? why == STOP_BYE && v.in_order == v.requests && v.empty_events > 0
                   : is("close") ? why == STOP_CLOSED
                   : is("die")   ? why == STOP_DIED
                                 : false;
        failures += !saw;
    }

    /* Disconnect, then look at the grant again: the victim carries on whatever d1 did. */
    long crc = HYPERVISOR_event_channel_op(EVTCHNOP_close, &(struct evtchn_close){.port = bport});
    int16_t ust = ring_unmap_grant(ring_page, handle);
    P("d0: disconnect: close(port %u) = %s, unmap d1's ring = %s", bport, rc_str(crc),
      ring_st_str(ust));
    failures += crc != 0 || ust != GNTST_okay;
    gst = ring_map_grant(1, (grant_ref_t)fgref, ring_page, &handle);
    P("d0: map d1's gref %lu again = %s", fgref, ring_st_str(gst));
    if (gst == GNTST_okay)
        ring_unmap_grant(ring_page, handle);
    int16_t bad = ring_map_grant(1, BAD_GREF, ring_page, &handle);
    P("d0: map d1's gref %u = %s", BAD_GREF, ring_st_str(bad));
    if (is("die") || is("backend")) /* d1 is gone: neither of its grants can be mapped */
        failures += gst != GNTST_bad_domain || bad != GNTST_bad_domain;
    else /* d1 lives: its revoked grant is refused, an intact one maps again */
        failures +=
            gst != (is("revoke") ? GNTST_general_error : GNTST_okay) || bad != GNTST_bad_gntref;

    if (!is("backend")) {
        evtchn_port_t vp = virq;
        uint64_t deadline = evt_now_ns() + BYE_NS;
        while (!evt_pending(vp) && evt_now_ns() < deadline)
            evt_poll(&vp, 1, deadline);
        P("d0: VIRQ_DOM_EXC (d1 shut down): %d", evt_pending(vp));
        failures += !evt_pending(vp);
        P("result %s", failures ? "FAILED" : "ok");
    } else {
        P("d0: attacker done%s", failures ? " (FAILED)" : "");
    }
    return failures ? 1 : 0;
}

int main(void)
{
    cmdline_get("attack", attack, sizeof(attack));
    evt_vcpu()->evtchn_upcall_mask = 1;
    evt_mask_all_ports();
    if (!(start_info->flags & SIF_INITDOMAIN))
        return run_d1();
    return run_dom0();
}

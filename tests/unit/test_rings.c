/*
 * Unit tests of the shared-rings library (shared-rings/include/sring/): the typed API over Xen's
 * io/ring.h, driven from one thread that plays frontend, backend and, where needed, a hostile
 * peer writing the shared page directly. Most tests run at several starting indices, some just
 * below 2^32, so every rule is also checked across the index wrap-around.
 * The two-thread test is test_rings_stress.c.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sring/blkif.h>
#include <sring/netif.h>

#define RING_BYTES 4096 /* one page, as a granted ring is */
#define BLK_SLOTS  32   /* (4096 - 64) / 112 rounded down to a power of two */

/* Starting indices: the ordinary one, and ones that make the indices wrap within a test. */
static const RING_IDX starts[] = {
    0, 12345, UINT32_MAX - 100, UINT32_MAX - 31, UINT32_MAX - 1, UINT32_MAX};
#define NR_STARTS ((int)(sizeof(starts) / sizeof(starts[0])))

/* A blkif ring in its own page-sized heap block (ASan sees any access past it). */
struct blk {
    blkif_sring_t *s;
    struct blkif_frontend f;
    struct blkif_backend b;
    RING_IDX start;
};

static void blk_setup(struct blk *p, RING_IDX start)
{
    p->s = aligned_alloc(RING_BYTES, RING_BYTES);
    ck_assert_ptr_nonnull(p->s);
    memset(p->s, 0xa5, RING_BYTES); /* the builder must not rely on zeroed memory */
    p->start = start;
    blkif_sring_init(p->s, start);
    ck_assert_int_eq(blkif_front_attach(&p->f, p->s, RING_BYTES), 0);
    ck_assert_int_eq(blkif_back_attach(&p->b, p->s, RING_BYTES), 0);
    ck_assert_uint_eq(RING_SIZE(&p->f.ring), BLK_SLOTS);
}

static void blk_teardown(struct blk *p)
{
    free(p->s);
}

/* A request whose every field is derived from seq, so a torn or stale copy shows. */
static struct blkif_request make_req(uint64_t seq)
{
    struct blkif_request r;

    memset(&r, 0, sizeof(r));
    r.operation = (seq & 1) ? BLKIF_OP_WRITE : BLKIF_OP_READ;
    r.nr_segments = 1 + seq % BLKIF_MAX_SEGMENTS_PER_REQUEST;
    r.handle = 0x51;
    r.id = seq;
    r.sector_number = seq * 8;
    for (unsigned i = 0; i < r.nr_segments; i++) {
        r.seg[i].gref = (grant_ref_t)(~seq + i);
        r.seg[i].first_sect = 0;
        r.seg[i].last_sect = 7;
    }
    return r;
}

static void check_req(const struct blkif_request *r, uint64_t seq)
{
    struct blkif_request want = make_req(seq);

    ck_assert_uint_eq(r->id, seq);
    ck_assert_mem_eq(r, &want, sizeof(want));
}

static struct blkif_response make_rsp(const struct blkif_request *req)
{
    struct blkif_response rsp = {.id = req->id, .operation = req->operation};

    rsp.status = BLKIF_RSP_OKAY;
    return rsp;
}

/* Frontend: post requests seq .. seq + n - 1. */
static void front_post_n(struct blk *p, uint64_t seq, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct blkif_request r = make_req(seq + i);

        ck_assert_int_eq(blkif_front_post(&p->f, &r), 0);
    }
}

/* Backend: consume exactly n requests, expecting seq .. seq + n - 1, and answer each. */
static void back_serve_n(struct blk *p, uint64_t seq, unsigned n)
{
    struct blkif_request r;

    for (unsigned i = 0; i < n; i++) {
        ck_assert_int_eq(blkif_back_get_request(&p->b, &r), 1);
        check_req(&r, seq + i);
        struct blkif_response rsp = make_rsp(&r);
        ck_assert_int_eq(blkif_back_post_response(&p->b, &rsp), 0);
    }
}

/* Frontend: consume exactly n responses for seq .. seq + n - 1. */
static void front_collect_n(struct blk *p, uint64_t seq, unsigned n)
{
    struct blkif_response rsp;

    for (unsigned i = 0; i < n; i++) {
        ck_assert_int_eq(blkif_front_get_response(&p->f, &rsp), 1);
        ck_assert_uint_eq(rsp.id, seq + i);
        ck_assert_int_eq(rsp.status, BLKIF_RSP_OKAY);
    }
}

/* --- sizes and attaching ------------------------------------------------------------------ */

START_TEST(test_ring_sizes)
{
    static union {
        unsigned char bytes[RING_BYTES];
        uint64_t align;
    } page;
    struct blkif_frontend bf;
    struct netif_tx_frontend tf;
    struct netif_rx_frontend rf;
    struct xen_netif_ctrl_frontend cf;

    ck_assert_int_eq(blkif_front_init(&bf, (blkif_sring_t *)page.bytes, RING_BYTES), 0);
    ck_assert_uint_eq(RING_SIZE(&bf.ring), 32);
    ck_assert_uint_eq(blkif_front_free(&bf), 32);
    ck_assert_int_eq(netif_tx_front_init(&tf, (netif_tx_sring_t *)page.bytes, RING_BYTES), 0);
    ck_assert_uint_eq(RING_SIZE(&tf.ring), 256);
    ck_assert_int_eq(netif_rx_front_init(&rf, (netif_rx_sring_t *)page.bytes, RING_BYTES), 0);
    ck_assert_uint_eq(RING_SIZE(&rf.ring), 256);
    ck_assert_int_eq(
        xen_netif_ctrl_front_init(&cf, (xen_netif_ctrl_sring_t *)page.bytes, RING_BYTES), 0);
    ck_assert_uint_eq(RING_SIZE(&cf.ring), 128);
    /* The layout is Xen's: 64 bytes of indices and padding, then the slots. */
    ck_assert_uint_eq(offsetof(blkif_sring_t, ring), 64);
    ck_assert_uint_eq(__CONST_RING_SIZE(blkif, RING_BYTES), 32);

    /* An area too small for one slot is refused, one slot is a (tiny) ring. */
    ck_assert_int_eq(blkif_front_init(&bf, (blkif_sring_t *)page.bytes, 0), -XEN_EINVAL);
    ck_assert_int_eq(blkif_front_init(&bf, (blkif_sring_t *)page.bytes, 64 + 111), -XEN_EINVAL);
    ck_assert_int_eq(blkif_front_init(&bf, (blkif_sring_t *)page.bytes, 64 + 112), 0);
    ck_assert_uint_eq(RING_SIZE(&bf.ring), 1);
    struct blkif_request r = make_req(1);
    ck_assert_int_eq(blkif_front_post(&bf, &r), 0);
    ck_assert_int_eq(blkif_front_post(&bf, &r), -XEN_ENOSPC);
    /* 2 KiB + change: still rounded down to a power of two. */
    ck_assert_int_eq(blkif_front_init(&bf, (blkif_sring_t *)page.bytes, 64 + 112 * 31), 0);
    ck_assert_uint_eq(RING_SIZE(&bf.ring), 16);

    struct blkif_backend bb;
    ck_assert_int_eq(blkif_back_attach(&bb, (blkif_sring_t *)page.bytes, 100), -XEN_EINVAL);
}
END_TEST

/* SHARED_RING_INIT's state at any start: empty, event indices one ahead. */
START_TEST(test_sring_init)
{
    struct blk p;

    blk_setup(&p, starts[_i]);
    ck_assert_uint_eq(p.s->req_prod, p.start);
    ck_assert_uint_eq(p.s->rsp_prod, p.start);
    ck_assert_uint_eq(p.s->req_event, p.start + 1);
    ck_assert_uint_eq(p.s->rsp_event, p.start + 1);
    for (unsigned i = 0; i < sizeof(p.s->__pad); i++)
        ck_assert_uint_eq(p.s->__pad[i], 0);
    for (unsigned i = 0; i < sizeof(p.s->pvt.pvt_pad); i++)
        ck_assert_uint_eq(p.s->pvt.pvt_pad[i], 0);
    blk_teardown(&p);
}
END_TEST

/*
 * mica's builder initialises the page; the frontend attaches to it and may post before the
 * backend connects; the backend, attaching later, finds those requests (DESIGN.md section 5).
 */
START_TEST(test_attach_late_backend)
{
    struct blk p;
    struct blkif_frontend f2;
    struct blkif_backend late;

    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, 3);
    ck_assert(blkif_front_push(&p.f));
    /* A second frontend cannot take over a ring with requests in flight. */
    ck_assert_int_eq(blkif_front_attach(&f2, p.s, RING_BYTES), -XEN_EBUSY);
    ck_assert_int_eq(blkif_back_attach(&late, p.s, RING_BYTES), 0);
    p.b = late;
    back_serve_n(&p, 0, 3);
    ck_assert(blkif_back_push(&p.b));
    front_collect_n(&p, 0, 3);
    ck_assert_int_eq(blkif_front_attach(&f2, p.s, RING_BYTES), 0); /* idle again */
    blk_teardown(&p);
}
END_TEST

/* --- empty and full ------------------------------------------------------------------------ */

START_TEST(test_empty_ring)
{
    struct blk p;
    struct blkif_request r;
    struct blkif_response rsp = {.id = 1};

    blk_setup(&p, starts[_i]);
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 0);
    ck_assert_int_eq(blkif_front_get_response(&p.f, &rsp), 0);
    ck_assert_int_eq(blkif_back_final_check(&p.b), 0);
    ck_assert_int_eq(blkif_front_final_check(&p.f), 0);
    /* No request was consumed, so there is nothing to answer. */
    ck_assert_int_eq(blkif_back_post_response(&p.b, &rsp), -XEN_EINVAL);
    /* Pushing nothing publishes nothing and notifies no one. */
    ck_assert(!blkif_front_push(&p.f));
    ck_assert(!blkif_back_push(&p.b));
    ck_assert_uint_eq(p.f.stats.pushes, 0);
    ck_assert_uint_eq(p.b.stats.pushes, 0);
    ck_assert_uint_eq(blkif_front_free(&p.f), BLK_SLOTS);
    ck_assert_uint_eq(p.s->req_prod, p.start);
    ck_assert_uint_eq(p.s->rsp_prod, p.start);
    /* The final checks re-armed both events for the next message. */
    ck_assert_uint_eq(p.s->req_event, p.start + 1);
    ck_assert_uint_eq(p.s->rsp_event, p.start + 1);
    ck_assert_uint_eq(p.b.error, 0);
    ck_assert_uint_eq(p.f.error, 0);
    blk_teardown(&p);
}
END_TEST

START_TEST(test_full_ring)
{
    struct blk p;
    struct blkif_request r = make_req(1000);
    struct blkif_request got;

    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, BLK_SLOTS);
    ck_assert_uint_eq(blkif_front_free(&p.f), 0);
    ck_assert_int_eq(blkif_front_post(&p.f, &r), -XEN_ENOSPC);
    ck_assert_uint_eq(p.f.stats.full, 1);
    ck_assert(blkif_front_push(&p.f));
    ck_assert_int_eq(blkif_front_post(&p.f, &r), -XEN_ENOSPC); /* still full after the push */

    /* The backend takes all 32 and then sees nothing more, though it answered none. */
    for (unsigned i = 0; i < BLK_SLOTS; i++) {
        ck_assert_int_eq(blkif_back_get_request(&p.b, &got), 1);
        check_req(&got, i);
    }
    ck_assert_int_eq(blkif_back_get_request(&p.b, &got), 0);
    ck_assert_int_eq(blkif_back_final_check(&p.b), 0);
    /* Consuming requests does not free slots: only consumed responses do. */
    ck_assert_int_eq(blkif_front_post(&p.f, &r), -XEN_ENOSPC);

    for (unsigned i = 0; i < BLK_SLOTS; i++) {
        struct blkif_request q = make_req(i);
        struct blkif_response rsp = make_rsp(&q);
        ck_assert_int_eq(blkif_back_post_response(&p.b, &rsp), 0);
    }
    struct blkif_response extra = {.id = 99};
    ck_assert_int_eq(blkif_back_post_response(&p.b, &extra), -XEN_EINVAL);
    ck_assert(blkif_back_push(&p.b));
    ck_assert_int_eq(blkif_front_post(&p.f, &r), -XEN_ENOSPC); /* responses not consumed yet */
    front_collect_n(&p, 0, 1);
    ck_assert_uint_eq(blkif_front_free(&p.f), 1);
    ck_assert_int_eq(blkif_front_post(&p.f, &r), 0);
    ck_assert_int_eq(blkif_front_post(&p.f, &r), -XEN_ENOSPC);
    front_collect_n(&p, 1, BLK_SLOTS - 1);
    ck_assert_uint_eq(blkif_front_free(&p.f), BLK_SLOTS - 1);
    ck_assert_uint_eq(p.f.stats.full, 5);
    ck_assert_uint_eq(p.f.stats.posted, BLK_SLOTS + 1);
    ck_assert_uint_eq(p.f.stats.consumed, BLK_SLOTS);
    ck_assert_uint_eq(p.b.stats.consumed, BLK_SLOTS);
    ck_assert_uint_eq(p.b.stats.posted, BLK_SLOTS);
    blk_teardown(&p);
}
END_TEST

/* --- wrap-around ---------------------------------------------------------------------------- */

/*
 * Irregular batches, each side sleeping (final check) between them, across 2^32: order kept,
 * every push notifies (the peer always slept), and the indices end exactly total messages on.
 */
START_TEST(test_wrap_around)
{
    struct blk p;
    uint64_t seq = 0;
    unsigned rounds = 0;

    blk_setup(&p, starts[_i]);
    while (seq < 400) {
        unsigned n = 1 + (rounds * 7) % BLK_SLOTS;

        front_post_n(&p, seq, n);
        ck_assert(blkif_front_push(&p.f));
        back_serve_n(&p, seq, n);
        struct blkif_request none;
        ck_assert_int_eq(blkif_back_get_request(&p.b, &none), 0);
        ck_assert_int_eq(blkif_back_final_check(&p.b), 0);
        ck_assert(blkif_back_push(&p.b));
        front_collect_n(&p, seq, n);
        ck_assert_int_eq(blkif_front_final_check(&p.f), 0);
        seq += n;
        rounds++;
    }
    ck_assert_uint_eq(p.s->req_prod, (RING_IDX)(p.start + seq));
    ck_assert_uint_eq(p.s->rsp_prod, (RING_IDX)(p.start + seq));
    if (p.start > UINT32_MAX - 400)
        ck_assert_uint_lt(p.s->req_prod, p.start); /* it did wrap */
    ck_assert_uint_eq(p.f.stats.notify_sent, rounds);
    ck_assert_uint_eq(p.f.stats.notify_suppressed, 0);
    ck_assert_uint_eq(p.b.stats.notify_sent, rounds);
    ck_assert_uint_eq(p.b.stats.notify_suppressed, 0);
    ck_assert_uint_eq(p.f.stats.consumed, seq);
    ck_assert_uint_eq(p.b.stats.consumed, seq);
    ck_assert_uint_eq(p.f.error, 0);
    ck_assert_uint_eq(p.b.error, 0);
    blk_teardown(&p);
}
END_TEST

/* The ring stays full-capable across the wrap: 32 outstanding straddling 2^32. */
START_TEST(test_full_across_wrap)
{
    struct blk p;
    struct blkif_request r = make_req(0);

    blk_setup(&p, UINT32_MAX - BLK_SLOTS / 2);
    for (uint64_t seq = 0; seq < 3 * BLK_SLOTS; seq += BLK_SLOTS) {
        front_post_n(&p, seq, BLK_SLOTS);
        ck_assert_int_eq(blkif_front_post(&p.f, &r), -XEN_ENOSPC);
        blkif_front_push(&p.f);
        back_serve_n(&p, seq, BLK_SLOTS);
        blkif_back_push(&p.b);
        front_collect_n(&p, seq, BLK_SLOTS);
    }
    ck_assert_uint_eq(p.f.ring.req_prod_pvt, (RING_IDX)(UINT32_MAX - BLK_SLOTS / 2 + 96));
    blk_teardown(&p);
}
END_TEST

/* --- notification suppression (event indices) ---------------------------------------------- */

/*
 * RING_PUSH_*_AND_CHECK_NOTIFY notifies only when the new messages cross the peer's event
 * index, which the peer sets (final check) just before sleeping. Step by step, with the exact
 * counts the rule gives.
 */
START_TEST(test_notification_suppression)
{
    struct blk p;
    struct blkif_request r;

    blk_setup(&p, starts[_i]);
    /* Backend asleep since init (req_event = start + 1): the first request notifies. */
    front_post_n(&p, 0, 1);
    ck_assert(blkif_front_push(&p.f));
    /* The backend has not run (so not re-armed): the second is suppressed. */
    front_post_n(&p, 1, 1);
    ck_assert(!blkif_front_push(&p.f));
    /* Backend wakes, drains, re-arms at req_cons + 1 and sleeps. */
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 0);
    ck_assert_int_eq(blkif_back_final_check(&p.b), 0);
    ck_assert_uint_eq(p.s->req_event, p.start + 3);
    /* Three requests in one push: one notification. */
    front_post_n(&p, 2, 3);
    ck_assert(blkif_front_push(&p.f));
    front_post_n(&p, 5, 1);
    ck_assert(!blkif_front_push(&p.f));
    /* Backend answers the 4 and the 2 before one at a time, pushing each: the frontend is
     * asleep (rsp_event = start + 1) for the first response only. */
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
        check_req(&r, 2 + i);
    }
    for (unsigned i = 0; i < 6; i++) {
        struct blkif_request q = make_req(i);
        struct blkif_response rsp = make_rsp(&q);
        ck_assert_int_eq(blkif_back_post_response(&p.b, &rsp), 0);
        ck_assert(blkif_back_push(&p.b) == (i == 0));
    }
    front_collect_n(&p, 0, 6);
    ck_assert_int_eq(blkif_front_final_check(&p.f), 0);
    ck_assert_uint_eq(p.s->rsp_event, p.start + 7);
    ck_assert_int_eq(blkif_back_final_check(&p.b), 0);
    ck_assert_uint_eq(p.s->req_event, p.start + 7);
    /* Both asleep again: the next message each way notifies. */
    front_post_n(&p, 6, 1);
    ck_assert(blkif_front_push(&p.f));
    back_serve_n(&p, 6, 1);
    ck_assert(blkif_back_push(&p.b));
    /* Pushing with nothing new is not a push. */
    ck_assert(!blkif_front_push(&p.f));
    ck_assert(!blkif_back_push(&p.b));

    ck_assert_uint_eq(p.f.stats.pushes, 5);
    ck_assert_uint_eq(p.f.stats.notify_sent, 3);
    ck_assert_uint_eq(p.f.stats.notify_suppressed, 2);
    ck_assert_uint_eq(p.b.stats.pushes, 7);
    ck_assert_uint_eq(p.b.stats.notify_sent, 2);
    ck_assert_uint_eq(p.b.stats.notify_suppressed, 5);
    ck_assert_uint_eq(p.b.stats.final_checks, 2);
    ck_assert_uint_eq(p.f.stats.final_checks, 1);
    ck_assert_uint_eq(p.f.stats.final_races, 0);
    blk_teardown(&p);
}
END_TEST

/*
 * The final check's reason to exist: a request published after the backend's last look but
 * before it re-armed req_event is pushed without a notification (the event index was stale),
 * so the backend must find it itself before sleeping.
 */
START_TEST(test_final_check_catches_unnotified_work)
{
    struct blk p;
    struct blkif_request r;

    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, 1);
    ck_assert(blkif_front_push(&p.f));
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 0); /* backend's last look */
    front_post_n(&p, 1, 1);
    ck_assert(!blkif_front_push(&p.f)); /* req_event still start + 1: no notification */
    ck_assert_int_eq(blkif_back_final_check(&p.b), 1); /* so the backend must not sleep */
    back_serve_n(&p, 1, 1);
    ck_assert_int_eq(blkif_back_final_check(&p.b), 0);

    /* Responses pending when the frontend is about to sleep: not a sleep either. */
    ck_assert(blkif_back_push(&p.b));
    ck_assert_int_eq(blkif_front_final_check(&p.f), 1);
    blk_teardown(&p);
}
END_TEST

/* --- hostile peers -------------------------------------------------------------------------- */

/*
 * The backend side of a simple driver: serve until there is nothing left or an error; at most
 * max_rounds rounds, so a test fails rather than hangs if the library let it loop.
 */
static int backend_serve_all(struct blk *p, unsigned max_rounds, unsigned *rounds)
{
    struct blkif_request r;
    int rc;

    for (*rounds = 0; *rounds < max_rounds; (*rounds)++) {
        while ((rc = blkif_back_get_request(&p->b, &r)) > 0) {
            struct blkif_response rsp = make_rsp(&r);
            blkif_back_post_response(&p->b, &rsp);
        }
        if (rc < 0)
            return rc;
        blkif_back_push(&p->b);
        rc = blkif_back_final_check(&p->b);
        if (rc <= 0)
            return rc;
    }
    return 1;
}

/* req_prod claiming more requests than the ring holds: detected, reported, sticky. */
START_TEST(test_req_prod_overflow)
{
    struct blk p;
    struct blkif_request r;
    struct blkif_response rsp = {.id = 1};
    unsigned rounds;

    blk_setup(&p, starts[_i]);
    p.s->req_prod = p.start + BLK_SLOTS + 1;
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), -XEN_EOVERFLOW);
    ck_assert_int_eq(p.b.error, -XEN_EOVERFLOW);
    ck_assert_uint_eq(p.b.stats.protocol_errors, 1);
    ck_assert_uint_eq(p.b.stats.consumed, 0);
    /* Sticky: even after the frontend "fixes" req_prod, the ring stays broken. */
    p.s->req_prod = p.start + 1;
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), -XEN_EOVERFLOW);
    ck_assert_int_eq(blkif_back_final_check(&p.b), -XEN_EOVERFLOW);
    ck_assert_int_eq(blkif_back_post_response(&p.b, &rsp), -XEN_EOVERFLOW);
    ck_assert(!blkif_back_push(&p.b));
    ck_assert_uint_eq(p.b.stats.protocol_errors, 1);
    ck_assert_uint_eq(p.s->rsp_prod, p.start); /* nothing was published */
    blk_teardown(&p);

    /* Exactly a ring's worth is legal (the frontend may fill the ring with garbage): the
     * backend consumes 32 and stops. */
    blk_setup(&p, starts[_i]);
    p.s->req_prod = p.start + BLK_SLOTS;
    for (unsigned i = 0; i < BLK_SLOTS; i++)
        ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 0);
    ck_assert_int_eq(p.b.error, 0);
    blk_teardown(&p);

    /* With requests answered, the limit moves with rsp_prod_pvt. */
    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, 10);
    blkif_front_push(&p.f);
    for (unsigned i = 0; i < 10; i++)
        ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
    for (unsigned i = 0; i < 4; i++) {
        struct blkif_request q = make_req(i);
        struct blkif_response ok = make_rsp(&q);
        ck_assert_int_eq(blkif_back_post_response(&p.b, &ok), 0);
    }
    p.s->req_prod = p.start + 4 + BLK_SLOTS; /* legal: 32 unanswered */
    for (unsigned i = 10; i < 4 + BLK_SLOTS; i++)
        ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 0);
    p.s->req_prod = p.start + 5 + BLK_SLOTS; /* 33 unanswered */
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), -XEN_EOVERFLOW);
    blk_teardown(&p);

    /* Half the index space ahead: the driver loop ends at once with the error. */
    blk_setup(&p, starts[_i]);
    p.s->req_prod = p.start + 0x80000000u;
    ck_assert_int_eq(backend_serve_all(&p, 1000, &rounds), -XEN_EOVERFLOW);
    ck_assert_uint_eq(rounds, 0);
    blk_teardown(&p);

    /* Found by the final check (the backend's last look before sleeping) too. */
    blk_setup(&p, starts[_i]);
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 0);
    p.s->req_prod = p.start + 1000;
    ck_assert_int_eq(blkif_back_final_check(&p.b), -XEN_EOVERFLOW);
    blk_teardown(&p);
}
END_TEST

/* A req_prod that moves backwards: never re-serves old slots. */
START_TEST(test_req_prod_backwards)
{
    struct blk p;
    struct blkif_request r;
    unsigned rounds;

    /* Back behind what the backend saw, but not behind what it consumed: the requests it
     * already read (5) are served, then the retreat is reported. */
    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, 5);
    blkif_front_push(&p.f);
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
    p.s->req_prod = p.start + 3;
    for (unsigned i = 2; i < 5; i++) {
        ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
        check_req(&r, i);
    }
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), -XEN_ERANGE);
    ck_assert_uint_eq(p.b.stats.consumed, 5);
    blk_teardown(&p);

    /* Behind the consumer, requests unanswered: without the check the backend would take
     * slots 2..4 again as new requests (Xen's macros alone accept this req_prod). */
    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, 5);
    blkif_front_push(&p.f);
    for (unsigned i = 0; i < 5; i++)
        ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
    p.s->req_prod = p.start + 2;
    ck_assert(!RING_REQUEST_PROD_OVERFLOW(&p.b.ring, p.s->req_prod));
    ck_assert_uint_eq(XEN_RING_NR_UNCONSUMED_REQUESTS(&p.b.ring), BLK_SLOTS - 5);
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), -XEN_ERANGE);
    ck_assert_uint_eq(p.b.stats.consumed, 5);
    blk_teardown(&p);

    /* Behind the responses already given: looks like ~2^32 requests, an overflow. */
    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, 5);
    blkif_front_push(&p.f);
    backend_serve_all(&p, 10, &rounds);
    p.s->req_prod = p.start + 2;
    ck_assert_int_eq(backend_serve_all(&p, 10, &rounds), -XEN_EOVERFLOW);
    ck_assert_uint_eq(p.b.stats.consumed, 5);
    blk_teardown(&p);

    /* Reported by the final check too. */
    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, 5);
    blkif_front_push(&p.f);
    for (unsigned i = 0; i < 3; i++)
        ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
    p.s->req_prod = p.start + 4;
    ck_assert_int_eq(blkif_back_final_check(&p.b), -XEN_ERANGE);
    blk_teardown(&p);
}
END_TEST

/* A hostile backend: more responses than requests, or rsp_prod moving backwards. */
START_TEST(test_rsp_prod_hostile)
{
    struct blk p;
    struct blkif_response rsp;

    blk_setup(&p, starts[_i]);
    p.s->rsp_prod = p.start + 1; /* a response to nothing */
    ck_assert_int_eq(blkif_front_get_response(&p.f, &rsp), -XEN_EOVERFLOW);
    ck_assert_int_eq(blkif_front_final_check(&p.f), -XEN_EOVERFLOW);
    struct blkif_request r = make_req(0);
    ck_assert_int_eq(blkif_front_post(&p.f, &r), -XEN_EOVERFLOW);
    ck_assert(!blkif_front_push(&p.f));
    ck_assert_uint_eq(p.f.stats.protocol_errors, 1);
    blk_teardown(&p);

    /* Responses to requests posted but not pushed are impossible too. */
    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, 4);
    blkif_front_push(&p.f);
    front_post_n(&p, 4, 4);
    p.s->rsp_prod = p.start + 5;
    ck_assert_int_eq(blkif_front_get_response(&p.f, &rsp), -XEN_EOVERFLOW);
    blk_teardown(&p);

    /* rsp_prod moving back below what the frontend already saw. */
    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, 3);
    blkif_front_push(&p.f);
    back_serve_n(&p, 0, 3);
    blkif_back_push(&p.b);
    front_collect_n(&p, 0, 2);
    p.s->rsp_prod = p.start + 2;
    ck_assert_int_eq(blkif_front_final_check(&p.f), -XEN_ERANGE);
    blk_teardown(&p);

    /* ... or below what it consumed: that claims ~2^32 responses. */
    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, 3);
    blkif_front_push(&p.f);
    back_serve_n(&p, 0, 3);
    blkif_back_push(&p.b);
    front_collect_n(&p, 0, 3);
    p.s->rsp_prod = p.start + 1;
    ck_assert_int_eq(blkif_front_get_response(&p.f, &rsp), -XEN_EOVERFLOW);
    blk_teardown(&p);
}
END_TEST

/* Each side's own producer index and the peer's event index may be scribbled on by the peer:
 * that can only change whether a notification is sent, never the private state. */
START_TEST(test_scribbled_indices_only_change_notify)
{
    struct blk p;

    blk_setup(&p, starts[_i]);
    front_post_n(&p, 0, 2);
    p.s->req_prod = p.start + 77; /* the backend writes the frontend's field */
    p.s->req_event = p.start + 12345;
    blkif_front_push(&p.f);
    ck_assert_uint_eq(p.s->req_prod, p.start + 2); /* republished from private state */
    back_serve_n(&p, 0, 2);
    p.s->rsp_event = p.start - 5;
    blkif_back_push(&p.b);
    front_collect_n(&p, 0, 2);
    ck_assert_int_eq(p.f.error, 0);
    ck_assert_int_eq(p.b.error, 0);
    blk_teardown(&p);
}
END_TEST

/* Copy before validate: the backend works on its copy, whatever the slot says afterwards. */
START_TEST(test_copy_before_validate)
{
    struct blk p;
    struct blkif_request r;

    blk_setup(&p, starts[_i]);
    front_post_n(&p, 7, 1);
    blkif_front_push(&p.f);
    ck_assert_int_eq(blkif_back_get_request(&p.b, &r), 1);
    /* The frontend rewrites the slot after the copy (the time-of-check race). */
    struct blkif_request *slot = RING_GET_REQUEST(&p.b.ring, p.start);
    slot->nr_segments = 200;
    slot->seg[0].gref = 0;
    check_req(&r, 7);
    blk_teardown(&p);
}
END_TEST

/* --- the netif instantiations ---------------------------------------------------------------- */

START_TEST(test_netif_rings)
{
    netif_tx_sring_t *tx = aligned_alloc(RING_BYTES, RING_BYTES);
    netif_rx_sring_t *rx = aligned_alloc(RING_BYTES, RING_BYTES);
    struct netif_tx_frontend txf;
    struct netif_tx_backend txb;
    struct netif_rx_frontend rxf;
    struct netif_rx_backend rxb;
    RING_IDX start = starts[_i];

    netif_tx_sring_init(tx, start);
    netif_rx_sring_init(rx, start);
    ck_assert_int_eq(netif_tx_front_attach(&txf, tx, RING_BYTES), 0);
    ck_assert_int_eq(netif_tx_back_attach(&txb, tx, RING_BYTES), 0);
    ck_assert_int_eq(netif_rx_front_attach(&rxf, rx, RING_BYTES), 0);
    ck_assert_int_eq(netif_rx_back_attach(&rxb, rx, RING_BYTES), 0);

    for (uint16_t round = 0; round < 5; round++) {
        /* The frontend posts 256 receive buffers and 200 packets to send. */
        for (uint16_t i = 0; i < 256; i++) {
            struct netif_rx_request rq = {.id = i, .gref = 1000u + i};
            ck_assert_int_eq(netif_rx_front_post(&rxf, &rq), 0);
        }
        struct netif_rx_request no = {.id = 999};
        ck_assert_int_eq(netif_rx_front_post(&rxf, &no), -XEN_ENOSPC);
        for (uint16_t i = 0; i < 200; i++) {
            struct netif_tx_request tq = {.gref = 7u + i, .offset = i, .id = i, .size = 60};
            ck_assert_int_eq(netif_tx_front_post(&txf, &tq), 0);
        }
        netif_rx_front_push(&rxf);
        netif_tx_front_push(&txf);
        /* The backend loops each packet back into a receive buffer. */
        for (uint16_t i = 0; i < 200; i++) {
            struct netif_tx_request tq;
            struct netif_rx_request rq;
            ck_assert_int_eq(netif_tx_back_get_request(&txb, &tq), 1);
            ck_assert_int_eq(netif_rx_back_get_request(&rxb, &rq), 1);
            ck_assert_uint_eq(tq.id, i);
            ck_assert_uint_eq(tq.gref, 7u + i);
            ck_assert_uint_eq(rq.gref, 1000u + i);
            struct netif_tx_response ts = {.id = tq.id, .status = NETIF_RSP_OKAY};
            struct netif_rx_response rs = {.id = rq.id, .status = (int16_t)tq.size};
            ck_assert_int_eq(netif_tx_back_post_response(&txb, &ts), 0);
            ck_assert_int_eq(netif_rx_back_post_response(&rxb, &rs), 0);
        }
        /* The 56 unused buffers come back empty. */
        for (uint16_t i = 200; i < 256; i++) {
            struct netif_rx_request rq;
            ck_assert_int_eq(netif_rx_back_get_request(&rxb, &rq), 1);
            struct netif_rx_response rs = {.id = rq.id, .status = NETIF_RSP_DROPPED};
            ck_assert_int_eq(netif_rx_back_post_response(&rxb, &rs), 0);
        }
        netif_tx_back_push(&txb);
        netif_rx_back_push(&rxb);
        for (uint16_t i = 0; i < 256; i++) {
            struct netif_rx_response rs;
            ck_assert_int_eq(netif_rx_front_get_response(&rxf, &rs), 1);
            ck_assert_uint_eq(rs.id, i);
            ck_assert_int_eq(rs.status, i < 200 ? 60 : NETIF_RSP_DROPPED);
        }
        for (uint16_t i = 0; i < 200; i++) {
            struct netif_tx_response ts;
            ck_assert_int_eq(netif_tx_front_get_response(&txf, &ts), 1);
            ck_assert_uint_eq(ts.id, i);
        }
    }
    ck_assert_uint_eq(tx->req_prod, (RING_IDX)(start + 1000));
    ck_assert_uint_eq(rx->rsp_prod, (RING_IDX)(start + 1280));
    free(tx);
    free(rx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rings");
    TCase *tc = tcase_create("rings");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_ring_sizes);
    tcase_add_loop_test(tc, test_sring_init, 0, NR_STARTS);
    tcase_add_loop_test(tc, test_attach_late_backend, 0, NR_STARTS);
    tcase_add_loop_test(tc, test_empty_ring, 0, NR_STARTS);
    tcase_add_loop_test(tc, test_full_ring, 0, NR_STARTS);
    tcase_add_loop_test(tc, test_wrap_around, 0, NR_STARTS);
    tcase_add_test(tc, test_full_across_wrap);
    tcase_add_loop_test(tc, test_notification_suppression, 0, NR_STARTS);
    tcase_add_loop_test(tc, test_final_check_catches_unnotified_work, 0, NR_STARTS);
    tcase_add_loop_test(tc, test_req_prod_overflow, 0, NR_STARTS);
    tcase_add_loop_test(tc, test_req_prod_backwards, 0, NR_STARTS);
    tcase_add_loop_test(tc, test_rsp_prod_hostile, 0, NR_STARTS);
    tcase_add_loop_test(tc, test_scribbled_indices_only_change_notify, 0, NR_STARTS);
    tcase_add_loop_test(tc, test_copy_before_validate, 0, NR_STARTS);
    tcase_add_loop_test(tc, test_netif_rings, 0, NR_STARTS);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * Two-thread stress test of the shared-rings library: a frontend thread and a backend thread on
 * one blkif ring in a page of ordinary memory, as two vCPUs on two CPUs would share a granted
 * page. Every request carries a sequence number (id) and fields derived from it; the backend
 * checks each request it copies and answers it, the frontend checks each response. 10 million
 * requests must arrive with no loss, duplication, reordering or torn copy, and the notification
 * counts are printed (`make test` log) for the suppression rate.
 *
 * "Notifications" are an event channel made of a futex word: notify sets it pending and wakes a
 * sleeper; wait sleeps until it is pending and clears it. Like an event channel, notifications
 * coalesce, and each side sleeps only after its final check said so.
 *
 * Environment: RINGS_STRESS_REQUESTS overrides the count (default 10000000).
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <sring/blkif.h>

#define RING_BYTES       4096
#define DEFAULT_REQUESTS 10000000ULL
#define PUSH_BATCH       4   /* each side publishes after this many messages (or fewer) */
#define WAIT_TIMEOUT_S   5   /* a sleeper not woken in this long is a lost wakeup */
#define SPIN_POLLS       256 /* polls (sched_yield every 64th) before sleeping */

/* An event channel between the two threads: one pending bit in a futex word. */
struct evtchn {
    uint32_t pending;
    uint64_t sleeps;   /* times the waiter blocked in the kernel (waiter's count) */
    uint64_t timeouts; /* times it waited WAIT_TIMEOUT_S without a notification */
};

static void evtchn_notify(struct evtchn *e)
{
    if (__atomic_exchange_n(&e->pending, 1, __ATOMIC_SEQ_CST) == 0)
        syscall(SYS_futex, &e->pending, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * Sleep until notified (returns 0) or until *stop is set (returns -1). The sleeper passes the
 * peer's producer index and its own consumer index: if it sleeps WAIT_TIMEOUT_S while the peer
 * has published work, the notification was lost (returns -2) and the test fails instead of
 * hanging. A peer merely slow to publish is waited for.
 */
static int evtchn_wait(struct evtchn *e, const int *stop, const RING_IDX *peer_prod, RING_IDX cons)
{
    struct timespec limit = {.tv_sec = WAIT_TIMEOUT_S};

    while (__atomic_exchange_n(&e->pending, 0, __ATOMIC_SEQ_CST) == 0) {
        if (__atomic_load_n(stop, __ATOMIC_SEQ_CST))
            return -1;
        /* The peer is usually about to answer: poll a little before paying for a syscall. */
        for (int i = 0; i < SPIN_POLLS && !__atomic_load_n(&e->pending, __ATOMIC_RELAXED); i++) {
            if (i % 64 == 63)
                sched_yield();
        }
        if (__atomic_load_n(&e->pending, __ATOMIC_RELAXED))
            continue;
        e->sleeps++;
        if (syscall(SYS_futex, &e->pending, FUTEX_WAIT_PRIVATE, 0, &limit, NULL, 0) < 0 &&
            errno == ETIMEDOUT) {
            e->timeouts++;
            if (__atomic_load_n(peer_prod, __ATOMIC_SEQ_CST) != cons)
                return -2;
        }
    }
    return 0;
}

struct stress {
    uint64_t requests;
    blkif_sring_t *sring;
    struct blkif_frontend front;
    struct blkif_backend back;
    struct evtchn to_back;  /* frontend -> backend: "requests" */
    struct evtchn to_front; /* backend -> frontend: "responses" */
    int stop;               /* set by a failing thread so the other one ends */
    char front_error[160];
    char back_error[160];
};

/* Record a thread's failure, stop the other thread; returns the thread's result (NULL). */
static void *thread_fail(struct stress *st, char *where, size_t size, const char *fmt, uint64_t a,
                         uint64_t b)
{
    snprintf(where, size, fmt, a, b);
    __atomic_store_n(&st->stop, 1, __ATOMIC_SEQ_CST);
    evtchn_notify(&st->to_back);
    evtchn_notify(&st->to_front);
    return NULL;
}

static void make_req(struct blkif_request *r, uint64_t seq)
{
    memset(r, 0, sizeof(*r));
    r->operation = (seq & 1) ? BLKIF_OP_WRITE : BLKIF_OP_READ;
    r->nr_segments = 1 + seq % BLKIF_MAX_SEGMENTS_PER_REQUEST;
    r->handle = (blkif_vdev_t)(seq >> 16);
    r->id = seq;
    r->sector_number = seq * 8 + 3;
    for (unsigned i = 0; i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
        r->seg[i].gref = (grant_ref_t)(seq * 31 + i);
        r->seg[i].first_sect = (uint8_t)(seq + i) & 7;
        r->seg[i].last_sect = 7;
    }
}

static void *frontend_main(void *arg)
{
    struct stress *st = arg;
    struct blkif_frontend *f = &st->front;
    uint64_t next_req = 0, next_rsp = 0;
    struct blkif_request req;
    struct blkif_response rsp = {0}; /* gcc cannot see RING_COPY_RESPONSE's volatile write */
    int rc;

    while (next_rsp < st->requests) {
        bool progress = false;

        if (__atomic_load_n(&st->stop, __ATOMIC_RELAXED))
            return NULL;
        for (unsigned n = 0; n < PUSH_BATCH && next_req < st->requests; n++) {
            make_req(&req, next_req);
            rc = blkif_front_post(f, &req);
            if (rc == -XEN_ENOSPC)
                break;
            if (rc < 0)
                return thread_fail(st, st->front_error, sizeof(st->front_error),
                                   "post of request %" PRIu64 " failed: %" PRId64, next_req,
                                   (uint64_t)(int64_t)rc);
            next_req++;
            progress = true;
        }
        if (blkif_front_push(f))
            evtchn_notify(&st->to_back);
        while ((rc = blkif_front_get_response(f, &rsp)) > 0) {
            if (rsp.id != next_rsp || rsp.status != BLKIF_RSP_OKAY ||
                rsp.operation != ((next_rsp & 1) ? BLKIF_OP_WRITE : BLKIF_OP_READ))
                return thread_fail(st, st->front_error, sizeof(st->front_error),
                                   "response %" PRIu64 " expected, got id %" PRIu64, next_rsp,
                                   rsp.id);
            next_rsp++;
            progress = true;
        }
        if (rc < 0)
            return thread_fail(st, st->front_error, sizeof(st->front_error),
                               "protocol error %" PRId64 " after %" PRIu64 " responses",
                               (uint64_t)(int64_t)rc, next_rsp);
        if (progress)
            continue;
        /* Nothing to post (ring full or all sent) and no response: sleep, after the final
         * check has re-armed rsp_event. */
        rc = blkif_front_final_check(f);
        if (rc < 0)
            return thread_fail(st, st->front_error, sizeof(st->front_error),
                               "final check: %" PRId64 " (at %" PRIu64 ")", (uint64_t)(int64_t)rc,
                               next_rsp);
        if (rc > 0)
            continue;
        rc = evtchn_wait(&st->to_front, &st->stop, &st->sring->rsp_prod, f->ring.rsp_cons);
        if (rc == -2)
            return thread_fail(st, st->front_error, sizeof(st->front_error),
                               "lost wakeup: responses %" PRIu64 "..%" PRIu64 " published",
                               next_rsp,
                               next_rsp + (RING_IDX)(st->sring->rsp_prod - f->ring.rsp_cons));
        if (rc < 0)
            return NULL;
    }
    return NULL;
}

static void *backend_main(void *arg)
{
    struct stress *st = arg;
    struct blkif_backend *b = &st->back;
    uint64_t expected = 0;
    struct blkif_request req, want;
    int rc;

    while (expected < st->requests) {
        unsigned n = 0;

        if (__atomic_load_n(&st->stop, __ATOMIC_RELAXED))
            return NULL;
        while ((rc = blkif_back_get_request(b, &req)) > 0) {
            make_req(&want, expected);
            if (memcmp(&req, &want, sizeof(req)) != 0)
                return thread_fail(st, st->back_error, sizeof(st->back_error),
                                   "request %" PRIu64 " expected, got id %" PRIu64 " (or torn)",
                                   expected, req.id);
            expected++;
            struct blkif_response rsp = {
                .id = req.id, .operation = req.operation, .status = BLKIF_RSP_OKAY};
            rc = blkif_back_post_response(b, &rsp);
            if (rc < 0)
                return thread_fail(st, st->back_error, sizeof(st->back_error),
                                   "response %" PRIu64 " refused: %" PRId64, req.id,
                                   (uint64_t)(int64_t)rc);
            if (++n % PUSH_BATCH == 0 && blkif_back_push(b))
                evtchn_notify(&st->to_front);
        }
        if (rc < 0)
            return thread_fail(st, st->back_error, sizeof(st->back_error),
                               "protocol error %" PRId64 " after %" PRIu64 " requests",
                               (uint64_t)(int64_t)rc, expected);
        if (blkif_back_push(b))
            evtchn_notify(&st->to_front);
        if (n > 0)
            continue;
        rc = blkif_back_final_check(b);
        if (rc < 0)
            return thread_fail(st, st->back_error, sizeof(st->back_error),
                               "final check: %" PRId64 " (at %" PRIu64 ")", (uint64_t)(int64_t)rc,
                               expected);
        if (rc > 0)
            continue;
        rc = evtchn_wait(&st->to_back, &st->stop, &st->sring->req_prod, b->ring.req_cons);
        if (rc == -2)
            return thread_fail(st, st->back_error, sizeof(st->back_error),
                               "lost wakeup: requests %" PRIu64 "..%" PRIu64 " published", expected,
                               expected + (RING_IDX)(st->sring->req_prod - b->ring.req_cons));
        if (rc < 0)
            return NULL;
    }
    return NULL;
}

static void print_stats(const char *who, const struct sring_stats *s, const struct evtchn *sleep)
{
    printf("  %s: posted %" PRIu64 ", consumed %" PRIu64 ", pushes %" PRIu64
           ", notifications sent %" PRIu64 " / suppressed %" PRIu64 " (%.1f%% suppressed),"
           " final checks %" PRIu64 " (races %" PRIu64 "), ring full %" PRIu64 ", sleeps %" PRIu64
           "\n",
           who, s->posted, s->consumed, s->pushes, s->notify_sent, s->notify_suppressed,
           s->pushes ? 100.0 * (double)s->notify_suppressed / (double)s->pushes : 0.0,
           s->final_checks, s->final_races, s->full, sleep->sleeps);
}

START_TEST(test_two_threads)
{
    static struct stress st;
    const char *env = getenv("RINGS_STRESS_REQUESTS");
    pthread_t front, back;
    struct timespec t0, t1;

    memset(&st, 0, sizeof(st));
    st.requests = env ? strtoull(env, NULL, 0) : DEFAULT_REQUESTS;
    st.sring = aligned_alloc(RING_BYTES, RING_BYTES);
    ck_assert_ptr_nonnull(st.sring);
    /* Start just below 2^32 so the run also crosses the index wrap-around. */
    blkif_sring_init(st.sring, UINT32_MAX - 1000);
    ck_assert_int_eq(blkif_front_attach(&st.front, st.sring, RING_BYTES), 0);
    ck_assert_int_eq(blkif_back_attach(&st.back, st.sring, RING_BYTES), 0);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(pthread_create(&back, NULL, backend_main, &st), 0);
    ck_assert_int_eq(pthread_create(&front, NULL, frontend_main, &st), 0);
    pthread_join(front, NULL);
    pthread_join(back, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    printf("rings stress: %" PRIu64 " requests in %.2f s (%.0f ns each), ring of %u slots\n",
           st.requests, secs, secs * 1e9 / (double)st.requests, RING_SIZE(&st.front.ring));
    print_stats("frontend", &st.front.stats, &st.to_front);
    print_stats("backend ", &st.back.stats, &st.to_back);
    fflush(stdout);

    ck_assert_msg(st.front_error[0] == 0, "frontend: %s", st.front_error);
    ck_assert_msg(st.back_error[0] == 0, "backend: %s", st.back_error);
    /* Every request arrived once, in order (checked per message), and was answered. */
    ck_assert_uint_eq(st.front.stats.posted, st.requests);
    ck_assert_uint_eq(st.back.stats.consumed, st.requests);
    ck_assert_uint_eq(st.back.stats.posted, st.requests);
    ck_assert_uint_eq(st.front.stats.consumed, st.requests);
    ck_assert_uint_eq(st.sring->req_prod, (RING_IDX)(UINT32_MAX - 1000 + st.requests));
    ck_assert_uint_eq(st.sring->rsp_prod, (RING_IDX)(UINT32_MAX - 1000 + st.requests));
    ck_assert_uint_eq(st.front.stats.protocol_errors + st.back.stats.protocol_errors, 0);
    /* The event-index rule: a side notifies only after the peer re-armed its event (final
     * check) or at the start, and suppressed notifications while the peer was busy. */
    ck_assert_uint_le(st.front.stats.notify_sent, st.back.stats.final_checks + 1);
    ck_assert_uint_le(st.back.stats.notify_sent, st.front.stats.final_checks + 1);
    ck_assert_uint_gt(st.front.stats.notify_suppressed, 0);
    ck_assert_uint_gt(st.back.stats.notify_suppressed, 0);
    ck_assert_uint_eq(st.front.stats.pushes,
                      st.front.stats.notify_sent + st.front.stats.notify_suppressed);
    free(st.sring);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rings_stress");
    TCase *tc = tcase_create("two_threads");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_two_threads);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

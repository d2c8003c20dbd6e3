/*
 * sring: a small typed API over Xen's shared I/O rings (xen/io/ring.h), for frontends and
 * backends that should never touch a ring index themselves.
 *
 * Xen's header defines the layout (DEFINE_RING_TYPES: a shared page with req_prod, req_event,
 * rsp_prod, rsp_event, 64 bytes of header, then a power-of-two array of request/response slots)
 * and the index arithmetic. This file adds, per ring type, through SRING_DEFINE_API():
 *
 *   - the two ends, struct NAME_frontend and struct NAME_backend: Xen's private ring state
 *     (NAME_front_ring_t / NAME_back_ring_t) plus what this API tracks (last producer index
 *     seen, a sticky protocol error, counters);
 *   - posting a message with a full-ring check, publishing posted messages with the event-index
 *     notification rule (RING_PUSH_*_AND_CHECK_NOTIFY), consuming messages by copying them out
 *     of the shared page first (RING_COPY_*) after checking the peer's producer index
 *     (RING_*_PROD_OVERFLOW, and never moving backwards), and the final check before sleeping
 *     (RING_FINAL_CHECK_FOR_*);
 *   - counters (struct sring_stats): messages, pushes, notifications sent and suppressed,
 *     final checks and the races they caught.
 *
 * <sring/blkif.h> and <sring/netif.h> instantiate it for the types Xen's io/blkif.h and
 * io/netif.h define. Everything is static inline and calls no library function besides
 * memset/memcpy (which the compiler may emit for struct copies), so it builds freestanding in the
 * hypervisor and the guest, and on the host for the unit tests. Define __XEN_INTERFACE_VERSION__
 * (the build's XEN_IFACE) before including.
 *
 * Protocol (xen/io/ring.h): the frontend posts requests and consumes responses; the backend
 * consumes requests and posts responses, one response slot per request slot. A frontend never
 * has more than RING_SIZE requests whose responses it has not consumed, so both directions share
 * one array.
 *
 * Return values: functions that can fail return 0 (or 1 for "got a message") on success and a
 * negative Xen error code (xen/errno.h, the hypervisor's <mica/errno.h> values) on failure:
 *   -XEN_ENOSPC     the ring is full (frontend post): consume responses first;
 *   -XEN_EINVAL     a response with no consumed request to answer, or a ring size that holds
 *                   no slot: the caller's bug;
 *   -XEN_EBUSY      attaching a frontend to a ring with requests in flight;
 *   -XEN_EOVERFLOW  the peer's producer index claims more messages than the ring can hold
 *                   (backend: RING_REQUEST_PROD_OVERFLOW; frontend: more responses than requests
 *                   pushed);
 *   -XEN_ERANGE     the peer's producer index moved backwards.
 * The last two are protocol errors: the end records the first one in ->error, counts it, and
 * from then on every call returns it and nothing more is published. The caller reports the
 * peer and disconnects; it never loops on a broken ring.
 */
#ifndef SRING_SRING_H
#define SRING_SRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sring/barrier.h>
#include <xen/errno.h>
#include <xen/io/ring.h>

/*
 * SHARED_RING_INIT calls memset. Every environment provides it with this prototype (C11
 * 7.24.6.1): the hypervisor's lib/string.c, newlib in the guest, the host's libc.
 */
void *memset(void *dst, int c, size_t n);

/*
 * Counters of one end of one ring, for research (how many notifications did event-index
 * suppression save?). Each end counts only what it does itself; all are plain uint64_t
 * counts since the end was attached.
 */
struct sring_stats {
    uint64_t posted;            /* messages this end put on the ring (requests or responses) */
    uint64_t consumed;          /* messages this end copied off the ring */
    uint64_t full;              /* posts refused because the ring was full */
    uint64_t pushes;            /* pushes that published at least one new message */
    uint64_t notify_sent;       /* ... after which the peer had to be notified */
    uint64_t notify_suppressed; /* ... after which it did not (its event index was not crossed) */
    uint64_t final_checks;      /* final checks (the end was about to sleep) */
    uint64_t final_races;       /* final checks that found work only while re-arming the event */
    uint64_t protocol_errors;   /* peer misbehaviour detected (at most 1: errors are sticky) */
};

/* Count a push that published new messages; notify is the RING_PUSH_*_AND_CHECK_NOTIFY result. */
static inline void sring_count_push(struct sring_stats *stats, bool notify)
{
    stats->pushes++;
    if (notify)
        stats->notify_sent++;
    else
        stats->notify_suppressed++;
}

/*
 * Check the size of a shared ring area before the ring.h macros compute RING_SIZE from it:
 * bytes must hold the 64-byte header and at least one slot of entry_size bytes, and no more
 * than 2^32 slots (RING_SIZE is a 32-bit count). Returns 0 or -XEN_EINVAL.
 */
static inline int sring_check_bytes(size_t bytes, size_t header, size_t entry_size)
{
    if (bytes < header + entry_size || (bytes - header) / entry_size > UINT32_MAX)
        return -XEN_EINVAL;
    return 0;
}

/*
 * Has a producer index moved backwards? Both the new value prod and the last value seen lie in
 * the window of live indices that starts at base (modulo 2^32, as every ring index does), so
 * compare their distances from base. Producer indices only ever grow (xen/io/ring.h).
 */
static inline bool sring_prod_went_back(RING_IDX prod, RING_IDX seen, RING_IDX base)
{
    return (RING_IDX)(prod - base) < (RING_IDX)(seen - base);
}

/* Record a protocol error on an end (first one wins) and return it. */
static inline int sring_fail(int *error, struct sring_stats *stats, int rc)
{
    if (*error == 0) {
        *error = rc;
        stats->protocol_errors++;
    }
    return *error;
}

/*
 * SRING_DEFINE_API(name, req_t, rsp_t): the typed API for a ring Xen's headers declared with
 * DEFINE_RING_TYPES(name, req_t, rsp_t) (same three arguments). It defines:
 *
 * struct name_frontend, struct name_backend: one end each. Allocate them privately (never in
 *   shared memory); attach before use. The fields are readable (stats, error); only these
 *   functions change them.
 *
 * void name_sring_init(name_sring_t *s, RING_IDX start)
 *   Initialise a shared ring (SHARED_RING_INIT): empty, indices at start, event indices at
 *   start + 1 (notify on the first message). start is 0 for rings a Xen peer will use (Xen's
 *   BACK_RING_INIT assumes it); tests pass values near 2^32 to exercise wrap-around.
 *
 * int name_front_init(struct name_frontend *f, name_sring_t *s, size_t bytes)
 *   Initialise the shared ring of bytes bytes at s (name_sring_init at 0) and attach the
 *   frontend to it (Xen's XEN_FRONT_RING_INIT). 0, or -XEN_EINVAL if bytes holds no slot.
 *
 * int name_front_attach(struct name_frontend *f, name_sring_t *s, size_t bytes)
 *   Attach the frontend to a ring someone else initialised (mica's domain builder), at its
 *   current indices (FRONT_RING_ATTACH). 0, -XEN_EINVAL (bytes holds no slot) or -XEN_EBUSY
 *   (requests in flight: req_prod != rsp_prod).
 *
 * int name_back_attach(struct name_backend *b, name_sring_t *s, size_t bytes)
 *   Attach the backend at the ring's current response index (BACK_RING_ATTACH): requests the
 *   frontend posted before the backend connected are then consumed normally. 0 or -XEN_EINVAL.
 *
 * unsigned int name_front_free(const struct name_frontend *f)
 *   Request slots free now (RING_FREE_REQUESTS): how many posts will succeed.
 *
 * int name_front_post(struct name_frontend *f, const req_t *req)
 *   Copy *req into the next free slot, not yet visible to the backend. 0, -XEN_ENOSPC (full:
 *   RING_SIZE requests await responses), or the sticky protocol error.
 *
 * bool name_front_push(struct name_frontend *f)
 *   Publish the posted requests (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY). Returns true if the
 *   backend must be notified (send the event), false if it is still awake or nothing was new.
 *
 * int name_front_get_response(struct name_frontend *f, rsp_t *rsp)
 *   Copy the next response out of the ring into *rsp (RING_COPY_RESPONSE). 1 (got one), 0 (none
 *   yet), -XEN_EOVERFLOW (the backend claims more responses than requests pushed), -XEN_ERANGE
 *   (its rsp_prod went backwards).
 *
 * int name_front_final_check(struct name_frontend *f)
 *   Before sleeping: re-arm rsp_event for the next response and look once more
 *   (RING_FINAL_CHECK_FOR_RESPONSES). 1 (responses arrived: do not sleep), 0 (sleep until
 *   notified), or a protocol error.
 *
 * int name_back_get_request(struct name_backend *b, req_t *req)
 *   Copy the next request out of the ring into *req (RING_COPY_REQUEST) so that validating and
 *   using it reads private memory the frontend cannot change. 1, 0 (none), -XEN_EOVERFLOW
 *   (req_prod claims more than RING_SIZE unanswered requests: RING_REQUEST_PROD_OVERFLOW),
 *   -XEN_ERANGE (req_prod went backwards).
 *
 * int name_back_post_response(struct name_backend *b, const rsp_t *rsp)
 *   Copy *rsp into the next response slot, not yet visible. 0, -XEN_EINVAL (every consumed
 *   request already has its response), or the sticky protocol error.
 *
 * bool name_back_push(struct name_backend *b)
 *   Publish the posted responses (RING_PUSH_RESPONSES_AND_CHECK_NOTIFY); true if the frontend
 *   must be notified.
 *
 * int name_back_final_check(struct name_backend *b)
 *   Before sleeping: re-arm req_event and look once more (RING_FINAL_CHECK_FOR_REQUESTS).
 *   1 (requests arrived), 0 (sleep until notified), or a protocol error.
 *
 * A frontend or backend is single-threaded: one thread (or one CPU with events masked) per end.
 */
#define SRING_DEFINE_API(name, req_t, rsp_t)                                                       \
    struct name##_frontend {                                                                       \
        struct name##_front_ring ring; /* Xen's private state: req_prod_pvt, rsp_cons, size */     \
        RING_IDX req_pushed;           /* req_prod as we last published it */                      \
        RING_IDX rsp_prod_seen;        /* last valid rsp_prod read from the backend */             \
        int error;                     /* first protocol error, or 0 */                            \
        struct sring_stats stats;                                                                  \
    };                                                                                             \
                                                                                                   \
    struct name##_backend {                                                                        \
        struct name##_back_ring ring; /* Xen's private state: rsp_prod_pvt, req_cons, size */      \
        RING_IDX rsp_pushed;          /* rsp_prod as we last published it */                       \
        RING_IDX req_prod_seen;       /* last valid req_prod read from the frontend */             \
        int error;                                                                                 \
        struct sring_stats stats;                                                                  \
    };                                                                                             \
                                                                                                   \
    static inline void name##_sring_init(struct name##_sring *s, RING_IDX start)                   \
    {                                                                                              \
        SHARED_RING_INIT(s);                                                                       \
        /* SHARED_RING_INIT's rule, moved to start: empty, notify on the first message. */         \
        s->req_prod = s->rsp_prod = start;                                                         \
        s->req_event = s->rsp_event = start + 1;                                                   \
    }                                                                                              \
                                                                                                   \
    static inline int name##_check_bytes(size_t bytes)                                             \
    {                                                                                              \
        return sring_check_bytes(bytes, offsetof(struct name##_sring, ring),                       \
                                 sizeof(union name##_sring_entry));                                \
    }                                                                                              \
                                                                                                   \
    static inline int name##_front_attach(struct name##_frontend *f, struct name##_sring *s,       \
                                          size_t bytes)                                            \
    {                                                                                              \
        RING_IDX start = SRING_READ_ONCE(s->req_prod);                                             \
        int rc = name##_check_bytes(bytes);                                                        \
                                                                                                   \
        if (rc < 0)                                                                                \
            return rc;                                                                             \
        if (SRING_READ_ONCE(s->rsp_prod) != start)                                                 \
            return -XEN_EBUSY;                                                                     \
        *f = (struct name##_frontend){0};                                                          \
        FRONT_RING_ATTACH(&f->ring, s, start, bytes);                                              \
        f->req_pushed = f->rsp_prod_seen = start;                                                  \
        return 0;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static inline int name##_front_init(struct name##_frontend *f, struct name##_sring *s,         \
                                        size_t bytes)                                              \
    {                                                                                              \
        int rc = name##_check_bytes(bytes);                                                        \
                                                                                                   \
        if (rc < 0)                                                                                \
            return rc;                                                                             \
        name##_sring_init(s, 0);                                                                   \
        return name##_front_attach(f, s, bytes);                                                   \
    }                                                                                              \
                                                                                                   \
    static inline int name##_back_attach(struct name##_backend *b, struct name##_sring *s,         \
                                         size_t bytes)                                             \
    {                                                                                              \
        /* Any start is as good as another: every later check is relative to it. */                \
        RING_IDX start = SRING_READ_ONCE(s->rsp_prod);                                             \
        int rc = name##_check_bytes(bytes);                                                        \
                                                                                                   \
        if (rc < 0)                                                                                \
            return rc;                                                                             \
        *b = (struct name##_backend){0};                                                           \
        BACK_RING_ATTACH(&b->ring, s, start, bytes);                                               \
        b->rsp_pushed = b->req_prod_seen = start;                                                  \
        return 0;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static inline unsigned int name##_front_free(const struct name##_frontend *f)                  \
    {                                                                                              \
        return RING_FREE_REQUESTS(&f->ring);                                                       \
    }                                                                                              \
                                                                                                   \
    static inline int name##_front_post(struct name##_frontend *f, const req_t *req)               \
    {                                                                                              \
        if (f->error)                                                                              \
            return f->error;                                                                       \
        if (RING_FULL(&f->ring)) {                                                                 \
            f->stats.full++;                                                                       \
            return -XEN_ENOSPC;                                                                    \
        }                                                                                          \
        *RING_GET_REQUEST(&f->ring, f->ring.req_prod_pvt) = *req;                                  \
        f->ring.req_prod_pvt++;                                                                    \
        f->stats.posted++;                                                                         \
        return 0;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static inline bool name##_front_push(struct name##_frontend *f)                                \
    {                                                                                              \
        bool notify;                                                                               \
                                                                                                   \
        if (f->error || f->ring.req_prod_pvt == f->req_pushed)                                     \
            return false;                                                                          \
        /* The backend may have scribbled on req_prod: that only changes notify, never us. */      \
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f->ring, notify);                                     \
        f->req_pushed = f->ring.req_prod_pvt;                                                      \
        sring_count_push(&f->stats, notify);                                                       \
        return notify;                                                                             \
    }                                                                                              \
                                                                                                   \
    /* Read and check rsp_prod (once); on success rsp_prod_seen is the new value. */               \
    static inline int name##_front_fetch(struct name##_frontend *f)                                \
    {                                                                                              \
        RING_IDX rp = SRING_READ_ONCE(f->ring.sring->rsp_prod);                                    \
                                                                                                   \
        xen_rmb(); /* read the responses only after the index that publishes them */               \
        /* A response needs a request we pushed: a tighter bound than the ring's size. */          \
        if (RING_RESPONSE_PROD_OVERFLOW(&f->ring, rp) ||                                           \
            (RING_IDX)(rp - f->ring.rsp_cons) > (RING_IDX)(f->req_pushed - f->ring.rsp_cons))      \
            return sring_fail(&f->error, &f->stats, -XEN_EOVERFLOW);                               \
        if (sring_prod_went_back(rp, f->rsp_prod_seen, f->ring.rsp_cons))                          \
            return sring_fail(&f->error, &f->stats, -XEN_ERANGE);                                  \
        f->rsp_prod_seen = rp;                                                                     \
        return 0;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static inline int name##_front_get_response(struct name##_frontend *f, rsp_t *rsp)             \
    {                                                                                              \
        if (f->error)                                                                              \
            return f->error;                                                                       \
        if (f->ring.rsp_cons == f->rsp_prod_seen) {                                                \
            int rc = name##_front_fetch(f);                                                        \
                                                                                                   \
            if (rc < 0)                                                                            \
                return rc;                                                                         \
            if (f->ring.rsp_cons == f->rsp_prod_seen)                                              \
                return 0;                                                                          \
        }                                                                                          \
        RING_COPY_RESPONSE(&f->ring, f->ring.rsp_cons, rsp);                                       \
        f->ring.rsp_cons++;                                                                        \
        f->stats.consumed++;                                                                       \
        return 1;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static inline int name##_front_final_check(struct name##_frontend *f)                          \
    {                                                                                              \
        int work;                                                                                  \
                                                                                                   \
        if (f->error)                                                                              \
            return f->error;                                                                       \
        f->stats.final_checks++;                                                                   \
        work = name##_front_fetch(f);                                                              \
        if (work < 0)                                                                              \
            return work;                                                                           \
        if (f->ring.rsp_cons != f->rsp_prod_seen)                                                  \
            return 1;                                                                              \
        RING_FINAL_CHECK_FOR_RESPONSES(&f->ring, work);                                            \
        if (!work)                                                                                 \
            return 0;                                                                              \
        /* Responses came in while we re-armed rsp_event: validate them like any others. */        \
        work = name##_front_fetch(f);                                                              \
        if (work < 0)                                                                              \
            return work;                                                                           \
        if (f->ring.rsp_cons == f->rsp_prod_seen)                                                  \
            return 0;                                                                              \
        f->stats.final_races++;                                                                    \
        return 1;                                                                                  \
    }                                                                                              \
                                                                                                   \
    /* Read and check req_prod (once); on success req_prod_seen is the new value. */               \
    static inline int name##_back_fetch(struct name##_backend *b)                                  \
    {                                                                                              \
        RING_IDX rp = SRING_READ_ONCE(b->ring.sring->req_prod);                                    \
                                                                                                   \
        xen_rmb(); /* read the requests only after the index that publishes them */                \
        if (RING_REQUEST_PROD_OVERFLOW(&b->ring, rp))                                              \
            return sring_fail(&b->error, &b->stats, -XEN_EOVERFLOW);                               \
        if (sring_prod_went_back(rp, b->req_prod_seen, b->ring.rsp_prod_pvt))                      \
            return sring_fail(&b->error, &b->stats, -XEN_ERANGE);                                  \
        b->req_prod_seen = rp;                                                                     \
        return 0;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static inline int name##_back_get_request(struct name##_backend *b, req_t *req)                \
    {                                                                                              \
        if (b->error)                                                                              \
            return b->error;                                                                       \
        if (b->ring.req_cons == b->req_prod_seen) {                                                \
            int rc = name##_back_fetch(b);                                                         \
                                                                                                   \
            if (rc < 0)                                                                            \
                return rc;                                                                         \
            if (b->ring.req_cons == b->req_prod_seen)                                              \
                return 0;                                                                          \
        }                                                                                          \
        /* Xen's loop bound; the req_prod check above already implies it. */                       \
        if (RING_REQUEST_CONS_OVERFLOW(&b->ring, b->ring.req_cons))                                \
            return 0;                                                                              \
        RING_COPY_REQUEST(&b->ring, b->ring.req_cons, req);                                        \
        b->ring.req_cons++;                                                                        \
        b->stats.consumed++;                                                                       \
        return 1;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static inline int name##_back_post_response(struct name##_backend *b, const rsp_t *rsp)        \
    {                                                                                              \
        if (b->error)                                                                              \
            return b->error;                                                                       \
        if (b->ring.rsp_prod_pvt == b->ring.req_cons)                                              \
            return -XEN_EINVAL;                                                                    \
        *RING_GET_RESPONSE(&b->ring, b->ring.rsp_prod_pvt) = *rsp;                                 \
        b->ring.rsp_prod_pvt++;                                                                    \
        b->stats.posted++;                                                                         \
        return 0;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static inline bool name##_back_push(struct name##_backend *b)                                  \
    {                                                                                              \
        bool notify;                                                                               \
                                                                                                   \
        if (b->error || b->ring.rsp_prod_pvt == b->rsp_pushed)                                     \
            return false;                                                                          \
        /* The frontend may have scribbled on rsp_prod: that only changes notify, never us. */     \
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&b->ring, notify);                                    \
        b->rsp_pushed = b->ring.rsp_prod_pvt;                                                      \
        sring_count_push(&b->stats, notify);                                                       \
        return notify;                                                                             \
    }                                                                                              \
                                                                                                   \
    static inline int name##_back_final_check(struct name##_backend *b)                            \
    {                                                                                              \
        int work;                                                                                  \
                                                                                                   \
        if (b->error)                                                                              \
            return b->error;                                                                       \
        b->stats.final_checks++;                                                                   \
        work = name##_back_fetch(b);                                                               \
        if (work < 0)                                                                              \
            return work;                                                                           \
        if (b->ring.req_cons != b->req_prod_seen)                                                  \
            return 1;                                                                              \
        RING_FINAL_CHECK_FOR_REQUESTS(&b->ring, work);                                             \
        if (!work)                                                                                 \
            return 0;                                                                              \
        /* Requests came in while we re-armed req_event (or bogus ones): check them. */            \
        work = name##_back_fetch(b);                                                               \
        if (work < 0)                                                                              \
            return work;                                                                           \
        if (b->ring.req_cons == b->req_prod_seen)                                                  \
            return 0;                                                                              \
        b->stats.final_races++;                                                                    \
        return 1;                                                                                  \
    }                                                                                              \
                                                                                                   \
    struct name##_sring_api_unused /* so that the invocation ends with a semicolon */

#endif /* SRING_SRING_H */

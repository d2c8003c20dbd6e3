/*
 * blkfront.c — the block frontend (blkfront.h; issue 10, "blkfront") and its self-tests.
 *
 * A transfer is split (blkif_split_next) into requests; each request's pages are granted to
 * the backend (read-only for a write: the backend only reads them), posted, and the ring is
 * pushed once per batch. Requests are bounded by the ring (32 slots, ids 0..31) and by free
 * grant references; the caller's thread takes responses as they come (the event handler only
 * wakes it) and ends each request's grants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <pvguest/blkfront.h>
#include <pvguest/blkif_control.h>
#include <pvguest/boot.h>
#include <pvguest/cmdline.h>
#include <pvguest/devtree.h>
#include <pvguest/events.h>
#include <pvguest/gnttab.h>
#include <pvguest/hypercall.h>
#include <pvguest/mm.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>
#include <xen/grant_table.h>
#include <xen/io/xenbus.h>

#define RING_SLOTS     32 /* __CONST_RING_SIZE(blkif, 4096) */
#define GT_ENTRIES     2048 /* blkfront's part of the shared table (gnttab.h) */
#define FIRST_REF      16  /* 8.. are the builder's (control page, rings) */
#define FRONT_INDIRECT 32u /* segments per indirect request we send */
#define MAX_REQ_REFS   (FRONT_INDIRECT + 1)
#define IO_TIMEOUT_NS  10000000000ULL
#define PAGE_BYTES     4096u

/** The requests of one blkfront_rw call. */
struct io {
    unsigned int outstanding;
    int status; /* first error */
};

/** One ring slot's request: its grants and the call it belongs to. */
struct shadow {
    bool busy;
    struct io *io;
    unsigned int nr_refs;
    grant_ref_t refs[MAX_REQ_REFS];
    void *indirect_page; /* a page of our own for its segments */
    unsigned long indirect_mfn;
    int status; /* raw requests: the response's status */
    bool answered;
};

struct blkfront {
    struct blkif_frontend f;
    volatile struct blkif_control *control;
    evtchn_port_t port;
    struct wait_queue wq;
    bool kick;
    struct shadow shadow[RING_SLOTS];
    unsigned int in_flight;
    grant_ref_t free_refs[GT_ENTRIES];
    unsigned int nr_free_refs;
    int ring_error;
    unsigned int seg_cap; /* blkfront_set_max_segs(); 0: no cap */
    struct blkfront_info info;
};

/* The grant table is shared by the frontends (core/gnttab.c). */
static volatile grant_entry_v1_t *gt;

static int gnttab_init(void)
{
    gt = gnttab_entries();
    return gt ? 0 : -1;
}

/* The MFN of the page mapped at @va. */
static unsigned long va_to_mfn(const void *va)
{
    return (unsigned long)((mm_lookup((unsigned long)va) & 0x000ffffffffff000ULL) >> 12);
}

long blkfront_grant(struct blkfront *bf, unsigned long mfn, bool ro)
{
    grant_ref_t ref;

    if (!bf->nr_free_refs)
        return -XEN_ENOSPC;
    ref = bf->free_refs[--bf->nr_free_refs];
    gt[ref].domid = bf->info.backend;
    gt[ref].frame = (uint32_t)mfn;
    __atomic_store_n(&gt[ref].flags, (uint16_t)(GTF_permit_access | (ro ? GTF_readonly : 0)),
                     __ATOMIC_SEQ_CST);
    return ref;
}

void blkfront_ungrant(struct blkfront *bf, grant_ref_t ref)
{
    uint16_t flags = __atomic_load_n(&gt[ref].flags, __ATOMIC_SEQ_CST);

    /* grant_table.h: an entry may be reused only once the peer no longer maps it
       (GTF_reading/GTF_writing clear); one still mapped is leaked, never reused. */
    do {
        if (flags & (GTF_reading | GTF_writing))
            return;
    } while (!__atomic_compare_exchange_n(&gt[ref].flags, &flags, 0, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
    bf->free_refs[bf->nr_free_refs++] = ref;
}

static void event_handler(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    struct blkfront *bf = data;

    (void)port;
    (void)regs;
    bf->info.events++;
    bf->kick = true;
    wake_up(&bf->wq);
}

void blkfront_notify(struct blkfront *bf)
{
    bf->info.notifies++;
    evtchn_send(bf->port);
}

struct blkif_frontend *blkfront_ring(struct blkfront *bf)
{
    return &bf->f;
}

/* Take every response on the ring. Returns 0 or the ring's protocol error. */
static int take_responses(struct blkfront *bf)
{
    bool taken = false;

    for (;;) {
        struct blkif_response rsp = {0};
        int rc;

        while ((rc = blkif_front_get_response(&bf->f, &rsp)) > 0) {
            struct shadow *sh;

            if (rsp.id >= RING_SLOTS || !bf->shadow[rsp.id].busy) {
                printf("pvguest: blkfront: response for unknown id %llu\n",
                       (unsigned long long)rsp.id);
                continue;
            }
            sh = &bf->shadow[rsp.id];
            for (unsigned int i = 0; i < sh->nr_refs; i++)
                blkfront_ungrant(bf, sh->refs[i]);
            sh->nr_refs = 0;
            sh->status = rsp.status;
            sh->answered = true;
            if (rsp.status != BLKIF_RSP_OKAY)
                bf->info.errors++;
            if (sh->io) {
                if (rsp.status != BLKIF_RSP_OKAY && !sh->io->status)
                    sh->io->status =
                        rsp.status == BLKIF_RSP_EOPNOTSUPP ? -XEN_EOPNOTSUPP : -XEN_EIO;
                sh->io->outstanding--;
                sh->busy = false;
            }
            bf->in_flight--;
            taken = true;
        }
        /* Wake the other callers waiting in wait_until(): some of these may be theirs. */
        if (taken) {
            wake_up(&bf->wq);
            taken = false;
        }
        if (rc == 0)
            rc = blkif_front_final_check(&bf->f);
        if (rc < 0) {
            bf->ring_error = rc;
            return rc;
        }
        if (rc == 0)
            return 0;
    }
}

/* Wait for responses until @done() holds; 0, -XEN_ETIMEDOUT or a ring error. */
static int wait_until(struct blkfront *bf, bool (*done)(struct blkfront *, void *), void *arg)
{
    uint64_t deadline = system_time_ns() + IO_TIMEOUT_NS;

    for (;;) {
        int rc = take_responses(bf);

        if (rc < 0)
            return rc;
        if (done(bf, arg))
            return 0;
        if (system_time_ns() >= deadline)
            return -XEN_ETIMEDOUT;
        /* Another thread may have taken our responses (and cleared kick): check done too. */
        wait_event_deadline(bf->wq, bf->kick || done(bf, arg), deadline);
        bf->kick = false;
    }
}

static bool io_done(struct blkfront *bf, void *arg)
{
    (void)bf;
    return ((struct io *)arg)->outstanding == 0;
}

struct room {
    unsigned int refs;
};

static bool has_room(struct blkfront *bf, void *arg)
{
    const struct room *r = arg;

    return blkif_front_free(&bf->f) > 0 && bf->in_flight < RING_SLOTS &&
           bf->nr_free_refs >= r->refs;
}

static struct shadow *shadow_get(struct blkfront *bf, uint64_t *id)
{
    for (unsigned int i = 0; i < RING_SLOTS; i++)
        if (!bf->shadow[i].busy) {
            bf->shadow[i].busy = true;
            bf->shadow[i].nr_refs = 0;
            bf->shadow[i].answered = false;
            bf->shadow[i].io = NULL;
            *id = i;
            return &bf->shadow[i];
        }
    return NULL;
}

static void post(struct blkfront *bf, struct blkif_request *req)
{
    blkif_front_post(&bf->f, req);
    bf->in_flight++;
    bf->info.requests++;
    if (bf->in_flight > bf->info.max_in_flight)
        bf->info.max_in_flight = bf->in_flight;
}

static void push(struct blkfront *bf)
{
    if (blkif_front_push(&bf->f))
        blkfront_notify(bf);
}

unsigned int blkfront_set_max_segs(struct blkfront *bf, unsigned int segs)
{
    unsigned int old = bf->seg_cap;

    bf->seg_cap = segs;
    return old;
}

int blkfront_rw(struct blkfront *bf, bool write, uint64_t sector, void *buf, uint64_t nr_sectors,
                bool indirect)
{
    struct blkif_split_req r; /* on the stack: several threads may be in here at once */
    struct blkif_split sp;
    struct io io = {0};
    unsigned int max_segs = BLKIF_MAX_SEGMENTS_PER_REQUEST;
    uint8_t *page0 = (uint8_t *)((uintptr_t)buf & ~(uintptr_t)(PAGE_BYTES - 1));
    int rc;

    if (bf->ring_error)
        return bf->ring_error;
    if (indirect && bf->info.max_indirect_segs)
        max_segs = bf->info.max_indirect_segs < FRONT_INDIRECT ? bf->info.max_indirect_segs
                                                               : FRONT_INDIRECT;
    if (bf->seg_cap && max_segs > bf->seg_cap)
        max_segs = bf->seg_cap;
    if (blkif_split_init(&sp, sector, nr_sectors, (unsigned int)((uintptr_t)buf % PAGE_BYTES),
                         max_segs))
        return -XEN_EINVAL;
    while (blkif_split_next(&sp, &r)) {
        bool ind =
            r.nr_segs > BLKIF_MAX_SEGMENTS_PER_REQUEST || (indirect && bf->info.max_indirect_segs);
        struct room room = {.refs = r.nr_segs + (ind ? 1u : 0u)};
        struct blkif_request req;
        struct blkif_request_indirect ir;
        struct blkif_request_segment *segs;
        struct shadow *sh;
        uint64_t id;

        if (!has_room(bf, &room)) {
            push(bf);
            rc = wait_until(bf, has_room, &room);
            if (rc)
                return rc;
        }
        sh = shadow_get(bf, &id);
        sh->io = &io;
        memset(&req, 0, sizeof(req));
        if (ind) {
            ir = (struct blkif_request_indirect){.operation = BLKIF_OP_INDIRECT,
                                                 .indirect_op =
                                                     write ? BLKIF_OP_WRITE : BLKIF_OP_READ,
                                                 .nr_segments = (uint16_t)r.nr_segs,
                                                 .id = id,
                                                 .sector_number = r.sector};
            segs = sh->indirect_page;
        } else {
            req.operation = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
            req.nr_segments = (uint8_t)r.nr_segs;
            req.id = id;
            req.sector_number = r.sector;
            segs = req.seg;
        }
        for (unsigned int i = 0; i < r.nr_segs; i++) {
            long ref =
                blkfront_grant(bf, va_to_mfn(page0 + (r.first_page + i) * PAGE_BYTES), write);
            sh->refs[sh->nr_refs++] = (grant_ref_t)ref;
            segs[i] = (struct blkif_request_segment){.gref = (grant_ref_t)ref,
                                                     .first_sect = r.first_sect[i],
                                                     .last_sect = r.last_sect[i]};
        }
        if (ind) {
            long ref = blkfront_grant(bf, sh->indirect_mfn, true);
            sh->refs[sh->nr_refs++] = (grant_ref_t)ref;
            ir.indirect_grefs[0] = (grant_ref_t)ref;
            /* A copy, not a cast: the two request types may not alias (C11 6.5p7). */
            memcpy(&req, &ir, sizeof(ir));
        }
        io.outstanding++;
        post(bf, &req);
        /* Push every few requests so the backend starts while we prepare the rest. */
        if (io.outstanding % 4 == 0)
            push(bf);
    }
    push(bf);
    rc = wait_until(bf, io_done, &io);
    return rc ? rc : io.status;
}

int blkfront_flush(struct blkfront *bf)
{
    struct io io = {.outstanding = 1};
    struct room room = {0};
    struct blkif_request req = {.operation = BLKIF_OP_FLUSH_DISKCACHE};
    struct shadow *sh;
    int rc;

    if (!bf->info.flush)
        return -XEN_EOPNOTSUPP;
    rc = wait_until(bf, has_room, &room);
    if (rc)
        return rc;
    sh = shadow_get(bf, &req.id);
    sh->io = &io;
    post(bf, &req);
    push(bf);
    rc = wait_until(bf, io_done, &io);
    return rc ? rc : io.status;
}

static bool answered(struct blkfront *bf, void *arg)
{
    (void)bf;
    return ((struct shadow *)arg)->answered;
}

int blkfront_raw(struct blkfront *bf, struct blkif_request *req)
{
    struct room room = {0};
    struct shadow *sh;
    int rc = wait_until(bf, has_room, &room);

    if (rc)
        return rc;
    sh = shadow_get(bf, &req->id);
    post(bf, req);
    push(bf);
    rc = wait_until(bf, answered, sh);
    sh->busy = false;
    return rc ? rc : sh->status;
}

/* A one- or two-cell property, or @dflt. */
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

static bool backend_connected(struct blkfront *bf, void *arg)
{
    (void)arg;
    return bf->control->backend_state == XenbusStateConnected;
}

struct blkfront *blkfront_open(unsigned int index, uint64_t timeout_ns)
{
    size_t len;
    const void *fdt = devtree_get(&len);
    int node, devices;
    unsigned int n = 0;
    struct blkfront *bf;

    if (!fdt || fdt_check_header(fdt) || (devices = fdt_path_offset(fdt, "/devices")) < 0) {
        printf("pvguest: blkfront: no device tree with /devices\n");
        return NULL;
    }
    fdt_for_each_subnode(node, fdt, devices)
    {
        if (fdt_node_check_compatible(fdt, node, "mica,vbd-frontend") == 0 && n++ == index)
            break;
    }
    if (node < 0) {
        printf("pvguest: blkfront: no vbd number %u\n", index);
        return NULL;
    }
    if (gnttab_init()) {
        printf("pvguest: blkfront: grant table setup failed\n");
        return NULL;
    }
    bf = calloc(1, sizeof(*bf));
    if (!bf)
        return NULL;
    unsigned long ring_pfn = prop_u64(fdt, node, "ring-pfn", ~0UL);
    unsigned long control_pfn = prop_u64(fdt, node, "control-pfn", ~0UL);
    void *ring = vmap(&ring_pfn, 1, MM_WRITE);
    uint8_t *control = vmap(&control_pfn, 1, MM_WRITE);
    if (!ring || !control) {
        printf("pvguest: blkfront: cannot map ring pfn %#lx / control pfn %#lx\n", ring_pfn,
               control_pfn);
        return NULL;
    }
    bf->control =
        (volatile struct blkif_control *)(control +
                                          prop_u64(fdt, node, "control-offset", 0) % PAGE_BYTES);
    bf->info.backend = (domid_t)prop_u64(fdt, node, "backend-id", 0);
    bf->port = (evtchn_port_t)prop_u64(fdt, node, "event-channel", 0);
    if (blkif_front_attach(&bf->f, ring, PAGE_BYTES)) {
        printf("pvguest: blkfront: ring attach failed\n");
        return NULL;
    }
    for (unsigned int r = GT_ENTRIES; r-- > FIRST_REF;)
        bf->free_refs[bf->nr_free_refs++] = r;
    for (unsigned int i = 0; i < RING_SLOTS; i++) {
        long pfn = page_alloc();
        if (pfn < 0)
            return NULL;
        bf->shadow[i].indirect_page = pfn_to_virt((unsigned long)pfn);
        bf->shadow[i].indirect_mfn = pfn_to_mfn((unsigned long)pfn);
    }
    wait_queue_init(&bf->wq);
    evtchn_bind_handler(bf->port, event_handler, bf);
    bf->control->frontend_state = XenbusStateInitialised;

    /* Wait for the backend (the control page changes come with an event, but poll too). */
    uint64_t deadline = system_time_ns() + timeout_ns;
    while (!backend_connected(bf, NULL) && system_time_ns() < deadline) {
        wait_event_deadline(bf->wq, bf->kick, system_time_ns() + 10000000ULL);
        bf->kick = false;
    }
    if (!backend_connected(bf, NULL)) {
        printf("pvguest: blkfront: backend d%u not connected (state %u)\n", bf->info.backend,
               bf->control->backend_state);
        return NULL;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    bf->info.sectors = bf->control->sectors;
    bf->info.read_only = (bf->control->info & VDISK_READONLY) != 0;
    bf->info.flush = (bf->control->features & BLKIF_CONTROL_FLUSH) != 0;
    bf->info.max_indirect_segs =
        (bf->control->features & BLKIF_CONTROL_INDIRECT) ? bf->control->max_indirect_segs : 0;
    bf->control->frontend_state = XenbusStateConnected;
    blkfront_notify(bf);
    printf("pvguest: blkfront: vbd %u: backend d%u, %llu sectors%s, flush %s, indirect %u, "
           "port %u\n",
           index, bf->info.backend, (unsigned long long)bf->info.sectors,
           bf->info.read_only ? " read-only" : "", bf->info.flush ? "yes" : "no",
           bf->info.max_indirect_segs, bf->port);
    return bf;
}

const struct blkfront_info *blkfront_info(const struct blkfront *bf)
{
    return &bf->info;
}

void blkfront_close(struct blkfront *bf)
{
    bf->control->frontend_state = XenbusStateClosed;
    blkfront_notify(bf);
}

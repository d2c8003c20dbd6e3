/*
 * blkback.c — the block backend (blkback.h; issue 10, "blkback"). One service thread per
 * vbd:
 *
 *   event from the frontend -> handler wakes the thread
 *   thread: answer finished requests (unmap the grants of all of them in one
 *             GNTTABOP_unmap_grant_ref, then post their responses)
 *           while a request slot is free, in batches of up to BATCH_REQS requests or
 *             BATCH_SEGS segments: copy each request out of the ring (sring API: copy before
 *             validate) and check it (blkif_check.c); copy the segments of every indirect
 *             request out of its indirect page (one GNTTABOP_copy for the batch) and check
 *             them; map the segments of the whole batch (one GNTTABOP_map_grant_ref:
 *             GNTMAP_device_map alone for a disk that only DMAs, blkdev.dma_only, so no
 *             PTE is written or cleared and nothing flushed; GNTMAP_host_map as well for
 *             copying drivers); hand each transfer to the disk, the batch under one plug
 *             (blkdev.h: the AHCI driver rings its doorbell once for the batch). A refused
 *             request or a grant that fails is answered BLKIF_RSP_ERROR at once
 *           push, notify if the ring API says so, final check, sleep
 *
 * Requests in flight per vbd are bounded by its slots (the ring size): a request stays on
 * the ring until a slot frees. A ring protocol error (a frontend claiming more requests than
 * the ring holds, or moving its index back) stops serving that vbd only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <pvguest/ahci.h>
#include <pvguest/blkback.h>
#include <pvguest/blkdev.h>
#include <pvguest/blkif_check.h>
#include <pvguest/blkif_control.h>
#include <pvguest/cmdline.h>
#include <pvguest/devtree.h>
#include <pvguest/events.h>
#include <pvguest/gnttab.h>
#include <pvguest/hypercall.h>
#include <pvguest/mm.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>
#include <sring/blkif.h>
#include <xen/grant_table.h>
#include <xen/io/xenbus.h>

#define SLOTS      32 /* requests in flight per vbd: the ring's size (one page: 32) */
#define MAX_SEGS   BLKIF_CHECK_MAX_INDIRECT_SEGS
#define MAX_VBDS   8
#define PAGE_BYTES 4096u
/*
 * Requests taken from the ring before their grants are mapped together, and the grant
 * operations one map or unmap batch collects before its hypercall (a request is never split:
 * the op arrays hold BATCH_SEGS + MAX_SEGS).
 */
#define BATCH_REQS 16
#define BATCH_SEGS 256

struct vbd;

/** One request slot: the checked request, its grant mappings and its transfer. */
struct slot {
    struct vbd *vbd;
    bool busy;
    int status;             /* BLKIF_RSP_* once done */
    struct slot *next_done; /* on vbd->done */
    unsigned int nr_mapped; /* grant handles held */
    unsigned long window;   /* MAX_SEGS pages of virtual space with L1 tables (host maps) */
    grant_handle_t handle[MAX_SEGS];
    uint64_t page_bus[MAX_SEGS];
    struct blkdev_seg segs[MAX_SEGS];
    struct blkif_checked c;
};

/** One vbd being served. */
struct vbd {
    char name[32];
    domid_t front;
    evtchn_port_t port;
    struct blkif_backend be;
    volatile struct blkif_control *control;
    struct blkdev *disk;
    bool dma_only;  /* the disk takes bus addresses only: GNTMAP_device_map alone */
    uint64_t start; /* first sector of the vbd on the disk */
    struct blkif_vbd_geom geom;
    struct slot *slots; /* SLOTS of them */
    unsigned int in_flight;
    struct slot *done; /* finished, to answer (LIFO; order does not matter) */
    bool kick;
    bool stopped;         /* ring protocol error: no more requests */
    bool closed;          /* the frontend closed */
    unsigned int reports; /* grant failures reported */
    struct wait_queue wq;
    struct blkback_stats st;
    /* Batches (the service thread's own). */
    struct gnttab_map_grant_ref *map_ops;     /* BATCH_SEGS + MAX_SEGS */
    struct gnttab_unmap_grant_ref *unmap_ops; /* BATCH_SEGS + MAX_SEGS */
    unsigned int nr_unmap;
    struct gnttab_copy copy_ops[BATCH_REQS];
    struct blkif_request_segment *ind[BATCH_REQS]; /* a page each: indirect segments land here */
    unsigned long ind_mfn[BATCH_REQS];
};

static struct vbd *vbds[MAX_VBDS];
static int nr_vbds;

/*
 * Virtual space for grant mappings: host_map needs an L1 entry in a table we own
 * (docs/abi.md, map_grant_ref check 9), so the window is first mapped to one scratch page
 * (which creates the tables); each grant mapping then replaces an entry, and an unmap
 * clears it.
 */
static unsigned long grant_window(unsigned long pages)
{
    static unsigned long scratch_pfn;
    unsigned long *pfns = malloc(pages * sizeof(*pfns));
    void *va;

    if (!pfns)
        return 0;
    if (!scratch_pfn) {
        long pfn = page_alloc();
        if (pfn < 0) {
            free(pfns);
            return 0;
        }
        scratch_pfn = (unsigned long)pfn;
    }
    for (unsigned long i = 0; i < pages; i++)
        pfns[i] = scratch_pfn;
    va = vmap(pfns, pages, MM_READ);
    free(pfns);
    return (unsigned long)va;
}

/* Say why a grant did not map (the first few per vbd: a hostile frontend could flood). */
static void report(struct vbd *v, const char *what, grant_ref_t ref, int16_t st)
{
    if (v->reports++ < 20)
        printf("pvguest: blkback: %s: d%u's %s grant %u does not map: GNTST %d\n", v->name,
               v->front, what, ref, st);
}

/* Map grant @ref of @dom at @va (host and device); GNTST_* status, handle and bus address. */
static int16_t map_one(domid_t dom, grant_ref_t ref, unsigned long va, bool readonly,
                       grant_handle_t *handle, uint64_t *bus)
{
    struct gnttab_map_grant_ref op = {.host_addr = va,
                                      .flags = GNTMAP_host_map | GNTMAP_device_map |
                                               (readonly ? GNTMAP_readonly : 0),
                                      .ref = ref,
                                      .dom = dom};

    if (gnttab_op(GNTTABOP_map_grant_ref, &op, 1))
        return GNTST_general_error;
    *handle = op.handle;
    *bus = op.dev_bus_addr;
    return op.status;
}

/* Run the collected unmaps of @v (one hypercall; a failed unmap leaves a pin, nothing else). */
static void unmap_flush(struct vbd *v)
{
    if (v->nr_unmap)
        gnttab_op(GNTTABOP_unmap_grant_ref, v->unmap_ops, v->nr_unmap);
    v->nr_unmap = 0;
}

/*
 * Queue the unmap of @s's first @n segment mappings (@handle/@bus per segment; -1 handles
 * are skipped). A device-only mapping is unmapped by its bus address alone (host_addr 0:
 * Xen's unmap_common leaves the page tables alone); a host one by both.
 */
static void unmap_queue(struct vbd *v, const struct slot *s, const grant_handle_t *handle,
                        const uint64_t *bus, unsigned int n)
{
    if (v->nr_unmap + n > BATCH_SEGS + MAX_SEGS)
        unmap_flush(v);
    for (unsigned int i = 0; i < n; i++) {
        if (handle[i] == (grant_handle_t)-1)
            continue;
        v->unmap_ops[v->nr_unmap++] = (struct gnttab_unmap_grant_ref){
            .host_addr = v->dma_only ? 0 : s->window + i * PAGE_BYTES,
            .dev_bus_addr = bus[i],
            .handle = handle[i]};
    }
    if (v->nr_unmap >= BATCH_SEGS)
        unmap_flush(v);
}

/* Drop every grant mapping of @s now. */
static void slot_unmap(struct vbd *v, struct slot *s)
{
    unmap_queue(v, s, s->handle, s->page_bus, s->nr_mapped);
    unmap_flush(v);
    s->nr_mapped = 0;
}

static void request_done(void *arg, int status);

/* Post the response for @s, free the slot. */
static void respond(struct vbd *v, struct slot *s)
{
    struct blkif_response rsp = {
        .id = s->c.id, .operation = s->c.operation, .status = (int16_t)s->status};

    if (s->status == BLKIF_RSP_OKAY)
        v->st.ok++;
    else
        v->st.errors++;
    blkif_back_post_response(&v->be, &rsp);
    s->busy = false;
}

/*
 * Take one request copied out of the ring into @s and check it (blkif_check.c). Returns true
 * if it goes on to the batch, false if it was refused (answered at once).
 */
static bool accept_request(struct vbd *v, struct slot *s, const struct blkif_request *req)
{
    s->busy = true;
    s->status = BLKIF_RSP_ERROR;
    s->nr_mapped = 0;
    v->st.requests++;
    if (blkif_check_request(req, &v->geom, &s->c) != BLKIF_CHECK_OK) {
        v->st.refused++;
        respond(v, s);
        return false;
    }
    return true;
}

/*
 * The indirect requests of @batch: copy each one's segments out of its indirect page into a
 * page of ours with one GNTTABOP_copy for all (copy before validate: the frontend may change
 * its page meanwhile; nothing is mapped, so nothing to unmap), then check the copies. A
 * request whose page does not copy, or whose segments are bad, is answered BLKIF_RSP_ERROR
 * and dropped from @batch. Returns the new batch size.
 */
static unsigned int read_indirect(struct vbd *v, struct slot **batch, unsigned int n)
{
    unsigned int nc = 0, k = 0;
    long rc;

    for (unsigned int i = 0; i < n; i++) {
        struct slot *s = batch[i];

        if (!s->c.indirect)
            continue;
        v->st.indirect++;
        /* nr_segs <= MAX_SEGS <= 512: one indirect page. */
        v->copy_ops[nc] = (struct gnttab_copy){
            .source = {.u.ref = s->c.indirect_grefs[0], .domid = v->front},
            .dest = {.u.gmfn = v->ind_mfn[nc], .domid = DOMID_SELF},
            .len = (uint16_t)(s->c.nr_segs * sizeof(struct blkif_request_segment)),
            .flags = GNTCOPY_source_gref,
            .status = GNTST_general_error};
        nc++;
    }
    if (!nc)
        return n;
    rc = gnttab_op(GNTTABOP_copy, v->copy_ops, nc);
    nc = 0;
    for (unsigned int i = 0; i < n; i++) {
        struct slot *s = batch[i];

        if (s->c.indirect) {
            int16_t st = rc ? GNTST_general_error : v->copy_ops[nc].status;
            const struct blkif_request_segment *segs = v->ind[nc++];

            if (st != GNTST_okay) {
                report(v, "indirect page", s->c.indirect_grefs[0], st);
                v->st.bad_grants++;
                respond(v, s);
                continue;
            }
            if (blkif_check_indirect_segs(&s->c, segs, &v->geom) != BLKIF_CHECK_OK) {
                v->st.refused++;
                respond(v, s);
                continue;
            }
        }
        batch[k++] = s;
    }
    return k;
}

/*
 * Map the segments of every read and write in @batch with one GNTTABOP_map_grant_ref (a
 * write to the disk only reads the guest's pages: GNTMAP_readonly). For a DMA-only disk the
 * maps are GNTMAP_device_map alone (xen/include/public/grant_table.h: device_map gives
 * dev_bus_addr and pins the frame for device access; no host mapping); otherwise host and
 * device. A request with any grant that fails is answered BLKIF_RSP_ERROR (its other grants
 * unmapped) and dropped from @batch. Returns the new batch size.
 */
static unsigned int map_batch(struct vbd *v, struct slot **batch, unsigned int n)
{
    struct gnttab_map_grant_ref *ops = v->map_ops;
    unsigned int nops = 0, k = 0;
    long rc;

    for (unsigned int i = 0; i < n; i++) {
        struct slot *s = batch[i];
        uint32_t flags = (v->dma_only ? GNTMAP_device_map : GNTMAP_host_map | GNTMAP_device_map) |
                         (s->c.op == BLKIF_OP_WRITE ? GNTMAP_readonly : 0);

        if (s->c.op == BLKIF_OP_FLUSH_DISKCACHE)
            continue;
        for (unsigned int j = 0; j < s->c.nr_segs; j++)
            ops[nops++] = (struct gnttab_map_grant_ref){
                .host_addr = v->dma_only ? 0 : s->window + j * PAGE_BYTES,
                .flags = flags,
                .ref = s->c.segs[j].gref,
                .dom = v->front,
                .status = GNTST_general_error}; /* stays so if the op is never reached */
    }
    /* An op the hypervisor did not reach (a failed call) keeps its error status. */
    rc = nops ? gnttab_op(GNTTABOP_map_grant_ref, ops, nops) : 0;
    (void)rc;
    nops = 0;
    for (unsigned int i = 0; i < n; i++) {
        struct slot *s = batch[i];
        unsigned int bad = 0;

        if (s->c.op == BLKIF_OP_FLUSH_DISKCACHE) {
            batch[k++] = s;
            continue;
        }
        for (unsigned int j = 0; j < s->c.nr_segs; j++, nops++) {
            if (ops[nops].status != GNTST_okay) {
                if (!bad)
                    report(v, "segment", ops[nops].ref, ops[nops].status);
                bad++;
                s->handle[j] = (grant_handle_t)-1;
                continue;
            }
            s->handle[j] = ops[nops].handle;
            s->page_bus[j] = ops[nops].dev_bus_addr;
        }
        if (bad) {
            unmap_queue(v, s, s->handle, s->page_bus, s->c.nr_segs);
            v->st.bad_grants++;
            respond(v, s);
            continue;
        }
        s->nr_mapped = s->c.nr_segs;
        for (unsigned int j = 0; j < s->c.nr_segs; j++) {
            unsigned int first = s->c.segs[j].first_sect;
            uint32_t off = first * BLKIF_SECTOR_SIZE;

            s->segs[j] = (struct blkdev_seg){
                .bus_addr = s->page_bus[j] + off,
                .va = v->dma_only ? NULL : (void *)(s->window + j * PAGE_BYTES + off),
                .len = (s->c.segs[j].last_sect - first + 1u) * BLKIF_SECTOR_SIZE};
        }
        batch[k++] = s;
    }
    unmap_flush(v);
    return k;
}

/* Hand @s's checked, mapped request to the disk. */
static void submit(struct vbd *v, struct slot *s)
{
    enum blkdev_op op;
    int rc;

    if (s->c.op == BLKIF_OP_FLUSH_DISKCACHE) {
        op = BLKDEV_FLUSH;
        v->st.flushes++;
    } else if (s->c.op == BLKIF_OP_READ) {
        op = BLKDEV_READ;
        v->st.reads++;
    } else {
        op = BLKDEV_WRITE;
        v->st.writes++;
    }
    v->in_flight++;
    if (v->in_flight > v->st.max_in_flight)
        v->st.max_in_flight = v->in_flight;
    rc = v->disk->ops->submit(v->disk, op, v->start + s->c.sector, s->c.nr_sectors, s->segs,
                              s->c.nr_segs, request_done, s);
    if (rc) {
        /* Refused by the driver: not started, so no completion comes. */
        v->in_flight--;
        v->st.disk_errors++;
        slot_unmap(v, s);
        respond(v, s);
    }
}

/* The disk's completion (thread or event context): queue the slot for its response. */
static void request_done(void *arg, int status)
{
    struct slot *s = arg;
    struct vbd *v = s->vbd;
    unsigned long flags = local_irq_save();

    s->status = status ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
    if (status)
        v->st.disk_errors++;
    else
        v->st.sectors += s->c.nr_sectors;
    s->next_done = v->done;
    v->done = s;
    v->kick = true;
    wake_up(&v->wq);
    local_irq_restore(flags);
}

static void event_handler(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    struct vbd *v = data;

    (void)port;
    (void)regs;
    v->st.events++;
    v->kick = true;
    wake_up(&v->wq);
}

/*
 * Answer every finished request: unmap the grants of all of them (batched), then post their
 * responses (the frontend may end its grants once it sees a response).
 */
static void answer_done(struct vbd *v)
{
    unsigned long flags = local_irq_save();
    struct slot *list = v->done, *s;

    v->done = NULL;
    local_irq_restore(flags);
    for (s = list; s; s = s->next_done) {
        unmap_queue(v, s, s->handle, s->page_bus, s->nr_mapped);
        s->nr_mapped = 0;
    }
    unmap_flush(v);
    while (list) {
        s = list;
        list = s->next_done;
        v->in_flight--;
        respond(v, s);
    }
}

static struct slot *free_slot(struct vbd *v)
{
    for (unsigned int i = 0; i < SLOTS; i++)
        if (!v->slots[i].busy)
            return &v->slots[i];
    return NULL;
}

static void push(struct vbd *v)
{
    if (blkif_back_push(&v->be)) {
        v->st.notifies++;
        evtchn_send(v->port);
    }
}

/*
 * One pass: answer, then consume while slots are free, in batches (up to BATCH_REQS requests
 * or BATCH_SEGS segments: check each, copy the indirect segments, map all grants, submit),
 * push. Returns true if there may be more.
 */
static bool serve(struct vbd *v)
{
    struct slot *batch[BATCH_REQS], *s;
    int rc = 0;

    answer_done(v);
    while (!v->stopped && rc >= 0) {
        unsigned int n = 0, segs = 0;

        while (n < BATCH_REQS && segs < BATCH_SEGS && (s = free_slot(v))) {
            struct blkif_request req;

            rc = blkif_back_get_request(&v->be, &req);
            if (rc <= 0)
                break;
            if (accept_request(v, s, &req)) {
                batch[n++] = s;
                segs += s->c.nr_segs;
            }
        }
        if (n == 0 && (rc <= 0 || !free_slot(v)))
            break;
        n = read_indirect(v, batch, n);
        n = map_batch(v, batch, n);
        /* The batch's transfers start together (one AHCI doorbell: blkdev.h, plug). */
        if (v->disk->ops->plug)
            v->disk->ops->plug(v->disk, true);
        for (unsigned int i = 0; i < n; i++)
            submit(v, batch[i]);
        if (v->disk->ops->plug)
            v->disk->ops->plug(v->disk, false);
        answer_done(v); /* synchronous disks complete inside submit */
        if (rc <= 0)
            break;
    }
    if (rc < 0 && !v->stopped) {
        v->stopped = true;
        v->st.ring_error = rc;
        printf("pvguest: blkback: %s: ring protocol error %d from d%u: no longer served\n", v->name,
               rc, v->front);
    }
    push(v);
    if (v->stopped || !free_slot(v))
        return false;
    rc = blkif_back_final_check(&v->be);
    return rc > 0;
}

static void vbd_thread(void *arg)
{
    struct vbd *v = arg;

    for (;;) {
        while (serve(v))
            ;
        if (v->control->frontend_state == XenbusStateClosed ||
            v->control->frontend_state == XenbusStateClosing) {
            if (v->in_flight == 0) {
                v->control->backend_state = XenbusStateClosed;
                evtchn_send(v->port);
                v->closed = true;
                return;
            }
        }
        /* Woken by the frontend's events and the disk's completions; a 100 ms tick re-reads
           the control page. */
        wait_event_deadline(v->wq, v->kick, system_time_ns() + 100000000ULL);
        v->kick = false;
    }
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

/* Set up and start one vbd from its /backends node. */
static int vbd_start(const void *fdt, int node)
{
    const char *name = fdt_get_name(fdt, node, NULL);
    struct vbd *v = calloc(1, sizeof(*v));
    unsigned long ring_va, control_va;
    grant_handle_t h;
    uint64_t bus, disk_idx, sectors;
    uint32_t control_offset;
    long port;

    if (!v || nr_vbds >= MAX_VBDS)
        return -XEN_ENOMEM;
    snprintf(v->name, sizeof(v->name), "%s", name ? name : "vbd");
    v->front = (domid_t)prop_u64(fdt, node, "frontend-id", 0);
    disk_idx = prop_u64(fdt, node, "disk", 0);
    v->disk = blkdev_get((unsigned int)disk_idx);
    if (!v->disk) {
        printf("pvguest: blkback: %s: no disk %lu\n", v->name, (unsigned long)disk_idx);
        return -XEN_ENODEV;
    }
    v->dma_only = v->disk->dma_only;
    v->start = prop_u64(fdt, node, "start-sector", 0);
    sectors = prop_u64(fdt, node, "sectors", 0);
    if (v->start >= v->disk->sectors) {
        printf("pvguest: blkback: %s: start sector %llu beyond %s\n", v->name,
               (unsigned long long)v->start, v->disk->name);
        return -XEN_EINVAL;
    }
    if (sectors == 0 || sectors > v->disk->sectors - v->start)
        sectors = v->disk->sectors - v->start;
    v->geom.sectors = sectors;
    v->geom.read_only = fdt_getprop(fdt, node, "read-only", NULL) || v->disk->read_only;
    v->geom.max_indirect_segs = MAX_SEGS;
    if (v->disk->max_segs && v->disk->max_segs < MAX_SEGS)
        v->geom.max_indirect_segs = v->disk->max_segs;
    control_offset = (uint32_t)prop_u64(fdt, node, "control-offset", 0);
    if (control_offset > PAGE_BYTES - sizeof(struct blkif_control))
        return -XEN_EINVAL;

    /* The ring and control page: two pages of their own, granted by the frontend. */
    ring_va = grant_window(2);
    v->slots = calloc(SLOTS, sizeof(*v->slots));
    if (!ring_va || !v->slots)
        return -XEN_ENOMEM;
    control_va = ring_va + PAGE_BYTES;
    int16_t st = map_one(v->front, (grant_ref_t)prop_u64(fdt, node, "ring-ref", 0), ring_va, false,
                         &h, &bus);
    if (st != GNTST_okay) {
        printf("pvguest: blkback: %s: ring grant of d%u does not map: %d\n", v->name, v->front, st);
        return -XEN_EINVAL;
    }
    st = map_one(v->front, (grant_ref_t)prop_u64(fdt, node, "control-ref", 0), control_va, false,
                 &h, &bus);
    if (st != GNTST_okay) {
        printf("pvguest: blkback: %s: control grant of d%u does not map: %d\n", v->name, v->front,
               st);
        return -XEN_EINVAL;
    }
    v->control = (volatile struct blkif_control *)(control_va + control_offset);
    if (blkif_back_attach(&v->be, (blkif_sring_t *)ring_va, PAGE_BYTES))
        return -XEN_EINVAL;
    for (unsigned int i = 0; i < SLOTS; i++) {
        v->slots[i].vbd = v;
        if (v->dma_only)
            continue; /* device maps only: no virtual space */
        v->slots[i].window = grant_window(MAX_SEGS);
        if (!v->slots[i].window)
            return -XEN_ENOMEM;
    }
    v->map_ops = malloc((BATCH_SEGS + MAX_SEGS) * sizeof(*v->map_ops));
    v->unmap_ops = malloc((BATCH_SEGS + MAX_SEGS) * sizeof(*v->unmap_ops));
    if (!v->map_ops || !v->unmap_ops)
        return -XEN_ENOMEM;
    for (unsigned int i = 0; i < BATCH_REQS; i++) {
        long pfn = page_alloc();

        if (pfn < 0)
            return -XEN_ENOMEM;
        v->ind[i] = pfn_to_virt((unsigned long)pfn);
        v->ind_mfn[i] = pfn_to_mfn((unsigned long)pfn);
    }
    wait_queue_init(&v->wq);

    /* What io/blkif.h has the backend write to xenstore, then Connected. */
    v->control->sectors = sectors;
    v->control->sector_size = BLKIF_SECTOR_SIZE;
    v->control->info = v->geom.read_only ? VDISK_READONLY : 0;
    v->control->max_indirect_segs = v->geom.max_indirect_segs;
    v->control->features = (v->disk->flush ? BLKIF_CONTROL_FLUSH : 0) | BLKIF_CONTROL_INDIRECT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    v->control->backend_state = XenbusStateConnected;

    port = evtchn_bind_interdomain(v->front, (evtchn_port_t)prop_u64(fdt, node, "event-channel", 0),
                                   event_handler, v);
    if (port < 0) {
        printf("pvguest: blkback: %s: bind_interdomain(d%u) = %ld\n", v->name, v->front, port);
        return (int)port;
    }
    v->port = (evtchn_port_t)port;
    v->kick = true; /* scan the ring right after binding */
    printf("pvguest: blkback: %s: d%u, %s sectors %llu+%llu%s, port %ld, flush %s, indirect %u\n",
           v->name, v->front, v->disk->name, (unsigned long long)v->start,
           (unsigned long long)sectors, v->geom.read_only ? " read-only" : "", port,
           v->disk->flush ? "yes" : "no", v->geom.max_indirect_segs);
    vbds[nr_vbds++] = v;
    evtchn_send(v->port);
    if (!thread_create("blkback", vbd_thread, v, 32768))
        return -XEN_ENOMEM;
    return 0;
}

int blkback_start(void)
{
    return devtree_start_each("/backends", "mica,vbd-backend", vbd_start);
}

int blkback_wait_closed(uint64_t deadline_ns)
{
    int open;

    for (;;) {
        open = 0;
        for (int i = 0; i < nr_vbds; i++)
            open += !vbds[i]->closed;
        if (open == 0 || system_time_ns() >= deadline_ns)
            break;
        sleep_ns(50000000ULL);
    }
    for (int i = 0; i < nr_vbds; i++) {
        const struct blkback_stats *s = &vbds[i]->st;
        printf("pvguest: blkback: %s: d%u %s: requests %lu: ok %lu, errors %lu (refused %lu, "
               "bad grants %lu, disk %lu); reads %lu, writes %lu, flushes %lu, indirect %lu, "
               "sectors %llu, most in flight %lu, events %lu, notifications %lu, ring error "
               "%d\n",
               vbds[i]->name, vbds[i]->front, vbds[i]->closed ? "closed" : "STILL OPEN",
               s->requests, s->ok, s->errors, s->refused, s->bad_grants, s->disk_errors, s->reads,
               s->writes, s->flushes, s->indirect, (unsigned long long)s->sectors, s->max_in_flight,
               s->events, s->notifies, s->ring_error);
    }
    return open;
}

int blkback_selftest(void)
{
    char buf[32];
    unsigned long sectors = 16384;
    int rc;

    if (cmdline_get("disk", buf, sizeof(buf)) > 0 && strcmp(buf, "ahci") == 0) {
        if (!blkdev_ahci_create(0)) {
            printf("pvguest: test blkback: no AHCI disk (FAILED)\n");
            return 1;
        }
    } else if (cmdline_get("ramdisk", buf, sizeof(buf)) > 0)
        sectors = strtoul(buf, NULL, 0);
    if (!blkdev_get(0) && !blkdev_ram_create(0, sectors)) {
        printf("pvguest: test blkback: no memory for a RAM disk of %lu sectors (FAILED)\n",
               sectors);
        return 1;
    }
    printf("pvguest: test blkback: disk 0 is %s, %llu sectors\n", blkdev_get(0)->name,
           (unsigned long long)blkdev_get(0)->sectors);
    rc = blkback_start();
    if (rc <= 0) {
        printf("pvguest: test blkback: blkback_start = %d (FAILED)\n", rc);
        return 1;
    }
    rc = blkback_wait_closed(system_time_ns() + 600000000000ULL);
    if (blkdev_get(0)->ops->plug) /* the AHCI disk */
        printf("pvguest: test blkback: ahci0: %lu commands, %lu doorbells, %lu interrupts\n",
               ahci_stats.completed, ahci_stats.doorbells, ahci_stats.interrupts);
    printf("pvguest: test blkback: %s\n", rc ? "FAILED (frontends still open)" : "passed");
    return rc ? 1 : 0;
}

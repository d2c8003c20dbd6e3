/*
 * Event channels, Xen's two-level ABI: the per-domain port table, its state machine, the
 * EVTCHNOP_* hypercalls and the delivery core (<mica/event.h>). The rules and error codes
 * are Xen 4.17's (xen/event_channel.h; behaviour as xen/common/event_channel.c and
 * event_2l.c show it); docs/abi-events.md lists them with mica's deviations.
 *
 * The hypervisor runs with interrupts off and one CPU, so the port table needs no locks;
 * the bits in shared_info and vcpu_info are shared with the running guest and are only
 * changed with atomic read-modify-write operations.
 */
#include <arch/irq.h> /* pirq_guest_bind/unbind, IRQ_NR_PIRQS (issue 9) */
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/string.h>
#include <mica/trace.h> /* issue 8 */

/* ---- Bits in the shared page (the guest reads and clears them concurrently) ---------- */

#define EVTCHN_WORD_BITS (sizeof(xen_ulong_t) * 8)

static bool test_and_set(xen_ulong_t *word, unsigned int bit)
{
    xen_ulong_t m = (xen_ulong_t)1 << bit;

    return __atomic_fetch_or(word, m, __ATOMIC_SEQ_CST) & m;
}

static bool test_and_clear(xen_ulong_t *word, unsigned int bit)
{
    xen_ulong_t m = (xen_ulong_t)1 << bit;

    return __atomic_fetch_and(word, ~m, __ATOMIC_SEQ_CST) & m;
}

static bool test_bit(xen_ulong_t *word, unsigned int bit)
{
    return (__atomic_load_n(word, __ATOMIC_SEQ_CST) >> bit) & 1;
}

static xen_ulong_t *pending_word(struct domain *d, unsigned int port)
{
    return &d->shared_info->evtchn_pending[port / EVTCHN_WORD_BITS];
}

static xen_ulong_t *mask_word(struct domain *d, unsigned int port)
{
    return &d->shared_info->evtchn_mask[port / EVTCHN_WORD_BITS];
}

/*
 * Set evtchn_upcall_pending (bit 0 of the byte, as Xen's test_and_set_bit on it) and kick
 * @v if it was clear (Xen's vcpu_mark_events_pending). Returns true if it kicked.
 */
static bool mark_events_pending(struct vcpu *v)
{
    if (__atomic_fetch_or(&v->vcpu_info->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST) & 1)
        return false;
    vcpu_kick(v);
    return true;
}

/* ---- The port table ------------------------------------------------------------------ */

/* The entry of @port of @d, or NULL if the port does not exist (Xen's _evtchn_from_port). */
static struct evtchn *port_entry(const struct domain *d, unsigned int port)
{
    if (port >= d->evtchn.valid_ports)
        return NULL;
    return &d->evtchn.page[port / EVTCHN_PAGE_PORTS][port % EVTCHN_PAGE_PORTS];
}

/* A port a guest may signal and query: bound in some way (Xen's evtchn_usable). */
static bool port_usable(const struct evtchn *chn)
{
    return chn->state > ECS_RESERVED;
}

/* The vCPU @vcpu_id of @d, or NULL (Xen's domain_vcpu; ids are unsigned there too). */
static struct vcpu *domain_vcpu(struct domain *d, unsigned int vcpu_id)
{
    return vcpu_id < ARRAY_SIZE(d->vcpu) ? d->vcpu[vcpu_id] : NULL;
}

/* VIRQs delivered to one vCPU; all others are global: bound on vCPU 0, for the whole
   domain (Xen's virq_is_global; the x86 VIRQ_ARCH_* are global). */
static bool virq_is_global(unsigned int virq)
{
    switch (virq) {
    case VIRQ_TIMER:
    case VIRQ_DEBUG:
    case VIRQ_XENOPROF:
    case VIRQ_XENPMU:
        return false;
    default:
        return true;
    }
}

/*
 * Make @port of @d exist: ports come in buckets of EVTCHN_BUCKET_PORTS and the table in
 * pages, both allocated up to @port. Returns 0 if the port exists and is free, -EBUSY if it
 * is in use, -ENOSPC beyond the 2-level limit, -ENOMEM (Xen's evtchn_allocate_port).
 */
static int allocate_port(struct domain *d, unsigned int port)
{
    struct evtchn_domain *ed = &d->evtchn;

    if (port >= EVTCHN_2L_NR_CHANNELS)
        return -ENOSPC;
    if (port < ed->valid_ports)
        return port_entry(d, port)->state == ECS_FREE ? 0 : -EBUSY;
    for (unsigned int p = ed->valid_ports; p <= port; p += EVTCHN_BUCKET_PORTS) {
        unsigned int pg = p / EVTCHN_PAGE_PORTS;
        if (!ed->page[pg]) {
            ed->page[pg] = alloc_hv_page(&ed->page_mfn[pg], DOMID_XEN);
            if (!ed->page[pg])
                return -ENOMEM;
        }
        ed->valid_ports = p + EVTCHN_BUCKET_PORTS;
    }
    return 0;
}

/* The lowest free port of @d, made to exist; or -EINVAL (dying domain), -ENOSPC, -ENOMEM
   (Xen's get_free_port). */
static int get_free_port(struct domain *d)
{
    if (d->evtchn.dying)
        return -EINVAL;
    for (unsigned int port = 0; port < EVTCHN_2L_NR_CHANNELS; port++) {
        int rc = allocate_port(d, port);
        if (rc == 0)
            return (int)port;
        if (rc != -EBUSY)
            return rc;
    }
    return -ENOSPC;
}

/* Put free @port of @d into @state with @notify_vcpu_id. */
static struct evtchn *bind_port(struct domain *d, unsigned int port, enum evtchn_state state,
                                unsigned int notify_vcpu_id)
{
    struct evtchn *chn = port_entry(d, port);

    chn->state = (uint8_t)state;
    chn->notify_vcpu_id = (uint8_t)notify_vcpu_id;
    chn->remote_dom = 0;
    chn->u = 0;
    d->evtchn.active_ports++;
    return chn;
}

/* Free @chn (@port of @d): its pending bit is cleared so a later binding starts clean, and
   it goes back to vCPU 0 (Xen's evtchn_free). */
static void free_port(struct domain *d, unsigned int port, struct evtchn *chn)
{
    if (port_usable(chn) && d->shared_info)
        test_and_clear(pending_word(d, port), port % EVTCHN_WORD_BITS);
    chn->state = ECS_FREE;
    chn->notify_vcpu_id = 0;
    chn->remote_dom = 0;
    chn->u = 0;
    d->evtchn.active_ports--;
}

/* The domain a guest names by @dom: DOMID_SELF or an id (Xen's rcu_lock_domain_by_any_id). */
static struct domain *domain_by_any_id(domid_t dom)
{
    return dom == DOMID_SELF ? current->domain : domain_lookup(dom);
}

/* May the current domain act on @d's ports? Itself, or any domain if privileged (Xen's
   default XSM policy, XSM_TARGET, without device-model targets). */
static bool may_target(const struct domain *d)
{
    return d == current->domain || current->domain->is_privileged;
}

/* ---- Delivery ------------------------------------------------------------------------ */

void evtchn_set_pending(struct vcpu *v, unsigned int port)
{
    struct domain *d = v->domain;
    const struct evtchn *chn = port_entry(d, port);
    struct evtchn_stats *st = &d->evtchn.stats;

    if (!chn || !port_usable(chn) || !d->shared_info)
        return;
    trace_event(TRC_EVT_SEND, d->domain_id, port, chn->state, chn->u); /* issue 8 */
    st->raised++;
    /* The order matters (event_2l.c): pending, then mask, then selector, then upcall. */
    if (test_and_set(pending_word(d, port), port % EVTCHN_WORD_BITS)) {
        st->already_pending++;
        return;
    }
    if (test_bit(mask_word(d, port), port % EVTCHN_WORD_BITS))
        st->masked++;
    else if (test_and_set(&v->vcpu_info->evtchn_pending_sel, port / EVTCHN_WORD_BITS))
        st->coalesced++;
    else if (mark_events_pending(v))
        st->upcalls++;
    else
        st->coalesced++;
    /* A vCPU polling the port waits for the bit, masked or not (SCHEDOP_poll). */
    evtchn_check_pollers(d, port);
}

int send_guest_virq(struct vcpu *v, unsigned int virq)
{
    struct domain *d = v->domain;
    struct vcpu *v0;
    unsigned int port;

    if (virq >= NR_VIRQS)
        return -EINVAL;
    if (!virq_is_global(virq)) {
        port = v->evtchn.virq_to_evtchn[virq];
        if (!port)
            return -ENOENT;
        evtchn_set_pending(v, port);
        return 0;
    }
    v0 = d->vcpu[0];
    port = v0 ? v0->evtchn.virq_to_evtchn[virq] : 0;
    if (!port)
        return -ENOENT;
    struct vcpu *target = domain_vcpu(d, port_entry(d, port)->notify_vcpu_id);
    evtchn_set_pending(target ? target : v0, port);
    return 0;
}

void send_global_virq(unsigned int virq)
{
    struct domain *hwdom = domain_lookup(0);

    if (hwdom && hwdom->vcpu[0] && virq_is_global(virq))
        send_guest_virq(hwdom->vcpu[0], virq);
}

bool evtchn_port_is_pending(struct domain *d, unsigned int port)
{
    return evtchn_port_poll(d, port) > 0;
}

int evtchn_port_poll(struct domain *d, unsigned int port)
{
    const struct evtchn *chn = port_entry(d, port);

    if (!chn || !port_usable(chn))
        return -EINVAL;
    if (!d->shared_info)
        return 0;
    return test_bit(pending_word(d, port), port % EVTCHN_WORD_BITS);
}

bool evtchn_virq_enabled(const struct vcpu *v, unsigned int virq)
{
    if (!v || virq >= NR_VIRQS)
        return false;
    if (virq_is_global(virq))
        v = v->domain->vcpu[0];
    return v && v->evtchn.virq_to_evtchn[virq];
}

/* ---- The operations ------------------------------------------------------------------ */

/* EVTCHNOP_alloc_unbound: a port of @a->dom that @a->remote_dom may bind. */
static int evtchn_alloc_unbound(struct evtchn_alloc_unbound *a)
{
    struct domain *d = domain_by_any_id(a->dom);
    struct evtchn *chn;
    int port;

    if (!d)
        return -ESRCH;
    port = get_free_port(d);
    if (port < 0)
        return port;
    /* Xen checks the permission after finding the port: a full table says -ENOSPC first. */
    if (!may_target(d))
        return -EPERM;
    chn = bind_port(d, (unsigned int)port, ECS_UNBOUND, 0);
    /* Any remote id is accepted, existing or not; DOMID_SELF means the caller. */
    chn->remote_dom = a->remote_dom == DOMID_SELF ? current->domain->domain_id : a->remote_dom;
    a->port = (evtchn_port_t)port;
    return 0;
}

int evtchn_alloc_unbound_for(struct domain *d, domid_t remote)
{
    int port = get_free_port(d);
    struct evtchn *chn;

    if (port < 0)
        return port;
    chn = bind_port(d, (unsigned int)port, ECS_UNBOUND, 0);
    chn->remote_dom = remote;
    return port;
}

/* EVTCHNOP_bind_interdomain: join a new local port to @b->remote_port of @b->remote_dom,
   which must be unbound and name the caller. A domain may bind to itself. */
static int evtchn_bind_interdomain(struct evtchn_bind_interdomain *b)
{
    struct domain *ld = current->domain, *rd = domain_by_any_id(b->remote_dom);
    struct evtchn *lchn, *rchn;
    int lport;

    if (!rd)
        return -ESRCH;
    lport = get_free_port(ld);
    if (lport < 0)
        return lport;
    rchn = port_entry(rd, b->remote_port);
    if (!rchn || rchn->state != ECS_UNBOUND || rchn->remote_dom != ld->domain_id)
        return -EINVAL;
    lchn = bind_port(ld, (unsigned int)lport, ECS_INTERDOMAIN, 0);
    lchn->remote_dom = rd->domain_id;
    lchn->u = b->remote_port;
    rchn->state = ECS_INTERDOMAIN;
    rchn->remote_dom = ld->domain_id;
    rchn->u = (uint32_t)lport;
    /* Notifications sent to the remote port while unbound were dropped: raise the local
       port once, conservatively, as Xen does. */
    evtchn_set_pending(ld->vcpu[lchn->notify_vcpu_id], (unsigned int)lport);
    b->local_port = (evtchn_port_t)lport;
    return 0;
}

/* EVTCHNOP_bind_virq: a new port for VIRQ @b->virq of vCPU @b->vcpu (0 for global ones). */
static int evtchn_bind_virq(struct evtchn_bind_virq *b)
{
    struct domain *d = current->domain;
    struct evtchn *chn;
    struct vcpu *v;
    int port;

    /* Xen reads both as int: a huge virq is negative there, out of range here. */
    if (b->virq >= NR_VIRQS)
        return -EINVAL;
    if (virq_is_global(b->virq) && b->vcpu != 0)
        return -EINVAL;
    v = domain_vcpu(d, b->vcpu);
    if (!v)
        return -ENOENT;
    if (v->evtchn.virq_to_evtchn[b->virq])
        return -EEXIST;
    port = get_free_port(d);
    if (port < 0)
        return port;
    chn = bind_port(d, (unsigned int)port, ECS_VIRQ, b->vcpu);
    chn->u = b->virq;
    v->evtchn.virq_to_evtchn[b->virq] = (uint16_t)port;
    b->port = (evtchn_port_t)port;
    return 0;
}

/* EVTCHNOP_bind_ipi: a new port that signals vCPU @b->vcpu of the caller. */
static int evtchn_bind_ipi(struct evtchn_bind_ipi *b)
{
    struct domain *d = current->domain;
    int port;

    if (!domain_vcpu(d, b->vcpu))
        return -ENOENT;
    port = get_free_port(d);
    if (port < 0)
        return port;
    bind_port(d, (unsigned int)port, ECS_IPI, b->vcpu);
    b->port = (evtchn_port_t)port;
    return 0;
}

/*
 * Close @port of @d (Xen's evtchn_close): a VIRQ forgets its binding, an interdomain
 * peer's port reverts to unbound naming @d. Returns 0, or -EINVAL if the port does not
 * exist or is free or reserved.
 */
/*
 * Physical IRQs (issue 9): arch irq.c owns the sources; these weak defaults keep hosts
 * without it (the unit tests) at the earlier -ENOSYS.
 */
__attribute__((weak)) int pirq_guest_bind(struct domain *d, unsigned int pirq, unsigned int port,
                                          bool will_share)
{
    (void)d, (void)pirq, (void)port, (void)will_share;
    return -ENOSYS;
}

__attribute__((weak)) void pirq_guest_unbind(struct domain *d, unsigned int pirq)
{
    (void)d, (void)pirq;
}

/* EVTCHNOP_bind_pirq: a free port of the caller for a pirq it mapped (Xen's evtchn_bind_pirq:
   -EINVAL out of range, -EPERM not mapped, -EEXIST already bound). */
static int evtchn_bind_pirq(struct evtchn_bind_pirq *b)
{
    struct domain *d = current->domain;
    int port, rc;
    struct evtchn *chn;

    if (b->pirq >= IRQ_NR_PIRQS)
        return -EINVAL;
    port = get_free_port(d);
    if (port < 0)
        return port;
    rc = pirq_guest_bind(d, b->pirq, (unsigned int)port, b->flags & BIND_PIRQ__WILL_SHARE);
    if (rc)
        return rc;
    chn = bind_port(d, (unsigned int)port, ECS_PIRQ, 0);
    chn->u = b->pirq;
    b->port = (evtchn_port_t)port;
    return 0;
}

static int evtchn_close(struct domain *d, unsigned int port)
{
    struct evtchn *chn = port_entry(d, port);

    if (!chn)
        return -EINVAL;
    switch (chn->state) {
    case ECS_FREE:
    case ECS_RESERVED:
        return -EINVAL;
    case ECS_VIRQ: {
        struct vcpu *v = d->vcpu[virq_is_global(chn->u) ? 0 : chn->notify_vcpu_id];
        /* Forget the binding first: a VIRQ raised from now on finds no port. */
        v->evtchn.virq_to_evtchn[chn->u] = 0;
        break;
    }
    case ECS_INTERDOMAIN: {
        struct domain *rd = domain_lookup(chn->remote_dom);
        struct evtchn *rchn = rd ? port_entry(rd, chn->u) : NULL;
        if (rchn && rchn->state == ECS_INTERDOMAIN && rchn->remote_dom == d->domain_id &&
            rchn->u == port) {
            rchn->state = ECS_UNBOUND;
            rchn->remote_dom = d->domain_id;
            rchn->u = 0;
        }
        break;
    }
    case ECS_PIRQ:
        pirq_guest_unbind(d, chn->u); /* issue 9: the line is masked again */
        break;
    case ECS_UNBOUND:
    case ECS_IPI:
    default:
        break;
    }
    free_port(d, port, chn);
    return 0;
}

/* EVTCHNOP_send: signal the other end of an interdomain port, or an IPI's vCPU. Sending on
   an unbound port is silently dropped; any other state is -EINVAL. */
static int evtchn_send(struct domain *d, unsigned int port)
{
    const struct evtchn *chn = port_entry(d, port);

    if (!chn)
        return -EINVAL;
    switch (chn->state) {
    case ECS_INTERDOMAIN: {
        struct domain *rd = domain_lookup(chn->remote_dom);
        const struct evtchn *rchn = rd ? port_entry(rd, chn->u) : NULL;
        /* Closing either end reverts the other, so the peer is always there. */
        if (rchn)
            evtchn_set_pending(rd->vcpu[rchn->notify_vcpu_id], chn->u);
        break;
    }
    case ECS_IPI:
        evtchn_set_pending(d->vcpu[chn->notify_vcpu_id], port);
        break;
    case ECS_UNBOUND:
        break;
    default:
        return -EINVAL;
    }
    d->evtchn.stats.send_ops++;
    return 0;
}

/* EVTCHNOP_status: the state of @s->port of @s->dom. */
static int evtchn_status(struct evtchn_status *s)
{
    struct domain *d = domain_by_any_id(s->dom);
    const struct evtchn *chn;

    if (!d)
        return -ESRCH;
    chn = port_entry(d, s->port);
    if (!chn)
        return -EINVAL;
    if (!may_target(d))
        return -EPERM;
    switch (chn->state) {
    case ECS_FREE:
    case ECS_RESERVED:
        s->status = EVTCHNSTAT_closed;
        break;
    case ECS_UNBOUND:
        s->status = EVTCHNSTAT_unbound;
        s->u.unbound.dom = chn->remote_dom;
        break;
    case ECS_INTERDOMAIN:
        s->status = EVTCHNSTAT_interdomain;
        s->u.interdomain.dom = chn->remote_dom;
        s->u.interdomain.port = chn->u;
        break;
    case ECS_PIRQ:
        s->status = EVTCHNSTAT_pirq;
        s->u.pirq = chn->u;
        break;
    case ECS_VIRQ:
        s->status = EVTCHNSTAT_virq;
        s->u.virq = chn->u;
        break;
    case ECS_IPI:
        s->status = EVTCHNSTAT_ipi;
        break;
    }
    s->vcpu = chn->notify_vcpu_id;
    return 0;
}

/* EVTCHNOP_bind_vcpu: deliver @port to vCPU @vcpu_id (one vCPU: only 0 exists). */
static int evtchn_bind_vcpu(unsigned int port, unsigned int vcpu_id)
{
    struct domain *d = current->domain;
    struct evtchn *chn;

    if (!domain_vcpu(d, vcpu_id))
        return -ENOENT;
    chn = port_entry(d, port);
    if (!chn)
        return -EINVAL;
    switch (chn->state) {
    case ECS_VIRQ:
        if (!virq_is_global(chn->u))
            return -EINVAL;
        chn->notify_vcpu_id = (uint8_t)vcpu_id;
        return 0;
    case ECS_UNBOUND:
    case ECS_INTERDOMAIN:
    case ECS_PIRQ:
        chn->notify_vcpu_id = (uint8_t)vcpu_id;
        return 0;
    default:
        return -EINVAL;
    }
}

/* EVTCHNOP_unmask: clear the mask bit; a port that is pending raises the upcall now, as it
   would have when it became pending (event_2l.c's unmask). */
static int evtchn_unmask(unsigned int port)
{
    struct domain *d = current->domain;
    const struct evtchn *chn = port_entry(d, port);
    struct vcpu *v;

    if (!chn)
        return -EINVAL;
    if (!port_usable(chn))
        return 0; /* a free port's mask bit is left alone, as Xen */
    v = d->vcpu[chn->notify_vcpu_id];
    if (test_and_clear(mask_word(d, port), port % EVTCHN_WORD_BITS) &&
        test_bit(pending_word(d, port), port % EVTCHN_WORD_BITS) &&
        !test_and_set(&v->vcpu_info->evtchn_pending_sel, port / EVTCHN_WORD_BITS) &&
        mark_events_pending(v))
        d->evtchn.stats.unmask_upcalls++;
    return 0;
}

/*
 * EVTCHNOP_reset / reset_cont for @d: close every port. Xen allows it on the caller itself,
 * or on a domain its controller has paused (mica cannot pause domains: -EINVAL). mica never
 * preempts a reset (4096 ports at most), so no reset is ever in progress and reset_cont is
 * -EBUSY, as on Xen without a preempted reset.
 */
static int evtchn_reset(struct domain *d, bool resuming)
{
    if (d != current->domain)
        return -EINVAL;
    if (resuming)
        return -EBUSY;
    for (unsigned int port = 1; port < d->evtchn.valid_ports && d->evtchn.active_ports; port++)
        evtchn_close(d, port);
    return 0;
}

/* ---- Life cycle ---------------------------------------------------------------------- */

int evtchn_init(struct domain *d)
{
    struct evtchn_domain *ed = &d->evtchn;

    memset(ed, 0, sizeof(*ed));
    for (unsigned int i = 0; i < ARRAY_SIZE(d->vcpu); i++)
        if (d->vcpu[i])
            memset(&d->vcpu[i]->evtchn, 0, sizeof(d->vcpu[i]->evtchn));
    if (allocate_port(d, 0))
        return -ENOMEM;
    port_entry(d, 0)->state = ECS_RESERVED; /* not counted in active_ports, as Xen */
    return 0;
}

void evtchn_destroy(struct domain *d)
{
    const struct evtchn_stats *st = &d->evtchn.stats;

    d->evtchn.dying = true;
    for (unsigned int port = d->evtchn.valid_ports; port-- > 1;) {
        const struct evtchn *chn = port_entry(d, port);
        if (chn->state != ECS_FREE)
            evtchn_close(d, port);
    }
    printk_debug("mica: d%u events: sends %lu raised %lu upcalls %lu suppressed: pending %lu "
                 "masked %lu coalesced %lu; unmask upcalls %lu\n",
                 d->domain_id, (unsigned long)st->send_ops, (unsigned long)st->raised,
                 (unsigned long)st->upcalls, (unsigned long)st->already_pending,
                 (unsigned long)st->masked, (unsigned long)st->coalesced,
                 (unsigned long)st->unmask_upcalls);
    /* The driver domain learns of the death, as from Xen's domain_shutdown/kill. */
    send_global_virq(VIRQ_DOM_EXC);
}

/* ---- The hypercalls ------------------------------------------------------------------ */

/* Copy the argument structure in, run @call on it, copy it back whole on success. */
#define EVTCHNOP_INOUT(type, call)                                                                 \
    {                                                                                              \
        struct type a_;                                                                            \
        int rc_;                                                                                   \
        if (copy_from_guest(&a_, arg, sizeof(a_)))                                                 \
            return -EFAULT;                                                                        \
        rc_ = call(&a_);                                                                           \
        /* As Xen: a port allocated before a failed copy-out stays allocated. */                   \
        if (!rc_ && copy_to_guest(arg, &a_, sizeof(a_)))                                           \
            rc_ = -EFAULT;                                                                         \
        return rc_;                                                                                \
    }

long do_event_channel_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                         unsigned long a5)
{
    struct domain *d = current->domain;

    (void)a3, (void)a4, (void)a5;
    switch ((int)cmd) {
    case EVTCHNOP_alloc_unbound:
        EVTCHNOP_INOUT(evtchn_alloc_unbound, evtchn_alloc_unbound);
    case EVTCHNOP_bind_interdomain:
        EVTCHNOP_INOUT(evtchn_bind_interdomain, evtchn_bind_interdomain);
    case EVTCHNOP_bind_virq:
        EVTCHNOP_INOUT(evtchn_bind_virq, evtchn_bind_virq);
    case EVTCHNOP_bind_ipi:
        EVTCHNOP_INOUT(evtchn_bind_ipi, evtchn_bind_ipi);
    case EVTCHNOP_status:
        EVTCHNOP_INOUT(evtchn_status, evtchn_status);
    case EVTCHNOP_bind_pirq:
        EVTCHNOP_INOUT(evtchn_bind_pirq, evtchn_bind_pirq); /* issue 9 */
    case EVTCHNOP_close: {
        struct evtchn_close a;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        return evtchn_close(d, a.port);
    }
    case EVTCHNOP_send: {
        struct evtchn_send a;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        return evtchn_send(d, a.port);
    }
    case EVTCHNOP_bind_vcpu: {
        struct evtchn_bind_vcpu a;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        return evtchn_bind_vcpu(a.port, a.vcpu);
    }
    case EVTCHNOP_unmask: {
        struct evtchn_unmask a;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        return evtchn_unmask(a.port);
    }
    case EVTCHNOP_reset:
    case EVTCHNOP_RESET_CONT: {
        struct evtchn_reset a;
        struct domain *rd;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        rd = domain_by_any_id(a.dom);
        if (!rd)
            return -ESRCH;
        if (!may_target(rd))
            return -EPERM;
        return evtchn_reset(rd, (int)cmd == EVTCHNOP_RESET_CONT);
    }
    case EVTCHNOP_init_control: {
        /* mica has only the 2-level ABI (Xen 4.17 also has FIFO): a guest falls back. */
        struct evtchn_init_control a;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        return -ENOSYS;
    }
    case EVTCHNOP_expand_array: {
        struct evtchn_expand_array a;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        return -EOPNOTSUPP; /* Xen's answer while FIFO is not initialised */
    }
    case EVTCHNOP_set_priority: {
        struct evtchn_set_priority a;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        if (!port_entry(d, a.port))
            return -EINVAL;
        return -ENOSYS; /* the 2-level ABI has no priorities */
    }
    default:
        return -ENOSYS;
    }
}

long do_event_channel_op_compat(unsigned long op, unsigned long a2, unsigned long a3,
                                unsigned long a4, unsigned long a5)
{
    struct evtchn_op o;

    (void)a2, (void)a3, (void)a4, (void)a5;
    if (copy_from_guest(&o, op, sizeof(o)))
        return -EFAULT;
    switch (o.cmd) {
    case EVTCHNOP_bind_interdomain:
    case EVTCHNOP_bind_virq:
    case EVTCHNOP_bind_pirq:
    case EVTCHNOP_close:
    case EVTCHNOP_send:
    case EVTCHNOP_status:
    case EVTCHNOP_alloc_unbound:
    case EVTCHNOP_bind_ipi:
    case EVTCHNOP_bind_vcpu:
    case EVTCHNOP_unmask:
        return do_event_channel_op(o.cmd, op + offsetof(struct evtchn_op, u), 0, 0, 0);
    default:
        return -ENOSYS;
    }
}

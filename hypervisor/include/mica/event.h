/*
 * Event channels, Xen's two-level ABI (xen/event_channel.h; xen.h shared_info evtchn_pending /
 * evtchn_mask, vcpu_info evtchn_upcall_pending / evtchn_upcall_mask / evtchn_pending_sel).
 *
 * Each domain has up to EVTCHN_2L_NR_CHANNELS ports (xen.h: 4096 for a 64-bit guest); port 0
 * is reserved, as in Xen. A port is free, unbound (waiting for a named remote domain to bind it),
 * interdomain (joined to a remote domain's port), a VIRQ (a virtual interrupt of one vCPU or a
 * global one), an IPI, or a physical IRQ (pirq, not bindable yet). The state machine is portable C
 * (common/event_channel.c), tested on the host (tests/unit/test_event_channel.c); delivering
 * the upcall is the arch side's job, started through vcpu_kick(). docs/abi-events.md lists
 * the rules and mica's deviations from Xen 4.17.
 */
#ifndef MICA_EVENT_H
#define MICA_EVENT_H

#include <mica/types.h>
#include <xen/event_channel.h>
#include <xen/xen.h>

struct domain;
struct vcpu;

/**
 * Ports come into existence in buckets of this many, as Xen's EVTCHNS_PER_BUCKET on x86-64
 * (a page of 64-byte struct evtchn). Ports at or above the domain's valid_ports do not exist
 * and give -EINVAL even to EVTCHNOP_status; a free port below it reads as closed. Keeping
 * Xen's granularity keeps the answers to probes identical.
 */
#define EVTCHN_BUCKET_PORTS 64

/** Continuation of a preempted EVTCHNOP_reset: Xen-internal (event_channel.h, __XEN__ only). */
#define EVTCHNOP_RESET_CONT 14

/** Port states (Xen's ECS_* values, xen/sched.h). */
enum evtchn_state {
    ECS_FREE = 0,        /* available */
    ECS_RESERVED = 1,    /* port 0: never bound */
    ECS_UNBOUND = 2,     /* waiting for remote_dom to bind it */
    ECS_INTERDOMAIN = 3, /* joined to port u of domain remote_dom */
    ECS_PIRQ = 4,        /* physical IRQ u (EVTCHNOP_bind_pirq: not yet) */
    ECS_VIRQ = 5,        /* virtual IRQ u */
    ECS_IPI = 6,         /* inter-processor event of vCPU notify_vcpu_id */
};

/** One port: 8 bytes, so a page holds EVTCHN_PAGE_PORTS of them. */
struct evtchn {
    uint8_t state;          /* enum evtchn_state */
    uint8_t notify_vcpu_id; /* vCPU the event is signalled to (always 0 while uniprocessor) */
    domid_t remote_dom;     /* UNBOUND: the domain allowed to bind; INTERDOMAIN: the peer */
    uint32_t u;             /* INTERDOMAIN: the peer's port; VIRQ: the VIRQ; PIRQ: the pirq */
};

/** Ports held by one page of the port table. */
#define EVTCHN_PAGE_PORTS (PAGE_SIZE / sizeof(struct evtchn))
/** Pages of the port table (allocated on first use). */
#define EVTCHN_NR_PAGES (EVTCHN_2L_NR_CHANNELS / EVTCHN_PAGE_PORTS)

/**
 * Per-domain event counters, for measurement (DESIGN.md §2.5). Every notification of one of
 * the domain's ports counts in @raised and then in exactly one of @upcalls, @already_pending,
 * @masked or @coalesced.
 */
struct evtchn_stats {
    uint64_t send_ops;        /* EVTCHNOP_send calls by this domain that succeeded */
    uint64_t raised;          /* notifications of this domain's ports (evtchn_set_pending) */
    uint64_t upcalls;         /* ... that set evtchn_upcall_pending from clear (vcpu_kick) */
    uint64_t already_pending; /* ... suppressed: the port was already pending */
    uint64_t masked;          /* ... suppressed: newly pending but masked (evtchn_mask) */
    uint64_t coalesced;       /* ... newly pending and unmasked, but the selector bit or the
                                 upcall was already pending: no new upcall needed */
    uint64_t unmask_upcalls;  /* upcalls raised by EVTCHNOP_unmask of a pending port */
};

/** A domain's event-channel state (struct domain's evtchn field). */
struct evtchn_domain {
    struct evtchn *page[EVTCHN_NR_PAGES]; /* port table, EVTCHN_PAGE_PORTS a page, or NULL */
    mfn_t page_mfn[EVTCHN_NR_PAGES];      /* their frames, for freeing */
    unsigned int valid_ports;             /* ports [0, valid_ports) exist (Xen's valid_evtchns) */
    unsigned int active_ports;            /* ports not free, port 0 apart */
    bool dying;                           /* evtchn_destroy() ran: no new ports */
    struct evtchn_stats stats;
};

/** A vCPU's event-channel state (struct vcpu's evtchn field). */
struct evtchn_vcpu {
    uint16_t virq_to_evtchn[NR_VIRQS]; /* port bound to each VIRQ, 0 = none (global VIRQs:
                                          in vCPU 0's table, as Xen) */
};

/**
 * Set up @d's ports: port 0 reserved, ports [0, EVTCHN_BUCKET_PORTS) valid, all others
 * absent; counters zero. Call once from domain_create() after the vCPU exists. Returns 0 or
 * -ENOMEM.
 */
int evtchn_init(struct domain *d);

/**
 * A domain dies: close every port (each interdomain peer's port reverts to unbound, naming
 * @d, as Xen's evtchn_destroy), refuse new ports from now on, and raise VIRQ_DOM_EXC in
 * dom0. The port table's frames stay (a dead domain can still be asked for a port's
 * status: closed). Call from domain_shutdown() while @d's shared_info is still mapped.
 */
void evtchn_destroy(struct domain *d);

/**
 * The domain builder's EVTCHNOP_alloc_unbound on @d's behalf (no caller, no permission
 * check): a free port of @d that domain @remote may bind. Returns the port, or -ENOSPC.
 */
int evtchn_alloc_unbound_for(struct domain *d, domid_t remote);

/**
 * Signal @port of @v's domain to @v, by the 2-level rules (event_2l.c): set the port's
 * pending bit in shared_info; if it was clear and the port is not masked, set the
 * selector bit port/64 in @v's evtchn_pending_sel and, if that was clear too,
 * evtchn_upcall_pending; if that was clear, vcpu_kick(@v). Wakes a vCPU polling the port
 * (evtchn_check_pollers) whenever the bit goes from clear to set. Does nothing if the port
 * is free or reserved. Bit updates are atomic: the guest reads and clears them concurrently.
 */
void evtchn_set_pending(struct vcpu *v, unsigned int port);

/**
 * Raise VIRQ @virq (xen.h VIRQ_*) for @v: a per-vCPU VIRQ (VIRQ_TIMER, VIRQ_DEBUG, ...) in
 * @v's table, a global one in vCPU 0's of @v's domain. Returns 0 if a port is bound to it
 * (the event was raised, perhaps suppressed), -ENOENT if none is, -EINVAL if @virq >= NR_VIRQS.
 */
int send_guest_virq(struct vcpu *v, unsigned int virq);

/**
 * Raise global VIRQ @virq (VIRQ_DOM_EXC, VIRQ_CONSOLE, ...) in the hardware domain (dom0),
 * as Xen's send_global_virq() without per-VIRQ handler domains. Nothing happens if dom0
 * does not exist or has not bound it.
 */
void send_global_virq(unsigned int virq);

/** True if @port of @d exists, is bound (not free or reserved) and is pending. */
bool evtchn_port_is_pending(struct domain *d, unsigned int port);

/**
 * For SCHEDOP_poll (Xen's evtchn_port_poll): 1 if @port of @d is pending, 0 if it is bound
 * and not pending, -EINVAL if it does not exist or is free or reserved.
 */
int evtchn_port_poll(struct domain *d, unsigned int port);

/** True if VIRQ @virq has a port in @v's table (global VIRQs: vCPU 0's). */
bool evtchn_virq_enabled(const struct vcpu *v, unsigned int virq);

/*
 * Implemented by the scheduler (common/sched.c); declared here too so that this header
 * says everything event_channel.c needs.
 */

/** Events became pending for @v: wake it if blocked (the upcall follows on its next entry). */
void vcpu_kick(struct vcpu *v);

/** Port @port of @d became pending: wake a vCPU polling it (SCHEDOP_poll). */
void evtchn_check_pollers(struct domain *d, unsigned int port);

/**
 * HYPERVISOR_event_channel_op(cmd, arg) (hypercall 32, xen/event_channel.h). @cmd is an
 * int (upper register bits ignored, as Xen); @arg points at the EVTCHNOP_* argument
 * structure, copied in and, for the ops with OUT fields, copied back whole. Returns 0 or
 * Xen's error for each misuse: -EFAULT (argument unreadable, or unwritable on the way back:
 * the port stays allocated, as Xen), -EINVAL (no such port, wrong state, bad VIRQ),
 * -ESRCH (no such domain), -EPERM (another domain's ports without privilege), -EEXIST (VIRQ
 * already bound), -ENOENT (no such vCPU), -ENOSPC (no free port), -ENOMEM, -EBUSY
 * (reset_cont with no reset in progress), -EOPNOTSUPP (expand_array without FIFO), -ENOSYS
 * (unknown op, bind_pirq, init_control: mica has no FIFO ABI, set_priority).
 */
long do_event_channel_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                         unsigned long a5);

/**
 * HYPERVISOR_event_channel_op_compat(op) (hypercall 16, the pre-3.2 form): @op points at a
 * struct evtchn_op (cmd, then the argument union). The ops Xen's compat entry knows go to
 * do_event_channel_op() with a pointer to the union; others give -ENOSYS.
 */
long do_event_channel_op_compat(unsigned long op, unsigned long a2, unsigned long a3,
                                unsigned long a4, unsigned long a5);

#endif /* MICA_EVENT_H */

/*
 * Event channels in the guest: Xen's two-level event ABI (xen.h, comments
 * on struct shared_info and struct vcpu_info; event_channel.h).
 *
 * The hypervisor marks a port pending in shared_info->evtchn_pending, and
 * for an unmasked port also the port's word in vcpu_info's
 * evtchn_pending_sel and evtchn_upcall_pending; if evtchn_upcall_mask is
 * clear it then enters the event callback. evtchn_do_upcall() scans those
 * bits and calls the handler bound to each pending, unmasked port.
 * Handlers run with events masked, on the stack of whatever was
 * interrupted: they must be short, must not block, and must not use stdio
 * (they may interrupt a printf); waking a thread (sched.h) is their usual
 * work.
 *
 * Ports are masked until a handler is bound to them. Every function here
 * that issues a hypercall returns its result: 0 (or a port) on success, a
 * negated Xen error code (xen/errno.h) on failure.
 */
#ifndef PVGUEST_EVENTS_H
#define PVGUEST_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/regs.h>
#include <pvguest/xen.h>

/**
 * A port's handler: `regs` is the interrupted context, or NULL when the
 * dispatch ran outside the event callback (after an unmask found pending
 * work); `data` is what was given when binding.
 */
typedef void (*evtchn_handler_t)(evtchn_port_t port, struct pt_regs *regs, void *data);

/**
 * Mask every port, then enable event delivery on this vCPU (clear
 * evtchn_upcall_mask). The event callback must be registered first
 * (traps_init()).
 */
void events_init(void);

/** The event callback's C half: dispatch every pending, unmasked port (events masked). */
void evtchn_do_upcall(struct pt_regs *regs);

/**
 * Attach `handler` (with `data`) to `port` and unmask the port with
 * EVTCHNOP_unmask, so an event already pending is delivered at once.
 * Returns 0, -EINVAL for a port beyond the two-level ABI's
 * EVTCHN_2L_NR_CHANNELS, or the hypercall's error.
 */
long evtchn_bind_handler(evtchn_port_t port, evtchn_handler_t handler, void *data);

/** Detach the handler of `port` and mask it (the port stays open). */
void evtchn_unbind_handler(evtchn_port_t port);

/**
 * EVTCHNOP_bind_virq: bind VIRQ `virq` (xen.h, VIRQ_*) of vCPU 0 to a new
 * port, attach `handler` and unmask it. Returns the port (>= 0) or an error
 * (-EEXIST if the VIRQ is already bound, -EINVAL for a bad VIRQ).
 */
long evtchn_bind_virq(uint32_t virq, evtchn_handler_t handler, void *data);

/**
 * EVTCHNOP_alloc_unbound: a new port of this domain that domain `remote`
 * (or DOMID_SELF) may bind with bind_interdomain. No handler is attached
 * and the port stays masked. Returns the port or an error.
 */
long evtchn_alloc_unbound(domid_t remote);

/**
 * EVTCHNOP_bind_interdomain: a new local port connected to `remote_port`
 * of domain `remote` (DOMID_SELF for a loop within this domain, as Xen
 * allows), with `handler` attached and unmasked. Returns the local port or
 * an error (-EINVAL if the remote port is not unbound for us, -ESRCH for an
 * unknown domain).
 */
long evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, evtchn_handler_t handler,
                             void *data);

/** EVTCHNOP_send: notify the other end of `port`. Returns 0 or an error. */
long evtchn_send(evtchn_port_t port);

/** Detach the handler, mask, and EVTCHNOP_close `port`. Returns 0 or an error. */
long evtchn_close(evtchn_port_t port);

/** Set the mask bit of `port` in shared_info (no hypercall, as xen.h says the guest does). */
void evtchn_mask(evtchn_port_t port);

/**
 * EVTCHNOP_unmask: clear the mask bit; if the port is pending, the
 * hypervisor raises the upcall again (event_channel.h). Returns 0 or an error.
 */
long evtchn_unmask(evtchn_port_t port);

/** Whether `port` is pending in shared_info. */
bool evtchn_is_pending(evtchn_port_t port);

/** Whether `port` is masked in shared_info. */
bool evtchn_is_masked(evtchn_port_t port);

/** Ports dispatched to a handler, and pending ports that had none, since boot. */
struct evtchn_stats {
    unsigned long upcalls;    /* entries of evtchn_do_upcall */
    unsigned long dispatched; /* handler calls */
    unsigned long unhandled;  /* pending, unmasked ports without a handler */
};

/** The dispatch counters (read them with events masked for a consistent set). */
extern struct evtchn_stats evtchn_stats;

/*
 * Masking event delivery on this vCPU (vcpu_info.evtchn_upcall_mask), the
 * guest's equivalent of cli/sti. Only this vCPU writes the mask, so plain
 * stores suffice (xen.h).
 */

/** Mask event delivery; return the previous mask (0 or 1) for local_irq_restore(). */
unsigned long local_irq_save(void);

/**
 * Restore the mask `flags` from local_irq_save(). When that unmasks events
 * and an upcall is pending, dispatch it now, since the hypervisor will not
 * re-enter the callback for it until its next exit to the guest.
 */
void local_irq_restore(unsigned long flags);

/** Mask event delivery. */
void local_irq_disable(void);

/** Unmask event delivery and dispatch any pending upcall (as local_irq_restore(0)). */
void local_irq_enable(void);

/** Whether event delivery is masked on this vCPU. */
bool local_irq_is_masked(void);

/** vCPU 0's vcpu_info in shared_info (this kernel runs on one vCPU). */
vcpu_info_t *this_vcpu_info(void);

#endif /* PVGUEST_EVENTS_H */

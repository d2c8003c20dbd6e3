/*
 * evt_util.h — small event-channel and time helpers for the probes evt_pingpong.c and
 * evt_timer.c. They depend only on libpvboot.a (start_info, shared_info, console) and Xen's
 * public headers, not on the guest kernel's event dispatch or threads.
 *
 * Every helper works with events masked: evtchn_upcall_mask = 1 (so no upcall is ever
 * delivered) and, after evt_mask_all_ports(), every port masked too. Waiting is done with
 * SCHEDOP_poll, which wakes on a polled port's pending bit whether the port is masked or not
 * (xen/sched.h; Xen's evtchn_check_pollers), and the pending bits are read and cleared here.
 *
 * For SCHEDOP_block, which clears the upcall mask and returns only for an event that would
 * be delivered, evt_register_callback() installs evt_callback, a minimal event callback that
 * counts the upcall and clears evtchn_upcall_pending, leaving the port bits to the probe.
 *
 * Include after probe.h (which defines P() and rc_str()), once per probe image (the header
 * defines evt_callback and evt_upcalls).
 */
#ifndef TESTS_GUESTS_EVT_UTIL_H
#define TESTS_GUESTS_EVT_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <pvguest/boot.h>
#include <pvguest/hypercall.h>

/** vCPU 0's vcpu_info in this domain's shared_info (xen.h). */
static inline struct vcpu_info *evt_vcpu(void)
{
    return &HYPERVISOR_shared_info->vcpu_info[0];
}

/** The TSC (rdtsc runs unprivileged on Xen and mica). */
static inline uint64_t evt_rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/**
 * System time in ns since the hypervisor booted, from vCPU 0's vcpu_time_info under its
 * version protocol (xen.h, struct vcpu_time_info: retry while the version is odd or changed):
 * system_time + (((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32.
 */
static inline uint64_t evt_now_ns(void)
{
    const volatile struct vcpu_time_info *t = &evt_vcpu()->time;
    uint32_t version, mul;
    uint64_t stamp, base, tsc;
    int8_t shift;

    do {
        version = t->version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        stamp = t->tsc_timestamp;
        base = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        tsc = evt_rdtsc();
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((version & 1) || version != t->version);

    uint64_t delta = tsc - stamp;
    delta = shift < 0 ? delta >> -shift : delta << shift;
    return base + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/** Mask every port (the guest owns shared_info.evtchn_mask; xen.h). */
static inline void evt_mask_all_ports(void)
{
    for (unsigned int i = 0; i < sizeof(HYPERVISOR_shared_info->evtchn_mask) / sizeof(xen_ulong_t);
         i++)
        __atomic_store_n(&HYPERVISOR_shared_info->evtchn_mask[i], ~(xen_ulong_t)0,
                         __ATOMIC_SEQ_CST);
}

/** Set or clear @port's mask bit directly (no hypercall: nothing is re-raised). */
static inline void evt_set_mask(unsigned int port, bool on)
{
    xen_ulong_t bit = (xen_ulong_t)1 << (port % 64);

    if (on)
        __atomic_fetch_or(&HYPERVISOR_shared_info->evtchn_mask[port / 64], bit, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&HYPERVISOR_shared_info->evtchn_mask[port / 64], ~bit, __ATOMIC_SEQ_CST);
}

/** Whether @port's pending bit is set. */
static inline bool evt_pending(unsigned int port)
{
    return (__atomic_load_n(&HYPERVISOR_shared_info->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) >>
            (port % 64)) &
           1;
}

/** Clear @port's pending bit; returns whether it was set. */
static inline bool evt_test_and_clear(unsigned int port)
{
    xen_ulong_t bit = (xen_ulong_t)1 << (port % 64);

    return (__atomic_fetch_and(&HYPERVISOR_shared_info->evtchn_pending[port / 64], ~bit,
                               __ATOMIC_SEQ_CST) &
            bit) != 0;
}

/** Pending bits of ports 0-63 (the only ports these probes use). */
static inline xen_ulong_t evt_pending_word0(void)
{
    return __atomic_load_n(&HYPERVISOR_shared_info->evtchn_pending[0], __ATOMIC_SEQ_CST);
}

/** Clear the vCPU's selector and upcall-pending flags (after the port bits were handled). */
static inline void evt_clear_upcall(void)
{
    __atomic_store_n(&evt_vcpu()->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&evt_vcpu()->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
}

/** EVTCHNOP_alloc_unbound in @dom for @remote (event_channel.h); port or -errno. */
static inline long evt_alloc_unbound(domid_t dom, domid_t remote)
{
    struct evtchn_alloc_unbound a = {.dom = dom, .remote_dom = remote};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a);

    return rc ? rc : (long)a.port;
}

/** EVTCHNOP_bind_interdomain to @rport of @rdom; the new local port or -errno. */
static inline long evt_bind_interdomain(domid_t rdom, evtchn_port_t rport)
{
    struct evtchn_bind_interdomain b = {.remote_dom = rdom, .remote_port = rport};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b);

    return rc ? rc : (long)b.local_port;
}

/** EVTCHNOP_bind_virq @virq on vCPU 0; the port or -errno. */
static inline long evt_bind_virq(uint32_t virq)
{
    struct evtchn_bind_virq b = {.virq = virq, .vcpu = 0};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b);

    return rc ? rc : (long)b.port;
}

/** EVTCHNOP_send on @port; 0 or -errno. */
static inline long evt_send(evtchn_port_t port)
{
    struct evtchn_send s = {.port = port};

    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

/** EVTCHNOP_unmask @port (re-raises it if pending); 0 or -errno. */
static inline long evt_unmask(evtchn_port_t port)
{
    struct evtchn_unmask u = {.port = port};

    return HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &u);
}

/**
 * EVTCHNOP_status of @port in this domain, formatted into @buf ("unbound dom 1",
 * "interdomain dom 1 port 2", "virq 3", "closed", ...). Returns 0 or -errno.
 */
static inline long evt_status(evtchn_port_t port, char *buf, size_t size)
{
    struct evtchn_status s;
    long rc;

    memset(&s, 0, sizeof(s));
    s.dom = DOMID_SELF;
    s.port = port;
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_status, &s);
    if (rc) {
        snprintf(buf, size, "-");
        return rc;
    }
    switch (s.status) {
    case EVTCHNSTAT_closed:
        snprintf(buf, size, "closed");
        break;
    case EVTCHNSTAT_unbound:
        snprintf(buf, size, "unbound dom %u", s.u.unbound.dom);
        break;
    case EVTCHNSTAT_interdomain:
        snprintf(buf, size, "interdomain dom %u port %u", s.u.interdomain.dom,
                 s.u.interdomain.port);
        break;
    case EVTCHNSTAT_virq:
        snprintf(buf, size, "virq %u", s.u.virq);
        break;
    default:
        snprintf(buf, size, "status %u", s.status);
    }
    return 0;
}

/**
 * SCHEDOP_poll on @nr ports with @timeout in absolute system time (0 = none; sched.h).
 * Returns 0 when a port is pending, the timeout passed or the vCPU was woken otherwise
 * (the caller looks at the bits), or -errno.
 */
static inline long evt_poll(evtchn_port_t *ports, unsigned int nr, uint64_t timeout)
{
    struct sched_poll p = {.nr_ports = nr, .timeout = timeout};

    set_xen_guest_handle(p.ports, ports);
    return HYPERVISOR_sched_op(SCHEDOP_poll, &p);
}

#define EVT_STR_(x) #x
#define EVT_STR(x)  EVT_STR_(x)

/** Upcalls taken by evt_callback. */
volatile unsigned long evt_upcalls;

/*
 * The event callback (CALLBACKTYPE_event). The hypervisor enters it with the PV64 bounce
 * frame RCX, R11, RIP, CS, RFLAGS, RSP, SS on the stack (arch-x86/xen-x86_64.h) and events
 * masked. It pops RCX and R11 (their interrupted values, which the iret stub pushes again),
 * counts the upcall, clears vcpu_info[0].evtchn_upcall_pending (the first byte of
 * shared_info) so that the return does not re-enter it, and returns through the hypercall
 * page's iret stub with iret_context.flags = 0; HYPERVISOR_iret restores the upcall mask from
 * the frame's RFLAGS.IF. Port bits and evtchn_pending_sel are left for the probe to read.
 * Every other register is preserved.
 */
extern const char evt_callback[];
__asm__(".pushsection .text\n"
        ".globl evt_callback\n"
        "evt_callback:\n\t"
        "pop %rcx\n\t"
        "pop %r11\n\t"
        "push %rax\n\t"
        "lock incq evt_upcalls(%rip)\n\t"
        "movq HYPERVISOR_shared_info(%rip), %rax\n\t"
        "movb $0, (%rax)\n\t"
        "pop %rax\n\t"
        "push $0\n\t"
        "jmp hypercall_page + " EVT_STR(__HYPERVISOR_iret) " * 32\n"
                                                           ".popsection");

/** Register evt_callback as the event callback (callback.h, CALLBACKOP_register); 0 or -errno. */
static inline long evt_register_callback(void)
{
    struct callback_register cb = {.type = CALLBACKTYPE_event,
                                   .address = (unsigned long)evt_callback};

    return HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
}

#endif /* TESTS_GUESTS_EVT_UTIL_H */

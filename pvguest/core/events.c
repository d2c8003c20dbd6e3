/*
 * Event channels in the guest: dispatch from the two-level pending bitmaps
 * to per-port handlers, the EVTCHNOP_* helpers, and masking of event
 * delivery (xen.h: struct shared_info, struct vcpu_info; event_channel.h).
 */
#include <xen/errno.h>

#include <arch/cpu.h>
#include <pvguest/boot.h>
#include <pvguest/events.h>
#include <pvguest/hypercall.h>

/* Ports in the two-level ABI: one bit per port in 64 words of 64 bits (x86-64). */
#define NR_PORTS      EVTCHN_2L_NR_CHANNELS
#define BITS_PER_WORD (sizeof(xen_ulong_t) * 8)

struct port_binding {
    evtchn_handler_t handler;
    void *data;
};

static struct port_binding bindings[NR_PORTS];

struct evtchn_stats evtchn_stats;

vcpu_info_t *this_vcpu_info(void)
{
    return &HYPERVISOR_shared_info->vcpu_info[0];
}

static volatile unsigned long *pending_words(void)
{
    return (volatile unsigned long *)HYPERVISOR_shared_info->evtchn_pending;
}

static volatile unsigned long *mask_words(void)
{
    return (volatile unsigned long *)HYPERVISOR_shared_info->evtchn_mask;
}

/*
 * Scan the selector, then each selected word's pending & ~mask bits, lowest
 * port first. Each port's pending bit is cleared before its handler runs,
 * so an event that arrives during the handler marks it pending again and is
 * not lost. The selector is taken with one atomic exchange: the hypervisor
 * may set bits in it at any time (xen.h).
 */
static void dispatch_pending(struct pt_regs *regs)
{
    vcpu_info_t *vcpu = this_vcpu_info();
    volatile unsigned long *pending = pending_words();
    volatile unsigned long *mask = mask_words();

    evtchn_stats.upcalls++;
    do {
        /* Cleared before the scan (xen.h): a new event sets it again. */
        WRITE_ONCE(vcpu->evtchn_upcall_pending, 0);
        unsigned long sel = xchg_ulong((volatile unsigned long *)&vcpu->evtchn_pending_sel, 0);

        while (sel != 0) {
            unsigned int word = (unsigned int)__builtin_ctzl(sel);

            sel &= sel - 1;
            unsigned long bits;
            while ((bits = pending[word] & ~mask[word]) != 0) {
                unsigned int bit = (unsigned int)__builtin_ctzl(bits);
                evtchn_port_t port = word * BITS_PER_WORD + bit;

                sync_clear_bit(bit, &pending[word]);
                if (bindings[port].handler) {
                    evtchn_stats.dispatched++;
                    bindings[port].handler(port, regs, bindings[port].data);
                } else {
                    evtchn_stats.unhandled++;
                }
            }
        }
    } while (READ_ONCE(vcpu->evtchn_upcall_pending));
}

void evtchn_do_upcall(struct pt_regs *regs)
{
    dispatch_pending(regs);
}

unsigned long local_irq_save(void)
{
    vcpu_info_t *vcpu = this_vcpu_info();
    unsigned long flags = READ_ONCE(vcpu->evtchn_upcall_mask);

    WRITE_ONCE(vcpu->evtchn_upcall_mask, 1);
    barrier();
    return flags;
}

/*
 * Unmasking races with an event that arrived while masked: the hypervisor
 * set evtchn_upcall_pending but did not enter the callback. Check it after
 * the unmask, and run the dispatch ourselves (masked again, as the callback
 * would run) until nothing is pending.
 */
void local_irq_restore(unsigned long flags)
{
    vcpu_info_t *vcpu = this_vcpu_info();

    barrier();
    WRITE_ONCE(vcpu->evtchn_upcall_mask, (uint8_t)flags);
    if (flags != 0)
        return;
    mb(); /* the unmask is visible before we look at pending */
    while (READ_ONCE(vcpu->evtchn_upcall_pending)) {
        WRITE_ONCE(vcpu->evtchn_upcall_mask, 1);
        barrier();
        dispatch_pending(NULL);
        barrier();
        WRITE_ONCE(vcpu->evtchn_upcall_mask, 0);
        mb();
    }
}

void local_irq_disable(void)
{
    (void)local_irq_save();
}

void local_irq_enable(void)
{
    local_irq_restore(0);
}

bool local_irq_is_masked(void)
{
    return READ_ONCE(this_vcpu_info()->evtchn_upcall_mask) != 0;
}

void events_init(void)
{
    volatile unsigned long *mask = mask_words();

    for (unsigned int i = 0; i < NR_PORTS / BITS_PER_WORD; i++)
        mask[i] = ~0UL;
    wmb();
    local_irq_enable();
}

void evtchn_mask(evtchn_port_t port)
{
    if (port < NR_PORTS)
        sync_set_bit(port, mask_words());
}

bool evtchn_is_pending(evtchn_port_t port)
{
    return port < NR_PORTS && sync_test_bit(port, pending_words());
}

bool evtchn_is_masked(evtchn_port_t port)
{
    return port < NR_PORTS && sync_test_bit(port, mask_words());
}

long evtchn_unmask(evtchn_port_t port)
{
    struct evtchn_unmask op = {.port = port};

    return HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
}

long evtchn_bind_handler(evtchn_port_t port, evtchn_handler_t handler, void *data)
{
    if (port >= NR_PORTS)
        return -XEN_EINVAL;
    unsigned long flags = local_irq_save();
    bindings[port].handler = handler;
    bindings[port].data = data;
    local_irq_restore(flags);
    return evtchn_unmask(port);
}

void evtchn_unbind_handler(evtchn_port_t port)
{
    if (port >= NR_PORTS)
        return;
    evtchn_mask(port);
    unsigned long flags = local_irq_save();
    bindings[port].handler = NULL;
    bindings[port].data = NULL;
    local_irq_restore(flags);
}

/* A port the hypervisor just returned: attach the handler, or close it again on failure. */
static long bind_new_port(evtchn_port_t port, evtchn_handler_t handler, void *data)
{
    long rc = evtchn_bind_handler(port, handler, data);

    if (rc < 0) {
        struct evtchn_close close = {.port = port};

        evtchn_unbind_handler(port);
        HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
        return rc;
    }
    return (long)port;
}

long evtchn_bind_virq(uint32_t virq, evtchn_handler_t handler, void *data)
{
    struct evtchn_bind_virq op = {.virq = virq, .vcpu = 0};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);

    if (rc < 0)
        return rc;
    return bind_new_port(op.port, handler, data);
}

long evtchn_alloc_unbound(domid_t remote)
{
    struct evtchn_alloc_unbound op = {.dom = DOMID_SELF, .remote_dom = remote};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);

    if (rc < 0)
        return rc;
    evtchn_mask(op.port);
    return (long)op.port;
}

long evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, evtchn_handler_t handler,
                             void *data)
{
    struct evtchn_bind_interdomain op = {.remote_dom = remote, .remote_port = remote_port};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);

    if (rc < 0)
        return rc;
    return bind_new_port(op.local_port, handler, data);
}

long evtchn_send(evtchn_port_t port)
{
    struct evtchn_send op = {.port = port};

    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

long evtchn_close(evtchn_port_t port)
{
    struct evtchn_close op = {.port = port};

    evtchn_unbind_handler(port);
    return HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

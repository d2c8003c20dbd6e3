/*
 * probe_evtchn: event channels (two-level ABI) as dom0 sees them, on Xen 4.17 and mica.
 * Every EVTCHNOP and its misuses; the pending / selector / upcall bits after sends with the
 * port masked and unmasked; unmask re-raising; close reverting a peer; port buckets;
 * exhaustion; reset; the compat hypercall. Events stay masked (evtchn_upcall_mask = 1), so
 * only the bits are looked at.
 */
#define PROBE_NAME "probe_evtchn"

#include <stdbool.h>
#include <string.h>

#include "probe.h"

static long ev(int cmd, void *arg)
{
    return HYPERVISOR_event_channel_op(cmd, arg);
}

static long alloc_unbound(domid_t dom, domid_t remote, const char *what)
{
    struct evtchn_alloc_unbound a = {.dom = dom, .remote_dom = remote, .port = 0xdead};
    long rc = ev(EVTCHNOP_alloc_unbound, &a);
    P("alloc_unbound(%s) = %s port %u", what, rc_str(rc), rc ? 0 : a.port);
    return rc ? rc : a.port;
}

static long bind_interdomain(domid_t rdom, uint32_t rport, const char *what)
{
    struct evtchn_bind_interdomain b = {.remote_dom = rdom, .remote_port = rport};
    long rc = ev(EVTCHNOP_bind_interdomain, &b);
    P("bind_interdomain(%s) = %s local_port %u", what, rc_str(rc), rc ? 0 : b.local_port);
    return rc ? rc : b.local_port;
}

static long bind_virq(uint32_t virq, uint32_t vcpu)
{
    struct evtchn_bind_virq b = {.virq = virq, .vcpu = vcpu};
    long rc = ev(EVTCHNOP_bind_virq, &b);
    P("bind_virq(virq %d, vcpu %d) = %s port %u", (int)virq, (int)vcpu, rc_str(rc),
      rc ? 0 : b.port);
    return rc ? rc : b.port;
}

static long bind_ipi(uint32_t vcpu)
{
    struct evtchn_bind_ipi b = {.vcpu = vcpu};
    long rc = ev(EVTCHNOP_bind_ipi, &b);
    P("bind_ipi(vcpu %d) = %s port %u", (int)vcpu, rc_str(rc), rc ? 0 : b.port);
    return rc ? rc : b.port;
}

static long port_op(int cmd, const char *name, uint32_t port)
{
    struct evtchn_send s = {.port = port};
    long rc = ev(cmd, &s);
    P("%s(port %u) = %s", name, port, rc_str(rc));
    return rc;
}

#define evsend(p)   port_op(EVTCHNOP_send, "send", (p))
#define evclose(p)  port_op(EVTCHNOP_close, "close", (p))
#define evunmask(p) port_op(EVTCHNOP_unmask, "unmask", (p))

static void status(domid_t dom, uint32_t port)
{
    struct evtchn_status s;
    long rc;

    memset(&s, 0, sizeof(s));
    s.dom = dom;
    s.port = port;
    rc = ev(EVTCHNOP_status, &s);
    if (rc) {
        P("status(dom %#x, port %u) = %s", dom, port, rc_str(rc));
        return;
    }
    switch (s.status) {
    case EVTCHNSTAT_unbound:
        P("status(dom %#x, port %u) = 0 unbound dom %u vcpu %u", dom, port, s.u.unbound.dom,
          s.vcpu);
        break;
    case EVTCHNSTAT_interdomain:
        P("status(dom %#x, port %u) = 0 interdomain dom %u port %u vcpu %u", dom, port,
          s.u.interdomain.dom, s.u.interdomain.port, s.vcpu);
        break;
    case EVTCHNSTAT_virq:
        P("status(dom %#x, port %u) = 0 virq %u vcpu %u", dom, port, s.u.virq, s.vcpu);
        break;
    default:
        P("status(dom %#x, port %u) = 0 status %u vcpu %u", dom, port, s.status, s.vcpu);
    }
}

static long bind_vcpu(uint32_t port, uint32_t vcpu)
{
    struct evtchn_bind_vcpu b = {.port = port, .vcpu = vcpu};
    long rc = ev(EVTCHNOP_bind_vcpu, &b);
    P("bind_vcpu(port %u, vcpu %u) = %s", port, vcpu, rc_str(rc));
    return rc;
}

static long reset(int cmd, domid_t dom)
{
    struct evtchn_reset r = {.dom = dom};
    long rc = ev(cmd, &r);
    P("%s(dom %#x) = %s", cmd == EVTCHNOP_reset ? "reset" : "reset_cont", dom, rc_str(rc));
    return rc;
}

/* ---- The bits ---- */

static struct vcpu_info *vi(void)
{
    return &HYPERVISOR_shared_info->vcpu_info[0];
}

static void clear_bits(void)
{
    vi()->evtchn_upcall_pending = 0;
    vi()->evtchn_pending_sel = 0;
    memset(HYPERVISOR_shared_info->evtchn_pending, 0,
           sizeof(HYPERVISOR_shared_info->evtchn_pending));
}

static void set_mask(unsigned int port, bool on)
{
    unsigned long m = 1UL << (port % 64);
    if (on)
        __atomic_fetch_or(&HYPERVISOR_shared_info->evtchn_mask[port / 64], m, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&HYPERVISOR_shared_info->evtchn_mask[port / 64], ~m, __ATOMIC_SEQ_CST);
}

static void bits(const char *when, unsigned int port)
{
    const shared_info_t *s = HYPERVISOR_shared_info;
    P("  %s: port %u pending %lu mask %lu; pending_sel %#lx upcall_pending %u", when, port,
      (s->evtchn_pending[port / 64] >> (port % 64)) & 1,
      (s->evtchn_mask[port / 64] >> (port % 64)) & 1, (unsigned long)vi()->evtchn_pending_sel,
      vi()->evtchn_upcall_pending);
}

/* ---- The probes ---- */

static void fresh_state(void)
{
    static const uint32_t ports[] = {0, 1, 2, 63, 64, 4095, 4096, 0xffffffffu};

    P("upcall_mask %u", vi()->evtchn_upcall_mask);
    for (unsigned int i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
        status(DOMID_SELF, ports[i]);
    status(1, 0);
    status(DOMID_XEN, 0);
    status(0, 1);
    evclose(0);
    evsend(0);
    evunmask(0);
    evunmask(5);
    evunmask(64);
    bind_vcpu(0, 0);
    P("op 15 = %s", rc_str(ev(15, NULL)));
    P("op 99 = %s", rc_str(ev(99, NULL)));
    P("op -1 = %s", rc_str(ev(-1, NULL)));
    for (int cmd = 0; cmd <= 13; cmd++)
        P("op %d(NULL) = %s", cmd, rc_str(ev(cmd, NULL)));
}

static void loopback_and_bits(void)
{
    long a, b;

    a = alloc_unbound(DOMID_SELF, DOMID_SELF, "SELF, SELF");
    status(DOMID_SELF, (uint32_t)a);
    clear_bits();
    b = bind_interdomain(DOMID_SELF, (uint32_t)a, "SELF, a");
    bits("after bind", (uint32_t)b);
    bits("after bind (a)", (uint32_t)a);
    status(DOMID_SELF, (uint32_t)a);
    status(DOMID_SELF, (uint32_t)b);
    bind_interdomain(DOMID_SELF, (uint32_t)a, "SELF, a again");

    clear_bits();
    evsend((uint32_t)a);
    bits("send a, unmasked", (uint32_t)b);
    evsend((uint32_t)a);
    bits("send a again", (uint32_t)b);

    clear_bits();
    set_mask((uint32_t)b, true);
    evsend((uint32_t)a);
    bits("send a, b masked", (uint32_t)b);
    evunmask((uint32_t)b);
    bits("unmask b", (uint32_t)b);
    evunmask((uint32_t)b);
    bits("unmask b again", (uint32_t)b);

    clear_bits();
    set_mask((uint32_t)b, true);
    evunmask((uint32_t)b);
    bits("unmask b, not pending", (uint32_t)b);

    /* Selector already set: no new upcall. */
    clear_bits();
    set_mask((uint32_t)b, true);
    evsend((uint32_t)a);
    vi()->evtchn_pending_sel = 1;
    evunmask((uint32_t)b);
    bits("unmask b, selector already set", (uint32_t)b);

    /* Close: pending cleared, mask kept, peer unbound. */
    clear_bits();
    set_mask((uint32_t)b, true);
    evsend((uint32_t)a);
    evclose((uint32_t)b);
    bits("close b", (uint32_t)b);
    status(DOMID_SELF, (uint32_t)a);
    status(DOMID_SELF, (uint32_t)b);
    evclose((uint32_t)b);
    evsend((uint32_t)a);
    set_mask((uint32_t)b, false);
    b = bind_interdomain(0, (uint32_t)a, "0, a (own id)");
    evclose((uint32_t)a);
    evclose((uint32_t)b);
}

static void alloc_rules(void)
{
    long p;

    p = alloc_unbound(DOMID_SELF, 0, "SELF, 0");
    status(DOMID_SELF, (uint32_t)p);
    evclose((uint32_t)p);
    p = alloc_unbound(0, 100, "0, 100 (no such remote)");
    status(DOMID_SELF, (uint32_t)p);
    evsend((uint32_t)p);
    bind_interdomain(DOMID_SELF, (uint32_t)p, "SELF, port for 100");
    evclose((uint32_t)p);
    alloc_unbound(7, 0, "7 (no such domain), 0");
    alloc_unbound(DOMID_XEN, 0, "DOMID_XEN, 0");
    bind_interdomain(7, 1, "7, 1");
    bind_interdomain(DOMID_SELF, 0, "SELF, 0 (reserved)");
    bind_interdomain(DOMID_SELF, 5, "SELF, 5 (free)");
    bind_interdomain(DOMID_SELF, 64, "SELF, 64 (missing)");
}

static void virq_ipi(void)
{
    long t, c, i, u;

    bind_virq(VIRQ_TIMER, 1);
    bind_virq(VIRQ_DOM_EXC, 1);
    bind_virq(VIRQ_DEBUG, 0xffffffffu);
    bind_virq(NR_VIRQS, 0);
    bind_virq(0xffffffffu, 0);
    c = bind_virq(VIRQ_CONSOLE, 0);
    bind_virq(VIRQ_CONSOLE, 0);
    status(DOMID_SELF, (uint32_t)c);
    bind_virq(5, 0);
    bind_virq(VIRQ_ARCH_0, 0);
    i = bind_ipi(0);
    bind_ipi(1);
    status(DOMID_SELF, (uint32_t)i);
    clear_bits();
    evsend((uint32_t)i);
    bits("send ipi", (uint32_t)i);
    evsend((uint32_t)c);
    u = alloc_unbound(DOMID_SELF, 0, "SELF, 0");
    bind_vcpu((uint32_t)u, 0);
    bind_vcpu((uint32_t)u, 1);
    bind_vcpu((uint32_t)c, 0);
    bind_vcpu((uint32_t)i, 0);
    bind_vcpu(60, 0);
    bind_vcpu(64, 1);
    /* VIRQ_TIMER last: it fires on its own from now on. */
    t = bind_virq(VIRQ_TIMER, 0);
    bind_virq(VIRQ_TIMER, 0);
    bind_vcpu((uint32_t)t, 0);
    evsend((uint32_t)t);
    status(DOMID_SELF, (uint32_t)t);
    evclose((uint32_t)t);
    bind_virq(VIRQ_TIMER, 0);
    {
        struct evtchn_set_priority sp = {.port = (uint32_t)c, .priority = 7};
        struct evtchn_expand_array ea = {0};
        struct evtchn_bind_pirq bp = {.pirq = 100000};
        P("set_priority(port %u) = %s", sp.port, rc_str(ev(EVTCHNOP_set_priority, &sp)));
        sp.port = 4000;
        P("set_priority(port 4000) = %s", rc_str(ev(EVTCHNOP_set_priority, &sp)));
        P("expand_array = %s", rc_str(ev(EVTCHNOP_expand_array, &ea)));
        P("bind_pirq(100000) = %s", rc_str(ev(EVTCHNOP_bind_pirq, &bp)));
    }
    reset(EVTCHNOP_reset, DOMID_SELF);
    for (uint32_t p = 0; p < 12; p++)
        status(DOMID_SELF, p);
    reset(14, DOMID_SELF);
    reset(EVTCHNOP_reset, 7);
    reset(EVTCHNOP_reset, 0);
}

static void buckets_and_exhaustion(void)
{
    long p = 0, n = 0, first = -1;

    status(DOMID_SELF, 64);
    for (;;) {
        struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 0};
        long rc = ev(EVTCHNOP_alloc_unbound, &a);
        if (rc) {
            P("alloc_unbound #%ld = %s (last port %ld, first %ld)", n + 1, rc_str(rc), p, first);
            break;
        }
        p = a.port;
        if (first < 0)
            first = p;
        n++;
        if (p == 63 || p == 64 || p == 127 || p == 128) {
            status(DOMID_SELF, (uint32_t)p + 1);
        }
        if (n > 5000)
            break;
    }
    status(DOMID_SELF, 4095);
    evclose(1000);
    bind_ipi(0);
    bind_virq(VIRQ_DEBUG, 0);
    reset(EVTCHNOP_reset, DOMID_SELF);
    status(DOMID_SELF, 1000);
    status(DOMID_SELF, 4095);
}

static void compat(void)
{
    struct evtchn_op o;
    long rc;

    memset(&o, 0, sizeof(o));
    o.cmd = EVTCHNOP_alloc_unbound;
    o.u.alloc_unbound.dom = DOMID_SELF;
    o.u.alloc_unbound.remote_dom = 0;
    rc = hypercall1(__HYPERVISOR_event_channel_op_compat, (unsigned long)&o);
    P("compat alloc_unbound = %s port %u", rc_str(rc), o.u.alloc_unbound.port);
    o.cmd = EVTCHNOP_reset;
    o.u.alloc_unbound.dom = DOMID_SELF;
    P("compat reset = %s",
      rc_str(hypercall1(__HYPERVISOR_event_channel_op_compat, (unsigned long)&o)));
    o.cmd = 99;
    P("compat 99 = %s",
      rc_str(hypercall1(__HYPERVISOR_event_channel_op_compat, (unsigned long)&o)));
    P("compat NULL = %s", rc_str(hypercall1(__HYPERVISOR_event_channel_op_compat, 0)));
}

int main(void)
{
    fresh_state();
    loopback_and_bits();
    alloc_rules();
    compat();
    virq_ipi();
    buckets_and_exhaustion();
    probe_done();
    return 0;
}

/*
 * mica's debug keys (Ctrl-A then the key; <mica/keyhandler.h>): d domains, c counters,
 * e event channels, q run queue, t toggle tracing, T dump the trace, z zero the counters,
 * m memory footprint (mem_report.c).
 * Output goes to the console at every log level.
 */
#include <arch/guest.h>
#include <arch/time.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/event.h>
#include <mica/hypercall.h>
#include <mica/keyhandler.h>
#include <mica/mem_report.h>
#include <mica/stats.h>
#include <mica/trace.h>
#include <xen/xen.h>

#define say(...) printk_level(LOG_ERR, __VA_ARGS__)

/* The registers of @v as they are now: live in the frame at the stack top for the vCPU that
   was interrupted, saved in the vCPU otherwise. */
static const struct cpu_regs *vcpu_regs(const struct vcpu *v)
{
    return v == current ? guest_cpu_regs() : &v->user_regs;
}

static const char *vcpu_state(const struct vcpu *v)
{
    if (v->domain->state != DOMAIN_RUNNING)
        return "down";
    if (v == current)
        return "running";
    if (v->polling)
        return "polling";
    if (v->blocked)
        return "blocked";
    return "runnable";
}

static void dump_domains(unsigned char key)
{
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        const struct domain *d = domain_lookup((domid_t)id);
        if (!d)
            continue;
        say("  d%u: %s%s, pages %lu of %lu, shutdown code %d, vm_assist %#lx\n", id,
            d->state == DOMAIN_RUNNING ? "running" : "shut down",
            d->is_privileged ? " (privileged)" : "", d->tot_pages, d->max_pages,
            d->shutdown_code == SHUTDOWN_CODE_INVALID ? -1 : (int)d->shutdown_code, d->vm_assist);
        const struct vcpu *v = d->vcpu[0];
        if (!v)
            continue;
        const struct cpu_regs *r = vcpu_regs(v);
        const struct vcpu_info *vi = v->vcpu_info;
        say("    v0: %s, %s mode, rip %#lx, rsp %#lx, cr3 %#lx, slices %lu, "
            "upcall pending %u mask %u\n",
            vcpu_state(v), v->kernel_mode ? "kernel" : "user", r->rip, r->rsp,
            v->kernel_mode ? v->guest_table : v->guest_table_user, v->slices,
            vi ? vi->evtchn_upcall_pending : 0, vi ? vi->evtchn_upcall_mask : 0);
    }
}

static void dump_counters(unsigned char key)
{
    stats_print_all();
}

static const char *const port_states[] = {
    [ECS_FREE] = "free",       [ECS_RESERVED] = "reserved",
    [ECS_UNBOUND] = "unbound", [ECS_INTERDOMAIN] = "interdomain",
    [ECS_PIRQ] = "pirq",       [ECS_VIRQ] = "virq",
    [ECS_IPI] = "ipi",
};

static bool bit_set(const xen_ulong_t *words, unsigned int bit)
{
    const unsigned int bits = sizeof(xen_ulong_t) * 8;
    return (words[bit / bits] >> (bit % bits)) & 1;
}

static void dump_evtchn(unsigned char key)
{
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_lookup((domid_t)id);
        if (!d)
            continue;
        const struct vcpu_info *vi = d->vcpu[0] ? d->vcpu[0]->vcpu_info : NULL;
        say("  d%u: %u ports bound of %u valid; upcall pending %u mask %u, selector %#lx\n", id,
            d->evtchn.active_ports, d->evtchn.valid_ports, vi ? vi->evtchn_upcall_pending : 0,
            vi ? vi->evtchn_upcall_mask : 0, vi ? (unsigned long)vi->evtchn_pending_sel : 0);
        for (unsigned int port = 1; port < d->evtchn.valid_ports; port++) {
            const struct evtchn *chn =
                d->evtchn.page[port / EVTCHN_PAGE_PORTS]
                    ? &d->evtchn.page[port / EVTCHN_PAGE_PORTS][port % EVTCHN_PAGE_PORTS]
                    : NULL;
            if (!chn || chn->state == ECS_FREE)
                continue;
            const char *name = chn->state < ARRAY_SIZE(port_states) ? port_states[chn->state] : "?";
            bool pending = d->shared_info && bit_set(d->shared_info->evtchn_pending, port);
            bool masked = d->shared_info && bit_set(d->shared_info->evtchn_mask, port);
            switch (chn->state) {
            case ECS_UNBOUND:
                say("    port %u: %s for d%u%s%s\n", port, name, chn->remote_dom,
                    pending ? ", pending" : "", masked ? ", masked" : "");
                break;
            case ECS_INTERDOMAIN:
                say("    port %u: %s to d%u port %u%s%s\n", port, name, chn->remote_dom, chn->u,
                    pending ? ", pending" : "", masked ? ", masked" : "");
                break;
            case ECS_VIRQ:
            case ECS_PIRQ:
                say("    port %u: %s %u%s%s\n", port, name, chn->u, pending ? ", pending" : "",
                    masked ? ", masked" : "");
                break;
            default:
                say("    port %u: %s%s%s\n", port, name, pending ? ", pending" : "",
                    masked ? ", masked" : "");
                break;
            }
        }
    }
}

/* A timer's expiry relative to now, in us, or -1 if it is not armed. */
static long timer_in_us(const struct timer *t, uint64_t now)
{
    if (!t->active)
        return -1;
    return t->expires > now ? (long)((t->expires - now) / 1000) : 0;
}

static void dump_runqueue(unsigned char key)
{
    uint64_t now = now_ns();
    uint64_t slice_end = sched_slice_end_ns();

    if (current)
        say("  cpu0: running d%u v%u, slice ends in %ld us, %u timers pending\n",
            current->domain->domain_id, current->vcpu_id,
            slice_end > now ? (long)((slice_end - now) / 1000) : 0, timers_pending());
    else
        say("  cpu0: idle, %u timers pending\n", timers_pending());
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        const struct domain *d = domain_lookup((domid_t)id);
        if (!d || !d->vcpu[0])
            continue;
        const struct vcpu *v = d->vcpu[0];
        say("    d%u v0: %s, slices %lu; timers (us): periodic %ld (period %lu), "
            "singleshot %ld, poll %ld\n",
            id, vcpu_state(v), v->slices, timer_in_us(&v->periodic_timer, now),
            (unsigned long)(v->periodic_period / 1000), timer_in_us(&v->singleshot_timer, now),
            timer_in_us(&v->poll_timer, now));
    }
}

static void toggle_trace(unsigned char key)
{
    int rc = trace_enable(!trace_on);

    if (rc)
        say("mica: tracing stays off: no memory for the trace buffer (%d)\n", rc);
    else
        say("mica: tracing %s (%lu records so far)\n", trace_on ? "on" : "off",
            (unsigned long)trace_total());
}

static void dump_trace(unsigned char key)
{
    trace_dump();
}

static void zero_counters(unsigned char key)
{
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_lookup((domid_t)id);
        if (d)
            stats_reset_domain(d);
    }
    stats_reset_cpu();
    say("mica: counters zeroed\n");
}

void debug_keys_register(void)
{
    register_keyhandler('d', dump_domains, "dump domains and vCPUs");
    register_keyhandler('c', dump_counters, "dump counters (per CPU, per domain)");
    register_keyhandler('e', dump_evtchn, "dump event channels");
    register_keyhandler('q', dump_runqueue, "dump the run queue and timers");
    register_keyhandler('t', toggle_trace, "toggle tracing");
    register_keyhandler('T', dump_trace, "dump the trace buffer (tools/mica-trace decodes it)");
    register_keyhandler('z', zero_counters, "zero all counters");
    mem_report_register();
}

/* Domains: creation, lookup, shutdown and crash (Xen's common/domain.c in spirit). */
#include <arch/guest.h>
#include <arch/irq.h>
#include <arch/machine.h>
#include <arch/platform.h>
#include <mica/bootcfg.h>
#include <mica/console.h>
#include <mica/console_input.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/grant_table.h>
#include <mica/heap.h>
#include <mica/page_types.h>
#include <mica/panic.h>
#include <mica/printf.h>
#include <mica/ptwr.h>
#include <mica/restart.h>
#include <mica/string.h>
#include <mica/time.h>
#include <arch/time.h>  /* issue 9: the restart poll (now_ns) */
#include <mica/timer.h> /* issue 9: the restart poll */
#include <mica/trace.h> /* trace_dump_at_exit (issue 8) */
#include <xen/sched.h>

static struct domain domain_slots[MAX_DOMAINS];
static struct vcpu vcpu_slots[MAX_DOMAINS];
static struct domain *domain_by_id[MAX_DOMAINS];

struct vcpu *current;

static const char *const shutdown_names[] = {
    [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
    [SHUTDOWN_suspend] = "suspend",   [SHUTDOWN_crash] = "crash",
    [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
};

struct domain *domain_create(domid_t domid, bool privileged, unsigned long max_pages, int *err)
{
    struct domain *d;
    struct vcpu *v;

    if (domid >= MAX_DOMAINS) {
        *err = -EINVAL;
        return NULL;
    }
    if (domain_by_id[domid]) {
        *err = -EEXIST;
        return NULL;
    }
    d = &domain_slots[domid];
    v = &vcpu_slots[domid];
    memset(d, 0, sizeof(*d));
    memset(v, 0, sizeof(*v));
    d->domain_id = domid;
    d->is_privileged = privileged;
    d->max_pages = max_pages;
    d->state = DOMAIN_RUNNING;
    d->shutdown_code = SHUTDOWN_CODE_INVALID;

    d->shared_info = alloc_hv_page(&d->shared_info_mfn, DOMID_XEN);
    if (!d->shared_info) {
        *err = -ENOMEM;
        return NULL;
    }
    /* The guest maps its shared_info writable, as on Xen, and can never retype it. */
    share_xen_page_with_guest(d->shared_info_mfn, d);
    v->domain = d;
    v->vcpu_id = 0;
    v->vcpu_info = &d->shared_info->vcpu_info[0];
    /* Events stay masked until the guest has set up its callback (xen.h vcpu_info). */
    v->vcpu_info->evtchn_upcall_mask = 1;
    d->vcpu[0] = v;
    /* Event channels: port 0 reserved, the first bucket of ports (event_channel.c). */
    int rc = evtchn_init(d);
    if (rc) {
        *err = rc;
        return NULL;
    }
    /* Grant table v1, one frame to start (grant_table.c). */
    rc = grant_table_init(d);
    if (rc) {
        *err = rc;
        return NULL;
    }
    domain_by_id[domid] = d;
    domain_set_wallclock(d);
    vcpu_timers_init(v);
    return d;
}

struct domain *domain_lookup(domid_t domid)
{
    return domid < MAX_DOMAINS ? domain_by_id[domid] : NULL;
}

/* Per-hypercall counts at debug level: what researchers ask first about a run. */
static void print_hypercall_counts(const struct domain *d)
{
    char line[160];
    int n = 0;

    for (unsigned int nr = 0; nr < NR_HYPERCALLS; nr++) {
        if (!d->hypercall_count[nr])
            continue;
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %u:%lu", nr, d->hypercall_count[nr]);
        if ((size_t)n > sizeof(line) - 24) {
            printk_debug("mica: d%u hypercalls (nr:count):%s\n", d->domain_id, line);
            n = 0;
        }
    }
    if (n || d->hypercall_count_other)
        printk_debug("mica: d%u hypercalls (nr:count):%s other:%lu\n", d->domain_id, line,
                     d->hypercall_count_other);
    /* The writable page-table assist's counters are machine-wide. */
    char ptwr[256];
    ptwr_format_counters(ptwr, sizeof(ptwr));
    printk_debug("mica: ptwr (all domains): %s\n", ptwr);
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
    const char *name;

    if (d->shutdown_code == SHUTDOWN_CODE_INVALID)
        d->shutdown_code = reason;
    reason = d->shutdown_code;
    name = reason < ARRAY_SIZE(shutdown_names) ? shutdown_names[reason] : "unknown reason";
    d->state = DOMAIN_SHUTDOWN;
    printk("mica: d%u shut down: %s (reason %u)\n", d->domain_id, name, reason);
    print_hypercall_counts(d);
    /* Close its ports (peers revert to unbound) and tell dom0 (VIRQ_DOM_EXC), while its
       shared_info is still there. */
    evtchn_destroy(d);
    /* Its mappings of others' grants go (pins, device references, GTF bits). */
    gnttab_release_mappings(d);
    vcpu_timers_stop(d->vcpu[0]);

    /* A boot configuration may say what this domain's end means (on-poweroff, on-reboot,
       on-crash): the machine goes off with it, or it goes alone. */
    enum bootcfg_action action;
    bool configured = bootcfg_shutdown_action(d->domain_id, reason, &action);
    /* Issue 9: "restart" is a teardown as for destroy, then a new build (restart.h). */
    bool restart = configured && action == BOOTCFG_RESTART && bootcfg_restart_allowed(d->domain_id);
    if (configured && action == BOOTCFG_MACHINE_OFF && !d->is_privileged) {
        trace_at_exit();
        printk("mica: d%u's end is configured as machine-off; powering the machine off\n",
               d->domain_id);
        printk("mica: power off (%s)\n", reason == SHUTDOWN_poweroff ? "clean" : "failure");
        machine_power_off(reason == SHUTDOWN_poweroff);
    }
    if (!d->is_privileged) {
        /* Its physical IRQs and PCI functions go back (lines masked, pirqs unmapped). */
        irq_release_domain(d);
        /* Its memory and page tables go back to the allocator (scrubbed on the way). */
        if (current && current->domain == d)
            idle_enter(); /* off its page tables before they are freed */
        unsigned long leaked = domain_relinquish_memory(d);
        free_frames(d->shared_info_mfn, 0);
        grant_table_destroy(d); /* now, or when peers have unmapped its grants */
        d->shared_info = NULL;
        if (leaked)
            printk_warn("mica: d%u: %lu frames still referenced after teardown\n", d->domain_id,
                        leaked);
        printk("mica: d%u torn down: %lu frames free%s\n", d->domain_id, heap_free_frames(),
               d->grant_table ? " (its grants are still mapped)" : "");
        if (restart)
            domain_restart_when_released(d); /* issue 9 */
        else
            console_input_domain_gone(d); /* issue 9: its serial input goes back to dom0 */
        schedule();
    }
    /* The hardware domain's end is the machine's, as on Xen. */
    trace_at_exit(); /* issue 8: the trace buffer, if trace_dump_at_exit asks for it */
    switch (reason) {
    case SHUTDOWN_poweroff:
        printk("mica: dom0 powered off; powering the machine off\n");
        printk("mica: power off (clean)\n");
        machine_power_off(true);
    case SHUTDOWN_reboot:
    case SHUTDOWN_soft_reset:
        printk("mica: dom0 asked for a reboot; resetting the machine\n");
        machine_reboot();
    default:
        printk("mica: dom0 stopped (%s); powering the machine off\n", name);
        printk("mica: power off (failure)\n");
        machine_power_off(false);
    }
}

/* Issue 9, restart (restart.h): domains torn down and waiting for their grants' release. */
static bool restart_pending[MAX_DOMAINS];
static struct timer restart_timer;

static void restart_poll(void *data)
{
    bool waiting = false;

    for (domid_t id = 0; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_by_id[id];
        if (!restart_pending[id] || !d)
            continue;
        if (d->grant_table) { /* peers still map its grants: the last unmap frees it */
            waiting = true;
            continue;
        }
        restart_pending[id] = false;
        /* Its port-table pages (event_channel.c keeps them after evtchn_destroy, for peers
           still looking at closed ports; nothing can now): the new life allocates its own. */
        for (unsigned int pg = 0; pg < EVTCHN_NR_PAGES; pg++) {
            if (d->evtchn.page[pg])
                free_frames(d->evtchn.page_mfn[pg], 0);
            d->evtchn.page[pg] = NULL;
        }
        domain_by_id[id] = NULL; /* the slot is free for the new life */
        printk("mica: d%u released: %lu frames free\n", id, heap_free_frames());
        bootcfg_restart(id);
        send_global_virq(VIRQ_DOM_EXC); /* backends look again (Xen: @introduceDomain) */
    }
    if (waiting)
        timer_set(&restart_timer, now_ns() + RESTART_POLL_NS);
}

void domain_restart_when_released(struct domain *d)
{
    restart_pending[d->domain_id] = true;
    if (!restart_timer.fn)
        timer_init(&restart_timer, restart_poll, NULL);
    timer_set(&restart_timer, now_ns() + RESTART_POLL_NS);
}

void domain_crash(struct domain *d, const char *why, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, why);
    vsnprintf(msg, sizeof(msg), why, ap);
    va_end(ap);
    printk_err("mica: d%u crashed: %s\n", d->domain_id, msg);
    domain_shutdown(d, SHUTDOWN_crash);
    schedule(); /* not reached for the hardware domain, whose crash ends the machine */
}

/*
 * Measurement counters gathered in one place, and HYPERVISOR_mica_stats_op (see
 * <mica/stats.h> and <public/mica_stats.h>; docs/abi.md, "mica_stats_op").
 */
#include <arch/time.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/grant_table.h>
#include <mica/guest_access.h>
#include <mica/page_types.h>
#include <mica/printf.h>
#include <mica/ptwr.h>
#include <mica/stats.h>
#include <mica/string.h>
#include <mica/trace.h>
#include <xen/xen.h>

struct cpu_stats cpu_stats;

/* Page-table work attributed to one domain (see <mica/stats.h>), and its CPU time. */
struct dom_acct {
    uint64_t ptes_validated, tables_promoted, tables_demoted, validation_failures;
    uint64_t tlb_flushes, invlpgs, mmu_update_reqs, mmuext_ops, update_va_mappings;
    uint64_t ptwr_emulated;
    uint64_t gnt_maps, gnt_unmaps, gnt_copies, gnt_failures;
    uint64_t run_ns;
};
static struct dom_acct acct[MAX_DOMAINS];

/* Who has the CPU since when: a domain id, or DOMID_IDLE (idle, or nothing ran yet). */
static unsigned int running = DOMID_IDLE;
static bool idle; /* in schedule()'s idle loop */
static uint64_t running_since;
/* mm_counters, ptwr_counters and gnttab_counters as they were at the last change of the
   running domain. */
static struct mm_counters mm_seen;
static uint64_t ptwr_seen;
static struct gnttab_counters gnt_seen;

/* Add what the machine-wide counters grew by since the last call to @a (NULL: boot work,
   attributed to no domain). */
static void fold_mm(struct dom_acct *a)
{
    const struct mm_counters *m = &mm_counters;

    if (a) {
        a->ptes_validated += m->entries_validated - mm_seen.entries_validated;
        a->tables_promoted += m->tables_promoted - mm_seen.tables_promoted;
        a->tables_demoted += m->tables_demoted - mm_seen.tables_demoted;
        a->validation_failures += m->validation_failures - mm_seen.validation_failures;
        a->tlb_flushes += m->tlb_flushes - mm_seen.tlb_flushes;
        a->invlpgs += m->invlpgs - mm_seen.invlpgs;
        a->mmu_update_reqs += m->mmu_updates - mm_seen.mmu_updates;
        a->mmuext_ops += m->mmuext_ops - mm_seen.mmuext_ops;
        a->update_va_mappings += m->update_va_mapping - mm_seen.update_va_mapping;
        a->ptwr_emulated += ptwr_counters.emulated - ptwr_seen;
        const struct gnttab_counters *g = &gnttab_counters;
        a->gnt_maps += g->maps - gnt_seen.maps;
        a->gnt_unmaps += g->unmaps - gnt_seen.unmaps;
        a->gnt_copies += g->copies - gnt_seen.copies;
        a->gnt_failures += (g->map_failures - gnt_seen.map_failures) +
                           (g->unmap_failures - gnt_seen.unmap_failures) +
                           (g->copy_failures - gnt_seen.copy_failures);
    }
    mm_seen = *m;
    ptwr_seen = ptwr_counters.emulated;
    gnt_seen = gnttab_counters;
}

/* Close the running period: page-table work and CPU time to whoever ran, idle time to the
   CPU. */
static void account_running(uint64_t now)
{
    if (running < MAX_DOMAINS) {
        fold_mm(&acct[running]);
        acct[running].run_ns += now - running_since;
    } else {
        fold_mm(NULL);
        if (idle)
            cpu_stats.idle_ns += now - running_since;
    }
    running_since = now;
}

void stats_schedule(const struct vcpu *next)
{
    uint64_t now = now_ns();
    unsigned int next_id = next->domain->domain_id;

    account_running(now);
    if (next_id != running) {
        cpu_stats.context_switches++;
        trace_event(TRC_CTX_SWITCH, next_id, running, 0, 0);
    }
    running = next_id;
    idle = false;
}

void stats_idle_begin(void)
{
    uint64_t now;

    if (idle)
        return;
    now = now_ns();
    account_running(now);
    trace_event(TRC_CTX_SWITCH, DOMID_IDLE, running, 0, 0);
    cpu_stats.idle_entries++;
    cpu_stats.context_switches++;
    running = DOMID_IDLE;
    idle = true;
}

int stats_read_domain(const struct domain *d, struct mica_stats_domain *out)
{
    const struct evtchn_stats *e = &d->evtchn.stats;
    const struct dom_acct *a = &acct[d->domain_id];
    uint64_t now = now_ns();

    if (out->version != MICA_STATS_VERSION)
        return -EINVAL;
    /* The running domain's work so far counts too. */
    if (running == d->domain_id)
        account_running(now);

    uint16_t domid = out->domid;
    memset(out, 0, sizeof(*out));
    out->domid = domid;
    out->version = MICA_STATS_VERSION;
    out->now_ns = now;
    out->tot_pages = d->tot_pages;
    _Static_assert(MICA_STATS_NR_HYPERCALLS == NR_HYPERCALLS, "hypercall counters");
    memcpy(out->hypercalls, d->hypercall_count, sizeof(out->hypercalls));
    out->hypercalls_other = d->hypercall_count_other;

    out->ptes_validated = a->ptes_validated;
    out->tables_promoted = a->tables_promoted;
    out->tables_demoted = a->tables_demoted;
    out->validation_failures = a->validation_failures;
    out->tlb_flushes = a->tlb_flushes;
    out->invlpgs = a->invlpgs;
    out->mmu_update_reqs = a->mmu_update_reqs;
    out->mmuext_ops = a->mmuext_ops;
    out->update_va_mappings = a->update_va_mappings;
    out->ptwr_emulated = a->ptwr_emulated;

    out->evt_send_ops = e->send_ops;
    out->evt_raised = e->raised;
    out->evt_upcalls_raised = e->upcalls;
    out->evt_already_pending = e->already_pending;
    out->evt_masked = e->masked;
    out->evt_coalesced = e->coalesced;
    out->evt_unmask_upcalls = e->unmask_upcalls;
    out->upcalls_delivered = d->upcalls_delivered;

    out->gnt_maps = a->gnt_maps;
    out->gnt_unmaps = a->gnt_unmaps;
    out->gnt_copies = a->gnt_copies;
    out->gnt_failures = a->gnt_failures;

    out->slices = d->vcpu[0] ? d->vcpu[0]->slices : 0;
    out->run_ns = a->run_ns;
    return 0;
}

int stats_read_cpu(struct mica_stats_cpu *out)
{
    uint64_t now = now_ns();

    if (out->version != MICA_STATS_VERSION)
        return -EINVAL;
    account_running(now);
    uint32_t cpu = out->cpu;
    memset(out, 0, sizeof(*out));
    out->cpu = cpu;
    out->version = MICA_STATS_VERSION;
    out->now_ns = now;
    out->context_switches = cpu_stats.context_switches;
    out->idle_entries = cpu_stats.idle_entries;
    out->idle_ns = cpu_stats.idle_ns;
    out->timer_interrupts = cpu_stats.timer_interrupts;
    out->hypercalls = cpu_stats.hypercalls;
    out->trace_records = trace_total();
    out->debug_keys = cpu_stats.debug_keys;
    return 0;
}

void stats_reset_domain(struct domain *d)
{
    if (running == d->domain_id)
        account_running(now_ns()); /* what it did before the reset is dropped with the rest */
    memset(&acct[d->domain_id], 0, sizeof(acct[0]));
    memset(d->hypercall_count, 0, sizeof(d->hypercall_count));
    d->hypercall_count_other = 0;
    memset(&d->evtchn.stats, 0, sizeof(d->evtchn.stats));
    d->upcalls_delivered = 0;
    if (d->vcpu[0])
        d->vcpu[0]->slices = 0;
}

void stats_reset_cpu(void)
{
    account_running(now_ns());
    memset(&cpu_stats, 0, sizeof(cpu_stats)); /* an idle period goes on, counted from now */
}

/* The domain a hypercall argument names: DOMID_SELF or an id; NULL if none. */
static struct domain *named_domain(unsigned long domid)
{
    if (domid == DOMID_SELF)
        return current->domain;
    return domid <= 0xffff ? domain_lookup((domid_t)domid) : NULL;
}

static long read_domain_op(unsigned long arg)
{
    struct mica_stats_domain s;
    struct domain *d;
    int rc;

    /* The IN fields first, to learn the version and so the size. */
    if (copy_from_guest(&s, arg, 8))
        return -EFAULT;
    if (s.version != MICA_STATS_VERSION)
        return -EINVAL;
    d = named_domain(s.domid);
    if (!d)
        return -ESRCH;
    if (d != current->domain && !current->domain->is_privileged)
        return -EPERM;
    rc = stats_read_domain(d, &s);
    if (rc)
        return rc;
    return copy_to_guest(arg, &s, sizeof(s)) ? -EFAULT : 0;
}

static long read_cpu_op(unsigned long arg)
{
    struct mica_stats_cpu s;
    int rc;

    if (copy_from_guest(&s, arg, 8))
        return -EFAULT;
    if (s.version != MICA_STATS_VERSION)
        return -EINVAL;
    if (s.cpu != 0)
        return -ENOENT;
    rc = stats_read_cpu(&s);
    if (rc)
        return rc;
    return copy_to_guest(arg, &s, sizeof(s)) ? -EFAULT : 0;
}

static long reset_op(unsigned long arg)
{
    if (!current->domain->is_privileged)
        return -EPERM;
    if (arg == MICA_STATS_RESET_ALL) {
        for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
            struct domain *d = domain_lookup((domid_t)id);
            if (d)
                stats_reset_domain(d);
        }
        stats_reset_cpu();
        return 0;
    }
    struct domain *d = named_domain(arg);
    if (!d)
        return -ESRCH;
    stats_reset_domain(d);
    return 0;
}

long do_mica_stats_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                      unsigned long a5)
{
    switch ((unsigned int)cmd) {
    case MICA_STATSOP_version:
        return MICA_STATS_VERSION;
    case MICA_STATSOP_read_domain:
        return read_domain_op(arg);
    case MICA_STATSOP_read_cpu:
        return read_cpu_op(arg);
    case MICA_STATSOP_reset:
        return reset_op(arg);
    default:
        return -ENOSYS;
    }
}

/* ---- Printing (the `c` debug key) ---- */

static void print_domain(const struct domain *d)
{
    struct mica_stats_domain s = {.domid = d->domain_id, .version = MICA_STATS_VERSION};
    char line[200];
    int n = 0;

    stats_read_domain(d, &s);
    printk_level(LOG_ERR, "  d%u: slices %lu, run %lu us, pages %lu\n", d->domain_id, s.slices,
                 s.run_ns / 1000, s.tot_pages);
    for (unsigned int nr = 0; nr < MICA_STATS_NR_HYPERCALLS; nr++) {
        if (!s.hypercalls[nr])
            continue;
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %u:%lu", nr, s.hypercalls[nr]);
        if ((size_t)n > sizeof(line) - 24) {
            printk_level(LOG_ERR, "    hypercalls (nr:count):%s\n", line);
            n = 0;
        }
    }
    if (n || s.hypercalls_other)
        printk_level(LOG_ERR, "    hypercalls (nr:count):%s other:%lu\n", n ? line : "",
                     s.hypercalls_other);
    printk_level(LOG_ERR,
                 "    page tables: ptes validated %lu, promoted %lu, demoted %lu, refused %lu, "
                 "flushes %lu, invlpg %lu, mmu_update %lu, mmuext %lu, update_va_mapping %lu, "
                 "ptwr %lu\n",
                 s.ptes_validated, s.tables_promoted, s.tables_demoted, s.validation_failures,
                 s.tlb_flushes, s.invlpgs, s.mmu_update_reqs, s.mmuext_ops, s.update_va_mappings,
                 s.ptwr_emulated);
    printk_level(LOG_ERR,
                 "    events: sent %lu, raised %lu, upcalls raised %lu, suppressed (pending %lu, "
                 "masked %lu, coalesced %lu), unmask upcalls %lu, upcalls delivered %lu\n",
                 s.evt_send_ops, s.evt_raised, s.evt_upcalls_raised, s.evt_already_pending,
                 s.evt_masked, s.evt_coalesced, s.evt_unmask_upcalls, s.upcalls_delivered);
    printk_level(LOG_ERR, "    grants: map %lu, unmap %lu, copy %lu, failed %lu\n", s.gnt_maps,
                 s.gnt_unmaps, s.gnt_copies, s.gnt_failures);
}

void stats_print_all(void)
{
    struct mica_stats_cpu c = {.cpu = 0, .version = MICA_STATS_VERSION};

    stats_read_cpu(&c);
    printk_level(LOG_ERR, "mica: counters at %lu us\n", c.now_ns / 1000);
    printk_level(LOG_ERR,
                 "  cpu0: context switches %lu, idle %lu times for %lu us, timer interrupts %lu, "
                 "hypercalls %lu, trace records %lu, debug keys %lu\n",
                 c.context_switches, c.idle_entries, c.idle_ns / 1000, c.timer_interrupts,
                 c.hypercalls, c.trace_records, c.debug_keys);
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        const struct domain *d = domain_lookup((domid_t)id);
        if (d)
            print_domain(d);
    }
}

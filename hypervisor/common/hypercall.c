/* The hypercall table: number (xen.h __HYPERVISOR_*) to handler. */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/grant_table.h>
#include <mica/hypercall.h>
#include <mica/iocap.h>
#include <mica/stats.h> /* mica_stats_op, counters and trace points (issue 8) */
#include <mica/trace.h>

static const hypercall_fn_t hypercall_table[NR_HYPERCALLS] = {
    [__HYPERVISOR_set_timer_op] = do_set_timer_op,
    [__HYPERVISOR_domctl] = do_domctl,
    [__HYPERVISOR_physdev_op] = do_physdev_op,
    [__HYPERVISOR_vcpu_op] = do_vcpu_op,
    [__HYPERVISOR_set_trap_table] = do_set_trap_table,
    [__HYPERVISOR_stack_switch] = do_stack_switch,
    [__HYPERVISOR_set_callbacks] = do_set_callbacks,
    [__HYPERVISOR_fpu_taskswitch] = do_fpu_taskswitch,
    [__HYPERVISOR_iret] = do_iret,
    [__HYPERVISOR_set_segment_base] = do_set_segment_base,
    [__HYPERVISOR_callback_op] = do_callback_op,
    [__HYPERVISOR_update_va_mapping] = do_update_va_mapping,
    [__HYPERVISOR_mmu_update] = do_mmu_update,
    [__HYPERVISOR_mmuext_op] = do_mmuext_op,
    [__HYPERVISOR_update_va_mapping_otherdomain] = do_update_va_mapping_otherdomain,
    [__HYPERVISOR_memory_op] = do_memory_op,
    [__HYPERVISOR_xen_version] = do_xen_version,
    [__HYPERVISOR_console_io] = do_console_io,
    [__HYPERVISOR_vm_assist] = do_vm_assist,
    [__HYPERVISOR_sched_op] = do_sched_op,
    [__HYPERVISOR_multicall] = do_multicall,
    [__HYPERVISOR_event_channel_op_compat] = do_event_channel_op_compat,
    [__HYPERVISOR_event_channel_op] = do_event_channel_op,
    [__HYPERVISOR_set_gdt] = do_set_gdt,
    [__HYPERVISOR_update_descriptor] = do_update_descriptor,
    [__HYPERVISOR_grant_table_op] = do_grant_table_op,
    /* mica's own (xen.h's arch_7, unused by Xen 4.17): <public/mica_stats.h> */
    [__HYPERVISOR_mica_stats_op] = do_mica_stats_op,
};

long hypercall_dispatch(unsigned long nr, const struct cpu_regs *regs)
{
    struct domain *d = current->domain;

    stats_hypercall(); /* per-CPU count (issue 8) */
    if (nr >= NR_HYPERCALLS) {
        d->hypercall_count_other++;
        return -ENOSYS;
    }
    d->hypercall_count[nr]++;
    if (!hypercall_table[nr])
        return -ENOSYS;
    /* Trace records (issue 8): one predictable branch while tracing is off. */
    trace_event(TRC_HC_ENTRY, d->domain_id, (uint32_t)nr, regs->rdi, regs->rsi);
    long rc = hypercall_table[nr](regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8);
    trace_event(TRC_HC_EXIT, d->domain_id, (uint32_t)nr, (uint64_t)rc, 0);
    return rc;
}

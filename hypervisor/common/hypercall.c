/* The hypercall table: number (xen.h __HYPERVISOR_*) to handler. */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/grant_table.h>
#include <mica/hypercall.h>
#include <mica/iocap.h>

static const hypercall_fn_t hypercall_table[NR_HYPERCALLS] = {
    [__HYPERVISOR_set_timer_op] = do_set_timer_op,
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
};

long hypercall_dispatch(unsigned long nr, const struct cpu_regs *regs)
{
    struct domain *d = current->domain;

    if (nr >= NR_HYPERCALLS) {
        d->hypercall_count_other++;
        return -ENOSYS;
    }
    d->hypercall_count[nr]++;
    if (!hypercall_table[nr])
        return -ENOSYS;
    return hypercall_table[nr](regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8);
}

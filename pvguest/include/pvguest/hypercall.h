/*
 * Typed wrappers for the hypercalls the guest kernel uses, named as in Xen's
 * public headers (HYPERVISOR_<name>). Each returns the hypervisor's result:
 * 0 or a positive value on success, a negated Xen error code (xen/errno.h)
 * on failure. Argument meanings are those of the cited Xen header.
 */
#ifndef PVGUEST_HYPERCALL_H
#define PVGUEST_HYPERCALL_H

#include <stddef.h>
#include <stdint.h>

#include <arch/hypercall.h>
#include <pvguest/xen.h>

/** Console I/O (xen.h, CONSOLEIO_*): write or read `count` bytes at `buf`. */
static inline long HYPERVISOR_console_io(int cmd, unsigned int count, const char *buf)
{
    return hypercall3(__HYPERVISOR_console_io, (unsigned long)cmd, count, (unsigned long)buf);
}

/** Version queries (version.h, XENVER_*); XENVER_version returns major << 16 | minor. */
static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_xen_version, (unsigned long)cmd, (unsigned long)arg);
}

/** Scheduler operations (sched.h, SCHEDOP_*), e.g. SCHEDOP_shutdown with a sched_shutdown. */
static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_sched_op, (unsigned long)cmd, (unsigned long)arg);
}

/**
 * Replace the L1 entry that maps virtual address `va` with `pte` (a PTE with
 * a machine frame number), flushing as `flags` says (xen.h, UVMF_*).
 * On x86-64 the new PTE is one 64-bit argument.
 */
static inline long HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags)
{
    return hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

/** Memory reservation operations (memory.h, XENMEM_*). */
static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_memory_op, cmd, (unsigned long)arg);
}

/** Enable or disable a VM assist (xen.h, VMASST_CMD_* and VMASST_TYPE_*). */
static inline long HYPERVISOR_vm_assist(unsigned int cmd, unsigned int type)
{
    return hypercall2(__HYPERVISOR_vm_assist, cmd, type);
}

/** Event-channel operations (event_channel.h, EVTCHNOP_*) on the struct `arg` points at. */
static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_event_channel_op, (unsigned long)cmd, (unsigned long)arg);
}

/** Per-vCPU operations (vcpu.h, VCPUOP_*), e.g. the singleshot and periodic timers. */
static inline long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
    return hypercall3(__HYPERVISOR_vcpu_op, (unsigned long)cmd, vcpu, (unsigned long)arg);
}

/**
 * Raise VIRQ_TIMER once system time reaches `timeout` (ns since boot); 0
 * cancels the timer (xen.h, __HYPERVISOR_set_timer_op).
 */
static inline long HYPERVISOR_set_timer_op(uint64_t timeout)
{
    return hypercall1(__HYPERVISOR_set_timer_op, timeout);
}

/** Register or unregister a callback (callback.h, CALLBACKOP_*). */
static inline long HYPERVISOR_callback_op(int cmd, const void *arg)
{
    return hypercall2(__HYPERVISOR_callback_op, (unsigned long)cmd, (unsigned long)arg);
}

/**
 * Install the virtual IDT: an array of trap_info ended by an entry with
 * address 0 (arch-x86/xen.h, HYPERVISOR_set_trap_table).
 */
static inline long HYPERVISOR_set_trap_table(const struct trap_info *traps)
{
    return hypercall1(__HYPERVISOR_set_trap_table, (unsigned long)traps);
}

/**
 * Apply `count` page-table updates (xen.h, struct mmu_update and MMU_*: the
 * low 3 bits of ptr select the command, e.g. MMU_NORMAL_PT_UPDATE at the
 * machine address of an entry). Stops at the first failure; the number
 * done goes to *success_count if not NULL. `domid` is DOMID_SELF here.
 * L1 changes are not flushed from the TLB: that is the caller's job.
 */
static inline long HYPERVISOR_mmu_update(const mmu_update_t *req, unsigned int count,
                                         unsigned int *success_count, domid_t domid)
{
    return hypercall4(__HYPERVISOR_mmu_update, (unsigned long)req, count,
                      (unsigned long)success_count, domid);
}

/**
 * Extended MMU operations (xen.h, struct mmuext_op, MMUEXT_*: pin and unpin
 * tables, TLB flushes, ...); success count and domid as for mmu_update.
 */
static inline long HYPERVISOR_mmuext_op(const struct mmuext_op *op, unsigned int count,
                                        unsigned int *success_count, domid_t domid)
{
    return hypercall4(__HYPERVISOR_mmuext_op, (unsigned long)op, count,
                      (unsigned long)success_count, domid);
}

/**
 * Run `nr_calls` hypercalls in one (xen.h, struct multicall_entry): each
 * entry's result is written into the entry. Returns 0 when every entry
 * ran (whatever their results), or a negated error for the batch itself.
 */
static inline long HYPERVISOR_multicall(multicall_entry_t *calls, unsigned int nr_calls)
{
    return hypercall2(__HYPERVISOR_multicall, (unsigned long)calls, nr_calls);
}

#endif /* PVGUEST_HYPERCALL_H */

/*
 * Hypercall dispatch and the handlers' prototypes. A handler takes the guest's argument
 * registers (xen.h: rdi, rsi, rdx, r10, r8, r9) and returns the value for rax: >= 0 for
 * success, -Exxx (Xen's values) for failure. Every handler checks every argument.
 */
#ifndef MICA_HYPERCALL_H
#define MICA_HYPERCALL_H

#include <arch/regs.h>
#include <mica/types.h>

typedef long (*hypercall_fn_t)(unsigned long a1, unsigned long a2, unsigned long a3,
                               unsigned long a4, unsigned long a5);

/** Run hypercall number @nr for the current vCPU with the arguments in @regs. */
long hypercall_dispatch(unsigned long nr, const struct cpu_regs *regs);

long do_console_io(unsigned long cmd, unsigned long count, unsigned long buffer, unsigned long a4,
                   unsigned long a5);
long do_xen_version(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                    unsigned long a5);
long do_sched_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                 unsigned long a5);
long do_vm_assist(unsigned long cmd, unsigned long type, unsigned long a3, unsigned long a4,
                  unsigned long a5);
long do_memory_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                  unsigned long a5);
long do_update_va_mapping(unsigned long va, unsigned long val, unsigned long flags,
                          unsigned long a4, unsigned long a5);

/* Guest page tables (common/mmu.c; rules and errors documented there and in docs/abi.md). */
long do_mmu_update(unsigned long ureqs, unsigned long count, unsigned long pdone,
                   unsigned long foreigndom, unsigned long a5);
long do_mmuext_op(unsigned long uops, unsigned long count, unsigned long pdone,
                  unsigned long foreigndom, unsigned long a5);
long do_update_va_mapping_otherdomain(unsigned long va, unsigned long val, unsigned long flags,
                                      unsigned long domid, unsigned long a5);

long do_set_trap_table(unsigned long traps, unsigned long a2, unsigned long a3, unsigned long a4,
                       unsigned long a5);
long do_stack_switch(unsigned long ss, unsigned long esp, unsigned long a3, unsigned long a4,
                     unsigned long a5);
long do_set_callbacks(unsigned long event, unsigned long failsafe, unsigned long syscall,
                      unsigned long a4, unsigned long a5);
long do_callback_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                    unsigned long a5);
long do_fpu_taskswitch(unsigned long set, unsigned long a2, unsigned long a3, unsigned long a4,
                       unsigned long a5);
long do_set_segment_base(unsigned long which, unsigned long base, unsigned long a3,
                         unsigned long a4, unsigned long a5);
long do_iret(unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
             unsigned long a5);

/* Guest descriptor tables (arch/x86_64/gdt.c, common/descriptor.c; <mica/descriptor.h>). */

/**
 * HYPERVISOR_set_gdt(frame_list, entries): read ceil(@entries / 512) MFNs (8 bytes each) at
 * guest address @frame_list and make them the current vCPU's GDT (pv_set_gdt()), mapped at
 * once. @entries is an unsigned int (upper register bits ignored, as Xen). Returns 0; -EINVAL
 * for more than FIRST_RESERVED_GDT_ENTRY entries or a frame pv_set_gdt() refuses; -EFAULT if
 * the list cannot be read.
 */
long do_set_gdt(unsigned long frame_list, unsigned long entries, unsigned long a3, unsigned long a4,
                unsigned long a5);

/**
 * HYPERVISOR_update_descriptor(ma, desc): write descriptor @desc at machine address @maddr
 * of a frame the current domain owns, after check_descriptor() and its fix-ups. The frame
 * keeps its type if it is a PGT_seg_desc_page, else it must be usable as a
 * PGT_writable_page (not a page table). Returns 0, or -EINVAL if @maddr is not 8-byte
 * aligned, the descriptor is refused, the frame is not the domain's, or its type forbids the
 * write (nothing changed then). Xen's do_update_descriptor.
 */
long do_update_descriptor(unsigned long maddr, unsigned long desc, unsigned long a3,
                          unsigned long a4, unsigned long a5);

long do_multicall(unsigned long call_list, unsigned long nr_calls, unsigned long a3,
                  unsigned long a4, unsigned long a5);

/*
 * Hypercall continuations (common/multicall.c), as Xen's hypercall_create_continuation
 * (xen/arch/x86/hypercall.c). A handler with more work left than it should do at once saves
 * its progress in its arguments and ends with
 *
 *     return hypercall_create_continuation(__HYPERVISOR_xxx, new_a1, new_a2, ...);
 *
 * At the top level this rewrites the guest frame: rax = the hypercall number, rdi, rsi, rdx,
 * r10, r8 = the new arguments (those not given keep their values), and rip back over the
 * 2-byte SYSCALL, so the guest re-enters the hypercall when it next runs; a pending timer
 * interrupt is taken first and may run another domain. Inside a multicall the new op and
 * arguments go into the batch entry instead, and multicall itself continues from that entry.
 * do_syscall brackets each hypercall with hypercall_enter() and, if hypercall_preempted(),
 * leaves rax alone.
 */

/** Most arguments a continuation can carry (rdi, rsi, rdx, r10, r8; xen.h). */
#define HYPERCALL_CONTINUATION_MAX_ARGS 5

/**
 * Make the running hypercall resume as hypercall @op with the @nr_args new arguments @args,
 * 0 <= @nr_args <= HYPERCALL_CONTINUATION_MAX_ARGS (the rest keep their values). Returns
 * @op, which the handler returns. Use it through the hypercall_create_continuation() macro,
 * which counts the arguments and refuses more than five at compile time.
 */
long hypercall_continuation(unsigned int op, unsigned int nr_args, const unsigned long *args);

#define HYPERCALL_NR_ARGS_(...) (sizeof((unsigned long[]){__VA_ARGS__}) / sizeof(unsigned long))

/** hypercall_continuation(@op, arguments...): each argument converted to unsigned long. */
#define hypercall_create_continuation(op, ...)                                                     \
    hypercall_continuation(                                                                        \
        (op),                                                                                      \
        HYPERCALL_NR_ARGS_(__VA_ARGS__) +                                                          \
            0 * sizeof(char[HYPERCALL_NR_ARGS_(__VA_ARGS__) <= HYPERCALL_CONTINUATION_MAX_ARGS     \
                                ? 1                                                                \
                                : -1]),                                                            \
        (unsigned long[]){__VA_ARGS__})

/**
 * Undo a continuation created by the running hypercall (Xen's hypercall_cancel_continuation):
 * the guest frame's rip is restored; the handler's return value goes into rax again.
 */
void hypercall_cancel_continuation(void);

/** True if the running hypercall has created a continuation (do_syscall: keep rax). */
bool hypercall_preempted(void);

/** Start of a hypercall from the guest (do_syscall): forget the previous one's state. */
void hypercall_enter(void);

/**
 * True when a long hypercall should stop and continue later: the current time slice is over
 * (now_ns() >= sched_slice_end_ns()), so the timer interrupt is due. Xen's equivalent checks
 * pending softirqs and events (xen/sched.h hypercall_preempt_check).
 */
bool hypercall_preempt_check(void);

/**
 * End of the running vCPU's time slice, ns of system time (now_ns()); 0 before the first
 * slice. Defined in common/sched.c.
 */
uint64_t sched_slice_end_ns(void);

long do_domctl(unsigned long arg, unsigned long a2, unsigned long a3, unsigned long a4,
               unsigned long a5);
long do_set_timer_op(unsigned long timeout, unsigned long a2, unsigned long a3, unsigned long a4,
                     unsigned long a5);
long do_vcpu_op(unsigned long cmd, unsigned long vcpuid, unsigned long arg, unsigned long a4,
                unsigned long a5);

#endif /* MICA_HYPERCALL_H */

/* Running PV guests on x86-64: entry set-up, the guest's first entry, its traps. */
#ifndef ARCH_GUEST_H
#define ARCH_GUEST_H

#include <arch/regs.h>
#include <mica/types.h>

struct vcpu;

/** Program SYSCALL (STAR/LSTAR/CSTAR/FMASK) and the FPU/SSE control bits on this CPU. */
void cpu_guest_init(void);

/** The guest frame at the top of the hypervisor stack: what return_to_guest restores. */
struct cpu_regs *guest_cpu_regs(void);

/**
 * Fill a 4 KiB hypercall page at @page (hypervisor-writable view) with mica's entry stubs:
 * 32 bytes per hypercall number, each saving rcx/r11 around a syscall (xen.h hypercall page).
 */
void arch_fill_hypercall_page(void *page);

/**
 * Initial guest context of a PV64 vCPU: ring-3 flat selectors (xen-x86_64.h FLAT_KERNEL_*),
 * interrupts on, @rip, @rsp and @rsi (start_info) as Xen's domain builder sets them.
 */
void arch_vcpu_init_context(struct vcpu *v, uint64_t rip, uint64_t rsp, uint64_t rsi,
                            paddr_t l4_maddr);

/**
 * Switch @v between guest kernel and guest user mode: its page tables (guest_table /
 * guest_table_user) and its GS bases (SWAPGS), as Xen's toggle_guest_mode. Returns false,
 * changing nothing, when the target mode has no page tables.
 */
bool toggle_guest_mode(struct vcpu *v);

/** A SYSCALL from guest user mode: enter the guest kernel's syscall callback. */
void deliver_guest_syscall(struct cpu_regs *regs);

/** Deliver the event upcall to the current vCPU if events are pending and not masked. */
void deliver_pending_events(struct cpu_regs *regs);

/** Last steps before returning to a guest: preemption, then pending events. */
void arch_guest_exit(struct cpu_regs *regs);

/** The CPU is about to idle: park the current vCPU's state and run on the idle tables. */
void idle_enter(void);

/** An exception a guest raised (ring 3 frame): emulate, or crash the domain. */
void do_guest_trap(struct cpu_regs *regs);

/**
 * Load the guest's user %gs selector (set_segment_base SEGBASE_GS_USER_SEL). Returns false,
 * leaving the null selector, if it does not load.
 */
bool arch_load_user_gs_selector(uint16_t sel);

/**
 * Deliver the failsafe callback to the current vCPU for segment selectors @sels (DS, ES, FS,
 * GS) that could not be restored; crashes the domain if it registered none.
 */
void deliver_failsafe(struct cpu_regs *regs, const uint16_t sels[4]);

/**
 * Xen's writable page-table assist (VMASST_TYPE_writable_pagetables): if the write fault at
 * @cr2 hit one of the current domain's own page tables, emulate the write (validated, as
 * mmu_update would) and advance RIP. Returns false to let the fault reach the guest.
 */
bool ptwr_do_page_fault(struct cpu_regs *regs, uint64_t cr2);

/** Emulate a privileged instruction at regs->rip after a #GP(0); false if not emulated. */
bool emulate_privileged_op(struct cpu_regs *regs);

/** Emulate CPUID leaf @leaf/@subleaf as mica's guest policy shows it (XEN_CPUID prefix). */
void guest_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif /* ARCH_GUEST_H */

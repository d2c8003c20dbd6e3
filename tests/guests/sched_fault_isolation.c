/*
 * sched_fault_isolation: a fault that cannot be delivered crashes only the domain that
 * raised it (issue 4, "Tests": a fault with no handler crashes only its domain while a second
 * domain keeps printing). mica only: it needs two domains (domu_copies=1 runs a copy of this
 * kernel as d1, with the same command line).
 *
 * dom0 prints "fault-iso: dom0 tick N" and yields (SCHEDOP_yield), DOM0_TICKS times, then
 * prints "fault-iso: dom0 done" and powers off.
 *
 * Any other domain prints "fault-iso: dN tick N" and yields DOMU_TICKS times, prints what it
 * is about to do,
 *     "fault-iso: domU faulting: load from 0x10000000 at rip R[, rsp S] (MODE)"
 * and does it. MODE is the command line's fault= option:
 *   nohandler  (default) no trap table: the #PF has no handler, the domain is crashed.
 *   badstack   a #PF handler is registered, but rsp points at unmapped memory when the
 *              load faults, so the bounce frame cannot be written: the domain is crashed.
 *   rostack    as badstack, with rsp at the top of the domain's L4 page table, which is
 *              mapped read-only.
 *   hvstack    as badstack, with rsp inside the hypervisor's reserved range.
 * If it is still running afterwards (or its handler ran) it prints
 * "fault-iso: FAIL: ..." and shuts down as crashed.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arch/hypercall.h>
#include <arch/page.h>
#include <pvguest/boot.h>
#include <pvguest/cmdline.h>
#include <pvguest/console.h>
#include <pvguest/shutdown.h>
#include <pvguest/xen.h>

#define PROBE_NAME "fault-iso"
#include "probe.h"

#define DOM0_TICKS 40
#define DOMU_TICKS 5
#define FAULT_ADDR 0x10000000UL /* lower half, not mapped by the domain builder */
#define BAD_STACK  0x40000000UL /* lower half, not mapped either */

/* The faulting load (a global label, so the domain can print its address). */
extern const char fault_insn[];
/* The #PF handler (badstack and friends): must never run. */
extern const char pf_entry[];

__attribute__((used)) static uint8_t handler_stack[4096] __attribute__((aligned(16)));

/** Called by pf_entry on handler_stack if a bounce frame was written after all. */
__attribute__((used, noreturn)) static void pf_reached(void)
{
    P("FAIL: the #PF handler ran although its frame could not be written");
    guest_shutdown(SHUTDOWN_crash);
}

__asm__(".pushsection .text\n"
        ".globl pf_entry\n"
        "pf_entry:\n\t"
        "lea handler_stack+4096(%rip), %rsp\n\t"
        "call pf_reached\n\t"
        "ud2\n"
        ".popsection");

/* Load from FAULT_ADDR with %rsp = @sp (or the current stack if @sp is 0). */
static void fault(unsigned long sp)
{
    __asm__ volatile("test %[sp], %[sp]\n\t"
                     "jz 1f\n\t"
                     "mov %[sp], %%rsp\n"
                     "1:\n\t"
                     ".globl fault_insn\n"
                     "fault_insn:\n\t"
                     "mov (%[addr]), %%rax\n\t"
                     :
                     : [sp] "r"(sp), [addr] "r"(FAULT_ADDR)
                     : "rax", "memory");
}

static void yield(void)
{
    HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

static int run_domu(void)
{
    char mode[16] = "nohandler";
    unsigned long sp = 0;

    cmdline_get("fault", mode, sizeof(mode));
    for (int i = 1; i <= DOMU_TICKS; i++) {
        P("domU tick %d", i);
        yield();
    }
    if (probe_leaf_pte(FAULT_ADDR)) {
        P("FAIL: %#lx is mapped", FAULT_ADDR);
        return 1;
    }
    if (strcmp(mode, "nohandler") != 0) {
        static trap_info_t traps[] = {{14, 0, FLAT_KERNEL_CS, (unsigned long)pf_entry},
                                      {0, 0, 0, 0}};
        long rc = hypercall1(__HYPERVISOR_set_trap_table, (unsigned long)traps);

        P("set_trap_table(#PF -> %p) = %s", (void *)pf_entry, rc_str(rc));
        if (strcmp(mode, "badstack") == 0) {
            sp = BAD_STACK;
            if (probe_leaf_pte(sp - 1) || probe_leaf_pte(sp)) {
                P("FAIL: the stack at %#lx is mapped", sp);
                return 1;
            }
        } else if (strcmp(mode, "rostack") == 0) {
            uint64_t pte = probe_leaf_pte(start_info->pt_base);
            sp = start_info->pt_base + PAGE_SIZE;
            P("L4 page at %#lx: pte %#" PRIx64 " (%s)", start_info->pt_base, pte,
              (pte & _PAGE_PRESENT) && !(pte & _PAGE_RW) ? "read-only" : "NOT read-only");
            if (!(pte & _PAGE_PRESENT) || (pte & _PAGE_RW))
                return 1;
        } else if (strcmp(mode, "hvstack") == 0) {
            sp = HYPERVISOR_VIRT_START + 0x100000;
        } else {
            P("FAIL: unknown fault=%s", mode);
            return 1;
        }
    }
    if (sp)
        P("domU faulting: load from %#lx at rip %p, rsp %#lx (%s)", FAULT_ADDR, (void *)fault_insn,
          sp, mode);
    else
        P("domU faulting: load from %#lx at rip %p (%s)", FAULT_ADDR, (void *)fault_insn, mode);
    fault(sp);
    P("FAIL: survived the fault");
    return 1;
}

int main(void)
{
    if (!(start_info->flags & SIF_INITDOMAIN))
        return run_domu();
    for (int i = 1; i <= DOM0_TICKS; i++) {
        P("dom0 tick %d", i);
        yield();
    }
    P("dom0 done");
    return 0;
}

/*
 * The guest's exception handling and callback registration on x86-64 PV
 * (arch-x86/xen.h: set_trap_table and struct trap_info; callback.h;
 * arch-x86/xen-x86_64.h: bounce frame and the flat ring-3 selectors).
 */
#include <inttypes.h>
#include <stddef.h>

#include <xen/errno.h>

#include <arch/probe.h>
#include <arch/regs.h>
#include <pvguest/boot.h>
#include <pvguest/console.h>
#include <pvguest/events.h>
#include <pvguest/hypercall.h>
#include <pvguest/mm.h>
#include <pvguest/shutdown.h>
#include <pvguest/traps.h>

/* Entry stubs in entry.S. */
extern char exception_0[], exception_1[], exception_3[], exception_4[], exception_5[];
extern char exception_6[], exception_7[], exception_10[], exception_11[], exception_12[];
extern char exception_13[], exception_14[], exception_16[], exception_17[], exception_19[];
extern char hypervisor_callback[], failsafe_callback[];

/*
 * trap_info.flags: bits 0-1 the privilege level allowed to raise the vector
 * with a software interrupt (3: everyone, 0: nobody); bit 2 masks events
 * on entry (TI_SET_IF). Events are masked for every exception: the
 * handlers crash the domain, and vcpu_info.arch.cr2 must not change under
 * the #PF handler.
 */
#define TRAP_MASK_EVENTS 4
#define TRAP(vec, dpl, entry)                                                                      \
    {                                                                                              \
        .vector = (vec), .flags = (dpl) | TRAP_MASK_EVENTS, .cs = FLAT_KERNEL_CS,                  \
        .address = (unsigned long)(entry)                                                          \
    }

/* Vectors 2 (NMI: a callback on PV), 8 (#DF), 15 and 18 (#MC) the hypervisor keeps. */
static const struct trap_info trap_table[] = {
    TRAP(0, 0, exception_0),   TRAP(1, 0, exception_1),
    TRAP(3, 3, exception_3),   TRAP(4, 3, exception_4),
    TRAP(5, 0, exception_5),   TRAP(6, 0, exception_6),
    TRAP(7, 0, exception_7),   TRAP(10, 0, exception_10),
    TRAP(11, 0, exception_11), TRAP(12, 0, exception_12),
    TRAP(13, 0, exception_13), TRAP(14, 0, exception_14),
    TRAP(16, 0, exception_16), TRAP(17, 0, exception_17),
    TRAP(19, 0, exception_19), {0, 0, 0, 0}, /* end: address 0 */
};

static const char *const exception_names[32] = {
    [0] = "#DE divide error",         [1] = "#DB debug",
    [3] = "#BP breakpoint",           [4] = "#OF overflow",
    [5] = "#BR bound range",          [6] = "#UD invalid opcode",
    [7] = "#NM device not available", [10] = "#TS invalid TSS",
    [11] = "#NP segment not present", [12] = "#SS stack fault",
    [13] = "#GP general protection",  [14] = "#PF page fault",
    [16] = "#MF x87 error",           [17] = "#AC alignment check",
    [19] = "#XM SIMD exception",
};

static long register_callback(uint16_t type, void *address)
{
    struct callback_register cb = {.type = type, .address = (unsigned long)address};

    return HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
}

long traps_init(void)
{
    long rc = HYPERVISOR_set_trap_table(trap_table);

    if (rc < 0)
        return rc;
    rc = register_callback(CALLBACKTYPE_event, hypervisor_callback);
    if (rc < 0)
        return rc;
    return register_callback(CALLBACKTYPE_failsafe, failsafe_callback);
}

static void print_registers(const struct pt_regs *r)
{
    printk("pvguest:   rax %016" PRIx64 " rbx %016" PRIx64 " rcx %016" PRIx64 "\n", r->rax, r->rbx,
           r->rcx);
    printk("pvguest:   rdx %016" PRIx64 " rsi %016" PRIx64 " rdi %016" PRIx64 "\n", r->rdx, r->rsi,
           r->rdi);
    printk("pvguest:   rbp %016" PRIx64 " r8  %016" PRIx64 " r9  %016" PRIx64 "\n", r->rbp, r->r8,
           r->r9);
    printk("pvguest:   r10 %016" PRIx64 " r11 %016" PRIx64 " r12 %016" PRIx64 "\n", r->r10, r->r11,
           r->r12);
    printk("pvguest:   r13 %016" PRIx64 " r14 %016" PRIx64 " r15 %016" PRIx64 "\n", r->r13, r->r14,
           r->r15);
}

/* The kernel's own words above the interrupted stack pointer, if it is ours to read. */
static void print_stack(const struct pt_regs *r)
{
    extern char __image_start[], __image_end[];
    const uint64_t *sp = (const uint64_t *)r->rsp;

    if (r->rsp < (uintptr_t)__image_start || r->rsp + 4 * 8 > (uintptr_t)__image_end ||
        (r->rsp & 7) != 0)
        return;
    printk("pvguest:   stack %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n", sp[0],
           sp[1], sp[2], sp[3]);
}

static void __attribute__((noreturn)) fatal_exception(const struct pt_regs *r)
{
    unsigned int vec = (unsigned int)r->vector;
    const char *name = vec < 32 && exception_names[vec] ? exception_names[vec] : "exception";

    printk("pvguest: exception %u (%s), error code %#" PRIx64 "\n", vec, name, r->error_code);
    if (vec == 14) {
        unsigned long cr2 = (unsigned long)this_vcpu_info()->arch.cr2;

        printk("pvguest:   page fault address (cr2) %#lx\n", cr2);
        mm_report_page_fault(cr2, r->error_code);
    }
    printk("pvguest:   rip %016" PRIx64 " cs %04x rflags %08" PRIx64 " rsp %016" PRIx64
           " ss %04" PRIx64 " (upcall mask was %u)\n",
           r->rip, pt_regs_cs(r), r->rflags, r->rsp, r->ss & 0xffff, pt_regs_saved_upcall_mask(r));
    print_registers(r);
    print_stack(r);
    printk("pvguest: fatal exception, crashing the domain\n");
    guest_shutdown(SHUTDOWN_crash);
}

/* The failsafe frame has DS, ES, FS, GS where pt_regs expects RIP, CS, RFLAGS, RSP (entry.S). */
static void __attribute__((noreturn)) fatal_failsafe(const struct pt_regs *r)
{
    const uint64_t *f = &r->rip;

    printk("pvguest: failsafe callback: the hypervisor could not load ds %#" PRIx64 " es %#" PRIx64
           " fs %#" PRIx64 " gs %#" PRIx64 "\n",
           f[0] & 0xffff, f[1] & 0xffff, f[2] & 0xffff, f[3] & 0xffff);
    printk("pvguest:   rip %016" PRIx64 " cs %04" PRIx64 " rflags %08" PRIx64 " rsp %016" PRIx64
           "\n",
           f[4], f[5] & 0xffff, f[6], f[7]);
    print_registers(r);
    printk("pvguest: fatal failsafe callback, crashing the domain\n");
    guest_shutdown(SHUTDOWN_crash);
}

struct probe_fault probe_last_fault;

bool probe_fixup(struct pt_regs *regs, unsigned long address)
{
    extern const uint64_t probe_fixups[];

    for (const uint64_t *f = probe_fixups; f[0] != 0; f += 2) {
        if (regs->rip == f[0]) {
            probe_last_fault = (struct probe_fault){regs->vector, regs->error_code, address};
            regs->rip = f[1];
            regs->rax = (uint64_t)-XEN_EFAULT;
            return true;
        }
    }
    return false;
}

/*
 * A page fault: the memory manager maps demand-zero pages of its lazy areas;
 * a probe's fault returns -EFAULT to the probe; anything else is fatal.
 * CR2 is read before anything else can fault (events are masked on entry).
 */
static void page_fault(struct pt_regs *regs)
{
    unsigned long cr2 = (unsigned long)this_vcpu_info()->arch.cr2;

    if (mm_handle_page_fault(cr2, regs->error_code))
        return;
    if (probe_fixup(regs, cr2))
        return;
    fatal_exception(regs);
}

void trap_entry(struct pt_regs *regs)
{
    switch (regs->vector) {
    case 14:
        page_fault(regs);
        return;
    case 13:
        if (probe_fixup(regs, 0))
            return;
        fatal_exception(regs);
    case VECTOR_EVENT:
        evtchn_do_upcall(regs);
        return;
    case VECTOR_FAILSAFE:
        fatal_failsafe(regs);
    default:
        fatal_exception(regs);
    }
}

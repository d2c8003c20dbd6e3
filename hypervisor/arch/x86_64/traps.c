/*
 * Exceptions and interrupts taken in the hypervisor. A fault in ring 0 is fatal: it is
 * reported (vector, error code, CR2, registers, symbolized backtrace) and the machine is
 * powered off with the failure status. Guest (ring 3) exceptions come with the guest
 * execution work.
 */
#include <arch/cpu.h>
#include <arch/guest.h>
#include <arch/layout.h>
#include <arch/platform.h>
#include <arch/traps.h>
#include <mica/console.h>
#include <mica/guest_access.h>
#include <mica/panic.h>
#include <mica/printf.h>
#include <mica/string.h>
#include <mica/symbols.h>

static irq_handler_t irq_handlers[256];

static const char *const vector_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

extern uint8_t cpu0_stack[], cpu0_stack_top[];

void set_irq_handler(unsigned int vector, irq_handler_t handler)
{
    BUG_ON(vector < 32 || vector > 255);
    irq_handlers[vector] = handler;
}

/* A frame pointer is followed only while it stays on the hypervisor's stack. */
static bool frame_on_stack(uint64_t fp)
{
    return fp >= (uint64_t)cpu0_stack && fp + 16 <= (uint64_t)cpu0_stack_top && !(fp & 7);
}

static void backtrace_from(uint64_t rip, uint64_t rbp)
{
    printk_err("Backtrace:\n");
    print_symbol_line(rip, false);
    for (unsigned int depth = 0; depth < 32 && frame_on_stack(rbp); depth++) {
        const uint64_t *frame = (const uint64_t *)rbp;
        if (!frame[1])
            break;
        print_symbol_line(frame[1], true);
        if (frame[0] <= rbp) /* frames grow towards higher addresses */
            break;
        rbp = frame[0];
    }
}

void show_registers_and_backtrace(const struct cpu_regs *regs)
{
    uint64_t off, size;
    const char *fn = symbols_lookup(regs->rip, &off, &size);

    if (fn)
        printk_err("RIP:    %04lx:[<%016lx>] %s+%#lx/%#lx\n", regs->cs, regs->rip, fn, off, size);
    else
        printk_err("RIP:    %04lx:[<%016lx>]\n", regs->cs, regs->rip);
    printk_err("RFLAGS: %016lx   SS: %04lx   RSP: %016lx\n", regs->rflags, regs->ss, regs->rsp);
    printk_err("rax: %016lx   rbx: %016lx   rcx: %016lx\n", regs->rax, regs->rbx, regs->rcx);
    printk_err("rdx: %016lx   rsi: %016lx   rdi: %016lx\n", regs->rdx, regs->rsi, regs->rdi);
    printk_err("rbp: %016lx   r8:  %016lx   r9:  %016lx\n", regs->rbp, regs->r8, regs->r9);
    printk_err("r10: %016lx   r11: %016lx   r12: %016lx\n", regs->r10, regs->r11, regs->r12);
    printk_err("r13: %016lx   r14: %016lx   r15: %016lx\n", regs->r13, regs->r14, regs->r15);
    printk_err("cr0: %016lx   cr2: %016lx   cr3: %016lx   cr4: %016lx\n", read_cr0(), read_cr2(),
               read_cr3(), read_cr4());
    if (regs_from_guest(regs))
        return; /* a guest's rbp chain means nothing to the hypervisor */
    backtrace_from(regs->rip, regs->rbp);
}

static __noreturn void fatal_trap(struct cpu_regs *regs)
{
    const char *name =
        regs->vector < 32 && vector_names[regs->vector] ? vector_names[regs->vector] : "interrupt";

    printk_err("\n*** mica: hypervisor exception %lu (%s) error code %#06lx ***\n", regs->vector,
               name, regs->error_code);
    if (regs->vector == 14)
        printk_err("CR2: %016lx (page fault address; %s, %s, %s)\n", read_cr2(),
                   regs->error_code & 1 ? "protection violation" : "page not present",
                   regs->error_code & 2 ? "write" : "read",
                   regs->error_code & 16
                       ? "instruction fetch"
                       : (regs->error_code & 4 ? "user mode" : "supervisor mode"));
    show_registers_and_backtrace(regs);
    printk_err("*** mica: machine halted after a fatal error ***\n");
    printk_err("mica: power off (failure)\n");
    machine_power_off(false);
}

void do_trap(struct cpu_regs *regs)
{
    uint64_t fixup;

    if (regs->vector == 0x80 && regs_from_guest(regs)) {
        /* A guest's int $0x80 through the DPL-3 gate: treated as Xen's slow path does, as the
           #GP a DPL-0 gate would raise (error code (0x80 << 3) | 2, RIP on the instruction);
           the #GP path then delivers vector 0x80 if the guest's IDT entry allows it. */
        regs->vector = 13;
        regs->error_code = (0x80 << 3) | 2;
        regs->rip -= 2;
        do_guest_trap(regs);
        arch_guest_exit(regs);
        return;
    }
    if (regs->vector >= 32) {
        irq_handler_t h = irq_handlers[regs->vector];
        if (h)
            h(regs);
        else
            printk_warn("mica: unexpected interrupt on vector %lu ignored\n", regs->vector);
        if (regs_from_guest(regs))
            arch_guest_exit(regs);
        return;
    }
    if (regs_from_guest(regs)) {
        do_guest_trap(regs);
        arch_guest_exit(regs);
        return;
    }
    /* A fault on guest memory the hypervisor touched on a guest's behalf: -EFAULT. */
    if ((regs->vector == 14 || regs->vector == 13 || regs->vector == 12 || regs->vector == 11) &&
        (fixup = search_exception_table(regs->rip))) {
        regs->rip = fixup;
        return;
    }
    fatal_trap(regs);
}

/* Kept out of line and named, so the backtrace of a `debug_fault=` run shows it. */
__attribute__((noinline)) int debug_fault_trigger(const char *kind)
{
    if (!strcmp(kind, "pf")) {
        volatile uint64_t *bad =
            (volatile uint64_t *)0xffff82c03ffff000; /* unmapped ioremap slot */
        *bad = 0xdead;
    } else if (!strcmp(kind, "ud")) {
        __asm__ volatile("ud2");
    } else if (!strcmp(kind, "gp")) {
        volatile uint64_t *noncanonical = (volatile uint64_t *)0x8000000000000000UL;
        (void)*noncanonical;
    } else if (!strcmp(kind, "de")) {
        volatile unsigned int zero = 0;
        volatile unsigned int x = 1 / zero;
        (void)x;
    } else if (!strcmp(kind, "panic")) {
        panic("debug_fault=panic requested on the command line");
    } else if (!strcmp(kind, "hang")) {
        printk("mica: debug_fault=hang: halting with interrupts off\n");
        local_irq_disable();
        for (;;)
            halt();
    } else {
        return -1;
    }
    return 0;
}

void panic(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    struct cpu_regs regs;

    local_irq_disable();
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printk_err("\n*** mica: PANIC: %s ***\n", msg);

    /* The caller's registers: enough for a backtrace from here. */
    memset(&regs, 0, sizeof(regs));
    __asm__ volatile("leaq 0(%%rip), %0\n\tmov %%rbp, %1\n\tmov %%rsp, %2"
                     : "=r"(regs.rip), "=r"(regs.rbp), "=r"(regs.rsp));
    __asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1" : "=r"(regs.cs), "=r"(regs.ss));
    show_registers_and_backtrace(&regs);
    printk_err("*** mica: machine halted after a fatal error ***\n");
    printk_err("mica: power off (failure)\n");
    machine_power_off(false);
}

/*
 * PV64 guests on x86-64: the guest kernel runs in ring 3 on its own page tables (with the
 * hypervisor's L4 slots copied in), enters the hypervisor by SYSCALL for hypercalls and by
 * exceptions, and leaves by IRETQ (entry.S return_to_guest).
 */
#include <arch/cpu.h>
#include <arch/desc.h>
#include <arch/gdt.h>
#include <arch/guest.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <mica/domain.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/panic.h>
#include <mica/string.h>
#include <mica/time.h>

#define RFLAGS_IF   (1UL << 9)
#define RFLAGS_IOPL (3UL << 12)
#define RFLAGS_MBS  (1UL << 1) /* bit 1 is always set */

extern uint8_t cpu0_stack[STACK_SIZE]; /* boot.S */
extern const uint8_t syscall_entry[], syscall32_entry[];
__noreturn void return_to_guest(void);
void do_syscall(struct cpu_regs *regs);

struct cpu_regs *guest_cpu_regs(void)
{
    return (struct cpu_regs *)(cpu0_stack + STACK_SIZE - sizeof(struct cpu_regs));
}

void cpu_guest_init(void)
{
    /* SYSCALL enters at HYPERVISOR_CS/SS; SYSRET's base is FLAT_RING3_CS32, so 64-bit
       SYSRET lands on FLAT_RING3_CS64 / FLAT_RING3_SS64 (SDM Vol 2B SYSRET). */
    wrmsr(MSR_STAR, ((uint64_t)FLAT_RING3_CS32 << 48) | ((uint64_t)HYPERVISOR_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_CSTAR, (uint64_t)syscall32_entry);
    /* Entered with interrupts off, DF/TF/AC/NT clear, IOPL 0. */
    wrmsr(MSR_FMASK,
          RFLAGS_IF | (1UL << 10) | (1UL << 8) | (1UL << 18) | (1UL << 14) | RFLAGS_IOPL);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);

    /* x87 + SSE for guests: CR0.MP set, EM and TS clear; FXSAVE/FXRSTOR and SSE enabled.
       The hypervisor itself never uses the FPU. */
    write_cr0((read_cr0() | (1UL << 1)) & ~((1UL << 2) | X86_CR0_TS));
    write_cr4(read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
    /* As on Xen: CR0.NE (native x87 error reporting) and CR0.AM (alignment checks where
       RFLAGS.AC asks for them), CR4.MCE (machine checks reach the #MC handler). Guests read
       these through the emulated mov from CR0/CR4. */
    write_cr0(read_cr0() | (1UL << 5) | (1UL << 18));
    write_cr4(read_cr4() | (1UL << 6));

    /* The PAT layout xen.h documents for PV guests (WB, WT, UC-, UC, WC, WP, -, -): a guest's
       PAT/PCD/PWT bits select the same cache types as on Xen. The hypervisor's own uncached
       mappings (PCD|PWT: PAT3) stay UC. */
    wrmsr(MSR_PAT, XEN_PV_PAT);
}

void arch_fill_hypercall_page(void *page)
{
    uint8_t *p = page;

    memset(page, 0xcc, PAGE_SIZE); /* int3 between and after the stubs */
    for (unsigned int nr = 0; nr < PAGE_SIZE / 32; nr++) {
        uint8_t *s = p + nr * 32;
        unsigned int i = 0;
        s[i++] = 0x51;                /* push %rcx */
        s[i++] = 0x41, s[i++] = 0x53; /* push %r11 */
        if (nr == __HYPERVISOR_iret)
            s[i++] = 0x50; /* push %rax: struct iret_context starts here */
        s[i++] = 0xb8;     /* mov $nr, %eax */
        memcpy(&s[i], &nr, 4), i += 4;
        s[i++] = 0x0f, s[i++] = 0x05; /* syscall */
        if (nr == __HYPERVISOR_iret) {
            s[i++] = 0x0f, s[i++] = 0x0b; /* ud2: iret does not return here */
            continue;
        }
        s[i++] = 0x41, s[i++] = 0x5b; /* pop %r11 */
        s[i++] = 0x59;                /* pop %rcx */
        s[i++] = 0xc3;                /* ret */
    }
}

void arch_vcpu_init_context(struct vcpu *v, uint64_t rip, uint64_t rsp, uint64_t rsi,
                            paddr_t l4_maddr)
{
    memset(&v->user_regs, 0, sizeof(v->user_regs));
    v->user_regs.rip = rip;
    v->user_regs.rsp = rsp;
    v->user_regs.rsi = rsi;
    v->user_regs.cs = FLAT_KERNEL_CS64;
    v->user_regs.ss = FLAT_KERNEL_SS64;
    v->user_regs.rflags = RFLAGS_IF | RFLAGS_MBS;
    v->kernel_mode = true;

    /* A clean FPU image: FCW 0x37f, MXCSR 0x1f80 (SDM Vol 1 §8.1.5, §10.2.3). */
    memset(v->fpu_area, 0, sizeof(v->fpu_area));
    v->fpu_area[0] = 0x7f, v->fpu_area[1] = 0x03;
    uint32_t mxcsr = 0x1f80;
    memcpy(&v->fpu_area[24], &mxcsr, 4);
    v->fpu_initialised = true;
}

static uint16_t read_sel(int which)
{
    uint16_t v = 0;
    switch (which) {
    case 0:
        __asm__ volatile("mov %%ds, %0" : "=r"(v));
        break;
    case 1:
        __asm__ volatile("mov %%es, %0" : "=r"(v));
        break;
    case 2:
        __asm__ volatile("mov %%fs, %0" : "=r"(v));
        break;
    case 3:
        __asm__ volatile("mov %%gs, %0" : "=r"(v));
        break;
    }
    return v;
}

static void save_vcpu(struct vcpu *v)
{
    v->user_regs = *guest_cpu_regs();
    write_cr0(read_cr0() & ~X86_CR0_TS); /* fxsave would raise #NM */
    __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])v->fpu_area));
    v->ds = read_sel(0), v->es = read_sel(1), v->fs = read_sel(2), v->gs = read_sel(3);
    v->fs_base = rdmsr(MSR_FS_BASE);
    /* The active GS base is the mode's own; the shadow (SWAPGS) one is the other mode's. */
    uint64_t active = rdmsr(MSR_GS_BASE), shadow = rdmsr(MSR_KERNEL_GS_BASE);
    v->gs_base_kernel = v->kernel_mode ? active : shadow;
    v->gs_base_user = v->kernel_mode ? shadow : active;
}

/*
 * Load @sel into data segment register @which (0 ds, 1 es, 2 fs, 3 gs). Returns false, with
 * the null selector loaded instead, if the selector does not load (#GP/#NP: the exception
 * table resumes at the fixup).
 */
static bool load_data_segment(int which, uint16_t sel)
{
    int ok = 1;

#define LOAD_SEG(reg)                                                                              \
    __asm__ volatile("1: mov %k1, %%" reg "\n"                                                     \
                     "2:\n"                                                                        \
                     ".pushsection .text.fixup, \"ax\"\n"                                          \
                     "3: xor %0, %0\n"                                                             \
                     "   mov %0, %%" reg "\n"                                                      \
                     "   jmp 2b\n"                                                                 \
                     ".popsection\n"                                                               \
                     ".pushsection .ex_table, \"a\"\n"                                             \
                     ".balign 8\n"                                                                 \
                     ".quad 1b, 3b\n"                                                              \
                     ".popsection"                                                                 \
                     : "+r"(ok)                                                                    \
                     : "r"((uint32_t)sel))
    switch (which) {
    case 0:
        LOAD_SEG("ds");
        break;
    case 1:
        LOAD_SEG("es");
        break;
    case 2:
        LOAD_SEG("fs");
        break;
    default:
        LOAD_SEG("gs");
        break;
    }
#undef LOAD_SEG
    return ok;
}

bool arch_load_user_gs_selector(uint16_t sel)
{
    bool ok;
    /* The user %gs lives in the shadow base while the guest kernel runs. */
    __asm__ volatile("swapgs" ::: "memory");
    ok = load_data_segment(3, sel);
    __asm__ volatile("swapgs" ::: "memory");
    if (current)
        current->gs = ok ? sel : 0;
    return ok;
}

/*
 * Restore @v's data segments. A selector that no longer loads (its descriptor changed) is
 * replaced by the null selector and the guest learns of it through its failsafe callback,
 * with the selectors it had, as on Xen. Returns false in that case.
 */
static bool load_segments(struct vcpu *v, uint16_t bad[4])
{
    const uint16_t sels[4] = {v->ds, v->es, v->fs, v->gs};
    bool all_ok = true;

    for (int i = 0; i < 4; i++) {
        bad[i] = sels[i];
        if (!load_data_segment(i, sels[i]))
            all_ok = false;
    }
    /* Loading a selector reloads the hidden base: restore the 64-bit bases after. */
    wrmsr(MSR_FS_BASE, v->fs_base);
    wrmsr(MSR_GS_BASE, v->kernel_mode ? v->gs_base_kernel : v->gs_base_user);
    wrmsr(MSR_KERNEL_GS_BASE, v->kernel_mode ? v->gs_base_user : v->gs_base_kernel);
    return all_ok;
}

void context_switch(struct vcpu *next)
{
    struct vcpu *prev = current;

    if (prev == next) {
        deliver_pending_events(guest_cpu_regs());
        return_to_guest();
    }
    /* A blocked vCPU is not runnable but must be saved all the same: it resumes from here. */
    if (prev && prev->domain->state == DOMAIN_RUNNING)
        save_vcpu(prev);
    uint16_t sels[4];
    current = next;
    *guest_cpu_regs() = next->user_regs;
    write_cr3(next->kernel_mode ? next->guest_table : next->guest_table_user);
    /* Guests may set the global bit in their own L1 entries: flush those too. */
    flush_tlb_all();
    /* next's own GDT (set_gdt) must be in place before its selectors are reloaded. */
    gdt_load(next);
    write_cr0(read_cr0() & ~X86_CR0_TS);
    __asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[512])next->fpu_area));
    if (next->virtual_ts)
        write_cr0(read_cr0() | X86_CR0_TS);
    if (!load_segments(next, sels))
        deliver_failsafe(guest_cpu_regs(), sels);
    update_vcpu_system_time(next);
    deliver_pending_events(guest_cpu_regs());
    return_to_guest();
}

bool toggle_guest_mode(struct vcpu *v)
{
    paddr_t table = v->kernel_mode ? v->guest_table_user : v->guest_table;

    /* Xen: switching to user mode needs user page tables (a guest may give its kernel
       table for both). */
    if (!table)
        return false;
    v->kernel_mode = !v->kernel_mode;
    __asm__ volatile("swapgs" ::: "memory");
    write_cr3(table);
    return true;
}

void idle_enter(void)
{
    if (current && current->domain->state == DOMAIN_RUNNING)
        save_vcpu(current);
    current = NULL;
    /* A dead domain's page tables may be freed: run on the hypervisor's own. */
    write_cr3(paging_idle_l4());
    gdt_load(NULL); /* and its GDT frames too */
}

/* A guest kernel's SYSCALL is a hypercall; from guest user mode it is the guest's own
   system call, delivered to its kernel's syscall callback. */
void do_syscall(struct cpu_regs *regs)
{
    if (!current->kernel_mode) {
        deliver_guest_syscall(regs);
        arch_guest_exit(regs);
        return;
    }
    if (regs->vector == SYSCALL32_FRAME_VECTOR)
        domain_crash(current->domain,
                     "SYSCALL from 32-bit compatibility mode at %#lx "
                     "(no 32-bit PV guests on mica)",
                     regs->rip);
    hypercall_enter();
    long ret = hypercall_dispatch(regs->rax, regs);
    /* A continuation has set rax to the hypercall number and rewound rip: keep them. */
    if (!hypercall_preempted())
        regs->rax = (uint64_t)ret;
    arch_guest_exit(regs);
}

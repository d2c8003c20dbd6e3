/*
 * probe_traps: exceptions bounced to a PV guest kernel (set_trap_table, the
 * PV64 bounce frame of arch-x86/xen-x86_64.h, HYPERVISOR_iret), as dom0 on
 * Xen 4.17 and on mica. Issue 4's fidelity probe; compare with
 * tests/system/compare-probe.sh probe_traps.
 *
 * The guest registers handlers for #DE, #DB, int3 (DPL 3), #OF, #BR, #UD,
 * #NM, #GP, #PF, #MF, #AC, #XM and vector 0x81 (DPL 1); then it raises, one by
 * one: #DE (div by 0), #UD (ud2), int3, #GP from `int $0x80` (no entry),
 * `int $0x81` (entry with DPL 1), and the privileged instructions
 * mov %cr0/%cr4 (emulated by Xen: no trap, the value is printed), hlt,
 * wbinvd, rdmsr and wrmsr of an MSR that does not exist, lgdt, clts,
 * mov to CR2, mov from DR7, rdmsr FS_BASE, rdtsc, rdpmc, in/out port 0x80,
 * invlpg, swapgs, cli, sti; #NM after
 * fpu_taskswitch(1); #DB from single-stepping; #AC (RFLAGS.AC); #PF on
 * an unmapped read and on a write to its own read-only L4 (CR2 from
 * vcpu_info->arch.cr2).
 *
 * Each handler entry records the frame the hypervisor pushed — from the new
 * RSP up: RCX, R11, [error code,] RIP, CS, RFLAGS, RSP, SS — and returns with
 * HYPERVISOR_iret to the instruction after the faulting one. Before each
 * faulting instruction RCX and R11 hold known values; RIP and RSP are printed
 * relative to the faulting instruction and the stack pointer at the fault.
 */
#define PROBE_NAME "probe_traps"

#include <string.h>

#include "probe.h"

/* What the last trap left: filled in by trap_record() from the bounce frame. */
struct trap_seen {
    int vector; /* -1: none */
    int has_ec;
    uint64_t rcx, r11, ec, rip, cs, rflags, rsp, ss;
    uint64_t cr2; /* vcpu_info->arch.cr2 when the handler ran */
};

static volatile struct trap_seen seen;

/* Set by each test just before its faulting instruction (read by trap_record). */
uint64_t probe_fault_rip, probe_fault_rsp, probe_resume_rip;

/*
 * Called from the entry stubs with the bounce frame, the vector and whether the
 * frame has an error code. Records it and points the frame's RIP at the resume
 * label so that HYPERVISOR_iret continues after the faulting instruction.
 */
void trap_record(uint64_t *frame, int vector, int has_ec)
{
    unsigned int i = 0;

    seen.vector = vector;
    seen.has_ec = has_ec;
    seen.rcx = frame[i++];
    seen.r11 = frame[i++];
    seen.ec = has_ec ? frame[i++] : 0;
    seen.rip = frame[i];
    frame[i++] = probe_resume_rip;
    seen.cs = frame[i++];
    seen.rflags = frame[i++];
    seen.rsp = frame[i++];
    seen.ss = frame[i++];
    seen.cr2 = HYPERVISOR_shared_info->vcpu_info[0].arch.cr2;
    /* Leave no trap-causing state behind: single-step (TF) and alignment checks (AC) off in
       the RFLAGS iret restores; after #NM, TS clear (the guest's job, as a kernel's clts). */
    frame[i - 3] &= ~((1UL << 8) | (1UL << 18));
    if (vector == 7)
        hypercall1(__HYPERVISOR_fpu_taskswitch, 0);
}

/*
 * Entry stubs. On entry RSP points at the bounce frame. The stub saves the
 * caller-saved registers the frame does not hold, calls trap_record on a
 * 16-byte aligned stack, restores them, takes RCX and R11 from the frame,
 * drops the error code, and leaves through the hypercall page's iret stub with
 * the iret_context's flags word 0 (the stub pushes RCX, R11 and RAX).
 */
#define TRAP_STUB(name, vec, has_ec)                                                               \
    ".globl " #name "\n" #name ":\n"                                                               \
    "push %rax; push %rdx; push %rsi; push %rdi; push %r8; push %r9; push %r10; push %rbp\n"       \
    "lea 64(%rsp), %rdi\n"                                                                         \
    "mov $" #vec ", %esi\n"                                                                        \
    "mov $" #has_ec ", %edx\n"                                                                     \
    "mov %rsp, %rbp\n"                                                                             \
    "and $-16, %rsp\n"                                                                             \
    "call trap_record\n"                                                                           \
    "mov %rbp, %rsp\n"                                                                             \
    "pop %rbp; pop %r10; pop %r9; pop %r8; pop %rdi; pop %rsi; pop %rdx; pop %rax\n"               \
    "pop %rcx; pop %r11\n"                                                                         \
    ".if " #has_ec "\n add $8, %rsp\n .endif\n"                                                    \
    "push $0\n"                                                                                    \
    "jmp hypercall_page + 23*32\n" /* __HYPERVISOR_iret */

/* clang-format off */
__asm__(".pushsection .text\n"
        TRAP_STUB(trap_de, 0, 0)
        TRAP_STUB(trap_db, 1, 0)
        TRAP_STUB(trap_bp, 3, 0)
        TRAP_STUB(trap_of, 4, 0)
        TRAP_STUB(trap_br, 5, 0)
        TRAP_STUB(trap_ud, 6, 0)
        TRAP_STUB(trap_nm, 7, 0)
        TRAP_STUB(trap_gp, 13, 1)
        TRAP_STUB(trap_pf, 14, 1)
        TRAP_STUB(trap_mf, 16, 0)
        TRAP_STUB(trap_ac, 17, 1)
        TRAP_STUB(trap_xm, 19, 0)
        TRAP_STUB(trap_81, 0x81, 0)
        ".popsection\n");
/* clang-format on */

void trap_de(void), trap_db(void), trap_bp(void), trap_of(void), trap_br(void), trap_ud(void),
    trap_nm(void), trap_gp(void), trap_pf(void), trap_mf(void), trap_ac(void), trap_xm(void),
    trap_81(void);

/*
 * Run one faulting instruction INSN: record the fault RIP, RSP and the resume
 * label, load RCX/R11 with markers, execute it, land at 1:. RAX is the
 * instruction's result where it has one (mov from a control register).
 */
#define RUN(insn, ...)                                                                             \
    ({                                                                                             \
        uint64_t rax_ = 0;                                                                         \
        seen.vector = -1;                                                                          \
        __asm__ volatile("lea 0f(%%rip), %%rax\n\t"                                                \
                         "mov %%rax, probe_fault_rip(%%rip)\n\t"                                   \
                         "lea 1f(%%rip), %%rax\n\t"                                                \
                         "mov %%rax, probe_resume_rip(%%rip)\n\t"                                  \
                         "mov %%rsp, probe_fault_rsp(%%rip)\n\t"                                   \
                         "xor %%eax, %%eax\n\t"                                                    \
                         "mov $0x1111c, %%rcx\n\t"                                                 \
                         "mov $0x2222b, %%r11\n\t"                                                 \
                         "0: " insn "\n\t"                                                         \
                         "1:\n\t"                                                                  \
                         : "=&a"(rax_)                                                             \
                         : __VA_ARGS__                                                             \
                         : "rcx", "r11", "rdx", "r8", "memory", "cc");                             \
        rax_;                                                                                      \
    })

static void report(const char *what, uint64_t rax)
{
    if (seen.vector < 0) {
        P("%s: no trap, rax %#lx", what, (unsigned long)rax);
        return;
    }
    char ec[32] = "-";
    if (seen.has_ec)
        snprintf(ec, sizeof(ec), "%#lx", (unsigned long)seen.ec);
    P("%s: vector %d, error code %s", what, seen.vector, ec);
    P("  frame: rcx %#lx r11 %#lx rip fault%+ld cs %#lx rflags %#lx rsp fault%+ld ss %#lx",
      (unsigned long)seen.rcx, (unsigned long)seen.r11, (long)(seen.rip - probe_fault_rip),
      (unsigned long)seen.cs, (unsigned long)seen.rflags, (long)(seen.rsp - probe_fault_rsp),
      (unsigned long)seen.ss);
    if (seen.vector == 14)
        P("  cr2 (vcpu_info.arch.cr2) %#lx", (unsigned long)seen.cr2);
}

int main(void)
{
    static trap_info_t traps[] = {
        {0, 0, FLAT_KERNEL_CS, (unsigned long)trap_de},
        {1, 0, FLAT_KERNEL_CS, (unsigned long)trap_db},
        {3, 3, FLAT_KERNEL_CS, (unsigned long)trap_bp},
        {4, 3, FLAT_KERNEL_CS, (unsigned long)trap_of},
        {5, 0, FLAT_KERNEL_CS, (unsigned long)trap_br},
        {6, 0, FLAT_KERNEL_CS, (unsigned long)trap_ud},
        {7, 0, FLAT_KERNEL_CS, (unsigned long)trap_nm},
        {13, 0, FLAT_KERNEL_CS, (unsigned long)trap_gp},
        {14, 0, FLAT_KERNEL_CS, (unsigned long)trap_pf},
        {16, 0, FLAT_KERNEL_CS, (unsigned long)trap_mf},
        {17, 0, FLAT_KERNEL_CS, (unsigned long)trap_ac},
        {19, 0, FLAT_KERNEL_CS, (unsigned long)trap_xm},
        {0x81, 1, FLAT_KERNEL_CS, (unsigned long)trap_81},
        {0, 0, 0, 0},
    };

    P("set_trap_table = %s", rc_str(hypercall1(__HYPERVISOR_set_trap_table, (unsigned long)traps)));
    P("events masked (upcall_mask): %u", HYPERVISOR_shared_info->vcpu_info[0].evtchn_upcall_mask);

    uint64_t r;
    r = RUN("xor %%edx, %%edx; xor %%r8d, %%r8d; div %%r8");
    report("#DE div by zero", r);
    r = RUN("ud2");
    report("#UD ud2", r);
    r = RUN("int3");
    report("int3", r);
    r = RUN(".byte 0xcd, 0x03"); /* int $3, the two-byte form */
    report("int $3", r);
    r = RUN("int $0x80");
    report("int $0x80 (no handler)", r);
    r = RUN("int $0x81");
    report("int $0x81 (handler with DPL 1)", r);
    r = RUN("mov %%cr0, %%rax");
    report("mov %cr0, %rax", r & ~0x8UL); /* TS may be either */
    r = RUN("mov %%cr4, %%rax");
    report("mov %cr4, %rax", r);
    r = RUN("hlt");
    report("hlt", r);
    r = RUN("wbinvd");
    report("wbinvd", r);
    r = RUN("mov $0xdeadbeef, %%ecx; rdmsr");
    report("rdmsr 0xdeadbeef", r);
    r = RUN("mov $0xdeadbeef, %%ecx; xor %%edx, %%edx; wrmsr");
    report("wrmsr 0xdeadbeef", r);
    r = RUN("lgdt (%%rsp)");
    report("lgdt", r);
    r = RUN("clts");
    report("clts", r);
    r = RUN("mov %%rax, %%cr2"); /* writes CR2 = 0 */
    report("mov %rax, %cr2", r);
    r = RUN("mov %%dr7, %%rax");
    report("mov %dr7, %rax", r);
    r = RUN("mov $0xc0000100, %%ecx; rdmsr; shl $32, %%rdx; or %%rdx, %%rax");
    report("rdmsr MSR_FS_BASE", r);
    r = RUN("rdtsc; xor %%eax, %%eax");
    report("rdtsc (result dropped)", r);
    r = RUN("xor %%ecx, %%ecx; rdpmc; xor %%eax, %%eax");
    report("rdpmc 0 (result dropped)", r);
    r = RUN("pushf; pop %%rax");
    report("pushf: the real RFLAGS.IOPL (bits 12-13)", r & 0x3000);
    r = RUN("in $0x80, %%al");
    report("in $0x80, %al", r & ~0xffUL);
    r = RUN("out %%al, $0x80");
    report("out %al, $0x80", r);
    r = RUN("in $0x21, %%al"); /* PIC mask: a read changes nothing */
    report("in $0x21, %al", r & ~0xffUL);
    r = RUN("mov $0x3fd, %%edx; in %%dx, %%al"); /* COM1 line status: read only */
    report("in (0x3fd), %al", r & ~0xffUL);
    r = RUN("invlpg (%%rsp)");
    report("invlpg", r);
    r = RUN("swapgs");
    report("swapgs", r);
    r = RUN("cli");
    report("cli", r);
    r = RUN("sti");
    report("sti", r);
    P("  events masked after cli/sti: %u", HYPERVISOR_shared_info->vcpu_info[0].evtchn_upcall_mask);
    HYPERVISOR_shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
    hypercall1(__HYPERVISOR_fpu_taskswitch, 1);
    r = RUN("xorps %%xmm7, %%xmm7");
    report("#NM after fpu_taskswitch(1), xorps", r);
    r = RUN("xorps %%xmm7, %%xmm7");
    report("xorps after the #NM handler's fpu_taskswitch(0)", r);
    /* Single step: TF set by popf traps after the next instruction (the nop). */
    r = RUN("pushf; orq $0x100, (%%rsp); popf; nop");
    report("#DB single step (popf TF; nop)", r);
    /* Alignment check: CR0.AM (if the hypervisor sets it) and RFLAGS.AC in ring 3. */
    r = RUN("pushf; orq $0x40000, (%%rsp); popf; mov 1(%%rsp), %%rax");
    __asm__ volatile("pushf; andq $~0x40000, (%%rsp); popf" ::: "memory", "cc");
    report("#AC misaligned read with RFLAGS.AC", r);
    r = RUN("mov (%%rdi), %%rax", "D"(0x10000000UL));
    report("#PF read of unmapped 0x10000000", r);
    r = RUN("movq $0, 8(%%rdi)", "D"(start_info->pt_base));
    report("#PF write to own read-only L4", r);
    r = RUN("mov (%%rdi), %%rax", "D"(0x0000800000000000UL));
    report("read of non-canonical 0x0000800000000000", r);
    r = RUN("mov (%%rdi), %%rax", "D"(0xffff830000000000UL));
    report("read of hypervisor 0xffff830000000000", r);

    probe_done();
    return 0;
}

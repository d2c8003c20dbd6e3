/*
 * probe_privops: every privileged instruction of docs/abi-priv-ops.md executed once by a PV
 * guest kernel (ring 3), as dom0 on Xen 4.17 and on mica; compare with
 * tests/system/compare-probe.sh probe_privops (expected differences in
 * probe_privops.diff-ok).
 *
 * A trap table catches #DB, #BP, #UD, #NM, #GP, #PF and #AC. Each handler records the vector
 * and error code and resumes after the instruction through HYPERVISOR_iret. Each line says
 * whether the instruction trapped and, if not, the registers it produced (never a value that
 * changes from run to run, such as the TSC).
 *
 * Order matters: first with virtual IOPL 0 and no I/O bitmap (I/O, CLI, STI refused), then
 * PHYSDEVOP_set_iopl(1) (the kernel counts as ring 1), then an I/O bitmap with IOPL 0 again;
 * then control registers, debug registers, MSRs and the rest, each restored after use.
 */
#define PROBE_NAME "probe_privops"

#include <string.h>

#include "probe.h"

#include <xen/physdev.h>

/* Set by the trap handlers; probe_vec -1: no trap. */
volatile long probe_vec = -1, probe_ec = -1;
uint64_t probe_resume_rip;

/*
 * Handler entry: the frame is RCX, R11, [error code,] RIP, CS, RFLAGS, RSP, SS. Record the
 * vector and error code, restore RCX and R11, point RIP at the resume label, and iret through
 * the hypercall page's stub (which pushes RCX, R11 and RAX below the flags word 0).
 */
#define STUB(name, vec, has_ec)                                                                    \
    ".globl " #name "\n" #name ":\n"                                                               \
    "movq $" #vec ", probe_vec(%rip)\n"                                                            \
    "pop %rcx\n pop %r11\n"                                                                        \
    ".if " #has_ec "\n popq probe_ec(%rip)\n .else\n movq $-1, probe_ec(%rip)\n .endif\n"          \
    "push %rax\n"                                                                                  \
    "mov probe_resume_rip(%rip), %rax\n"                                                           \
    "mov %rax, 8(%rsp)\n"                                                                          \
    "pop %rax\n"                                                                                   \
    "push $0\n"                                                                                    \
    "jmp hypercall_page + 23*32\n"

__asm__(".pushsection .text\n" STUB(privops_db, 1, 0) STUB(privops_bp, 3, 0) STUB(privops_ud, 6, 0)
            STUB(privops_nm, 7, 0) STUB(privops_gp, 13, 1) STUB(privops_pf, 14, 1)
                STUB(privops_ac, 17, 1) ".popsection\n");
void privops_db(void), privops_bp(void), privops_ud(void), privops_nm(void), privops_gp(void),
    privops_pf(void), privops_ac(void);

/* Registers in and out of one instruction. */
struct regs {
    uint64_t rax, rcx, rdx, rsi, rdi;
};

/*
 * Run INSN with rax, rcx, rdx, rsi, rdi from *r, store them back into *r afterwards (the
 * values the instruction left, or those at the trap). rbx holds r.
 */
#define RUN(insn, r)                                                                               \
    do {                                                                                           \
        probe_vec = -1;                                                                            \
        probe_ec = -1;                                                                             \
        __asm__ volatile("lea 1f(%%rip), %%rax\n\t"                                                \
                         "mov %%rax, probe_resume_rip(%%rip)\n\t"                                  \
                         "mov 0(%%rbx), %%rax\n\t"                                                 \
                         "mov 8(%%rbx), %%rcx\n\t"                                                 \
                         "mov 16(%%rbx), %%rdx\n\t"                                                \
                         "mov 24(%%rbx), %%rsi\n\t"                                                \
                         "mov 32(%%rbx), %%rdi\n\t" insn "\n\t"                                    \
                         "1:\n\t"                                                                  \
                         "mov %%rax, 0(%%rbx)\n\t"                                                 \
                         "mov %%rcx, 8(%%rbx)\n\t"                                                 \
                         "mov %%rdx, 16(%%rbx)\n\t"                                                \
                         "mov %%rsi, 24(%%rbx)\n\t"                                                \
                         "mov %%rdi, 32(%%rbx)\n\t"                                                \
                         :                                                                         \
                         : "b"(r)                                                                  \
                         : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r11", "memory", "cc");        \
    } while (0)

static const char *vec_name(long v)
{
    switch (v) {
    case 1:
        return "#DB";
    case 3:
        return "#BP";
    case 6:
        return "#UD";
    case 7:
        return "#NM";
    case 13:
        return "#GP";
    case 14:
        return "#PF";
    case 17:
        return "#AC";
    default:
        return "?";
    }
}

/* "ok" or the trap, as text (one of 4 static buffers). */
static const char *outcome(void)
{
    static char bufs[4][24];
    static unsigned int n;
    char *b = bufs[n++ % 4];

    if (probe_vec < 0)
        return "ok";
    if (probe_ec >= 0)
        snprintf(b, sizeof(bufs[0]), "%s(%#lx)", vec_name(probe_vec), (unsigned long)probe_ec);
    else
        snprintf(b, sizeof(bufs[0]), "%s", vec_name(probe_vec));
    return b;
}

/* Run @insn and print "what = outcome" and, if it did not trap, the registers @show names
   (a string of letters: a c d S D for rax rcx rdx rsi rdi), masked with @mask. */
#define T(what, insn, show, mask, ...)                                                             \
    do {                                                                                           \
        struct regs r_ = {__VA_ARGS__};                                                            \
        RUN(insn, &r_);                                                                            \
        show_result(what, &r_, show, mask);                                                        \
    } while (0)

static struct regs last;

static void show_result(const char *what, const struct regs *r, const char *show, uint64_t mask)
{
    char line[200];
    int n = snprintf(line, sizeof(line), "%s = %s", what, outcome());

    last = *r;
    if (probe_vec >= 0)
        show = "";
    for (const char *s = show; *s && n < (int)sizeof(line); s++) {
        const char *name = *s == 'a'   ? "rax"
                           : *s == 'c' ? "rcx"
                           : *s == 'd' ? "rdx"
                           : *s == 'S' ? "rsi"
                                       : "rdi";
        uint64_t v = *s == 'a'   ? r->rax
                     : *s == 'c' ? r->rcx
                     : *s == 'd' ? r->rdx
                     : *s == 'S' ? r->rsi
                                 : r->rdi;
        n += snprintf(line + n, sizeof(line) - n, ", %s %#lx", name, (unsigned long)(v & mask));
    }
    P("%s", line);
}

#define ALL (~0UL)

static long physdev_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_physdev_op, (unsigned long)cmd, (unsigned long)arg);
}

static long set_iopl(unsigned int iopl)
{
    struct physdev_set_iopl s = {.iopl = iopl};

    return physdev_op(PHYSDEVOP_set_iopl, &s);
}

static uint8_t iobitmap[8192];
static uint8_t buf[64];
static uint8_t hc_page[4096] __attribute__((aligned(4096)));

static unsigned long virt_to_mfn(const void *p)
{
    return probe_pfn_to_mfn(((unsigned long)p - PROBE_VIRT_BASE) >> PAGE_SHIFT);
}

static void port_io(void)
{
    struct physdev_set_iobitmap bm;

    P("-- virtual IOPL 0, no I/O bitmap");
    T("cli", "cli", "", ALL, 0);
    T("sti", "sti", "", ALL, 0);
    T("pushf (IF, IOPL)", "pushf; pop %%rax", "a", 0x3200, 0);
    T("popf (IOPL 3, IF 0)", "push $0x3002; popf; pushf; pop %%rax", "a", 0x3200, 0);
    T("in $0x80, %al", "in $0x80, %%al", "a", ALL, 0);
    T("out %al, $0x80", "out %%al, $0x80", "", ALL, 0);
    T("in (%dx), %al [dx 0x92]", "in %%dx, %%al", "a", ALL, .rdx = 0x92);
    T("rep insb [dx 0x92]", "rep insb", "cD", ALL, .rcx = 1, .rdx = 0x92, .rdi = (uint64_t)buf);

    P("physdev_op(set_iopl, 4) = %s", rc_str(set_iopl(4)));
    P("physdev_op(set_iopl, 1) = %s", rc_str(set_iopl(1)));
    P("-- virtual IOPL 1");
    T("cli", "cli", "", ALL, 0);
    T("sti", "sti", "", ALL, 0);
    T("pushf (IF, IOPL)", "pushf; pop %%rax", "a", 0x3200, 0);
    T("out %al, $0x80", "out %%al, $0x80", "", ALL, .rax = 0x55);
    T("in $0x92, %al (port 92, given)", "in $0x92, %%al", "a", ALL, .rax = 0x12345678);
    T("in $0x92, %ax", "in $0x92, %%ax", "a", 0xff, .rax = 0x12345678);
    T("in $0x21, %al (PIC, kept)", "in $0x21, %%al", "a", ALL, .rax = 0x12345678);
    T("in $0x40, %ax (PIT, kept)", "in $0x40, %%ax", "a", ALL, .rax = 0x12345678);
    T("in (%dx), %al [dx 0x3fd] (COM1, kept)", "in %%dx, %%al", "a", ALL, .rax = 0x1200,
      .rdx = 0x3fd);
    T("in (%dx), %eax [dx 0x3f8] (COM1, kept)", "in %%dx, %%eax", "a", ALL,
      .rax = 0xfedcba9876543210UL, .rdx = 0x3f8);
    T("in (%dx), %eax [dx 0xcf8]", "in %%dx, %%eax", "a", ALL, .rdx = 0xcf8);
    T("out %eax, (%dx) [dx 0xcf8, eax 0x80000000]", "out %%eax, %%dx", "", ALL, .rax = 0x80000000,
      .rdx = 0xcf8);
    T("in (%dx), %eax [dx 0xcf8]", "in %%dx, %%eax", "a", ALL, .rdx = 0xcf8);
    T("in (%dx), %eax [dx 0xcfc] (00:00.0 ids)", "in %%dx, %%eax", "a", ALL, .rdx = 0xcfc);
    T("in (%dx), %ax [dx 0xcfe] (00:00.0 device)", "in %%dx, %%ax", "a", ALL, .rdx = 0xcfe);
    T("out %eax, (%dx) [dx 0xcf8, eax 0]", "out %%eax, %%dx", "", ALL, .rdx = 0xcf8);
    T("in (%dx), %eax [dx 0xcfc] (disabled)", "in %%dx, %%eax", "a", ALL, .rdx = 0xcfc);

    memset(buf, 0x11, sizeof(buf));
    T("rep insb x4 [dx 0x3fd]", "rep insb", "cD", ALL, .rcx = 4, .rdx = 0x3fd,
      .rdi = (uint64_t)buf);
    P("  buffer %02x %02x %02x %02x %02x, rdi advanced by %ld", buf[0], buf[1], buf[2], buf[3],
      buf[4], (long)(last.rdi - (uint64_t)buf));
    T("insw [dx 0x3f8] (no rep)", "insw", "cD", ALL, .rcx = 7, .rdx = 0x3f8,
      .rdi = (uint64_t)buf + 8);
    P("  buffer %02x %02x %02x, rdi advanced by %ld", buf[8], buf[9], buf[10],
      (long)(last.rdi - (uint64_t)buf - 8));
    T("std; rep insb x2 [dx 0x3fd]; cld", "std; rep insb; cld", "c", ALL, .rcx = 2, .rdx = 0x3fd,
      .rdi = (uint64_t)buf + 20);
    P("  buffer %02x %02x %02x %02x, rdi moved by %ld", buf[18], buf[19], buf[20], buf[21],
      (long)(last.rdi - (uint64_t)buf - 20));
    T("rep insb x0", "rep insb", "cD", ALL, .rcx = 0, .rdx = 0x3fd, .rdi = 0x1234);
    T("rep outsb x3 [dx 0x80]", "rep outsb", "c", ALL, .rcx = 3, .rdx = 0x80, .rsi = (uint64_t)buf);
    P("  rsi advanced by %ld", (long)(last.rsi - (uint64_t)buf));
    T("insb to unmapped 0x10000000", "insb", "", ALL, .rdx = 0x3fd, .rdi = 0x10000000);
    T("outsb from unmapped 0x10000000", "outsb", "", ALL, .rdx = 0x80, .rsi = 0x10000000);

    P("physdev_op(set_iopl, 0) = %s", rc_str(set_iopl(0)));
    P("-- virtual IOPL 0, I/O bitmap allowing 0x80 and 0x92-0x93");
    memset(iobitmap, 0xff, sizeof(iobitmap));
    iobitmap[0x80 / 8] &= ~(1 << (0x80 % 8));
    iobitmap[0x92 / 8] &= ~(3 << (0x92 % 8));
    set_xen_guest_handle(bm.bitmap, iobitmap);
    bm.nr_ports = 0x400;
    P("physdev_op(set_iobitmap, 0x400 ports) = %s",
      rc_str(physdev_op(PHYSDEVOP_set_iobitmap, &bm)));
    T("in $0x80, %al", "in $0x80, %%al", "", ALL, 0);
    T("in $0x92, %ax", "in $0x92, %%ax", "a", 0xff, 0);
    T("in $0x92, %eax (0x94 not allowed)", "in $0x92, %%eax", "", ALL, 0);
    T("in $0x81, %al", "in $0x81, %%al", "", ALL, 0);
    T("cli", "cli", "", ALL, 0);
    set_xen_guest_handle(bm.bitmap, (uint8_t *)NULL);
    bm.nr_ports = 0;
    P("physdev_op(set_iobitmap, none) = %s", rc_str(physdev_op(PHYSDEVOP_set_iobitmap, &bm)));
    T("in $0x80, %al", "in $0x80, %%al", "", ALL, 0);
}

static void control_registers(void)
{
    uint64_t cr0, cr4, cr3;

    P("-- control registers");
    T("mov %cr0, %rax", "mov %%cr0, %%rax", "a", ALL, 0);
    cr0 = last.rax;
    T("mov %rax, %cr0 (unchanged)", "mov %%rax, %%cr0", "", ALL, .rax = cr0);
    /* With TS set the next FPU/SSE use (printing) raises #NM: clear it in the same run. */
    T("mov %rax, %cr0 (TS set); mov %cr0, %rdx; clts; mov %cr0, %rsi",
      "mov %%rax, %%cr0; mov %%cr0, %%rdx; clts; mov %%cr0, %%rsi", "dS", 8, .rax = cr0 | 8);
    T("mov %rax, %cr0 (WP cleared)", "mov %%rax, %%cr0", "", ALL, .rax = cr0 & ~(1UL << 16));
    T("mov %rax, %cr0 (TS, EM set); clts", "mov %%rax, %%cr0; clts", "", ALL, .rax = cr0 | 8 | 4);
    T("mov %rax, %cr2", "mov %%rax, %%cr2", "", ALL, .rax = 0x123456789abcUL);
    T("mov %cr2, %rcx", "mov %%cr2, %%rcx", "c", ALL, 0);
    P("  vcpu_info.arch.cr2 %#lx", (unsigned long)HYPERVISOR_shared_info->vcpu_info[0].arch.cr2);
    T("mov %cr3, %rdx", "mov %%cr3, %%rdx", "", ALL, 0);
    cr3 = last.rdx;
    P("  cr3 is the L4's machine address: %s",
      cr3 == virt_to_mfn((void *)start_info->pt_base) << PAGE_SHIFT ? "yes" : "no");
    T("mov %rdx, %cr3 (same L4)", "mov %%rdx, %%cr3", "", ALL, .rdx = cr3);
    T("mov %rdx, %cr3 (a data page)", "mov %%rdx, %%cr3", "", ALL,
      .rdx = virt_to_mfn(buf) << PAGE_SHIFT);
    T("mov %cr4, %rax", "mov %%cr4, %%rax", "a", ALL, 0);
    cr4 = last.rax;
    T("mov %rax, %cr4 (+PGE +PCE +VME +OSXSAVE)", "mov %%rax, %%cr4", "", ALL,
      .rax = cr4 | 0x80 | 0x100 | 0x1 | 0x40000);
    T("mov %cr4, %rax", "mov %%cr4, %%rax", "a", ALL, 0);
    T("mov %rax, %cr4 (+TSD)", "mov %%rax, %%cr4", "", ALL, .rax = cr4 | 4);
    T("mov %cr4, %rax", "mov %%cr4, %%rax", "a", ALL, 0);
    T("rdtsc (CR4.TSD)", "rdtsc", "", ALL, 0);
    T("rdtscp (CR4.TSD)", "rdtscp", "", ALL, 0);
    T("mov %rax, %cr4 (+DE)", "mov %%rax, %%cr4", "", ALL, .rax = cr4 | 8);
    T("mov %cr4, %rax", "mov %%cr4, %%rax", "a", ALL, 0);
    T("mov %rax, %cr4 (restored)", "mov %%rax, %%cr4", "", ALL, .rax = cr4);
    T("mov %cr4, %rax", "mov %%cr4, %%rax", "a", ALL, 0);
    T("rdtsc", "rdtsc", "", ALL, 0);
    T("mov %cr8, %rax", "mov %%cr8, %%rax", "", ALL, 0);
    T("mov %rax, %cr8", "mov %%rax, %%cr8", "", ALL, 0);
    T("mov %cr1 (0f 20 c8)", ".byte 0x0f, 0x20, 0xc8", "", ALL, 0);
    T("lock mov %cr0 (f0 0f 20 c0)", ".byte 0xf0, 0x0f, 0x20, 0xc0", "", ALL, 0);
}

static void debug_registers(void)
{
    P("-- debug registers");
    T("mov %dr7, %rax", "mov %%dr7, %%rax", "a", ALL, 0);
    T("mov %dr6, %rax", "mov %%dr6, %%rax", "a", ALL, 0);
    T("mov %dr0, %rax", "mov %%dr0, %%rax", "a", ALL, 0);
    T("mov %rax, %dr0", "mov %%rax, %%dr0", "", ALL, .rax = 0x1000);
    T("mov %dr0, %rax", "mov %%dr0, %%rax", "a", ALL, 0);
    T("mov %rax, %dr3 (hypervisor address)", "mov %%rax, %%dr3", "", ALL,
      .rax = 0xffff830000000000UL);
    T("mov %rax, %dr6", "mov %%rax, %%dr6", "", ALL, .rax = 0x1);
    T("mov %dr6, %rax", "mov %%dr6, %%rax", "a", ALL, 0);
    T("mov %dr4, %rax (alias of dr6)", "mov %%dr4, %%rax", "a", ALL, 0);
    T("mov %rax, %dr6 (0)", "mov %%rax, %%dr6", "", ALL, .rax = 0);
    T("mov %rax, %dr7 (GD, no enables)", "mov %%rax, %%dr7", "", ALL, .rax = 0x2000 | 0x400);
    T("mov %dr7, %rax", "mov %%dr7, %%rax", "a", ALL, 0);
    T("mov %rax, %dr7 (0x400)", "mov %%rax, %%dr7", "", ALL, .rax = 0x400);
    T("mov %rax, %dr7 (high bits)", "mov %%rax, %%dr7", "", ALL, .rax = 0x100000400UL);
    T("mov %rax, %dr7 (L0 enabled)", "mov %%rax, %%dr7", "", ALL, .rax = 0x401);
    T("mov %rax, %dr7 (0)", "mov %%rax, %%dr7", "", ALL, .rax = 0);
    T("mov %rax, %dr0 (0)", "mov %%rax, %%dr0", "", ALL, .rax = 0);
    T("mov %dr8, %rax (44 0f 21 c0)", ".byte 0x44, 0x0f, 0x21, 0xc0", "", ALL, 0);
}

/* RDMSR of @msr, printing edx:eax masked with @mask. */
static void rdmsr_line(const char *what, uint32_t msr, uint64_t mask)
{
    char name[80];

    snprintf(name, sizeof(name), "rdmsr %#x (%s)", msr, what);
    T(name, "rdmsr", "", ALL, .rcx = msr);
    if (probe_vec < 0)
        P("  value %#lx", (unsigned long)(((last.rdx << 32) | (uint32_t)last.rax) & mask));
}

/* WRMSR of @val to @msr; @what names the MSR, and the value when it is a machine address
   (which differs between systems): then @val is not printed. */
static void wrmsr_line(const char *what, uint32_t msr, uint64_t val)
{
    char name[100];

    if (msr == 0x40000000)
        snprintf(name, sizeof(name), "wrmsr %#x (%s)", msr, what);
    else
        snprintf(name, sizeof(name), "wrmsr %#x (%s) %#lx", msr, what, (unsigned long)val);
    T(name, "wrmsr", "", ALL, .rcx = msr, .rax = (uint32_t)val, .rdx = val >> 32);
}

static void msrs(void)
{
    uint64_t efer, gs;

    P("-- MSRs");
    rdmsr_line("FS_BASE", 0xc0000100, ALL);
    wrmsr_line("FS_BASE", 0xc0000100, 0x12345000);
    rdmsr_line("FS_BASE", 0xc0000100, ALL);
    wrmsr_line("FS_BASE non-canonical", 0xc0000100, 0x800000000000UL);
    wrmsr_line("FS_BASE", 0xc0000100, 0);
    rdmsr_line("GS_BASE", 0xc0000101, 0);
    gs = (last.rdx << 32) | (uint32_t)last.rax;
    wrmsr_line("GS_BASE", 0xc0000101, 0x7000);
    rdmsr_line("GS_BASE", 0xc0000101, ALL);
    T("wrmsr GS_BASE (restore)", "wrmsr", "", ALL, .rcx = 0xc0000101, .rax = (uint32_t)gs,
      .rdx = gs >> 32);
    wrmsr_line("SHADOW_GS_BASE", 0xc0000102, 0x8000);
    rdmsr_line("SHADOW_GS_BASE", 0xc0000102, ALL);
    wrmsr_line("SHADOW_GS_BASE", 0xc0000102, 0);
    rdmsr_line("EFER", 0xc0000080, ALL);
    efer = (last.rdx << 32) | (uint32_t)last.rax;
    wrmsr_line("EFER unchanged", 0xc0000080, efer);
    wrmsr_line("EFER without NXE", 0xc0000080, efer & ~(1UL << 11));
    rdmsr_line("APIC_BASE", 0x1b, ALL);
    rdmsr_line("TSC", 0x10, 0);
    rdmsr_line("PAT", 0x277, ALL);
    rdmsr_line("MISC_ENABLE", 0x1a0, ALL);
    wrmsr_line("MISC_ENABLE", 0x1a0, 0);
    rdmsr_line("PLATFORM_INFO", 0xce, ALL);
    rdmsr_line("MISC_FEATURES_ENABLES", 0x140, ALL);
    rdmsr_line("PERF_CAPABILITIES", 0x345, ALL);
    rdmsr_line("STAR", 0xc0000081, 0);
    rdmsr_line("LSTAR", 0xc0000082, 0);
    rdmsr_line("SYSENTER_CS", 0x174, 0);
    rdmsr_line("MTRRcap", 0xfe, 0);
    rdmsr_line("unknown", 0xdeadbeef, ALL);
    wrmsr_line("unknown", 0xdeadbeef, 0);
    wrmsr_line("LSTAR", 0xc0000082, 0);

    /* The hypercall-page MSR of CPUID leaf 0x40000002. */
    rdmsr_line("hypercall page", 0x40000000, ALL);
    rdmsr_line("Xen range", 0x40000001, ALL);
    memset(hc_page, 0, sizeof(hc_page));
    wrmsr_line("hypercall page, its data page's machine address", 0x40000000,
               virt_to_mfn(hc_page) << PAGE_SHIFT);
    P("  page now holds the hypercall stubs: %s",
      !memcmp(hc_page, hypercall_page, sizeof(hc_page)) ? "yes" : "no");
    wrmsr_line("hypercall page, that address + 1 (page index 1)", 0x40000000,
               (virt_to_mfn(hc_page) << PAGE_SHIFT) | 1);
    wrmsr_line("hypercall page, its L4's machine address", 0x40000000,
               virt_to_mfn((void *)start_info->pt_base) << PAGE_SHIFT);
    wrmsr_line("hypercall page, machine address 0", 0x40000000, 0);
    wrmsr_line("Xen range", 0x40000001, 0);
}

static void others(void)
{
    P("-- others");
    T("wbinvd", "wbinvd", "", ALL, 0);
    T("wbnoinvd (f3 0f 09)", ".byte 0xf3, 0x0f, 0x09", "", ALL, 0);
    T("invd", "invd", "", ALL, 0);
    T("hlt", "hlt", "", ALL, 0);
    T("rdpmc", "rdpmc", "", ALL, 0);
    T("xsetbv (XCR0 = x87|SSE)", "xsetbv", "", ALL, .rax = 3);
    T("xgetbv", "xgetbv", "", ALL, 0);
    T("smsw %eax", "smsw %%eax", "a", 0xfff7, 0);
    T("lmsw %ax", "lmsw %%ax", "", ALL, .rax = 0x33);
    T("invlpg (%rdi)", "invlpg (%%rdi)", "", ALL, .rdi = (uint64_t)buf);
    T("lgdt (%rdi)", "lgdt (%%rdi)", "", ALL, .rdi = (uint64_t)buf);
    T("swapgs", "swapgs", "", ALL, 0);
    T("cpuid (leaf 0, plain)", "push %%rbx; cpuid; pop %%rbx", "", ALL, 0);
    T("66 in $0x92 (prefix + 16-bit)", ".byte 0x66, 0xe5, 0x92", "", ALL, 0);
}

int main(void)
{
    static trap_info_t traps[] = {
        {1, 0, FLAT_KERNEL_CS, (unsigned long)privops_db},
        {3, 3, FLAT_KERNEL_CS, (unsigned long)privops_bp},
        {6, 0, FLAT_KERNEL_CS, (unsigned long)privops_ud},
        {7, 0, FLAT_KERNEL_CS, (unsigned long)privops_nm},
        {13, 0, FLAT_KERNEL_CS, (unsigned long)privops_gp},
        {14, 0, FLAT_KERNEL_CS, (unsigned long)privops_pf},
        {17, 0, FLAT_KERNEL_CS, (unsigned long)privops_ac},
        {0, 0, 0, 0},
    };

    P("set_trap_table = %s", rc_str(hypercall1(__HYPERVISOR_set_trap_table, (unsigned long)traps)));
    port_io();
    control_registers();
    debug_registers();
    msrs();
    others();
    /* Leave as found: IOPL 1 was only for the I/O lines. */
    P("physdev_op(set_iopl, 0) = %s", rc_str(set_iopl(0)));
    probe_done();
    return 0;
}

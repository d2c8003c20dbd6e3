/*
 * Emulation of privileged instructions for PV guests: the #GP(0) path.
 *
 * A 64-bit PV guest kernel runs in ring 3, so IN/OUT, CLI/STI, MOV to and from control and
 * debug registers, RDMSR/WRMSR, CLTS, WBINVD and (with CR4.TSD) RDTSC raise #GP(0).
 * do_guest_trap() (pv_traps.c) calls emulate_privileged_op(); if it returns false, the #GP
 * goes to the guest's handler. The rules are Xen 4.17's (xen/arch/x86/pv/emul-priv-op.c,
 * pv_emulate_privileged_op() and its x86_emulate() hooks; xen/arch/x86/msr.c;
 * xen/arch/x86/pv/domain.c for CR4); docs/abi-priv-ops.md has the table, one row per
 * instruction, with mica's deviations.
 *
 * The instruction is fetched from guest memory at RIP (up to 15 bytes, fewer at the end of
 * the mapped memory) and decoded by insn_decode(); the policy is here.
 */
#include <arch/cpu.h>
#include <arch/guest.h>
#include <arch/io.h>
#include <mica/domain.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/insn_decode.h>
#include <mica/iocap.h>
#include <arch/pci.h> /* pci_conf_guest_read/write (issue 9) */
#include <mica/page_types.h>
#include <xen/xen.h>

#define RFLAGS_DF (1UL << 10)
#define RFLAGS_RF (1UL << 16)

#define X86_CR4_TSD (1UL << 2)
#define X86_CR4_DE  (1UL << 3)
#define X86_CR4_PAE (1UL << 5)
#define X86_CR4_MCE (1UL << 6)

/* CR4 bits a PV guest may control and may observe (Xen's PV_CR4_GUEST_MASK and
   PV_CR4_GUEST_VISIBLE_MASK, xen/arch/x86/include/asm/pv/domain.h). */
#define PV_CR4_GUEST_MASK         (X86_CR4_TSD | X86_CR4_DE | X86_CR4_FSGSBASE | X86_CR4_OSXSAVE)
#define PV_CR4_GUEST_VISIBLE_MASK (X86_CR4_PAE | X86_CR4_MCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

/* MSRs (Intel SDM Vol 4; Xen's msr-index.h names). */
#define MSR_IA32_TSC            0x00000010
#define MSR_INTEL_PLATFORM_INFO 0x000000ce
#define MSR_INTEL_MISC_FEATURES 0x00000140
#define MSR_IA32_MISC_ENABLE    0x000001a0
#define MSR_IA32_CR_PAT         0x00000277
#define MSR_PERF_CAPABILITIES   0x00000345
#define MSR_TSC_AUX             0xc0000103
/* Xen's hypercall-page MSR (CPUID leaf 0x40000002 EBX) and the range it lives in. */
#define MSR_XEN_HYPERCALL_PAGE 0x40000000
#define MSR_XEN_LAST           0x400001ff

#define APIC_DEFAULT_PHYS_BASE 0xfee00000UL
#define APIC_BASE_BSP          (1UL << 8)
#define APIC_BASE_ENABLE       (1UL << 11)
/* The PAT Xen programs and shows PV guests (XEN_MSR_PAT: WB, WT, UC-, UC, WC, WP, UC, UC). */
#define XEN_MSR_PAT 0x0000050100070406ULL
/* EFER bits Xen shows (EFER_KNOWN_MASK without SVME): SCE, LME, LMA, NXE, LMSLE, FFXSE. */
#define EFER_GUEST_MASK                                                                            \
    ((1UL << 0) | (1UL << 8) | (1UL << 10) | (1UL << 11) | (1UL << 13) | (1UL << 14))
/* IA32_MISC_ENABLE as Xen shows it (guest_misc_enable()). */
#define MISC_ENABLE_PERF_AVAIL   (1ULL << 7)
#define MISC_ENABLE_BTS_UNAVAIL  (1ULL << 11)
#define MISC_ENABLE_PEBS_UNAVAIL (1ULL << 12)
#define MISC_ENABLE_MONITOR      (1ULL << 18)
#define MISC_ENABLE_XTPR_DISABLE (1ULL << 23)

/* Debug registers (SDM Vol 3B §17.2): DR6 and DR7 bits that read as fixed values. */
#define DR6_DEFAULT  0xffff0ff0UL
#define DR6_WRITABLE 0x0000e00fUL /* B0-B3, BD, BS, BT */
#define DR7_DEFAULT  0x00000400UL
#define DR7_WRITABLE 0xffff23ffUL /* L0-G3, LE, GE, GD, R/W and LEN fields */
#define DR7_ENABLES  0x000000ffUL /* L0-L3, G0-G3 */
#define DR7_GD       0x00002000UL

/* At most this many elements of a REP INS/OUTS per trap; the guest re-executes the rest
   (Xen stops at hypercall_preempt_check() the same way: RIP stays, RCX counts down). */
#define REP_BATCH 4096

/** How an emulation ended. */
enum emul_rc {
    EMUL_DONE,  /* emulated: advance RIP past the instruction */
    EMUL_RETRY, /* progress made (a REP batch): leave RIP, the guest runs it again */
    EMUL_FAULT, /* not allowed or not emulated: the guest gets #GP(0) */
};

/** Counters for measurement (DESIGN.md §2.5): emulated instructions by kind, and refusals. */
struct priv_op_counters {
    uint64_t emulated[INSN_KIND_COUNT];
    uint64_t refused;
};
static struct priv_op_counters priv_op_counters;

/* ---- Registers ---- */

/* General-purpose register @n (0-15, the ModRM order rax, rcx, ... r15) in @regs. */
static uint64_t *gpr(struct cpu_regs *regs, unsigned int n)
{
    switch (n & 15) {
    case 0:
        return &regs->rax;
    case 1:
        return &regs->rcx;
    case 2:
        return &regs->rdx;
    case 3:
        return &regs->rbx;
    case 4:
        return &regs->rsp;
    case 5:
        return &regs->rbp;
    case 6:
        return &regs->rsi;
    case 7:
        return &regs->rdi;
    case 8:
        return &regs->r8;
    case 9:
        return &regs->r9;
    case 10:
        return &regs->r10;
    case 11:
        return &regs->r11;
    case 12:
        return &regs->r12;
    case 13:
        return &regs->r13;
    case 14:
        return &regs->r14;
    default:
        return &regs->r15;
    }
}

/* Write the low @bytes of @val into @reg as the CPU does: 1 and 2 bytes merge, 4 bytes
   zero-extend (SDM Vol 1 §3.4.1.1), 8 bytes replace. */
static void set_reg_sized(uint64_t *reg, uint64_t val, unsigned int bytes)
{
    switch (bytes) {
    case 1:
        *reg = (*reg & ~0xffULL) | (val & 0xff);
        break;
    case 2:
        *reg = (*reg & ~0xffffULL) | (val & 0xffff);
        break;
    case 4:
        *reg = (uint32_t)val;
        break;
    default:
        *reg = val;
    }
}

/* The value of @reg as an address or count of @bytes (2, 4, 8). */
static uint64_t reg_sized(uint64_t reg, unsigned int bytes)
{
    return bytes == 8 ? reg : reg & ((1ULL << (bytes * 8)) - 1);
}

static bool is_canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

static bool arch_iopl(const struct domain *d)
{
    return d->vm_assist & (1UL << VMASST_TYPE_architectural_iopl);
}

/* ---- Port I/O ---- */

/*
 * Xen's guest_io_okay(): the guest's own permission, from the virtual IOPL or the virtual
 * I/O bitmap. The bitmap is in guest kernel memory: from user mode it is read on the
 * kernel's page tables, as Xen does.
 */
static bool guest_io_okay(struct vcpu *v, unsigned int port, unsigned int bytes)
{
    uint8_t b[2] = {0xff, 0xff};
    const bool user_mode = !v->kernel_mode;

    if (iopl_ok(v->iopl, v->kernel_mode, arch_iopl(v->domain)))
        return true;
    if (port + bytes > v->iobmp_limit)
        return false;
    if (user_mode && !toggle_guest_mode(v))
        return false;
    /* Unreadable bytes count as 0xff: no access. */
    if (!copy_from_guest(&b[0], v->iobmp + port / 8, 1))
        (void)copy_from_guest(&b[1], v->iobmp + port / 8 + 1, 1);
    if (user_mode)
        toggle_guest_mode(v);
    return iobitmap_ok(b, v->iobmp_limit, port, bytes);
}

static uint32_t hw_in(unsigned int port, unsigned int bytes)
{
    switch (bytes) {
    case 1:
        return inb((uint16_t)port);
    case 2:
        return inw((uint16_t)port);
    default:
        return inl((uint16_t)port);
    }
}

static void hw_out(unsigned int port, unsigned int bytes, uint32_t val)
{
    switch (bytes) {
    case 1:
        outb((uint16_t)port, (uint8_t)val);
        break;
    case 2:
        outw((uint16_t)port, (uint16_t)val);
        break;
    default:
        outl((uint16_t)port, val);
        break;
    }
}

/* PCI configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2). */
#define PCI_CF8        0xcf8
#define PCI_CFC        0xcfc
#define CF8_ENABLED(x) ((x)&0x80000000u)

/*
 * A port the domain may not use directly: PCI configuration for the hardware domain
 * through its virtual CONFIG_ADDRESS (Xen's pci_cf8 and pci_conf_read()/write(), without
 * Xen's per-device filters), all-ones or dropped otherwise (Xen also emulates the PIT and
 * the RTC here; mica does not). Xen's guest_io_read()/guest_io_write() piece by piece.
 */
static uint32_t emulated_io_read(struct domain *d, unsigned int port, unsigned int bytes)
{
    uint32_t data = 0;
    unsigned int shift = 0;

    while (bytes) {
        unsigned int size = 1;
        uint32_t sub = ~0u;

        if (port == PCI_CF8 && bytes == 4) {
            return d->pci_cf8;
        } else if ((port & ~3u) == PCI_CFC) {
            size = MIN(bytes, 4 - (port & 3));
            if (size == 3)
                size = 2;
            /* issue 9: filtered to the domain's own functions (pci_assign.c) */
            if (CF8_ENABLED(d->pci_cf8))
                sub = pci_conf_guest_read(d, d->pci_cf8, port & 3, size);
        } else if (ioports_access_permitted(d, port, port)) {
            if (bytes > 1 && !(port & 1) && ioports_access_permitted(d, port, port + 1))
                size = 2;
            sub = hw_in(port, size);
        }
        data |= (sub & ((size == 4 ? 0 : 1u << (size * 8)) - 1)) << shift;
        shift += size * 8;
        port += size;
        bytes -= size;
    }
    return data;
}

static void emulated_io_write(struct domain *d, unsigned int port, unsigned int bytes,
                              uint32_t data)
{
    while (bytes) {
        unsigned int size = 1;

        if (port == PCI_CF8 && bytes == 4) {
            d->pci_cf8 = data;
            return;
        } else if ((port & ~3u) == PCI_CFC) {
            size = MIN(bytes, 4 - (port & 3));
            if (size == 3)
                size = 2;
            /* issue 9: filtered to the domain's own functions (pci_assign.c) */
            if (CF8_ENABLED(d->pci_cf8))
                pci_conf_guest_write(d, d->pci_cf8, port & 3, size, data);
        } else if (ioports_access_permitted(d, port, port)) {
            if (bytes > 1 && !(port & 1) && ioports_access_permitted(d, port, port + 1))
                size = 2;
            hw_out(port, size, data);
        }
        port += size;
        bytes -= size;
        data = size == 4 ? 0 : data >> (size * 8);
    }
}

static uint32_t guest_io_read(struct domain *d, unsigned int port, unsigned int bytes)
{
    if (admin_io_okay(iocap_domain_caps(d), port, bytes))
        return hw_in(port, bytes);
    return emulated_io_read(d, port, bytes);
}

static void guest_io_write(struct domain *d, unsigned int port, unsigned int bytes, uint32_t data)
{
    if (admin_io_okay(iocap_domain_caps(d), port, bytes))
        hw_out(port, bytes, data);
    else
        emulated_io_write(d, port, bytes, data);
}

static enum emul_rc emulate_in_out(struct cpu_regs *regs, const struct insn *in)
{
    struct vcpu *v = current;
    unsigned int port = in->has_imm ? in->imm : (uint16_t)regs->rdx;
    unsigned int bytes = in->op_size;

    if (!guest_io_okay(v, port, bytes))
        return EMUL_FAULT;
    if (in->kind == INSN_IN)
        set_reg_sized(&regs->rax, guest_io_read(v->domain, port, bytes), bytes);
    else
        guest_io_write(v->domain, port, bytes, (uint32_t)regs->rax);
    return EMUL_DONE;
}

/* Base of the segment a string instruction uses in 64-bit mode: FS and GS have one. */
static uint64_t seg_base(unsigned int seg)
{
    if (seg == INSN_SEG_FS)
        return rdmsr(MSR_FS_BASE);
    if (seg == INSN_SEG_GS)
        return rdmsr(MSR_GS_BASE);
    return 0;
}

/*
 * INS and OUTS, with or without REP: element by element between the port and guest memory,
 * as Xen's rep_ins()/rep_outs(). A bad guest address ends the instruction there with rCX
 * and rSI/rDI counting the elements done; Xen raises #PF at that point, mica #GP (it cannot
 * inject other vectors from this path; docs/abi-priv-ops.md).
 */
static enum emul_rc emulate_string_io(struct cpu_regs *regs, const struct insn *in)
{
    struct vcpu *v = current;
    const unsigned int port = (uint16_t)regs->rdx;
    const unsigned int bytes = in->op_size;
    const unsigned int asz = in->addr_size;
    const bool ins = in->kind == INSN_INS;
    uint64_t *ptr = ins ? &regs->rdi : &regs->rsi;
    const uint64_t base = ins ? 0 : seg_base(in->mem.seg);
    uint64_t count = in->rep ? reg_sized(regs->rcx, asz) : 1;
    unsigned int done = 0;

    if (!guest_io_okay(v, port, bytes))
        return EMUL_FAULT;
    while (count) {
        uint64_t addr = base + reg_sized(*ptr, asz);
        uint32_t data = 0;

        if (asz < 8)
            addr = (uint32_t)addr;
        if (done == REP_BATCH)
            return EMUL_RETRY;
        if (ins) {
            data = guest_io_read(v->domain, port, bytes);
            if (copy_to_guest(addr, &data, bytes))
                return EMUL_FAULT;
        } else {
            if (copy_from_guest(&data, addr, bytes))
                return EMUL_FAULT;
            guest_io_write(v->domain, port, bytes, data);
        }
        set_reg_sized(ptr, *ptr + ((regs->rflags & RFLAGS_DF) ? -(uint64_t)bytes : bytes), asz);
        count--;
        done++;
        if (in->rep)
            set_reg_sized(&regs->rcx, count, asz);
    }
    return EMUL_DONE;
}

/* ---- Control and debug registers ---- */

/* CPUID.1:EDX bits that let a guest set CR4.TSD (TSC, bit 4) and CR4.DE (DE, bit 2). */
static unsigned long guest_cr4_allowed(void)
{
    uint32_t c[4];
    unsigned long allowed = 0;

    guest_cpuid(1, 0, c);
    if (c[3] & (1u << 4))
        allowed |= X86_CR4_TSD;
    if (c[3] & (1u << 2))
        allowed |= X86_CR4_DE;
    if (c[2] & (1u << 26))
        allowed |= X86_CR4_OSXSAVE;
    guest_cpuid(7, 0, c);
    if (c[1] & 1u)
        allowed |= X86_CR4_FSGSBASE;
    return allowed;
}

/* The CR4 a guest reads: its own choice of the bits it controls, plus some of the
   hypervisor's (Xen's pv_fixup_guest_cr4()). */
static unsigned long guest_cr4(const struct vcpu *v)
{
    return (v->cr4_guest & PV_CR4_GUEST_MASK) | (read_cr4() & PV_CR4_GUEST_VISIBLE_MASK);
}

static enum emul_rc read_cr(struct vcpu *v, unsigned int cr, uint64_t *val)
{
    switch (cr) {
    case 0:
        *val = (read_cr0() & ~X86_CR0_TS) | (v->virtual_ts ? X86_CR0_TS : 0);
        return EMUL_DONE;
    case 2:
        *val = v->vcpu_info->arch.cr2;
        return EMUL_DONE;
    case 3:
        /* A 64-bit PV guest sees the machine address of its L4 (xen_pfn_to_cr3(mfn)). */
        *val = v->guest_table;
        return EMUL_DONE;
    case 4:
        *val = guest_cr4(v);
        return EMUL_DONE;
    default:
        return EMUL_FAULT;
    }
}

static enum emul_rc write_cr(struct vcpu *v, unsigned int cr, uint64_t val)
{
    switch (cr) {
    case 0:
        /* Only TS may change (Xen: "Attempt to change unmodifiable CR0 flags" -> #GP). */
        if ((val ^ read_cr0()) & ~X86_CR0_TS)
            return EMUL_FAULT;
        do_fpu_taskswitch(!!(val & X86_CR0_TS), 0, 0, 0, 0);
        return EMUL_DONE;
    case 2:
        v->vcpu_info->arch.cr2 = val;
        return EMUL_DONE;
    case 3: {
        /* MMUEXT_NEW_BASEPTR: the new L4 is validated and referenced, then loaded. */
        if (vcpu_set_guest_table(v, (mfn_t)(val >> PAGE_SHIFT)))
            return EMUL_FAULT;
        write_cr3(v->guest_table);
        arch_flush_tlb_local();
        return EMUL_DONE;
    }
    case 4: {
        /* Bits outside the guest's policy are dropped, not refused (Xen). The hardware's
           CR4.TSD follows the guest's choice so that its RDTSC traps. */
        unsigned long hw = read_cr4();

        v->cr4_guest = val & PV_CR4_GUEST_MASK & guest_cr4_allowed();
        hw = (v->cr4_guest & X86_CR4_TSD) ? hw | X86_CR4_TSD : hw & ~X86_CR4_TSD;
        write_cr4(hw);
        return EMUL_DONE;
    }
    default:
        return EMUL_FAULT;
    }
}

/*
 * Debug registers: a virtual copy (Xen's v->arch.dr[], dr6, dr7). DR4/DR5 alias DR6/DR7
 * while the guest's CR4.DE is clear. Writes are validated as Xen's set_debugreg() does;
 * mica does not load breakpoints into the hardware, so a DR7 that enables one is refused
 * (docs/abi-priv-ops.md). Where Xen raises #UD (DR8-15, DR4/5 with CR4.DE), mica #GP.
 */
static enum emul_rc read_dr(struct vcpu *v, unsigned int dr, uint64_t *val)
{
    if ((dr == 4 || dr == 5) && !(guest_cr4(v) & X86_CR4_DE))
        dr += 2;
    switch (dr) {
    case 0 ... 3:
        *val = v->dr[dr];
        return EMUL_DONE;
    case 6:
        *val = (v->dr6 & DR6_WRITABLE) | DR6_DEFAULT;
        return EMUL_DONE;
    case 7:
        *val = (v->dr7 & DR7_WRITABLE) | DR7_DEFAULT;
        return EMUL_DONE;
    default:
        return EMUL_FAULT;
    }
}

static enum emul_rc write_dr(struct vcpu *v, unsigned int dr, uint64_t val)
{
    if ((dr == 4 || dr == 5) && !(guest_cr4(v) & X86_CR4_DE))
        dr += 2;
    switch (dr) {
    case 0 ... 3:
        if (!is_canonical(val) || !guest_range_ok(val, sizeof(long)))
            return EMUL_FAULT;
        v->dr[dr] = val;
        return EMUL_DONE;
    case 6:
        if (val >> 32)
            return EMUL_FAULT;
        v->dr6 = val & DR6_WRITABLE;
        return EMUL_DONE;
    case 7:
        /* GD may not be set (Xen: -EPERM); enables: see above. */
        if ((val >> 32) || (val & DR7_GD) || (val & DR7_ENABLES))
            return EMUL_FAULT;
        v->dr7 = val & DR7_WRITABLE;
        return EMUL_DONE;
    default:
        return EMUL_FAULT;
    }
}

static enum emul_rc emulate_mov_cr_dr(struct cpu_regs *regs, const struct insn *in)
{
    struct vcpu *v = current;
    uint64_t *reg = gpr(regs, in->gpr);
    uint64_t val = 0;
    enum emul_rc rc;

    switch (in->kind) {
    case INSN_MOV_FROM_CR:
    case INSN_MOV_FROM_DR:
        rc = in->kind == INSN_MOV_FROM_CR ? read_cr(v, in->cr_dr, &val)
                                          : read_dr(v, in->cr_dr, &val);
        if (rc == EMUL_DONE)
            *reg = val;
        return rc;
    case INSN_MOV_TO_CR:
        return write_cr(v, in->cr_dr, *reg);
    default:
        return write_dr(v, in->cr_dr, *reg);
    }
}

/* ---- MSRs ---- */

static uint64_t guest_efer(void)
{
    return rdmsr(MSR_EFER) & EFER_GUEST_MASK;
}

static uint64_t guest_misc_enable(uint64_t val)
{
    val &= ~(MISC_ENABLE_PERF_AVAIL | MISC_ENABLE_MONITOR);
    return val | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL | MISC_ENABLE_XTPR_DISABLE;
}

static enum emul_rc read_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_XEN_HYPERCALL_PAGE:
        *val = 0; /* write-only: reads as zero (Xen's guest_rdmsr_xen()) */
        return EMUL_DONE;
    case MSR_FS_BASE:
        *val = rdmsr(MSR_FS_BASE);
        return EMUL_DONE;
    case MSR_GS_BASE:
        *val = rdmsr(MSR_GS_BASE);
        return EMUL_DONE;
    case MSR_KERNEL_GS_BASE:
        /* In guest kernel mode the shadow GS base is the user one (Xen: gs_base_user). */
        *val = rdmsr(MSR_KERNEL_GS_BASE);
        return EMUL_DONE;
    case MSR_EFER:
        *val = guest_efer();
        return EMUL_DONE;
    case MSR_APIC_BASE:
        *val = APIC_DEFAULT_PHYS_BASE | APIC_BASE_ENABLE | (v->vcpu_id ? 0 : APIC_BASE_BSP);
        return EMUL_DONE;
    case MSR_IA32_TSC:
        *val = rdtsc();
        return EMUL_DONE;
    case MSR_IA32_CR_PAT:
        *val = XEN_MSR_PAT;
        return EMUL_DONE;
    case MSR_IA32_MISC_ENABLE:
        *val = guest_misc_enable(rdmsr(MSR_IA32_MISC_ENABLE));
        return EMUL_DONE;
    case MSR_PERF_CAPABILITIES:
    case MSR_INTEL_PLATFORM_INFO: /* no CPUID faulting offered */
    case MSR_INTEL_MISC_FEATURES: /* CPUID faulting off */
        *val = 0;
        return EMUL_DONE;
    default:
        return EMUL_FAULT;
    }
}

/*
 * The hypercall-page MSR: the guest names one of its own frames by machine address (a PV
 * guest's GFN is its MFN); mica fills it with the hypercall stubs. Only page index 0 exists
 * (the low 12 bits), and the frame must be one the guest may write (Xen's
 * guest_wrmsr_xen()).
 */
static enum emul_rc write_hypercall_page_msr(struct domain *d, uint64_t val)
{
    mfn_t mfn = (mfn_t)(val >> PAGE_SHIFT);

    if (val & (PAGE_SIZE - 1))
        return EMUL_FAULT;
    if (get_page_and_type(mfn, d, PGT_writable_page))
        return EMUL_FAULT;
    arch_fill_hypercall_page(map_frame(mfn));
    put_page_and_type(mfn);
    return EMUL_DONE;
}

static enum emul_rc write_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_XEN_HYPERCALL_PAGE:
        return write_hypercall_page_msr(v->domain, val);
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
        if (!is_canonical(val))
            return EMUL_FAULT;
        wrmsr(msr, val);
        /* Keep the saved copies as set_segment_base does (guest kernel mode here). */
        if (msr == MSR_FS_BASE)
            v->fs_base = val;
        else if (msr == MSR_GS_BASE)
            v->gs_base_kernel = val;
        else
            v->gs_base_user = val;
        return EMUL_DONE;
    case MSR_EFER:
        /* Writing back the value read is allowed (Linux does); any change is refused. */
        return val == guest_efer() ? EMUL_DONE : EMUL_FAULT;
    case MSR_IA32_MISC_ENABLE:
        /* Xen ignores any write here (it warns about changes). */
        return EMUL_DONE;
    case MSR_INTEL_MISC_FEATURES:
        return val ? EMUL_FAULT : EMUL_DONE;
    default:
        return EMUL_FAULT;
    }
}

static enum emul_rc emulate_msr(struct cpu_regs *regs, const struct insn *in)
{
    struct vcpu *v = current;
    const uint32_t msr = (uint32_t)regs->rcx;
    uint64_t val;

    if (in->kind == INSN_WRMSR)
        return write_msr(v, msr, (uint32_t)regs->rax | (regs->rdx << 32));
    if (read_msr(v, msr, &val) != EMUL_DONE)
        return EMUL_FAULT;
    regs->rax = (uint32_t)val;
    regs->rdx = val >> 32;
    return EMUL_DONE;
}

/* ---- The rest ---- */

/* RDTSC/RDTSCP trap when the hardware's CR4.TSD is set (the guest set its CR4.TSD). From
   guest user mode with the guest's CR4.TSD set: #GP, as on a real CPU. */
static enum emul_rc emulate_rdtsc(struct cpu_regs *regs, const struct insn *in)
{
    struct vcpu *v = current;
    uint64_t tsc;

    if (!v->kernel_mode && (guest_cr4(v) & X86_CR4_TSD))
        return EMUL_FAULT;
    tsc = rdtsc();
    regs->rax = (uint32_t)tsc;
    regs->rdx = tsc >> 32;
    if (in->kind == INSN_RDTSCP)
        regs->rcx = 0; /* TSC_AUX: mica keeps none (Xen's default for PV is 0 too) */
    return EMUL_DONE;
}

static enum emul_rc emulate(struct cpu_regs *regs, const struct insn *in)
{
    struct vcpu *v = current;

    switch (in->kind) {
    case INSN_IN:
    case INSN_OUT:
        return emulate_in_out(regs, in);
    case INSN_INS:
    case INSN_OUTS:
        return emulate_string_io(regs, in);
    case INSN_CLI:
    case INSN_STI:
        /* A no-op where the virtual IOPL allows it: the event mask is not changed (Xen). */
        return iopl_ok(v->iopl, v->kernel_mode, arch_iopl(v->domain)) ? EMUL_DONE : EMUL_FAULT;
    case INSN_RDTSC:
    case INSN_RDTSCP:
        return emulate_rdtsc(regs, in);
    case INSN_CPUID: {
        /* Traps only with CPUID faulting, which mica never enables; answer as XEN_CPUID. */
        uint32_t c[4];

        guest_cpuid((uint32_t)regs->rax, (uint32_t)regs->rcx, c);
        regs->rax = c[0], regs->rbx = c[1], regs->rcx = c[2], regs->rdx = c[3];
        return EMUL_DONE;
    }
    default:
        break;
    }

    /* Everything below is for the guest kernel only (x86_emulate()'s mode_ring0()). */
    if (!v->kernel_mode)
        return EMUL_FAULT;
    switch (in->kind) {
    case INSN_CLTS:
        do_fpu_taskswitch(0, 0, 0, 0, 0);
        return EMUL_DONE;
    case INSN_WBINVD:
    case INSN_WBNOINVD:
        /* Really done only by a domain with I/O resources; ignored otherwise (Xen). */
        if (cache_flush_permitted(v->domain))
            __asm__ volatile("wbinvd" ::: "memory");
        return EMUL_DONE;
    case INSN_MOV_FROM_CR:
    case INSN_MOV_TO_CR:
    case INSN_MOV_FROM_DR:
    case INSN_MOV_TO_DR:
        return emulate_mov_cr_dr(regs, in);
    case INSN_RDMSR:
    case INSN_WRMSR:
        return emulate_msr(regs, in);
    default:
        /* HLT, INVD, RDPMC, LMSW, SMSW, INVLPG, XSETBV (it #UDs first: mica never sets
           CR4.OSXSAVE): not emulated, as in Xen's validate() or by mica's choice. */
        return EMUL_FAULT;
    }
}

/*
 * Fetch up to INSN_MAX_LENGTH instruction bytes at @rip into @buf. A page is readable
 * either wholly or not at all, so the fetch goes page by page: a short read at a page end
 * still yields the bytes before it. Returns how many bytes were read.
 */
static size_t fetch_insn(uint64_t rip, uint8_t buf[INSN_MAX_LENGTH])
{
    size_t first = MIN((size_t)INSN_MAX_LENGTH, PAGE_SIZE - (rip & (PAGE_SIZE - 1)));

    if (copy_from_guest(buf, rip, first))
        return 0;
    if (first == INSN_MAX_LENGTH)
        return first;
    if (copy_from_guest(buf + first, rip + first, INSN_MAX_LENGTH - first))
        return first;
    return INSN_MAX_LENGTH;
}

bool emulate_privileged_op(struct cpu_regs *regs)
{
    uint8_t bytes[INSN_MAX_LENGTH];
    struct insn in;
    size_t avail;
    enum emul_rc rc;

    /* Only 64-bit code (FLAT_KERNEL_CS64 / FLAT_USER_CS64); compat-mode code is not
       emulated (mica runs no 32-bit guest code; docs/abi-priv-ops.md). */
    if ((regs->cs & 0xffff) != FLAT_RING3_CS64)
        goto refuse;
    avail = fetch_insn(regs->rip, bytes);
    if (insn_decode(bytes, avail, INSN_MODE_64, &in))
        goto refuse;
    rc = emulate(regs, &in);
    if (rc == EMUL_FAULT)
        goto refuse;
    priv_op_counters.emulated[in.kind]++;
    if (rc == EMUL_DONE) {
        regs->rip += in.length;
        /* RF is clear after a completed instruction. TF: Xen raises #DB after an emulated
           instruction when it is set; mica does not (docs/abi-priv-ops.md). */
        regs->rflags &= ~RFLAGS_RF;
    }
    return true;

refuse:
    priv_op_counters.refused++;
    return false;
}

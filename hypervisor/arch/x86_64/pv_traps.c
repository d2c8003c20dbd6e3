/*
 * PV64 guest execution: exceptions bounced to the guest kernel's handlers, the iret
 * hypercall, the virtual IDT/TSS/callbacks, segment bases and the virtual CR0.TS
 * (xen.h, xen-x86_64.h, callback.h; behaviour as Xen's arch/x86/pv/traps.c, iret.c,
 * callback.c).
 */
#include <arch/cpu.h>
#include <arch/guest.h>
#include <mica/bounce.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/printf.h>
#include <mica/string.h>
#include <mica/trace.h> /* issue 8 */
#include <xen/callback.h>

#define RFLAGS_IF   (1UL << 9)
#define RFLAGS_IOPL (3UL << 12)
#define RFLAGS_VM   (1UL << 17)

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/* Vectors whose exception pushes an error code (Intel SDM Vol 3A table 6-1). */
static bool has_error_code(unsigned int vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21;
}

/*
 * Deliver @tb to the current vCPU: write the frame on its kernel stack and point its
 * registers at the handler. A frame that cannot be written crashes the domain (a guest
 * that faults while a fault is delivered), as on Xen.
 */
/* What is being delivered, for a crash message only (formatting costs too much on every
   delivery): an exception vector with its error code, or a fixed description. */
struct delivery {
    const char *what; /* NULL: exception @vector */
    unsigned int vector;
};

static const char *describe(const struct delivery *dl, const struct trap_bounce *tb, char *buf,
                            size_t size)
{
    if (dl->what)
        return dl->what;
    snprintf(buf, size, "exception %u (%s, error code %#x)", dl->vector,
             dl->vector < 32 && exception_names[dl->vector] ? exception_names[dl->vector] : "?",
             tb->error_code);
    return buf;
}

/*
 * Deliver @tb to the current vCPU: write the frame on its kernel stack and point its
 * registers at the handler. A frame that cannot be written crashes the domain (a guest
 * that faults while a fault is delivered), as on Xen.
 */
static void deliver(struct cpu_regs *regs, struct trap_bounce *tb, struct delivery dl)
{
    struct vcpu *v = current;
    struct bounce_frame f;
    uint8_t mask = v->vcpu_info->evtchn_upcall_mask;
    bool from_kernel = v->kernel_mode;
    char buf[64];

    if (!tb->rip)
        domain_crash(v->domain, "%s at rip %#lx with no guest handler registered",
                     describe(&dl, tb, buf, sizeof(buf)), regs->rip);
    /* From guest user mode: onto the kernel's page tables, then its registered stack. */
    if (!from_kernel && !toggle_guest_mode(v))
        domain_crash(v->domain, "%s in guest user mode, but no kernel page tables",
                     describe(&dl, tb, buf, sizeof(buf)));
    if (bounce_frame_build(regs, from_kernel, v->kernel_sp, mask, tb, &f) ||
        copy_to_guest(f.new_rsp, f.words, f.nr * 8))
        domain_crash(v->domain,
                     "fault writing the bounce frame for %s at rip %#lx (guest rsp %#lx)",
                     describe(&dl, tb, buf, sizeof(buf)), regs->rip, regs->rsp);
    if (tb->flags & TBF_INTERRUPT)
        v->vcpu_info->evtchn_upcall_mask = 1;
    bounce_frame_apply(regs, tb, &f);
    /* rcx and r11 are in the frame now: the return may clobber them (SYSRET), as Xen's. */
    regs->vector = SYSCALL_FRAME_VECTOR;
}

/** Bounce exception @vector (with @error_code where it has one) to the guest's handler. */
static void inject_exception(struct cpu_regs *regs, unsigned int vector, uint32_t error_code)
{
    const struct trap_info *ti = &current->trap_ctxt[vector];
    struct trap_bounce tb = {.rip = ti->address, .flags = TBF_EXCEPTION};

    if (has_error_code(vector)) {
        tb.flags |= TBF_EXCEPTION_ERRCODE;
        tb.error_code = error_code;
    }
    if (TI_GET_IF(ti))
        tb.flags |= TBF_INTERRUPT;
    deliver(regs, &tb, (struct delivery){.vector = vector});
}

/* A software interrupt (int $n, int3, into) the guest's virtual IDT lets it raise. */
static void inject_soft_interrupt(struct cpu_regs *regs, unsigned int vector)
{
    const struct trap_info *ti = &current->trap_ctxt[vector];
    struct trap_bounce tb = {.rip = ti->address};

    if (TI_GET_IF(ti))
        tb.flags |= TBF_INTERRUPT;
    /* The vector is the software interrupt's; no error code is pushed. */
    deliver(regs, &tb, (struct delivery){.what = "software interrupt (int $n)"});
}

/* Xen's forced-emulation prefix (arch-x86/xen.h XEN_EMULATE_PREFIX) followed by cpuid. */
static const uint8_t xen_cpuid_insn[] = {0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2};

static bool emulate_forced_cpuid(struct cpu_regs *regs)
{
    uint8_t insn[sizeof(xen_cpuid_insn)];
    uint32_t out[4];

    if (copy_from_guest(insn, regs->rip, sizeof(insn)) ||
        memcmp(insn, xen_cpuid_insn, sizeof(insn)))
        return false;
    guest_cpuid((uint32_t)regs->rax, (uint32_t)regs->rcx, out);
    regs->rax = out[0], regs->rbx = out[1], regs->rcx = out[2], regs->rdx = out[3];
    regs->rip += sizeof(xen_cpuid_insn);
    return true;
}

/* Xen's writable page-table assist (ptwr.c, when it exists): a write to one of the guest's
   own read-only page tables, decoded, validated and performed. */
__attribute__((weak)) bool ptwr_do_page_fault(struct cpu_regs *regs, uint64_t cr2)
{
    return false;
}

/* Emulation of privileged instructions (emul_priv_op.c, when it exists). */
__attribute__((weak)) bool emulate_privileged_op(struct cpu_regs *regs)
{
    return false;
}

void do_guest_trap(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    const unsigned int vector = (unsigned int)regs->vector;

    switch (vector) {
    case 6: /* #UD */
        if (emulate_forced_cpuid(regs))
            return;
        break;
    case 7: /* #NM: the guest set CR0.TS with fpu_taskswitch and touched the FPU */
        if (v->virtual_ts) {
            v->virtual_ts = false;
            write_cr0(read_cr0() & ~X86_CR0_TS);
        }
        break;
    case 13: /* #GP */
        /* int $n with a gate the guest may use: its IDT vector is in the error code
           (IDT flag 2). Xen lets the guest kernel raise vectors whose DPL >= 1. */
        if ((regs->error_code & 3) == 2) {
            unsigned int n = (unsigned int)(regs->error_code >> 3) & 0xff;
            const struct trap_info *ti = &v->trap_ctxt[n];
            if (ti->address && TI_GET_DPL(ti) >= (v->kernel_mode ? 1 : 3)) {
                regs->rip += 2; /* int $n is two bytes; the #GP left rip on it */
                inject_soft_interrupt(regs, n);
                return;
            }
        }
        if (!regs->error_code && emulate_privileged_op(regs))
            return;
        break;
    case 14: { /* #PF */
        uint64_t cr2 = read_cr2();
        /* A write (bit 1) to a present (bit 0) page: maybe a page-table write to emulate. */
        if ((regs->error_code & 3) == 3 && ptwr_do_page_fault(regs, cr2))
            return;
        v->vcpu_info->arch.cr2 = cr2;
        /* The guest kernel runs in ring 3, but its faults report supervisor mode (Xen clears
           the U/S bit for a fault in guest kernel mode). */
        if (v->kernel_mode)
            regs->error_code &= ~4UL;
        break;
    }
    }
    if (vector < 32) {
        inject_exception(regs, vector, (uint32_t)regs->error_code);
        return;
    }
    domain_crash(v->domain, "unexpected vector %u at rip %#lx", vector, regs->rip);
}

void deliver_failsafe(struct cpu_regs *regs, const uint16_t sels[4])
{
    struct trap_bounce tb = {.rip = current->failsafe_callback, .flags = TBF_FAILSAFE};

    if (current->failsafe_masks_events)
        tb.flags |= TBF_INTERRUPT;
    memcpy(tb.segs, sels, sizeof(tb.segs));
    deliver(regs, &tb,
            (struct delivery){.what = "failsafe callback (a saved segment selector did not load)"});
}

void deliver_pending_events(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    struct vcpu_info *vi = v->vcpu_info;

    /* The two-level ABI's upcall: pending and not masked. Delivery masks events (as an
       interrupt gate would); the guest unmasks when it is done (iret hypercall or a write). */
    if (!vi->evtchn_upcall_pending || vi->evtchn_upcall_mask || !v->event_callback)
        return;
    struct trap_bounce tb = {.rip = v->event_callback, .flags = TBF_INTERRUPT};
    deliver(regs, &tb, (struct delivery){.what = "event upcall"});
    v->domain->upcalls_delivered++;
    /* issue 8: trace record of the delivery */
    trace_event(TRC_EVT_DELIVER, v->domain->domain_id, 0, vi->evtchn_pending_sel, 0);
}

void arch_guest_exit(struct cpu_regs *regs)
{
    sched_check_preempt();
    deliver_pending_events(regs);
}

void deliver_guest_syscall(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    struct trap_bounce tb = {.rip = v->syscall_callback};

    /* Xen's switch_to_kernel: the frame holds the user context as SYSCALL left it (rcx =
       user rip, r11 = user rflags); events masked if the callback asked for it. */
    if (v->syscall_masks_events)
        tb.flags |= TBF_INTERRUPT;
    deliver(regs, &tb, (struct delivery){.what = "system call from guest user mode"});
}

void guest_iret_faulted(void);
void guest_iret_faulted(void)
{
    const struct cpu_regs *regs = guest_cpu_regs();

    domain_crash(current->domain,
                 "returning to rip %#lx faulted: cs %#lx or ss %#lx does not "
                 "load",
                 regs->rip, regs->cs, regs->ss);
}

/* ---- Hypercalls ---- */

long do_set_trap_table(unsigned long traps, unsigned long a2, unsigned long a3, unsigned long a4,
                       unsigned long a5)
{
    struct vcpu *v = current;
    struct trap_info ti;

    /* A NULL table clears every entry (Xen). */
    if (!traps) {
        memset(v->trap_ctxt, 0, sizeof(v->trap_ctxt));
        return 0;
    }
    for (unsigned int i = 0;; i++) {
        if (copy_from_guest(&ti, traps + i * sizeof(ti), sizeof(ti)))
            return -EFAULT;
        if (!ti.address)
            return 0; /* the list ends with a zero address */
        /* 64-bit PV: the code selector is always the flat kernel one. */
        ti.cs = FLAT_KERNEL_CS;
        v->trap_ctxt[ti.vector] = ti;
    }
}

long do_stack_switch(unsigned long ss, unsigned long esp, unsigned long a3, unsigned long a4,
                     unsigned long a5)
{
    /* Xen fixes up the selector's RPL and accepts any stack pointer: a bad one only hurts
       the guest when a frame is pushed there (then it crashes). */
    current->kernel_ss = ss | 3;
    current->kernel_sp = esp;
    return 0;
}

static long register_callback(uint16_t type, uint16_t flags, uint64_t address)
{
    struct vcpu *v = current;
    const bool mask = flags & CALLBACKF_mask_events;

    switch (type) {
    case CALLBACKTYPE_event:
        v->event_callback = address;
        return 0;
    case CALLBACKTYPE_failsafe:
        v->failsafe_callback = address;
        v->failsafe_masks_events = mask;
        return 0;
    case CALLBACKTYPE_syscall:
        v->syscall_callback = address;
        v->syscall_masks_events = mask;
        return 0;
    case CALLBACKTYPE_syscall32:
    case CALLBACKTYPE_sysenter:
    case CALLBACKTYPE_nmi:
        /* No 32-bit guest user mode and no NMIs for guests on mica (docs/abi.md). */
        return -EINVAL;
    default:
        return -ENOSYS;
    }
}

long do_set_callbacks(unsigned long event, unsigned long failsafe, unsigned long syscall,
                      unsigned long a4, unsigned long a5)
{
    register_callback(CALLBACKTYPE_event, 0, event);
    register_callback(CALLBACKTYPE_failsafe, 0, failsafe);
    register_callback(CALLBACKTYPE_syscall, 0, syscall);
    return 0;
}

long do_callback_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                    unsigned long a5)
{
    switch (cmd) {
    case CALLBACKOP_register: {
        struct callback_register r;
        if (copy_from_guest(&r, arg, sizeof(r)))
            return -EFAULT;
        return register_callback(r.type, r.flags, r.address);
    }
    case CALLBACKOP_unregister: {
        struct callback_unregister u;
        if (copy_from_guest(&u, arg, sizeof(u)))
            return -EFAULT;
        /* Xen refuses to unregister the event and failsafe callbacks. */
        if (u.type == CALLBACKTYPE_event || u.type == CALLBACKTYPE_failsafe)
            return -EINVAL;
        return register_callback(u.type, 0, 0);
    }
    default:
        return -ENOSYS;
    }
}

long do_fpu_taskswitch(unsigned long set, unsigned long a2, unsigned long a3, unsigned long a4,
                       unsigned long a5)
{
    current->virtual_ts = set != 0;
    write_cr0(set ? read_cr0() | X86_CR0_TS : read_cr0() & ~X86_CR0_TS);
    return 0;
}

static bool is_canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

long do_set_segment_base(unsigned long which, unsigned long base, unsigned long a3,
                         unsigned long a4, unsigned long a5)
{
    struct vcpu *v = current;

    switch (which) {
    case SEGBASE_FS:
        if (!is_canonical(base))
            return -EINVAL;
        wrmsr(MSR_FS_BASE, base);
        v->fs_base = base;
        return 0;
    case SEGBASE_GS_USER:
        if (!is_canonical(base))
            return -EINVAL;
        wrmsr(MSR_KERNEL_GS_BASE, base);
        v->gs_base_user = base;
        return 0;
    case SEGBASE_GS_KERNEL:
        if (!is_canonical(base))
            return -EINVAL;
        wrmsr(MSR_GS_BASE, base);
        v->gs_base_kernel = base;
        return 0;
    case SEGBASE_GS_USER_SEL:
        /* Load the user %gs selector: swap the user base in, load, swap back. A selector
           that does not load leaves the null selector (Xen loads 0 on failure too). */
        if (!arch_load_user_gs_selector((uint16_t)base))
            return -EFAULT;
        return 0;
    default:
        return -EINVAL;
    }
}

long do_iret(unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
             unsigned long a5)
{
    struct vcpu *v = current;
    struct cpu_regs *regs = guest_cpu_regs();
    struct iret_context ic;

    if (copy_from_guest(&ic, regs->rsp, sizeof(ic)))
        domain_crash(v->domain, "iret hypercall: frame at %#lx unreadable", regs->rsp);
    /* CS with RPL 3 returns to guest user mode (a kernel-mode frame shows RPL 0). */
    if ((ic.cs & 3) == 3 && v->kernel_mode && !toggle_guest_mode(v))
        domain_crash(v->domain, "iret hypercall to user mode (cs %#lx) with no user page tables",
                     ic.cs);
    /* Xen: with the architectural_iopl assist, the virtual IOPL follows the frame's. */
    if (v->domain->vm_assist & (1UL << VMASST_TYPE_architectural_iopl))
        v->iopl = (unsigned int)((ic.rflags & RFLAGS_IOPL) >> 12);
    regs->rip = ic.rip;
    regs->cs = ic.cs | 3;
    regs->rflags = (ic.rflags & ~(RFLAGS_IOPL | RFLAGS_VM)) | RFLAGS_IF;
    regs->rsp = ic.rsp;
    regs->ss = ic.ss | 3;
    if (ic.flags & VGCF_in_syscall) {
        /* Returning from a syscall: rcx/r11 are dead (Xen would sysret: rcx = rip,
           r11 = rflags). */
        regs->rcx = regs->rip;
        regs->r11 = regs->rflags;
    } else {
        regs->rcx = ic.rcx;
        regs->r11 = ic.r11;
        /* Every register must come back as the frame says: return with IRETQ. */
        regs->vector = IRET_FRAME_VECTOR;
    }
    /* The event mask follows the restored RFLAGS.IF. */
    v->vcpu_info->evtchn_upcall_mask = !(ic.rflags & RFLAGS_IF);
    return (long)ic.rax;
}

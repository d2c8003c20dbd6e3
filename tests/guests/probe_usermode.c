/*
 * probe_usermode: guest user mode with separate kernel and user root tables (issue 5, "User
 * mode"), as dom0 on Xen 4.17 and on mica, compared by t-probe-usermode.sh (expected
 * differences in probe_usermode.diff-ok). The ABI is xen.h (MMUEXT_NEW_USER_BASEPTR,
 * HYPERVISOR_stack_switch), callback.h (CALLBACKTYPE_syscall) and arch-x86/xen-x86_64.h
 * (HYPERVISOR_iret, VGCF_in_syscall, FLAT_USER_CS64); Xen's behaviour is
 * xen/arch/x86/pv/iret.c, x86_64/entry.S (switch_to_kernel) and toggle_guest_mode.
 *
 * The kernel builds a user L4 that maps only a small user program at USER_BASE (code
 * read-only, a stack, and a data page left out on purpose), all with _PAGE_USER, and not
 * the kernel. It registers a syscall callback and a kernel stack, a #PF handler, installs
 * the user L4 with NEW_USER_BASEPTR and enters user mode with HYPERVISOR_iret (CS
 * FLAT_USER_CS64, RPL 3). The user program:
 *   1. makes system calls (`syscall`) that the kernel answers and returns from with the iret
 *      hypercall and VGCF_in_syscall;
 *   2. writes its data page, which is not mapped: the kernel maps it in the #PF handler and
 *      returns, and the write goes through;
 *   3. reads a kernel address: the #PF reaches the kernel, which skips the read;
 *   4. raises int3 (a DPL-3 gate) and runs hlt (#GP(0)); the kernel sees both and goes on;
 *   5. asks for an event: the kernel sends itself an IPI and returns with events unmasked,
 *      so the upcall interrupts user mode and the callback runs in kernel mode;
 *   6. asks the kernel to end it; the kernel goes back to where it entered user mode.
 * Every line prints what the kernel saw (frame CS, error codes, whether RIP, CR2 and the
 * stack are where they belong) and what the user program reported back.
 */
#define PROBE_NAME "probe_usermode"

#include <setjmp.h>
#include <string.h>

#include "probe.h"

#define USER_BASE      0x400000UL /* L4 0, L3 0, L2 2: one L1 maps the whole program */
#define USER_CODE      (USER_BASE + 0x0000)
#define USER_STACK     (USER_BASE + 0x1000)
#define USER_DATA      (USER_BASE + 0x2000) /* not mapped until the user touches it */
#define USER_STACK_TOP (USER_STACK + PAGE_SIZE)
#define KERNEL_VA      PROBE_VIRT_BASE

#define RO_USER (_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)
#define RW_USER (RO_USER | _PAGE_RW | _PAGE_DIRTY)
#define TBL     (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)

#define PAGE_ALIGNED __attribute__((aligned(PAGE_SIZE)))

static uint64_t u_l4[512] PAGE_ALIGNED, u_l3[512] PAGE_ALIGNED, u_l2[512] PAGE_ALIGNED,
    u_l1[512] PAGE_ALIGNED;
static uint8_t user_code[PAGE_SIZE] PAGE_ALIGNED, user_stack[PAGE_SIZE] PAGE_ALIGNED,
    user_data[PAGE_SIZE] PAGE_ALIGNED;
static uint8_t kernel_stack[2 * PAGE_SIZE] PAGE_ALIGNED;

/*
 * The user program, copied to user_code and run at USER_CODE. Only absolute user addresses
 * and its own relative jumps: it may run anywhere. RDI carries each system call's argument,
 * RAX its number and its answer.
 */
extern const char user_prog[], user_prog_end[], user_sys1_ret[], user_kread[], user_kread_end[],
    user_hlt[], user_hlt_end[], user_after_event[];
__asm__(".pushsection .rodata\n"
        "user_prog:\n"
        "    mov $1, %eax\n"
        "    mov $0x1234, %edi\n"
        "    syscall\n" /* 1: the kernel answers 2 * rdi + 1 */
        "user_sys1_ret:\n"
        "    mov %rax, %rdi\n"
        "    mov $2, %eax\n"
        "    syscall\n" /* 2: report the answer */
        "    mov $0x55aa, %eax\n"
        "    mov %rax, 0x402000\n" /* USER_DATA: not mapped yet */
        "    mov 0x402000, %rdi\n"
        "    mov $3, %eax\n"
        "    syscall\n" /* 3: report what the data page holds */
        "    mov $0x5a5a, %edi\n"
        "    movabs $0xffffffff80000000, %rbx\n"
        "user_kread:\n"
        "    mov (%rbx), %rdi\n" /* the kernel's first page: must fault */
        "user_kread_end:\n"
        "    int3\n" /* a trap the user may raise (DPL 3 gate) */
        "user_hlt:\n"
        "    hlt\n" /* privileged: #GP(0) to the kernel, which skips it */
        "user_hlt_end:\n"
        "    mov $4, %eax\n"
        "    syscall\n" /* 4: report rdi (still 0x5a5a) */
        "    mov $6, %eax\n"
        "    syscall\n" /* 6: the kernel makes an event pending and unmasks events */
        "user_after_event:\n"
        "    nop\n"
        "    mov $5, %eax\n"
        "    syscall\n" /* 5: end the program */
        "    ud2\n"
        "user_prog_end:\n"
        ".popsection\n");

/* What the kernel saw. */
static struct {
    unsigned int syscalls, faults, unexpected;
    uint64_t sys1_arg, sys1_cs, sys1_rip, sys1_rsp, sys1_ss, sys1_rcx;
    int sys1_frame_on_kstack;
    uint64_t answer_seen, data_seen, kread_rdi;
    uint64_t pf_data_ec, pf_data_cr2, pf_data_cs, pf_data_rip;
    uint64_t pf_kern_ec, pf_kern_cr2, pf_kern_cs, pf_kern_rip;
    int pf_frame_on_kstack;
    uint64_t bp_rip, bp_cs, gp_ec, gp_cs;
    unsigned int bp_count, gp_count;
    uint64_t sys1_r11;
    long send_rc;
    unsigned int upcalls;
    uint64_t upcall_rip, upcall_cs;
    int upcall_frame_on_kstack;
    long map_rc;
    uint64_t bad_vector, bad_rip;
} seen;

static jmp_buf kernel_ctx;
static evtchn_port_t ipi_port;
static unsigned long u_l1_mfn;

static unsigned long mfn_of(const void *va)
{
    return (probe_leaf_pte((unsigned long)va) & PTE_FRAME_MASK) >> PAGE_SHIFT;
}

static uint64_t pte_of(unsigned long mfn, uint64_t flags)
{
    return ((uint64_t)mfn << PAGE_SHIFT) | flags;
}

static int on_kernel_stack(const void *p)
{
    return (const uint8_t *)p >= kernel_stack &&
           (const uint8_t *)p < kernel_stack + sizeof(kernel_stack);
}

static long mmu1(unsigned long table, unsigned int slot, uint64_t val)
{
    struct mmu_update u = {.ptr = ((uint64_t)table << PAGE_SHIFT) | (slot * 8UL), .val = val};

    return hypercall4(__HYPERVISOR_mmu_update, (unsigned long)&u, 1, 0, DOMID_SELF);
}

static long mmuext(unsigned int cmd, unsigned long mfn)
{
    struct mmuext_op op = {.cmd = cmd};

    op.arg1.mfn = mfn;
    return hypercall4(__HYPERVISOR_mmuext_op, (unsigned long)&op, 1, 0, DOMID_SELF);
}

static const char *yesno(int b)
{
    return b ? "yes" : "no";
}

/* ---- Kernel side: system calls ---- */

/*
 * Called by syscall_entry with the frame (RCX, R11, RIP, CS, RFLAGS, RSP, SS), the call
 * number (user RAX) and argument (user RDI). Returns the answer for the user's RAX.
 */
long sys_dispatch(uint64_t *frame, long nr, uint64_t arg)
{
    seen.syscalls++;
    switch (nr) {
    case 1:
        seen.sys1_arg = arg;
        seen.sys1_rcx = frame[0];
        seen.sys1_r11 = frame[1];
        seen.sys1_rip = frame[2];
        seen.sys1_cs = frame[3];
        seen.sys1_rsp = frame[5];
        seen.sys1_ss = frame[6];
        seen.sys1_frame_on_kstack = on_kernel_stack(frame);
        return (long)(2 * arg + 1);
    case 2:
        seen.answer_seen = arg;
        return 0;
    case 3:
        seen.data_seen = arg;
        return 0;
    case 4:
        seen.kread_rdi = arg;
        return 0;
    case 5:
        longjmp(kernel_ctx, 1); /* back to the kernel, in kernel mode */
    case 6: {
        /* An IPI to ourselves: pending at once; delivered once the return unmasks events. */
        struct evtchn_send send = {.port = ipi_port};
        seen.send_rc = HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
        frame[4] |= 0x200; /* RFLAGS.IF in the frame: the iret unmasks events */
        return 0;
    }
    default:
        seen.unexpected++;
        return -1;
    }
}

/*
 * The syscall callback: RSP points at the frame on the kernel stack. Save what the C call
 * may clobber, dispatch, put the answer in RAX, take RCX/R11 off the frame and return to
 * user mode with HYPERVISOR_iret, flags VGCF_in_syscall (the hypercall page's iret stub
 * pushes RAX, R11, RCX: the iret_context then is complete).
 */
__asm__(".pushsection .text\n"
        ".globl syscall_entry\n"
        "syscall_entry:\n"
        "    push %rdi; push %rsi; push %rdx; push %r8; push %r9; push %r10; push %rbp\n"
        "    mov %rdi, %rdx\n" /* arg */
        "    mov %rax, %rsi\n" /* nr */
        "    lea 56(%rsp), %rdi\n"
        "    mov %rsp, %rbp\n"
        "    and $-16, %rsp\n"
        "    call sys_dispatch\n"
        "    mov %rbp, %rsp\n"
        "    pop %rbp; pop %r10; pop %r9; pop %r8; pop %rdx; pop %rsi; pop %rdi\n"
        "    pop %rcx; pop %r11\n"
        "    push $256\n" /* VGCF_in_syscall */
        "    jmp hypercall_page + 23*32\n"
        ".popsection\n");
void syscall_entry(void);

/* ---- Kernel side: exceptions ---- */

/* Called by the entry stubs with the frame (RCX, R11, error code, RIP, CS, RFLAGS, RSP, SS). */
void trap_dispatch(uint64_t *frame, unsigned long vector)
{
    uint64_t ec = frame[2], rip = frame[3], cs = frame[4];
    uint64_t cr2 = HYPERVISOR_shared_info->vcpu_info[0].arch.cr2;

    if (vector == 14 && cr2 >= USER_DATA && cr2 < USER_DATA + PAGE_SIZE && !seen.pf_data_cr2) {
        seen.faults++;
        seen.pf_data_ec = ec, seen.pf_data_cr2 = cr2, seen.pf_data_cs = cs;
        seen.pf_data_rip = rip;
        seen.pf_frame_on_kstack = on_kernel_stack(frame);
        /* Resolve it: map the data page in the user L1, then retry the instruction. */
        seen.map_rc =
            mmu1(u_l1_mfn, (USER_DATA >> PAGE_SHIFT) & 511, pte_of(mfn_of(user_data), RW_USER));
        return;
    }
    if (vector == 14 && rip == USER_CODE + (unsigned long)(user_kread - user_prog)) {
        seen.faults++;
        seen.pf_kern_ec = ec, seen.pf_kern_cr2 = cr2, seen.pf_kern_cs = cs;
        seen.pf_kern_rip = rip;
        frame[3] = USER_CODE + (unsigned long)(user_kread_end - user_prog); /* skip the read */
        return;
    }
    if (vector == 3) {
        seen.bp_count++;
        seen.bp_rip = rip, seen.bp_cs = cs;
        return; /* RIP is already past int3 */
    }
    if (vector == 13 && rip == USER_CODE + (unsigned long)(user_hlt - user_prog)) {
        seen.gp_count++;
        seen.gp_ec = ec, seen.gp_cs = cs;
        frame[3] = USER_CODE + (unsigned long)(user_hlt_end - user_prog);
        return;
    }
    /* Anything else: note it and abandon user mode. */
    seen.unexpected++;
    seen.bad_vector = vector;
    seen.bad_rip = rip;
    longjmp(kernel_ctx, 2);
}

/*
 * The event callback (frame RCX, R11, RIP, CS, RFLAGS, RSP, SS; error-code slot 0 added by
 * the stub): record where it interrupted, clear the port and the pending flags.
 */
void event_dispatch(uint64_t *frame, unsigned long vector)
{
    shared_info_t *s = HYPERVISOR_shared_info;

    (void)vector;
    seen.upcalls++;
    seen.upcall_rip = frame[3];
    seen.upcall_cs = frame[4];
    seen.upcall_frame_on_kstack = on_kernel_stack(frame);
    s->vcpu_info[0].evtchn_upcall_pending = 0;
    s->vcpu_info[0].evtchn_pending_sel = 0;
    s->evtchn_pending[ipi_port / 64] &= ~(1UL << (ipi_port % 64));
}

/* clang-format off */
#define TRAP_STUB_TO(name, vec, has_ec, handler)                                                               \
    ".globl " #name "\n" #name ":\n"                                                               \
    ".if " #has_ec " == 0\n" /* make room for an error code 0 under RCX and R11 */          \
    "sub $8, %rsp; push %rax\n"                                                                  \
    "mov 16(%rsp), %rax; mov %rax, 8(%rsp); mov 24(%rsp), %rax; mov %rax, 16(%rsp)\n"           \
    "movq $0, 24(%rsp); pop %rax\n"                                                              \
    ".endif\n"                                                                                   \
    "push %rax; push %rdx; push %rsi; push %rdi; push %r8; push %r9; push %r10; push %rbp\n"       \
    "lea 64(%rsp), %rdi\n"                                                                         \
    "mov $" #vec ", %esi\n"                                                                        \
    "mov %rsp, %rbp\n"                                                                             \
    "and $-16, %rsp\n"                                                                             \
    "call " handler "\n"                                                                            \
    "mov %rbp, %rsp\n"                                                                             \
    "pop %rbp; pop %r10; pop %r9; pop %r8; pop %rdi; pop %rsi; pop %rdx; pop %rax\n"               \
    "pop %rcx; pop %r11\n"                                                                         \
    "add $8, %rsp\n"                                                                               \
    "push $0\n"                                                                                    \
    "jmp hypercall_page + 23*32\n"

#define TRAP_STUB(name, vec, has_ec) TRAP_STUB_TO(name, vec, has_ec, "trap_dispatch")

__asm__(".pushsection .text\n"
        TRAP_STUB_TO(event_entry, 0, 0, "event_dispatch")
        TRAP_STUB(trap_bp, 3, 0)
        TRAP_STUB(trap_ud, 6, 0)
        TRAP_STUB(trap_gp, 13, 1)
        TRAP_STUB(trap_pf, 14, 1)
        ".popsection\n");
/* clang-format on */
void event_entry(void), trap_bp(void), trap_ud(void), trap_gp(void), trap_pf(void);

/* ---- Entering user mode ---- */

/*
 * HYPERVISOR_iret to USER_CODE in user mode: the iret_context (flags, RIP, CS, RFLAGS, RSP,
 * SS above RAX, R11, RCX, which the stub pushes) built on the kernel's current stack.
 * Returns through longjmp(kernel_ctx) when the program ends (or misbehaves).
 */
static int run_user_program(void)
{
    int how = setjmp(kernel_ctx);

    if (how)
        return how;
    __asm__ volatile("push $%c0\n\t" /* SS */
                     "push $%c1\n\t" /* RSP */
                     "push $0x2\n\t" /* RFLAGS: IF clear, events stay masked */
                     "push $%c2\n\t" /* CS, RPL 3 */
                     "push $%c3\n\t" /* RIP */
                     "push $0\n\t"   /* flags */
                     "jmp hypercall_page + 23*32\n\t"
                     :
                     : "i"(FLAT_USER_SS64), "i"(USER_STACK_TOP), "i"(FLAT_USER_CS64), "i"(USER_CODE)
                     : "memory");
    __builtin_unreachable();
}

static long make_ro(const void *va)
{
    return HYPERVISOR_update_va_mapping((unsigned long)va, pte_of(mfn_of(va), RO_USER),
                                        UVMF_INVLPG);
}

int main(void)
{
    static struct trap_info traps[] = {
        {3, 3, FLAT_KERNEL_CS, (unsigned long)trap_bp}, /* DPL 3: user mode may raise it */
        {6, 0, FLAT_KERNEL_CS, (unsigned long)trap_ud},
        {13, 0, FLAT_KERNEL_CS, (unsigned long)trap_gp},
        {14, 0, FLAT_KERNEL_CS, (unsigned long)trap_pf},
        {0, 0, 0, 0},
    };
    struct callback_register cb = {
        .type = CALLBACKTYPE_syscall,
        .flags = CALLBACKF_mask_events,
        .address = (unsigned long)syscall_entry,
    };

    /* The user program and its tables: code read-only, stack writable, data left out. */
    memcpy(user_code, user_prog, (size_t)(user_prog_end - user_prog));
    user_stack[0] = user_data[0] = 0;
    u_l1[(USER_CODE >> PAGE_SHIFT) & 511] = pte_of(mfn_of(user_code), RO_USER);
    u_l1[(USER_STACK >> PAGE_SHIFT) & 511] = pte_of(mfn_of(user_stack), RW_USER);
    u_l2[(USER_BASE >> 21) & 511] = pte_of(mfn_of(u_l1), TBL);
    u_l3[0] = pte_of(mfn_of(u_l2), TBL);
    u_l4[0] = pte_of(mfn_of(u_l3), TBL);
    u_l1_mfn = mfn_of(u_l1);
    P("user tables mapped read-only: %s",
      rc_str(make_ro(u_l1) | make_ro(u_l2) | make_ro(u_l3) | make_ro(u_l4)));
    P("pin user L4 = %s", rc_str(mmuext(MMUEXT_PIN_L4_TABLE, mfn_of(u_l4))));
    P("user L4 maps the kernel: %s", yesno(u_l4[511] != 0));
    P("mmuext NEW_USER_BASEPTR(user L4) = %s",
      rc_str(mmuext(MMUEXT_NEW_USER_BASEPTR, mfn_of(u_l4))));
    P("set_trap_table = %s", rc_str(HYPERVISOR_set_trap_table(traps)));
    P("callback_op(register, CALLBACKTYPE_syscall) = %s",
      rc_str(HYPERVISOR_callback_op(CALLBACKOP_register, &cb)));
    struct callback_register ecb = {.type = CALLBACKTYPE_event,
                                    .flags = CALLBACKF_mask_events,
                                    .address = (unsigned long)event_entry};
    struct evtchn_bind_ipi ipi = {.vcpu = 0};
    P("callback_op(register, CALLBACKTYPE_event) = %s",
      rc_str(HYPERVISOR_callback_op(CALLBACKOP_register, &ecb)));
    P("event_channel_op(EVTCHNOP_bind_ipi) = %s",
      rc_str(HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &ipi)));
    ipi_port = ipi.port;
    P("stack_switch(FLAT_KERNEL_SS, kernel stack) = %s",
      rc_str(hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS,
                        (unsigned long)kernel_stack + sizeof(kernel_stack))));

    int how = run_user_program();

    P("back in the kernel: %s", how == 1 ? "by the exit system call" : "by an unexpected trap");
    if (seen.unexpected)
        P("  unexpected: %u (last vector %lu at user rip offset %#lx)", seen.unexpected,
          (unsigned long)seen.bad_vector, (unsigned long)(seen.bad_rip - USER_CODE));
    P("system calls: %u, page faults: %u", seen.syscalls, seen.faults);
    P("syscall 1: argument %#lx; frame on the registered kernel stack: %s",
      (unsigned long)seen.sys1_arg, yesno(seen.sys1_frame_on_kstack));
    P("  frame CS %#lx, SS %#lx; RIP after the syscall instruction: %s; RCX = RIP: %s; "
      "RSP on the user stack: %s",
      (unsigned long)seen.sys1_cs, (unsigned long)seen.sys1_ss,
      yesno(seen.sys1_rip == USER_CODE + (unsigned long)(user_sys1_ret - user_prog)),
      yesno(seen.sys1_rcx == seen.sys1_rip),
      yesno(seen.sys1_rsp > USER_STACK && seen.sys1_rsp <= USER_STACK_TOP));
    P("  R11 holds the user RFLAGS (IF set, reserved bit 1 set): %s",
      yesno((seen.sys1_r11 & 0x202) == 0x202));
    P("syscall 2: the user saw the answer %#lx", (unsigned long)seen.answer_seen);
    P("#PF on the unmapped data page: error code %#lx, CR2 is the data page: %s, CS %#lx, "
      "RIP in the user program: %s, frame on the kernel stack: %s",
      (unsigned long)seen.pf_data_ec, yesno(seen.pf_data_cr2 == USER_DATA),
      (unsigned long)seen.pf_data_cs,
      yesno(seen.pf_data_rip >= USER_CODE && seen.pf_data_rip < USER_CODE + PAGE_SIZE),
      yesno(seen.pf_frame_on_kstack));
    P("  kernel maps it: mmu_update = %s", rc_str(seen.map_rc));
    P("syscall 3: the user read back %#lx after the fault was resolved",
      (unsigned long)seen.data_seen);
    P("#PF on reading kernel memory from user mode: error code %#lx, CR2 is the kernel address: "
      "%s, CS %#lx",
      (unsigned long)seen.pf_kern_ec, yesno(seen.pf_kern_cr2 == KERNEL_VA),
      (unsigned long)seen.pf_kern_cs);
    P("syscall 4: the user's register after the read: %#lx (kernel memory unreachable: %s)",
      (unsigned long)seen.kread_rdi, yesno(seen.kread_rdi == 0x5a5a));
    P("int3 in user mode: %u, RIP after it: %s, CS %#lx", seen.bp_count,
      yesno(seen.bp_rip == USER_CODE + (unsigned long)(user_hlt - user_prog)),
      (unsigned long)seen.bp_cs);
    P("hlt in user mode: #GP %u, error code %#lx, CS %#lx", seen.gp_count,
      (unsigned long)seen.gp_ec, (unsigned long)seen.gp_cs);
    P("syscall 6: EVTCHNOP_send = %s; upcalls: %u, interrupted user mode right after the "
      "syscall: %s, CS %#lx, frame on the kernel stack: %s",
      rc_str(seen.send_rc), seen.upcalls,
      yesno(seen.upcall_rip == USER_CODE + (unsigned long)(user_after_event - user_prog)),
      (unsigned long)seen.upcall_cs, yesno(seen.upcall_frame_on_kstack));
    P("data page written from user mode: %s", yesno(*(volatile uint64_t *)user_data == 0x55aa));
    P("kernel memory readable again in kernel mode: %s",
      yesno(*(volatile const uint8_t *)KERNEL_VA == *(volatile const uint8_t *)KERNEL_VA));

    /*
     * One table for both modes, as Xen allows: the kernel's own L4, with the user program
     * hooked in. Every guest mapping carries _PAGE_USER on a 64-bit PV guest, so user mode
     * now reads kernel memory: separate roots are what keeps it out.
     */
    unsigned long k_l4 = mfn_of((const void *)start_info->pt_base);
    memset(&seen, 0, sizeof(seen));
    P("mmu_update(kernel L4 slot 0 := the user L3) = %s",
      rc_str(mmu1(k_l4, 0, pte_of(mfn_of(u_l3), TBL))));
    P("mmuext NEW_USER_BASEPTR(the kernel's own L4) = %s",
      rc_str(mmuext(MMUEXT_NEW_USER_BASEPTR, k_l4)));
    how = run_user_program();
    P("one table for both: back in the kernel: %s; system calls: %u, page faults: %u, "
      "unexpected: %u",
      how == 1 ? "by the exit system call" : "by an unexpected trap", seen.syscalls, seen.faults,
      seen.unexpected);
    P("  the user read kernel memory: %s",
      yesno(seen.kread_rdi == *(volatile const uint64_t *)KERNEL_VA));
    P("mmu_update(kernel L4 slot 0 := 0) = %s", rc_str(mmu1(k_l4, 0, 0)));

    /* Without the user L4 an iret to user mode would crash the domain: just drop it here. */
    P("mmuext NEW_USER_BASEPTR(0) = %s", rc_str(mmuext(MMUEXT_NEW_USER_BASEPTR, 0)));
    P("unpin user L4 = %s", rc_str(mmuext(MMUEXT_UNPIN_TABLE, mfn_of(u_l4))));
    probe_done();
    return 0;
}

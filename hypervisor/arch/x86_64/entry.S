/*
 * Exception and interrupt entry: one 16-byte stub per IDT vector pushes a dummy error code
 * where the CPU pushes none (SDM Vol 3A §6.3.1 table 6-1), then the vector, then jumps to
 * the common path, which saves the registers as struct cpu_regs and calls do_trap().
 */
    .section .text, "ax"
    .code64

/* The general registers of struct cpu_regs (arch/regs.h), r15 at the lowest address. */
.macro SAVE_GPRS
    push    %rdi
    push    %rsi
    push    %rdx
    push    %rcx
    push    %rax
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %rbx
    push    %rbp
    push    %r12
    push    %r13
    push    %r14
    push    %r15
.endm

.macro RESTORE_GPRS
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbp
    pop     %rbx
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rax
    pop     %rcx
    pop     %rdx
    pop     %rsi
    pop     %rdi
.endm


    .balign 16
    .globl  idt_stubs
idt_stubs:
    .set    vec, 0
    .rept   256
    .balign 16
    .if     (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq   $0
    .endif
    pushq   $vec
    jmp     trap_common
    .set    vec, vec + 1
    .endr

trap_common:
    cld
    SAVE_GPRS
    mov     %rsp, %rdi
    /* A frame record so backtraces run through the trap into the interrupted code. */
    push    0x88(%rsp)          /* the interrupted rip (offset of rip in cpu_regs) */
    push    %rbp
    mov     %rsp, %rbp
    call    do_trap
    add     $16, %rsp
    RESTORE_GPRS
    add     $16, %rsp           /* vector, error code */
.Ltrap_iret:
    iretq

/* The same for the return from an exception or interrupt taken in a guest. Only frames
   with RPL 3 can fault here (the hypervisor's own are always valid). */
trap_iret_fault:
    and     $~0xf, %rsp
    call    guest_iret_faulted
    ud2

/*
 * SYSCALL from ring 3 (SDM Vol 2B SYSCALL): rcx = guest rip, r11 = guest rflags, rsp still
 * the guest's. A PV guest kernel's syscall is a hypercall (xen.h: number in rax, arguments in
 * rdi, rsi, rdx, r10, r8, r9). The frame is built at the top of the hypervisor stack in the
 * same layout an exception from ring 3 leaves there (struct cpu_regs), so both paths share
 * guest_cpu_regs() and the return path. mica is uniprocessor: one stack, one scratch slot.
 */
.macro SYSCALL_ENTRY name, cs, vector
    .globl  \name
    .type   \name, @function
\name:
    mov     %rsp, syscall_scratch_rsp(%rip)
    lea     cpu0_stack_top(%rip), %rsp
    pushq   $0xe02b                         /* FLAT_RING3_SS64 */
    pushq   syscall_scratch_rsp(%rip)
    push    %r11                            /* rflags */
    pushq   $\cs
    push    %rcx                            /* rip after the syscall */
    pushq   $0                              /* error code */
    pushq   $\vector
    cld
    SAVE_GPRS
    mov     %rsp, %rdi
    xor     %ebp, %ebp                      /* backtraces end here */
    call    do_syscall
    jmp     return_to_guest
    .size   \name, . - \name
.endm

    /* "Vector" 256 marks a 64-bit syscall, 257 one from compatibility mode (CSTAR). */
    SYSCALL_ENTRY syscall_entry, 0xe033, 0x100
    SYSCALL_ENTRY syscall32_entry, 0xe023, 0x101

/*
 * Leave the hypervisor for the guest context at the top of the stack (guest_cpu_regs()).
 * Never returns. Also used to enter a vCPU for the first time.
 */
    .globl  return_to_guest
    .type   return_to_guest, @function
return_to_guest:
    lea     cpu0_stack_top(%rip), %rsp
    sub     $0xb0, %rsp                     /* sizeof(struct cpu_regs) */
    /*
     * SYSRET where the guest cannot tell (Xen does the same): the frame came from a SYSCALL
     * (vector 0x100, so rcx/r11 are the guest's to lose, or a bounce frame saved them), to
     * FLAT_RING3_CS64/SS64, and RIP is canonical — SYSRET to a non-canonical RIP faults in
     * ring 0 with the guest's RSP (SDM Vol 2B SYSRET). NMI and #MC use IST stacks, so the
     * window on the guest's stack below is safe; maskable interrupts are off.
     */
    cmpq    $0x100, 0x78(%rsp)              /* vector */
    jne     1f
    cmpq    $0xe033, 0x90(%rsp)             /* cs */
    jne     1f
    cmpq    $0xe02b, 0xa8(%rsp)             /* ss */
    jne     1f
    mov     0x88(%rsp), %rax                /* rip: bits 63..47 all equal? */
    sar     $47, %rax
    inc     %rax
    cmp     $1, %rax
    ja      1f
    RESTORE_GPRS
    mov     0x10(%rsp), %rcx                /* rip */
    mov     0x20(%rsp), %r11                /* rflags */
    mov     0x28(%rsp), %rsp                /* the guest's rsp */
    sysretq
1:  RESTORE_GPRS
    add     $16, %rsp
.Lguest_iret:
    iretq
    .size   return_to_guest, . - return_to_guest

/*
 * An IRETQ to a guest that faults (#GP/#NP/#SS: a CS or SS the guest left in its frame,
 * e.g. through the iret hypercall, that does not load) comes here through the exception
 * table, with %rsp still at the guest's frame: the guest's fault, so its domain crashes.
 */
    .type   guest_iret_fault, @function
guest_iret_fault:
    and     $~0xf, %rsp
    call    guest_iret_faulted
    ud2
    .size   guest_iret_fault, . - guest_iret_fault

    .section .ex_table, "a"
    .balign 8
    .quad   .Lguest_iret, guest_iret_fault
    .quad   .Ltrap_iret, trap_iret_fault
    .previous

    .section .bss
    .balign 8
syscall_scratch_rsp:
    .quad   0

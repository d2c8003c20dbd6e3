/*
 * Exception and interrupt entry: one 16-byte stub per IDT vector pushes a dummy error code
 * where the CPU pushes none (SDM Vol 3A §6.3.1 table 6-1), then the vector, then jumps to
 * the common path, which saves the registers as struct cpu_regs and calls do_trap().
 */
    .section .text, "ax"
    .code64

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
    mov     %rsp, %rdi
    /* A frame record so backtraces run through the trap into the interrupted code. */
    push    0x88(%rsp)          /* the interrupted rip (offset of rip in cpu_regs) */
    push    %rbp
    mov     %rsp, %rbp
    call    do_trap
    add     $16, %rsp
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
    add     $16, %rsp           /* vector, error code */
    iretq

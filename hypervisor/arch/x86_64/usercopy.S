/*
 * Copies to and from guest memory that may fault. A fault on the marked instruction is
 * turned by the exception-table fixup (traps.c) into a jump to the recovery label, so a bad
 * guest pointer costs the guest -EFAULT, never the hypervisor a crash.
 *
 * size_t raw_copy_guest(void *dst, const void *src, size_t len)
 *     returns the number of bytes NOT copied (0 on success).
 */
    .section .text, "ax"
    .globl  raw_copy_guest
    .type   raw_copy_guest, @function
raw_copy_guest:
    mov     %rdx, %rcx
1:  rep movsb
2:  mov     %rcx, %rax
    ret
    .size   raw_copy_guest, . - raw_copy_guest

    .section .ex_table, "a"
    .balign 8
    .quad   1b, 2b

/*
 * memcpy and memset for the hypervisor with REP MOVSQ / REP STOSQ, then REP MOVSB / REP STOSB
 * for the last n % 8 bytes (Intel SDM Vol 1 §7.3.9.3: fast-string operation). Both run many
 * times faster than a loop under QEMU's TCG, and the quadword forms about eight times faster
 * than the byte forms there: TCG executes a REP string instruction one element per iteration,
 * so scrubbing a freed 4 KiB frame is 512 iterations instead of 4096 (issue 13, scaling: a
 * guest's teardown scrubs all its memory while every other domain waits).
 * They override the portable word-loop versions in lib/string.c (weak there), which the host
 * unit tests keep testing.
 */
    .section .text, "ax"
    .code64

/* void *memcpy(void *dst, const void *src, size_t n) */
    .globl  memcpy
    .type   memcpy, @function
memcpy:
    mov     %rdi, %rax
    mov     %rdx, %rcx
    shr     $3, %rcx
    rep movsq
    mov     %edx, %ecx
    and     $7, %ecx
    rep movsb
    ret
    .size   memcpy, . - memcpy

/* void *memset(void *dst, int c, size_t n) */
    .globl  memset
    .type   memset, @function
memset:
    mov     %rdi, %r9
    movzbl  %sil, %eax
    movabs  $0x0101010101010101, %r8
    imul    %r8, %rax               /* the byte in all eight */
    mov     %rdx, %rcx
    shr     $3, %rcx
    rep stosq
    mov     %edx, %ecx
    and     $7, %ecx
    rep stosb
    mov     %r9, %rax
    ret
    .size   memset, . - memset

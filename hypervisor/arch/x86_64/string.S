/*
 * memcpy and memset for the hypervisor with REP MOVSB / REP STOSB (Intel SDM Vol 1 §7.3.9.3:
 * fast-string operation), which also run many times faster than a loop under QEMU's TCG.
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
    rep movsb
    ret
    .size   memcpy, . - memcpy

/* void *memset(void *dst, int c, size_t n) */
    .globl  memset
    .type   memset, @function
memset:
    mov     %rdi, %r9
    mov     %esi, %eax
    mov     %rdx, %rcx
    rep stosb
    mov     %r9, %rax
    ret
    .size   memset, . - memset

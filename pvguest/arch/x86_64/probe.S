/*
 * Memory probes: one-byte reads and writes that may fault. Each probe's
 * access instruction has a fixup (a table below): when it faults,
 * trap_entry() (traps.c) records the fault, makes the probe return
 * -EFAULT and resumes after the access instead of crashing the domain.
 * The kernel's self-tests use them to show that a page is read-only or
 * unmapped. C interface: arch/probe.h.
 */
    .text

/* long probe_read_u8(const volatile void *addr %rdi, uint8_t *val %rsi) */
    .globl probe_read_u8
    .type probe_read_u8, @function
probe_read_u8:
    xor %eax, %eax
1:  movzbl (%rdi), %ecx
    movb %cl, (%rsi)
2:  ret
    .size probe_read_u8, . - probe_read_u8

/* long probe_write_u8(volatile void *addr %rdi, uint8_t val %sil) */
    .globl probe_write_u8
    .type probe_write_u8, @function
probe_write_u8:
    xor %eax, %eax
3:  movb %sil, (%rdi)
4:  ret
    .size probe_write_u8, . - probe_write_u8

/* Pairs of (faulting instruction, where to resume), ended by a zero pair. */
    .section .rodata
    .balign 8
    .globl probe_fixups
probe_fixups:
    .quad 1b, 2b
    .quad 3b, 4b
    .quad 0, 0


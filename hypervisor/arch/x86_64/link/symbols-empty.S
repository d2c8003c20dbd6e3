/* The empty symbol table of the first link pass (see hypervisor/hypervisor.mk). */
    .section .symbols, "a"
    .balign 8
    .globl symbols_table, symbols_count, symbols_names
symbols_count:
    .quad 0
symbols_table:
symbols_names:
    .byte 0

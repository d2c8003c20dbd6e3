/*
 * Multiboot 1 entry: from 32-bit protected mode (as the loader leaves it, Multiboot
 * Specification 0.6.96 §3.2) to 64-bit long mode running at the hypervisor's high virtual
 * address. The boot page tables map:
 *   - the first 4 GiB 1:1 (only for the jump; dropped once paging_init() builds the real tables),
 *   - the same 4 GiB at DIRECTMAP_VIRT_START,
 *   - the first 1 GiB at HV_VIRT_OFFSET (the image).
 * All with 2 MiB pages (Intel SDM Vol 3A §4.5).
 */
#include <arch/layout.h>

#define MB1_MAGIC        0x1BADB002
#define MB1_BOOT_MAGIC   0x2BADB002
#define MB1_FLAGS        0x00010003 /* page-align modules, memory info, a.out kludge */

#define CR0_PE  (1 << 0)
#define CR0_WP  (1 << 16)
#define CR0_PG  (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#define PTE_P   0x001
#define PTE_W   0x002
#define PTE_PS  0x080

    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)
    .long multiboot_header          /* header_addr (physical: this section is VMA = LMA) */
    .long HV_PHYS_START             /* load_addr */
    .long __load_end_phys           /* load_end_addr */
    .long __bss_end_phys            /* bss_end_addr */
    .long multiboot_entry           /* entry_addr */

    .section .boot.text, "ax"
    .code32
    .globl multiboot_entry
multiboot_entry:
    cli
    cld
    mov     $boot_stack_top, %esp
    cmp     $MB1_BOOT_MAGIC, %eax
    jne     .Lno_multiboot
    mov     %ebx, %edi                  /* multiboot info (physical), 1st C argument */

    /* Long mode and NX are required (CPUID 0x80000001 EDX bits 29 and 20). */
    mov     $0x80000000, %eax
    cpuid
    cmp     $0x80000001, %eax
    jb      .Lno_long_mode
    mov     $0x80000001, %eax
    cpuid
    bt      $29, %edx
    jnc     .Lno_long_mode
    bt      $20, %edx
    jnc     .Lno_long_mode

    mov     $boot_l4, %eax
    mov     %eax, %cr3
    mov     %cr4, %eax
    or      $CR4_PAE, %eax
    mov     %eax, %cr4
    mov     $MSR_EFER, %ecx
    rdmsr
    or      $(EFER_LME | EFER_NXE), %eax
    wrmsr
    mov     %cr0, %eax
    or      $(CR0_PE | CR0_WP | CR0_PG), %eax
    mov     %eax, %cr0

    lgdt    boot_gdt_ptr
    ljmp    $0x08, $.Llong_mode

.Lno_multiboot:
    mov     $msg_no_multiboot, %esi
    jmp     .Lfail32
.Lno_long_mode:
    mov     $msg_no_long_mode, %esi
.Lfail32:
    /* Raw COM1 output, then the failure exit of isa-debug-exit, then halt. */
    mov     $0x3f8, %dx
1:  lodsb
    test    %al, %al
    jz      2f
    outb    %al, %dx
    jmp     1b
2:  mov     $0xf4, %dx
    mov     $0x11, %eax
    outl    %eax, %dx
3:  hlt
    jmp     3b

    .code64
.Llong_mode:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    movabs  $start64, %rax
    jmp     *%rax

    .section .boot.data, "aw"
msg_no_multiboot:
    .asciz  "mica: not started by a multiboot 1 loader\r\n"
msg_no_long_mode:
    .asciz  "mica: this CPU has no 64-bit long mode or no NX: cannot boot\r\n"

    .balign 8
boot_gdt:
    .quad   0
    .quad   0x00af9a000000ffff      /* 0x08: 64-bit code, ring 0 */
    .quad   0x00cf92000000ffff      /* 0x10: data, ring 0 */
boot_gdt_end:
boot_gdt_ptr:
    .word   boot_gdt_end - boot_gdt - 1
    .long   boot_gdt

    .balign 4096
boot_l4:
    .quad   boot_l3_low + (PTE_P | PTE_W)
    .fill   (HV_VIRT_OFFSET >> 39) % 512 - 1, 8, 0
    .quad   boot_l3_image + (PTE_P | PTE_W)             /* slot 261 */
    .quad   boot_l3_low + (PTE_P | PTE_W)               /* slot 262: direct map */
    .fill   512 - (HV_VIRT_OFFSET >> 39) % 512 - 2, 8, 0

boot_l3_low:
    .quad   boot_l2 + 0x0000 + (PTE_P | PTE_W)
    .quad   boot_l2 + 0x1000 + (PTE_P | PTE_W)
    .quad   boot_l2 + 0x2000 + (PTE_P | PTE_W)
    .quad   boot_l2 + 0x3000 + (PTE_P | PTE_W)
    .fill   508, 8, 0

boot_l3_image:
    .fill   (HV_VIRT_OFFSET >> 30) % 512, 8, 0
    .quad   boot_l2 + (PTE_P | PTE_W)
    .fill   512 - (HV_VIRT_OFFSET >> 30) % 512 - 1, 8, 0

boot_l2:                                /* 2048 x 2 MiB = 4 GiB */
    .set    i, 0
    .rept   2048
    .quad   (i << 21) + (PTE_P | PTE_W | PTE_PS)
    .set    i, i + 1
    .endr

    .balign 16
    .fill   1024, 1, 0
boot_stack_top:

    .section .text.entry, "ax"
    .code64
    .type   start64, @function
start64:
    /* The top of the stack is where a guest's frame lives while it is in the hypervisor
       (guest_cpu_regs()); boot code runs below it. 0xb0 = sizeof(struct cpu_regs). */
    lea     cpu0_stack_top - 0xb0(%rip), %rsp
    xor     %ebp, %ebp
    /* %rdi still holds the multiboot info's physical address. */
    call    start_mica
    ud2
    .size   start64, . - start64

    .section .bss.page_aligned, "aw", @nobits
    .balign 4096
    .globl  cpu0_stack, cpu0_stack_top
cpu0_stack:
    .skip   STACK_SIZE
cpu0_stack_top:

/*
 * Entry of a mica PV guest kernel (x86-64), its Xen ELF notes, the hypercall
 * page and the boot stack.
 *
 * Xen's PV start-of-day state (xen.h, comment on struct start_info):
 * 64-bit mode, ring 3, the kernel mapped at its virtual base by page tables
 * the hypervisor built (read-only to the guest, pt_base), %rsi holding the
 * virtual address of start_info, %rsp on a boot stack inside the bootstrap
 * area, event delivery masked. We switch to our own stack in .bss, clear
 * .bss, and call start_kernel(start_info) in C. It never returns.
 */
#include <xen/elfnote.h>

/*
 * xen_elfnote TYPE, DESC: one ELF note with owner "Xen" and descriptor DESC,
 * given as assembler data directives (elfnote.h: "The notes should live in
 * a SHT_NOTE segment and have "Xen" in the name field"). String notes
 * include their NUL; numeric notes are 64-bit.
 */
.macro xen_elfnote type:req, desc:vararg
    .balign 4
    .long 2f - 1f           /* namesz, including the NUL */
    .long 4f - 3f           /* descsz */
    .long \type
1:  .asciz "Xen"
2:  .balign 4
3:  \desc
4:  .balign 4
.endm

    .section .note.Xen, "a", @note
    xen_elfnote XEN_ELFNOTE_GUEST_OS,       .asciz "mica-pvguest"
    xen_elfnote XEN_ELFNOTE_GUEST_VERSION,  .asciz "0.1"
    xen_elfnote XEN_ELFNOTE_XEN_VERSION,    .asciz "xen-3.0"
    xen_elfnote XEN_ELFNOTE_LOADER,         .asciz "generic"
    xen_elfnote XEN_ELFNOTE_VIRT_BASE,      .quad __virt_base
    /* ELF p_paddr = p_vaddr - VIRT_BASE (pvguest.lds), so the offset is 0. */
    xen_elfnote XEN_ELFNOTE_PADDR_OFFSET,   .quad 0
    xen_elfnote XEN_ELFNOTE_ENTRY,          .quad _start
    xen_elfnote XEN_ELFNOTE_HYPERCALL_PAGE, .quad hypercall_page

    .section .text.head, "ax", @progbits
    .code64
    .globl _start
    .type _start, @function
_start:
    cld
    lea boot_stack_top(%rip), %rsp
    mov %rsi, %rbx                  /* start_info, kept across the clear */

    /* The domain builder zeroes .bss already; do not depend on it. */
    lea __bss_start(%rip), %rdi
    lea __bss_end(%rip), %rcx
    sub %rdi, %rcx
    shr $3, %rcx                    /* pvguest.lds aligns both ends to 8 */
    xor %eax, %eax
    rep stosq

    mov %rbx, %rdi
    xor %ebp, %ebp                  /* end of the frame-pointer chain */
    call start_kernel
    /* start_kernel does not return; hlt is privileged, so spin. */
1:  pause
    jmp 1b
    .size _start, . - _start

/*
 * The hypercall page: the hypervisor overwrites it with one 32-byte stub per
 * hypercall number. int3 until then, so a call into an unfilled page traps.
 */
    .section .text.hypercall_page, "ax", @progbits
    .balign 4096
    .globl hypercall_page
    .type hypercall_page, @object
hypercall_page:
    .fill 4096, 1, 0xcc
    .size hypercall_page, 4096

/* The boot stack: 32 KiB in .bss, 16-byte aligned as the SysV ABI wants. */
    .section .bss.boot_stack, "aw", @nobits
    .balign 16
boot_stack:
    .skip 32768
boot_stack_top:

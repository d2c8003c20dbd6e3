/*
 * The arch side of the guest page-table hypercalls (common/mmu.c): loading a new guest L4
 * into CR3 and flushing the caches. Declared in <mica/page_types.h>.
 */
#include <arch/cpu.h>
#include <mica/page_types.h>

void arch_load_guest_table(paddr_t l4_maddr)
{
    write_cr3(l4_maddr);
    /* Guests may set _PAGE_GLOBAL in their L1 entries: a CR3 write leaves those behind. */
    flush_tlb_all();
}

void arch_flush_cache(void)
{
    __asm__ volatile("wbinvd" ::: "memory");
}

/*
 * Mapping of the domain's shared_info page. start_info->shared_info is a
 * machine address (xen.h, struct start_info) that the initial page tables do
 * not map; the guest maps it itself. We map it over a page reserved in .bss:
 * the initial page tables already have an L1 entry for every page of the
 * kernel image, so a single update_va_mapping replaces that entry, with no
 * page-table walk and no new page-table frame.
 */
#include <stdint.h>

#include <arch/page.h>
#include <pvguest/boot.h>
#include <pvguest/hypercall.h>

shared_info_t *HYPERVISOR_shared_info;

/* The virtual page that shared_info appears at; its original frame is not used again. */
static uint8_t shared_info_page[PAGE_SIZE]
    __attribute__((aligned(PAGE_SIZE), section(".bss.page_aligned")));

long map_shared_info(void)
{
    uint64_t pte = (start_info->shared_info & PTE_FRAME_MASK) | PTE_KERNEL_RW;
    long rc = HYPERVISOR_update_va_mapping((unsigned long)shared_info_page, pte, UVMF_INVLPG);

    if (rc < 0)
        return rc;
    HYPERVISOR_shared_info = (shared_info_t *)shared_info_page;
    return 0;
}

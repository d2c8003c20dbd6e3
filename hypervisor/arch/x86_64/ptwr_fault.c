/*
 * The #PF hook of the writable page-table assist (<mica/ptwr.h>): do_guest_trap() calls it
 * for a guest write fault on a present page, before the fault is bounced to the guest.
 */
#include <arch/guest.h>
#include <mica/domain.h>
#include <mica/ptwr.h>

bool ptwr_do_page_fault(struct cpu_regs *regs, uint64_t cr2)
{
    return ptwr_page_fault(current, regs, cr2, (uint32_t)regs->error_code);
}

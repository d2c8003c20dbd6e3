/* Guest memory access with fault recovery (see guest_access.h). */
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <xen/xen.h>

size_t raw_copy_guest(void *dst, const void *src, size_t len); /* arch usercopy.S */

struct exception_table_entry {
    uint64_t insn;  /* address of an instruction that may fault */
    uint64_t fixup; /* where to continue if it does */
};
extern const struct exception_table_entry __ex_table_start[], __ex_table_end[];

bool guest_range_ok(uint64_t addr, size_t len)
{
    uint64_t end = addr + len;

    if (end < addr)
        return false;
    if (!len)
        return true;
    return end <= HYPERVISOR_VIRT_START || addr >= HYPERVISOR_VIRT_END;
}

int copy_from_guest(void *dst, uint64_t src, size_t len)
{
    if (!guest_range_ok(src, len))
        return -EFAULT;
    return raw_copy_guest(dst, (const void *)src, len) ? -EFAULT : 0;
}

int copy_to_guest(uint64_t dst, const void *src, size_t len)
{
    if (!guest_range_ok(dst, len))
        return -EFAULT;
    return raw_copy_guest((void *)dst, src, len) ? -EFAULT : 0;
}

uint64_t search_exception_table(uint64_t rip)
{
    for (const struct exception_table_entry *e = __ex_table_start; e < __ex_table_end; e++) {
        if (e->insn == rip)
            return e->fixup;
    }
    return 0;
}

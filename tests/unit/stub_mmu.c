/*
 * Stand-ins for test_hypercalls, which links common/hypercall.c and common/memory.c but not
 * mm.c, mmu.c or the frame allocator: the page-table hypercalls refuse (-ENOSYS), and the
 * frame functions memory.c's reservation sub-ops call find no frames, and nothing is ever
 * preempted. test_mmu.c tests the real ones. All weak, so a test that links the real code
 * gets it.
 */
#include <mica/errno.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/page_types.h>

__attribute__((weak)) struct mm_counters mm_counters;
static unsigned long no_m2p[1];
__attribute__((weak)) unsigned long *machine_to_phys = no_m2p;

__attribute__((weak)) long do_mmu_update(unsigned long a1, unsigned long a2, unsigned long a3,
                                         unsigned long a4, unsigned long a5)
{
    return -ENOSYS;
}

__attribute__((weak)) long do_mmuext_op(unsigned long a1, unsigned long a2, unsigned long a3,
                                        unsigned long a4, unsigned long a5)
{
    return -ENOSYS;
}

__attribute__((weak)) long do_update_va_mapping_otherdomain(unsigned long a1, unsigned long a2,
                                                            unsigned long a3, unsigned long a4,
                                                            unsigned long a5)
{
    return -ENOSYS;
}

__attribute__((weak)) long alloc_frames(unsigned int order, domid_t owner)
{
    return -ENOMEM;
}

__attribute__((weak)) int free_frames(mfn_t mfn, unsigned int order)
{
    return -EINVAL;
}

static struct page_info no_page;

__attribute__((weak)) struct page_info *mfn_to_page(mfn_t mfn)
{
    return &no_page;
}

__attribute__((weak)) void *map_frame(mfn_t mfn)
{
    return NULL;
}

__attribute__((weak)) int guest_remove_page(struct domain *d, mfn_t mfn)
{
    return -EINVAL;
}

__attribute__((weak)) bool hypercall_preempt_check(void)
{
    return false;
}

__attribute__((weak)) long hypercall_continuation(unsigned int op, unsigned int nr_args,
                                                  const unsigned long *args)
{
    return -ENOSYS;
}

/* The guest's grant table, shared by its frontends (see gnttab.h). */
#include <pvguest/gnttab.h>
#include <pvguest/hypercall.h>

static uint8_t gt_pages[GNTTAB_GUEST_FRAMES][4096] __attribute__((aligned(4096)));
static volatile grant_entry_v1_t *gt;

long gnttab_op(unsigned int cmd, void *uop, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, (unsigned long)uop, count);
}

volatile grant_entry_v1_t *gnttab_entries(void)
{
    struct gnttab_setup_table st = {.dom = DOMID_SELF, .nr_frames = GNTTAB_GUEST_FRAMES};
    xen_pfn_t frames[GNTTAB_GUEST_FRAMES];

    if (gt)
        return gt;
    set_xen_guest_handle(st.frame_list, frames);
    if (gnttab_op(GNTTABOP_setup_table, &st, 1) || st.status != GNTST_okay)
        return NULL;
    for (unsigned int i = 0; i < GNTTAB_GUEST_FRAMES; i++)
        if (HYPERVISOR_update_va_mapping((unsigned long)gt_pages[i],
                                         ((uint64_t)frames[i] << 12) | 0x67 /* P RW US A D */,
                                         UVMF_INVLPG))
            return NULL;
    gt = (volatile grant_entry_v1_t *)gt_pages;
    return gt;
}

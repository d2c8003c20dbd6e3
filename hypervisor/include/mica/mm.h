/*
 * The frame table: one struct page_info per machine frame, laid out for
 * Xen's typed-page model (Xen's xen/arch/x86/mm.c header comment and
 * asm-x86/mm.h describe the model; the rules live in mica's mm.c, issue 3).
 *
 * In short: every frame has an owner and a general reference count
 * (count_info), held by anything that may access the frame, e.g. every
 * mapping of it in a page table. A frame also has at most one "type" at a
 * time (type_info): in use as an L1..L4 page table, as a GDT/LDT page, or
 * as a page the guest may map writable. A type reference is held by every
 * use that depends on the type (an L2 entry pointing to an L1 table holds
 * a PGT_l1_page_table reference on it); the type may change only when its
 * count is zero. That is what keeps a guest from writing its own page
 * tables: a frame cannot be PGT_writable_page and PGT_l1_page_table at once.
 *
 * This header only defines the fields and constants.
 */
#ifndef MICA_MM_H
#define MICA_MM_H

#include <mica/types.h>
#include <xen/xen.h> /* DOMID_XEN, DOMID_IO, DOMID_INVALID */

/* "No frame" in the 32-bit MFN links of the free lists. */
#define PAGE_LIST_NULL 0xffffffffU

/* owner of a frame the allocator has free (set when a block is freed). */
#define PAGE_OWNER_FREE DOMID_INVALID

struct page_info {
    /*
     * General reference count in bits 0..PGC_count_width-1, flags above.
     * The allocator owns PGC_free_head and PGC_alloc_head: code that changes
     * the count must preserve every flag bit (add and subtract, never assign).
     */
    uint64_t count_info;
    /*
     * Current type (PGT_type_mask), PGT_pinned, PGT_validated and the count
     * of type references (PGT_count_mask). Zero (PGT_none, count 0) for a
     * frame fresh from the allocator.
     */
    uint32_t type_info;
    /*
     * Owning domain: a domid, DOMID_XEN for the hypervisor's own frames (and
     * for every frame not given to the allocator, until boot code says
     * otherwise), DOMID_IO for device memory, PAGE_OWNER_FREE once freed.
     */
    domid_t owner;
    /* Block order (log2 of frames) when this frame heads an allocator block. */
    uint8_t order;
    uint8_t pad; /* must be zero */
    union {
        /*
         * Free-list links, as MFNs (PAGE_LIST_NULL at either end), valid only
         * while PGC_free_head is set. 32-bit MFNs cover 16 TiB of RAM.
         */
        struct {
            uint32_t next;
            uint32_t prev;
        };
        /*
         * While the frame is allocated and a validated L2-L4 table (mm.c; Xen's
         * u.inuse linear_pt_count in asm-x86/mm.h, XSA-240): a positive value counts
         * the table's read-only entries that point at OTHER tables of its own level
         * (linear entries), a negative one the tables of its level that point at it
         * so. A table never has both. Reset to 0 whenever a table is validated, since
         * the allocator leaves its links here.
         */
        struct {
            int16_t linear_pt_count;
            uint16_t linear_pad;  /* unused */
            uint32_t linear_pad2; /* unused */
        };
    };
};

_Static_assert(sizeof(struct page_info) == 24, "struct page_info should stay small");

/*
 * count_info flags. Only the head frame of an allocator block carries
 * PGC_free_head or PGC_alloc_head; the other frames of a block carry
 * neither, and the frames inside a free block other than its head are not
 * kept up to date at all (the allocator never touches every frame).
 */
#define PGC_allocated  (1ULL << 63) /* owner holds the allocation reference (Xen's meaning) */
#define PGC_free_head  (1ULL << 62) /* first frame of a free buddy block of 2^order frames */
#define PGC_alloc_head (1ULL << 61) /* first frame of a block the allocator handed out */
/*
 * Added for the typed-frame rules (mm.c, issue 3): a hypervisor-allocated frame shared with
 * its owner domain (shared_info), as Xen's PGC_xen_heap. put_page() never frees it (the
 * hypervisor does), and a mapping may not change its cache attributes (Xen: -EACCES).
 */
#define PGC_xen_heap    (1ULL << 60)
#define PGC_count_width 56
#define PGC_count_mask  ((1ULL << PGC_count_width) - 1)

/* type_info: the type in the top three bits, as Xen's PGT_* values. */
#define PGT_type_shift    29
#define PGT_none          (0U << PGT_type_shift) /* no special use */
#define PGT_l1_page_table (1U << PGT_type_shift) /* an L1 page table */
#define PGT_l2_page_table (2U << PGT_type_shift) /* an L2 page table */
#define PGT_l3_page_table (3U << PGT_type_shift) /* an L3 page table */
#define PGT_l4_page_table (4U << PGT_type_shift) /* an L4 page table */
#define PGT_seg_desc_page (5U << PGT_type_shift) /* in a GDT or LDT */
#define PGT_shared_page   (6U << PGT_type_shift) /* shared between domains */
#define PGT_writable_page (7U << PGT_type_shift) /* has writable mappings */
#define PGT_type_mask     (7U << PGT_type_shift)
#define PGT_pinned        (1U << 28) /* the owner pinned the frame to its type (MMUEXT_PIN_*) */
#define PGT_validated     (1U << 27) /* contents checked for the current type */
/* Bit 26 is free for issue 3 (e.g. a partially validated table). */
#define PGT_count_width 26
#define PGT_count_mask  ((1U << PGT_count_width) - 1) /* type references */

#endif /* MICA_MM_H */

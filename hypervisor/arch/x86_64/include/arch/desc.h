/*
 * Segment selectors, GDT, IDT and TSS. The GDT follows Xen's PV ABI (xen.h, xen-x86_64.h):
 * the guest may own the first FIRST_RESERVED_GDT_PAGE pages; the hypervisor's entries start
 * at FIRST_RESERVED_GDT_ENTRY, where the flat selectors FLAT_RING3_CS64 (0xe033),
 * FLAT_RING3_SS64 (0xe02b) and FLAT_RING3_CS32 (0xe023) point.
 */
#ifndef ARCH_DESC_H
#define ARCH_DESC_H

#include <mica/types.h>
#include <xen/xen.h>

#define GDT_ENTRIES_TOTAL  ((FIRST_RESERVED_GDT_PAGE + 1) * 512)
#define GDT_DESCS_PER_PAGE 512

/**
 * The hypervisor's GDT page (desc.c): descriptors FIRST_RESERVED_GDT_ENTRY onwards, the last
 * page of the GDT area (gdt.c).
 */
extern uint64_t hv_gdt_page[GDT_DESCS_PER_PAGE];

/* Selectors of the hypervisor's reserved entries (byte offsets from the GDT base). */
#define HYPERVISOR_CS   0xe008 /* 64-bit ring-0 code */
#define HYPERVISOR_DS   0xe010 /* ring-0 data (SS) */
#define HYPERVISOR_CS32 0xe018 /* 32-bit ring-0 code */
#define GUEST_CS32_SEL  0xe020 /* FLAT_RING3_CS32 without RPL */
#define GUEST_DS_SEL    0xe028 /* FLAT_RING3_DS32 / SS64 without RPL */
#define GUEST_CS64_SEL  0xe030 /* FLAT_RING3_CS64 without RPL */
#define TSS_SEL         0xe040 /* 16-byte system descriptor */
#define LDT_SEL         0xe050 /* 16-byte system descriptor */

/* IST slots in the TSS (SDM Vol 3A §6.14.5). */
#define IST_DF  1
#define IST_NMI 2
#define IST_MC  3

/** Load the GDT, TSS and IDT on this CPU. Exceptions are reported from then on. */
void cpu_desc_init(void);

#endif /* ARCH_DESC_H */

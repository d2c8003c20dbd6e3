/*
 * The GDT area: where the CPU finds the GDT (GDTR) once paging is up. Its first
 * FIRST_RESERVED_GDT_PAGE pages show the running vCPU's own GDT frames (set_gdt;
 * <mica/descriptor.h>), or a read-only zero page where it has none; the last page is the
 * hypervisor's (desc.c hv_gdt_page). As in Xen's per-vCPU GDT mappings (arch/x86/domain.c,
 * "Overview of Xen's GDTs"), one GDTR value serves every vCPU.
 */
#ifndef ARCH_GDT_H
#define ARCH_GDT_H

struct vcpu;

/**
 * Map the GDT area at GDT_VIRT_START (arch/layout.h) in the hypervisor's page tables and
 * load GDTR with it. Called once by paging_init(), after the hypervisor's tables are live.
 */
void gdt_area_init(void);

/**
 * Show @v's GDT frames in the GDT area (zero pages for the slots it does not use), or no
 * guest GDT at all for @v NULL (idle). Flushes the TLB entries it changes. Called on every
 * context switch, before the guest's data segments are reloaded, and by set_gdt.
 */
void gdt_load(const struct vcpu *v);

#endif /* ARCH_GDT_H */

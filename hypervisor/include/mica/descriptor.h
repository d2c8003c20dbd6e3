/*
 * Guest segment descriptors: the rules a 64-bit PV guest's GDT must follow, the frames of a
 * vCPU's GDT, and update_descriptor (xen.h __HYPERVISOR_set_gdt, __HYPERVISOR_update_descriptor;
 * behaviour as Xen 4.17's arch/x86/pv/descriptor-tables.c).
 *
 * A PV guest may own the first FIRST_RESERVED_GDT_PAGE (14) pages of the GDT, up to
 * FIRST_RESERVED_GDT_ENTRY (7168) descriptors; the hypervisor's entries follow. Each guest
 * GDT frame holds a PGT_seg_desc_page type reference while it is in a GDT, so the guest has
 * no writable mapping of it and changes it only through update_descriptor. The first such
 * type reference validates the whole frame (512 descriptors) with check_descriptor().
 *
 * Descriptor rules (Xen's check_descriptor for a 64-bit PV guest, whose kernel runs in
 * ring 3; Intel SDM Vol 3A §3.4.5, §3.5, §5.8.3.1):
 *  - Not present (P clear): accepted unchanged; loading it always faults.
 *  - Code or data (S set): accepted, any type, base, limit, L/D/G; a DPL below 3 is raised
 *    to 3, so no guest segment is more privileged than the guest kernel.
 *  - System, type 0 (the upper half of a 16-byte call gate): accepted unchanged.
 *  - System, type 12 (64-bit call gate): accepted if its target selector is a guest GDT
 *    entry (index < FIRST_RESERVED_GDT_ENTRY), an LDT selector (TI set) or FLAT_KERNEL_CS,
 *    and bits 0-7 of the high word are zero. Its DPL is set to 0, so any use of the gate
 *    raises #GP (for emulation), and the target selector's RPL to 3 (the guest DPL Xen keeps
 *    there).
 *  - Every other system descriptor (LDT, TSS, interrupt and trap gates, reserved types):
 *    refused.
 *
 * Portable: frames are reached through map_frame() and the typed-frame functions of
 * <mica/page_types.h>, so this runs in the host unit tests too. Mapping a vCPU's GDT frames
 * where the CPU sees them is arch code (arch/x86_64/gdt.c).
 */
#ifndef MICA_DESCRIPTOR_H
#define MICA_DESCRIPTOR_H

#include <mica/types.h>
#include <xen/xen.h> /* FIRST_RESERVED_GDT_PAGE, FIRST_RESERVED_GDT_ENTRY */

struct vcpu;

/* Fields of a segment descriptor's high 32-bit word (SDM Vol 3A figure 3-8; Xen _SEGMENT_*). */
#define SEGDESC_TYPE           (15U << 8) /* type (code/data: bit 11 code, 10 conforming) */
#define SEGDESC_S              (1U << 12) /* code or data (set), system (clear) */
#define SEGDESC_DPL            (3U << 13) /* descriptor privilege level */
#define SEGDESC_P              (1U << 15) /* present */
#define SEGDESC_L              (1U << 21) /* 64-bit code */
#define SEGDESC_DB             (1U << 22) /* default operand size */
#define SEGDESC_G              (1U << 23) /* 4 KiB granularity */
#define SEGDESC_DPL_SHIFT      13
#define SEGDESC_TYPE_CALL_GATE (12U << 8) /* 64-bit call gate (SDM Vol 3A table 3-2) */

/* Descriptors per GDT frame, and the most frames a guest GDT may have. */
#define GDT_DESCS_PER_FRAME  512
#define GDT_GUEST_FRAMES_MAX FIRST_RESERVED_GDT_PAGE

/**
 * Check descriptor *@desc (8 bytes, as it sits in a GDT) against the rules at the top of
 * this file, and fix it up in place (DPL raised to 3; a call gate's DPL moved into its
 * target's RPL) when it is accepted. Returns true if the guest may have it, false (and
 * *@desc unchanged) if not. Xen's check_descriptor() for a 64-bit PV domain.
 */
bool check_descriptor(uint64_t *desc);

/**
 * Validate frame @mfn as a GDT/LDT frame: check_descriptor() on all 512 descriptors,
 * fixing accepted ones up in place (Xen's validate_segdesc_page). Returns 0, or -EINVAL at
 * the first refused descriptor (those before it stay fixed up, which is harmless).
 * Called by get_page_type() (mm.c) for the first PGT_seg_desc_page type reference.
 */
int validate_segdesc_page(mfn_t mfn);

/**
 * Make @frames[0 .. ceil(@entries / 512) - 1] (MFNs) @v's GDT of @entries descriptors: take a
 * general and a PGT_seg_desc_page type reference on each (validating it), then drop those
 * of the previous GDT (Xen's pv_set_gdt). Does not change what the CPU sees: the caller
 * reloads the GDT area if @v is running. @entries 0 leaves @v with no GDT.
 * Returns 0; -EINVAL if @entries > FIRST_RESERVED_GDT_ENTRY, or if any frame is not @v's
 * domain's, is in use with another type (a writable mapping, a page table...) or holds a
 * refused descriptor (then nothing changed).
 */
int pv_set_gdt(struct vcpu *v, const uint64_t *frames, unsigned int entries);

/**
 * Drop the references of @v's GDT frames and leave it with none (Xen's pv_destroy_gdt).
 * The caller makes sure the CPU no longer uses them (@v not running, or the GDT area
 * reloaded). Used by pv_set_gdt() and by domain teardown (put_domain_page_tables()).
 */
void pv_destroy_gdt(struct vcpu *v);

/** Number of GDT frames @v has (ceil(gdt_ents / 512)). */
unsigned int vcpu_gdt_frames(const struct vcpu *v);

/* HYPERVISOR_set_gdt and HYPERVISOR_update_descriptor: do_set_gdt (arch/x86_64/gdt.c) and
   do_update_descriptor (common/descriptor.c) are declared in <mica/hypercall.h>. */

#endif /* MICA_DESCRIPTOR_H */

/*
 * The writable page-table assist (xen.h VMASST_TYPE_writable_pagetables): a PV guest kernel
 * that enabled it may write its L1 page-table entries in place, through the read-only
 * mappings it has of its page tables. The write faults (#PF, present + write); mica decodes
 * the instruction (<mica/insn_store.h>), validates the new entry exactly as mmu_update does
 * (mod_pt_entry(), <mica/page_types.h>), performs it, and resumes the guest after the
 * instruction. Behaviour as Xen 4.17's ptwr_do_page_fault() and ptwr_emulated_update()
 * (xen/arch/x86/pv/ro-page-fault.c) and fixup_page_fault() (xen/arch/x86/traps.c):
 *
 *  - Only when the assist is enabled, in guest kernel mode, for a write fault on a present
 *    page (error code P and W set, RSVD and I/D clear). The hardware domain (dom0) gets the
 *    emulation whether or not it enabled the assist: Xen 4.17 sends every write fault of
 *    the hardware domain to pv_ro_page_fault() for its read-only MMIO ranges, and that
 *    falls back to ptwr_do_page_fault() (seen in tests/guests/probe_ptwr.c).
 *  - The faulting address must be a guest one (not in the hypervisor's range, canonical), and
 *    the L1 entry that maps it in the current (kernel) page tables must be
 *    present and read-only, and map a frame the domain owns that is a validated
 *    L1 page table. Only L1 tables: a write to an L2, L3 or L4 table is not emulated, in
 *    Xen 4.17 as in mica (the guest gets the #PF).
 *  - The store must address 1, 2, 4 or 8 bytes, naturally aligned (so inside one PTE), in
 *    the faulting page. A store narrower than a PTE is merged with the rest of the entry
 *    and the 8-byte result validated (Xen does the same).
 *  - A CMPXCHG whose comparison fails writes nothing and validates nothing (Xen's emulator
 *    compares before it calls the page-table hook): rax gets the entry, ZF is clear.
 *  - No TLB flush: as in Xen, the guest flushes the old translation itself (mmuext_op
 *    MMUEXT_INVLPG_LOCAL and friends); mica's type rules flush whenever a frame changes type
 *    or is freed, so a stale translation never outlives the reference it was made under.
 *
 * Anything not emulated (the conditions fail, an instruction outside the decoder's forms, a
 * new entry that fails validation) returns false: the #PF goes to the guest with its
 * original error code and CR2, as Xen delivers it.
 *
 * Portable: frames through map_frame(), guest memory through copy_from_guest(), so the host
 * unit tests (tests/unit/test_ptwr.c) run it on a fake frame table.
 */
#ifndef MICA_PTWR_H
#define MICA_PTWR_H

#include <arch/regs.h>
#include <mica/insn_store.h>
#include <mica/types.h>

struct vcpu;

/* Page-fault error-code bits (SDM vol. 3A 4.7). */
#define PFEC_PRESENT    (1u << 0)
#define PFEC_WRITE      (1u << 1)
#define PFEC_USER       (1u << 2)
#define PFEC_RESERVED   (1u << 3)
#define PFEC_INSN_FETCH (1u << 4)

/* RFLAGS bits the emulated instructions set (SDM vol. 1 3.4.3). */
#define RFLAGS_CF    (1ULL << 0)
#define RFLAGS_PF    (1ULL << 2)
#define RFLAGS_AF    (1ULL << 4)
#define RFLAGS_ZF    (1ULL << 6)
#define RFLAGS_SF    (1ULL << 7)
#define RFLAGS_OF    (1ULL << 11)
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/** Why a write fault was not emulated; ptwr_counters.refused counts each. */
enum ptwr_refusal {
    PTWR_NOT_ENABLED, /* assist off (not dom0), guest user mode, or another error code */
    PTWR_NOT_L1,      /* the page is not a read-only mapping of one of the domain's L1s */
    PTWR_FETCH,       /* the instruction bytes could not be read */
    PTWR_DECODE,      /* not one of the store forms (insn_store.h) */
    PTWR_ADDRESS,     /* FS/GS, not the faulting page, misaligned */
    PTWR_VALIDATION,  /* the new entry failed validation (mod_pt_entry) */
    PTWR_REFUSAL_COUNT
};

/** Counters for measurement (DESIGN.md §2.5), all domains together; only incremented. */
struct ptwr_counters {
    uint64_t emulated;                    /* writes performed (cmpxchg misses included) */
    uint64_t by_op[STORE_OP_COUNT];       /* emulated, by operation */
    uint64_t partial;                     /* emulated stores narrower than 8 bytes */
    uint64_t cmpxchg_failed;              /* CMPXCHG whose comparison failed (no write) */
    uint64_t refused[PTWR_REFUSAL_COUNT]; /* write faults left to the guest, by reason */
};
extern struct ptwr_counters ptwr_counters;

/**
 * Format ptwr_counters as one line of text (no newline) into @buf of @size bytes, e.g.
 * "emulated 12 (mov 5 xchg 4 cmpxchg 3), partial 0, cmpxchg misses 1; refused: off 0,
 * not-l1 7, fetch 0, decode 0, address 0, validation 2" (operations with a zero count are
 * left out). Returns what snprintf() returns: the length of the whole line.
 */
int ptwr_format_counters(char *buf, size_t size);

/**
 * The writable page-table assist for vCPU @v (the current one: its page tables are live and
 * copy_from_guest() reads its memory) after a #PF with error code @error_code at linear
 * address @cr2, registers @regs. Emulates the faulting store if the rules above allow it:
 * the entry written and validated, @regs updated as the CPU would (the register operand of
 * XCHG and CMPXCHG, RFLAGS) and rip advanced past the instruction. Returns true if it did;
 * false, changing nothing, if the fault belongs to the guest.
 */
bool ptwr_page_fault(struct vcpu *v, struct cpu_regs *regs, uint64_t cr2, uint32_t error_code);

/**
 * The pure part of an emulated store: apply @si to the @si->size-byte memory operand whose
 * value is @old (zero-extended), with registers @regs. Sets *@result to the value to store and
 * returns true, or returns false for a CMPXCHG whose comparison failed (nothing to store).
 * Updates @regs as the CPU does (register operand, RFLAGS) but not rip. @bit_shift is the
 * bit offset within the operand for BTS/BTR/BTC (ignored otherwise).
 */
bool store_apply(const struct store_insn *si, struct cpu_regs *regs, uint64_t old,
                 unsigned int bit_shift, uint64_t *result);

/**
 * The linear address of @si's memory operand with registers @regs, the instruction at
 * @rip: base + index * scale + disp (RIP-relative: from the next instruction), plus, for
 * BTS/BTR/BTC with a register bit offset, the operand-sized step the offset selects (SDM
 * vol. 2A, BT: "bit base" addressing), whose remaining bit number goes to *@bit_shift.
 * Returns false for an FS or GS override (mica does not emulate segment bases here).
 */
bool store_address(const struct store_insn *si, const struct cpu_regs *regs, uint64_t rip,
                   uint64_t *addr, unsigned int *bit_shift);

#endif /* MICA_PTWR_H */

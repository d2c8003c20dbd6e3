/*
 * Decoder for the x86-64 instructions a PV guest kernel uses to write one of its page-table
 * entries in place, for the writable page-table assist (<mica/ptwr.h>; Xen's
 * VMASST_TYPE_writable_pagetables, xen/arch/x86/pv/ro-page-fault.c).
 *
 * Xen runs its full x86 emulator on such a write; mica decodes only the forms guests use on
 * PTEs, all with a memory destination (Intel SDM vol. 2, the opcode pages):
 *
 *   MOV      88 /r, 89 /r (r -> m); C6 /0 ib, C7 /0 iw/id (imm -> m, id sign-extended for
 *            REX.W): Linux's set_pte() / WRITE_ONCE(), native_pte_clear()
 *   XCHG     86 /r, 87 /r (always locked): ptep_get_and_clear()
 *   CMPXCHG  0F B0 /r, 0F B1 /r, with or without LOCK: cmpxchg()-based PTE updates
 *   OR, AND, XOR  08/09, 20/21, 30/31 /r; 80 /1,/4,/6 ib; 81 /1,/4,/6 iz; 83 /1,/4,/6 ib,
 *            with or without LOCK: set_bit()/clear_bit() on a constant bit (lock orb/andb)
 *   BTS, BTR, BTC  0F AB, 0F B3, 0F BB /r; 0F BA /5,/6,/7 ib, with or without LOCK:
 *            test_and_clear_bit() (ptep_test_and_clear_young), test_and_set_bit()
 *
 * Prefixes: 66 (operand size), F0 (LOCK, where the CPU allows it; elsewhere it raises #UD:
 * -EINVAL), segment overrides (recorded in seg_prefix; only FS and GS have an effect in
 * 64-bit mode), one REX immediately before the opcode (a legacy prefix after a REX cancels
 * it). 67 (32-bit addressing) and F2/F3 (REP, XACQUIRE/XRELEASE) are refused: no PTE write
 * a guest makes uses them. 64-bit mode only: mica runs only 64-bit PV guests.
 *
 * Like insn_decode(), the decoder reads bytes[0 .. avail-1] only, in order, never past the
 * byte that decides the outcome, and stops at the 15-byte limit. Portable, no state.
 */
#ifndef MICA_INSN_STORE_H
#define MICA_INSN_STORE_H

#include <mica/insn_decode.h> /* INSN_MAX_LENGTH, struct insn_mem, INSN_REG_*, INSN_SEG_* */
#include <mica/types.h>

/* What the instruction does to its memory operand. */
enum store_op {
    STORE_MOV,     /* m = src */
    STORE_XCHG,    /* m = reg, reg = old m */
    STORE_CMPXCHG, /* if acc == m: m = reg, ZF = 1; else acc = m, ZF = 0 (flags as CMP) */
    STORE_OR,      /* m |= src; flags as OR */
    STORE_AND,     /* m &= src */
    STORE_XOR,     /* m ^= src */
    STORE_BTS,     /* CF = bit; bit = 1 */
    STORE_BTR,     /* CF = bit; bit = 0 */
    STORE_BTC,     /* CF = bit; bit = !bit */
    STORE_OP_COUNT
};

/* A decoded store. */
struct store_insn {
    enum store_op op;
    uint8_t length;     /* bytes, prefixes included: 1 to INSN_MAX_LENGTH */
    uint8_t size;       /* operand size, bytes: 1, 2, 4 or 8 */
    bool lock;          /* an F0 prefix (XCHG is locked without one) */
    uint8_t seg_prefix; /* last segment prefix, enum insn_seg, INSN_SEG_NONE if none */
    /*
     * Source register (the /r forms): GPR 0-15 in the usual order (rax, rcx, ..., r15), or
     * INSN_REG_NONE for the immediate forms. With reg_high, an 8-bit operand is bits 8-15
     * of GPR reg (AH, CH, DH, BH: registers 4-7 of an 8-bit operand without a REX prefix).
     */
    uint8_t reg;
    bool reg_high;
    uint64_t imm;        /* immediate forms: the immediate, sign-extended to 64 bits */
    struct insn_mem mem; /* the destination: [base + index * scale + disp], 64-bit addressing */
};

/*
 * Decode the instruction at bytes[0], of which avail bytes could be read, in 64-bit mode.
 * Returns 0 with *out filled in, or:
 *  -ENODATA  the avail bytes begin an instruction this decoder accepts, and the rest is
 *            missing;
 *  -EINVAL   anything else: another opcode, a register destination (mod = 3), LOCK where
 *            the CPU refuses it (MOV), a 67, F2 or F3 prefix, longer than 15 bytes.
 * bytes may be NULL when avail is 0.
 */
int insn_decode_store(const uint8_t *bytes, size_t avail, struct store_insn *out);

/* The name of an operation for logs ("mov", "cmpxchg", ...); "?" if out of range. */
const char *store_op_name(enum store_op op);

#endif /* MICA_INSN_STORE_H */

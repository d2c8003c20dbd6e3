/*
 * Decoder for the x86 instructions mica's privileged-instruction emulation path handles.
 *
 * A PV guest kernel runs in ring 3. A privileged instruction there raises #GP(0) (or #UD),
 * and the hypervisor decodes the instruction at the guest's RIP and emulates it as Xen's
 * pv_emulate_privileged_op() (xen/arch/x86/pv/emul-priv-op.c) and
 * pv_emulate_invalid_op() (xen/arch/x86/pv/emul-inv-op.c) do. This decoder is the first
 * half: it turns bytes into a struct insn and never decides what is allowed. The emulator
 * decides (I/O permission, which CRs, MSRs and DRs exist, ...); docs/priv-ops-table.md lists
 * what Xen 4.17 does with each kind.
 *
 * Encoding rules: Intel SDM vol. 2 (chapter 2, instruction format; chapter 3-5, the opcode
 * pages) and AMD APM vol. 3; where the two leave room, Xen 4.17's x86_emulate() decoder
 * (xen/arch/x86/x86_emulate/x86_emulate.c) is followed, because it is what a PV guest sees.
 *
 *   - Legacy prefixes in any order and number, within the 15-byte limit (a longer
 *     instruction raises #GP on the CPU and in x86_emulate(): -EINVAL here).
 *   - REX (40-4f, 64-bit mode only) counts only immediately before the opcode; a legacy
 *     prefix after it cancels it (it still counts towards the length).
 *   - Of several segment prefixes the last one counts; in 64-bit mode ES, CS, SS and DS
 *     prefixes are recorded but have no effect. Of F2/F3 the last one counts.
 *   - LOCK (f0) on any of these instructions raises #UD: -EINVAL (out->prefixes has
 *     INSN_PFX_LOCK so that a caller can tell).
 *   - MOV to/from CRn/DRn ignores the ModRM mod field (SDM vol. 2B, MOV-Move to/from Control
 *     Registers: "the 2 bits in the mod field are ignored"): always three opcode bytes, a
 *     register operand, and no SIB or displacement.
 *   - Group 7 (0f 01) register forms are identified by the whole ModRM byte (REX.B does not
 *     change 0f 01 f9 into something else).
 *
 * The decoder reads bytes[0 .. avail-1] only, one byte at a time in order, and never past
 * the byte that decides the outcome. Portable, freestanding, no state.
 */
#ifndef MICA_INSN_DECODE_H
#define MICA_INSN_DECODE_H

#include <mica/types.h>

/* Architectural limit on an instruction's length, bytes (SDM vol. 2A 2.3.11). */
#define INSN_MAX_LENGTH 15

/* The code segment's mode, which sets the default operand and address sizes. */
enum insn_mode {
    INSN_MODE_16, /* 16-bit protected mode code segment (CS.D = 0, CS.L = 0) */
    INSN_MODE_32, /* 32-bit code segment (CS.D = 1): compat mode or legacy protected mode */
    INSN_MODE_64, /* 64-bit code segment (CS.L = 1): long mode, REX prefixes exist */
};

/* What an instruction is. INSN_INVALID only in a struct insn a failed decode left behind. */
enum insn_kind {
    INSN_INVALID = 0,
    INSN_IN,           /* e4 ib, e5 ib, ec, ed: in al/ax/eax <- port */
    INSN_OUT,          /* e6 ib, e7 ib, ee, ef: out port <- al/ax/eax */
    INSN_INS,          /* 6c, 6d: ins es:[rdi] <- port dx (rep: F3 or F2) */
    INSN_OUTS,         /* 6e, 6f: outs port dx <- seg:[rsi] (rep: F3 or F2) */
    INSN_CLI,          /* fa */
    INSN_STI,          /* fb */
    INSN_HLT,          /* f4 */
    INSN_CLTS,         /* 0f 06 */
    INSN_INVD,         /* 0f 08 */
    INSN_WBINVD,       /* 0f 09 */
    INSN_WBNOINVD,     /* f3 0f 09 (WBINVD on CPUs without WBNOINVD) */
    INSN_MOV_FROM_CR,  /* 0f 20 /r: gpr <- CRn */
    INSN_MOV_FROM_DR,  /* 0f 21 /r: gpr <- DRn */
    INSN_MOV_TO_CR,    /* 0f 22 /r: CRn <- gpr */
    INSN_MOV_TO_DR,    /* 0f 23 /r: DRn <- gpr */
    INSN_WRMSR,        /* 0f 30 */
    INSN_RDTSC,        /* 0f 31 */
    INSN_RDMSR,        /* 0f 32 */
    INSN_RDPMC,        /* 0f 33 */
    INSN_CPUID,        /* 0f a2 (traps only with CPUID faulting) */
    INSN_XSETBV,       /* 0f 01 d1, no 66/F2/F3 prefix */
    INSN_RDTSCP,       /* 0f 01 f9 */
    INSN_SMSW,         /* 0f 01 /4: register or m16 */
    INSN_LMSW,         /* 0f 01 /6: r16 or m16 */
    INSN_INVLPG,       /* 0f 01 /7, memory forms only */
    INSN_FORCED_CPUID, /* 0f 0b 'x' 'e' 'n' 0f a2: Xen's forced-emulation CPUID, 7 bytes */
    INSN_KIND_COUNT
};

/* Prefix bits of struct insn.prefixes: which prefix bytes appeared, in any number. */
#define INSN_PFX_OPSIZE   (1u << 0) /* 66 */
#define INSN_PFX_ADDRSIZE (1u << 1) /* 67 */
#define INSN_PFX_REP      (1u << 2) /* f3, if the last of f2/f3 was f3 */
#define INSN_PFX_REPNE    (1u << 3) /* f2, if the last of f2/f3 was f2 */
#define INSN_PFX_LOCK     (1u << 4) /* f0 (only ever seen in a rejected decode) */
#define INSN_PFX_SEG      (1u << 5) /* 26, 2e, 36, 3e, 64, 65: see seg_prefix */
#define INSN_PFX_REX      (1u << 6) /* a REX byte in effect: see rex */

/* REX bits (SDM vol. 2A 2.2.1): struct insn.rex holds the byte's low nibble. */
#define INSN_REX_B 0x1 /* extends ModRM.rm, SIB.base */
#define INSN_REX_X 0x2 /* extends SIB.index */
#define INSN_REX_R 0x4 /* extends ModRM.reg (CR8, DR8, ...) */
#define INSN_REX_W 0x8 /* 64-bit operand size */

/* Segment registers in their hardware encoding order (ModRM.reg of mov sreg). */
enum insn_seg {
    INSN_SEG_ES = 0,
    INSN_SEG_CS = 1,
    INSN_SEG_SS = 2,
    INSN_SEG_DS = 3,
    INSN_SEG_FS = 4,
    INSN_SEG_GS = 5,
    INSN_SEG_NONE = 0xff, /* no segment prefix */
};

/*
 * General-purpose registers are numbered 0-15 in the usual order: rax, rcx, rdx, rbx, rsp,
 * rbp, rsi, rdi, r8-r15. Two more values name a memory operand's base.
 */
#define INSN_GPR_RSP  4
#define INSN_GPR_RBP  5
#define INSN_REG_NONE 0xff /* no base / no index */
#define INSN_REG_RIP  0xfe /* base is the address of the next instruction (64-bit mode) */

/*
 * A memory operand: seg:[base + index * scale + disp], the offset truncated to the address
 * size. For INS and OUTS it is the string operand (es:[rdi], seg:[rsi], no index or disp).
 */
struct insn_mem {
    uint8_t seg;   /* effective segment, enum insn_seg (default DS or SS, or the override) */
    uint8_t base;  /* GPR 0-15, INSN_REG_RIP or INSN_REG_NONE */
    uint8_t index; /* GPR 0-15 or INSN_REG_NONE (16-bit forms use base + index, scale 1) */
    uint8_t scale; /* 1, 2, 4 or 8 */
    int32_t disp;  /* sign-extended displacement, bytes (0 if none) */
};

/* A decoded instruction. Fields a kind has no use for are 0 unless said otherwise. */
struct insn {
    enum insn_kind kind;
    uint8_t length;     /* bytes, prefixes included: 1 to INSN_MAX_LENGTH */
    uint8_t nr_prefix;  /* prefix bytes (legacy and REX) before the opcode */
    uint16_t opcode;    /* one-byte opcode 0x00XX or two-byte 0x0fXX (0x0f0b for forced) */
    uint16_t prefixes;  /* INSN_PFX_* */
    uint8_t rex;        /* INSN_REX_* bits of the REX prefix in effect, 0 if none */
    uint8_t seg_prefix; /* last segment prefix, enum insn_seg, even where it has no effect */
    /*
     * Operand size, bytes. IN, OUT, INS, OUTS: 1, 2 or 4 (REX.W counts as 4, as in
     * x86_emulate()). MOV CR/DR: 8 in 64-bit mode, else 4. LMSW and SMSW to memory: 2.
     * Other kinds: the size the mode and prefixes select (2, 4 or 8), for the record.
     */
    uint8_t op_size;
    uint8_t addr_size; /* address size, bytes: 2, 4 or 8 (mode and 67) */
    bool rep;          /* INS/OUTS: repeated rCX times (F3 or F2 prefix) */
    bool has_imm;      /* IN/OUT e4-e7: the port is imm (else it is in DX) */
    bool has_modrm;    /* a ModRM byte follows the opcode; see modrm */
    bool has_mem;      /* mem describes a memory operand (INS, OUTS, INVLPG, m16 forms) */
    uint8_t modrm;     /* the ModRM byte as encoded */
    uint8_t cr_dr;     /* MOV CR/DR: CR or DR number 0-15 (ModRM.reg + REX.R), unchecked */
    uint8_t gpr;       /* MOV CR/DR, SMSW/LMSW register forms: GPR 0-15 (ModRM.rm + REX.B) */
    uint32_t imm;      /* IN/OUT e4-e7: the port number, 0-255 */
    struct insn_mem mem;
};

/*
 * Decode the instruction at bytes[0], of which avail bytes could be read (the caller
 * fetched what it could from guest memory; the next byte may be on an unmapped page).
 * mode is the guest code segment's mode.
 *
 * Returns 0 with *out filled in, or:
 *  -ENODATA  the avail bytes are the start of an instruction this decoder accepts, and the
 *            rest is missing (the caller raises the fault its fetch hit);
 *  -EINVAL   not an instruction this decoder accepts: unknown or unhandled opcode, LOCK
 *            prefix, longer than 15 bytes, 0f 0b not followed by "xen" 0f a2, a form the
 *            CPU rejects (XSETBV with 66/F2/F3, INVLPG with a register operand).
 * On error *out describes what was read so far: out->length bytes examined, out->prefixes
 * the prefixes seen, out->kind INSN_INVALID. bytes may be NULL when avail is 0.
 */
int insn_decode(const uint8_t *bytes, size_t avail, enum insn_mode mode, struct insn *out);

/* The name of a kind for logs and traces ("in", "mov_to_cr", ...); "?" if out of range. */
const char *insn_kind_name(enum insn_kind kind);

#endif /* MICA_INSN_DECODE_H */

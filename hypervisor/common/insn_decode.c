/*
 * Decoder for the instructions of the privileged-instruction emulation path: see
 * <mica/insn_decode.h> for the rules and their sources. Portable, used by the #GP and #UD
 * handlers and by the host unit tests.
 */
#include <mica/errno.h>
#include <mica/insn_decode.h>

/* Reading position: the next byte is bytes[out->length]. */
struct insn_cursor {
    const uint8_t *bytes;
    size_t avail;
    struct insn *out;
};

/*
 * Take the next byte. The 15-byte limit comes first: a 16th byte is never needed, so an
 * instruction that would have one is invalid whether or not the byte could be read.
 */
static int fetch(struct insn_cursor *c, uint8_t *byte)
{
    if (c->out->length >= INSN_MAX_LENGTH)
        return -EINVAL;
    if (c->out->length >= c->avail)
        return -ENODATA;
    *byte = c->bytes[c->out->length++];
    return 0;
}

/* Take n (1, 2 or 4) bytes, little endian, sign-extended to 32 bits. */
static int fetch_signed(struct insn_cursor *c, unsigned int n, int32_t *val)
{
    uint32_t v = 0;
    uint8_t b;
    int rc;

    for (unsigned int i = 0; i < n; i++) {
        rc = fetch(c, &b);
        if (rc)
            return rc;
        v |= (uint32_t)b << (8 * i);
    }
    if (n < 4 && (v & (1u << (8 * n - 1))))
        v |= ~0u << (8 * n);
    *val = (int32_t)v;
    return 0;
}

/*
 * The segment a memory operand uses: the override if the mode honours it, else the default.
 * In 64-bit mode only FS and GS overrides have an effect (SDM vol. 1 3.3.7.1).
 */
static uint8_t effective_seg(const struct insn *insn, enum insn_mode mode, uint8_t dflt)
{
    uint8_t seg = insn->seg_prefix;

    if (seg == INSN_SEG_NONE)
        return dflt;
    if (mode == INSN_MODE_64 && seg != INSN_SEG_FS && seg != INSN_SEG_GS)
        return dflt;
    return seg;
}

/* ModRM memory operand with 16-bit addressing (SDM vol. 2A table 2-1). */
static int decode_mem16(struct insn_cursor *c, uint8_t mod, uint8_t rm, struct insn_mem *m)
{
    /* base, index per rm; rm 6 with mod 0 is disp16 alone. */
    static const uint8_t base16[8] = {3, 3, 5, 5, 6, 7, 5, 3};
    static const uint8_t index16[8] = {
        6, 7, 6, 7, INSN_REG_NONE, INSN_REG_NONE, INSN_REG_NONE, INSN_REG_NONE};

    m->scale = 1;
    if (mod == 0 && rm == 6) {
        m->base = INSN_REG_NONE;
        m->index = INSN_REG_NONE;
        return fetch_signed(c, 2, &m->disp);
    }
    m->base = base16[rm];
    m->index = index16[rm];
    if (mod == 1)
        return fetch_signed(c, 1, &m->disp);
    if (mod == 2)
        return fetch_signed(c, 2, &m->disp);
    return 0;
}

/* ModRM (and SIB) memory operand with 32- or 64-bit addressing (SDM vol. 2A 2.1.5, 2.2.1). */
static int decode_mem32(struct insn_cursor *c, enum insn_mode mode, uint8_t mod, uint8_t rm,
                        struct insn_mem *m)
{
    uint8_t rex = c->out->rex;
    int rc;

    m->scale = 1;
    m->index = INSN_REG_NONE;
    if (rm == 4) {
        uint8_t sib, index, base;

        rc = fetch(c, &sib);
        if (rc)
            return rc;
        m->scale = (uint8_t)(1u << (sib >> 6));
        index = (uint8_t)(((sib >> 3) & 7) | ((rex & INSN_REX_X) ? 8 : 0));
        /* Index 100b means none; with REX.X it is r12. */
        m->index = index == INSN_GPR_RSP ? INSN_REG_NONE : index;
        base = sib & 7;
        if (base == 5 && mod == 0) {
            /* No base (rbp and r13 alike), disp32. */
            m->base = INSN_REG_NONE;
            return fetch_signed(c, 4, &m->disp);
        }
        m->base = (uint8_t)(base | ((rex & INSN_REX_B) ? 8 : 0));
    } else if (rm == 5 && mod == 0) {
        /* disp32: absolute, or RIP-relative in 64-bit mode. */
        m->base = mode == INSN_MODE_64 ? INSN_REG_RIP : INSN_REG_NONE;
        return fetch_signed(c, 4, &m->disp);
    } else {
        m->base = (uint8_t)(rm | ((rex & INSN_REX_B) ? 8 : 0));
    }
    if (mod == 1)
        return fetch_signed(c, 1, &m->disp);
    if (mod == 2)
        return fetch_signed(c, 4, &m->disp);
    return 0;
}

/* A ModRM memory operand (mod != 3), its default segment and its override. */
static int decode_mem(struct insn_cursor *c, enum insn_mode mode, uint8_t modrm)
{
    struct insn *out = c->out;
    struct insn_mem *m = &out->mem;
    uint8_t mod = modrm >> 6, rm = modrm & 7;
    int rc;

    if (out->addr_size == 2)
        rc = decode_mem16(c, mod, rm, m);
    else
        rc = decode_mem32(c, mode, mod, rm, m);
    if (rc)
        return rc;
    /* rBP- and rSP-based forms default to SS (SDM vol. 1 table 3-5); r12/r13 do not. */
    m->seg = effective_seg(out, mode,
                           (m->base == INSN_GPR_RBP || m->base == INSN_GPR_RSP) ? INSN_SEG_SS
                                                                                : INSN_SEG_DS);
    out->has_mem = true;
    return 0;
}

/* Group 7 (0f 01): the register forms XSETBV, RDTSCP, SMSW, LMSW; SMSW, LMSW, INVLPG on m. */
static int decode_grp7(struct insn_cursor *c, enum insn_mode mode)
{
    struct insn *out = c->out;
    uint8_t modrm, reg;
    int rc;

    rc = fetch(c, &modrm);
    if (rc)
        return rc;
    out->has_modrm = true;
    out->modrm = modrm;
    reg = (modrm >> 3) & 7;

    if ((modrm >> 6) == 3) {
        if (modrm == 0xd1) {
            /* NP 0f 01 d1: a 66, F2 or F3 prefix makes it #UD (SDM, XSETBV). */
            if (out->prefixes & (INSN_PFX_OPSIZE | INSN_PFX_REP | INSN_PFX_REPNE))
                return -EINVAL;
            out->kind = INSN_XSETBV;
            return 0;
        }
        if (modrm == 0xf9) {
            out->kind = INSN_RDTSCP;
            return 0;
        }
        if (reg != 4 && reg != 6)
            return -EINVAL;
        out->kind = reg == 4 ? INSN_SMSW : INSN_LMSW;
        out->gpr = (uint8_t)((modrm & 7) | ((out->rex & INSN_REX_B) ? 8 : 0));
        if (reg == 6)
            out->op_size = 2;
        return 0;
    }

    switch (reg) {
    case 4:
        out->kind = INSN_SMSW;
        out->op_size = 2;
        break;
    case 6:
        out->kind = INSN_LMSW;
        out->op_size = 2;
        break;
    case 7:
        out->kind = INSN_INVLPG;
        break;
    default: /* SGDT, SIDT, LGDT, LIDT: not on the emulation path */
        return -EINVAL;
    }
    return decode_mem(c, mode, modrm);
}

/* Xen's forced-emulation signature after 0f 0b: "xen" then exactly 0f a2 (emul-inv-op.c). */
static int decode_forced(struct insn_cursor *c)
{
    static const uint8_t rest[] = {'x', 'e', 'n', 0x0f, 0xa2};
    uint8_t b;
    int rc;

    /* Xen compares the bytes at RIP: a prefix before the ud2 means no signature. */
    if (c->out->nr_prefix != 0)
        return -EINVAL;
    for (unsigned int i = 0; i < sizeof(rest); i++) {
        rc = fetch(c, &b);
        if (rc)
            return rc;
        if (b != rest[i])
            return -EINVAL;
    }
    c->out->kind = INSN_FORCED_CPUID;
    return 0;
}

/* Two-byte opcodes 0f xx. */
static int decode_0f(struct insn_cursor *c, enum insn_mode mode)
{
    struct insn *out = c->out;
    uint8_t op, modrm;
    int rc;

    rc = fetch(c, &op);
    if (rc)
        return rc;
    out->opcode = (uint16_t)(0x0f00 | op);

    switch (op) {
    case 0x01:
        return decode_grp7(c, mode);
    case 0x06:
        out->kind = INSN_CLTS;
        return 0;
    case 0x08:
        out->kind = INSN_INVD;
        return 0;
    case 0x09:
        /* F3 (the last of F2/F3) selects WBNOINVD, as x86_emulate()'s repe_prefix(). */
        out->kind = (out->prefixes & INSN_PFX_REP) ? INSN_WBNOINVD : INSN_WBINVD;
        return 0;
    case 0x0b:
        return decode_forced(c);
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
        rc = fetch(c, &modrm);
        if (rc)
            return rc;
        /* The mod field is ignored: always a register operand, nothing follows. */
        out->kind = op == 0x20   ? INSN_MOV_FROM_CR
                    : op == 0x21 ? INSN_MOV_FROM_DR
                    : op == 0x22 ? INSN_MOV_TO_CR
                                 : INSN_MOV_TO_DR;
        out->has_modrm = true;
        out->modrm = modrm;
        out->cr_dr = (uint8_t)(((modrm >> 3) & 7) | ((out->rex & INSN_REX_R) ? 8 : 0));
        out->gpr = (uint8_t)((modrm & 7) | ((out->rex & INSN_REX_B) ? 8 : 0));
        out->op_size = mode == INSN_MODE_64 ? 8 : 4;
        return 0;
    case 0x30:
        out->kind = INSN_WRMSR;
        return 0;
    case 0x31:
        out->kind = INSN_RDTSC;
        return 0;
    case 0x32:
        out->kind = INSN_RDMSR;
        return 0;
    case 0x33:
        out->kind = INSN_RDPMC;
        return 0;
    case 0xa2:
        out->kind = INSN_CPUID;
        return 0;
    default:
        return -EINVAL;
    }
}

/* Port I/O operand size: byte opcodes 1, else 2 or 4; REX.W gives 4 (x86_emulate()). */
static uint8_t io_size(const struct insn *insn, uint8_t op)
{
    if (!(op & 1))
        return 1;
    return insn->op_size == 8 ? 4 : insn->op_size;
}

/* One-byte opcodes. */
static int decode_opcode(struct insn_cursor *c, enum insn_mode mode, uint8_t op)
{
    struct insn *out = c->out;
    uint8_t port;
    int rc;

    out->opcode = op;
    switch (op) {
    case 0x0f:
        return decode_0f(c, mode);
    case 0x6c: /* ins es:[rdi], dx */
    case 0x6d:
    case 0x6e: /* outs dx, seg:[rsi] */
    case 0x6f:
        out->kind = op < 0x6e ? INSN_INS : INSN_OUTS;
        out->op_size = io_size(out, op);
        out->rep = (out->prefixes & (INSN_PFX_REP | INSN_PFX_REPNE)) != 0;
        out->has_mem = true;
        out->mem.index = INSN_REG_NONE;
        out->mem.scale = 1;
        if (op < 0x6e) {
            out->mem.base = 7; /* rdi; ES cannot be overridden */
            out->mem.seg = INSN_SEG_ES;
        } else {
            out->mem.base = 6; /* rsi */
            out->mem.seg = effective_seg(out, mode, INSN_SEG_DS);
        }
        return 0;
    case 0xe4: /* in al/eax, imm8 */
    case 0xe5:
    case 0xe6: /* out imm8, al/eax */
    case 0xe7:
        rc = fetch(c, &port);
        if (rc)
            return rc;
        out->has_imm = true;
        out->imm = port;
        /* fall through */
    case 0xec: /* in al/eax, dx */
    case 0xed:
    case 0xee: /* out dx, al/eax */
    case 0xef:
        out->kind = (op & 2) ? INSN_OUT : INSN_IN;
        out->op_size = io_size(out, op);
        return 0;
    case 0xf4:
        out->kind = INSN_HLT;
        return 0;
    case 0xfa:
        out->kind = INSN_CLI;
        return 0;
    case 0xfb:
        out->kind = INSN_STI;
        return 0;
    default:
        return -EINVAL;
    }
}

static int decode(struct insn_cursor *c, enum insn_mode mode)
{
    struct insn *out = c->out;
    uint8_t def_op = mode == INSN_MODE_16 ? 2 : 4;
    uint8_t def_ad = mode == INSN_MODE_64 ? 8 : mode == INSN_MODE_32 ? 4 : 2;
    uint8_t b, rex = 0;
    int rc;

    for (;;) {
        rc = fetch(c, &b);
        if (rc)
            return rc;
        switch (b) {
        case 0x66:
            out->prefixes |= INSN_PFX_OPSIZE;
            break;
        case 0x67:
            out->prefixes |= INSN_PFX_ADDRSIZE;
            break;
        case 0x26:
        case 0x2e:
        case 0x36:
        case 0x3e:
            out->prefixes |= INSN_PFX_SEG;
            out->seg_prefix = (b >> 3) & 3; /* 26 ES, 2e CS, 36 SS, 3e DS */
            break;
        case 0x64:
        case 0x65:
            out->prefixes |= INSN_PFX_SEG;
            out->seg_prefix = b == 0x64 ? INSN_SEG_FS : INSN_SEG_GS;
            break;
        case 0xf0:
            /* None of these instructions takes LOCK: #UD. */
            out->prefixes |= INSN_PFX_LOCK;
            return -EINVAL;
        case 0xf2:
            out->prefixes = (uint16_t)((out->prefixes & ~INSN_PFX_REP) | INSN_PFX_REPNE);
            break;
        case 0xf3:
            out->prefixes = (uint16_t)((out->prefixes & ~INSN_PFX_REPNE) | INSN_PFX_REP);
            break;
        default:
            if (mode == INSN_MODE_64 && (b & 0xf0) == 0x40) {
                rex = b;
                continue; /* a REX prefix stays in effect only right before the opcode */
            }
            goto opcode;
        }
        rex = 0; /* a legacy prefix after a REX prefix cancels it */
    }

opcode:
    out->nr_prefix = (uint8_t)(out->length - 1);
    if (rex) {
        out->prefixes |= INSN_PFX_REX;
        out->rex = rex & 0xf;
    }
    if (out->rex & INSN_REX_W)
        out->op_size = 8;
    else if (out->prefixes & INSN_PFX_OPSIZE)
        out->op_size = def_op ^ 6; /* 2 <-> 4 */
    else
        out->op_size = def_op;
    if (out->prefixes & INSN_PFX_ADDRSIZE)
        out->addr_size = mode == INSN_MODE_64 ? 4 : def_ad ^ 6;
    else
        out->addr_size = def_ad;
    return decode_opcode(c, mode, b);
}

int insn_decode(const uint8_t *bytes, size_t avail, enum insn_mode mode, struct insn *out)
{
    struct insn_cursor c = {.bytes = bytes, .avail = avail, .out = out};
    int rc;

    *out = (struct insn){.seg_prefix = INSN_SEG_NONE};
    if (mode != INSN_MODE_16 && mode != INSN_MODE_32 && mode != INSN_MODE_64)
        return -EINVAL;
    rc = decode(&c, mode);
    if (rc)
        out->kind = INSN_INVALID;
    return rc;
}

const char *insn_kind_name(enum insn_kind kind)
{
    static const char *const names[INSN_KIND_COUNT] = {
        [INSN_INVALID] = "invalid",
        [INSN_IN] = "in",
        [INSN_OUT] = "out",
        [INSN_INS] = "ins",
        [INSN_OUTS] = "outs",
        [INSN_CLI] = "cli",
        [INSN_STI] = "sti",
        [INSN_HLT] = "hlt",
        [INSN_CLTS] = "clts",
        [INSN_INVD] = "invd",
        [INSN_WBINVD] = "wbinvd",
        [INSN_WBNOINVD] = "wbnoinvd",
        [INSN_MOV_FROM_CR] = "mov_from_cr",
        [INSN_MOV_FROM_DR] = "mov_from_dr",
        [INSN_MOV_TO_CR] = "mov_to_cr",
        [INSN_MOV_TO_DR] = "mov_to_dr",
        [INSN_WRMSR] = "wrmsr",
        [INSN_RDTSC] = "rdtsc",
        [INSN_RDMSR] = "rdmsr",
        [INSN_RDPMC] = "rdpmc",
        [INSN_CPUID] = "cpuid",
        [INSN_XSETBV] = "xsetbv",
        [INSN_RDTSCP] = "rdtscp",
        [INSN_SMSW] = "smsw",
        [INSN_LMSW] = "lmsw",
        [INSN_INVLPG] = "invlpg",
        [INSN_FORCED_CPUID] = "forced_cpuid",
    };

    if ((unsigned int)kind >= INSN_KIND_COUNT || !names[kind])
        return "?";
    return names[kind];
}

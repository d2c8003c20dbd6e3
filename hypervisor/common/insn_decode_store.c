/*
 * Decoder for the in-place page-table writes of the writable page-table assist: see
 * <mica/insn_store.h> for the forms and their sources. Portable, used by ptwr.c and by the
 * host unit tests.
 */
#include <mica/errno.h>
#include <mica/insn_store.h>

/* Reading position: the next byte is bytes[*len]. */
struct store_cursor {
    const uint8_t *bytes;
    size_t avail;
    uint8_t len;
};

/* Take the next byte; the 15-byte limit comes before the end of the data. */
static int next(struct store_cursor *c, uint8_t *byte)
{
    if (c->len >= INSN_MAX_LENGTH)
        return -EINVAL;
    if (c->len >= c->avail)
        return -ENODATA;
    *byte = c->bytes[c->len++];
    return 0;
}

/* Take @n (1, 2 or 4) bytes, little endian, sign-extended to 64 bits. */
static int next_signed(struct store_cursor *c, unsigned int n, int64_t *val)
{
    uint64_t v = 0;
    uint8_t b;
    int rc;

    for (unsigned int i = 0; i < n; i++) {
        rc = next(c, &b);
        if (rc)
            return rc;
        v |= (uint64_t)b << (8 * i);
    }
    if (v & (1ULL << (8 * n - 1)))
        v |= ~0ULL << (8 * n);
    *val = (int64_t)v;
    return 0;
}

/* The memory operand of ModRM @modrm (mod != 3) with 64-bit addressing (SDM vol. 2A 2.2.1). */
static int decode_mem64(struct store_cursor *c, uint8_t modrm, uint8_t rex, struct insn_mem *m)
{
    uint8_t mod = modrm >> 6, rm = modrm & 7;
    int64_t disp = 0;
    int rc = 0;

    m->scale = 1;
    m->index = INSN_REG_NONE;
    m->base = (uint8_t)(rm | ((rex & INSN_REX_B) ? 8 : 0));
    if (rm == 4) {
        uint8_t sib, index;

        rc = next(c, &sib);
        if (rc)
            return rc;
        m->scale = (uint8_t)(1u << (sib >> 6));
        index = (uint8_t)(((sib >> 3) & 7) | ((rex & INSN_REX_X) ? 8 : 0));
        m->index = index == INSN_GPR_RSP ? INSN_REG_NONE : index; /* 100b alone: no index */
        m->base = (uint8_t)((sib & 7) | ((rex & INSN_REX_B) ? 8 : 0));
        if ((sib & 7) == 5 && mod == 0) {
            m->base = INSN_REG_NONE; /* disp32, no base (rbp and r13 alike) */
            mod = 2;
        }
    } else if (rm == 5 && mod == 0) {
        m->base = INSN_REG_RIP; /* RIP-relative disp32 */
        mod = 2;
    }
    if (mod == 1)
        rc = next_signed(c, 1, &disp);
    else if (mod == 2)
        rc = next_signed(c, 4, &disp);
    m->disp = (int32_t)disp;
    return rc;
}

/* Map a one-byte opcode with a ModRM /r source to its operation; -1 if it is not one. */
static int rm_op(uint8_t opcode)
{
    switch (opcode) {
    case 0x08:
    case 0x09:
        return STORE_OR;
    case 0x20:
    case 0x21:
        return STORE_AND;
    case 0x30:
    case 0x31:
        return STORE_XOR;
    case 0x86:
    case 0x87:
        return STORE_XCHG;
    case 0x88:
    case 0x89:
        return STORE_MOV;
    default:
        return -1;
    }
}

int insn_decode_store(const uint8_t *bytes, size_t avail, struct store_insn *out)
{
    struct store_cursor c = {.bytes = bytes, .avail = avail};
    bool opsize16 = false, byte_op, imm_form = false, has_rex = false;
    uint8_t rex = 0, b, modrm, reg;
    unsigned int imm_bytes = 0;
    int op = -1, rc;
    int64_t imm = 0;

    *out = (struct store_insn){.seg_prefix = INSN_SEG_NONE, .reg = INSN_REG_NONE};

    /* Prefixes; a REX counts only if the opcode follows it directly. */
    for (;;) {
        rc = next(&c, &b);
        if (rc)
            return rc;
        if (b >= 0x40 && b <= 0x4f) {
            rex = b & 0xf;
            has_rex = true;
            continue;
        }
        if (b == 0x66) {
            opsize16 = true;
        } else if (b == 0xf0) {
            out->lock = true;
        } else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e) {
            out->seg_prefix = (uint8_t)((b >> 3) & 3); /* ES, CS, SS, DS */
        } else if (b == 0x64 || b == 0x65) {
            out->seg_prefix = b == 0x64 ? INSN_SEG_FS : INSN_SEG_GS;
        } else if (b == 0x67 || b == 0xf2 || b == 0xf3) {
            return -EINVAL;
        } else {
            break;
        }
        rex = 0;
        has_rex = false;
    }

    /* The opcode: b. */
    if (b == 0x0f) {
        rc = next(&c, &b);
        if (rc)
            return rc;
        switch (b) {
        case 0xb0:
        case 0xb1:
            op = STORE_CMPXCHG;
            break;
        case 0xab:
            op = STORE_BTS;
            break;
        case 0xb3:
            op = STORE_BTR;
            break;
        case 0xbb:
            op = STORE_BTC;
            break;
        case 0xba: /* group 8: the ModRM reg field picks the operation */
            imm_form = true;
            imm_bytes = 1;
            break;
        default:
            return -EINVAL;
        }
        byte_op = b == 0xb0;
    } else {
        switch (b) {
        case 0x80:
        case 0x83:
            imm_bytes = 1;
            imm_form = true;
            break;
        case 0x81:
        case 0xc7:
            imm_bytes = opsize16 ? 2 : 4;
            imm_form = true;
            break;
        case 0xc6:
            imm_bytes = 1;
            imm_form = true;
            break;
        default:
            op = rm_op(b);
            if (op < 0)
                return -EINVAL;
        }
        byte_op = b == 0x80 || b == 0xc6 || (b < 0x80 && !(b & 1)) || b == 0x86 || b == 0x88;
    }

    out->size = byte_op ? 1 : (rex & INSN_REX_W) ? 8 : opsize16 ? 2 : 4;

    rc = next(&c, &modrm);
    if (rc)
        return rc;
    if ((modrm >> 6) == 3)
        return -EINVAL; /* a register destination never faults on a page table */
    reg = (modrm >> 3) & 7;

    if (imm_form) {
        if (b == 0xc6 || b == 0xc7) {
            if (reg != 0)
                return -EINVAL;
            op = STORE_MOV;
        } else if (b == 0xba) {
            static const int grp8[8] = {-1, -1, -1, -1, -1, STORE_BTS, STORE_BTR, STORE_BTC};
            op = grp8[reg]; /* /4 BT only reads */
        } else {
            static const int grp1[8] = {-1, STORE_OR, -1, -1, STORE_AND, -1, STORE_XOR, -1};
            op = grp1[reg]; /* ADD, ADC, SBB, SUB, CMP: not PTE writes */
        }
        if (op < 0)
            return -EINVAL;
    } else {
        reg |= (rex & INSN_REX_R) ? 8 : 0;
        /* Without a REX prefix, byte registers 4-7 are AH, CH, DH, BH. */
        if (out->size == 1 && !has_rex && reg >= 4 && reg <= 7) {
            out->reg_high = true;
            reg -= 4;
        }
        out->reg = reg;
    }
    /* LOCK on MOV is #UD (SDM vol. 2A, LOCK: only read-modify-write instructions). */
    if (out->lock && op == STORE_MOV)
        return -EINVAL;

    rc = decode_mem64(&c, modrm, rex, &out->mem);
    if (rc)
        return rc;
    out->mem.seg = out->seg_prefix == INSN_SEG_FS || out->seg_prefix == INSN_SEG_GS
                       ? out->seg_prefix
                   : (out->mem.base == INSN_GPR_RSP || out->mem.base == INSN_GPR_RBP) ? INSN_SEG_SS
                                                                                      : INSN_SEG_DS;
    if (imm_bytes) {
        rc = next_signed(&c, imm_bytes, &imm);
        if (rc)
            return rc;
        out->imm = (uint64_t)imm;
    }
    out->op = (enum store_op)op;
    out->length = c.len;
    return 0;
}

const char *store_op_name(enum store_op op)
{
    static const char *const names[STORE_OP_COUNT] = {
        [STORE_MOV] = "mov", [STORE_XCHG] = "xchg", [STORE_CMPXCHG] = "cmpxchg",
        [STORE_OR] = "or",   [STORE_AND] = "and",   [STORE_XOR] = "xor",
        [STORE_BTS] = "bts", [STORE_BTR] = "btr",   [STORE_BTC] = "btc",
    };

    return (unsigned int)op < STORE_OP_COUNT ? names[op] : "?";
}

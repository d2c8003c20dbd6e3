/*
 * Unit tests for hypervisor/common/insn_decode.c, the decoder of the privileged-instruction
 * emulation path.
 *
 * Every decode runs twice: with the bytes at the very end of a page followed by an
 * inaccessible page, and in a malloc() of exactly avail bytes (checked by AddressSanitizer
 * when the build has it). A read past avail faults either way. Every accepted instruction is
 * also decoded truncated at every length (must be -ENODATA) and followed by junk (must not
 * change the result); every rejected one is checked to be rejected at exactly the byte that
 * decides it, with -ENODATA before.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv_rename.h"
#include <mica/errno.h>
#include <mica/insn_decode.h>
#include "hv_unrename.h"

/*
 * Check's ck_assert*() record a checkpoint (a write to a file) on every passing check, and
 * the loops here make about a million checks: these fail through Check but pass silently.
 */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)
#define CHECK_TRUE(cond) CHECK(cond, "line %d: %s", __LINE__, #cond)
#define CHECK_EQ(a, b)                                                                             \
    CHECK((long long)(a) == (long long)(b), "line %d: %s == %s: %lld, want %lld", __LINE__, #a,    \
          #b, (long long)(a), (long long)(b))

#define M16 INSN_MODE_16
#define M32 INSN_MODE_32
#define M64 INSN_MODE_64

#define NONE INSN_REG_NONE
#define RIP  INSN_REG_RIP

/* ---- Decoding with a fence right after the last available byte ---- */

static uint8_t *guard_base; /* one readable page, then one PROT_NONE page */
static size_t page_size;

static uint8_t *guard_end(void)
{
    if (!guard_base) {
        page_size = (size_t)sysconf(_SC_PAGESIZE);
        guard_base =
            mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(guard_base, MAP_FAILED);
        CHECK_EQ(mprotect(guard_base + page_size, page_size, PROT_NONE), 0);
    }
    return guard_base + page_size;
}

static void insn_same(int line, const struct insn *a, const struct insn *b)
{
    CHECK(a->kind == b->kind && a->length == b->length && a->nr_prefix == b->nr_prefix &&
              a->opcode == b->opcode && a->prefixes == b->prefixes && a->rex == b->rex &&
              a->seg_prefix == b->seg_prefix && a->op_size == b->op_size &&
              a->addr_size == b->addr_size && a->rep == b->rep && a->has_imm == b->has_imm &&
              a->has_modrm == b->has_modrm && a->has_mem == b->has_mem && a->modrm == b->modrm &&
              a->cr_dr == b->cr_dr && a->gpr == b->gpr && a->imm == b->imm &&
              (!a->has_mem || (a->mem.seg == b->mem.seg && a->mem.base == b->mem.base &&
                               a->mem.index == b->mem.index && a->mem.scale == b->mem.scale &&
                               a->mem.disp == b->mem.disp)),
          "line %d: two decodes of the same bytes differ", line);
}

/* Decode the first avail bytes of b, both fenced ways; returns the result, fills *out. */
static int decode_n(int line, const uint8_t *b, size_t avail, enum insn_mode mode, struct insn *out)
{
    struct insn other;
    uint8_t *at = guard_end() - avail;
    uint8_t *heap = malloc(avail ? avail : 1);
    int rc, rc2;

    CHECK_TRUE(heap != NULL);
    memcpy(at, b, avail);
    memset(out, 0x5a, sizeof(*out)); /* the decoder must set every field */
    rc = insn_decode(at, avail, mode, out);

    if (avail)
        memcpy(heap, b, avail);
    else {
        free(heap);
        heap = NULL; /* avail 0: the decoder may not even look */
    }
    memset(&other, 0xa5, sizeof(other));
    rc2 = insn_decode(heap, avail, mode, &other);
    free(heap);

    CHECK(rc == rc2, "line %d: guard page %d, malloc %d", line, rc, rc2);
    insn_same(line, out, &other);
    CHECK(rc == 0 || out->kind == INSN_INVALID, "line %d: kind set on error", line);
    CHECK(out->length <= avail && out->length <= INSN_MAX_LENGTH,
          "line %d: length %u past avail %zu", line, out->length, avail);
    return rc;
}

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

/*
 * The bytes b[0..len) are one whole accepted instruction: check every truncation gives
 * -ENODATA, the whole gives 0 and length len, and trailing bytes change nothing.
 */
static struct insn ok_at(int line, enum insn_mode mode, const uint8_t *b, size_t len)
{
    uint8_t buf[INSN_MAX_LENGTH + 8];
    struct insn insn, again;
    int rc;

    CHECK_TRUE(len <= INSN_MAX_LENGTH);
    for (size_t n = 0; n < len; n++) {
        rc = decode_n(line, b, n, mode, &insn);
        CHECK(rc == -ENODATA, "line %d: %zu of %zu bytes gave %d, want -ENODATA", line, n, len, rc);
        CHECK(insn.length == n, "line %d: read %u of %zu", line, insn.length, n);
    }
    rc = decode_n(line, b, len, mode, &insn);
    CHECK(rc == 0, "line %d: whole instruction gave %d", line, rc);
    CHECK(insn.length == len, "line %d: length %u, want %zu", line, insn.length, len);
    CHECK(insn.kind != INSN_INVALID, "line %d: no kind", line);

    /* The same with junk after it: a decoder that looks further would notice. */
    static const uint8_t junk[] = {0x0f, 0xf0, 0x66, 0x01, 0xff, 0x00, 0x48, 0xcc};
    for (size_t extra = 1; extra <= sizeof(junk); extra++) {
        memcpy(buf, b, len);
        memcpy(buf + len, junk, extra);
        rc = decode_n(line, buf, len + extra, mode, &again);
        CHECK(rc == 0, "line %d: %zu trailing bytes gave %d", line, extra, rc);
        insn_same(line, &insn, &again);
    }
    return insn;
}

/*
 * b[0..len) is rejected, and the byte that decides it is byte number decide (1-based): fewer
 * bytes give -ENODATA, decide bytes or more -EINVAL. Returns the struct of the full decode.
 */
static struct insn bad_at(int line, enum insn_mode mode, size_t decide, const uint8_t *b,
                          size_t len)
{
    struct insn insn;
    int rc;

    CHECK_TRUE(decide >= 1 && decide <= len);
    for (size_t n = 0; n <= len; n++) {
        rc = decode_n(line, b, n, mode, &insn);
        if (n < decide)
            CHECK(rc == -ENODATA, "line %d: %zu bytes gave %d, want -ENODATA", line, n, rc);
        else
            CHECK(rc == -EINVAL, "line %d: %zu bytes gave %d, want -EINVAL", line, n, rc);
    }
    return insn;
}

#define OK(mode, ...)          ok_at(__LINE__, mode, BYTES(__VA_ARGS__))
#define BAD(mode, decide, ...) bad_at(__LINE__, mode, decide, BYTES(__VA_ARGS__))

/* Expected operand size of a non-byte port I/O opcode. */
static unsigned int io_size_for(enum insn_mode mode, bool opsize, bool rex_w)
{
    if (rex_w)
        return 4;
    if (mode == M16)
        return opsize ? 4 : 2;
    return opsize ? 2 : 4;
}

static unsigned int addr_size_for(enum insn_mode mode, bool addrsize)
{
    switch (mode) {
    case M16:
        return addrsize ? 4 : 2;
    case M32:
        return addrsize ? 2 : 4;
    default:
        return addrsize ? 4 : 8;
    }
}

static const enum insn_mode modes[] = {M16, M32, M64};

/* Prefix sets tried on port I/O, with what they mean. */
struct pfx_case {
    uint8_t bytes[4];
    unsigned int n;
    bool m64_only; /* contains a REX byte */
    bool opsize, addrsize, rep, rex_w, has_rex;
    uint8_t seg;
};

static const struct pfx_case pfx_cases[] = {
    {{0}, 0, false, false, false, false, false, false, INSN_SEG_NONE},
    {{0x66}, 1, false, true, false, false, false, false, INSN_SEG_NONE},
    {{0x66, 0x66, 0x66}, 3, false, true, false, false, false, false, INSN_SEG_NONE},
    {{0x67}, 1, false, false, true, false, false, false, INSN_SEG_NONE},
    {{0x66, 0x67}, 2, false, true, true, false, false, false, INSN_SEG_NONE},
    {{0xf3}, 1, false, false, false, true, false, false, INSN_SEG_NONE},
    {{0xf2}, 1, false, false, false, true, false, false, INSN_SEG_NONE},
    {{0xf2, 0xf3, 0x66}, 3, false, true, false, true, false, false, INSN_SEG_NONE},
    {{0x2e}, 1, false, false, false, false, false, false, INSN_SEG_CS},
    {{0x26, 0x36}, 2, false, false, false, false, false, false, INSN_SEG_SS},
    {{0x3e}, 1, false, false, false, false, false, false, INSN_SEG_DS},
    {{0x64}, 1, false, false, false, false, false, false, INSN_SEG_FS},
    {{0x64, 0x65}, 2, false, false, false, false, false, false, INSN_SEG_GS},
    {{0x48}, 1, true, false, false, false, true, true, INSN_SEG_NONE},
    {{0x66, 0x48}, 2, true, true, false, false, true, true, INSN_SEG_NONE},
    {{0x48, 0x66}, 2, true, true, false, false, false, false, INSN_SEG_NONE}, /* REX cancelled */
    {{0x40}, 1, true, false, false, false, false, true, INSN_SEG_NONE},
    {{0x4f, 0x41}, 2, true, false, false, false, false, true, INSN_SEG_NONE},
    {{0x65, 0x67, 0x4c}, 3, true, false, true, false, true, true, INSN_SEG_GS},
};

static void check_prefix_fields(int line, const struct insn *i, const struct pfx_case *p)
{
    CHECK(i->nr_prefix == p->n, "line %d: nr_prefix %u", line, i->nr_prefix);
    CHECK(!!(i->prefixes & INSN_PFX_OPSIZE) == p->opsize, "line %d: 66", line);
    CHECK(!!(i->prefixes & INSN_PFX_ADDRSIZE) == p->addrsize, "line %d: 67", line);
    CHECK(!!(i->prefixes & (INSN_PFX_REP | INSN_PFX_REPNE)) == p->rep, "line %d: rep", line);
    CHECK(!!(i->prefixes & INSN_PFX_REX) == p->has_rex, "line %d: rex", line);
    CHECK(!!(i->rex & INSN_REX_W) == p->rex_w, "line %d: rex.w", line);
    CHECK(i->seg_prefix == p->seg, "line %d: seg %u", line, i->seg_prefix);
    CHECK(!!(i->prefixes & INSN_PFX_SEG) == (p->seg != INSN_SEG_NONE), "line %d", line);
    CHECK(!(i->prefixes & INSN_PFX_LOCK), "line %d: lock", line);
}

/* ---- Port I/O ---- */

START_TEST(test_in_out_all_forms)
{
    static const uint8_t ops[] = {0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef};

    for (size_t m = 0; m < 3; m++) {
        for (size_t p = 0; p < sizeof(pfx_cases) / sizeof(pfx_cases[0]); p++) {
            const struct pfx_case *pc = &pfx_cases[p];

            if (pc->m64_only && modes[m] != M64)
                continue;
            for (size_t o = 0; o < sizeof(ops); o++) {
                uint8_t b[8];
                size_t len = pc->n;
                uint8_t op = ops[o];
                bool imm = op < 0xe8;
                struct insn i;

                memcpy(b, pc->bytes, pc->n);
                b[len++] = op;
                if (imm)
                    b[len++] = (uint8_t)(0x80 + o * 9); /* port */
                i = ok_at(__LINE__, modes[m], b, len);
                CHECK_EQ(i.kind, (op & 2) ? INSN_OUT : INSN_IN);
                CHECK_EQ(i.opcode, op);
                CHECK_EQ(i.length, len);
                CHECK_EQ(i.op_size, (op & 1) ? io_size_for(modes[m], pc->opsize, pc->rex_w) : 1);
                CHECK_EQ(i.addr_size, addr_size_for(modes[m], pc->addrsize));
                CHECK_TRUE(i.has_imm == imm);
                CHECK_EQ(i.imm, imm ? (uint32_t)(0x80 + o * 9) : 0);
                CHECK_TRUE(!i.rep && !i.has_mem && !i.has_modrm);
                check_prefix_fields(__LINE__, &i, pc);
            }
        }
    }
}
END_TEST

START_TEST(test_in_out_examples)
{
    struct insn i;

    i = OK(M64, 0xe4, 0x71); /* in al, 0x71 */
    CHECK_EQ(i.kind, INSN_IN);
    CHECK_EQ(i.op_size, 1);
    CHECK_EQ(i.imm, 0x71);
    CHECK_TRUE(i.has_imm);

    i = OK(M64, 0x66, 0xe7, 0xff); /* out 0xff, ax */
    CHECK_EQ(i.kind, INSN_OUT);
    CHECK_EQ(i.op_size, 2);
    CHECK_EQ(i.imm, 0xff);

    i = OK(M64, 0xed); /* in eax, dx */
    CHECK_EQ(i.kind, INSN_IN);
    CHECK_EQ(i.op_size, 4);
    CHECK_TRUE(!i.has_imm);

    i = OK(M64, 0x48, 0xef); /* rex.w out dx, eax: still 4 bytes */
    CHECK_EQ(i.kind, INSN_OUT);
    CHECK_EQ(i.op_size, 4);
    CHECK_EQ(i.rex, INSN_REX_W);

    i = OK(M16, 0xed); /* 16-bit code: in ax, dx */
    CHECK_EQ(i.op_size, 2);
    i = OK(M16, 0x66, 0xed);
    CHECK_EQ(i.op_size, 4);

    /* REX in 32-bit code is inc/dec: not ours. */
    BAD(M32, 1, 0x48, 0xed);
    BAD(M16, 1, 0x40, 0xec);
}
END_TEST

START_TEST(test_ins_outs)
{
    static const uint8_t ops[] = {0x6c, 0x6d, 0x6e, 0x6f};

    for (size_t m = 0; m < 3; m++) {
        for (size_t p = 0; p < sizeof(pfx_cases) / sizeof(pfx_cases[0]); p++) {
            const struct pfx_case *pc = &pfx_cases[p];

            if (pc->m64_only && modes[m] != M64)
                continue;
            for (size_t o = 0; o < sizeof(ops); o++) {
                uint8_t b[8];
                size_t len = pc->n;
                uint8_t op = ops[o], want_seg;
                struct insn i;

                memcpy(b, pc->bytes, pc->n);
                b[len++] = op;
                i = ok_at(__LINE__, modes[m], b, len);
                CHECK_EQ(i.kind, op < 0x6e ? INSN_INS : INSN_OUTS);
                CHECK_EQ(i.op_size, (op & 1) ? io_size_for(modes[m], pc->opsize, pc->rex_w) : 1);
                CHECK_EQ(i.addr_size, addr_size_for(modes[m], pc->addrsize));
                CHECK_TRUE(i.rep == pc->rep);
                CHECK_TRUE(i.has_mem && !i.has_imm && !i.has_modrm);
                CHECK_EQ(i.mem.base, op < 0x6e ? 7 : 6);
                CHECK_EQ(i.mem.index, NONE);
                CHECK_EQ(i.mem.disp, 0);
                if (op < 0x6e)
                    want_seg = INSN_SEG_ES; /* never overridden */
                else if (pc->seg == INSN_SEG_NONE)
                    want_seg = INSN_SEG_DS;
                else if (modes[m] == M64 && pc->seg != INSN_SEG_FS && pc->seg != INSN_SEG_GS)
                    want_seg = INSN_SEG_DS; /* ES/CS/SS/DS prefixes are no-ops in 64-bit */
                else
                    want_seg = pc->seg;
                CHECK_EQ(i.mem.seg, want_seg);
                check_prefix_fields(__LINE__, &i, pc);
            }
        }
    }
}
END_TEST

START_TEST(test_ins_outs_examples)
{
    struct insn i;

    i = OK(M64, 0xf3, 0x6c); /* rep insb */
    CHECK_TRUE(i.rep);
    CHECK_EQ(i.prefixes, INSN_PFX_REP);
    CHECK_EQ(i.addr_size, 8);

    i = OK(M64, 0xf3, 0x67, 0x66, 0x6f); /* rep outsw with esi/ecx */
    CHECK_EQ(i.kind, INSN_OUTS);
    CHECK_TRUE(i.rep);
    CHECK_EQ(i.op_size, 2);
    CHECK_EQ(i.addr_size, 4);

    i = OK(M64, 0x65, 0xf3, 0x6e); /* rep outsb from gs:[rsi] */
    CHECK_EQ(i.mem.seg, INSN_SEG_GS);

    i = OK(M64, 0x2e, 0x6e); /* cs prefix recorded, ignored */
    CHECK_EQ(i.seg_prefix, INSN_SEG_CS);
    CHECK_EQ(i.mem.seg, INSN_SEG_DS);

    i = OK(M32, 0x2e, 0x6e); /* but it counts in 32-bit code */
    CHECK_EQ(i.mem.seg, INSN_SEG_CS);

    i = OK(M32, 0x26, 0x6c); /* ins: es:[edi] whatever the prefix says */
    CHECK_EQ(i.mem.seg, INSN_SEG_ES);
    CHECK_EQ(i.seg_prefix, INSN_SEG_ES);

    i = OK(M32, 0x67, 0x6d); /* 16-bit addressing */
    CHECK_EQ(i.addr_size, 2);

    i = OK(M64, 0xf2, 0x6d); /* repne works as rep on ins/outs */
    CHECK_TRUE(i.rep);
    CHECK_EQ(i.prefixes, INSN_PFX_REPNE);

    i = OK(M64, 0xf3, 0xf2, 0x6d); /* the last of f2/f3 is recorded */
    CHECK_EQ(i.prefixes, INSN_PFX_REPNE);
    i = OK(M64, 0xf2, 0xf3, 0x6d);
    CHECK_EQ(i.prefixes, INSN_PFX_REP);
}
END_TEST

/* ---- Opcodes without operands ---- */

struct simple_case {
    uint8_t bytes[3];
    unsigned int n;
    enum insn_kind kind;
    uint16_t opcode;
};

static const struct simple_case simple_cases[] = {
    {{0xfa}, 1, INSN_CLI, 0xfa},
    {{0xfb}, 1, INSN_STI, 0xfb},
    {{0xf4}, 1, INSN_HLT, 0xf4},
    {{0x0f, 0x06}, 2, INSN_CLTS, 0x0f06},
    {{0x0f, 0x08}, 2, INSN_INVD, 0x0f08},
    {{0x0f, 0x09}, 2, INSN_WBINVD, 0x0f09},
    {{0x0f, 0x30}, 2, INSN_WRMSR, 0x0f30},
    {{0x0f, 0x31}, 2, INSN_RDTSC, 0x0f31},
    {{0x0f, 0x32}, 2, INSN_RDMSR, 0x0f32},
    {{0x0f, 0x33}, 2, INSN_RDPMC, 0x0f33},
    {{0x0f, 0xa2}, 2, INSN_CPUID, 0x0fa2},
    {{0x0f, 0x01, 0xd1}, 3, INSN_XSETBV, 0x0f01},
    {{0x0f, 0x01, 0xf9}, 3, INSN_RDTSCP, 0x0f01},
};

START_TEST(test_simple_all_prefixes)
{
    for (size_t m = 0; m < 3; m++) {
        for (size_t p = 0; p < sizeof(pfx_cases) / sizeof(pfx_cases[0]); p++) {
            const struct pfx_case *pc = &pfx_cases[p];

            if (pc->m64_only && modes[m] != M64)
                continue;
            for (size_t s = 0; s < sizeof(simple_cases) / sizeof(simple_cases[0]); s++) {
                const struct simple_case *sc = &simple_cases[s];
                uint8_t b[8];
                size_t len = pc->n;
                struct insn i;

                memcpy(b, pc->bytes, pc->n);
                memcpy(b + len, sc->bytes, sc->n);
                len += sc->n;
                if (sc->kind == INSN_XSETBV && (pc->opsize || pc->rep)) {
                    /* NP 0f 01 d1: #UD with 66/f2/f3, decided at the ModRM byte. */
                    bad_at(__LINE__, modes[m], len, b, len);
                    continue;
                }
                i = ok_at(__LINE__, modes[m], b, len);
                if (sc->kind == INSN_WBINVD && pc->rep)
                    /* f3 0f 09 is WBNOINVD; our f2 cases end with f3 or are f2 alone */
                    CHECK_EQ(i.kind, (i.prefixes & INSN_PFX_REP) ? INSN_WBNOINVD : INSN_WBINVD);
                else
                    CHECK_EQ(i.kind, sc->kind);
                CHECK_EQ(i.opcode, sc->opcode);
                CHECK_EQ(i.addr_size, addr_size_for(modes[m], pc->addrsize));
                CHECK_TRUE(!i.rep && !i.has_mem && !i.has_imm);
                CHECK_TRUE(i.has_modrm == (sc->n == 3));
                if (sc->n == 3)
                    CHECK_EQ(i.modrm, sc->bytes[2]);
                check_prefix_fields(__LINE__, &i, pc);
            }
        }
    }
}
END_TEST

START_TEST(test_wbnoinvd)
{
    CHECK_EQ(OK(M64, 0xf3, 0x0f, 0x09).kind, INSN_WBNOINVD);
    CHECK_EQ(OK(M64, 0xf2, 0xf3, 0x0f, 0x09).kind, INSN_WBNOINVD);
    CHECK_EQ(OK(M64, 0xf3, 0xf2, 0x0f, 0x09).kind, INSN_WBINVD);
    CHECK_EQ(OK(M64, 0xf3, 0x66, 0x0f, 0x09).kind, INSN_WBNOINVD);
    CHECK_EQ(OK(M64, 0x66, 0x0f, 0x09).kind, INSN_WBINVD);
}
END_TEST

START_TEST(test_grp7_register_forms)
{
    struct insn i;

    i = OK(M64, 0x41, 0x0f, 0x01, 0xf9); /* REX.B does not change rdtscp */
    CHECK_EQ(i.kind, INSN_RDTSCP);
    i = OK(M64, 0x4f, 0x0f, 0x01, 0xd1);
    CHECK_EQ(i.kind, INSN_XSETBV);
    i = OK(M64, 0xf3, 0x0f, 0x01, 0xf9); /* x86_emulate() takes rdtscp with any prefix */
    CHECK_EQ(i.kind, INSN_RDTSCP);

    BAD(M64, 4, 0x66, 0x0f, 0x01, 0xd1);
    BAD(M64, 4, 0xf2, 0x0f, 0x01, 0xd1);
    BAD(M64, 3, 0x0f, 0x01, 0xd0); /* xgetbv: not privileged, Xen does not emulate it */
    BAD(M64, 3, 0x0f, 0x01, 0xf8); /* swapgs */
    BAD(M64, 3, 0x0f, 0x01, 0xfa); /* monitorx */
    BAD(M64, 3, 0x0f, 0x01, 0xc8); /* monitor */
    BAD(M64, 3, 0x0f, 0x01, 0xca); /* clac */
    BAD(M64, 3, 0x0f, 0x01, 0xe8); /* reg 5 */
    BAD(M64, 3, 0x0f, 0x01, 0xd8); /* vmrun */

    /* smsw r16/r32/r64, lmsw r16 */
    for (unsigned int rm = 0; rm < 8; rm++) {
        i = ok_at(__LINE__, M64, BYTES(0x0f, 0x01, (uint8_t)(0xe0 | rm)));
        CHECK_EQ(i.kind, INSN_SMSW);
        CHECK_EQ(i.gpr, rm);
        CHECK_EQ(i.op_size, 4);
        CHECK_TRUE(!i.has_mem && i.has_modrm);

        i = ok_at(__LINE__, M64, BYTES(0x49, 0x0f, 0x01, (uint8_t)(0xe0 | rm)));
        CHECK_EQ(i.kind, INSN_SMSW);
        CHECK_EQ(i.gpr, rm + 8);
        CHECK_EQ(i.op_size, 8);

        i = ok_at(__LINE__, M64, BYTES(0x66, 0x0f, 0x01, (uint8_t)(0xe0 | rm)));
        CHECK_EQ(i.op_size, 2);

        i = ok_at(__LINE__, M64, BYTES(0x41, 0x0f, 0x01, (uint8_t)(0xf0 | rm)));
        CHECK_EQ(i.kind, INSN_LMSW);
        CHECK_EQ(i.gpr, rm + 8);
        CHECK_EQ(i.op_size, 2);

        i = ok_at(__LINE__, M32, BYTES(0x0f, 0x01, (uint8_t)(0xf0 | rm)));
        CHECK_EQ(i.kind, INSN_LMSW);
        CHECK_EQ(i.gpr, rm);
    }
    /* invlpg has no register form: 0f 01 /7 with mod 3 is swapgs, rdtscp, ... */
    for (unsigned int rm = 0; rm < 8; rm++)
        if (rm != 1)
            bad_at(__LINE__, M64, 3, BYTES(0x0f, 0x01, (uint8_t)(0xf8 | rm)));
}
END_TEST

/* ---- MOV CR / DR ---- */

START_TEST(test_mov_cr_dr_every_modrm)
{
    static const uint8_t rexes[] = {0, 0x40, 0x41, 0x44, 0x45, 0x48, 0x4c, 0x42, 0x4f};
    static const enum insn_kind kinds[] = {INSN_MOV_FROM_CR, INSN_MOV_FROM_DR, INSN_MOV_TO_CR,
                                           INSN_MOV_TO_DR};

    for (size_t m = 0; m < 3; m++) {
        for (size_t r = 0; r < sizeof(rexes); r++) {
            uint8_t rex = rexes[r];

            if (rex && modes[m] != M64)
                continue;
            for (unsigned int op = 0; op < 4; op++) {
                for (unsigned int modrm = 0; modrm < 256; modrm++) {
                    uint8_t b[4];
                    size_t len = 0;
                    struct insn i;

                    if (rex)
                        b[len++] = rex;
                    b[len++] = 0x0f;
                    b[len++] = (uint8_t)(0x20 + op);
                    b[len++] = (uint8_t)modrm;
                    /* mod is ignored: never a SIB byte or displacement */
                    i = ok_at(__LINE__, modes[m], b, len);
                    CHECK_EQ(i.kind, kinds[op]);
                    CHECK_EQ(i.opcode, 0x0f20 + op);
                    CHECK_EQ(i.cr_dr, ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0));
                    CHECK_EQ(i.gpr, (modrm & 7) | ((rex & 1) ? 8 : 0));
                    CHECK_EQ(i.op_size, modes[m] == M64 ? 8 : 4);
                    CHECK_TRUE(i.has_modrm && !i.has_mem);
                    CHECK_EQ(i.modrm, modrm);
                }
            }
        }
    }
}
END_TEST

START_TEST(test_mov_cr_dr_examples)
{
    struct insn i;

    i = OK(M64, 0x0f, 0x22, 0xd8); /* mov cr3, rax */
    CHECK_EQ(i.kind, INSN_MOV_TO_CR);
    CHECK_EQ(i.cr_dr, 3);
    CHECK_EQ(i.gpr, 0);

    i = OK(M64, 0x44, 0x0f, 0x20, 0xc1); /* mov rcx, cr8 */
    CHECK_EQ(i.kind, INSN_MOV_FROM_CR);
    CHECK_EQ(i.cr_dr, 8);
    CHECK_EQ(i.gpr, 1);

    i = OK(M64, 0x41, 0x0f, 0x22, 0xe7); /* mov cr4, r15 */
    CHECK_EQ(i.cr_dr, 4);
    CHECK_EQ(i.gpr, 15);

    i = OK(M64, 0x0f, 0x23, 0xf8); /* mov dr7, rax */
    CHECK_EQ(i.kind, INSN_MOV_TO_DR);
    CHECK_EQ(i.cr_dr, 7);

    i = OK(M64, 0x0f, 0x20, 0x04); /* mod 0, rm 4: still no SIB */
    CHECK_EQ(i.length, 3);
    CHECK_EQ(i.gpr, 4);
    i = OK(M64, 0x0f, 0x20, 0x05); /* mod 0, rm 5: still no disp32 */
    CHECK_EQ(i.length, 3);
    i = OK(M64, 0x0f, 0x21, 0x80); /* mod 2: still no disp32 */
    CHECK_EQ(i.length, 3);

    i = OK(M64, 0x66, 0x0f, 0x20, 0xc0); /* 66 has no effect */
    CHECK_EQ(i.op_size, 8);
    i = OK(M64, 0x48, 0x66, 0x0f, 0x20, 0xc0); /* REX cancelled by the 66 after it */
    CHECK_EQ(i.rex, 0);
    CHECK_TRUE(!(i.prefixes & INSN_PFX_REX));
    i = OK(M64, 0x44, 0x66, 0x0f, 0x20, 0xc0); /* so no CR8 either */
    CHECK_EQ(i.cr_dr, 0);
    i = OK(M64, 0x66, 0x44, 0x0f, 0x20, 0xc0);
    CHECK_EQ(i.cr_dr, 8);
    i = OK(M64, 0x41, 0x44, 0x0f, 0x20, 0xc0); /* only the last REX counts */
    CHECK_EQ(i.cr_dr, 8);
    CHECK_EQ(i.gpr, 0);

    /* LOCK mov cr0 is AMD's alias of cr8, which Xen does not give PV guests: #UD. */
    i = BAD(M32, 1, 0xf0, 0x0f, 0x20, 0xc0);
    CHECK_TRUE(i.prefixes & INSN_PFX_LOCK);
}
END_TEST

/* ---- Memory operands: SMSW, LMSW, INVLPG ---- */

struct mem_case {
    int line;
    enum insn_mode mode;
    uint8_t bytes[INSN_MAX_LENGTH];
    unsigned int n;
    enum insn_kind kind;
    uint8_t seg, base, index, scale;
    int32_t disp;
    unsigned int addr_size;
};

#define MEMC(mode, kind, seg, base, index, scale, disp, asz, ...)                                  \
    {                                                                                              \
        __LINE__, mode, {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}), kind, seg, base, index,   \
            scale, disp, asz                                                                       \
    }

#define DS INSN_SEG_DS
#define SS INSN_SEG_SS

static const struct mem_case mem_cases[] = {
    /* 64-bit addressing */
    MEMC(M64, INSN_INVLPG, DS, 0, NONE, 1, 0, 8, 0x0f, 0x01, 0x38),          /* [rax] */
    MEMC(M64, INSN_INVLPG, DS, 3, NONE, 1, 0, 8, 0x0f, 0x01, 0x3b),          /* [rbx] */
    MEMC(M64, INSN_INVLPG, SS, 4, NONE, 1, 0, 8, 0x0f, 0x01, 0x3c, 0x24),    /* [rsp] */
    MEMC(M64, INSN_INVLPG, SS, 5, NONE, 1, 8, 8, 0x0f, 0x01, 0x7d, 0x08),    /* [rbp+8] */
    MEMC(M64, INSN_INVLPG, DS, 6, NONE, 1, -128, 8, 0x0f, 0x01, 0x7e, 0x80), /* [rsi-128] */
    MEMC(M64, INSN_INVLPG, DS, RIP, NONE, 1, 0x12345678, 8, 0x0f, 0x01, 0x3d, 0x78, 0x56, 0x34,
         0x12), /* [rip+d32] */
    MEMC(M64, INSN_INVLPG, DS, NONE, NONE, 1, -16, 8, 0x0f, 0x01, 0x3c, 0x25, 0xf0, 0xff, 0xff,
         0xff), /* [d32] */
    MEMC(M64, INSN_INVLPG, DS, 0, 3, 4, 0x100, 8, 0x0f, 0x01, 0xbc, 0x98, 0x00, 0x01, 0x00,
         0x00),                                                               /* [rax+rbx*4+d32] */
    MEMC(M64, INSN_INVLPG, DS, 0, 12, 1, 0, 8, 0x42, 0x0f, 0x01, 0x3c, 0x20), /* [rax+r12] */
    MEMC(M64, INSN_INVLPG, DS, 12, NONE, 1, 0, 8, 0x41, 0x0f, 0x01, 0x3c, 0x24), /* [r12] */
    MEMC(M64, INSN_INVLPG, DS, 13, NONE, 1, 0, 8, 0x41, 0x0f, 0x01, 0x7d, 0x00), /* [r13+0] */
    MEMC(M64, INSN_INVLPG, DS, NONE, 9, 8, 4, 8, 0x43, 0x0f, 0x01, 0x3c, 0xcd, 0x04, 0x00, 0x00,
         0x00), /* [r9*8+4] */
    MEMC(M64, INSN_INVLPG, DS, 15, 14, 2, -1, 8, 0x4b, 0x0f, 0x01, 0x7c, 0x77, 0xff),
    MEMC(M64, INSN_INVLPG, SS, 5, 1, 1, 0, 8, 0x0f, 0x01, 0x7c, 0x0d, 0x00), /* [rbp+rcx+0] */
    MEMC(M64, INSN_INVLPG, INSN_SEG_FS, 0, NONE, 1, 0, 8, 0x64, 0x0f, 0x01, 0x38),
    MEMC(M64, INSN_INVLPG, INSN_SEG_GS, 4, NONE, 1, 0, 8, 0x65, 0x0f, 0x01, 0x3c, 0x24),
    MEMC(M64, INSN_INVLPG, SS, 4, NONE, 1, 0, 8, 0x2e, 0x0f, 0x01, 0x3c, 0x24), /* cs ignored */
    MEMC(M64, INSN_INVLPG, DS, 0, NONE, 1, 0, 4, 0x67, 0x0f, 0x01, 0x38),       /* [eax] */
    MEMC(M64, INSN_INVLPG, DS, RIP, NONE, 1, 0, 4, 0x67, 0x0f, 0x01, 0x3d, 0, 0, 0, 0),
    MEMC(M64, INSN_INVLPG, DS, 0, NONE, 1, 0, 8, 0x66, 0x0f, 0x01, 0x38),        /* 66 no effect */
    MEMC(M64, INSN_SMSW, DS, 1, NONE, 1, 0x7f, 8, 0x48, 0x0f, 0x01, 0x61, 0x7f), /* [rcx+7f] */
    MEMC(M64, INSN_LMSW, DS, 10, NONE, 1, 0, 8, 0x41, 0x0f, 0x01, 0x32),         /* [r10] */
    MEMC(M64, INSN_LMSW, SS, 4, NONE, 1, 0x10000, 8, 0x0f, 0x01, 0xb4, 0x24, 0x00, 0x00, 0x01,
         0x00),
    /* 32-bit addressing */
    MEMC(M32, INSN_INVLPG, DS, NONE, NONE, 1, 0x1000, 4, 0x0f, 0x01, 0x3d, 0x00, 0x10, 0x00,
         0x00),                                                              /* [d32] no rip */
    MEMC(M32, INSN_INVLPG, SS, 5, 7, 2, 3, 4, 0x0f, 0x01, 0x7c, 0x7d, 0x03), /* [ebp+edi*2+3] */
    MEMC(M32, INSN_INVLPG, INSN_SEG_CS, 0, NONE, 1, 0, 4, 0x2e, 0x0f, 0x01, 0x38),
    MEMC(M32, INSN_INVLPG, INSN_SEG_ES, 4, NONE, 1, 0, 4, 0x26, 0x0f, 0x01, 0x3c, 0x24),
    MEMC(M16, INSN_INVLPG, DS, 0, NONE, 1, 0, 4, 0x67, 0x0f, 0x01, 0x38), /* [eax] */
    /* 16-bit addressing */
    MEMC(M16, INSN_INVLPG, DS, 3, 6, 1, 0, 2, 0x0f, 0x01, 0x38),                  /* [bx+si] */
    MEMC(M16, INSN_INVLPG, DS, 3, 7, 1, 0, 2, 0x0f, 0x01, 0x39),                  /* [bx+di] */
    MEMC(M16, INSN_INVLPG, SS, 5, 6, 1, -16, 2, 0x0f, 0x01, 0x7a, 0xf0),          /* [bp+si-16] */
    MEMC(M16, INSN_INVLPG, SS, 5, 7, 1, 0x7fff, 2, 0x0f, 0x01, 0xbb, 0xff, 0x7f), /* [bp+di] */
    MEMC(M16, INSN_INVLPG, DS, 6, NONE, 1, 0, 2, 0x0f, 0x01, 0x3c),               /* [si] */
    MEMC(M16, INSN_INVLPG, DS, 7, NONE, 1, 0, 2, 0x0f, 0x01, 0x3d),               /* [di] */
    MEMC(M16, INSN_INVLPG, DS, NONE, NONE, 1, 0x1234, 2, 0x0f, 0x01, 0x3e, 0x34, 0x12),
    MEMC(M16, INSN_INVLPG, SS, 5, NONE, 1, 2, 2, 0x0f, 0x01, 0x7e, 0x02),        /* [bp+2] */
    MEMC(M16, INSN_INVLPG, DS, 3, NONE, 1, -2, 2, 0x0f, 0x01, 0xbf, 0xfe, 0xff), /* [bx-2] */
    MEMC(M32, INSN_SMSW, INSN_SEG_FS, 5, 6, 1, 1, 2, 0x64, 0x67, 0x0f, 0x01, 0x62, 0x01),
    MEMC(M16, INSN_LMSW, DS, 3, NONE, 1, 0, 2, 0x0f, 0x01, 0x37), /* [bx] */
};

START_TEST(test_memory_operands)
{
    for (size_t c = 0; c < sizeof(mem_cases) / sizeof(mem_cases[0]); c++) {
        const struct mem_case *mc = &mem_cases[c];
        struct insn i = ok_at(mc->line, mc->mode, mc->bytes, mc->n);

        CHECK(i.kind == mc->kind, "line %d: kind %d", mc->line, i.kind);
        CHECK(i.has_mem && i.has_modrm, "line %d: no memory operand", mc->line);
        CHECK(i.mem.seg == mc->seg, "line %d: seg %u", mc->line, i.mem.seg);
        CHECK(i.mem.base == mc->base, "line %d: base %u", mc->line, i.mem.base);
        CHECK(i.mem.index == mc->index, "line %d: index %u", mc->line, i.mem.index);
        CHECK(i.mem.scale == mc->scale, "line %d: scale %u", mc->line, i.mem.scale);
        CHECK(i.mem.disp == mc->disp, "line %d: disp %d", mc->line, i.mem.disp);
        CHECK(i.addr_size == mc->addr_size, "line %d: addr %u", mc->line, i.addr_size);
        if (mc->kind != INSN_INVLPG)
            CHECK(i.op_size == 2, "line %d: op_size %u", mc->line, i.op_size);
    }
}
END_TEST

START_TEST(test_grp7_memory_rejected)
{
    /* sgdt, sidt, lgdt, lidt, reg 5: decided at the ModRM byte, before any SIB/disp */
    static const uint8_t regs[] = {0, 1, 2, 3, 5};

    for (size_t r = 0; r < sizeof(regs); r++) {
        bad_at(__LINE__, M64, 3, BYTES(0x0f, 0x01, (uint8_t)(regs[r] << 3)));
        bad_at(__LINE__, M64, 3, BYTES(0x0f, 0x01, (uint8_t)(0x84 | regs[r] << 3), 0x24, 0, 0));
    }
}
END_TEST

/* ---- Xen's forced emulation prefix ---- */

START_TEST(test_forced_cpuid)
{
    struct insn i;

    i = OK(M64, 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2);
    CHECK_EQ(i.kind, INSN_FORCED_CPUID);
    CHECK_EQ(i.length, 7);
    CHECK_EQ(i.opcode, 0x0f0b);
    CHECK_EQ(i.nr_prefix, 0);
    i = OK(M32, 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2);
    CHECK_EQ(i.kind, INSN_FORCED_CPUID);

    BAD(M64, 3, 0x0f, 0x0b, 0x90);                      /* plain ud2 */
    BAD(M64, 3, 0x0f, 0x0b, 'X', 'e', 'n', 0x0f, 0xa2); /* case matters */
    BAD(M64, 5, 0x0f, 0x0b, 'x', 'e', 'm', 0x0f, 0xa2);
    BAD(M64, 6, 0x0f, 0x0b, 'x', 'e', 'n', 0x66, 0x0f, 0xa2); /* exactly 0f a2 follows */
    BAD(M64, 7, 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0x31);       /* only cpuid */
    BAD(M64, 3, 0x66, 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2); /* no prefix before ud2 */
    BAD(M64, 3, 0x48, 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2);
}
END_TEST

/* ---- Prefix limits, LOCK, unknown opcodes ---- */

START_TEST(test_length_limit)
{
    uint8_t b[INSN_MAX_LENGTH + 4];
    struct insn i;

    /* 14 prefixes + hlt = 15 bytes: fine. 15 prefixes + hlt = 16: invalid at byte 15. */
    memset(b, 0x66, sizeof(b));
    b[14] = 0xf4;
    i = ok_at(__LINE__, M64, b, 15);
    CHECK_EQ(i.kind, INSN_HLT);
    CHECK_EQ(i.nr_prefix, 14);
    b[14] = 0x66;
    b[15] = 0xf4;
    bad_at(__LINE__, M64, 15, b, 16);

    /* Mixed redundant prefixes ending in REX, mov cr: 12 + 3 = 15. */
    static const uint8_t mix[] = {0x2e, 0x66, 0x67, 0xf3, 0x3e, 0x26,
                                  0x64, 0x65, 0x36, 0xf2, 0x66, 0x44};
    memcpy(b, mix, sizeof(mix));
    memcpy(b + sizeof(mix), (uint8_t[]){0x0f, 0x20, 0xc0}, 3);
    i = ok_at(__LINE__, M64, b, 15);
    CHECK_EQ(i.kind, INSN_MOV_FROM_CR);
    CHECK_EQ(i.cr_dr, 8);
    CHECK_EQ(i.seg_prefix, INSN_SEG_SS);
    CHECK_EQ(i.prefixes,
             INSN_PFX_OPSIZE | INSN_PFX_ADDRSIZE | INSN_PFX_REPNE | INSN_PFX_SEG | INSN_PFX_REX);
    /* One more prefix: the ModRM byte would be the 16th. */
    memmove(b + 1, b, 15);
    b[0] = 0x66;
    bad_at(__LINE__, M64, 15, b, 16);

    /* in al, imm8 whose immediate would be the 16th byte */
    memset(b, 0x3e, sizeof(b));
    b[14] = 0xe4;
    b[15] = 0x80;
    bad_at(__LINE__, M64, 15, b, 16);
    /* invlpg [rax+rbx*4+disp32] with 7 prefixes = 15 bytes; 8 prefixes = 16 */
    memset(b, 0x67, sizeof(b));
    memcpy(b + 7, (uint8_t[]){0x0f, 0x01, 0xbc, 0x98, 0x00, 0x01, 0x00, 0x00}, 8);
    i = ok_at(__LINE__, M64, b, 15);
    CHECK_EQ(i.kind, INSN_INVLPG);
    memset(b, 0x67, sizeof(b));
    memcpy(b + 8, (uint8_t[]){0x0f, 0x01, 0xbc, 0x98, 0x00, 0x01, 0x00, 0x00}, 8);
    bad_at(__LINE__, M64, 15, b, 16);

    /* 15 prefixes and nothing more to read: already invalid */
    memset(b, 0xf3, sizeof(b));
    bad_at(__LINE__, M32, 15, b, 15);
}
END_TEST

START_TEST(test_lock_prefix)
{
    struct insn i;

    i = BAD(M64, 1, 0xf0, 0xe4, 0x80);
    CHECK_TRUE(i.prefixes & INSN_PFX_LOCK);
    CHECK_EQ(i.length, 1);
    i = BAD(M64, 3, 0x66, 0x2e, 0xf0, 0x0f, 0x22, 0xd8);
    CHECK_TRUE(i.prefixes & INSN_PFX_LOCK);
    CHECK_TRUE(i.prefixes & INSN_PFX_OPSIZE);
    BAD(M64, 2, 0x44, 0xf0, 0x0f, 0x20, 0xc0);
    BAD(M16, 1, 0xf0, 0xfa);
    BAD(M32, 2, 0xf3, 0xf0, 0x6c);
}
END_TEST

START_TEST(test_unknown_opcodes)
{
    static const uint8_t accepted1[] = {0x6c, 0x6d, 0x6e, 0x6f, 0xe4, 0xe5, 0xe6, 0xe7,
                                        0xec, 0xed, 0xee, 0xef, 0xf4, 0xfa, 0xfb, 0x0f};
    static const uint8_t prefixes[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65,
                                       0x66, 0x67, 0xf0, 0xf2, 0xf3};
    static const uint8_t accepted2[] = {0x01, 0x06, 0x08, 0x09, 0x0b, 0x20, 0x21,
                                        0x22, 0x23, 0x30, 0x31, 0x32, 0x33, 0xa2};

    for (size_t m = 0; m < 3; m++) {
        for (unsigned int op = 0; op < 256; op++) {
            if (memchr(accepted1, (int)op, sizeof(accepted1)) ||
                memchr(prefixes, (int)op, sizeof(prefixes)))
                continue;
            if (modes[m] == M64 && (op & 0xf0) == 0x40)
                continue; /* REX */
            bad_at(__LINE__, modes[m], 1, BYTES((uint8_t)op, 0x0f, 0x20, 0xc0));
            bad_at(__LINE__, modes[m], 2, BYTES(0x66, (uint8_t)op, 0xfa));
        }
        for (unsigned int op = 0; op < 256; op++) {
            if (memchr(accepted2, (int)op, sizeof(accepted2)))
                continue;
            bad_at(__LINE__, modes[m], 2, BYTES(0x0f, (uint8_t)op, 0xc0, 0x00, 0x00));
        }
    }
    /* 0f 38 / 0f 3a escapes, VEX, and the x87 in/out look-alikes */
    BAD(M64, 2, 0x0f, 0x38, 0x00);
    BAD(M64, 1, 0xc5, 0xf8, 0x77);
    BAD(M64, 1, 0xd9, 0xe4);
    BAD(M64, 1, 0xcd, 0x80); /* int 0x80 comes through #GP too, but as an IDT fault */
}
END_TEST

START_TEST(test_rex_only_in_64bit)
{
    struct insn i;

    /* A REX prefix and nothing else yet: more bytes needed. */
    i = OK(M64, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0xfa);
    CHECK_EQ(i.kind, INSN_CLI);
    CHECK_EQ(i.rex, 0x7);
    CHECK_EQ(i.nr_prefix, 8);
    i = OK(M64, 0x40, 0xfb);
    CHECK_EQ(i.rex, 0);
    CHECK_TRUE(i.prefixes & INSN_PFX_REX);
    i = OK(M64, 0x48, 0xf3, 0xfb); /* cancelled */
    CHECK_TRUE(!(i.prefixes & INSN_PFX_REX));
    CHECK_EQ(i.op_size, 4);
}
END_TEST

START_TEST(test_api_edges)
{
    struct insn i;

    CHECK_EQ(insn_decode(NULL, 0, M64, &i), -ENODATA);
    CHECK_EQ(i.kind, INSN_INVALID);
    CHECK_EQ(i.length, 0);
    CHECK_EQ(insn_decode((const uint8_t[]){0xfa}, 1, (enum insn_mode)7, &i), -EINVAL);

    ck_assert_str_eq(insn_kind_name(INSN_IN), "in");
    ck_assert_str_eq(insn_kind_name(INSN_MOV_TO_CR), "mov_to_cr");
    ck_assert_str_eq(insn_kind_name(INSN_FORCED_CPUID), "forced_cpuid");
    ck_assert_str_eq(insn_kind_name(INSN_KIND_COUNT), "?");
    ck_assert_str_eq(insn_kind_name((enum insn_kind) - 1), "?");
    for (int k = 0; k < INSN_KIND_COUNT; k++)
        ck_assert_str_ne(insn_kind_name((enum insn_kind)k), "?");
}
END_TEST

/*
 * Random byte strings, biased towards prefixes and the opcodes of interest: for every prefix
 * length n of a 17-byte buffer the outcome is -ENODATA below some d, then one fixed answer
 * (0 with the same instruction, or -EINVAL) from d on; an accepted instruction is d bytes.
 */
START_TEST(test_random_monotone)
{
    static const uint8_t alphabet[] = {
        0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x40, 0x44, 0x48,
        0x41, 0x4c, 0x0f, 0x0f, 0x0f, 0x01, 0x20, 0x22, 0x21, 0x23, 0x0b, 'x',  'e',  'n',
        0xa2, 0xe4, 0xec, 0xef, 0x6c, 0x6f, 0xfa, 0xf4, 0x30, 0x31, 0x32, 0x06, 0x09, 0xd1,
        0xf9, 0x38, 0x3c, 0x7d, 0xbc, 0x24, 0x25, 0x05, 0xe0, 0xf0, 0x00, 0xff, 0x90};
    unsigned int seed = 12345;

    for (int iter = 0; iter < 20000; iter++) {
        uint8_t b[INSN_MAX_LENGTH + 2];
        enum insn_mode mode = modes[iter % 3];
        struct insn first, i;
        int settled = 1; /* -ENODATA so far */
        size_t d = 0;

        for (size_t k = 0; k < sizeof(b); k++) {
            seed = seed * 1103515245u + 12345u;
            b[k] =
                (seed >> 16) % 4 ? alphabet[(seed >> 8) % sizeof(alphabet)] : (uint8_t)(seed >> 20);
        }
        for (size_t n = 0; n <= sizeof(b); n++) {
            int rc = decode_n(__LINE__, b, n, mode, &i);

            if (settled == 1) {
                if (rc == -ENODATA)
                    continue;
                CHECK(rc == 0 || rc == -EINVAL, "iter %d: rc %d", iter, rc);
                settled = rc == 0 ? 0 : -1;
                first = i;
                d = n;
                if (rc == 0)
                    CHECK_EQ(i.length, n);
                continue;
            }
            CHECK(rc == (settled == 0 ? 0 : -EINVAL),
                  "iter %d: %zu bytes gave %d after settling at %zu", iter, n, rc, d);
            if (rc == 0)
                insn_same(__LINE__, &first, &i);
        }
        CHECK(settled != 1, "iter %d: 17 bytes still -ENODATA", iter);
        CHECK_TRUE(d <= INSN_MAX_LENGTH);
    }
}
END_TEST

static Suite *insn_decode_suite(void)
{
    Suite *s = suite_create("insn_decode");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_in_out_all_forms);
    tcase_add_test(tc, test_in_out_examples);
    tcase_add_test(tc, test_ins_outs);
    tcase_add_test(tc, test_ins_outs_examples);
    tcase_add_test(tc, test_simple_all_prefixes);
    tcase_add_test(tc, test_wbnoinvd);
    tcase_add_test(tc, test_grp7_register_forms);
    tcase_add_test(tc, test_mov_cr_dr_every_modrm);
    tcase_add_test(tc, test_mov_cr_dr_examples);
    tcase_add_test(tc, test_memory_operands);
    tcase_add_test(tc, test_grp7_memory_rejected);
    tcase_add_test(tc, test_forced_cpuid);
    tcase_add_test(tc, test_length_limit);
    tcase_add_test(tc, test_lock_prefix);
    tcase_add_test(tc, test_unknown_opcodes);
    tcase_add_test(tc, test_rex_only_in_64bit);
    tcase_add_test(tc, test_api_edges);
    tcase_add_test(tc, test_random_monotone);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(insn_decode_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

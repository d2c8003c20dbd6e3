/*
 * Unit tests for the writable page-table assist: the store decoder
 * (hypervisor/common/insn_decode_store.c), the store semantics and addressing, and
 * ptwr_page_fault() (hypervisor/common/ptwr.c) over mm.c's typed frames, on a simulated frame
 * table with fake frame memory (the fakes follow tests/unit/test_mm.c's).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/insn_store.h>
#include <mica/mm.h>
#include <mica/page_types.h>
#include <mica/panic.h>
#include <mica/ptwr.h>
#include "hv_unrename.h"

/* ---- The simulated machine ---- */

#define NFRAMES       64
#define MFN_FIRST_DOM 8

static struct page_info frames[NFRAMES];
static uint64_t mem[NFRAMES][PT_ENTRIES] __attribute__((aligned(4096)));
static mfn_t next_free;
unsigned long max_mfn = NFRAMES;

static struct domain dom[3];
static struct vcpu vcpus[3];
struct vcpu *current;

struct page_info *mfn_to_page(mfn_t mfn)
{
    ck_assert_uint_lt(mfn, NFRAMES);
    return &frames[mfn];
}

bool mfn_valid(mfn_t mfn)
{
    return mfn < NFRAMES;
}

void *map_frame(mfn_t mfn)
{
    ck_assert_uint_lt(mfn, NFRAMES);
    return mem[mfn];
}

int free_frames(mfn_t mfn, unsigned int order)
{
    (void)mfn;
    (void)order;
    ck_abort_msg("no frame is freed in these tests");
    return 0;
}

struct domain *domain_lookup(domid_t domid)
{
    return (domid == 1 || domid == 2) ? &dom[domid] : NULL;
}

void arch_flush_tlb_local(void)
{
}

void arch_invlpg(uint64_t va)
{
    (void)va;
}

void arch_init_hv_l4_slots(uint64_t *l4)
{
    for (unsigned int i = PT_HV_L4_FIRST; i <= PT_HV_L4_LAST; i++)
        l4[i] = 0;
}

/*
 * Guest memory for instruction fetches: the code page at CODE_VA, and the page after it
 * only if next_page_mapped.
 */
#define CODE_VA 0xffffffff80100000UL
static uint8_t code[2 * 4096];
static bool next_page_mapped;
static unsigned int fetches;

int copy_from_guest(void *dst, uint64_t src, size_t len)
{
    uint64_t end = next_page_mapped ? CODE_VA + sizeof(code) : CODE_VA + 4096;

    fetches++;
    if (src < CODE_VA || src + len > end || src + len < src)
        return -EFAULT;
    memcpy(dst, code + (src - CODE_VA), len);
    return 0;
}

void panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    ck_abort_msg("panic: %s", buf);
    abort();
}

/* ---- Decoder ---- */

/* Decode exactly the bytes given, from an exact-size heap copy (ASan catches over-reads). */
static int decode(const uint8_t *bytes, size_t len, struct store_insn *si)
{
    uint8_t *copy = malloc(len ? len : 1);
    int rc;

    if (len)
        memcpy(copy, bytes, len);
    rc = insn_decode_store(len ? copy : NULL, len, si);
    free(copy);
    return rc;
}

#define NONE INSN_REG_NONE
#define RIP  INSN_REG_RIP

struct decode_case {
    const char *text;
    uint8_t bytes[16];
    uint8_t len;
    enum store_op op;
    uint8_t size, reg;
    bool reg_high, lock;
    uint64_t imm;
    uint8_t base, index, scale;
    int32_t disp;
    uint8_t seg;
};

/* clang-format off */
static const struct decode_case good[] = {
    {"mov %rax,(%rdi)", {0x48, 0x89, 0x07}, 3, STORE_MOV, 8, 0, 0, 0, 0, 7, NONE, 1, 0, INSN_SEG_DS},
    {"mov %eax,(%rdi)", {0x89, 0x07}, 2, STORE_MOV, 4, 0, 0, 0, 0, 7, NONE, 1, 0, INSN_SEG_DS},
    {"mov %eax,4(%rdi)", {0x89, 0x47, 0x04}, 3, STORE_MOV, 4, 0, 0, 0, 0, 7, NONE, 1, 4,
     INSN_SEG_DS},
    {"mov %ax,(%rdi)", {0x66, 0x89, 0x07}, 3, STORE_MOV, 2, 0, 0, 0, 0, 7, NONE, 1, 0, INSN_SEG_DS},
    {"mov %ah,(%rdi)", {0x88, 0x27}, 2, STORE_MOV, 1, 0, 1, 0, 0, 7, NONE, 1, 0, INSN_SEG_DS},
    {"mov %spl,(%rdi)", {0x40, 0x88, 0x27}, 3, STORE_MOV, 1, 4, 0, 0, 0, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"movq $0,(%rdi)", {0x48, 0xc7, 0x07, 0, 0, 0, 0}, 7, STORE_MOV, 8, NONE, 0, 0, 0, 7, NONE, 1,
     0, INSN_SEG_DS},
    {"movq $-1,(%rdi)", {0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff}, 7, STORE_MOV, 8, NONE, 0, 0,
     ~0ULL, 7, NONE, 1, 0, INSN_SEG_DS},
    {"movw $0x1234,(%rdi)", {0x66, 0xc7, 0x07, 0x34, 0x12}, 5, STORE_MOV, 2, NONE, 0, 0, 0x1234, 7,
     NONE, 1, 0, INSN_SEG_DS},
    {"movb $0x80,(%rdi)", {0xc6, 0x07, 0x80}, 3, STORE_MOV, 1, NONE, 0, 0, ~0x7fULL, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"movq $0x12345678,0x100(%rsp)",
     {0x48, 0xc7, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12},
     12, STORE_MOV, 8, NONE, 0, 0, 0x12345678, 4, NONE, 1, 0x100, INSN_SEG_SS},
    {"mov %r8,0x1000(,%rax,8)", {0x4c, 0x89, 0x04, 0xc5, 0x00, 0x10, 0x00, 0x00}, 8, STORE_MOV, 8,
     8, 0, 0, 0, NONE, 0, 8, 0x1000, INSN_SEG_DS},
    {"mov %rax,0x10(%rip)", {0x48, 0x89, 0x05, 0x10, 0, 0, 0}, 7, STORE_MOV, 8, 0, 0, 0, 0, RIP,
     NONE, 1, 0x10, INSN_SEG_DS},
    {"mov %rax,(%r15)", {0x49, 0x89, 0x07}, 3, STORE_MOV, 8, 0, 0, 0, 0, 15, NONE, 1, 0,
     INSN_SEG_DS},
    {"mov %r15,(%rdi)", {0x4c, 0x89, 0x3f}, 3, STORE_MOV, 8, 15, 0, 0, 0, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"mov %eax,(%rdi,%r12,1)", {0x42, 0x89, 0x04, 0x27}, 4, STORE_MOV, 4, 0, 0, 0, 0, 7, 12, 1, 0,
     INSN_SEG_DS},
    {"mov %eax,0x0(%r13)", {0x41, 0x89, 0x45, 0x00}, 4, STORE_MOV, 4, 0, 0, 0, 0, 13, NONE, 1, 0,
     INSN_SEG_DS},
    {"mov %eax,-8(%rbp)", {0x89, 0x45, 0xf8}, 3, STORE_MOV, 4, 0, 0, 0, 0, 5, NONE, 1, -8,
     INSN_SEG_SS},
    {"mov %eax,0x0(,%r12,1)", {0x42, 0x89, 0x04, 0x25, 0, 0, 0, 0}, 8, STORE_MOV, 4, 0, 0, 0, 0,
     NONE, 12, 1, 0, INSN_SEG_DS},
    {"mov %rax,%fs:(%rdi)", {0x64, 0x48, 0x89, 0x07}, 4, STORE_MOV, 8, 0, 0, 0, 0, 7, NONE, 1, 0,
     INSN_SEG_FS},
    {"mov %ax,%ds:(%rdi) (ds ignored)", {0x3e, 0x66, 0x89, 0x07}, 4, STORE_MOV, 2, 0, 0, 0, 0, 7,
     NONE, 1, 0, INSN_SEG_DS},
    {"rex.w 66 mov: REX cancelled", {0x48, 0x66, 0x89, 0x07}, 4, STORE_MOV, 2, 0, 0, 0, 0, 7, NONE,
     1, 0, INSN_SEG_DS},
    {"xchg %rax,(%rdi)", {0x48, 0x87, 0x07}, 3, STORE_XCHG, 8, 0, 0, 0, 0, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"xchg %dl,(%rdi)", {0x86, 0x17}, 2, STORE_XCHG, 1, 2, 0, 0, 0, 7, NONE, 1, 0, INSN_SEG_DS},
    {"lock xchg %rax,(%rdi)", {0xf0, 0x48, 0x87, 0x07}, 4, STORE_XCHG, 8, 0, 0, 1, 0, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"lock cmpxchg %rdx,(%rdi)", {0xf0, 0x48, 0x0f, 0xb1, 0x17}, 5, STORE_CMPXCHG, 8, 2, 0, 1, 0, 7,
     NONE, 1, 0, INSN_SEG_DS},
    {"cmpxchg %rdx,(%rdi)", {0x48, 0x0f, 0xb1, 0x17}, 4, STORE_CMPXCHG, 8, 2, 0, 0, 0, 7, NONE, 1,
     0, INSN_SEG_DS},
    {"cmpxchg %edx,(%rdi)", {0x0f, 0xb1, 0x17}, 3, STORE_CMPXCHG, 4, 2, 0, 0, 0, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"cmpxchg %bh,(%rdi)", {0x0f, 0xb0, 0x3f}, 3, STORE_CMPXCHG, 1, 3, 1, 0, 0, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"lock andb $0xfd,(%rdi)", {0xf0, 0x80, 0x27, 0xfd}, 4, STORE_AND, 1, NONE, 0, 1, ~2ULL, 7,
     NONE, 1, 0, INSN_SEG_DS},
    {"lock orb $2,(%rdi)", {0xf0, 0x80, 0x0f, 0x02}, 4, STORE_OR, 1, NONE, 0, 1, 2, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"xorb $1,(%rdi)", {0x80, 0x37, 0x01}, 3, STORE_XOR, 1, NONE, 0, 0, 1, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"orq $1,(%rdi)", {0x48, 0x83, 0x0f, 0x01}, 4, STORE_OR, 8, NONE, 0, 0, 1, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"andq $-0x1001,(%rdi)", {0x48, 0x81, 0x27, 0xff, 0xef, 0xff, 0xff}, 7, STORE_AND, 8, NONE, 0,
     0, ~0x1000ULL, 7, NONE, 1, 0, INSN_SEG_DS},
    {"andw $0xfffd,(%rdi)", {0x66, 0x81, 0x27, 0xfd, 0xff}, 5, STORE_AND, 2, NONE, 0, 0, ~2ULL, 7,
     NONE, 1, 0, INSN_SEG_DS},
    {"or %rax,(%rdi)", {0x48, 0x09, 0x07}, 3, STORE_OR, 8, 0, 0, 0, 0, 7, NONE, 1, 0, INSN_SEG_DS},
    {"and %al,(%rdi)", {0x20, 0x07}, 2, STORE_AND, 1, 0, 0, 0, 0, 7, NONE, 1, 0, INSN_SEG_DS},
    {"xor %rax,(%rdi)", {0x48, 0x31, 0x07}, 3, STORE_XOR, 8, 0, 0, 0, 0, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"lock btrq $1,(%rdi)", {0xf0, 0x48, 0x0f, 0xba, 0x37, 0x01}, 6, STORE_BTR, 8, NONE, 0, 1, 1, 7,
     NONE, 1, 0, INSN_SEG_DS},
    {"lock btsq $5,(%rdi)", {0xf0, 0x48, 0x0f, 0xba, 0x2f, 0x05}, 6, STORE_BTS, 8, NONE, 0, 1, 5, 7,
     NONE, 1, 0, INSN_SEG_DS},
    {"btcl $3,(%rdi)", {0x0f, 0xba, 0x3f, 0x03}, 4, STORE_BTC, 4, NONE, 0, 0, 3, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"lock btr %rax,(%rdi)", {0xf0, 0x48, 0x0f, 0xb3, 0x07}, 5, STORE_BTR, 8, 0, 0, 1, 0, 7, NONE,
     1, 0, INSN_SEG_DS},
    {"bts %rcx,(%rdi)", {0x48, 0x0f, 0xab, 0x0f}, 4, STORE_BTS, 8, 1, 0, 0, 0, 7, NONE, 1, 0,
     INSN_SEG_DS},
    {"btc %ecx,(%rdi)", {0x0f, 0xbb, 0x0f}, 3, STORE_BTC, 4, 1, 0, 0, 0, 7, NONE, 1, 0,
     INSN_SEG_DS},
};
/* clang-format on */

START_TEST(test_decode_forms)
{
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        const struct decode_case *c = &good[i];
        struct store_insn si;

        ck_assert_msg(decode(c->bytes, c->len, &si) == 0, "%s", c->text);
        ck_assert_msg(si.op == c->op, "%s: op %s", c->text, store_op_name(si.op));
        ck_assert_msg(si.length == c->len, "%s: length %u", c->text, si.length);
        ck_assert_msg(si.size == c->size, "%s: size %u", c->text, si.size);
        ck_assert_msg(si.reg == c->reg, "%s: reg %u", c->text, si.reg);
        ck_assert_msg(si.reg_high == c->reg_high, "%s: reg_high", c->text);
        ck_assert_msg(si.lock == c->lock, "%s: lock", c->text);
        if (c->reg == NONE)
            ck_assert_msg(si.imm == c->imm, "%s: imm %#llx", c->text, (unsigned long long)si.imm);
        ck_assert_msg(si.mem.base == c->base, "%s: base %u", c->text, si.mem.base);
        ck_assert_msg(si.mem.index == c->index, "%s: index %u", c->text, si.mem.index);
        ck_assert_msg(si.mem.scale == c->scale, "%s: scale %u", c->text, si.mem.scale);
        ck_assert_msg(si.mem.disp == c->disp, "%s: disp %d", c->text, si.mem.disp);
        ck_assert_msg(si.mem.seg == c->seg, "%s: seg %u", c->text, si.mem.seg);

        /* Every proper prefix of the instruction is a start that needs more bytes. */
        for (size_t n = 0; n < c->len; n++)
            ck_assert_msg(decode(c->bytes, n, &si) == -ENODATA, "%s: %zu bytes", c->text, n);
        /* Trailing bytes are not read into the instruction. */
        uint8_t longer[32];
        memcpy(longer, c->bytes, c->len);
        memset(longer + c->len, 0x90, sizeof(longer) - c->len);
        ck_assert_msg(decode(longer, sizeof(longer), &si) == 0 && si.length == c->len, "%s",
                      c->text);
    }
}
END_TEST

static const struct {
    const char *text;
    uint8_t bytes[16];
    uint8_t len;
} bad[] = {
    {"lock mov", {0xf0, 0x48, 0x89, 0x07}, 4},
    {"lock movq imm", {0xf0, 0x48, 0xc7, 0x07, 0, 0, 0, 0}, 8},
    {"mov to a register", {0x48, 0x89, 0xc7}, 3},
    {"xchg of registers", {0x48, 0x87, 0xc7}, 3},
    {"cmpxchg to a register", {0x0f, 0xb1, 0xc7}, 3},
    {"67 prefix", {0x67, 0x89, 0x07}, 3},
    {"rep prefix", {0xf3, 0x48, 0x89, 0x07}, 4},
    {"xacquire lock cmpxchg", {0xf2, 0xf0, 0x0f, 0xb1, 0x17}, 5},
    {"add", {0x48, 0x01, 0x07}, 3},
    {"sub", {0x48, 0x29, 0x07}, 3},
    {"a load", {0x48, 0x8b, 0x07}, 3},
    {"bt (reads only)", {0x0f, 0xba, 0x27, 0x01}, 4},
    {"bt reg (reads only)", {0x0f, 0xa3, 0x07}, 3},
    {"addb imm", {0x80, 0x07, 0x01}, 3},
    {"cmpq imm", {0x48, 0x83, 0x3f, 0x01}, 4},
    {"c6 /1", {0xc6, 0x0f, 0x00}, 3},
    {"c7 /1", {0xc7, 0x0f, 0, 0, 0, 0}, 6},
    {"0f 0b", {0x0f, 0x0b}, 2},
    {"inc", {0x48, 0xff, 0x07}, 3},
    {"push", {0xff, 0x37}, 2},
    {"movnti", {0x48, 0x0f, 0xc3, 0x07}, 4},
    {"cmpxchg16b", {0xf0, 0x48, 0x0f, 0xc7, 0x0f}, 5},
};

START_TEST(test_decode_refusals)
{
    struct store_insn si;

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        ck_assert_msg(decode(bad[i].bytes, bad[i].len, &si) == -EINVAL, "%s", bad[i].text);

    /* The 15-byte limit: 13 prefixes + mov %eax,(%rdi) is 15 bytes, 14 + it is 16. */
    uint8_t b[20];
    memset(b, 0x66, sizeof(b));
    b[13] = 0x89, b[14] = 0x07;
    ck_assert_int_eq(decode(b, 15, &si), 0);
    ck_assert_uint_eq(si.length, 15);
    memset(b, 0x66, sizeof(b));
    b[14] = 0x89, b[15] = 0x07;
    ck_assert_int_eq(decode(b, 16, &si), -EINVAL);
    ck_assert_int_eq(decode(b, 20, &si), -EINVAL);
    /* ...whether or not the 16th byte could be read. */
    ck_assert_int_eq(decode(b, 15, &si), -EINVAL);
    ck_assert_int_eq(decode(NULL, 0, &si), -ENODATA);
    ck_assert_str_eq(store_op_name(STORE_CMPXCHG), "cmpxchg");
    ck_assert_str_eq(store_op_name(STORE_OP_COUNT), "?");
}
END_TEST

/* ---- Semantics ---- */

/* Decode @bytes (which must decode) into one of a few static slots, used in turn. */
static const struct store_insn *insn_of(const uint8_t *bytes, size_t len)
{
    static struct store_insn slots[4];
    static unsigned int next;
    struct store_insn *si = &slots[next++ % ARRAY_SIZE(slots)];

    ck_assert_int_eq(decode(bytes, len, si), 0);
    return si;
}

#define INSN(...) insn_of((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

START_TEST(test_apply_mov_xchg)
{
    struct cpu_regs r = {.rax = 0x1122334455667788ULL, .rdx = 0xaabbccddeeff0011ULL};
    uint64_t n;

    ck_assert(store_apply(INSN(0x48, 0x89, 0x07), &r, 5, 0, &n));
    ck_assert_uint_eq(n, 0x1122334455667788ULL);
    ck_assert(store_apply(INSN(0x89, 0x07), &r, 5, 0, &n));
    ck_assert_uint_eq(n, 0x55667788);
    ck_assert(store_apply(INSN(0x88, 0x27), &r, 5, 0, &n)); /* %ah */
    ck_assert_uint_eq(n, 0x77);
    ck_assert(store_apply(INSN(0x48, 0xc7, 0x07, 0xfe, 0xff, 0xff, 0xff), &r, 5, 0, &n));
    ck_assert_uint_eq(n, ~1ULL);
    ck_assert(store_apply(INSN(0xc7, 0x07, 0xfe, 0xff, 0xff, 0xff), &r, 5, 0, &n));
    ck_assert_uint_eq(n, 0xfffffffe);

    /* xchg: 64-bit, 32-bit (zero-extends rdx), 8-bit high (keeps the rest). */
    struct cpu_regs x = r;
    ck_assert(store_apply(INSN(0x48, 0x87, 0x17), &x, 0x1234, 0, &n));
    ck_assert_uint_eq(n, r.rdx);
    ck_assert_uint_eq(x.rdx, 0x1234);
    x = r;
    ck_assert(store_apply(INSN(0x87, 0x17), &x, 0xfedcba98, 0, &n));
    ck_assert_uint_eq(n, 0xeeff0011);
    ck_assert_uint_eq(x.rdx, 0xfedcba98);
    x = r;
    ck_assert(store_apply(INSN(0x86, 0x37), &x, 0x5a, 0, &n)); /* xchg %dh,(%rdi) */
    ck_assert_uint_eq(n, 0x00);
    ck_assert_uint_eq(x.rdx, 0xaabbccddeeff5a11ULL);
    ck_assert_uint_eq(x.rflags, r.rflags);
}
END_TEST

START_TEST(test_apply_cmpxchg)
{
    struct cpu_regs r = {.rax = 0x1000, .rdx = 0x2000, .rflags = 0x202};
    uint64_t n = 0;

    /* Match: stores rdx, ZF set, rax unchanged, CF/SF/OF clear, PF set (0 has even parity). */
    ck_assert(store_apply(INSN(0x48, 0x0f, 0xb1, 0x17), &r, 0x1000, 0, &n));
    ck_assert_uint_eq(n, 0x2000);
    ck_assert_uint_eq(r.rax, 0x1000);
    ck_assert_uint_eq(r.rflags, 0x202 | RFLAGS_ZF | RFLAGS_PF);

    /* Mismatch: no store, rax loaded, flags of 0x1000 - 0x3000 (borrow, negative). */
    ck_assert(!store_apply(INSN(0x48, 0x0f, 0xb1, 0x17), &r, 0x3000, 0, &n));
    ck_assert_uint_eq(r.rax, 0x3000);
    ck_assert(r.rflags & RFLAGS_CF);
    ck_assert(r.rflags & RFLAGS_SF);
    ck_assert(!(r.rflags & (RFLAGS_ZF | RFLAGS_OF)));
    ck_assert(r.rflags & 0x200); /* IF untouched */

    /* 32-bit: compares the low half; a mismatch zero-extends rax. */
    r.rax = 0xffffffff00000005ULL;
    ck_assert(store_apply(INSN(0x0f, 0xb1, 0x17), &r, 5, 0, &n));
    ck_assert_uint_eq(n, 0x2000);
    ck_assert_uint_eq(r.rax, 0xffffffff00000005ULL);
    ck_assert(!store_apply(INSN(0x0f, 0xb1, 0x17), &r, 0x80000000, 0, &n));
    ck_assert_uint_eq(r.rax, 0x80000000);
    /* 5 - 0x80000000 at 32 bits: borrow, and a signed overflow (positive - negative). */
    ck_assert(r.rflags & RFLAGS_CF);
    ck_assert(r.rflags & RFLAGS_OF);

    /* AF: a borrow from bit 4. */
    r.rax = 0x10;
    ck_assert(!store_apply(INSN(0x48, 0x0f, 0xb1, 0x17), &r, 0x01, 0, &n));
    ck_assert(r.rflags & RFLAGS_AF);
}
END_TEST

START_TEST(test_apply_logic_and_bits)
{
    struct cpu_regs r = {.rflags = 0x202 | RFLAGS_CF | RFLAGS_OF | RFLAGS_AF};
    uint64_t n = 0;

    ck_assert(store_apply(INSN(0xf0, 0x80, 0x27, 0xfd), &r, 0x67, 0, &n)); /* andb $~2 */
    ck_assert_uint_eq(n, 0x65);
    ck_assert_uint_eq(r.rflags, 0x202 | RFLAGS_PF); /* CF, OF, AF cleared; 0x65: 4 bits set */
    ck_assert(store_apply(INSN(0x80, 0x0f, 0x80), &r, 0x01, 0, &n)); /* orb $0x80 */
    ck_assert_uint_eq(n, 0x81);
    ck_assert_uint_eq(r.rflags, 0x202 | RFLAGS_SF | RFLAGS_PF);
    ck_assert(store_apply(INSN(0x48, 0x31, 0x07), &r, 0x1234, 0, &n)); /* xor %rax: rax 0 */
    ck_assert_uint_eq(n, 0x1234);
    r.rax = 0x1234;
    ck_assert(store_apply(INSN(0x48, 0x31, 0x07), &r, 0x1234, 0, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert(r.rflags & RFLAGS_ZF);

    /* bts/btr/btc: CF is the old bit; nothing else changes. */
    r.rflags = 0x202 | RFLAGS_ZF;
    ck_assert(store_apply(INSN(0x48, 0x0f, 0xba, 0x37, 0x01), &r, 0x67, 1, &n));
    ck_assert_uint_eq(n, 0x65);
    ck_assert_uint_eq(r.rflags, 0x202 | RFLAGS_ZF | RFLAGS_CF);
    ck_assert(store_apply(INSN(0x48, 0x0f, 0xba, 0x2f, 0x3f), &r, 0x67, 63, &n));
    ck_assert_uint_eq(n, 0x8000000000000067ULL);
    ck_assert_uint_eq(r.rflags, 0x202 | RFLAGS_ZF);
    ck_assert(store_apply(INSN(0x0f, 0xba, 0x3f, 0x00), &r, 0x1, 0, &n)); /* btcl $0 */
    ck_assert_uint_eq(n, 0);
    ck_assert(r.rflags & RFLAGS_CF);
}
END_TEST

START_TEST(test_address)
{
    struct cpu_regs r = {.rax = 3, .rdi = 0x10000, .r12 = 0x20, .rcx = 0x45};
    struct store_insn si;
    uint64_t a;
    unsigned int bit;

    si = *INSN(0x48, 0x89, 0x47, 0xf8); /* mov %rax,-8(%rdi) */
    ck_assert(store_address(&si, &r, 0x5000, &a, &bit));
    ck_assert_uint_eq(a, 0xfff8);
    si = *INSN(0x4c, 0x89, 0x04, 0xc5, 0x00, 0x10, 0x00, 0x00); /* 0x1000(,%rax,8) */
    ck_assert(store_address(&si, &r, 0x5000, &a, &bit));
    ck_assert_uint_eq(a, 0x1018);
    si = *INSN(0x42, 0x89, 0x04, 0x27); /* (%rdi,%r12,1) */
    ck_assert(store_address(&si, &r, 0x5000, &a, &bit));
    ck_assert_uint_eq(a, 0x10020);
    si = *INSN(0x48, 0x89, 0x05, 0x10, 0, 0, 0); /* 0x10(%rip): from the next instruction */
    ck_assert(store_address(&si, &r, 0x5000, &a, &bit));
    ck_assert_uint_eq(a, 0x5000 + 7 + 0x10);
    si = *INSN(0x64, 0x48, 0x89, 0x07); /* %fs: not emulated */
    ck_assert(!store_address(&si, &r, 0x5000, &a, &bit));

    /* Bit offsets: immediate modulo the size; a register one picks the unit. */
    si = *INSN(0x48, 0x0f, 0xba, 0x37, 0x41); /* btrq $65 */
    ck_assert(store_address(&si, &r, 0, &a, &bit));
    ck_assert_uint_eq(a, 0x10000);
    ck_assert_uint_eq(bit, 1);
    si = *INSN(0x48, 0x0f, 0xab, 0x0f); /* bts %rcx,(%rdi), rcx = 0x45 */
    ck_assert(store_address(&si, &r, 0, &a, &bit));
    ck_assert_uint_eq(a, 0x10008);
    ck_assert_uint_eq(bit, 5);
    r.rcx = (uint64_t)-1;
    ck_assert(store_address(&si, &r, 0, &a, &bit));
    ck_assert_uint_eq(a, 0x10000 - 8);
    ck_assert_uint_eq(bit, 63);
    si = *INSN(0x0f, 0xbb, 0x0f); /* btc %ecx: 32-bit units, offset -1 */
    ck_assert(store_address(&si, &r, 0, &a, &bit));
    ck_assert_uint_eq(a, 0x10000 - 4);
    ck_assert_uint_eq(bit, 31);
}
END_TEST

/* ---- The fault path ---- */

/*
 * The guest's tables: L4 -> L3 -> L2 -> L1 map VA_BASE.. with
 *   slot 0: the L1 itself, read-only (VA_L1)     slot 1: the L2, read-only (VA_L2)
 *   slot 2: a data frame, writable (VA_DATA)     slot 3: the L1 writable? never (refused)
 * and the write target is slot TSLOT of the L1, at VA_L1 + 8 * TSLOT.
 */
#define VA_BASE 0x400000UL /* L4 0, L3 0, L2 2, L1 0.. */
#define VA_L1   (VA_BASE + 0 * 4096)
#define VA_L2   (VA_BASE + 1 * 4096)
#define VA_DATA (VA_BASE + 2 * 4096)
#define TSLOT   16
#define TADDR   (VA_L1 + 8 * TSLOT)

#define P_RW (PT_PRESENT | PT_RW | PT_ACCESSED | PT_DIRTY)
#define P_RO (PT_PRESENT | PT_ACCESSED)
#define EC_W (PFEC_PRESENT | PFEC_WRITE | PFEC_USER)

static mfn_t l4, l3, l2, l1, data, data2, foreign;
static struct domain *d;
static struct vcpu *v;

static mfn_t new_frame(struct domain *owner)
{
    mfn_t m = next_free++;

    ck_assert_uint_lt(m, NFRAMES);
    frames[m] = (struct page_info){.count_info = PGC_allocated | 1, .owner = owner->domain_id};
    owner->tot_pages++;
    return m;
}

static uint64_t pte(mfn_t mfn, uint64_t flags)
{
    return ((uint64_t)mfn << PAGE_SHIFT) | flags;
}

static uint64_t refs(mfn_t m)
{
    return frames[m].count_info & PGC_count_mask;
}

static uint32_t trefs(mfn_t m)
{
    return frames[m].type_info & PGT_count_mask;
}

static void setup(void)
{
    memset(frames, 0, sizeof(frames));
    memset(mem, 0, sizeof(mem));
    memset(dom, 0, sizeof(dom));
    memset(vcpus, 0, sizeof(vcpus));
    memset(code, 0x90, sizeof(code));
    memset(&ptwr_counters, 0, sizeof(ptwr_counters));
    for (mfn_t m = 0; m < NFRAMES; m++)
        frames[m].owner = DOMID_XEN;
    for (domid_t i = 1; i <= 2; i++) {
        dom[i].domain_id = i;
        dom[i].vcpu[0] = &vcpus[i];
        vcpus[i].domain = &dom[i];
        vcpus[i].kernel_mode = true;
    }
    d = &dom[1];
    v = &vcpus[1];
    current = v;
    next_free = MFN_FIRST_DOM;
    next_page_mapped = false;
    fetches = 0;

    l4 = new_frame(d), l3 = new_frame(d), l2 = new_frame(d), l1 = new_frame(d);
    data = new_frame(d), data2 = new_frame(d);
    foreign = new_frame(&dom[2]);
    mem[l4][0] = pte(l3, P_RW);
    mem[l3][0] = pte(l2, P_RW);
    mem[l2][2] = pte(l1, P_RW);
    mem[l1][0] = pte(l1, P_RO);
    mem[l1][1] = pte(l2, P_RO);
    mem[l1][2] = pte(data, P_RW);
    ck_assert_int_eq(pin_page_table(d, l4, 4), 0);
    ck_assert_int_eq(vcpu_set_guest_table(v, l4), 0);
    d->vm_assist = 1UL << VMASST_TYPE_writable_pagetables;
}

/* Fault on a store at @cr2 whose instruction is @bytes, with registers @r. */
static bool fault(const uint8_t *bytes, size_t len, uint64_t cr2, uint32_t ec, struct cpu_regs *r)
{
    memcpy(code, bytes, len);
    r->rip = CODE_VA;
    return ptwr_page_fault(v, r, cr2, ec);
}

#define FAULT(cr2, ec, r, ...)                                                                     \
    fault((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), cr2, ec, r)

START_TEST(test_fault_mov_installs_validated_entry)
{
    struct cpu_regs r = {.rdi = TADDR, .rax = pte(data2, P_RW), .rflags = 0x202};
    struct cpu_regs before = r;

    ck_assert_uint_eq(refs(data2), 1);
    ck_assert(FAULT(TADDR, EC_W, &r, 0x48, 0x89, 0x07)); /* mov %rax,(%rdi) */
    /* Written as validation adjusts it (Xen's adjust_guest_l1e), and referenced. */
    ck_assert_uint_eq(mem[l1][TSLOT], pte(data2, P_RW) | PT_USER | PT_GUEST_KERNEL);
    ck_assert_uint_eq(refs(data2), 2);
    ck_assert_uint_eq(trefs(data2), 1);
    ck_assert_uint_eq(frames[data2].type_info & PGT_type_mask, PGT_writable_page);
    /* Only rip moved, by the instruction's length. */
    before.rip = CODE_VA + 3;
    ck_assert_mem_eq(&r, &before, sizeof(r));
    ck_assert_uint_eq(ptwr_counters.emulated, 1);
    ck_assert_uint_eq(ptwr_counters.by_op[STORE_MOV], 1);
    ck_assert_uint_eq(ptwr_counters.partial, 0);

    /* movq $0: unmap; the references go. */
    r.rip = 0;
    ck_assert(FAULT(TADDR, EC_W, &r, 0x48, 0xc7, 0x07, 0, 0, 0, 0));
    ck_assert_uint_eq(mem[l1][TSLOT], 0);
    ck_assert_uint_eq(refs(data2), 1);
    ck_assert_uint_eq(trefs(data2), 0);
    ck_assert_uint_eq(r.rip, CODE_VA + 7);
}
END_TEST

START_TEST(test_fault_partial_writes_merge)
{
    struct cpu_regs r = {.rdi = TADDR, .rax = pte(data2, P_RO)};

    ck_assert(FAULT(TADDR, EC_W, &r, 0x48, 0x89, 0x07));
    uint64_t e = mem[l1][TSLOT];

    /* mov %eax,4(%rdi) into the high half: set NX; the low half stays. */
    r.rax = (uint32_t)(e >> 32) | 0x80000000u;
    ck_assert(FAULT(TADDR + 4, EC_W, &r, 0x89, 0x47, 0x04));
    ck_assert_uint_eq(mem[l1][TSLOT], e | PT_NX);
    ck_assert_uint_eq(refs(data2), 2); /* same frame: the reference carries over */
    /* mov %ax,(%rdi): the low 16 bits: make it writable. */
    r.rax = (uint16_t)(e | PT_RW);
    ck_assert(FAULT(TADDR, EC_W, &r, 0x66, 0x89, 0x07));
    ck_assert_uint_eq(mem[l1][TSLOT], e | PT_NX | PT_RW);
    ck_assert_uint_eq(trefs(data2), 1);
    /* lock andb $~2,(%rdi): the low byte: read-only again. */
    ck_assert(FAULT(TADDR, EC_W, &r, 0xf0, 0x80, 0x27, 0xfd));
    ck_assert_uint_eq(mem[l1][TSLOT], e | PT_NX);
    ck_assert_uint_eq(trefs(data2), 0);
    /* Byte 1 holds flag bits 8-11 and frame bits 0-3: the merged entry is what gets
       validated, so switching to a foreign frame is refused and to its own one allowed. */
    ck_assert_uint_eq(data2 >> 4, foreign >> 4);
    ck_assert_uint_eq(data2 >> 4, data >> 4);
    r.rax = (uint8_t)(((e >> 8) & 0x0f) | ((foreign & 0xf) << 4));
    ck_assert(!FAULT(TADDR + 1, EC_W, &r, 0x88, 0x47, 0x01)); /* mov %al,1(%rdi) */
    ck_assert_uint_eq(mem[l1][TSLOT], e | PT_NX);
    r.rax = (uint8_t)(((e >> 8) & 0x0f) | ((data & 0xf) << 4));
    ck_assert(FAULT(TADDR + 1, EC_W, &r, 0x88, 0x47, 0x01));
    ck_assert_uint_eq(mem[l1][TSLOT], (e & ~PT_ADDR_MASK) | pte(data, PT_NX));
    ck_assert_uint_eq(refs(data2), 1);
    ck_assert_uint_eq(refs(data), 3); /* allocation, its RW mapping, this one */
    ck_assert_uint_eq(ptwr_counters.partial, 4);
    ck_assert_uint_eq(ptwr_counters.refused[PTWR_VALIDATION], 1);
}
END_TEST

START_TEST(test_fault_xchg_cmpxchg)
{
    struct cpu_regs r = {.rdi = TADDR, .rax = pte(data2, P_RO)};

    /* xchg: the old entry (0) comes back. */
    ck_assert(FAULT(TADDR, EC_W, &r, 0x48, 0x87, 0x07));
    uint64_t e = mem[l1][TSLOT];
    ck_assert_uint_eq(r.rax, 0);
    ck_assert_uint_eq(e, pte(data2, P_RO) | PT_USER | PT_GUEST_KERNEL);

    /* lock cmpxchg %rdx,(%rdi) with a stale rax: no store, rax = entry, ZF clear. */
    r.rax = 0;
    r.rdx = 0;
    r.rflags = RFLAGS_ZF;
    ck_assert(FAULT(TADDR, EC_W, &r, 0xf0, 0x48, 0x0f, 0xb1, 0x17));
    ck_assert_uint_eq(mem[l1][TSLOT], e);
    ck_assert_uint_eq(r.rax, e);
    ck_assert(!(r.rflags & RFLAGS_ZF));
    ck_assert_uint_eq(r.rip, CODE_VA + 5);
    ck_assert_uint_eq(ptwr_counters.cmpxchg_failed, 1);

    /* The same with an invalid new entry: still no fault (nothing stored, nothing checked). */
    r.rax = 0;
    r.rdx = pte(foreign, P_RO);
    ck_assert(FAULT(TADDR, EC_W, &r, 0xf0, 0x48, 0x0f, 0xb1, 0x17));
    ck_assert_uint_eq(mem[l1][TSLOT], e);

    /* A match stores (validated): ZF set; an invalid new entry on a match is refused. */
    r.rax = e;
    r.rdx = 0;
    ck_assert(FAULT(TADDR, EC_W, &r, 0x48, 0x0f, 0xb1, 0x17));
    ck_assert_uint_eq(mem[l1][TSLOT], 0);
    ck_assert(r.rflags & RFLAGS_ZF);
    ck_assert_uint_eq(refs(data2), 1);
    r.rax = 0;
    r.rdx = pte(foreign, P_RO);
    ck_assert(!FAULT(TADDR, EC_W, &r, 0x48, 0x0f, 0xb1, 0x17));
    ck_assert_uint_eq(r.rax, 0);
    ck_assert_uint_eq(mem[l1][TSLOT], 0);

    /* lock btrq $1 on a writable entry: CF = 1, read-only now. */
    r.rax = pte(data2, P_RW);
    ck_assert(FAULT(TADDR, EC_W, &r, 0x48, 0x89, 0x07));
    r.rflags = 0;
    ck_assert(FAULT(TADDR, EC_W, &r, 0xf0, 0x48, 0x0f, 0xba, 0x37, 0x01));
    ck_assert(r.rflags & RFLAGS_CF);
    ck_assert(!(mem[l1][TSLOT] & PT_RW));
    ck_assert_uint_eq(trefs(data2), 0);
    ck_assert_uint_eq(ptwr_counters.by_op[STORE_BTR], 1);
}
END_TEST

START_TEST(test_fault_validation_refusals)
{
    struct cpu_regs r = {.rdi = TADDR}, before;
    const uint64_t invalid[] = {
        pte(foreign, P_RO),        /* another domain's frame */
        pte(1, P_RO),              /* the hypervisor's */
        pte(l1, P_RW),             /* its own page table, writable */
        pte(data2, P_RW | PT_PCD), /* cache attributes without I/O resources */
        pte(NFRAMES + 5, P_RO),    /* MMIO without permission */
    };

    for (size_t i = 0; i < ARRAY_SIZE(invalid); i++) {
        r.rax = invalid[i];
        before = r;
        ck_assert_msg(!FAULT(TADDR, EC_W, &r, 0x48, 0x89, 0x07), "case %zu", i);
        before.rip = r.rip; /* set by fault() */
        ck_assert_mem_eq(&r, &before, sizeof(r));
        ck_assert_uint_eq(mem[l1][TSLOT], 0);
    }
    ck_assert_uint_eq(ptwr_counters.refused[PTWR_VALIDATION], ARRAY_SIZE(invalid));
    ck_assert_uint_eq(ptwr_counters.emulated, 0);
    ck_assert_uint_eq(refs(l1), 3); /* pin/CR3 path (L2 entry), its own RO mapping, nothing else */
}
END_TEST

START_TEST(test_fault_conditions)
{
    struct cpu_regs r = {.rdi = TADDR, .rax = pte(data2, P_RO)};

    /* The assist off: refused for a domU... */
    d->vm_assist = 0;
    ck_assert(!FAULT(TADDR, EC_W, &r, 0x48, 0x89, 0x07));
    ck_assert_uint_eq(ptwr_counters.refused[PTWR_NOT_ENABLED], 1);
    /* ...but the hardware domain gets it anyway (Xen 4.17's read-only MMIO path). */
    d->is_privileged = true;
    ck_assert(FAULT(TADDR, EC_W, &r, 0x48, 0x89, 0x07));
    d->is_privileged = false;
    d->vm_assist = 1UL << VMASST_TYPE_writable_pagetables;

    /* Guest user mode. */
    v->kernel_mode = false;
    ck_assert(!FAULT(TADDR, EC_W, &r, 0x48, 0x89, 0x07));
    v->kernel_mode = true;

    /* Error codes: not present, a read, reserved bit, instruction fetch. */
    ck_assert(!FAULT(TADDR, PFEC_WRITE, &r, 0x48, 0x89, 0x07));
    ck_assert(!FAULT(TADDR, PFEC_PRESENT, &r, 0x48, 0x89, 0x07));
    ck_assert(!FAULT(TADDR, EC_W | PFEC_RESERVED, &r, 0x48, 0x89, 0x07));
    ck_assert(!FAULT(TADDR, EC_W | PFEC_INSN_FETCH, &r, 0x48, 0x89, 0x07));
    ck_assert_uint_eq(ptwr_counters.refused[PTWR_NOT_ENABLED], 6);
    ck_assert_uint_eq(fetches, 1); /* only the privileged case read the instruction */

    /* Not a read-only mapping of an L1: the L2 (read-only), a writable data page, unmapped
       addresses, no page tables at all. */
    r.rdi = VA_L2;
    ck_assert(!FAULT(VA_L2, EC_W, &r, 0x48, 0x89, 0x07));
    r.rdi = VA_DATA;
    ck_assert(!FAULT(VA_DATA, EC_W, &r, 0x48, 0x89, 0x07));
    ck_assert(!FAULT(VA_BASE + 5 * 4096, EC_W, &r, 0x48, 0x89, 0x07));
    ck_assert(!FAULT(0x7f0000000000UL, EC_W, &r, 0x48, 0x89, 0x07));
    paddr_t gt = v->guest_table;
    v->guest_table = 0;
    ck_assert(!FAULT(TADDR, EC_W, &r, 0x48, 0x89, 0x07));
    v->guest_table = gt;
    /* The hypervisor's range and non-canonical addresses are never walked, even where the
       guest's L4 slot looks like a read-only mapping of one of its L1s. */
    mem[l4][256] = mem[l4][0];
    mem[l4][300] = mem[l4][0];
    ck_assert(!FAULT(0xffff800000000000UL + TADDR, EC_W, &r, 0x48, 0x89, 0x07));
    ck_assert(!FAULT(0x0000800000000000UL + TADDR, EC_W, &r, 0x48, 0x89, 0x07));
    r.rdi = 0xffff960000000000UL + TADDR; /* slot 300: an alias of slot 0, emulated */
    ck_assert(FAULT(r.rdi, EC_W, &r, 0x48, 0x89, 0x07));
    mem[l4][256] = mem[l4][300] = 0;
    ck_assert_uint_eq(ptwr_counters.refused[PTWR_NOT_L1], 7);
    /* An L1 entry to a superpage-looking L2 entry: not walked. */
    mem[l2][3] = pte(data, P_RO | PT_PSE);
    ck_assert(!FAULT(VA_BASE + (1UL << 21), EC_W, &r, 0x48, 0x89, 0x07));
    mem[l2][3] = 0;
    /* A frame mapped read-only that is not (or no longer) a validated L1. */
    mem[l1][4] = pte(data, P_RO); /* written behind the type system's back: a test shortcut */
    ck_assert(!FAULT(VA_BASE + 4 * 4096, EC_W, &r, 0x48, 0x89, 0x07));
    mem[l1][4] = 0;
    ck_assert_uint_eq(fetches, 2);
    ck_assert_uint_eq(mem[l1][TSLOT], pte(data2, P_RO) | PT_USER | PT_GUEST_KERNEL);
}
END_TEST

START_TEST(test_fault_instruction_refusals)
{
    struct cpu_regs r = {.rdi = TADDR, .rax = 0};

    /* Not a store form: add, a load, lock mov. */
    ck_assert(!FAULT(TADDR, EC_W, &r, 0x48, 0x01, 0x07));
    ck_assert(!FAULT(TADDR, EC_W, &r, 0x48, 0x8b, 0x07));
    ck_assert(!FAULT(TADDR, EC_W, &r, 0xf0, 0x48, 0x89, 0x07));
    ck_assert_uint_eq(ptwr_counters.refused[PTWR_DECODE], 3);

    /* The address: misaligned, straddling two entries, another page than CR2, FS. */
    r.rdi = TADDR + 4;
    ck_assert(!FAULT(TADDR + 4, EC_W, &r, 0x48, 0x89, 0x07));
    r.rdi = TADDR + 2;
    ck_assert(!FAULT(TADDR + 2, EC_W, &r, 0x89, 0x07));
    r.rdi = VA_DATA + 8;
    ck_assert(!FAULT(TADDR, EC_W, &r, 0x48, 0x89, 0x07));
    r.rdi = TADDR;
    ck_assert(!FAULT(TADDR, EC_W, &r, 0x64, 0x48, 0x89, 0x07));
    ck_assert_uint_eq(ptwr_counters.refused[PTWR_ADDRESS], 4);
    /* A store that ends in the page where CR2 points but starts in the page before it (a
       page-crossing write reports the second page): its address is not CR2's page. */
    r.rdi = VA_L1 - 4;
    ck_assert(!FAULT(VA_L1, EC_W, &r, 0x48, 0x89, 0x07));

    /* Fetch: rip in an unmapped page; an instruction cut by the end of the mapped code. */
    r.rdi = TADDR;
    r.rip = CODE_VA - 4096;
    ck_assert(!ptwr_page_fault(v, &r, TADDR, EC_W));
    ck_assert_uint_eq(ptwr_counters.refused[PTWR_FETCH], 1);
    memcpy(code + 4096 - 2, (const uint8_t[]){0x48, 0x89, 0x07}, 3);
    r.rip = CODE_VA + 4096 - 2;
    r.rax = pte(data2, P_RO);
    ck_assert(!ptwr_page_fault(v, &r, TADDR, EC_W));
    ck_assert_uint_eq(ptwr_counters.refused[PTWR_DECODE], 4);
    next_page_mapped = true;
    ck_assert(ptwr_page_fault(v, &r, TADDR, EC_W));
    ck_assert_uint_eq(r.rip, CODE_VA + 4096 + 1);
    ck_assert_uint_eq(mem[l1][TSLOT], pte(data2, P_RO) | PT_USER | PT_GUEST_KERNEL);
    ck_assert_uint_eq(mem[l1][0], pte(l1, P_RO) | PT_USER | PT_GUEST_KERNEL);
}
END_TEST

START_TEST(test_counters_line)
{
    char buf[256], small[16];

    ptwr_counters = (struct ptwr_counters){
        .emulated = 12,
        .by_op = {[STORE_MOV] = 5, [STORE_XCHG] = 4, [STORE_CMPXCHG] = 3},
        .cmpxchg_failed = 1,
        .refused = {[PTWR_NOT_L1] = 7, [PTWR_VALIDATION] = 2},
    };
    const char *want = "emulated 12 (mov 5 xchg 4 cmpxchg 3), partial 0, cmpxchg misses 1; "
                       "refused: off 0, not-l1 7, fetch 0, decode 0, address 0, validation 2";
    ck_assert_int_eq(ptwr_format_counters(buf, sizeof(buf)), (int)strlen(want));
    ck_assert_str_eq(buf, want);
    /* Truncated, still terminated, same length reported. */
    ck_assert_int_eq(ptwr_format_counters(small, sizeof(small)), (int)strlen(want));
    ck_assert_str_eq(small, "emulated 12 (mo");
    ck_assert_int_eq(ptwr_format_counters(small, 1), (int)strlen(want));
    ck_assert_str_eq(small, "");
    ptwr_counters = (struct ptwr_counters){0};
    ck_assert_int_eq(ptwr_format_counters(buf, sizeof(buf)), (int)strlen(buf));
    ck_assert_str_eq(buf, "emulated 0 (), partial 0, cmpxchg misses 0; refused: off 0, "
                          "not-l1 0, fetch 0, decode 0, address 0, validation 0");
}
END_TEST

static Suite *ptwr_suite(void)
{
    Suite *s = suite_create("ptwr");
    TCase *tc = tcase_create("decode");

    tcase_add_test(tc, test_decode_forms);
    tcase_add_test(tc, test_decode_refusals);
    suite_add_tcase(s, tc);

    tc = tcase_create("semantics");
    tcase_add_test(tc, test_apply_mov_xchg);
    tcase_add_test(tc, test_apply_cmpxchg);
    tcase_add_test(tc, test_apply_logic_and_bits);
    tcase_add_test(tc, test_address);
    tcase_add_test(tc, test_counters_line);
    suite_add_tcase(s, tc);

    tc = tcase_create("fault");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_fault_mov_installs_validated_entry);
    tcase_add_test(tc, test_fault_partial_writes_merge);
    tcase_add_test(tc, test_fault_xchg_cmpxchg);
    tcase_add_test(tc, test_fault_validation_refusals);
    tcase_add_test(tc, test_fault_conditions);
    tcase_add_test(tc, test_fault_instruction_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ptwr_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

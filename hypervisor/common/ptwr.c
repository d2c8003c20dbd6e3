/*
 * The writable page-table assist: a guest kernel's store into one of its read-only L1 page
 * tables, decoded, validated and performed. The rules and their sources are at the top of
 * <mica/ptwr.h>; docs/abi-ptwr.md describes the path and where mica differs from Xen.
 */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/insn_store.h>
#include <mica/page_types.h>
#include <mica/printf.h>
#include <mica/ptwr.h>
#include <xen/xen.h>

struct ptwr_counters ptwr_counters;

/* ---- Registers and flags ---- */

/* Offsets of the GPRs, in their encoding order, in struct cpu_regs. */
static const uint8_t gpr_offset[16] = {
    __builtin_offsetof(struct cpu_regs, rax), __builtin_offsetof(struct cpu_regs, rcx),
    __builtin_offsetof(struct cpu_regs, rdx), __builtin_offsetof(struct cpu_regs, rbx),
    __builtin_offsetof(struct cpu_regs, rsp), __builtin_offsetof(struct cpu_regs, rbp),
    __builtin_offsetof(struct cpu_regs, rsi), __builtin_offsetof(struct cpu_regs, rdi),
    __builtin_offsetof(struct cpu_regs, r8),  __builtin_offsetof(struct cpu_regs, r9),
    __builtin_offsetof(struct cpu_regs, r10), __builtin_offsetof(struct cpu_regs, r11),
    __builtin_offsetof(struct cpu_regs, r12), __builtin_offsetof(struct cpu_regs, r13),
    __builtin_offsetof(struct cpu_regs, r14), __builtin_offsetof(struct cpu_regs, r15),
};

static uint64_t *gpr(struct cpu_regs *regs, unsigned int n)
{
    return (uint64_t *)((char *)regs + gpr_offset[n & 15]);
}

static uint64_t gpr_value(const struct cpu_regs *regs, unsigned int n)
{
    return *(const uint64_t *)((const char *)regs + gpr_offset[n & 15]);
}

static uint64_t size_mask(unsigned int size)
{
    return size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* The register operand of @si, @size bytes, zero-extended. */
static uint64_t read_reg(const struct cpu_regs *regs, const struct store_insn *si)
{
    uint64_t v = gpr_value(regs, si->reg);

    return (si->reg_high ? v >> 8 : v) & size_mask(si->size);
}

/*
 * Write @size bytes of @val to register @n as the CPU does in 64-bit mode: 8- and 16-bit
 * writes keep the other bits, a 32-bit write zero-extends (SDM vol. 1 3.4.1.1).
 */
static void write_reg(struct cpu_regs *regs, unsigned int n, bool high, unsigned int size,
                      uint64_t val)
{
    uint64_t *p = gpr(regs, n);

    switch (size) {
    case 1:
        if (high)
            *p = (*p & ~0xff00ULL) | ((val & 0xff) << 8);
        else
            *p = (*p & ~0xffULL) | (val & 0xff);
        break;
    case 2:
        *p = (*p & ~0xffffULL) | (val & 0xffff);
        break;
    case 4:
        *p = (uint32_t)val;
        break;
    default:
        *p = val;
    }
}

/* PF, ZF and SF of a @size-byte result. */
static uint64_t result_flags(uint64_t res, unsigned int size)
{
    uint64_t f = 0;
    unsigned int low = (unsigned int)(res & 0xff);

    low ^= low >> 4;
    low ^= low >> 2;
    low ^= low >> 1;
    if (!(low & 1))
        f |= RFLAGS_PF; /* even number of set bits in the low byte */
    if (!(res & size_mask(size)))
        f |= RFLAGS_ZF;
    if (res & (1ULL << (8 * size - 1)))
        f |= RFLAGS_SF;
    return f;
}

/* The arithmetic flags of CMP @a, @b at @size bytes (CMPXCHG compares as CMP acc, m). */
static uint64_t cmp_flags(uint64_t a, uint64_t b, unsigned int size)
{
    uint64_t res = (a - b) & size_mask(size);
    uint64_t f = result_flags(res, size);

    if (a < b)
        f |= RFLAGS_CF;
    if (((a ^ b) & (a ^ res)) >> (8 * size - 1) & 1)
        f |= RFLAGS_OF;
    if ((a ^ b ^ res) & 0x10)
        f |= RFLAGS_AF;
    return f;
}

static void set_flags(struct cpu_regs *regs, uint64_t which, uint64_t val)
{
    regs->rflags = (regs->rflags & ~which) | (val & which);
}

bool store_apply(const struct store_insn *si, struct cpu_regs *regs, uint64_t old,
                 unsigned int bit_shift, uint64_t *result)
{
    uint64_t mask = size_mask(si->size);
    uint64_t src = si->reg != INSN_REG_NONE ? read_reg(regs, si) : si->imm & mask;
    uint64_t bit = 1ULL << (bit_shift & 63), res;

    old &= mask;
    switch (si->op) {
    case STORE_MOV:
        *result = src;
        return true;
    case STORE_XCHG:
        *result = src;
        write_reg(regs, si->reg, si->reg_high, si->size, old);
        return true;
    case STORE_CMPXCHG: {
        uint64_t acc = regs->rax & mask;

        set_flags(regs, RFLAGS_ARITH, cmp_flags(acc, old, si->size));
        if (acc == old) {
            *result = src;
            return true;
        }
        write_reg(regs, 0, false, si->size, old); /* the accumulator gets the value seen */
        return false;
    }
    case STORE_OR:
    case STORE_AND:
    case STORE_XOR:
        res = si->op == STORE_OR ? old | src : si->op == STORE_AND ? old & src : old ^ src;
        /* OF and CF cleared; AF is undefined, and cleared as the CPUs we know do. */
        set_flags(regs, RFLAGS_ARITH, result_flags(res, si->size));
        *result = res & mask;
        return true;
    case STORE_BTS:
    case STORE_BTR:
    case STORE_BTC:
        /* CF is the old bit; OF, SF, AF, PF are undefined and left as they were. */
        set_flags(regs, RFLAGS_CF, (old & bit) ? RFLAGS_CF : 0);
        res = si->op == STORE_BTS ? old | bit : si->op == STORE_BTR ? old & ~bit : old ^ bit;
        *result = res & mask;
        return true;
    default:
        return false;
    }
}

bool store_address(const struct store_insn *si, const struct cpu_regs *regs, uint64_t rip,
                   uint64_t *addr, unsigned int *bit_shift)
{
    const struct insn_mem *m = &si->mem;
    uint64_t ea = (uint64_t)(int64_t)m->disp;
    unsigned int bits = 8u * si->size;

    if (m->seg == INSN_SEG_FS || m->seg == INSN_SEG_GS)
        return false;
    if (m->base == INSN_REG_RIP)
        ea += rip + si->length;
    else if (m->base != INSN_REG_NONE)
        ea += gpr_value(regs, m->base);
    if (m->index != INSN_REG_NONE)
        ea += gpr_value(regs, m->index) * m->scale;

    *bit_shift = 0;
    if (si->op == STORE_BTS || si->op == STORE_BTR || si->op == STORE_BTC) {
        if (si->reg == INSN_REG_NONE) {
            *bit_shift = (unsigned int)(si->imm & (bits - 1));
        } else {
            /* A register bit offset is signed, at operand size, and may leave the operand:
               the operand-sized unit it falls in is the one accessed. */
            uint64_t raw = gpr_value(regs, si->reg) & size_mask(si->size);
            int64_t off = (int64_t)(raw << (64 - bits)) >> (64 - bits);
            int64_t unit = off >> (si->size == 2 ? 4 : si->size == 4 ? 5 : 6);

            ea += (uint64_t)(unit * (int64_t)si->size);
            *bit_shift = (unsigned int)(off & (bits - 1));
        }
    }
    *addr = ea;
    return true;
}

/* ---- The fault ---- */

/*
 * The L1 entry that maps @va in @v's kernel page tables, as the hardware walk finds it (Xen's
 * guest_get_eff_kern_l1e). False if an upper level is not present or is a superpage.
 */
static bool guest_l1e(const struct vcpu *v, uint64_t va, uint64_t *l1e)
{
    mfn_t mfn = (mfn_t)(v->guest_table >> PAGE_SHIFT);
    uint64_t e = 0;

    if (!v->guest_table)
        return false;
    for (unsigned int level = 4; level >= 1; level--) {
        if (!mfn_valid(mfn))
            return false;
        e = ((const uint64_t *)map_frame(mfn))[pt_index(va, level)];
        if (level > 1 && (e & (PT_PRESENT | PT_PSE)) != PT_PRESENT)
            return false;
        mfn = pte_mfn(e);
    }
    *l1e = e;
    return true;
}

/*
 * Read the instruction at @rip: up to INSN_MAX_LENGTH bytes, as many as are mapped (the
 * instruction may end just before an unmapped page). Returns the number of bytes read.
 */
static size_t fetch_insn(uint64_t rip, uint8_t *buf)
{
    size_t first = MIN((size_t)INSN_MAX_LENGTH, PAGE_SIZE - (rip & (PAGE_SIZE - 1)));

    if (copy_from_guest(buf, rip, first))
        return 0;
    if (first < INSN_MAX_LENGTH &&
        !copy_from_guest(buf + first, rip + first, INSN_MAX_LENGTH - first))
        return INSN_MAX_LENGTH;
    return first;
}

/*
 * Emulate the store at regs->rip into L1 table @l1 of @d, which faulted at @cr2. Returns
 * PTWR_REFUSAL_COUNT when it was performed (regs updated), or why not (nothing changed).
 */
static enum ptwr_refusal emulate(struct domain *d, struct cpu_regs *regs, uint64_t cr2, mfn_t l1)
{
    uint8_t bytes[INSN_MAX_LENGTH];
    struct cpu_regs out = *regs;
    struct store_insn si;
    unsigned int shift, slot, bit_shift;
    uint64_t addr, *table, pte, val, mask;
    size_t avail = fetch_insn(regs->rip, bytes);

    if (!avail)
        return PTWR_FETCH;
    if (insn_decode_store(bytes, avail, &si))
        return PTWR_DECODE;
    /* The store Xen's emulator would make: in the faulting page, naturally aligned. */
    if (!store_address(&si, regs, regs->rip, &addr, &bit_shift) || ((addr ^ cr2) & PAGE_MASK) ||
        (addr & (si.size - 1)))
        return PTWR_ADDRESS;

    slot = (unsigned int)(addr & (PAGE_SIZE - 1)) / 8;
    shift = 8 * (unsigned int)(addr & 7);
    mask = size_mask(si.size) << shift;
    table = map_frame(l1);
    pte = table[slot];

    /* A CMPXCHG whose comparison fails stores nothing, so nothing is validated (Xen's
       emulator compares before it calls the ptwr cmpxchg hook). */
    if (store_apply(&si, &out, (pte & mask) >> shift, bit_shift, &val)) {
        val = (pte & ~mask) | ((val << shift) & mask);
        if (mod_pt_entry(d, l1, slot, val))
            return PTWR_VALIDATION;
    } else {
        ptwr_counters.cmpxchg_failed++;
    }

    out.rip += si.length;
    *regs = out;
    ptwr_counters.emulated++;
    ptwr_counters.by_op[si.op]++;
    if (si.size != 8)
        ptwr_counters.partial++;
    return PTWR_REFUSAL_COUNT;
}

bool ptwr_page_fault(struct vcpu *v, struct cpu_regs *regs, uint64_t cr2, uint32_t error_code)
{
    const uint32_t ec_mask = PFEC_PRESENT | PFEC_WRITE | PFEC_RESERVED | PFEC_INSN_FETCH;
    struct domain *d = v->domain;
    const struct page_info *pg;
    enum ptwr_refusal why;
    uint64_t l1e;
    mfn_t l1;

    /*
     * Xen's fixup_page_fault(): guest kernel mode, a write to a present page, and the assist
     * enabled -- or the hardware domain, for which Xen 4.17 always tries (its read-only MMIO
     * path, taken for any write fault of the hardware domain, falls back to the page-table
     * one whatever the assist says).
     */
    if (!((d->vm_assist & (1UL << VMASST_TYPE_writable_pagetables)) || d->is_privileged) ||
        !v->kernel_mode || (error_code & ec_mask) != (PFEC_PRESENT | PFEC_WRITE)) {
        ptwr_counters.refused[PTWR_NOT_ENABLED]++;
        return false;
    }
    /* A read-only mapping of a validated L1 table of this domain (Xen's ptwr_do_page_fault;
       its page_lock() also demands PGT_validated and a type reference). */
    if ((cr2 >= PT_GUEST_VA_LOW_END && cr2 < PT_GUEST_VA_HIGH_START) || /* Xen: hypervisor's */
        !guest_l1e(v, cr2, &l1e) || (l1e & (PT_PRESENT | PT_RW)) != PT_PRESENT ||
        !get_page(l1 = pte_mfn(l1e), d)) {
        ptwr_counters.refused[PTWR_NOT_L1]++;
        return false;
    }
    pg = mfn_to_page(l1);
    if ((pg->type_info & PGT_type_mask) != PGT_l1_page_table || !(pg->type_info & PGT_validated) ||
        !(pg->type_info & PGT_count_mask))
        why = PTWR_NOT_L1;
    else
        why = emulate(d, regs, cr2, l1);
    put_page(l1);
    if (why == PTWR_REFUSAL_COUNT)
        return true;
    ptwr_counters.refused[why]++;
    return false;
}

int ptwr_format_counters(char *buf, size_t size)
{
    static const char *const refusal[PTWR_REFUSAL_COUNT] = {
        [PTWR_NOT_ENABLED] = "off", [PTWR_NOT_L1] = "not-l1",   [PTWR_FETCH] = "fetch",
        [PTWR_DECODE] = "decode",   [PTWR_ADDRESS] = "address", [PTWR_VALIDATION] = "validation",
    };
    const struct ptwr_counters *c = &ptwr_counters;
    const char *sep = "";
    size_t n;
    int len;

    /* Each step appends at n = MIN(len, size): snprintf() keeps counting past the end. */
    len = snprintf(buf, size, "emulated %lu (", (unsigned long)c->emulated);
    for (unsigned int op = 0; op < STORE_OP_COUNT; op++) {
        if (!c->by_op[op])
            continue;
        n = MIN((size_t)len, size);
        len += snprintf(buf + n, size - n, "%s%s %lu", sep, store_op_name((enum store_op)op),
                        (unsigned long)c->by_op[op]);
        sep = " ";
    }
    n = MIN((size_t)len, size);
    len += snprintf(buf + n, size - n,
                    "), partial %lu, cmpxchg misses %lu; refused:", (unsigned long)c->partial,
                    (unsigned long)c->cmpxchg_failed);
    for (unsigned int r = 0; r < PTWR_REFUSAL_COUNT; r++) {
        n = MIN((size_t)len, size);
        len += snprintf(buf + n, size - n, "%s %s %lu", r ? "," : "", refusal[r],
                        (unsigned long)c->refused[r]);
    }
    return len;
}

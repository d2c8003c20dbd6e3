/*
 * sched_fsgs_fpu: per-vCPU CPU state survives a switch to another domain that uses the same
 * state (issue 4, "Tests": FS/GS bases and an FPU value surviving a switch). mica only: it
 * needs two domains (hypervisor option domu_copies=1 runs a copy of this kernel as d1).
 *
 * Each domain computes a tag of its own (dom0 or not, and the machine address of its
 * shared_info, which no two domains share), then
 *   - points its FS base and its kernel GS base (HYPERVISOR_set_segment_base, SEGBASE_FS and
 *     SEGBASE_GS_KERNEL) at two markers in an array whose slot depends on the tag, so the
 *     bases differ between domains even though both run the same image, and each marker
 *     holds {its own address, the tag, which base}. The guest reads them back through %fs
 *     and %gs (rdfsbase needs CR4.FSGSBASE, which mica does not set); a base that leaked
 *     from another domain points at a slot this domain left zero.
 *   - runs rounds. Each round, inside one asm statement, loads xmm0..xmm15 with values made
 *     of the tag, the round and the register number, pushes two doubles on the x87 stack,
 *     and sets an x87 control word and an MXCSR (rounding modes) of its own; then either
 *     yields (SCHEDOP_yield: the other domain runs) or spins on rdtsc until it sees a gap
 *     of at least SPIN_SLICE_CYCLES between two readings (the timer preempted it and
 *     another domain spun through its time slice meanwhile) or SPIN_CAP_CYCLES have
 *     passed; then reads everything back and compares, along with the FS and GS markers.
 *     A spin round also counts the gaps of at least SPIN_GAP_CYCLES (shorter ones: another
 *     domain that only yielded, or the host descheduling QEMU).
 * It prints one line per round,
 *     "fsgs-fpu: round N yield|spin ... intact"  or  "fsgs-fpu: round N ... FAIL: <what>"
 * and at the end "fsgs-fpu: all N rounds intact" or "fsgs-fpu: FAIL: K of N rounds corrupted".
 * dom0 runs twice as many rounds as the other domains, so that they finish first (their
 * return from main shuts them down), then powers the machine off.
 *
 * The TSC thresholds assume a TSC of 0.5 to 5 GHz (QEMU's TCG uses the host's TSC); a 10 ms
 * slice is then 5-50 M cycles.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arch/hypercall.h>
#include <pvguest/boot.h>
#include <pvguest/xen.h>

#define ROUNDS_DOMU       60
#define ROUNDS_DOM0       (2 * ROUNDS_DOMU)
#define SPIN_GAP_CYCLES   2000000UL   /* 0.4-4 ms: far longer than a loop step or a tick */
#define SPIN_SLICE_CYCLES 15000000UL  /* 3-30 ms: most of a 10 ms slice at 1.5-5 GHz */
#define SPIN_CAP_CYCLES   400000000UL /* 80-800 ms */
#define MARKER_SLOTS      64
#define MARKER_MAGIC      0x6d61726b65722121UL /* "marker!!" */

/** What FS and GS point at: read through the segment as %fs:0, %fs:8, %fs:16. */
struct marker {
    uint64_t self;  /* its own address (the base the domain set) */
    uint64_t tag;   /* the domain's tag */
    uint64_t which; /* MARKER_MAGIC ^ SEGBASE_FS or SEGBASE_GS_KERNEL */
    uint64_t pad;
};

static struct marker markers[MARKER_SLOTS];

/** The data one round's asm statement reads and writes (offsets used by the asm). */
struct round_io {
    uint8_t xmm_in[16][16];
    uint8_t xmm_out[16][16];
    double x87_in[2];
    double x87_out[2];
    uint32_t mxcsr_in, mxcsr_out, mxcsr_saved;
    uint16_t fcw_in, fcw_out, fcw_saved;
    uint64_t yield;        /* in: 1 to yield, 0 to spin */
    uint64_t stub;         /* in: the sched_op stub in the hypercall page */
    uint64_t gap_cycles;   /* in */
    uint64_t slice_cycles; /* in */
    uint64_t cap_cycles;   /* in */
    uint64_t yield_rc;     /* out */
    uint64_t gaps;         /* out: gaps seen while spinning */
    uint64_t max_gap;      /* out: the longest, in TSC cycles */
    uint64_t spun;         /* out: TSC cycles spun */
    uint64_t seg[6];       /* out: %fs:0, %fs:8, %fs:16, %gs:0, %gs:8, %gs:16 */
};

#define OFFOP(f) [f] "i"(offsetof(struct round_io, f))

/*
 * One round: load the state, yield or spin, read the state back. Everything between the
 * load and the read-back is in this one asm statement, so the compiler cannot touch the
 * registers meanwhile; all vector registers and the x87 stack are declared clobbered.
 */
static void run_round(struct round_io *io)
{
    register struct round_io *p __asm__("r12") = io;

    __asm__ volatile("stmxcsr %c[mxcsr_saved](%%r12)\n\t"
                     "fnstcw %c[fcw_saved](%%r12)\n\t"
                     "ldmxcsr %c[mxcsr_in](%%r12)\n\t"
                     "fldcw %c[fcw_in](%%r12)\n\t"
                     "movdqu 0x00(%%r12), %%xmm0\n\t"
                     "movdqu 0x10(%%r12), %%xmm1\n\t"
                     "movdqu 0x20(%%r12), %%xmm2\n\t"
                     "movdqu 0x30(%%r12), %%xmm3\n\t"
                     "movdqu 0x40(%%r12), %%xmm4\n\t"
                     "movdqu 0x50(%%r12), %%xmm5\n\t"
                     "movdqu 0x60(%%r12), %%xmm6\n\t"
                     "movdqu 0x70(%%r12), %%xmm7\n\t"
                     "movdqu 0x80(%%r12), %%xmm8\n\t"
                     "movdqu 0x90(%%r12), %%xmm9\n\t"
                     "movdqu 0xa0(%%r12), %%xmm10\n\t"
                     "movdqu 0xb0(%%r12), %%xmm11\n\t"
                     "movdqu 0xc0(%%r12), %%xmm12\n\t"
                     "movdqu 0xd0(%%r12), %%xmm13\n\t"
                     "movdqu 0xe0(%%r12), %%xmm14\n\t"
                     "movdqu 0xf0(%%r12), %%xmm15\n\t"
                     "fldl %c[x87_in](%%r12)\n\t"
                     "fldl 8+%c[x87_in](%%r12)\n\t"
                     "cmpq $0, %c[yield](%%r12)\n\t"
                     "je 2f\n\t"
                     /* yield: sched_op(SCHEDOP_yield, NULL) through the hypercall page */
                     "mov %[yield_cmd], %%edi\n\t"
                     "xor %%esi, %%esi\n\t"
                     "call *%c[stub](%%r12)\n\t"
                     "mov %%rax, %c[yield_rc](%%r12)\n\t"
                     "jmp 5f\n"
                     /* spin: r8 start, r9 previous reading, r10 gaps, r11 longest gap */
                     "2:\n\t"
                     "rdtsc\n\t"
                     "shl $32, %%rdx\n\t"
                     "or %%rdx, %%rax\n\t"
                     "mov %%rax, %%r8\n\t"
                     "mov %%rax, %%r9\n\t"
                     "xor %%r10, %%r10\n\t"
                     "xor %%r11, %%r11\n"
                     "3:\n\t"
                     "rdtsc\n\t"
                     "shl $32, %%rdx\n\t"
                     "or %%rdx, %%rax\n\t"
                     "mov %%rax, %%rcx\n\t"
                     "sub %%r9, %%rcx\n\t"
                     "mov %%rax, %%r9\n\t"
                     "cmp %%r11, %%rcx\n\t"
                     "jbe 4f\n\t"
                     "mov %%rcx, %%r11\n"
                     "4:\n\t"
                     "cmp %c[gap_cycles](%%r12), %%rcx\n\t"
                     "jb 6f\n\t"
                     "inc %%r10\n\t"
                     "cmp %c[slice_cycles](%%r12), %%rcx\n\t"
                     "jae 7f\n"
                     "6:\n\t"
                     "mov %%rax, %%rcx\n\t"
                     "sub %%r8, %%rcx\n\t"
                     "cmp %c[cap_cycles](%%r12), %%rcx\n\t"
                     "jb 3b\n"
                     "7:\n\t"
                     "mov %%r10, %c[gaps](%%r12)\n\t"
                     "mov %%r11, %c[max_gap](%%r12)\n\t"
                     "sub %%r8, %%r9\n\t"
                     "mov %%r9, %c[spun](%%r12)\n"
                     "5:\n\t"
                     "movdqu %%xmm0, 0x100(%%r12)\n\t"
                     "movdqu %%xmm1, 0x110(%%r12)\n\t"
                     "movdqu %%xmm2, 0x120(%%r12)\n\t"
                     "movdqu %%xmm3, 0x130(%%r12)\n\t"
                     "movdqu %%xmm4, 0x140(%%r12)\n\t"
                     "movdqu %%xmm5, 0x150(%%r12)\n\t"
                     "movdqu %%xmm6, 0x160(%%r12)\n\t"
                     "movdqu %%xmm7, 0x170(%%r12)\n\t"
                     "movdqu %%xmm8, 0x180(%%r12)\n\t"
                     "movdqu %%xmm9, 0x190(%%r12)\n\t"
                     "movdqu %%xmm10, 0x1a0(%%r12)\n\t"
                     "movdqu %%xmm11, 0x1b0(%%r12)\n\t"
                     "movdqu %%xmm12, 0x1c0(%%r12)\n\t"
                     "movdqu %%xmm13, 0x1d0(%%r12)\n\t"
                     "movdqu %%xmm14, 0x1e0(%%r12)\n\t"
                     "movdqu %%xmm15, 0x1f0(%%r12)\n\t"
                     "fstpl 8+%c[x87_out](%%r12)\n\t"
                     "fstpl %c[x87_out](%%r12)\n\t"
                     "stmxcsr %c[mxcsr_out](%%r12)\n\t"
                     "fnstcw %c[fcw_out](%%r12)\n\t"
                     "ldmxcsr %c[mxcsr_saved](%%r12)\n\t"
                     "fldcw %c[fcw_saved](%%r12)\n\t"
                     "mov %%fs:0, %%rax\n\t"
                     "mov %%rax, 0+%c[seg](%%r12)\n\t"
                     "mov %%fs:8, %%rax\n\t"
                     "mov %%rax, 8+%c[seg](%%r12)\n\t"
                     "mov %%fs:16, %%rax\n\t"
                     "mov %%rax, 16+%c[seg](%%r12)\n\t"
                     "mov %%gs:0, %%rax\n\t"
                     "mov %%rax, 24+%c[seg](%%r12)\n\t"
                     "mov %%gs:8, %%rax\n\t"
                     "mov %%rax, 32+%c[seg](%%r12)\n\t"
                     "mov %%gs:16, %%rax\n\t"
                     "mov %%rax, 40+%c[seg](%%r12)\n\t"
                     : "+r"(p)
                     : OFFOP(mxcsr_saved), OFFOP(fcw_saved), OFFOP(mxcsr_in), OFFOP(fcw_in),
                       OFFOP(x87_in), OFFOP(yield), OFFOP(stub), OFFOP(yield_rc), OFFOP(gap_cycles),
                       OFFOP(slice_cycles), OFFOP(cap_cycles), OFFOP(gaps), OFFOP(max_gap),
                       OFFOP(spun), OFFOP(x87_out), OFFOP(mxcsr_out), OFFOP(fcw_out),
                       OFFOP(seg), [yield_cmd] "i"(SCHEDOP_yield)
                     : "memory", "cc", "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
                       "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st", "st(1)",
                       "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
}

_Static_assert(offsetof(struct round_io, xmm_out) == 0x100, "asm assumes xmm_out at 0x100");

static long set_segment_base(unsigned int which, unsigned long base)
{
    return hypercall2(__HYPERVISOR_set_segment_base, which, base);
}

/** Fill @io's inputs for round @round of the domain tagged @tag. */
static void prepare(struct round_io *io, uint64_t tag, unsigned int round, int dom0)
{
    memset(io, 0, sizeof(*io));
    for (unsigned int r = 0; r < 16; r++) {
        uint64_t lo = tag ^ ((uint64_t)r << 56) ^ ((uint64_t)round << 40);
        uint64_t hi = ~tag ^ ((uint64_t)round << 8) ^ r;
        memcpy(io->xmm_in[r], &lo, 8);
        memcpy(io->xmm_in[r] + 8, &hi, 8);
    }
    /* Exactly representable doubles that differ between domains and rounds. */
    io->x87_in[0] = (double)(tag & 0xffffff) * 1024.0 + round;
    io->x87_in[1] = -(double)round - 0.5 - (double)(tag & 0xfff);
    /* Rounding control differs: dom0 rounds down, the others up (SDM 8.1.5 and 10.2.3);
       dom0 also sets MXCSR.FZ, the others x87 double precision. Exceptions stay masked. */
    io->mxcsr_in = dom0 ? (0x1f80 | (1u << 13) | (1u << 15)) : (0x1f80 | (2u << 13));
    io->fcw_in = dom0 ? (0x037f | (1u << 10)) : (0x027f | (2u << 10));
    io->yield = (round % 4) != 3;
    io->stub = (uint64_t)(hypercall_page + __HYPERVISOR_sched_op * HYPERCALL_STUB_SIZE);
    io->gap_cycles = SPIN_GAP_CYCLES;
    io->slice_cycles = SPIN_SLICE_CYCLES;
    io->cap_cycles = SPIN_CAP_CYCLES;
}

/*
 * Compare what came back with what went in. Writes the first difference into @why and
 * returns 0 if all is intact, else the number of differences.
 */
static int verify(const struct round_io *io, const struct marker *fs, const struct marker *gs,
                  uint64_t tag, char *why, size_t len)
{
    const uint64_t want_seg[6] = {
        (uint64_t)fs, tag, MARKER_MAGIC ^ SEGBASE_FS,
        (uint64_t)gs, tag, MARKER_MAGIC ^ SEGBASE_GS_KERNEL,
    };
    static const char *const seg_names[6] = {"%fs:0", "%fs:8", "%fs:16",
                                             "%gs:0", "%gs:8", "%gs:16"};
    int bad = 0;

    why[0] = '\0';
#define NOTE(...)                                                                                  \
    do {                                                                                           \
        if (!bad++)                                                                                \
            snprintf(why, len, __VA_ARGS__);                                                       \
    } while (0)
    for (unsigned int i = 0; i < 6; i++) {
        if (io->seg[i] != want_seg[i])
            NOTE("%s = %#" PRIx64 ", want %#" PRIx64, seg_names[i], io->seg[i], want_seg[i]);
    }
    for (unsigned int r = 0; r < 16; r++) {
        if (memcmp(io->xmm_in[r], io->xmm_out[r], 16)) {
            uint64_t got[2], want[2];
            memcpy(got, io->xmm_out[r], 16);
            memcpy(want, io->xmm_in[r], 16);
            NOTE("xmm%u = %016" PRIx64 "%016" PRIx64 ", want %016" PRIx64 "%016" PRIx64, r, got[1],
                 got[0], want[1], want[0]);
        }
    }
    for (unsigned int i = 0; i < 2; i++) {
        if (memcmp(&io->x87_in[i], &io->x87_out[i], sizeof(double)))
            NOTE("x87 st(%u) = %a, want %a", 1 - i, io->x87_out[i], io->x87_in[i]);
    }
    if (io->mxcsr_out != io->mxcsr_in)
        NOTE("mxcsr = %#x, want %#x", io->mxcsr_out, io->mxcsr_in);
    if (io->fcw_out != io->fcw_in)
        NOTE("x87 control word = %#x, want %#x", io->fcw_out, io->fcw_in);
    if (io->yield && io->yield_rc != 0)
        NOTE("SCHEDOP_yield returned %ld", (long)io->yield_rc);
#undef NOTE
    return bad;
}

int main(void)
{
    const int dom0 = (start_info->flags & SIF_INITDOMAIN) != 0;
    const uint64_t tag =
        (dom0 ? 0xd0d0000000000000UL : 0xd1d1000000000000UL) ^ start_info->shared_info;
    const unsigned int rounds = dom0 ? ROUNDS_DOM0 : ROUNDS_DOMU;
    /* Slot pair 0 for dom0; another pair for every other domain, chosen by its tag. */
    const unsigned int slot =
        dom0 ? 0 : 2 * (1 + (unsigned int)((tag >> 12) % (MARKER_SLOTS / 2 - 1)));
    struct marker *fs = &markers[slot], *gs = &markers[slot + 1];
    static struct round_io io;
    unsigned int corrupted = 0, spins_preempted = 0, spins = 0;
    char why[160];
    long rc;

    *fs = (struct marker){(uint64_t)fs, tag, MARKER_MAGIC ^ SEGBASE_FS, 0};
    *gs = (struct marker){(uint64_t)gs, tag, MARKER_MAGIC ^ SEGBASE_GS_KERNEL, 0};
    printf("fsgs-fpu: %s, tag %#" PRIx64 ", fs base %p, kernel gs base %p, %u rounds\n",
           dom0 ? "dom0" : "domU", tag, (void *)fs, (void *)gs, rounds);
    rc = set_segment_base(SEGBASE_FS, (unsigned long)fs);
    if (rc == 0)
        rc = set_segment_base(SEGBASE_GS_KERNEL, (unsigned long)gs);
    if (rc) {
        printf("fsgs-fpu: FAIL: set_segment_base returned %ld\n", rc);
        return 1;
    }

    for (unsigned int round = 1; round <= rounds; round++) {
        prepare(&io, tag, round, dom0);
        run_round(&io);
        int bad = verify(&io, fs, gs, tag, why, sizeof(why));
        if (io.yield) {
            printf("fsgs-fpu: round %u yield %s%s\n", round, bad ? "FAIL: " : "intact",
                   bad ? why : "");
        } else {
            spins++;
            if (io.max_gap >= SPIN_SLICE_CYCLES)
                spins_preempted++;
            printf("fsgs-fpu: round %u spin: %s (longest gap %" PRIu64 " cycles, %" PRIu64
                   " gaps, spun %" PRIu64 ") %s%s\n",
                   round, io.max_gap >= SPIN_SLICE_CYCLES ? "preempted" : "not preempted",
                   io.max_gap, io.gaps, io.spun, bad ? "FAIL: " : "intact", bad ? why : "");
        }
        if (bad)
            corrupted++;
    }
    printf("fsgs-fpu: %u of %u spin rounds were preempted for a time slice\n", spins_preempted,
           spins);
    if (corrupted) {
        printf("fsgs-fpu: FAIL: %u of %u rounds corrupted\n", corrupted, rounds);
        return 1;
    }
    printf("fsgs-fpu: all %u rounds intact\n", rounds);
    return 0;
}

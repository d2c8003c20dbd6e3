/*
 * Unit tests for hypervisor/common/multicall.c: HYPERVISOR_multicall's batch walking and
 * results, and the continuation bookkeeping (guest frame, batch entries, preemption).
 *
 * multicall.c runs here over test doubles: a fake guest address space (one array of batch
 * entries at FG_LIST, everything else unmapped, optionally one entry read-only), a fake
 * dispatch whose handlers record their calls and can create continuations, a fake clock and
 * slice deadline behind hypercall_preempt_check(), and a fake guest frame. guest_call() plays
 * the guest and do_syscall: it enters the hypercall and, while the frame says the SYSCALL
 * was rewound, "resumes" the guest, which issues it again from the frame, exactly as the
 * real guest re-executes its `syscall` after a continuation.
 */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <arch/guest.h>
#include <arch/time.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <xen/sched.h>
#include <xen/xen.h>
#include "hv_unrename.h"

/* ---- Fake guest memory ------------------------------------------------------------------- */

#define FG_LIST     0x0000000000400000UL /* guest address of list[0] */
#define FG_NR       256                  /* entries mapped there; the next byte is unmapped */
#define ENTRY(i)    (FG_LIST + (uint64_t)(i) * sizeof(multicall_entry_t))
#define FG_HV       0xffff830000000000UL /* inside the hypervisor's range */
#define FG_NONCANON 0x0000800000000000UL
#define NO_RO       (-1)
#define SYSCALL_RIP 0x1000UL /* where the guest's syscall instruction is */

static multicall_entry_t list[FG_NR];
static int ro_entry = NO_RO;    /* an entry whose bytes cannot be written */
static unsigned long copies_to; /* copy_to_guest calls */

static void *guest_ptr(uint64_t addr, size_t len, bool write)
{
    if (addr < FG_LIST || addr + len > ENTRY(FG_NR) || addr + len < addr)
        return NULL;
    if (write && ro_entry != NO_RO && addr < ENTRY(ro_entry + 1) && addr + len > ENTRY(ro_entry))
        return NULL;
    return (char *)list + (addr - FG_LIST);
}

int copy_from_guest(void *dst, uint64_t src, size_t len)
{
    void *p = guest_ptr(src, len, false);
    if (!p)
        return -EFAULT;
    memcpy(dst, p, len);
    return 0;
}

int copy_to_guest(uint64_t dst, const void *src, size_t len)
{
    void *p = guest_ptr(dst, len, true);
    copies_to++;
    if (!p)
        return -EFAULT;
    memcpy(p, src, len);
    return 0;
}

/* ---- Fake clock, scheduler and guest frame ----------------------------------------------- */

static uint64_t fake_now;          /* now_ns() */
static uint64_t slice_end;         /* sched_slice_end_ns() */
static uint64_t ns_per_call;       /* the clock advances this much per dispatched call */
static uint64_t slice_len = ~0ULL; /* a resumed guest gets a new slice of this length */
static struct cpu_regs frame;      /* guest_cpu_regs() */
static jmp_buf sched_jmp;          /* schedule() and "never returning" handlers jump here */
static unsigned int schedules;

uint64_t now_ns(void)
{
    return fake_now;
}

uint64_t sched_slice_end_ns(void)
{
    return slice_end;
}

struct cpu_regs *guest_cpu_regs(void)
{
    return &frame;
}

void schedule(void)
{
    schedules++;
    longjmp(sched_jmp, 1);
}

/* ---- Fake dispatch ----------------------------------------------------------------------- */

/* Ops with behaviour in the fake dispatch (besides multicall, sched_op and iret). */
#define OP_ECHO  __HYPERVISOR_xen_version /* returns 1000 * a1 + a2 */
#define OP_LONG  __HYPERVISOR_mmu_update  /* a1 units of work, a2 done so far; see below */
#define OP_NORET __HYPERVISOR_console_io  /* never returns (as a domain crash would) */
#define OP_ARGS  __HYPERVISOR_vm_assist   /* returns the sum of a1..a5, each weighted */

#define LONG_STEP 3 /* OP_LONG does at most this many units per call */

struct call_rec {
    unsigned long op, args[6];
};
static struct call_rec calls[4096];
static unsigned int nr_calls_seen;

long hypercall_dispatch(unsigned long nr, const struct cpu_regs *regs)
{
    struct call_rec *r = &calls[nr_calls_seen++ % ARRAY_SIZE(calls)];
    unsigned long a1 = regs->rdi, a2 = regs->rsi, a3 = regs->rdx, a4 = regs->r10, a5 = regs->r8;

    *r = (struct call_rec){nr, {a1, a2, a3, a4, a5, regs->r9}};
    fake_now += ns_per_call;
    switch (nr) {
    case __HYPERVISOR_multicall:
        return do_multicall(a1, a2, a3, a4, a5);
    case OP_ECHO:
        return (long)(1000 * a1 + a2);
    case OP_ARGS:
        return (long)(a1 + 10 * a2 + 100 * a3 + 1000 * a4 + 10000 * a5);
    case OP_LONG: {
        /* A long hypercall: a1 units in all, a2 done; LONG_STEP units per call at most. */
        unsigned long done = a2 + LONG_STEP < a1 ? a2 + LONG_STEP : a1;
        if (done < a1)
            return hypercall_create_continuation(OP_LONG, a1, done);
        return (long)(7000 + a1);
    }
    case __HYPERVISOR_iret:
        return 0x77;
    case OP_NORET:
        longjmp(sched_jmp, 2);
    default:
        return -ENOSYS;
    }
}

/* ---- The guest and do_syscall ------------------------------------------------------------ */

/*
 * Issue hypercall @op from the guest as do_syscall would run it, then keep resuming the
 * guest while the frame holds a continuation (rip rewound onto the SYSCALL), at most
 * @max_rounds times. Each resumption starts a new time slice of slice_len ns (the scheduler
 * ran in between). Returns the guest's rax at the end; *rounds = hypercalls issued.
 */
static long guest_call(unsigned long op, unsigned long a1, unsigned long a2,
                       unsigned int max_rounds, unsigned int *rounds)
{
    unsigned int n = 0;

    memset(&frame, 0, sizeof(frame));
    frame.rax = op, frame.rdi = a1, frame.rsi = a2;
    frame.rdx = 0xd0d0, frame.r10 = 0x1010, frame.r8 = 0x8888;
    frame.rip = SYSCALL_RIP + 2; /* the SYSCALL has just executed */
    for (;;) {
        n++;
        hypercall_enter();
        long ret = hypercall_dispatch(frame.rax, &frame);
        if (!hypercall_preempted())
            frame.rax = (uint64_t)ret;
        if (frame.rip == SYSCALL_RIP + 2 || n >= max_rounds)
            break;
        ck_assert_uint_eq(frame.rip, SYSCALL_RIP); /* rewound exactly once */
        frame.rip = SYSCALL_RIP + 2;               /* the guest executes the SYSCALL again */
        if (slice_len != ~0ULL)
            slice_end = fake_now + slice_len;
    }
    if (rounds)
        *rounds = n;
    return (long)frame.rax;
}

static void set_entry(unsigned int i, unsigned long op, unsigned long a1, unsigned long a2)
{
    list[i] = (multicall_entry_t){.op = op, .result = 0xdead, .args = {a1, a2, 0, 0, 0, 0}};
}

static void fill_echo(unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        set_entry(i, OP_ECHO, i, 5);
}

static void setup(void)
{
    memset(list, 0, sizeof(list));
    ro_entry = NO_RO;
    copies_to = 0;
    fake_now = 0;
    slice_end = ~0ULL; /* no preemption unless a test asks */
    slice_len = ~0ULL;
    ns_per_call = 0;
    nr_calls_seen = 0;
    schedules = 0;
}

/* ---- Batches ----------------------------------------------------------------------------- */

START_TEST(test_empty_batch)
{
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 0, 1, NULL), 0);
    ck_assert_uint_eq(nr_calls_seen, 1); /* only the multicall itself */
    ck_assert_uint_eq(copies_to, 0);
    /* An empty batch at an unmapped but guest address succeeds; Xen looks at nothing else. */
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, 0x1234, 0, 1, NULL), 0);
}
END_TEST

START_TEST(test_bad_list_address)
{
    /* Xen's __addr_ok on the list's start, even for an empty batch. */
    const unsigned long bad[] = {FG_HV, FG_NONCANON, 0xffff800000000000UL, 0xffff87ffffffffc0UL};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, bad[i], 0, 1, NULL), -EFAULT);
        ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, bad[i], 1, 1, NULL), -EFAULT);
    }
    ck_assert_uint_eq(nr_calls_seen, 2 * ARRAY_SIZE(bad)); /* no entry ran */
    /* The lowest and highest guest addresses pass the start check; the copy then fails. */
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, 0, 1, 1, NULL), -EFAULT);
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, 0xffff880000000000UL, 1, 1, NULL), -EFAULT);
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, 0xffffffffffffffc0UL, 2, 1, NULL), -EFAULT);
}
END_TEST

START_TEST(test_results_in_order)
{
    fill_echo(20);
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 20, 1, NULL), 0);
    ck_assert_uint_eq(nr_calls_seen, 21);
    for (unsigned int i = 0; i < 20; i++) {
        ck_assert_uint_eq(list[i].result, 1000 * i + 5);
        ck_assert_uint_eq(calls[i + 1].op, OP_ECHO);
        ck_assert_uint_eq(calls[i + 1].args[0], i); /* in list order */
        /* Everything but the result is left as the guest wrote it. */
        ck_assert_uint_eq(list[i].op, OP_ECHO);
        ck_assert_uint_eq(list[i].args[1], 5);
    }
    ck_assert_uint_eq(list[20].result, 0);
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP + 2);
}
END_TEST

START_TEST(test_arguments_reach_handler)
{
    list[0] = (multicall_entry_t){.op = OP_ARGS, .args = {1, 2, 3, 4, 5, 6}};
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 1, 1, NULL), 0);
    ck_assert_uint_eq(list[0].result, 54321);
    ck_assert_uint_eq(calls[1].args[5], 6); /* args[5] is passed in r9 too, unused */
}
END_TEST

START_TEST(test_entry_failures_in_results)
{
    set_entry(0, 64, 0, 0);
    set_entry(1, ~0UL, 0, 0);
    set_entry(2, OP_ECHO, 1, 2);
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 3, 1, NULL), 0);
    ck_assert_int_eq((long)list[0].result, -ENOSYS);
    ck_assert_int_eq((long)list[1].result, -ENOSYS);
    ck_assert_uint_eq(list[2].result, 1002);
}
END_TEST

START_TEST(test_nested_refused)
{
    set_entry(0, OP_ECHO, 1, 0);
    set_entry(1, __HYPERVISOR_multicall, ENTRY(3), 1);
    set_entry(2, OP_ECHO, 2, 0);
    set_entry(3, OP_ECHO, 3, 0);
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 3, 1, NULL), 0);
    ck_assert_uint_eq(list[0].result, 1000);
    ck_assert_int_eq((long)list[1].result, -EINVAL);
    ck_assert_uint_eq(list[2].result, 2000);
    ck_assert_uint_eq(list[3].result, 0xdead); /* the inner batch never ran */
    ck_assert_uint_eq(nr_calls_seen, 4);       /* outer, three entries */
}
END_TEST

START_TEST(test_nr_calls_is_32_bits)
{
    fill_echo(4);
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, (1UL << 32) | 3, 1, NULL), 0);
    ck_assert_uint_eq(nr_calls_seen, 4);
    ck_assert_uint_eq(list[2].result, 2005);
    ck_assert_uint_eq(list[3].result, 0xdead);
}
END_TEST

START_TEST(test_list_runs_off_mapping)
{
    /* A huge count from a good start: entries run until the first one that cannot be read. */
    fill_echo(FG_NR);
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, ENTRY(FG_NR - 5), 0xffffffffUL, 1, NULL),
                     -EFAULT);
    ck_assert_uint_eq(nr_calls_seen, 6);
    for (unsigned int i = FG_NR - 5; i < FG_NR; i++)
        ck_assert_uint_eq(list[i].result, 1000 * i + 5);
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP + 2); /* no continuation after a fault */
}
END_TEST

START_TEST(test_result_write_fault_stops)
{
    fill_echo(6);
    ro_entry = 2;
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 6, 1, NULL), -EFAULT);
    ck_assert_uint_eq(nr_calls_seen, 4); /* entries 0, 1 and 2 ran; 3 did not */
    ck_assert_uint_eq(list[1].result, 1005);
    ck_assert_uint_eq(list[2].result, 0xdead);
    ck_assert_uint_eq(list[3].result, 0xdead);
}
END_TEST

START_TEST(test_iret_ends_batch)
{
    set_entry(0, OP_ECHO, 1, 0);
    set_entry(1, __HYPERVISOR_iret, 0, 0);
    set_entry(2, OP_ECHO, 2, 0);
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 3, 1, NULL), 0x77);
    ck_assert_uint_eq(list[1].result, 0x77);
    ck_assert_uint_eq(list[2].result, 0xdead);
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP + 2);
}
END_TEST

/* ---- Preemption and continuations -------------------------------------------------------- */

START_TEST(test_preempt_check)
{
    slice_end = 100;
    fake_now = 99;
    ck_assert(!hypercall_preempt_check());
    fake_now = 100;
    ck_assert(hypercall_preempt_check());
    fake_now = 1000;
    ck_assert(hypercall_preempt_check());
}
END_TEST

START_TEST(test_long_batch_continues)
{
    unsigned int rounds;
    const unsigned int n = 200;

    fill_echo(n);
    ns_per_call = 1;
    slice_len = 10;
    slice_end = 10;
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, n, 1000, &rounds), 0);
    /* Ten calls per slice, the multicall itself counted: nine entries per round. */
    ck_assert_uint_eq(rounds, (n + 8) / 9);
    ck_assert_uint_eq(nr_calls_seen, n + rounds); /* every entry ran exactly once */
    for (unsigned int i = 0; i < n; i++)
        ck_assert_uint_eq(list[i].result, 1000 * i + 5);
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP + 2);
}
END_TEST

START_TEST(test_continuation_frame)
{
    fill_echo(10);
    ns_per_call = 1;
    slice_end = 4; /* the multicall and entries 0-2 run; the check before entry 3 stops */
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 10, 1, NULL),
                     __HYPERVISOR_multicall);
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP);
    ck_assert_uint_eq(frame.rax, __HYPERVISOR_multicall);
    ck_assert_uint_eq(frame.rdi, ENTRY(3));
    ck_assert_uint_eq(frame.rsi, 7);
    /* Arguments the continuation does not name keep the guest's values. */
    ck_assert_uint_eq(frame.rdx, 0xd0d0);
    ck_assert_uint_eq(frame.r10, 0x1010);
    ck_assert_uint_eq(frame.r8, 0x8888);
    ck_assert_uint_eq(list[2].result, 2005);
    ck_assert_uint_eq(list[3].result, 0xdead);
}
END_TEST

START_TEST(test_always_progresses)
{
    unsigned int rounds;

    /* With the slice already over, each round still runs one entry. */
    fill_echo(25);
    fake_now = 50;
    slice_end = 10;
    slice_len = 0;
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 25, 1000, &rounds), 0);
    ck_assert_uint_eq(rounds, 25);
    for (unsigned int i = 0; i < 25; i++)
        ck_assert_uint_eq(list[i].result, 1000 * i + 5);
}
END_TEST

START_TEST(test_subcall_continuation)
{
    unsigned int rounds;

    set_entry(0, OP_ECHO, 1, 0);
    set_entry(1, OP_LONG, 10, 0); /* ten units, three per call: four calls */
    set_entry(2, OP_ECHO, 2, 0);
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 3, 1, NULL),
                     __HYPERVISOR_multicall);
    /* The batch resumes at the preempted entry, which carries its progress. */
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP);
    ck_assert_uint_eq(frame.rdi, ENTRY(1));
    ck_assert_uint_eq(frame.rsi, 2);
    ck_assert_uint_eq(list[0].result, 1000);
    ck_assert_uint_eq(list[1].op, OP_LONG);
    ck_assert_uint_eq(list[1].args[0], 10);
    ck_assert_uint_eq(list[1].args[1], 3);
    ck_assert_uint_eq(list[2].result, 0xdead);

    /* Run it to the end from the start. */
    setup();
    set_entry(0, OP_ECHO, 1, 0);
    set_entry(1, OP_LONG, 10, 0);
    set_entry(2, OP_ECHO, 2, 0);
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 3, 100, &rounds), 0);
    ck_assert_uint_eq(rounds, 4);
    ck_assert_uint_eq(list[1].result, 7010);
    ck_assert_uint_eq(list[1].args[1], 9); /* the last continuation's progress */
    ck_assert_uint_eq(list[2].result, 2000);
    ck_assert_uint_eq(nr_calls_seen, 4 + 1 + 4 + 1); /* multicalls, echo, long x4, echo */
}
END_TEST

START_TEST(test_subcall_continuation_write_fault)
{
    set_entry(0, OP_LONG, 10, 0);
    ro_entry = 0;
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 1, 10, NULL), -EFAULT);
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP + 2); /* continuation cancelled */
    ck_assert(!hypercall_preempted());
}
END_TEST

START_TEST(test_top_level_continuation)
{
    unsigned int rounds;

    /* A long hypercall on its own: the frame carries its progress from round to round. */
    ck_assert_int_eq(guest_call(OP_LONG, 10, 0, 1, NULL), OP_LONG);
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP);
    ck_assert_uint_eq(frame.rax, OP_LONG);
    ck_assert_uint_eq(frame.rdi, 10);
    ck_assert_uint_eq(frame.rsi, 3);
    ck_assert_uint_eq(frame.rdx, 0xd0d0);
    ck_assert_int_eq(guest_call(OP_LONG, 10, 0, 100, &rounds), 7010);
    ck_assert_uint_eq(rounds, 4);
}
END_TEST

START_TEST(test_create_and_cancel)
{
    memset(&frame, 0, sizeof(frame));
    frame.rip = SYSCALL_RIP + 2;
    frame.r8 = 0x88;
    hypercall_enter();
    ck_assert(!hypercall_preempted());
    ck_assert_int_eq(hypercall_create_continuation(5, 1, 2, 3, 4), 5);
    ck_assert(hypercall_preempted());
    ck_assert_uint_eq(frame.rax, 5);
    ck_assert_uint_eq(frame.rdi, 1);
    ck_assert_uint_eq(frame.rsi, 2);
    ck_assert_uint_eq(frame.rdx, 3);
    ck_assert_uint_eq(frame.r10, 4);
    ck_assert_uint_eq(frame.r8, 0x88);
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP);
    /* A second continuation updates the arguments but rewinds only once. */
    ck_assert_int_eq(hypercall_create_continuation(6, 9, 8, 7, 6, 5), 6);
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP);
    ck_assert_uint_eq(frame.rax, 6);
    ck_assert_uint_eq(frame.r8, 5);
    hypercall_cancel_continuation();
    ck_assert(!hypercall_preempted());
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP + 2);
    hypercall_cancel_continuation(); /* twice is harmless */
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP + 2);
    /* A new hypercall starts with no continuation. */
    ck_assert_int_eq(hypercall_create_continuation(7), 7);
    hypercall_enter();
    ck_assert(!hypercall_preempted());
}
END_TEST

/* ---- Sub-calls that do not return -------------------------------------------------------- */

START_TEST(test_yield_in_batch)
{
    set_entry(0, OP_ECHO, 1, 0);
    set_entry(1, __HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    set_entry(2, OP_ECHO, 2, 0);
    memset(&frame, 0, sizeof(frame));
    frame.rax = __HYPERVISOR_multicall, frame.rdi = FG_LIST, frame.rsi = 3;
    frame.rip = SYSCALL_RIP + 2;
    if (!setjmp(sched_jmp)) {
        hypercall_enter();
        hypercall_dispatch(frame.rax, &frame);
        ck_abort_msg("a yield in a batch returned instead of scheduling");
    }
    ck_assert_uint_eq(schedules, 1);
    ck_assert_uint_eq(list[1].result, 0);
    ck_assert_uint_eq(list[2].result, 0xdead);
    ck_assert_uint_eq(nr_calls_seen, 2); /* the yield itself is not dispatched */
    /* What the scheduler saves: a continuation for the rest of the batch. */
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP);
    ck_assert_uint_eq(frame.rax, __HYPERVISOR_multicall);
    ck_assert_uint_eq(frame.rdi, ENTRY(2));
    ck_assert_uint_eq(frame.rsi, 1);
    /* The guest resumes and finishes the batch. */
    frame.rip = SYSCALL_RIP + 2;
    ck_assert_int_eq(guest_call(frame.rax, frame.rdi, frame.rsi, 1, NULL), 0);
    ck_assert_uint_eq(list[2].result, 2000);
}
END_TEST

START_TEST(test_yield_ends_batch)
{
    set_entry(0, OP_ECHO, 1, 0);
    set_entry(1, __HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    memset(&frame, 0, sizeof(frame));
    frame.rax = __HYPERVISOR_multicall, frame.rdi = FG_LIST, frame.rsi = 2;
    frame.rip = SYSCALL_RIP + 2;
    if (!setjmp(sched_jmp)) {
        hypercall_enter();
        hypercall_dispatch(frame.rax, &frame);
        ck_abort_msg("a yield in a batch returned instead of scheduling");
    }
    ck_assert_uint_eq(schedules, 1);
    ck_assert_uint_eq(list[1].result, 0);
    /* The batch is complete: the guest sees multicall's result and goes on. */
    ck_assert_uint_eq(frame.rip, SYSCALL_RIP + 2);
    ck_assert_uint_eq(frame.rax, 0);
}
END_TEST

START_TEST(test_abandoned_batch_forgotten)
{
    /* A sub-call that never returns (its domain crashed) leaves the batch half done. */
    set_entry(0, OP_NORET, 0, 0);
    if (!setjmp(sched_jmp)) {
        guest_call(__HYPERVISOR_multicall, FG_LIST, 1, 1, NULL);
        ck_abort_msg("OP_NORET returned");
    }
    /* The next hypercall from any guest starts clean: a multicall is not "nested". */
    fill_echo(2);
    ck_assert_int_eq(guest_call(__HYPERVISOR_multicall, FG_LIST, 2, 1, NULL), 0);
    ck_assert_uint_eq(list[1].result, 1005);
}
END_TEST

static Suite *multicall_suite(void)
{
    Suite *s = suite_create("multicall");
    TCase *tc = tcase_create("multicall");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_empty_batch);
    tcase_add_test(tc, test_bad_list_address);
    tcase_add_test(tc, test_results_in_order);
    tcase_add_test(tc, test_arguments_reach_handler);
    tcase_add_test(tc, test_entry_failures_in_results);
    tcase_add_test(tc, test_nested_refused);
    tcase_add_test(tc, test_nr_calls_is_32_bits);
    tcase_add_test(tc, test_list_runs_off_mapping);
    tcase_add_test(tc, test_result_write_fault_stops);
    tcase_add_test(tc, test_iret_ends_batch);
    tcase_add_test(tc, test_preempt_check);
    tcase_add_test(tc, test_long_batch_continues);
    tcase_add_test(tc, test_continuation_frame);
    tcase_add_test(tc, test_always_progresses);
    tcase_add_test(tc, test_subcall_continuation);
    tcase_add_test(tc, test_subcall_continuation_write_fault);
    tcase_add_test(tc, test_top_level_continuation);
    tcase_add_test(tc, test_create_and_cancel);
    tcase_add_test(tc, test_yield_in_batch);
    tcase_add_test(tc, test_yield_ends_batch);
    tcase_add_test(tc, test_abandoned_batch_forgotten);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(multicall_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

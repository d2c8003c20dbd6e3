/*
 * HYPERVISOR_multicall (xen.h struct multicall_entry) and hypercall continuations.
 *
 * multicall runs a guest's batch of hypercalls through the ordinary dispatch and writes
 * each one's result into its entry. A long batch, like any long hypercall, stops when the
 * time slice is over and becomes a continuation: the guest frame is set up so that the
 * guest, once resumed, issues the hypercall again for what is left (the timer interrupt,
 * pending since the slice ended, is taken first and may run another domain). The rules are
 * those of Xen 4.17's xen/common/multicall.c and hypercall_create_continuation
 * (xen/arch/x86/hypercall.c); docs/abi.md, "Batching and continuations", tells the story.
 *
 * mica has one physical CPU and hypercalls run with interrupts off, so the state of the one
 * hypercall in progress is a single static record; hypercall_enter() resets it on every
 * entry from a guest, which also forgets a batch whose sub-call never returned (a domain
 * that shut down in the middle of its batch).
 */
#include <arch/guest.h>
#include <arch/time.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <xen/sched.h>
#include <xen/xen.h>

/* Length of the SYSCALL instruction (0f 05) that a continuation makes the guest re-run. */
#define SYSCALL_INSN_LEN 2

/* The hypercall in progress. */
static struct {
    bool preempted;         /* a continuation was created for the hypercall (or sub-call) */
    bool rip_rewound;       /* the guest frame's rip was moved back over the SYSCALL */
    bool in_multicall;      /* inside do_multicall: continuations go into @call */
    multicall_entry_t call; /* the batch entry being run, as copied from the guest */
} hc_state;

void hypercall_enter(void)
{
    hc_state.preempted = false;
    hc_state.rip_rewound = false;
    hc_state.in_multicall = false;
}

bool hypercall_preempted(void)
{
    return hc_state.preempted;
}

long hypercall_continuation(unsigned int op, unsigned int nr_args, const unsigned long *args)
{
    if (nr_args > HYPERCALL_CONTINUATION_MAX_ARGS)
        nr_args = HYPERCALL_CONTINUATION_MAX_ARGS; /* the macro refuses this at compile time */
    hc_state.preempted = true;

    if (hc_state.in_multicall) {
        /* multicall writes the entry back and resumes the batch at it. */
        hc_state.call.op = op;
        for (unsigned int i = 0; i < nr_args; i++)
            hc_state.call.args[i] = args[i];
        return op;
    }

    struct cpu_regs *regs = guest_cpu_regs();
    uint64_t *const arg_regs[HYPERCALL_CONTINUATION_MAX_ARGS] = {&regs->rdi, &regs->rsi, &regs->rdx,
                                                                 &regs->r10, &regs->r8};
    regs->rax = op;
    for (unsigned int i = 0; i < nr_args; i++)
        *arg_regs[i] = args[i];
    if (!hc_state.rip_rewound) {
        regs->rip -= SYSCALL_INSN_LEN;
        hc_state.rip_rewound = true;
    }
    return op;
}

void hypercall_cancel_continuation(void)
{
    if (hc_state.rip_rewound && !hc_state.in_multicall) {
        guest_cpu_regs()->rip += SYSCALL_INSN_LEN;
        hc_state.rip_rewound = false;
    }
    hc_state.preempted = false;
}

bool hypercall_preempt_check(void)
{
    return now_ns() >= sched_slice_end_ns();
}

/*
 * Xen's __addr_ok for 64-bit PV guests (asm/x86_64/uaccess.h): the list's start must be in
 * the lower canonical half or above the hypervisor's range. Xen checks only the start (the
 * copies catch the rest), so a zero-length batch at a bad address is also -EFAULT.
 */
static bool call_list_ok(uint64_t addr)
{
    return addr < (1UL << 47) || addr >= HYPERVISOR_VIRT_END;
}

/* Run hc_state.call through the dispatch, as a SYSCALL with its arguments would. */
static void run_entry(void)
{
    const multicall_entry_t *c = &hc_state.call;
    struct cpu_regs regs = {
        .rax = c->op,
        .rdi = c->args[0],
        .rsi = c->args[1],
        .rdx = c->args[2],
        .r10 = c->args[3],
        .r8 = c->args[4],
        .r9 = c->args[5],
    };

    hc_state.call.result = (xen_ulong_t)hypercall_dispatch(c->op, &regs);
}

/*
 * SCHEDOP_yield gives the CPU away at once and never returns to its caller; in a batch that
 * would lose the rest. Xen yields when the multicall ends; mica yields between entries.
 */
static bool entry_is_yield(const multicall_entry_t *c)
{
    return c->op == __HYPERVISOR_sched_op && (int)c->args[0] == SCHEDOP_yield;
}

/**
 * HYPERVISOR_multicall(@call_list, @nr_calls) (xen.h): run @nr_calls (a uint32_t) entries
 * of struct multicall_entry at guest address @call_list, in order, each through the hypercall
 * dispatch with args[0..4]; write each one's return value into its `result` field.
 *
 * Returns 0 once every entry has run (their own failures are in their results: -ENOSYS for
 * an unknown op, -EINVAL for a multicall inside a multicall), -EINVAL if called inside a
 * multicall, -EFAULT if @call_list is not a guest address or an entry cannot be read or its
 * result written (the entries before it have run). A batch still running when the time
 * slice ends continues later from the first entry not yet run (a continuation with
 * @call_list advanced and @nr_calls reduced); so does a batch whose current entry created a
 * continuation of its own, which is then written back (op and args) and resumed there.
 */
long do_multicall(unsigned long call_list, unsigned long nr_calls, unsigned long a3,
                  unsigned long a4, unsigned long a5)
{
    const uint32_t nr = (uint32_t)nr_calls; /* xen.h: uint32_t nr_calls */
    const size_t size = sizeof(multicall_entry_t);
    uint64_t entry = call_list;
    uint32_t i;
    long rc = 0;
    bool yield = false;

    if (hc_state.in_multicall)
        return -EINVAL; /* Xen: "Multicall reentry is disallowed" */
    if (!call_list_ok(call_list))
        return -EFAULT;

    hc_state.in_multicall = true;
    for (i = 0; i < nr; i++, entry += size) {
        /* At least one entry runs per call, so a continuation always makes progress. */
        if (i && hypercall_preempt_check())
            break;
        if (copy_from_guest(&hc_state.call, entry, size)) {
            rc = -EFAULT;
            break;
        }
        if (entry_is_yield(&hc_state.call)) {
            hc_state.call.result = 0;
            yield = true;
        } else {
            run_entry();
        }

        if (hc_state.preempted) {
            /* The entry continues later: its new op and args go back with the result. */
            if (copy_to_guest(entry, &hc_state.call, size)) {
                hc_state.preempted = false;
                rc = -EFAULT;
            }
            break;
        }
        if (copy_to_guest(entry + offsetof(multicall_entry_t, result), &hc_state.call.result,
                          sizeof(hc_state.call.result))) {
            rc = -EFAULT;
            break;
        }
        if (hc_state.call.op == __HYPERVISOR_iret) {
            /* Xen's mc_exit: iret has replaced the guest frame; its result is rax. */
            rc = (long)hc_state.call.result;
            i = nr;
            break;
        }
        if (yield) {
            i++, entry += size;
            break;
        }
    }
    hc_state.in_multicall = false;

    if (!rc && i < nr) {
        hc_state.preempted = false; /* a sub-call's continuation is now the entry's */
        rc = hypercall_create_continuation(__HYPERVISOR_multicall, entry, nr - i);
    }
    if (yield) {
        /* The frame holds either the continuation or, the batch done, multicall's result. */
        if (!hc_state.preempted)
            guest_cpu_regs()->rax = (uint64_t)rc;
        schedule();
    }
    return rc;
}

/*
 * Cooperative threads, deadlines and wait queues (pvguest/sched.h).
 *
 * All scheduler state changes happen with event delivery masked, because
 * event handlers (wake_up, the VIRQ_TIMER handler) change the same lists.
 * schedule() is the only place threads switch: it runs the first ready
 * thread, or, when none is ready, arms the singleshot timer for the
 * earliest deadline and blocks the vCPU in SCHEDOP_block (sched.h), which
 * re-enables events and returns once one is pending: no lost wake-up, no
 * busy waiting. The idle wait happens on the stack of the thread that
 * called schedule().
 */
#include <stdlib.h>

#include <xen/errno.h>

#include <arch/thread.h>
#include <pvguest/hypercall.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

#define DEFAULT_STACK_SIZE (16 * 1024)

enum thread_state {
    THREAD_RUNNING, /* the current thread */
    THREAD_READY,   /* on the ready queue */
    THREAD_BLOCKED, /* sleeping until a deadline and/or waiting on a wait queue */
    THREAD_DEAD,    /* exited; freed by the next thread that runs */
};

struct thread {
    const char *name;
    unsigned long sp; /* saved stack pointer while not running */
    void *stack;      /* malloc'd stack; NULL for main */
    enum thread_state state;
    uint64_t deadline;       /* system time to wake at while blocked; 0: none */
    bool timed_out;          /* woken by the deadline rather than by wake_up */
    struct wait_queue *wq;   /* the queue it waits on while blocked, or NULL */
    struct thread *wq_next;  /* next waiter on wq */
    struct thread *run_next; /* next on the ready queue */
    struct thread *all_next; /* next in the list of every live thread */
    void (*fn)(void *);
    void *arg;
};

struct sched_stats sched_stats;
long sched_periodic_timer_rc;
long sched_timer_port;

static struct thread main_thread = {.name = "main", .state = THREAD_RUNNING};
static struct thread *current = &main_thread;
static struct thread *ready_first, *ready_last;
static struct thread *all_threads = &main_thread;
static struct thread *zombies; /* dead threads whose stacks are not freed yet (run_next links) */
static bool singleshot_unsupported;

struct thread *current_thread(void)
{
    return current;
}

const char *thread_name(const struct thread *t)
{
    return t->name;
}

static void ready_push(struct thread *t)
{
    t->state = THREAD_READY;
    t->run_next = NULL;
    if (ready_last)
        ready_last->run_next = t;
    else
        ready_first = t;
    ready_last = t;
}

static struct thread *ready_pop(void)
{
    struct thread *t = ready_first;

    if (t) {
        ready_first = t->run_next;
        if (!ready_first)
            ready_last = NULL;
        t->run_next = NULL;
    }
    return t;
}

static void wq_remove(struct thread *t)
{
    if (!t->wq)
        return;
    for (struct thread **p = &t->wq->first; *p; p = &(*p)->wq_next) {
        if (*p == t) {
            *p = t->wq_next;
            break;
        }
    }
    t->wq = NULL;
    t->wq_next = NULL;
}

/* Events masked. */
static void wake(struct thread *t, bool timed_out)
{
    if (t->state != THREAD_BLOCKED)
        return;
    wq_remove(t);
    t->deadline = 0;
    t->timed_out = timed_out;
    ready_push(t);
}

/* Wake every blocked thread whose deadline is at or before `now`. Events masked. */
static void expire_deadlines(uint64_t now)
{
    for (struct thread *t = all_threads; t; t = t->all_next) {
        if (t->state == THREAD_BLOCKED && t->deadline != 0 && t->deadline <= now)
            wake(t, true);
    }
}

static uint64_t earliest_deadline(void)
{
    uint64_t first = 0;

    for (struct thread *t = all_threads; t; t = t->all_next) {
        if (t->state == THREAD_BLOCKED && t->deadline != 0 && (first == 0 || t->deadline < first))
            first = t->deadline;
    }
    return first;
}

/*
 * VIRQ_TIMER at `deadline` (ns of system time). VCPUOP_set_singleshot_timer
 * without VCPU_SSHOTTMR_future: a deadline already past fires at once.
 * set_timer_op does the same on hypervisors without the VCPUOP.
 */
static void arm_timer(uint64_t deadline)
{
    sched_stats.timer_sets++;
    if (!singleshot_unsupported) {
        struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = deadline, .flags = 0};

        if (HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t) != -XEN_ENOSYS)
            return;
        singleshot_unsupported = true;
    }
    HYPERVISOR_set_timer_op(deadline);
}

static void reap_zombies(void)
{
    while (zombies) {
        struct thread *t = zombies;

        zombies = t->run_next;
        free(t->stack);
        free(t);
    }
}

/*
 * Nothing is ready: sleep the vCPU until an event. SCHEDOP_block clears
 * evtchn_upcall_mask itself and returns at once if an event is already
 * pending, so the check for ready threads (done masked by the caller) and
 * the block leave no window for a lost wake-up. The hypervisor delivers
 * the pending event as the hypercall returns; local_irq_enable() catches
 * one it did not deliver.
 */
static void idle_block(void)
{
    uint64_t deadline = earliest_deadline();

    if (deadline != 0)
        arm_timer(deadline);
    sched_stats.blocks++;
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    local_irq_enable();
    local_irq_disable();
}

/* Switch to the next ready thread (the caller's state says whether it is one). Events masked. */
static void schedule_masked(void)
{
    struct thread *prev = current;
    struct thread *next;

    if (prev->state == THREAD_RUNNING)
        ready_push(prev);
    for (;;) {
        expire_deadlines(system_time_ns());
        next = ready_pop();
        if (next)
            break;
        idle_block();
    }
    next->state = THREAD_RUNNING;
    if (next != prev) {
        sched_stats.switches++;
        current = next;
        arch_switch_stack(&prev->sp, next->sp);
        /* Running as prev again, switched back by some other thread. */
        reap_zombies();
    }
}

void thread_yield(void)
{
    unsigned long flags = local_irq_save();

    schedule_masked();
    local_irq_restore(flags);
}

void sleep_until(uint64_t deadline_ns)
{
    unsigned long flags = local_irq_save();

    if (deadline_ns == 0)
        deadline_ns = 1; /* 0 means "no deadline" in struct thread */
    current->deadline = deadline_ns;
    current->state = THREAD_BLOCKED;
    schedule_masked();
    local_irq_restore(flags);
}

void sleep_ns(uint64_t ns)
{
    sleep_until(system_time_ns() + ns);
}

void wait_queue_init(struct wait_queue *wq)
{
    wq->first = NULL;
}

void wake_up(struct wait_queue *wq)
{
    unsigned long flags = local_irq_save();

    while (wq->first)
        wake(wq->first, false);
    local_irq_restore(flags);
}

bool wait_queue_sleep_masked(struct wait_queue *wq, uint64_t deadline_ns)
{
    struct thread **p = &wq->first;

    while (*p)
        p = &(*p)->wq_next;
    *p = current;
    current->wq = wq;
    current->wq_next = NULL;
    current->deadline = deadline_ns;
    current->timed_out = false;
    current->state = THREAD_BLOCKED;
    schedule_masked();
    return !current->timed_out;
}

/* First C code of a new thread (from arch_thread_trampoline), entered with events masked. */
static void __attribute__((noreturn)) thread_main(void *arg)
{
    struct thread *self = arg;

    reap_zombies();
    local_irq_enable();
    self->fn(self->arg);
    thread_exit();
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg,
                             unsigned long stack_size)
{
    if (stack_size == 0)
        stack_size = DEFAULT_STACK_SIZE;
    struct thread *t = calloc(1, sizeof(*t));
    void *stack = malloc(stack_size);

    if (!t || !stack) {
        free(t);
        free(stack);
        return NULL;
    }
    t->name = name;
    t->stack = stack;
    t->fn = fn;
    t->arg = arg;
    t->sp = arch_thread_init_stack(stack, stack_size, thread_main, t);

    unsigned long flags = local_irq_save();
    t->all_next = all_threads;
    all_threads = t;
    ready_push(t);
    local_irq_restore(flags);
    return t;
}

void thread_exit(void)
{
    local_irq_disable();
    struct thread *self = current;

    if (self == &main_thread) {
        /* main has no stack of its own to free; it just stops being scheduled. */
        self->state = THREAD_DEAD;
    } else {
        for (struct thread **p = &all_threads; *p; p = &(*p)->all_next) {
            if (*p == self) {
                *p = self->all_next;
                break;
            }
        }
        self->state = THREAD_DEAD;
        self->run_next = zombies;
        zombies = self;
    }
    schedule_masked();
    __builtin_unreachable();
}

static void timer_event(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    (void)port;
    (void)regs;
    (void)data;
    sched_stats.timer_events++;
    expire_deadlines(system_time_ns());
}

long sched_init(void)
{
    current = &main_thread;
    main_thread.state = THREAD_RUNNING;
    sched_periodic_timer_rc = HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    sched_timer_port = evtchn_bind_virq(VIRQ_TIMER, timer_event, NULL);
    return sched_timer_port;
}

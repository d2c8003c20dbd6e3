/*
 * Cooperative threads, timers and wait queues of the guest kernel.
 *
 * Threads run until they block, sleep, yield or exit; there is no
 * preemption. When no thread is ready the scheduler arms the vCPU's
 * singleshot timer for the earliest deadline (vcpu.h,
 * VCPUOP_set_singleshot_timer; VIRQ_TIMER fires at it) and blocks the vCPU
 * with SCHEDOP_block (sched.h), which re-enables event delivery and sleeps
 * until an event is pending, so nothing busy-waits. Event handlers wake
 * threads with wake_up(); the woken threads run at the next schedule().
 *
 * The thread that called sched_init() (the boot stack's, "main") is a
 * thread like the others but is never freed.
 */
#ifndef PVGUEST_SCHED_H
#define PVGUEST_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include <pvguest/events.h>

struct thread;

/** Threads waiting for a condition that an event handler or another thread makes true. */
struct wait_queue {
    struct thread *first; /* waiting threads, in the order they started to wait */
};

/** An empty wait queue, for static initialisation. */
#define WAIT_QUEUE_INIT                                                                            \
    {                                                                                              \
        NULL                                                                                       \
    }

/** Counters of the scheduler since sched_init(). */
struct sched_stats {
    unsigned long switches;     /* stack switches between threads */
    unsigned long blocks;       /* SCHEDOP_block calls (the vCPU had nothing to run) */
    unsigned long timer_sets;   /* singleshot timer deadlines programmed */
    unsigned long timer_events; /* VIRQ_TIMER events received */
};

/** The scheduler's counters. */
extern struct sched_stats sched_stats;

/**
 * Make the caller the "main" thread, bind VIRQ_TIMER and stop the default
 * 100 Hz periodic timer (vcpu.h, VCPUOP_stop_periodic_timer), so that the
 * timer fires only at the deadlines threads ask for. Needs events_init().
 * Returns the VIRQ_TIMER port (>= 0), or the negated Xen error code of
 * EVTCHNOP_bind_virq; a failure to stop the periodic timer is not an error
 * (the timer then only wakes the vCPU more often): see
 * sched_periodic_timer_rc.
 */
long sched_init(void);

/** The result of VCPUOP_stop_periodic_timer in sched_init() (0 when stopped). */
extern long sched_periodic_timer_rc;

/** The port VIRQ_TIMER is bound to, or the error sched_init() returned (before: 0). */
extern long sched_timer_port;

/**
 * Create a thread running fn(arg) on a new stack of `stack_size` bytes
 * (0: 16 KiB) and make it ready. Returning from fn ends the thread.
 * Returns the thread, or NULL when memory is short.
 */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg,
                             unsigned long stack_size);

/** End the calling thread; its stack is freed once another thread runs. */
void thread_exit(void) __attribute__((noreturn));

/** The running thread. */
struct thread *current_thread(void);

/** A thread's name as given to thread_create() ("main" for the first one). */
const char *thread_name(const struct thread *t);

/** Let every other ready thread run once, then continue. */
void thread_yield(void);

/**
 * Block the calling thread until system time reaches `deadline_ns` (ns
 * since boot, as system_time_ns()). Other threads run meanwhile; the vCPU
 * blocks if none is ready.
 */
void sleep_until(uint64_t deadline_ns);

/** Block the calling thread for at least `ns` nanoseconds of system time. */
void sleep_ns(uint64_t ns);

/** Make the wait queue empty. */
void wait_queue_init(struct wait_queue *wq);

/**
 * Wake every thread waiting on `wq`. Callable from event handlers and
 * threads alike; the woken threads run when the current one schedules.
 */
void wake_up(struct wait_queue *wq);

/**
 * Wait on `wq` until woken or until system time reaches `deadline_ns`
 * (0: no deadline). Must be called with events masked (local_irq_save), so
 * that a wake-up between testing the condition and waiting is not lost;
 * returns with events still masked. Returns true if woken, false on the
 * deadline.
 */
bool wait_queue_sleep_masked(struct wait_queue *wq, uint64_t deadline_ns);

/**
 * Block the calling thread until `cond` holds, re-testing it with events
 * masked each time `wq` is woken. `cond` must be cheap and must not block.
 */
#define wait_event(wq, cond)                                                                       \
    do {                                                                                           \
        unsigned long wait_flags_ = local_irq_save();                                              \
        while (!(cond))                                                                            \
            wait_queue_sleep_masked(&(wq), 0);                                                     \
        local_irq_restore(wait_flags_);                                                            \
    } while (0)

/**
 * As wait_event(), but give up when system time reaches `deadline_ns`.
 * Evaluates to whether `cond` held.
 */
#define wait_event_deadline(wq, cond, deadline_ns)                                                 \
    ({                                                                                             \
        unsigned long wait_flags_ = local_irq_save();                                              \
        bool wait_ok_;                                                                             \
        for (;;) {                                                                                 \
            if ((wait_ok_ = (cond)))                                                               \
                break;                                                                             \
            if (!wait_queue_sleep_masked(&(wq), (deadline_ns))) {                                  \
                wait_ok_ = (cond);                                                                 \
                break;                                                                             \
            }                                                                                      \
        }                                                                                          \
        local_irq_restore(wait_flags_);                                                            \
        wait_ok_;                                                                                  \
    })

#endif /* PVGUEST_SCHED_H */

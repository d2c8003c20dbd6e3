/*
 * Hypervisor timers: callbacks at absolute system times (ns since boot, now_ns()), driven by
 * the LAPIC timer in one-shot mode, always programmed for the earliest pending timer.
 */
#ifndef MICA_TIMER_H
#define MICA_TIMER_H

#include <arch/regs.h>
#include <mica/types.h>

/** A timer. Zero-initialised means inactive; fn and data set with timer_init(). */
struct timer {
    uint64_t expires;       /* system time, ns */
    void (*fn)(void *data); /* runs with interrupts off, in interrupt context */
    void *data;
    bool active;
    struct timer *next; /* in the pending list, sorted by expiry */
};

/** Prepare @t to call @fn(@data) when it expires. */
void timer_init(struct timer *t, void (*fn)(void *data), void *data);

/** (Re)arm @t for absolute system time @expires_ns (in the past: at the next interrupt). */
void timer_set(struct timer *t, uint64_t expires_ns);

/** Disarm @t if armed. */
void timer_stop(struct timer *t);

/**
 * The LAPIC timer interrupt: run every expired timer, reprogram the LAPIC for the next,
 * then, if the interrupted context was a guest and a timer asked for it, reschedule.
 */
void timer_interrupt(struct cpu_regs *regs);

/** Number of pending timers (for tests and debug output). */
unsigned int timers_pending(void);

#endif /* MICA_TIMER_H */

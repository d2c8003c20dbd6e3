/* Hypervisor timers over the LAPIC one-shot timer (see timer.h). Uniprocessor: one list. */
#include <arch/time.h>
#include <mica/domain.h>
#include <mica/stats.h> /* timer-interrupt counter (issue 8) */
#include <mica/timer.h>

static struct timer *pending; /* sorted by expiry, earliest first */

void timer_init(struct timer *t, void (*fn)(void *data), void *data)
{
    t->fn = fn;
    t->data = data;
    t->active = false;
    t->next = NULL;
}

static void unlink_timer(struct timer *t)
{
    for (struct timer **p = &pending; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->active = false;
    t->next = NULL;
}

/* Program the LAPIC for the earliest timer (or stop it). */
static void reprogram(void)
{
    uint64_t now;

    if (!pending) {
        lapic_timer_program(0);
        return;
    }
    now = now_ns();
    lapic_timer_program(pending->expires > now ? pending->expires - now : 1);
}

void timer_set(struct timer *t, uint64_t expires_ns)
{
    struct timer **p;

    if (t->active)
        unlink_timer(t);
    t->expires = expires_ns;
    for (p = &pending; *p && (*p)->expires <= expires_ns; p = &(*p)->next)
        ;
    t->next = *p;
    *p = t;
    t->active = true;
    if (pending == t)
        reprogram();
}

void timer_stop(struct timer *t)
{
    bool was_first = pending == t;

    if (!t->active)
        return;
    unlink_timer(t);
    if (was_first)
        reprogram();
}

unsigned int timers_pending(void)
{
    unsigned int n = 0;
    for (struct timer *t = pending; t; t = t->next)
        n++;
    return n;
}

void timer_interrupt(struct cpu_regs *regs)
{
    uint64_t now = now_ns();

    stats_timer_interrupt(); /* issue 8 */
    while (pending && pending->expires <= now) {
        struct timer *t = pending;
        pending = t->next;
        t->active = false;
        t->next = NULL;
        t->fn(t->data); /* may re-arm itself */
        now = now_ns();
    }
    reprogram();
    if (regs_from_guest(regs))
        sched_check_preempt();
}

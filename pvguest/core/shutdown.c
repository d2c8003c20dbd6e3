/*
 * Domain shutdown with SCHEDOP_shutdown (sched.h) and the SHUTDOWN_* reasons
 * (xen.h).
 */
#include <string.h>

#include <pvguest/console.h>
#include <pvguest/hypercall.h>
#include <pvguest/shutdown.h>

/* Indexed by SHUTDOWN_* code (xen.h: poweroff 0, reboot 1, suspend 2, crash 3, watchdog 4). */
static const char *const reason_names[] = {
    [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
    [SHUTDOWN_suspend] = "suspend",   [SHUTDOWN_crash] = "crash",
    [SHUTDOWN_watchdog] = "watchdog",
};

const char *shutdown_reason_name(unsigned int reason)
{
    if (reason < sizeof(reason_names) / sizeof(reason_names[0]) && reason_names[reason])
        return reason_names[reason];
    return "unknown";
}

int shutdown_reason_parse(const char *name, unsigned int *reason)
{
    for (unsigned int i = 0; i < sizeof(reason_names) / sizeof(reason_names[0]); i++) {
        if (reason_names[i] && strcmp(name, reason_names[i]) == 0) {
            *reason = i;
            return 0;
        }
    }
    return -1;
}

void guest_shutdown(unsigned int reason)
{
    struct sched_shutdown arg = {.reason = reason};
    long rc = HYPERVISOR_sched_op(SCHEDOP_shutdown, &arg);

    /* A shutdown that returns failed (or was a suspend that resumed). */
    printk("pvboot: SCHEDOP_shutdown(%s) returned %ld\n", shutdown_reason_name(reason), rc);
    if (reason != SHUTDOWN_crash) {
        arg.reason = SHUTDOWN_crash;
        HYPERVISOR_sched_op(SCHEDOP_shutdown, &arg);
    }
    for (;;)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

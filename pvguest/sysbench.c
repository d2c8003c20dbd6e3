/*
 * test=hello (sysbench.h): a guest that says it is up and then idles, for the whole-system
 * benchmarks of tools/mica-bench (issue 13): many guests at once, the hypervisor's state per
 * domain, boot to the first line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <pvguest/cmdline.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

#include "sysbench.h"

int hello_run(void)
{
    char buf[16];
    unsigned long hold_s = 600;

    if (cmdline_get("hold_s", buf, sizeof(buf)) > 0)
        hold_s = strtoul(buf, NULL, 0);
    printf("pvguest: hello: up at %" PRIu64 " ms\n", (uint64_t)(system_time_ns() / NSEC_PER_MSEC));
    uint64_t end = system_time_ns() + (uint64_t)hold_s * NSEC_PER_SEC;
    while (system_time_ns() < end)
        sleep_ns(NSEC_PER_SEC); /* blocked in SCHEDOP_block between wake-ups */
    return 0;
}

/*
 * Boot from start_info: the C side of the PV start of day (xen.h, comment on
 * struct start_info). Shared with the probe guests through libpvboot.a.
 */
#include <stdlib.h>
#include <string.h>

#include <pvguest/boot.h>
#include <pvguest/cmdline.h>
#include <pvguest/console.h>
#include <pvguest/shutdown.h>

start_info_t *start_info;

/* Bounds of the constructor table, from pvguest.lds. */
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);

static void run_constructors(void)
{
    for (void (**fn)(void) = __init_array_start; fn < __init_array_end; fn++)
        (*fn)();
}

void start_kernel(start_info_t *si)
{
    start_info = si;

    /* start_info.magic is "xen-<version>-<platform>" (xen.h). */
    if (strncmp(si->magic, "xen-", 4) != 0) {
        printk("pvboot: bad start_info magic at %p, stopping\n", (void *)si);
        guest_shutdown(SHUTDOWN_crash);
    }

    cmdline_init((const char *)si->cmd_line, sizeof(si->cmd_line));

    long rc = map_shared_info();
    if (rc < 0) {
        printk("pvboot: cannot map shared_info (machine address %#lx): error %ld\n",
               si->shared_info, rc);
        guest_shutdown(SHUTDOWN_crash);
    }

    run_constructors();
    exit(main());
}

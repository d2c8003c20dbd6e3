/*
 * mica's PV guest kernel: boots from start_info, installs its exception
 * handlers and event callback, starts event dispatch, time and threads,
 * reports what the hypervisor gave it, runs the self-test its command line
 * names (`test=events|pagefault|gp`, see selftest.h) or plays its role in the usable
 * system (`role=driver|shell`, system.h), and shuts down with
 * the reason its command line asks for (`shutdown=poweroff|reboot|crash`,
 * poweroff by default; a failed self-test shuts down as crashed).
 *
 * Every line starts with "pvguest: " so tests can find them in the
 * hypervisor's console output.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arch/page.h>
#include <pvguest/boot.h>
#include <pvguest/cmdline.h>
#include <pvguest/console.h>
#include <pvguest/events.h>
#include <pvguest/hypercall.h>
#include <pvguest/mm.h>
#include <pvguest/sched.h>
#include <pvguest/shutdown.h>
#include <pvguest/traps.h>

#include "selftest.h"
#include "system.h"

static void report_version(void)
{
    xen_extraversion_t extra = "";
    long version = HYPERVISOR_xen_version(XENVER_version, NULL);

    HYPERVISOR_xen_version(XENVER_extraversion, extra);
    extra[sizeof(extra) - 1] = '\0';
    if (version < 0) {
        printf("pvguest: booted, xen_version failed: %ld\n", version);
        return;
    }
    printf("pvguest: booted on Xen %ld.%ld%s (magic \"%.32s\", %s)\n", version >> 16,
           version & 0xffff, extra, start_info->magic,
           (start_info->flags & SIF_INITDOMAIN) ? "dom0" : "domU");
}

static void report_memory(void)
{
    const start_info_t *si = start_info;
    const unsigned long *p2m = (const unsigned long *)si->mfn_list;
    domid_t self = DOMID_SELF;

    printf("pvguest: memory: %lu pages (%lu MiB)\n", si->nr_pages,
           si->nr_pages >> (20 - PAGE_SHIFT));
    if (si->nr_pages > 0)
        printf("pvguest: p2m list at %#lx: pfn 0 -> mfn %#lx, pfn %#lx -> mfn %#lx\n", si->mfn_list,
               p2m[0], si->nr_pages - 1, p2m[si->nr_pages - 1]);
    printf("pvguest: page tables at %#lx (%lu frames), start_info at %p, flags %#" PRIx32 "\n",
           si->pt_base, si->nr_pt_frames, (const void *)si, si->flags);

    long cur = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    long max = HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self);
    printf("pvguest: reservation: current %ld pages, maximum %ld pages\n", cur, max);
}

/*
 * The read-only M2P table Xen maps for PV guests at MACH2PHYS_VIRT_START
 * (arch-x86/xen-x86_64.h) must invert the p2m list. The line is printed in
 * two parts so that a fault on the read leaves a visible half line.
 */
static void check_m2p(void)
{
    const unsigned long *p2m = (const unsigned long *)start_info->mfn_list;
    unsigned long last = start_info->nr_pages - 1;

    printf("pvguest: m2p at %#lx: ", (unsigned long)MACH2PHYS_VIRT_START);
    fflush(stdout);
    unsigned long pfn0 = machine_to_phys_mapping[p2m[0]];
    unsigned long pfn_last = machine_to_phys_mapping[p2m[last]];
    printf("mfn %#lx -> pfn %#lx, mfn %#lx -> pfn %#lx (%s)\n", p2m[0], pfn0, p2m[last], pfn_last,
           pfn0 == 0 && pfn_last == last ? "ok" : "MISMATCH");
}

/* A little of everything newlib's printf and malloc do, so a broken FPU/SSE state shows. */
static void check_newlib(void)
{
    char buf[64];
    char *p = malloc(1000);

    snprintf(buf, sizeof(buf), "%.3f %lld %s", 3.14159, -1234567890123LL, "ok");
    printf("pvguest: newlib: \"%s\", malloc %s\n", buf, p ? "ok" : "failed");
    free(p);
}

/*
 * Exceptions and callbacks first, so that a fault anywhere after is
 * reported; then memory management (the heap for malloc, lazy areas the
 * page-fault handler serves), event delivery and the scheduler. Silent
 * unless something fails (the boot lines are what tests match).
 */
static void kernel_init(void)
{
    long rc = traps_init();

    if (rc < 0)
        printk("pvguest: traps_init failed: %ld\n", rc);
    rc = mm_init();
    if (rc < 0)
        printk("pvguest: mm_init failed: %ld (malloc keeps the static heap)\n", rc);
    events_init();
    rc = sched_init();
    if (rc < 0)
        printk("pvguest: sched_init: binding VIRQ_TIMER failed: %ld\n", rc);
}

int main(void)
{
    char value[32];
    unsigned int reason = SHUTDOWN_poweroff;

    kernel_init();
    report_version();
    printf("pvguest: cmdline \"%s\"\n", cmdline());
    report_memory();
    printf("pvguest: shared_info mapped at %p (machine address %#lx), wc_sec %" PRIu32 "\n",
           (void *)HYPERVISOR_shared_info, start_info->shared_info, HYPERVISOR_shared_info->wc_sec);
    if (start_info->nr_pages > 0)
        check_m2p();
    check_newlib();

    /* The usable system's roles (issue 12, system.c): they do not come back. */
    if (cmdline_get("role", value, sizeof(value)) >= 0) {
        if (strcmp(value, "driver") == 0)
            system_driver_run();
        if (strcmp(value, "shell") == 0)
            system_shell_run();
        printf("pvguest: unknown role \"%s\" (driver, shell)\n", value);
        reason = SHUTDOWN_crash;
    } else if (cmdline_get("test", value, sizeof(value)) >= 0) {
        int rc = selftest_run(value);

        if (rc < 0)
            printf("pvguest: unknown test \"%s\"\n", value);
        if (rc != 0)
            reason = SHUTDOWN_crash;
    }

    if (reason == SHUTDOWN_poweroff && cmdline_get("shutdown", value, sizeof(value)) >= 0 &&
        shutdown_reason_parse(value, &reason) < 0) {
        printf("pvguest: unknown shutdown reason \"%s\", using poweroff\n", value);
        reason = SHUTDOWN_poweroff;
    }
    printf("pvguest: shutting down (%s)\n", shutdown_reason_name(reason));
    fflush(stdout);
    guest_shutdown(reason);
}

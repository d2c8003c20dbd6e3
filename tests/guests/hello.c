/*
 * hello: the smallest probe guest. Shows that a probe links libpvboot.a,
 * boots from start_info, prints through newlib's stdio to console_io, and
 * that returning 0 from main powers the domain off (exit -> _exit ->
 * SCHEDOP_shutdown(SHUTDOWN_poweroff)).
 *
 * Expected output: "hello: start_info magic \"xen-3.0-x86_64\"" and
 * "hello: result ok", then the domain powers off.
 */
#include <stdio.h>
#include <string.h>

#include <pvguest/boot.h>

int main(void)
{
    printf("hello: start_info magic \"%.32s\"\n", start_info->magic);
    printf("hello: result %s\n",
           strncmp(start_info->magic, "xen-3.0-x86_64", 14) == 0 && HYPERVISOR_shared_info
               ? "ok"
               : "FAILED");
    return 0;
}

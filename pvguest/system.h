/*
 * The usable system's two roles (issue 12, system.c; docs/running.md): `role=driver` and
 * `role=shell` on the kernel's command line.
 */
#ifndef PVGUEST_SYSTEM_H
#define PVGUEST_SYSTEM_H

/** role=driver: serve the AHCI disk and the e1000 to the guests; never returns. */
int system_driver_run(void) __attribute__((noreturn));

/** role=shell: mount `/`, start the network, HTTP and echo, run the boot script (then power
 *  off: clean if every command succeeded, crash otherwise) or the interactive shell. */
int system_shell_run(void) __attribute__((noreturn));

#endif /* PVGUEST_SYSTEM_H */

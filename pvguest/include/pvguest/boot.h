/*
 * Boot of a PV guest from start_info (xen.h, struct start_info), shared by
 * the guest kernel and the probe guests under tests/guests/.
 *
 * Sequence: _start (arch/x86_64/head.S) -> start_kernel() -> main().
 * start_kernel() records start_info, copies the command line, maps
 * shared_info, runs constructors and calls main(); main's return value goes
 * to exit(), which shuts the domain down (0: poweroff, else crash).
 */
#ifndef PVGUEST_BOOT_H
#define PVGUEST_BOOT_H

#include <pvguest/xen.h>

/** The start_info page the domain builder handed over (virtual address). */
extern start_info_t *start_info;

/** This domain's shared_info, mapped by start_kernel() (NULL before). */
extern shared_info_t *HYPERVISOR_shared_info;

/**
 * C entry, called once by _start with the start_info pointer Xen's PV ABI
 * passes in %rsi. Does not return.
 */
void start_kernel(start_info_t *si) __attribute__((noreturn));

/**
 * Map the machine frame start_info->shared_info at a page reserved in .bss
 * with update_va_mapping (xen.h: shared_info is a machine address; the guest
 * maps it itself) and set HYPERVISOR_shared_info. Returns 0, or the negated
 * Xen error code of the hypercall.
 */
long map_shared_info(void);

/** The program a guest image runs after boot; provided by the kernel or probe. */
int main(void);

#endif /* PVGUEST_BOOT_H */

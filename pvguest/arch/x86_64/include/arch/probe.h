/*
 * Memory probes: single accesses that report a fault instead of crashing
 * the domain (arch/x86_64/probe.S). A probe that faults returns -EFAULT
 * (xen/errno.h) and leaves the fault in probe_last_fault.
 */
#ifndef PVGUEST_ARCH_PROBE_H
#define PVGUEST_ARCH_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/regs.h>

/** The last fault a probe took: vector (14 #PF, 13 #GP), error code, CR2 for a #PF. */
struct probe_fault {
    unsigned long vector;
    unsigned long error_code;
    unsigned long address;
};

/** Filled in by probe_fixup() each time a probe faults. */
extern struct probe_fault probe_last_fault;

/** Read one byte at `addr` into *val. Returns 0, or -EFAULT if the read faulted. */
long probe_read_u8(const volatile void *addr, uint8_t *val);

/** Write `val` to the byte at `addr`. Returns 0, or -EFAULT if the write faulted. */
long probe_write_u8(volatile void *addr, uint8_t val);

/**
 * Called by the exception handler: if `regs` is a fault of a probe's access
 * instruction, record it (with `address`, CR2 for a #PF), make the probe
 * return -EFAULT and return true; false for any other fault.
 */
bool probe_fixup(struct pt_regs *regs, unsigned long address);

#endif /* PVGUEST_ARCH_PROBE_H */

/*
 * Reading and writing the current guest's memory by guest virtual address. The guest's
 * page tables are live while the hypervisor runs on its behalf (as on Xen), so access goes
 * through them: a pointer into the hypervisor's reserved range is refused up front, and any
 * fault (unmapped, read-only, non-canonical) is caught by an exception-table fixup.
 */
#ifndef MICA_GUEST_ACCESS_H
#define MICA_GUEST_ACCESS_H

#include <mica/types.h>

/**
 * True if [addr, addr + len) lies entirely outside the hypervisor's virtual range
 * (xen-x86_64.h HYPERVISOR_VIRT_START..HYPERVISOR_VIRT_END) and does not wrap.
 */
bool guest_range_ok(uint64_t addr, size_t len);

/** Copy @len bytes from guest address @src. Returns 0, or -EFAULT (partial copy possible). */
int copy_from_guest(void *dst, uint64_t src, size_t len);

/** Copy @len bytes to guest address @dst. Returns 0, or -EFAULT (partial copy possible). */
int copy_to_guest(uint64_t dst, const void *src, size_t len);

/**
 * Look up @rip in the exception table. Returns the recovery address, or 0 if a fault at
 * @rip is not expected (then it is a hypervisor bug).
 */
uint64_t search_exception_table(uint64_t rip);

#endif /* MICA_GUEST_ACCESS_H */

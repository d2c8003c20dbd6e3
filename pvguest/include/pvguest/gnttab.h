/*
 * The guest's own grant table (xen/grant_table.h, v1), set up once and shared by every
 * frontend: GNTTABOP_setup_table for GNTTAB_GUEST_FRAMES frames, mapped at a fixed place in
 * .bss. References are partitioned between the frontends: the builder's below 16, blkfront
 * 16-2047, netfront 2048-4095 (docs/pvguest.md).
 */
#ifndef PVGUEST_GNTTAB_H
#define PVGUEST_GNTTAB_H

#include <stdint.h>

#include <pvguest/xen.h>
#include <xen/grant_table.h>

#define GNTTAB_GUEST_FRAMES 8 /* 4096 references */
#define GNTTAB_GUEST_ENTRIES (GNTTAB_GUEST_FRAMES * 4096 / sizeof(grant_entry_v1_t))

/** HYPERVISOR_grant_table_op. */
long gnttab_op(unsigned int cmd, void *uop, unsigned int count);

/**
 * The table's entries, set up and mapped on the first call; NULL if the hypervisor refused
 * (then every later call tries again).
 */
volatile grant_entry_v1_t *gnttab_entries(void);

#endif /* PVGUEST_GNTTAB_H */

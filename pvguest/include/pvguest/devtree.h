/*
 * The device tree the domain builder hands a guest as its boot module (docs/bootcfg.md,
 * "The domain's device tree"): found through start_info (mod_start/mod_len, or the first
 * entry of a SIF_MULTIBOOT_MOD list), read with libfdt.
 */
#ifndef PVGUEST_DEVTREE_H
#define PVGUEST_DEVTREE_H

#include <stddef.h>

/**
 * This domain's device tree, or NULL when its boot module is none (no module, or a module
 * without the FDT magic: booted without a configuration, or on Xen). *@len gets its size.
 */
const void *devtree_get(size_t *len);

/**
 * The initrd the configuration gave this domain (a `multiboot,ramdisk` module, docs/bootcfg.md:
 * entry 1 of the SIF_MULTIBOOT_MOD list, after the tree), or NULL if there is none. *@len
 * gets its size in bytes. `tools/mica-run --cmd` passes the guest's boot script this way.
 */
const void *devtree_initrd(size_t *len);

/**
 * The PFNs the builder's wiring took from this domain (every frontend's ring-pfn,
 * tx-ring-pfn, rx-ring-pfn and control-pfn, docs/bootcfg.md "Wiring"), which the page
 * allocator must not hand out: up to @max of them into @pfns, duplicates removed. Returns
 * how many there are (0 without a tree).
 */
int devtree_device_pfns(unsigned long *pfns, int max);

/**
 * Call @start(fdt, node) for every child of @parent (e.g. "/backends") whose compatible is
 * @compatible (e.g. "mica,vbd-backend"). Returns how many started, or the last error a
 * @start returned (negative); 0 without a tree or without @parent.
 */
int devtree_start_each(const char *parent, const char *compatible,
                       int (*start)(const void *fdt, int node));

/**
 * test=devtree: print every node and property of the tree as "pvguest: devtree: " lines and
 * a summary of the virtual devices. A driver domain then waits half a second so its guests
 * can print theirs before its end powers the machine off. Returns 0, or 1 if there is no
 * tree or libfdt rejects it.
 */
int devtree_selftest(void);

#endif /* PVGUEST_DEVTREE_H */

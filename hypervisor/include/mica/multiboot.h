/*
 * Multiboot 1 boot information, as the loader (QEMU's -kernel) hands it over.
 * Layout from the Multiboot Specification 0.6.96 §3.3; all addresses are physical.
 */
#ifndef MICA_MULTIBOOT_H
#define MICA_MULTIBOOT_H

#include <mica/types.h>

#define MBI_FLAG_MEM     (1u << 0)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS    (1u << 3)
#define MBI_FLAG_MMAP    (1u << 6)

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper; /* KiB */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr; /* bytes, physical */
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
} __packed;

struct multiboot_module {
    uint32_t mod_start, mod_end; /* [start, end) physical */
    uint32_t string;             /* physical address of a NUL-terminated string, or 0 */
    uint32_t reserved;
} __packed;

/* One memory-map entry; `size` does not count itself, entries may be longer than this. */
struct multiboot_mmap_entry {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type; /* 1 = available RAM */
} __packed;

#endif /* MICA_MULTIBOOT_H */

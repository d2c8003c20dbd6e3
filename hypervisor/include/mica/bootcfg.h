/*
 * The boot configuration (DESIGN.md §4, docs/bootcfg.md): a flattened device tree given as
 * module 0 describing every domain, dom0less style (Xen's docs/misc/arm/device-tree/booting.txt
 * where it fits, with modules named by index), parsed into plain structures; and the device
 * tree each domain receives as its boot module, describing its virtual devices.
 * Portable C over libfdt: the host unit tests run it as is.
 */
#ifndef MICA_BOOTCFG_H
#define MICA_BOOTCFG_H

#include <mica/types.h>

#define BOOTCFG_MAX_DOMAINS 9    /* the driver domain and 8 guests (issue 13: scaling to 8) */
#define BOOTCFG_MAX_PCI     8    /* PCI functions per domain */
#define BOOTCFG_MAX_VDEVS   4    /* virtual devices per domain */
#define BOOTCFG_NAME_LEN    32   /* node names, with the NUL */
#define BOOTCFG_ARGS_LEN    1024 /* MAX_GUEST_CMDLINE (xen.h), with the NUL */
#define BOOTCFG_NO_MODULE   (-1)

/** The FDT header magic (Devicetree Specification 5.2), big-endian in the blob. */
#define BOOTCFG_FDT_MAGIC 0xd00dfeedu

/** What happens when a domain powers off, reboots or crashes (the words). */
enum bootcfg_action {
    BOOTCFG_DESTROY,     /* "destroy": the domain goes, the others run on */
    BOOTCFG_MACHINE_OFF, /* "machine-off": the machine powers off */
    BOOTCFG_RESTART,     /* "restart": the domain is built again */
};

enum bootcfg_vdev_type {
    BOOTCFG_VBD, /* virtual block device (io/blkif.h): one ring page */
    BOOTCFG_VIF, /* virtual network interface (io/netif.h): TX and RX ring pages */
};

/** A PCI function (segment 0 only in this round). */
struct bootcfg_pci {
    uint8_t bus, dev, fn; /* dev < 32, fn < 8 */
};

/** One virtual device connecting its domain (the frontend) to a backend domain. */
struct bootcfg_vdev {
    enum bootcfg_vdev_type type;
    char name[BOOTCFG_NAME_LEN]; /* the node's name, e.g. "vbd@0" */
    unsigned int backend;        /* index of the backend in bootcfg.domain[] */
    uint8_t mac[6];              /* vif: its MAC address */
    bool read_only;              /* vbd: the frontend may not write */
    uint32_t disk;               /* vbd: which of the backend's disks */
    uint64_t start_sector;       /* vbd: first sector of the LBA range (512-byte sectors) */
    uint64_t nr_sectors;         /* vbd: sectors in the range, 0 = to the end of the disk */
};

/** One domain of the configuration. */
struct bootcfg_domain {
    char name[BOOTCFG_NAME_LEN]; /* the node's name under /chosen */
    domid_t domid;               /* 0 for the driver domain, then 1, 2... in tree order */
    int kernel_module;           /* boot module index (>= 1) */
    int initrd_module;           /* boot module index, or BOOTCFG_NO_MODULE */
    uint64_t memory_kib;         /* memory, KiB (Xen's unit) */
    unsigned int nr_vcpus;       /* "cpus", 1 in this round */
    char bootargs[BOOTCFG_ARGS_LEN];
    bool driver; /* the driver domain: privileged (SIF_PRIVILEGED|INITDOMAIN) */
    unsigned int nr_pci;
    struct bootcfg_pci pci[BOOTCFG_MAX_PCI];
    enum bootcfg_action on_poweroff, on_reboot, on_crash;
    unsigned int nr_vdevs;
    struct bootcfg_vdev vdev[BOOTCFG_MAX_VDEVS];
};

/** A parsed configuration. */
struct bootcfg {
    unsigned int nr_domains;
    struct bootcfg_domain domain[BOOTCFG_MAX_DOMAINS]; /* the driver domain first */
};

/** Whether @blob (@len bytes) starts with the FDT magic: module 0 is a configuration. */
bool bootcfg_is_fdt(const void *blob, size_t len);

/**
 * Parse and check the configuration @fdt (@len bytes) against @nr_modules boot modules.
 * Returns 0 with *@cfg filled, or -EINVAL with @err (@errlen bytes) saying which node and
 * what is wrong: malformed tree, no domains, a missing or bad module index, missing memory,
 * more than one vCPU, bad or doubly assigned PCI device, a device whose backend is not a
 * driver domain, an unknown action, not exactly one driver domain, too many of something.
 */
int bootcfg_parse(const void *fdt, size_t len, unsigned int nr_modules, struct bootcfg *cfg,
                  char *err, size_t errlen);

/**
 * Check that every domain's memory fits in @free_pages 4 KiB frames together (each domain
 * needs at least @min_pages). Returns 0, or -ENOMEM with @err naming the domain.
 */
int bootcfg_check_memory(const struct bootcfg *cfg, unsigned long free_pages,
                         unsigned long min_pages, char *err, size_t errlen);

/** The action's name as written in the tree ("destroy", "machine-off", "restart"). */
const char *bootcfg_action_name(enum bootcfg_action a);

/**
 * The action @d configures for a shutdown with SHUTDOWN_* @reason (xen/sched.h): on-poweroff
 * for poweroff, on-reboot for reboot and soft_reset, on-crash for crash, watchdog and
 * anything else.
 */
enum bootcfg_action bootcfg_domain_action(const struct bootcfg_domain *d, unsigned int reason);

/**
 * What the wiring gave one virtual device (DESIGN.md §5): grant references in the frontend's
 * table, granted to the backend, and the frontend's PFNs of those pages. The control page is
 * shared by all of a frontend's devices: each has a BOOTCFG_CONTROL_SLOT-byte slot in it.
 */
struct bootcfg_vdev_wiring {
    uint32_t ring_ref[2];    /* vbd: [0]; vif: [0] TX, [1] RX */
    uint64_t ring_pfn[2];    /* the frontend's PFNs of those ring pages */
    uint32_t control_ref;    /* the connection-state page */
    uint64_t control_pfn;    /* its PFN in the frontend */
    uint32_t control_offset; /* this device's slot in it, bytes */
    uint32_t port;           /* the frontend's unbound port for the backend */
};

/** Bytes per device in the control page: frontend state, backend state, features (u32s). */
#define BOOTCFG_CONTROL_SLOT 64

/** The wiring of every device of a configuration, indexed like domain[].vdev[]. */
struct bootcfg_wiring {
    struct bootcfg_vdev_wiring vdev[BOOTCFG_MAX_DOMAINS][BOOTCFG_MAX_VDEVS];
};

/**
 * Write domain @index's device tree into @buf (@size bytes) with libfdt's sequential-write
 * API: its identity, its frontends (ring references, port, backend, MAC, sectors, read-only,
 * features) and, for a driver domain, the backends it serves. Returns the tree's size in
 * bytes, or a negative libfdt error (-FDT_ERR_NOSPACE when @buf is too small).
 */
int bootcfg_domain_tree(const struct bootcfg *cfg, unsigned int index,
                        const struct bootcfg_wiring *w, void *buf, size_t size);

/* The hypervisor side (bootcfg_start.c): building the configured domains. */

/** A boot module as the loader placed it (hypervisor-readable). */
struct bootcfg_module {
    const void *data;
    size_t len; /* bytes */
};

/**
 * Boot from the configuration in @mods[0] (@nr modules in all): parse and check it, build
 * every domain with its generated device tree as its boot module (with an initrd, both in a
 * SIF_MULTIBOOT_MOD list), wire each virtual device (ring pages and a control page from the
 * frontend, granted to the backend at refs >= 8, the frontend's unbound port), and run them.
 * A bad configuration panics with the node and the problem. Does not return.
 */
__noreturn void bootcfg_start(const struct bootcfg_module *mods, unsigned int nr);

/**
 * The configured action when domain @domid shuts down for SHUTDOWN_* @reason: on-poweroff
 * for poweroff, on-reboot for reboot, on-crash for anything else. Returns false (and leaves
 * *@action) when mica booted without a configuration or @domid is not in it.
 */
bool bootcfg_shutdown_action(domid_t domid, unsigned int reason, enum bootcfg_action *action);

#endif /* MICA_BOOTCFG_H */

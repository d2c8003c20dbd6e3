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

#define BOOTCFG_MAX_DOMAINS 8
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

/** What the wiring gave one virtual device (grant references in the frontend's table). */
struct bootcfg_vdev_wiring {
    uint32_t ring_ref[2]; /* vbd: [0]; vif: [0] TX, [1] RX */
    uint32_t control_ref; /* the connection-state page (DESIGN.md §5) */
    uint32_t port;        /* the frontend's port for the backend */
};

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

#endif /* MICA_BOOTCFG_H */

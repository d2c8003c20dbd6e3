/*
 * blkdev — the block-device interface blkback serves vbds from (issue 10): a disk driver
 * (the AHCI driver, or the RAM disk of blkdev_ram.c for tests) registers its disks by index,
 * the index a vbd's `disk = <N>` names (docs/bootcfg.md). Transfers are scatter lists of
 * pieces each given both as a bus address (for DMA: a GNTMAP_device_map grant's
 * dev_bus_addr, docs/abi.md "Grant tables") and as a kernel virtual address (for drivers that
 * copy, like the RAM disk).
 */
#ifndef PVGUEST_BLKDEV_H
#define PVGUEST_BLKDEV_H

#include <stdbool.h>
#include <stdint.h>

/** Operations (the blkif ones a disk needs). */
enum blkdev_op { BLKDEV_READ, BLKDEV_WRITE, BLKDEV_FLUSH };

/** One contiguous piece of a transfer, inside one 4 KiB page. */
struct blkdev_seg {
    uint64_t bus_addr; /* machine (bus) address of the first byte, for DMA */
    void *va;          /* the same bytes in this kernel's address space */
    uint32_t len;      /* bytes, a multiple of 512 */
};

/** Completion: @status 0, or a negated XEN_E* error (-XEN_EIO for a disk error). May be called
 *  from the submitting thread (synchronous devices) or from an event handler. */
typedef void (*blkdev_done_t)(void *arg, int status);

struct blkdev;

/** A disk driver's operations. */
struct blkdev_ops {
    /**
     * Start @op on sectors [@sector, @sector + @nr_sectors) of the disk (512-byte sectors;
     * the sum of @segs' lengths is nr_sectors * 512) or, for BLKDEV_FLUSH, write back the
     * disk's cache (@segs unused). Returns 0 when started (@done will be called exactly
     * once), or a negated error (-XEN_EBUSY: no command slot free; try after a completion).
     */
    int (*submit)(struct blkdev *dev, enum blkdev_op op, uint64_t sector, uint64_t nr_sectors,
                  const struct blkdev_seg *segs, unsigned int nr_segs, blkdev_done_t done,
                  void *arg);
    /**
     * Optional (NULL: nothing to do). plug(dev, true) before a batch of submits and
     * plug(dev, false) after it: the driver may hold the batch's commands back and start them
     * together (the AHCI driver rings its doorbell once; ahci.h, ahci_plug). The caller does
     * not sleep in between.
     */
    void (*plug)(struct blkdev *dev, bool on);
};

/** One disk. */
struct blkdev {
    const struct blkdev_ops *ops;
    const char *name;      /* "ram0", "ahci0" ... */
    uint64_t sectors;      /* capacity in 512-byte sectors */
    bool read_only;        /* the medium refuses writes */
    bool flush;            /* has a write cache worth flushing (feature-flush-cache) */
    unsigned int max_segs; /* most segments one submit may carry (0: no limit) */
    /*
     * The driver reads only the segments' bus addresses (it DMAs), never their va: blkback
     * then maps the guest's pages with GNTMAP_device_map alone (no host mapping, so no PTE
     * write on map and no PTE clear or TLB flush on unmap; docs/abi.md "Grant tables") and
     * passes va = NULL.
     */
    bool dma_only;
    void *priv; /* the driver's */
};

/** The most disks blkdev_register() takes. */
#define BLKDEV_MAX 4

/** Make @dev disk number @index (0..BLKDEV_MAX-1). Returns 0, or -XEN_EINVAL / -XEN_EEXIST. */
int blkdev_register(unsigned int index, struct blkdev *dev);

/** Disk @index, or NULL. */
struct blkdev *blkdev_get(unsigned int index);

/**
 * Create a RAM disk of @sectors 512-byte sectors (memory from malloc, zeroed) and register it
 * as disk @index. It completes every transfer inside submit (memcpy through the segments'
 * virtual addresses). Returns the disk or NULL (no memory, index taken).
 */
struct blkdev *blkdev_ram_create(unsigned int index, uint64_t sectors);

/**
 * Start the AHCI driver (ahci.h: ahci_init) and register its disk as disk @index. Completions
 * come from the driver's service thread. The disk must have 512-byte logical sectors.
 * Returns the disk, or NULL (the driver's error printed).
 */
struct blkdev *blkdev_ahci_create(unsigned int index);

#endif /* PVGUEST_BLKDEV_H */

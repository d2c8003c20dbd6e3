/*
 * The driver domain's AHCI driver (issue 10): one SATA disk behind an AHCI
 * 1.3.1 HBA (PCI class 01:06:01), found on bus 0 through configuration
 * mechanism #1, driven through its ABAR (mapped with mmu_update, DOMID_IO)
 * and its MSI (a pirq bound to an event channel). docs/pvguest.md, "AHCI
 * driver", describes it; pvguest/drivers/ahci.c cites the rules.
 *
 * Addresses: the HBA does DMA to bus addresses, which in a PV domain are
 * machine addresses (DESIGN.md §6): a caller gives the machine address of
 * each buffer segment (pfn_to_mfn() of its own pages, or the device_map
 * bus address of a grant). A domain's pages are not machine-contiguous, so
 * a segment never crosses a page the caller does not know to be contiguous.
 *
 * Threads: ahci_init() starts a service thread ("ahci") that the MSI's
 * event handler wakes; completions, error recovery and time-outs run there,
 * so completion callbacks run in thread context (they may call hypercalls
 * and submit more requests, but must not block). Everything here must be
 * called from threads, never from event handlers.
 *
 * Errors are negated Xen error codes (xen/errno.h).
 */
#ifndef PVGUEST_AHCI_H
#define PVGUEST_AHCI_H

#include <stdbool.h>
#include <stdint.h>

/** Command slots the driver uses at most (AHCI 1.3.1 §3.1.1 CAP.NCS: at most 32). */
#define AHCI_MAX_SLOTS 32
/** Segments per request: PRDT entries in one 4 KiB command table (§4.2.3: 128-byte header,
    16 bytes per entry). */
#define AHCI_MAX_SEGS 248
/** Largest segment in bytes (§4.2.3.3 PRDT DBC: 22 bits, byte count - 1). */
#define AHCI_MAX_SEG_BYTES (4u << 20)
/** Most sectors one request moves (ATA8-ACS READ/WRITE DMA EXT: a 16-bit count, 0 = 65536;
    the driver stops at 65535). */
#define AHCI_MAX_SECTORS 65535u
/** A command that has not completed after this long is failed (-XEN_ETIMEDOUT). */
#define AHCI_TIMEOUT_NS (5ULL * 1000000000ULL)

/** What a request asks of the disk. */
enum ahci_op {
    AHCI_OP_READ,     /* READ DMA EXT (ATA8-ACS 7.26) */
    AHCI_OP_WRITE,    /* WRITE DMA EXT (ATA8-ACS 7.59) */
    AHCI_OP_FLUSH,    /* FLUSH CACHE EXT (ATA8-ACS 7.11): no LBA, count or segments */
    AHCI_OP_IDENTIFY, /* IDENTIFY DEVICE (ATA8-ACS 7.16): count 0, one 512-byte segment */
};

/** One piece of a request's buffer: a bus (machine) address and a length in bytes. The
    address is even, the length even and at most AHCI_MAX_SEG_BYTES (§4.2.3.3). */
struct ahci_seg {
    uint64_t addr;
    uint32_t len;
};

struct ahci_request;

/**
 * Called once per accepted request when it ends, in the service thread
 * (never for a request ahci_submit refused). `status` is 0, -XEN_EIO (the
 * device or the HBA reported an error: see req->tfd), or -XEN_ETIMEDOUT.
 */
typedef void (*ahci_done_t)(struct ahci_request *req, int status);

/**
 * A request. The caller owns the memory and keeps it (and its segment list)
 * untouched until `done` is called. The sum of the segment lengths must be
 * count * sector_size.
 */
struct ahci_request {
    enum ahci_op op;
    uint64_t lba;                /* first sector (logical sectors of ahci_info()->sector_size) */
    uint32_t count;              /* sectors, 1..AHCI_MAX_SECTORS (0 for a flush) */
    unsigned int nr_segs;        /* 1..AHCI_MAX_SEGS (0 for a flush) */
    const struct ahci_seg *segs; /* the buffer */
    ahci_done_t done;            /* completion callback (required) */
    void *data;                  /* for the caller */
    /* Set by the driver before `done`: */
    int status;   /* as passed to done */
    uint32_t tfd; /* PxTFD at an error (§3.3.8: bits 15:8 error, 7:0 status), else 0 */
    /* Private to the driver: */
    struct ahci_request *next;
    uint64_t deadline_ns;
    unsigned int retries;
    bool no_ncq;
};

/** What IDENTIFY DEVICE said (ATA8-ACS 7.16, table 20: the word numbers are in ahci.c). */
struct ahci_info {
    char model[41];         /* words 27-46, trailing spaces removed */
    char serial[21];        /* words 10-19 */
    char firmware[9];       /* words 23-26 */
    uint64_t sectors;       /* words 100-103 (48-bit) or 60-61 */
    uint32_t sector_size;   /* bytes per logical sector (words 106, 117-118; default 512) */
    bool lba48;             /* word 83 bit 10 */
    bool flush_ext;         /* word 83 bit 13 */
    bool write_cache;       /* word 85 bit 5: volatile write cache enabled */
    bool ncq;               /* word 76 bit 8 and CAP.SNCQ: reads, writes use NCQ */
    unsigned int ncq_depth; /* word 75 bits 4:0, plus 1 */
    unsigned int slots;     /* command slots the HBA has (CAP.NCS + 1) */
    unsigned int port;      /* the port the disk is on */
    unsigned int bdf;       /* the HBA's PCI bus/device/function (bus << 8 | dev << 3 | fn) */
};

/** Counters since ahci_init(), for reports and tests. */
struct ahci_stats {
    unsigned long interrupts;    /* MSI events received */
    unsigned long completed;     /* requests ended with status 0 */
    unsigned long errors;        /* requests ended with -XEN_EIO */
    unsigned long timeouts;      /* requests ended with -XEN_ETIMEDOUT */
    unsigned long recoveries;    /* port recoveries (§6.2.2) */
    unsigned long comresets;     /* COMRESETs among them (§10.4.2) */
    unsigned long retried;       /* commands re-issued after another's error */
    unsigned long max_in_flight; /* most commands issued at once */
    unsigned long doorbells;     /* PxCI writes that issued commands (ahci_plug batches them) */
};

/** The counters (read-only for callers). */
extern struct ahci_stats ahci_stats;

/**
 * Whether reads and writes use NCQ (READ/WRITE FPDMA QUEUED, ACS §7.24, §7.57) when the
 * device and the HBA offer it (default true); set before ahci_init() to use only
 * non-queued commands.
 */
extern bool ahci_use_ncq;

/**
 * Find the first AHCI function on PCI bus 0, take it (set_iopl, pci_device_add, MSI pirq
 * bound to an event channel), reset the HBA, start the first port with a disk attached,
 * IDENTIFY it, and start the service thread. Needs mm_init(), events_init() and
 * sched_init() first, and a privileged domain. Returns 0, -XEN_ENODEV (no AHCI function, no
 * disk), -XEN_EIO (reset or IDENTIFY failed), -XEN_ENOMEM, or a hypercall's error.
 */
long ahci_init(void);

/** What IDENTIFY DEVICE said, or NULL before a successful ahci_init(). */
const struct ahci_info *ahci_info(void);

/**
 * Queue `req`: it is issued at once if a command slot is free, else when one frees. Returns
 * 0 (then `done` will be called exactly once), -XEN_EINVAL for a malformed request (op,
 * count, segment count, odd or oversized segment, lengths not summing to the transfer,
 * sectors beyond the disk) or -XEN_ENODEV before ahci_init(); `done` is not called then.
 */
long ahci_submit(struct ahci_request *req);

/**
 * Hold back the doorbell: between ahci_plug() and the matching ahci_unplug(), ahci_submit()
 * only queues, and ahci_unplug() issues everything queued into the free slots with one
 * PxSACT/PxCI write (AHCI §3.3.13, §3.3.14), as Linux's blk_start_plug()/blk_finish_plug()
 * do for a batch. Under QEMU every doorbell is a trap into the device model, which takes
 * QEMU's global lock and can wait there for as long as the I/O completions hold it (issue 13,
 * "Scaling": 25-700 µs a write), so one per batch instead of one per request. Plugs nest;
 * a plugged caller must not sleep before it unplugs.
 */
void ahci_plug(void);
void ahci_unplug(void);

/**
 * Submit and wait (the calling thread sleeps on a wait queue). Returns the request's status
 * or ahci_submit()'s error; *tfd (if not NULL) receives req->tfd.
 */
long ahci_rw_sync(enum ahci_op op, uint64_t lba, uint32_t count, const struct ahci_seg *segs,
                  unsigned int nr_segs, uint32_t *tfd);

/** Commands issued and not yet completed (PxCI bits the driver owns). */
unsigned int ahci_in_flight(void);

#endif /* PVGUEST_AHCI_H */

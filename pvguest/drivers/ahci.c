/*
 * AHCI driver of the driver domain (issue 10); the API is in pvguest/ahci.h.
 *
 * Rules, by the sections of the Serial ATA AHCI 1.3.1 specification ("AHCI §")
 * and ATA8-ACS ("ACS §"):
 *   - registers: generic host control §3.1, port registers §3.3;
 *   - memory: command list §4.2.2 (32 headers of 32 bytes, 1 KiB aligned), received
 *     FIS area §4.2.1 (256 bytes, 256-byte aligned), command table §4.2.3 (128-byte
 *     aligned: command FIS, then the PRDT of 16-byte entries);
 *   - initialisation §10.1.2, HBA reset §10.4.3, port start §10.3.1, COMRESET §10.4.2,
 *     port stop §10.3.2;
 *   - command issue and completion through PxCI §3.3.14; interrupt status cleared port
 *     first (PxIS §3.3.5), then the HBA's (IS §3.1.3);
 *   - errors §6.2.2 (non-queued error recovery: PxCMD.ST cleared and set again, PxSERR
 *     cleared, COMRESET if BSY or DRQ stays set).
 *
 * Memory for the HBA (DESIGN.md §6): the command list and the received FIS area share one
 * page; each slot's command table is a page of its own, so nothing the HBA reads spans
 * two frames. Addresses given to the HBA are machine addresses (p2m list).
 *
 * Interrupts: the HBA's MSI is a pirq (PHYSDEVOP_map_pirq, MAP_PIRQ_TYPE_MSI) bound to
 * an event channel; the handler only wakes the service thread, which clears the status,
 * completes commands, recovers the port and sends PHYSDEVOP_eoi.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <xen/errno.h>
#include <xen/physdev.h>

#include <arch/hypercall.h>
#include <arch/page.h>
#include <pvguest/ahci.h>
#include <pvguest/events.h>
#include <pvguest/hypercall.h>
#include <pvguest/mm.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

/* Times a command is issued again after other commands' errors before it fails too. */
#define AHCI_MAX_RETRIES 3

/* ---- PCI configuration mechanism #1 (PCI 3.0 §3.2.2.3.2), bus 0 ---- */

#define PCI_CF8 0xcf8
#define PCI_CFC 0xcfc

static void cfg_addr(unsigned int bdf, unsigned int reg)
{
    __asm__ volatile("outl %0, %w1" ::"a"(0x80000000u | bdf << 8 | (reg & 0xfc)), "Nd"(PCI_CF8));
}

/* Read `size` (1, 2, 4) bytes at configuration offset `reg` of `bdf`. */
static uint32_t cfg_read(unsigned int bdf, unsigned int reg, unsigned int size)
{
    uint32_t v;

    cfg_addr(bdf, reg);
    if (size == 1) {
        uint8_t b;
        __asm__ volatile("inb %w1, %0" : "=a"(b) : "Nd"(PCI_CFC + (reg & 3)));
        return b;
    }
    if (size == 2) {
        uint16_t w;
        __asm__ volatile("inw %w1, %0" : "=a"(w) : "Nd"(PCI_CFC + (reg & 2)));
        return w;
    }
    __asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"(PCI_CFC));
    return v;
}

static void cfg_write16(unsigned int bdf, unsigned int reg, uint16_t v)
{
    cfg_addr(bdf, reg);
    __asm__ volatile("outw %w0, %w1" ::"a"(v), "Nd"(PCI_CFC + (reg & 2)));
}

#define PCI_COMMAND         0x04
#define PCI_CMD_MEM         (1u << 1)
#define PCI_CMD_MASTER      (1u << 2)
#define PCI_CMD_INTX_OFF    (1u << 10)
#define PCI_STATUS          0x06
#define PCI_STATUS_CAP_LIST (1u << 4)
#define PCI_CLASS_REV       0x08
#define PCI_HEADER_TYPE     0x0e
#define PCI_BAR5            0x24 /* ABAR (AHCI §2.1.11) */
#define PCI_CAP_PTR         0x34
#define PCI_CAP_MSI         0x05
#define PCI_CLASS_AHCI      0x010601u /* mass storage, SATA, AHCI 1.0 (AHCI §2.1.5) */

/* Offset of capability `id` of `bdf` (PCI 3.0 §6.7), or 0. */
static unsigned int pci_find_cap(unsigned int bdf, unsigned int id)
{
    unsigned int pos, guard = 48;

    if (!(cfg_read(bdf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
        return 0;
    for (pos = cfg_read(bdf, PCI_CAP_PTR, 1) & 0xfc; pos >= 0x40 && guard--;
         pos = cfg_read(bdf, pos + 1, 1) & 0xfc)
        if (cfg_read(bdf, pos, 1) == id)
            return pos;
    return 0;
}

/* The first function on bus 0 of class 01:06:01, or ~0u. */
static unsigned int pci_find_ahci(void)
{
    for (unsigned int dev = 0; dev < 32; dev++) {
        for (unsigned int fn = 0; fn < 8; fn++) {
            unsigned int bdf = dev << 3 | fn;

            if ((cfg_read(bdf, 0, 4) & 0xffff) == 0xffff) {
                if (fn == 0)
                    break;
                continue;
            }
            if (cfg_read(bdf, PCI_CLASS_REV, 4) >> 8 == PCI_CLASS_AHCI)
                return bdf;
            if (fn == 0 && !(cfg_read(bdf, PCI_HEADER_TYPE, 1) & 0x80))
                break;
        }
    }
    return ~0u;
}

/* ---- Registers ---- */

/* Generic host control, AHCI §3.1. */
#define HBA_CAP      0x00
#define CAP_NCS(c)   ((((c) >> 8) & 0x1f) + 1) /* §3.1.1 number of command slots */
#define CAP_SNCQ     (1u << 30)
#define HBA_GHC      0x04
#define GHC_HR       (1u << 0) /* §3.1.2 HBA reset */
#define GHC_IE       (1u << 1)
#define GHC_AE       (1u << 31)
#define HBA_IS       0x08
#define HBA_PI       0x0c
#define PORT_BASE(p) (0x100u + 0x80u * (p)) /* §3.3 */

/* Port registers, AHCI §3.3. */
#define PX_CLB  0x00
#define PX_CLBU 0x04
#define PX_FB   0x08
#define PX_FBU  0x0c
#define PX_IS   0x10
#define PX_IE   0x14
#define PX_CMD  0x18
#define PX_TFD  0x20
#define PX_SIG  0x24
#define PX_SSTS 0x28
#define PX_SCTL 0x2c
#define PX_SERR 0x30
#define PX_SACT 0x34
#define PX_CI   0x38

/* §3.3.5 PxIS / §3.3.6 PxIE bits. */
#define PXIS_DHRS   (1u << 0)                                      /* D2H register FIS */
#define PXIS_PSS    (1u << 1)                                      /* PIO setup FIS */
#define PXIS_DSS    (1u << 2)                                      /* DMA setup FIS */
#define PXIS_SDBS   (1u << 3)                                      /* set device bits FIS */
#define PXIS_DPS    (1u << 5)                                      /* descriptor processed */
#define PXIS_INFS   (1u << 26)                                     /* interface non-fatal error */
#define PXIS_IFS    (1u << 27)                                     /* interface fatal error */
#define PXIS_HBDS   (1u << 28)                                     /* host bus data error */
#define PXIS_HBFS   (1u << 29)                                     /* host bus fatal error */
#define PXIS_TFES   (1u << 30)                                     /* task file error */
#define PXIS_ERRORS (PXIS_IFS | PXIS_HBDS | PXIS_HBFS | PXIS_TFES) /* §6.1.2: fatal ones */
#define PXIE_USED   (PXIS_DHRS | PXIS_PSS | PXIS_DSS | PXIS_SDBS | PXIS_DPS | PXIS_INFS | PXIS_ERRORS)

/* §3.3.7 PxCMD. */
#define PXCMD_ST     (1u << 0)
#define PXCMD_FRE    (1u << 4)
#define PXCMD_CCS(c) (((c) >> 8) & 0x1f)
#define PXCMD_FR     (1u << 14)
#define PXCMD_CR     (1u << 15)
/* §3.3.8 PxTFD: the ATA status register (ACS §6.1.x) in bits 7:0, error in 15:8. */
#define TFD_ERR (1u << 0)
#define TFD_DRQ (1u << 3)
#define TFD_BSY (1u << 7)
/* §3.3.10 PxSSTS.DET: 3 = device present and Phy communication established. */
#define SSTS_DET(s) ((s)&0xf)
#define SIG_ATA     0x00000101u /* §3.3.9: an ATA device's signature */

/* Memory layout of the command-list page (§4.2.1, §4.2.2). */
#define CL_OFFSET  0x000
#define FIS_OFFSET 0x400
/* §4.2.2 command header DW0. */
#define CH_CFL_H2D  5u        /* FIS length in DWORDs: a register FIS is 20 bytes */
#define CH_WRITE    (1u << 6) /* W: host to device */
#define CH_PRDTL(n) ((uint32_t)(n) << 16)
/* §4.2.3 command table: CFIS at 0, PRDT at 0x80; DBC in DW3 bits 21:0 is count - 1. */
#define CT_PRDT 0x80

/* ACS command codes. */
#define ATA_IDENTIFY        0xec /* ACS §7.16 IDENTIFY DEVICE (PIO data-in) */
#define ATA_READ_DMA_EXT    0x25 /* ACS §7.26 */
#define ATA_WRITE_DMA_EXT   0x35 /* ACS §7.59 */
#define ATA_FLUSH_CACHE_EXT 0xea /* ACS §7.11 */
#define ATA_READ_FPDMA      0x60 /* ACS §7.24 READ FPDMA QUEUED */
#define ATA_WRITE_FPDMA     0x61 /* ACS §7.57 WRITE FPDMA QUEUED */
#define ATA_DEV_LBA         0x40 /* device register bit 6: LBA addressing */
#define FIS_TYPE_H2D        0x27 /* SATA 2.6 §10.3.4 register host-to-device FIS */

/* ---- State ---- */

struct ahci_stats ahci_stats;
bool ahci_use_ncq = true;
/* Whether every port recovery includes a COMRESET (see port_recover). */
static const bool recover_comreset = true;

static struct {
    bool ready;
    volatile uint8_t *abar;
    volatile uint8_t *px; /* abar + PORT_BASE(port) */
    unsigned int nslots;
    uint8_t *cl; /* command list + FIS area page */
    uint8_t *ct[AHCI_MAX_SLOTS];
    uint64_t ct_maddr[AHCI_MAX_SLOTS];
    struct ahci_request *slot_req[AHCI_MAX_SLOTS];
    uint32_t issued;   /* slots holding a command the HBA owns */
    uint32_t queued;   /* those among them that are NCQ commands (PxSACT set) */
    unsigned int tags; /* NCQ tags usable: min(slots, the device's queue depth); 0 = none */
    struct ahci_request *queue_head, *queue_tail; /* waiting for a slot */
    unsigned int plugged; /* ahci_plug() depth: ahci_submit() only queues while > 0 */
    bool recovering;
    int pirq;
    evtchn_port_t evtchn;
    volatile bool irq_pending;
    uint64_t service_deadline; /* what the service thread sleeps until (0: no deadline) */
    struct wait_queue service_wq;
    struct ahci_info info;
} hba;

static inline uint32_t hba_rd(unsigned int off)
{
    return *(volatile uint32_t *)(hba.abar + off);
}

static inline void hba_wr(unsigned int off, uint32_t v)
{
    *(volatile uint32_t *)(hba.abar + off) = v;
}

static inline uint32_t px_rd(unsigned int off)
{
    return *(volatile uint32_t *)(hba.px + off);
}

static inline void px_wr(unsigned int off, uint32_t v)
{
    *(volatile uint32_t *)(hba.px + off) = v;
}

static long physdev(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_physdev_op, (unsigned long)cmd, (unsigned long)arg);
}

/* Machine address of the direct-map address `va` of a managed page. */
static uint64_t virt_to_maddr(const void *va)
{
    return ((uint64_t)pfn_to_mfn(virt_to_pfn(va)) << PAGE_SHIFT) | ((uintptr_t)va & ~PAGE_MASK);
}

/*
 * Poll port register `off` until (value & mask) == want, for up to `ms` milliseconds,
 * sleeping 100 µs between reads. Returns whether it got there.
 */
static bool px_wait(unsigned int off, uint32_t mask, uint32_t want, unsigned int ms)
{
    uint64_t deadline = system_time_ns() + ms * NSEC_PER_MSEC;

    for (;;) {
        if ((px_rd(off) & mask) == want)
            return true;
        if (system_time_ns() >= deadline)
            return false;
        sleep_ns(100 * NSEC_PER_USEC);
    }
}

/* ---- Mapping the ABAR ---- */

/*
 * Map the 4 KiB frame at machine address `maddr` uncached (PCD|PWT) at a new vmap
 * address: a scratch page is mapped there first, which makes mm create the page
 * tables, then the L1 entry is rewritten with mmu_update on behalf of DOMID_IO
 * (docs/abi.md, "Hardware for the driver domain"). The scratch page stays allocated.
 */
static volatile uint8_t *map_mmio(uint64_t maddr)
{
    long pfn = page_alloc();
    unsigned long spfn;
    uint8_t *va;

    if (pfn < 0)
        return NULL;
    spfn = (unsigned long)pfn;
    va = vmap(&spfn, 1, MM_WRITE);
    if (!va)
        return NULL;
    unsigned long l1 = mm_table_mfn((unsigned long)va, 1);
    mmu_update_t u = {.ptr = ((uint64_t)l1 << PAGE_SHIFT) +
                             (((unsigned long)va >> PAGE_SHIFT) & 511) * 8,
                      .val = (maddr & PTE_FRAME_MASK) | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED |
                             _PAGE_DIRTY | _PAGE_PCD | _PAGE_PWT | _PAGE_NX};
    struct mmuext_op fl = {.cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = (unsigned long)va};

    if (!l1 || HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_IO) < 0)
        return NULL;
    HYPERVISOR_mmuext_op(&fl, 1, NULL, DOMID_SELF);
    return va;
}

/* ---- Commands ---- */

/* Write slot `s`'s command header, command FIS and PRDT for `req` (§4.2.2, §4.2.3). */
static void build_command(unsigned int s, const struct ahci_request *req)
{
    uint8_t *ct = hba.ct[s];
    uint32_t *hdr = (uint32_t *)(hba.cl + CL_OFFSET + 32 * s);
    uint8_t cmd = 0;
    uint64_t lba = req->lba;
    uint32_t count = req->count;

    bool ncq = hba.queued & (1u << s);

    switch (req->op) {
    case AHCI_OP_READ:
        cmd = ncq ? ATA_READ_FPDMA : ATA_READ_DMA_EXT;
        break;
    case AHCI_OP_WRITE:
        cmd = ncq ? ATA_WRITE_FPDMA : ATA_WRITE_DMA_EXT;
        break;
    case AHCI_OP_FLUSH:
        cmd = ATA_FLUSH_CACHE_EXT;
        lba = 0;
        count = 0;
        break;
    case AHCI_OP_IDENTIFY:
        cmd = ATA_IDENTIFY;
        lba = 0;
        count = 0;
        break;
    }
    memset(ct, 0, CT_PRDT);
    ct[0] = FIS_TYPE_H2D;
    ct[1] = 0x80; /* C: the FIS carries a command */
    ct[2] = cmd;
    ct[4] = (uint8_t)lba;
    ct[5] = (uint8_t)(lba >> 8);
    ct[6] = (uint8_t)(lba >> 16);
    ct[7] = ATA_DEV_LBA;
    ct[8] = (uint8_t)(lba >> 24);
    ct[9] = (uint8_t)(lba >> 32);
    ct[10] = (uint8_t)(lba >> 40);
    if (ncq) {
        /* ACS §7.24, §7.57: the count in FEATURE, the tag in COUNT bits 7:3. */
        ct[3] = (uint8_t)count;
        ct[11] = (uint8_t)(count >> 8);
        ct[12] = (uint8_t)(s << 3);
    } else {
        ct[12] = (uint8_t)count;
        ct[13] = (uint8_t)(count >> 8);
    }
    for (unsigned int i = 0; i < req->nr_segs; i++) {
        uint32_t *prd = (uint32_t *)(ct + CT_PRDT + 16 * i);

        prd[0] = (uint32_t)req->segs[i].addr;
        prd[1] = (uint32_t)(req->segs[i].addr >> 32);
        prd[2] = 0;
        prd[3] = req->segs[i].len - 1; /* DBC; I = 0: completion comes from the FIS */
    }
    hdr[0] = CH_CFL_H2D | (req->op == AHCI_OP_WRITE ? CH_WRITE : 0) | CH_PRDTL(req->nr_segs);
    hdr[1] = 0; /* PRDBC: the HBA counts bytes transferred here */
    hdr[2] = (uint32_t)hba.ct_maddr[s];
    hdr[3] = (uint32_t)(hba.ct_maddr[s] >> 32);
}

static unsigned int popcount32(uint32_t v)
{
    return (unsigned int)__builtin_popcount(v);
}

/*
 * Issue queued requests into free slots, in order (§3.3.14: software sets the slot's PxCI
 * bit; for an NCQ command its PxSACT bit first, §3.3.13). NCQ and non-queued commands are
 * never in flight together (a non-queued command while NCQ commands are outstanding is an
 * error for the device), so the head of the queue waits for the other kind to drain; a
 * FLUSH CACHE EXT thus also waits for the writes queued before it.
 */
static void issue_queued(void)
{
    uint32_t bits = 0, sact = 0;

    if (hba.recovering)
        return;
    while (hba.queue_head) {
        struct ahci_request *req = hba.queue_head;
        bool ncq =
            hba.tags && !req->no_ncq && (req->op == AHCI_OP_READ || req->op == AHCI_OP_WRITE);
        unsigned int limit = ncq ? hba.tags : hba.nslots, s;

        if (ncq ? (hba.issued & ~hba.queued) != 0 : hba.queued != 0)
            break;
        for (s = 0; s < limit; s++)
            if (!(hba.issued & (1u << s)))
                break;
        if (s == limit)
            break;
        hba.queue_head = req->next;
        if (!hba.queue_head)
            hba.queue_tail = NULL;
        if (ncq) {
            hba.queued |= 1u << s;
            sact |= 1u << s;
        }
        build_command(s, req);
        req->deadline_ns = system_time_ns() + AHCI_TIMEOUT_NS;
        hba.slot_req[s] = req;
        hba.issued |= 1u << s;
        bits |= 1u << s;
    }
    if (bits) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* tables written before the HBA reads them */
        if (sact)
            px_wr(PX_SACT, sact);
        px_wr(PX_CI, bits);
        ahci_stats.doorbells++;
        if (popcount32(hba.issued) > ahci_stats.max_in_flight)
            ahci_stats.max_in_flight = popcount32(hba.issued);
    }
}

/* End the request in slot `s` with `status`. */
static void complete_slot(unsigned int s, int status, uint32_t tfd)
{
    struct ahci_request *req = hba.slot_req[s];

    hba.slot_req[s] = NULL;
    hba.issued &= ~(1u << s);
    hba.queued &= ~(1u << s);
    if (!req)
        return;
    req->status = status;
    req->tfd = tfd;
    if (status == 0)
        ahci_stats.completed++;
    else if (status == -XEN_ETIMEDOUT)
        ahci_stats.timeouts++;
    else
        ahci_stats.errors++;
    req->done(req, status);
}

/* ---- Port control ---- */

/* §10.3.2: clear PxCMD.ST and wait up to 500 ms for PxCMD.CR to clear. */
static bool port_stop(void)
{
    px_wr(PX_CMD, px_rd(PX_CMD) & ~PXCMD_ST);
    return px_wait(PX_CMD, PXCMD_CR, 0, 500);
}

/*
 * §10.4.2 COMRESET: PxSCTL.DET = 1 for at least 1 ms, then 0; wait for PxSSTS.DET = 3
 * (device present, communication established), clear PxSERR, and wait for the device's
 * first D2H FIS to clear BSY (up to `ms` ms). Returns whether the device came back ready.
 */
static bool port_comreset(unsigned int ms)
{
    ahci_stats.comresets++;
    px_wr(PX_SCTL, (px_rd(PX_SCTL) & ~0xfu) | 1);
    sleep_ns(2 * NSEC_PER_MSEC);
    px_wr(PX_SCTL, px_rd(PX_SCTL) & ~0xfu);
    if (!px_wait(PX_SSTS, 0xf, 3, ms))
        return false;
    px_wr(PX_SERR, ~0u);
    return px_wait(PX_TFD, TFD_BSY | TFD_DRQ, 0, ms);
}

/* §10.3.1: PxCMD.ST may be set once FRE is set and BSY, DRQ are clear with DET = 3. */
static void port_start(void)
{
    px_wr(PX_CMD, px_rd(PX_CMD) | PXCMD_FRE);
    px_wr(PX_CMD, px_rd(PX_CMD) | PXCMD_ST);
}

/*
 * Recover the port after an error or a time-out (§6.2.2.1, §6.2.2.2): stop it (which
 * clears PxCI, §3.3.14), clear PxSERR and PxIS, COMRESET it if the device stays BSY or
 * DRQ (or the engine did not stop), start it, and put every command the driver still
 * holds back at the head of the queue, to be issued again (by the caller's service pass). The
 * caller set hba.recovering before completing the failed commands, so callbacks that submit only
 * queue. Returns whether the port is usable; if not, every command it held is failed.
 */
static bool port_recover(void)
{
    bool ok = true;
    uint32_t reissue;

    ahci_stats.recoveries++;
    if (!port_stop())
        ok = false;
    px_wr(PX_SERR, ~0u);
    px_wr(PX_IS, ~0u);
    hba_wr(HBA_IS, hba_rd(HBA_IS));
    /*
     * PxCMD.CR and PxTFD may say idle while the device still works on a command the HBA had
     * fetched (QEMU updates neither from its DMA engine). A COMRESET always (§10.4.2, a
     * recovery step of §6.2.2.1) ends whatever the device was doing before anything is
     * re-issued. Without it QEMU 7.2 crashed (SIGSEGV) in 2 of ~50 error runs, with it in
     * none of 60; that the re-issue was the cause is a guess.
     */
    if (recover_comreset || !ok || (px_rd(PX_TFD) & (TFD_BSY | TFD_DRQ)))
        ok = port_comreset(1000);
    px_wr(PX_SERR, ~0u);
    px_wr(PX_IS, ~0u);
    hba_wr(HBA_IS, hba_rd(HBA_IS));
    if (!ok) {
        for (unsigned int s = 0; s < hba.nslots; s++)
            if (hba.issued & (1u << s))
                complete_slot(s, -XEN_EIO, px_rd(PX_TFD));
        hba.recovering = false;
        return false;
    }
    port_start();
    /* The held commands go back to the head of the queue, in slot order, to be built and
       issued again (as non-queued commands if they were NCQ: see handle_ncq_error). */
    reissue = hba.issued;
    struct ahci_request *head = NULL, *last = NULL;

    for (unsigned int s = 0; s < hba.nslots; s++) {
        if (!(reissue & (1u << s)))
            continue;
        struct ahci_request *req = hba.slot_req[s];

        hba.slot_req[s] = NULL;
        req->next = NULL;
        if (last)
            last->next = req;
        else
            head = req;
        last = req;
    }
    hba.issued = 0;
    hba.queued = 0;
    if (head) {
        last->next = hba.queue_head;
        if (!hba.queue_head)
            hba.queue_tail = last;
        hba.queue_head = head;
        ahci_stats.retried += popcount32(reissue);
    }
    hba.recovering = false;
    return true;
}

/*
 * An error with NCQ commands outstanding (§6.2.2.2): those whose PxSACT bits cleared
 * completed. Instead of reading the NCQ error log (READ LOG EXT page 10h), the others are
 * issued again as non-queued commands, one after the other, so that the non-queued path
 * finds the one that fails.
 */
static void handle_ncq_error(void)
{
    uint32_t left = (px_rd(PX_SACT) | px_rd(PX_CI)) & hba.issued;
    uint32_t gone = hba.issued & ~left;

    hba.recovering = true;
    for (unsigned int s = 0; s < hba.nslots; s++) {
        if (gone & (1u << s))
            complete_slot(s, 0, 0);
        else if (left & (1u << s))
            hba.slot_req[s]->no_ncq = true;
    }
    port_recover();
}

/*
 * A fatal error in PxIS (§6.2.2.1): the slots whose PxCI bits cleared completed
 * successfully; the failed command is the one the HBA was processing, PxCMD.CCS. The HBA
 * takes slots in order from CCS upwards (§3.3.7), so when CCS's own bit is clear (QEMU leaves
 * CCS at 0) the failed one is the first slot still in PxCI from CCS on. If PxCI is
 * empty (an HBA that clears the failed slot too), the slots that cleared are failed. The
 * others are issued again, each at most AHCI_MAX_RETRIES times.
 */
static void handle_error(void)
{
    if (hba.queued) {
        handle_ncq_error();
        return;
    }
    uint32_t ci = px_rd(PX_CI) & hba.issued;
    uint32_t tfd = px_rd(PX_TFD);
    uint32_t gone = hba.issued & ~ci;
    unsigned int ccs = PXCMD_CCS(px_rd(PX_CMD));
    uint32_t failed = gone;

    hba.recovering = true;
    if (ci) {
        for (unsigned int i = 0; i < 32; i++) {
            unsigned int s = (ccs + i) % 32;

            if (ci & (1u << s)) {
                failed = 1u << s;
                break;
            }
        }
        for (unsigned int s = 0; s < hba.nslots; s++)
            if (gone & (1u << s))
                complete_slot(s, 0, 0);
    }
    for (unsigned int s = 0; s < hba.nslots; s++) {
        if (failed & (1u << s))
            complete_slot(s, -XEN_EIO, tfd);
        else if ((ci & (1u << s)) && ++hba.slot_req[s]->retries > AHCI_MAX_RETRIES)
            complete_slot(s, -XEN_EIO, tfd);
    }
    port_recover();
}

/* Fail the commands past their deadline and recover the port for the others. */
static void handle_timeouts(void)
{
    uint64_t now = system_time_ns();
    uint32_t late = 0;

    for (unsigned int s = 0; s < hba.nslots; s++)
        if ((hba.issued & (1u << s)) && hba.slot_req[s]->deadline_ns <= now)
            late |= 1u << s;
    if (!late)
        return;
    uint32_t tfd = px_rd(PX_TFD);

    hba.recovering = true;
    for (unsigned int s = 0; s < hba.nslots; s++)
        if (late & (1u << s))
            complete_slot(s, -XEN_ETIMEDOUT, tfd);
    /* A command the device never finished may leave it busy: recovery COMRESETs it then. */
    port_recover();
}

/*
 * One pass of the service thread: clear PxIS (§3.3.5), then IS (§3.1.3); on an
 * error recover; else the slots whose PxCI bit cleared have completed.
 */
static void service(void)
{
    uint32_t is = px_rd(PX_IS);

    px_wr(PX_IS, is);
    hba_wr(HBA_IS, hba_rd(HBA_IS));
    if (is & PXIS_ERRORS) {
        handle_error();
    } else {
        uint32_t busy = px_rd(PX_CI) | (hba.queued ? px_rd(PX_SACT) : 0);
        uint32_t done = hba.issued & ~busy;

        for (unsigned int s = 0; s < hba.nslots; s++)
            if (done & (1u << s))
                complete_slot(s, 0, 0);
    }
    handle_timeouts();
    issue_queued();
}

static uint64_t earliest_deadline(void)
{
    uint64_t d = 0;

    for (unsigned int s = 0; s < hba.nslots; s++)
        if ((hba.issued & (1u << s)) && (!d || hba.slot_req[s]->deadline_ns < d))
            d = hba.slot_req[s]->deadline_ns;
    return d;
}

/* The deadline the service thread sleeps until (0: none), recorded for ahci_submit. */
static uint64_t service_deadline(void)
{
    hba.service_deadline = earliest_deadline();
    return hba.service_deadline;
}

static void service_thread(void *arg)
{
    (void)arg;
    for (;;) {
        struct physdev_eoi eoi = {.irq = (uint32_t)hba.pirq};

        wait_event_deadline(hba.service_wq, hba.irq_pending, service_deadline());
        hba.irq_pending = false;
        service();
        /* Reopen the pirq (physdev.h, PHYSDEVOP_eoi); harmless where none is needed. */
        physdev(PHYSDEVOP_eoi, &eoi);
    }
}

/* The MSI's event: wake the service thread (event context: nothing else). */
static void ahci_event(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    (void)port;
    (void)regs;
    (void)data;
    ahci_stats.interrupts++;
    hba.irq_pending = true;
    wake_up(&hba.service_wq);
}

/* ---- API ---- */

/* Issue what is queued; make sure the service thread watches the deadlines of what is issued. */
static void issue_and_watch(void)
{
    issue_queued();
    /* The service thread sleeps until the earliest deadline; a new command's is later than
       any it already has, so it needs waking only when it sleeps without one. */
    if (hba.issued && !hba.service_deadline)
        wake_up(&hba.service_wq);
}

long ahci_submit(struct ahci_request *req)
{
    uint64_t bytes = 0;

    if (!hba.ready && req->op != AHCI_OP_IDENTIFY)
        return -XEN_ENODEV;
    if (!req->done)
        return -XEN_EINVAL;
    switch (req->op) {
    case AHCI_OP_FLUSH:
        if (req->count || req->nr_segs)
            return -XEN_EINVAL;
        break;
    case AHCI_OP_IDENTIFY:
        if (req->nr_segs != 1 || req->segs[0].len != 512)
            return -XEN_EINVAL;
        break;
    case AHCI_OP_READ:
    case AHCI_OP_WRITE:
        if (req->count == 0 || req->count > AHCI_MAX_SECTORS || req->nr_segs == 0 ||
            req->nr_segs > AHCI_MAX_SEGS || req->lba >= hba.info.sectors ||
            req->count > hba.info.sectors - req->lba)
            return -XEN_EINVAL;
        for (unsigned int i = 0; i < req->nr_segs; i++) {
            const struct ahci_seg *g = &req->segs[i];

            if (g->len == 0 || (g->len & 1) || (g->addr & 1) || g->len > AHCI_MAX_SEG_BYTES)
                return -XEN_EINVAL;
            bytes += g->len;
        }
        if (bytes != (uint64_t)req->count * hba.info.sector_size)
            return -XEN_EINVAL;
        break;
    default:
        return -XEN_EINVAL;
    }
    req->status = 0;
    req->tfd = 0;
    req->next = NULL;
    req->retries = 0;
    req->no_ncq = false;
    if (hba.queue_tail)
        hba.queue_tail->next = req;
    else
        hba.queue_head = req;
    hba.queue_tail = req;
    if (!hba.plugged)
        issue_and_watch();
    return 0;
}

void ahci_plug(void)
{
    hba.plugged++;
}

void ahci_unplug(void)
{
    if (hba.plugged && --hba.plugged == 0)
        issue_and_watch();
}

struct sync_wait {
    struct wait_queue wq;
    volatile bool done;
};

static void sync_done(struct ahci_request *req, int status)
{
    struct sync_wait *w = req->data;

    (void)status;
    w->done = true;
    wake_up(&w->wq);
}

long ahci_rw_sync(enum ahci_op op, uint64_t lba, uint32_t count, const struct ahci_seg *segs,
                  unsigned int nr_segs, uint32_t *tfd)
{
    struct sync_wait w = {WAIT_QUEUE_INIT, false};
    struct ahci_request req = {.op = op,
                               .lba = lba,
                               .count = count,
                               .nr_segs = nr_segs,
                               .segs = segs,
                               .done = sync_done,
                               .data = &w};
    long rc = ahci_submit(&req);

    if (rc < 0)
        return rc;
    wait_event(w.wq, w.done);
    if (tfd)
        *tfd = req.tfd;
    return req.status;
}

unsigned int ahci_in_flight(void)
{
    return popcount32(hba.issued);
}

const struct ahci_info *ahci_info(void)
{
    return hba.ready ? &hba.info : NULL;
}

/* ---- Initialisation ---- */

/* Copy ATA string words [first, first + n) (two characters per word, high byte first). */
static void ata_string(char *out, const uint16_t *id, unsigned int first, unsigned int n)
{
    unsigned int len = 0;

    for (unsigned int i = 0; i < n; i++) {
        out[len++] = (char)(id[first + i] >> 8);
        out[len++] = (char)id[first + i];
    }
    while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\0'))
        len--;
    out[len] = '\0';
}

/* IDENTIFY DEVICE (ACS §7.16; word numbers from its table "IDENTIFY DEVICE data"). */
static long identify(void)
{
    long pfn = page_alloc();
    struct ahci_info *in = &hba.info;

    if (pfn < 0)
        return pfn;
    const uint16_t *id = pfn_to_virt((unsigned long)pfn);
    struct ahci_seg seg = {virt_to_maddr(id), 512};
    long rc = ahci_rw_sync(AHCI_OP_IDENTIFY, 0, 0, &seg, 1, NULL);

    if (rc == 0) {
        ata_string(in->serial, id, 10, 10);
        ata_string(in->firmware, id, 23, 4);
        ata_string(in->model, id, 27, 20);
        in->lba48 = id[83] & (1u << 10);
        in->flush_ext = id[83] & (1u << 13);
        in->write_cache = id[85] & (1u << 5);
        in->ncq = (id[76] & (1u << 8)) && (hba_rd(HBA_CAP) & CAP_SNCQ);
        in->ncq_depth = (id[75] & 0x1f) + 1u;
        if (in->lba48)
            in->sectors = (uint64_t)id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32 |
                          (uint64_t)id[103] << 48;
        else
            in->sectors = (uint64_t)id[60] | (uint64_t)id[61] << 16;
        in->sector_size = 512;
        /* Word 106: bit 14 set, bit 15 clear = valid; bit 12 = words 117-118 give the
           logical sector size in words. */
        if ((id[106] & 0xc000) == 0x4000 && (id[106] & (1u << 12)))
            in->sector_size = 2u * ((uint32_t)id[117] | (uint32_t)id[118] << 16);
        if (!in->lba48)
            rc = -XEN_EIO; /* the driver speaks only the 48-bit commands */
    }
    page_free((unsigned long)pfn);
    return rc;
}

/* Map the MSI as a pirq, bind it to an event channel, enable it (PCI 3.0 §6.8.1). */
static long setup_msi(unsigned int bdf)
{
    unsigned int msi = pci_find_cap(bdf, PCI_CAP_MSI);
    struct physdev_map_pirq m = {.domid = DOMID_SELF,
                                 .type = MAP_PIRQ_TYPE_MSI,
                                 .index = -1,
                                 .pirq = -1,
                                 .bus = (int)(bdf >> 8),
                                 .devfn = (int)(bdf & 0xff)};
    long rc;

    if (!msi)
        return -XEN_ENODEV;
    rc = physdev(PHYSDEVOP_map_pirq, &m);
    if (rc < 0)
        return rc;
    hba.pirq = m.pirq;
    struct evtchn_bind_pirq b = {.pirq = (uint32_t)m.pirq, .flags = 0};

    rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_pirq, &b);
    if (rc < 0)
        return rc;
    hba.evtchn = b.port;
    rc = evtchn_bind_handler(b.port, ahci_event, NULL);
    if (rc < 0)
        return rc;
    /* The hypervisor wrote the message address and data; the owner sets MSI Enable. */
    cfg_write16(bdf, msi + 2, (uint16_t)(cfg_read(bdf, msi + 2, 2) | 1));
    cfg_write16(bdf, PCI_COMMAND, (uint16_t)(cfg_read(bdf, PCI_COMMAND, 2) | PCI_CMD_INTX_OFF));
    return 0;
}

/* §10.4.3 HBA reset: set GHC.AE, then GHC.HR; HR clears within 1 s; set AE again. */
static long hba_reset(void)
{
    uint64_t deadline;

    hba_wr(HBA_GHC, hba_rd(HBA_GHC) | GHC_AE);
    hba_wr(HBA_GHC, hba_rd(HBA_GHC) | GHC_HR);
    deadline = system_time_ns() + NSEC_PER_SEC;
    while (hba_rd(HBA_GHC) & GHC_HR) {
        if (system_time_ns() >= deadline)
            return -XEN_EIO;
        sleep_ns(NSEC_PER_MSEC);
    }
    hba_wr(HBA_GHC, hba_rd(HBA_GHC) | GHC_AE);
    return 0;
}

/* §10.1.2 steps 3-7 for the first implemented port with a device: returns the port or -1. */
static int pick_port(void)
{
    uint32_t pi = hba_rd(HBA_PI);

    for (int p = 0; p < 32; p++) {
        if (!(pi & (1u << p)))
            continue;
        hba.px = hba.abar + PORT_BASE(p);
        if (SSTS_DET(px_rd(PX_SSTS)) == 3)
            return p;
    }
    /* None shows a link yet: a COMRESET on each implemented port, then look again. */
    for (int p = 0; p < 32; p++) {
        if (!(pi & (1u << p)))
            continue;
        hba.px = hba.abar + PORT_BASE(p);
        if (port_comreset(100))
            return p;
    }
    return -1;
}

static long port_setup(void)
{
    long pfn;

    /* §10.1.2 step 3: the port idle (ST, CR, FRE, FR clear). */
    if (!port_stop())
        return -XEN_EIO;
    px_wr(PX_CMD, px_rd(PX_CMD) & ~PXCMD_FRE);
    if (!px_wait(PX_CMD, PXCMD_FR, 0, 500))
        return -XEN_EIO;
    /* Command list and received FIS area in one page (zeroed by page_alloc). */
    pfn = page_alloc();
    if (pfn < 0)
        return pfn;
    hba.cl = pfn_to_virt((unsigned long)pfn);
    for (unsigned int s = 0; s < hba.nslots; s++) {
        long t = page_alloc();

        if (t < 0)
            return t;
        hba.ct[s] = pfn_to_virt((unsigned long)t);
        hba.ct_maddr[s] = virt_to_maddr(hba.ct[s]);
    }
    uint64_t clb = virt_to_maddr(hba.cl + CL_OFFSET), fb = virt_to_maddr(hba.cl + FIS_OFFSET);

    px_wr(PX_CLB, (uint32_t)clb);
    px_wr(PX_CLBU, (uint32_t)(clb >> 32));
    px_wr(PX_FB, (uint32_t)fb);
    px_wr(PX_FBU, (uint32_t)(fb >> 32));
    px_wr(PX_CMD, px_rd(PX_CMD) | PXCMD_FRE);
    /* §10.1.2 steps 6-7: clear PxSERR and PxIS, enable the interrupts. */
    px_wr(PX_SERR, ~0u);
    px_wr(PX_IS, ~0u);
    hba_wr(HBA_IS, ~0u);
    px_wr(PX_IE, PXIE_USED);
    hba_wr(HBA_GHC, hba_rd(HBA_GHC) | GHC_IE);
    /* §10.3.1: BSY and DRQ clear before ST; a device stuck busy gets a COMRESET. */
    if (!px_wait(PX_TFD, TFD_BSY | TFD_DRQ, 0, 1000) && !port_comreset(1000))
        return -XEN_EIO;
    if (px_rd(PX_SIG) != SIG_ATA)
        return -XEN_ENODEV; /* an ATAPI device or a port multiplier */
    px_wr(PX_SERR, ~0u);
    port_start();
    return 0;
}

long ahci_init(void)
{
    struct physdev_set_iopl iopl = {.iopl = 1};
    unsigned int bdf;
    long rc;
    int port;

    if (hba.ready)
        return 0;
    rc = physdev(PHYSDEVOP_set_iopl, &iopl);
    if (rc < 0)
        return rc;
    bdf = pci_find_ahci();
    if (bdf == ~0u)
        return -XEN_ENODEV;
    hba.info.bdf = bdf;
    /* As Linux's dom0 does: tell the hypervisor about the function before its MSI. */
    struct physdev_pci_device_add add = {.bus = 0, .devfn = (uint8_t)bdf};

    physdev(PHYSDEVOP_pci_device_add, &add); /* -EEXIST or already known: fine */
    cfg_write16(bdf, PCI_COMMAND,
                (uint16_t)(cfg_read(bdf, PCI_COMMAND, 2) | PCI_CMD_MEM | PCI_CMD_MASTER));
    hba.abar = map_mmio(cfg_read(bdf, PCI_BAR5, 4) & ~0xfu);
    if (!hba.abar)
        return -XEN_ENOMEM;
    rc = setup_msi(bdf);
    if (rc < 0)
        return rc;
    rc = hba_reset();
    if (rc < 0)
        return rc;
    hba.nslots = CAP_NCS(hba_rd(HBA_CAP));
    hba.info.slots = hba.nslots;
    port = pick_port();
    if (port < 0)
        return -XEN_ENODEV;
    hba.info.port = (unsigned int)port;
    rc = port_setup();
    if (rc < 0)
        return rc;
    if (!thread_create("ahci", service_thread, NULL, 0))
        return -XEN_ENOMEM;
    rc = identify();
    if (rc < 0)
        return rc;
    if (ahci_use_ncq && hba.info.ncq)
        hba.tags = hba.info.ncq_depth < hba.nslots ? hba.info.ncq_depth : hba.nslots;
    hba.ready = true;
    return 0;
}

/*
 * e1000 driver of the driver domain (issue 11); the API is in pvguest/e1000.h.
 *
 * Rules, by the chapters of Intel's PCI/PCI-X Family of Gigabit Ethernet Controllers
 * Software Developer's Manual (317453006, "SDM §"), for the 82540EM that QEMU models:
 *   - legacy receive descriptors §3.2.3 (buffer address, length, status DD/EOP, errors),
 *     legacy transmit descriptors §3.3.3 (buffer address, length, command EOP/IFCS/RS,
 *     status DD); rings §3.2.6 and §3.4 (base, length a multiple of 128 bytes, head owned
 *     by the hardware, tail by software; a ring is empty when head == tail);
 *   - the EEPROM through EERD (§5.3.1 and the register list of §13: START bit 0, DONE bit 4,
 *     word address in bits 15:8, data in 31:16); the MAC is words 0-2 (§5.6.1);
 *   - initialisation §14: global reset (CTRL.RST, §14.2), link (CTRL.SLU/ASDE, §14.3),
 *     receive (§14.4: RAL/RAH[0], MTA cleared, RDBA/RDLEN/RDH/RDT, RCTL), transmit (§14.5:
 *     TDBA/TDLEN/TDH/TDT, TCTL with PSP, CT 0x0f, COLD 0x40 full duplex; TIPG 10/8/6);
 *   - registers §13.4 (CTRL, STATUS, EERD, ICR, IMS, IMC, RCTL UPE/MPE/BAM/SECRC, TCTL, RDTR),
 *     statistics §13.7 (clear on read).
 *
 * Memory for the controller (DESIGN.md §6): each descriptor ring is one page; buffers are
 * 2 KiB halves of pages (a frame never spans two frames of memory). Addresses given to the
 * controller are machine addresses from the p2m list.
 *
 * Interrupts: the 82540EM has no MSI; its INTA is a GSI, level-triggered: the hypervisor masks
 * it when it fires and reopens it at PHYSDEVOP_eoi (docs/abi.md, "Hardware for the driver
 * domain"). The event handler only wakes the service thread, which reads ICR (this deasserts
 * the line), services the rings and then sends the EOI.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <xen/errno.h>
#include <xen/physdev.h>

#include <arch/hypercall.h>
#include <arch/page.h>
#include <pvguest/e1000.h>
#include <pvguest/events.h>
#include <pvguest/hypercall.h>
#include <pvguest/mm.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

/* ---- PCI configuration mechanism #1 (PCI 3.0 §3.2.2.3.2), bus 0 ---- */

#define PCI_CF8 0xcf8
#define PCI_CFC 0xcfc

static uint32_t cfg_read32(unsigned int bdf, unsigned int reg)
{
    uint32_t v;

    __asm__ volatile("outl %0, %w1" ::"a"(0x80000000u | bdf << 8 | (reg & 0xfc)), "Nd"(PCI_CF8));
    __asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"(PCI_CFC));
    return v;
}

static void cfg_write32(unsigned int bdf, unsigned int reg, uint32_t v)
{
    __asm__ volatile("outl %0, %w1" ::"a"(0x80000000u | bdf << 8 | (reg & 0xfc)), "Nd"(PCI_CF8));
    __asm__ volatile("outl %0, %w1" ::"a"(v), "Nd"(PCI_CFC));
}

#define PCI_COMMAND      0x04 /* low half of the dword; the status above is write-1-to-clear */
#define PCI_CMD_MEM      (1u << 1)
#define PCI_CMD_MASTER   (1u << 2)
#define PCI_CMD_INTX_OFF (1u << 10)
#define PCI_BAR0         0x10
#define PCI_INT_PIN      0x3d

/* 8254x device IDs QEMU and common hardware use for the 82540EM family (SDM table 5-1). */
static bool e1000_id(uint32_t id)
{
    if ((id & 0xffff) != 0x8086)
        return false;
    switch (id >> 16) {
    case 0x100e: /* 82540EM desktop (QEMU's "e1000") */
    case 0x100f: /* 82545EM copper (QEMU's "e1000-82545em") */
    case 0x1015: /* 82540EM mobile */
    case 0x1004: /* 82543GC copper (QEMU's "e1000-82544gc" is 0x100c) */
    case 0x100c:
        return true;
    default:
        return false;
    }
}

/* The first e1000 function on bus 0, or ~0u. */
static unsigned int pci_find_e1000(void)
{
    for (unsigned int dev = 0; dev < 32; dev++)
        for (unsigned int fn = 0; fn < 8; fn++) {
            unsigned int bdf = dev << 3 | fn;
            uint32_t id = cfg_read32(bdf, 0);

            if ((id & 0xffff) == 0xffff) {
                if (fn == 0)
                    break;
                continue;
            }
            if (e1000_id(id))
                return bdf;
            if (fn == 0 && !(cfg_read32(bdf, 0x0c) & 0x800000)) /* single-function */
                break;
        }
    return ~0u;
}

/* ---- Registers (SDM §13.4) ---- */

#define REG_CTRL    0x0000
#define REG_STATUS  0x0008
#define REG_EERD    0x0014
#define REG_ICR     0x00c0
#define REG_ICS     0x00c8
#define REG_IMS     0x00d0
#define REG_IMC     0x00d8
#define REG_RCTL    0x0100
#define REG_TCTL    0x0400
#define REG_TIPG    0x0410
#define REG_RDBAL   0x2800
#define REG_RDBAH   0x2804
#define REG_RDLEN   0x2808
#define REG_RDH     0x2810
#define REG_RDT     0x2818
#define REG_RDTR    0x2820
#define REG_TDBAL   0x3800
#define REG_TDBAH   0x3804
#define REG_TDLEN   0x3808
#define REG_TDH     0x3810
#define REG_TDT     0x3818
#define REG_CRCERRS 0x4000
#define REG_MPC     0x4010
#define REG_GPRC    0x4074
#define REG_GPTC    0x4080
#define REG_MTA     0x5200 /* 128 dwords */
#define REG_RAL0    0x5400
#define REG_RAH0    0x5404
/* The registers used lie in the BAR's first 6 pages. */
#define MMIO_PAGES 6

#define CTRL_ASDE    (1u << 5)
#define CTRL_SLU     (1u << 6)
#define CTRL_RST     (1u << 26)
#define STATUS_LU    (1u << 1)
#define EERD_START   (1u << 0)
#define EERD_DONE    (1u << 4)
#define ICR_TXDW     (1u << 0)
#define ICR_LSC      (1u << 2)
#define ICR_RXDMT0   (1u << 4)
#define ICR_RXO      (1u << 6)
#define ICR_RXT0     (1u << 7)
#define RCTL_EN      (1u << 1)
#define RCTL_UPE     (1u << 3)
#define RCTL_MPE     (1u << 4)
#define RCTL_BAM     (1u << 15)
#define RCTL_SECRC   (1u << 26) /* BSIZE 00 with BSEX 0: 2048-byte buffers */
#define TCTL_EN      (1u << 1)
#define TCTL_PSP     (1u << 3)
#define TCTL_CT(x)   ((uint32_t)(x) << 4)
#define TCTL_COLD(x) ((uint32_t)(x) << 12)
#define RAH_AV       (1u << 31)

/* Legacy descriptors (SDM §3.2.3, §3.3.3), 16 bytes each. */
struct rx_desc {
    uint64_t addr;
    uint16_t length;
    uint16_t csum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
};
struct tx_desc {
    uint64_t addr;
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;
    uint8_t status;
    uint8_t css;
    uint16_t special;
};
_Static_assert(sizeof(struct rx_desc) == 16 && sizeof(struct tx_desc) == 16, "descriptor size");
_Static_assert(E1000_NR_RX * 16 <= PAGE_SIZE && E1000_NR_TX * 16 <= PAGE_SIZE, "one page");
_Static_assert(E1000_NR_RX * 16 % 128 == 0 && E1000_NR_TX * 16 % 128 == 0, "128-byte rings");

#define RXD_DD   (1u << 0)
#define RXD_EOP  (1u << 1)
#define TXD_EOP  (1u << 0)
#define TXD_IFCS (1u << 1)
#define TXD_RS   (1u << 3)
#define TXD_DD   (1u << 0)

#define BUF_SIZE      2048
#define BUFS_PER_PAGE (PAGE_SIZE / BUF_SIZE)

struct e1000_stats e1000_stats;

static struct {
    bool ready;
    unsigned int bdf;
    int pirq;
    volatile uint8_t *regs;
    uint8_t mac[6];
    struct rx_desc *rx; /* the rings (direct map) */
    struct tx_desc *tx;
    uint8_t *rx_buf[E1000_NR_RX];
    uint8_t *tx_buf[E1000_NR_TX];
    unsigned int rx_next;  /* next descriptor the hardware will complete */
    unsigned int tx_tail;  /* next free transmit descriptor (our TDT) */
    unsigned int tx_clean; /* oldest descriptor not yet reclaimed */
    volatile bool irq_pending;
    struct wait_queue wq;
    e1000_rx_handler_t rx_handler;
    void *rx_arg;
} nic;

static inline uint32_t rd(unsigned int off)
{
    return *(volatile uint32_t *)(nic.regs + off);
}

static inline void wr(unsigned int off, uint32_t v)
{
    *(volatile uint32_t *)(nic.regs + off) = v;
}

/* Descriptor writes (write-back memory) become visible before the tail write (uncached MMIO):
   x86 keeps stores in order, so the compiler only must not move them. */
static inline void dma_barrier(void)
{
    __asm__ volatile("" ::: "memory");
}

static long physdev(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_physdev_op, (unsigned long)cmd, (unsigned long)arg);
}

static uint64_t virt_to_maddr(const void *va)
{
    return ((uint64_t)pfn_to_mfn(virt_to_pfn(va)) << PAGE_SHIFT) | ((uintptr_t)va & ~PAGE_MASK);
}

/*
 * Map `n` frames of MMIO from machine address `maddr` uncached at a new vmap address: scratch
 * pages are mapped there first (so mm creates the page tables), then their L1 entries are
 * rewritten with mmu_update on behalf of DOMID_IO (docs/abi.md, "Hardware for the driver
 * domain"). The scratch pages stay allocated.
 */
static volatile uint8_t *map_mmio(uint64_t maddr, unsigned int n)
{
    unsigned long pfns[MMIO_PAGES];
    mmu_update_t u[MMIO_PAGES];
    uint8_t *va;

    for (unsigned int i = 0; i < n; i++) {
        long pfn = page_alloc();

        if (pfn < 0)
            return NULL;
        pfns[i] = (unsigned long)pfn;
    }
    va = vmap(pfns, n, MM_WRITE);
    if (!va)
        return NULL;
    for (unsigned int i = 0; i < n; i++) {
        unsigned long v = (unsigned long)va + i * PAGE_SIZE;
        unsigned long l1 = mm_table_mfn(v, 1);

        if (!l1)
            return NULL;
        u[i].ptr = ((uint64_t)l1 << PAGE_SHIFT) + ((v >> PAGE_SHIFT) & 511) * 8;
        u[i].val = ((maddr + i * PAGE_SIZE) & PTE_FRAME_MASK) | _PAGE_PRESENT | _PAGE_RW |
                   _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_PCD | _PAGE_PWT | _PAGE_NX;
    }
    if (HYPERVISOR_mmu_update(u, n, NULL, DOMID_IO) < 0)
        return NULL;
    struct mmuext_op fl = {.cmd = MMUEXT_TLB_FLUSH_LOCAL};
    HYPERVISOR_mmuext_op(&fl, 1, NULL, DOMID_SELF);
    return va;
}

/* A zeroed page from the allocator, through the direct map. */
static void *alloc_page_va(void)
{
    long pfn = page_alloc();

    return pfn < 0 ? NULL : pfn_to_virt((unsigned long)pfn);
}

/* ---- EEPROM, link, filters ---- */

/* EEPROM word `addr` through EERD, or -1 after 10 ms without DONE. */
static int eeprom_read(unsigned int addr)
{
    uint64_t deadline = system_time_ns() + 10 * NSEC_PER_MSEC;

    wr(REG_EERD, EERD_START | addr << 8);
    for (;;) {
        uint32_t v = rd(REG_EERD);

        if (v & EERD_DONE)
            return (int)(v >> 16);
        if (system_time_ns() >= deadline)
            return -1;
        sleep_ns(10 * NSEC_PER_USEC);
    }
}

bool e1000_link_up(void)
{
    return nic.ready && (rd(REG_STATUS) & STATUS_LU);
}

const uint8_t *e1000_mac(void)
{
    return nic.mac;
}

bool e1000_ready(void)
{
    return nic.ready;
}

void e1000_set_promiscuous(bool on)
{
    uint32_t rctl = rd(REG_RCTL);

    wr(REG_RCTL, on ? rctl | RCTL_UPE | RCTL_MPE : rctl & ~(RCTL_UPE | RCTL_MPE));
}

e1000_rx_handler_t e1000_set_rx_handler(e1000_rx_handler_t handler, void *arg)
{
    e1000_rx_handler_t old = nic.rx_handler;

    nic.rx_handler = handler;
    nic.rx_arg = arg;
    return old;
}

void e1000_update_stats(void)
{
    if (!nic.ready)
        return;
    e1000_stats.hw_crc_errors += rd(REG_CRCERRS);
    e1000_stats.hw_missed += rd(REG_MPC);
    e1000_stats.hw_rx_good += rd(REG_GPRC);
    e1000_stats.hw_tx_good += rd(REG_GPTC);
}

/* ---- Rings ---- */

/* Give back every completed receive descriptor, handing good frames to the handler. */
static void rx_service(void)
{
    unsigned int n = 0;

    for (;;) {
        struct rx_desc *d = &nic.rx[nic.rx_next];

        if (!(d->status & RXD_DD))
            break;
        dma_barrier();
        /* 2 KiB buffers hold any frame, so a good one always has EOP (§3.2.3). */
        if (!(d->status & RXD_EOP) || d->errors || d->length < 14 ||
            d->length > E1000_MAX_FRAME + 4) {
            e1000_stats.rx_errors++;
        } else {
            size_t len = d->length > E1000_MAX_FRAME ? E1000_MAX_FRAME : d->length;

            e1000_stats.rx_frames++;
            e1000_stats.rx_bytes += len;
            if (nic.rx_handler)
                nic.rx_handler(nic.rx_buf[nic.rx_next], len, nic.rx_arg);
        }
        d->status = 0;
        d->errors = 0;
        dma_barrier();
        /* The descriptor is the hardware's again: the tail points at the last one given. */
        wr(REG_RDT, nic.rx_next);
        nic.rx_next = (nic.rx_next + 1) % E1000_NR_RX;
        if (++n >= E1000_NR_RX)
            break; /* let the other threads run; the loop comes back */
    }
}

/* Reclaim transmit descriptors the controller has finished (status DD, set because of RS). */
static void tx_reclaim(void)
{
    while (nic.tx_clean != nic.tx_tail && (nic.tx[nic.tx_clean].status & TXD_DD))
        nic.tx_clean = (nic.tx_clean + 1) % E1000_NR_TX;
}

long e1000_send(const void *frame, size_t len)
{
    struct tx_desc *d;

    if (!nic.ready)
        return -XEN_ENODEV;
    if (len < 14 || len > E1000_MAX_FRAME)
        return -XEN_EINVAL;
    tx_reclaim();
    if ((nic.tx_tail + 1) % E1000_NR_TX == nic.tx_clean) {
        e1000_stats.tx_full++;
        return -XEN_EAGAIN;
    }
    d = &nic.tx[nic.tx_tail];
    memcpy(nic.tx_buf[nic.tx_tail], frame, len);
    d->addr = virt_to_maddr(nic.tx_buf[nic.tx_tail]);
    d->length = (uint16_t)len;
    d->cso = 0;
    d->cmd = TXD_EOP | TXD_IFCS | TXD_RS;
    d->status = 0;
    d->css = 0;
    d->special = 0;
    dma_barrier();
    nic.tx_tail = (nic.tx_tail + 1) % E1000_NR_TX;
    wr(REG_TDT, nic.tx_tail);
    e1000_stats.tx_frames++;
    e1000_stats.tx_bytes += len;
    return 0;
}

/* ---- Interrupts and the service thread ---- */

static void e1000_event(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    (void)port;
    (void)regs;
    (void)data;
    e1000_stats.interrupts++;
    nic.irq_pending = true;
    wake_up(&nic.wq);
}

/*
 * Read ICR (clearing it deasserts the level interrupt), service the rings, then EOI the pirq
 * (physdev.h: PHYSDEVOP_eoi unmasks a level GSI). Without an interrupt the thread still looks
 * every 100 ms, so a lost event only delays frames.
 */
static void service_thread(void *arg)
{
    (void)arg;
    for (;;) {
        struct physdev_eoi eoi = {.irq = (uint32_t)nic.pirq};
        uint32_t icr;

        wait_event_deadline(nic.wq, nic.irq_pending, system_time_ns() + 100 * NSEC_PER_MSEC);
        nic.irq_pending = false;
        icr = rd(REG_ICR);
        if (icr & ICR_LSC)
            e1000_stats.link_changes++;
        rx_service();
        tx_reclaim();
        if (nic.pirq >= 0)
            physdev(PHYSDEVOP_eoi, &eoi);
        thread_yield(); /* an interrupt storm must not starve the other threads */
    }
}

/*
 * The INTA pin's GSI on QEMU q35 (ICH9 bus-0 routing: PIRQ (slot + pin - 1) mod 4 + 4, i.e.
 * PIRQ E-H, GSI 16 + PIRQ; tests/guests/probe_pci.c), set up level/active-high, mapped as the
 * pirq of the same number and bound to an event channel.
 */
static long setup_irq(unsigned int bdf)
{
    unsigned int pin = (cfg_read32(bdf, 0x3c) >> 8) & 0xff, slot = (bdf >> 3) & 0x1f;
    int gsi = 16 + (int)((slot + pin - 1) % 4 + 4);
    struct physdev_setup_gsi sg = {.gsi = gsi, .triggering = 1, .polarity = 0};
    struct physdev_map_pirq m = {
        .domid = DOMID_SELF, .type = MAP_PIRQ_TYPE_GSI, .index = gsi, .pirq = gsi};
    long rc;

    if (pin == 0)
        return -XEN_ENODEV;
    physdev(PHYSDEVOP_setup_gsi, &sg); /* Xen: > 0 if already set up; fine */
    rc = physdev(PHYSDEVOP_map_pirq, &m);
    if (rc < 0)
        return rc;
    nic.pirq = m.pirq;
    struct evtchn_bind_pirq b = {.pirq = (uint32_t)m.pirq, .flags = 0};
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_pirq, &b);
    if (rc < 0)
        return rc;
    return evtchn_bind_handler(b.port, e1000_event, NULL);
}

/* Global reset (§14.2): interrupts masked before and after, CTRL.RST self-clears. */
static long nic_reset(void)
{
    uint64_t deadline;

    wr(REG_IMC, ~0u);
    wr(REG_CTRL, rd(REG_CTRL) | CTRL_RST);
    sleep_ns(NSEC_PER_MSEC);
    deadline = system_time_ns() + 100 * NSEC_PER_MSEC;
    while (rd(REG_CTRL) & CTRL_RST) {
        if (system_time_ns() >= deadline)
            return -XEN_EIO;
        sleep_ns(100 * NSEC_PER_USEC);
    }
    wr(REG_IMC, ~0u);
    (void)rd(REG_ICR);
    return 0;
}

static long rings_setup(void)
{
    uint64_t a;

    nic.rx = alloc_page_va();
    nic.tx = alloc_page_va();
    if (!nic.rx || !nic.tx)
        return -XEN_ENOMEM;
    for (unsigned int i = 0; i < E1000_NR_RX; i += BUFS_PER_PAGE) {
        uint8_t *p = alloc_page_va();

        if (!p)
            return -XEN_ENOMEM;
        for (unsigned int j = 0; j < BUFS_PER_PAGE; j++) {
            nic.rx_buf[i + j] = p + j * BUF_SIZE;
            nic.rx[i + j].addr = virt_to_maddr(p + j * BUF_SIZE);
        }
    }
    for (unsigned int i = 0; i < E1000_NR_TX; i += BUFS_PER_PAGE) {
        uint8_t *p = alloc_page_va();

        if (!p)
            return -XEN_ENOMEM;
        for (unsigned int j = 0; j < BUFS_PER_PAGE; j++)
            nic.tx_buf[i + j] = p + j * BUF_SIZE;
    }
    /* Receive (§14.4). All descriptors but one are the hardware's (head == tail means empty). */
    a = virt_to_maddr(nic.rx);
    wr(REG_RDBAL, (uint32_t)a);
    wr(REG_RDBAH, (uint32_t)(a >> 32));
    wr(REG_RDLEN, E1000_NR_RX * sizeof(struct rx_desc));
    wr(REG_RDH, 0);
    wr(REG_RDT, E1000_NR_RX - 1);
    wr(REG_RDTR, 0);
    nic.rx_next = 0;
    /* Transmit (§14.5). */
    a = virt_to_maddr(nic.tx);
    wr(REG_TDBAL, (uint32_t)a);
    wr(REG_TDBAH, (uint32_t)(a >> 32));
    wr(REG_TDLEN, E1000_NR_TX * sizeof(struct tx_desc));
    wr(REG_TDH, 0);
    wr(REG_TDT, 0);
    nic.tx_tail = nic.tx_clean = 0;
    wr(REG_TIPG, 10 | 8u << 10 | 6u << 20);
    wr(REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT(0x0f) | TCTL_COLD(0x40));
    wr(REG_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    return 0;
}

long e1000_init(void)
{
    struct physdev_set_iopl iopl = {.iopl = 1};
    unsigned int bdf;
    long rc;

    if (nic.ready)
        return 0;
    nic.pirq = -1;
    rc = physdev(PHYSDEVOP_set_iopl, &iopl);
    if (rc < 0)
        return rc;
    bdf = pci_find_e1000();
    if (bdf == ~0u)
        return -XEN_ENODEV;
    nic.bdf = bdf;
    /* Memory decoding and bus mastering on, INTx enabled (PCI 3.0 §6.2.2). */
    cfg_write32(bdf, PCI_COMMAND,
                ((cfg_read32(bdf, PCI_COMMAND) & 0xffff) | PCI_CMD_MEM | PCI_CMD_MASTER) &
                    ~PCI_CMD_INTX_OFF);
    nic.regs = map_mmio(cfg_read32(bdf, PCI_BAR0) & ~0xfu, MMIO_PAGES);
    if (!nic.regs)
        return -XEN_ENOMEM;
    rc = nic_reset();
    if (rc < 0)
        return rc;
    for (unsigned int i = 0; i < 3; i++) {
        int w = eeprom_read(i);

        if (w < 0)
            return -XEN_EIO;
        nic.mac[2 * i] = (uint8_t)w;
        nic.mac[2 * i + 1] = (uint8_t)(w >> 8);
    }
    /* Our address in receive-address slot 0; no multicast hash bits (§14.4). */
    wr(REG_RAL0, (uint32_t)nic.mac[0] | (uint32_t)nic.mac[1] << 8 | (uint32_t)nic.mac[2] << 16 |
                     (uint32_t)nic.mac[3] << 24);
    wr(REG_RAH0, (uint32_t)nic.mac[4] | (uint32_t)nic.mac[5] << 8 | RAH_AV);
    for (unsigned int i = 0; i < 128; i++)
        wr(REG_MTA + 4 * i, 0);
    /* Link up with speed detected (§14.3). */
    wr(REG_CTRL, rd(REG_CTRL) | CTRL_SLU | CTRL_ASDE);
    rc = rings_setup();
    if (rc < 0)
        return rc;
    rc = setup_irq(bdf);
    if (rc < 0)
        return rc;
    if (!thread_create("e1000", service_thread, NULL, 0))
        return -XEN_ENOMEM;
    nic.ready = true;
    (void)rd(REG_CRCERRS); /* the statistics count from here */
    (void)rd(REG_MPC);
    (void)rd(REG_GPRC);
    (void)rd(REG_GPTC);
    wr(REG_IMS, ICR_LSC | ICR_RXT0 | ICR_RXO | ICR_RXDMT0 | ICR_TXDW);
    return 0;
}

/*
 * probe_pci: the driver domain's hardware path (issue 9), as dom0 on Xen 4.17 and on mica.
 *
 * Privileged (dom0): scan bus 0 through 0xcf8/0xcfc (virtual IOPL 1), find QEMU q35's ICH9
 * AHCI (8086:2922) and an e1000 (8086:100e), size their BARs (all-ones probe, decoding off),
 * map the AHCI's ABAR with mmu_update(DOMID_IO) and the e1000's registers with
 * update_va_mapping, read AHCI CAP/VS and e1000 STATUS; then interrupts: the e1000's INTA as
 * a GSI pirq (ICH9 routing: PIRQ (slot + pin) mod 4 + 4, GSI 16 + PIRQ; level), raised with
 * ICS, polled as an event, cleared by reading ICR, EOI'd; the AHCI's MSI as a pirq, raised by
 * a port reset that posts a D2H register FIS (AHCI 1.3 §3.3.10 PxSCTL.DET, §3.3.5 PxIS.DHRS)
 * and then enabling PxIE.DHRE. QEMU needs a disk on AHCI port 0 and an e1000.
 *
 * Unprivileged (a domU copy on mica): the same steps are refused: port I/O and configuration
 * cycles #GP (no IOPL asked for), physdev_op -EPERM, bind_pirq -EPERM, MMIO mapping -EPERM.
 */
#define PROBE_NAME "probe_pci"

#include <string.h>

#include "probe.h"
#include "evt_util.h"

#include <xen/physdev.h>

#define PCI_CF8 0xcf8
#define PCI_CFC 0xcfc

/* ---- #GP catching: the handler records the vector and resumes at probe_gp_resume ---- */

volatile long pci_trap_vec = -1;
uint64_t pci_resume_rip;

/* Frame on entry: RCX, R11, error code, RIP, CS, RFLAGS, RSP, SS (PV64 bounce frame). */
__asm__(".pushsection .text\n"
        ".globl pci_gp_entry\n"
        "pci_gp_entry:\n\t"
        "movq $13, pci_trap_vec(%rip)\n\t"
        "pop %rcx\n\t"
        "pop %r11\n\t"
        "add $8, %rsp\n\t" /* the error code */
        "push %rax\n\t"
        "mov pci_resume_rip(%rip), %rax\n\t"
        "mov %rax, 8(%rsp)\n\t"
        "pop %rax\n\t"
        "push $0\n\t"
        "jmp hypercall_page + 23*32\n"
        ".popsection\n");
void pci_gp_entry(void);

/* One port access that may #GP: "ok" with the value, or "#GP". */
static const char *try_io(bool out, unsigned int port, uint32_t val, uint32_t *res)
{
    uint32_t r = 0;

    pci_trap_vec = -1;
    __asm__ volatile("lea 1f(%%rip), %%rax\n\t"
                     "mov %%rax, pci_resume_rip(%%rip)\n\t"
                     "mov %[v], %%eax\n\t"
                     "test %[o], %[o]\n\t"
                     "jz 2f\n\t"
                     "out %%eax, %%dx\n\t"
                     "jmp 1f\n"
                     "2: in %%dx, %%eax\n"
                     "1:\n\t"
                     "mov %%eax, %[r]"
                     : [r] "=r"(r)
                     : [v] "r"(val), [o] "r"((unsigned)out), "d"(port)
                     : "rax", "memory");
    if (res)
        *res = r;
    return pci_trap_vec == 13 ? "#GP" : "ok";
}

static long physdev(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_physdev_op, (unsigned long)cmd, (unsigned long)arg);
}

/* ---- Configuration mechanism #1 ---- */

static uint32_t cfg_read(unsigned int bdf, unsigned int reg, unsigned int size)
{
    uint32_t v;

    __asm__ volatile("outl %0, %w1" ::"a"(0x80000000u | bdf << 8 | (reg & 0xfc)), "Nd"(PCI_CF8));
    switch (size) {
    case 1: {
        uint8_t b;
        __asm__ volatile("inb %w1, %0" : "=a"(b) : "Nd"(PCI_CFC + (reg & 3)));
        return b;
    }
    case 2: {
        uint16_t w;
        __asm__ volatile("inw %w1, %0" : "=a"(w) : "Nd"(PCI_CFC + (reg & 2)));
        return w;
    }
    default:
        __asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"(PCI_CFC));
        return v;
    }
}

static void cfg_write(unsigned int bdf, unsigned int reg, unsigned int size, uint32_t v)
{
    __asm__ volatile("outl %0, %w1" ::"a"(0x80000000u | bdf << 8 | (reg & 0xfc)), "Nd"(PCI_CF8));
    switch (size) {
    case 1:
        __asm__ volatile("outb %b0, %w1" ::"a"(v), "Nd"(PCI_CFC + (reg & 3)));
        break;
    case 2:
        __asm__ volatile("outw %w0, %w1" ::"a"(v), "Nd"(PCI_CFC + (reg & 2)));
        break;
    default:
        __asm__ volatile("outl %0, %w1" ::"a"(v), "Nd"(PCI_CFC));
        break;
    }
}

#define BDF_STR(b) (b) >> 8, ((b) >> 3) & 0x1f, (b)&7

/* Size memory BAR @i of @bdf (PCI 3.0 §6.2.5.1, decoding off meanwhile); returns its base. */
static uint32_t size_bar(unsigned int bdf, unsigned int i, const char *name)
{
    unsigned int reg = 0x10 + 4 * i;
    uint32_t cmd = cfg_read(bdf, 0x04, 2), base = cfg_read(bdf, reg, 4), mask;

    cfg_write(bdf, 0x04, 2, cmd & ~3u);
    cfg_write(bdf, reg, 4, 0xffffffffu);
    mask = cfg_read(bdf, reg, 4);
    cfg_write(bdf, reg, 4, base);
    cfg_write(bdf, 0x04, 2, cmd);
    P("%s BAR%u: mask %#x, size %#x, type bits %#x, base unchanged %s", name, i, mask,
      ~(mask & ~0xfu) + 1, mask & 0xf, cfg_read(bdf, reg, 4) == base ? "yes" : "no");
    return base & ~0xfu;
}

/* Offset of capability @id of @bdf, or 0 (PCI 3.0 §6.7). */
static unsigned int find_cap(unsigned int bdf, unsigned int id)
{
    unsigned int pos, guard = 48;

    if (!(cfg_read(bdf, 0x06, 2) & 0x10))
        return 0;
    for (pos = cfg_read(bdf, 0x34, 1) & 0xfc; pos >= 0x40 && guard--;
         pos = cfg_read(bdf, pos + 1, 1) & 0xfc)
        if (cfg_read(bdf, pos, 1) == id)
            return pos;
    return 0;
}

/* ---- Mapping MMIO over pages of our own image ---- */

static uint8_t mmio_win[2][4096] __attribute__((aligned(4096)));
static uint8_t dma_page[2][4096] __attribute__((aligned(4096)));

static unsigned long va_to_mfn(const void *va)
{
    return probe_pfn_to_mfn(((unsigned long)va - PROBE_VIRT_BASE) >> PAGE_SHIFT);
}

/* Machine address of the L1 entry that maps @va (bootstrap tables, 4 KiB pages), or 0. */
static uint64_t l1e_maddr(unsigned long va)
{
    unsigned long mfn = va_to_mfn((const void *)start_info->pt_base);
    const uint64_t *table = (const uint64_t *)start_info->pt_base;

    for (int level = 4; level >= 1; level--) {
        unsigned int idx = (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
        uint64_t e = table[idx];

        if (level == 1)
            return ((uint64_t)mfn << PAGE_SHIFT) + idx * 8;
        if (!(e & _PAGE_PRESENT) || (e & _PAGE_PSE))
            return 0;
        mfn = (e & PTE_FRAME_MASK) >> PAGE_SHIFT;
        table = probe_table_va(mfn);
        if (!table)
            return 0;
    }
    return 0;
}

/* An MMIO entry: uncached (PCD|PWT, allowed to a domain with I/O resources) or plain. */
static bool mmio_uncached = true;
#define MMIO_PTE(maddr)                                                                            \
    ((maddr) | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY |                           \
     (mmio_uncached ? _PAGE_PCD | _PAGE_PWT : 0))

static long map_by_mmu_update(void *va, uint64_t maddr)
{
    mmu_update_t u = {.ptr = l1e_maddr((unsigned long)va) | MMU_NORMAL_PT_UPDATE,
                      .val = MMIO_PTE(maddr)};
    struct mmuext_op fl = {.cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = (unsigned long)va};
    long rc = HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_IO);

    if (!rc)
        HYPERVISOR_mmuext_op(&fl, 1, NULL, DOMID_SELF);
    return rc;
}

static long map_by_uvm(void *va, uint64_t maddr)
{
    return HYPERVISOR_update_va_mapping((unsigned long)va, MMIO_PTE(maddr), UVMF_INVLPG);
}

static inline uint32_t rd32(const volatile uint8_t *base, unsigned int off)
{
    return *(const volatile uint32_t *)(base + off);
}

static inline void wr32(volatile uint8_t *base, unsigned int off, uint32_t v)
{
    *(volatile uint32_t *)(base + off) = v;
}

/* ---- Interrupts ---- */

static long map_gsi(int gsi)
{
    struct physdev_setup_gsi sg = {.gsi = gsi, .triggering = 1, .polarity = 0};
    struct physdev_map_pirq m = {
        .domid = DOMID_SELF, .type = MAP_PIRQ_TYPE_GSI, .index = gsi, .pirq = gsi};
    long rc = physdev(PHYSDEVOP_setup_gsi, &sg);

    P("setup_gsi(gsi %d, level, active-high) = %s", gsi, rc_str(rc > 0 ? 0 : rc));
    rc = physdev(PHYSDEVOP_map_pirq, &m);
    P("map_pirq(GSI %d, pirq %d) = %s pirq %d", gsi, gsi, rc_str(rc), rc ? -1 : m.pirq);
    return rc ? rc : m.pirq;
}

static long map_msi(unsigned int bdf)
{
    struct physdev_map_pirq m = {.domid = DOMID_SELF,
                                 .type = MAP_PIRQ_TYPE_MSI,
                                 .index = -1,
                                 .pirq = -1,
                                 .bus = (int)(bdf >> 8),
                                 .devfn = (int)(bdf & 0xff)};
    long rc = physdev(PHYSDEVOP_map_pirq, &m);

    P("map_pirq(MSI %02x:%02x.%u, pirq -1) = %s, pirq %s", BDF_STR(bdf), rc_str(rc),
      rc ? "none" : (m.pirq >= 24 ? "allocated (>= 24)" : "low"));
    return rc ? rc : m.pirq;
}

static long bind_pirq(unsigned int pirq, const char *what)
{
    struct evtchn_bind_pirq b = {.pirq = pirq, .flags = 0};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_pirq, &b);

    P("bind_pirq(%s) = %s", what, rc_str(rc));
    return rc ? rc : b.port;
}

static void status_and_eoi(unsigned int pirq, const char *what)
{
    struct physdev_irq_status_query q = {.irq = pirq};
    struct physdev_eoi e = {.irq = pirq};
    long rc = physdev(PHYSDEVOP_irq_status_query, &q);

    P("irq_status_query(%s) = %s flags %#x", what, rc_str(rc), rc ? 0 : q.flags);
    P("eoi(%s) = %s", what, rc_str(physdev(PHYSDEVOP_eoi, &e)));
}

/* Wait up to 1 s for @port; prints and returns whether it became pending (and clears it). */
static bool wait_event(evtchn_port_t port, const char *what)
{
    uint64_t deadline = evt_now_ns() + 1000000000ull;
    bool got = false;

    while (!(got = evt_test_and_clear(port)) && evt_now_ns() < deadline)
        evt_poll(&port, 1, deadline);
    P("%s: event %s", what, got ? "received" : "NOT received");
    return got;
}

/* ---- The devices ---- */

#define E1000_STATUS 0x08
#define E1000_ICR    0xc0
#define E1000_ICS    0xc8
#define E1000_IMS    0xd0
#define E1000_IMC    0xd8
#define E1000_LSC    0x04

static void e1000(unsigned int bdf)
{
    uint32_t bar0 = size_bar(bdf, 0, "e1000");
    volatile uint8_t *r = mmio_win[1];
    unsigned int pin = cfg_read(bdf, 0x3d, 1), slot = (bdf >> 3) & 0x1f;
    int gsi = 16 + (int)((slot + pin - 1) % 4 + 4); /* ICH9 bus-0 table, slots 0-24 */
    long rc, pirq, port;

    cfg_write(bdf, 0x04, 2, (cfg_read(bdf, 0x04, 2) | 0x6) & ~0x400u); /* MEM, master, INTx */
    rc = map_by_uvm((void *)r, bar0);
    P("update_va_mapping(e1000 BAR0 frame) = %s", rc_str(rc));
    if (rc)
        return;
    P("e1000 STATUS & 0x3 (FD, LU) = %#x", rd32(r, E1000_STATUS) & 3);
    wr32(r, E1000_IMC, ~0u);
    (void)rd32(r, E1000_ICR);
    P("e1000 INT%c routed to gsi %d", 'A' + pin - 1, gsi);
    pirq = map_gsi(gsi);
    if (pirq < 0)
        return;
    port = bind_pirq((unsigned int)pirq, "e1000 GSI");
    if (port < 0)
        return;
    evt_poll((evtchn_port_t *)&port, 1, evt_now_ns() + 50000000ull);
    P("e1000 before ICS: %s", evt_test_and_clear((evtchn_port_t)port) ? "an event" : "quiet");
    wr32(r, E1000_IMS, E1000_LSC);
    wr32(r, E1000_ICS, E1000_LSC);
    wait_event((evtchn_port_t)port, "e1000 ICS.LSC");
    P("e1000 ICR & LSC = %#x (read clears)", rd32(r, E1000_ICR) & E1000_LSC);
    status_and_eoi((unsigned int)pirq, "e1000");
    /* After the EOI the line is unmasked but deasserted: nothing more arrives. */
    evt_poll((evtchn_port_t *)&port, 1, evt_now_ns() + 50000000ull);
    P("e1000 after EOI: %s", evt_test_and_clear((evtchn_port_t)port) ? "another event" : "quiet");
    /* A second cause, a second event: the EOI reopened the line. */
    wr32(r, E1000_ICS, E1000_LSC);
    wait_event((evtchn_port_t)port, "e1000 second ICS.LSC");
    (void)rd32(r, E1000_ICR);
    status_and_eoi((unsigned int)pirq, "e1000");
    wr32(r, E1000_IMC, ~0u);
}

/* AHCI 1.3 §3.1, §3.3: generic host control and port 0 registers. */
#define AHCI_CAP   0x00
#define AHCI_GHC   0x04
#define AHCI_IS    0x08
#define AHCI_PI    0x0c
#define AHCI_VS    0x10
#define GHC_IE     (1u << 1)
#define GHC_AE     (1u << 31)
#define P0(off)    (0x100 + (off))
#define PX_CLB     0x00
#define PX_CLBU    0x04
#define PX_FB      0x08
#define PX_FBU     0x0c
#define PX_IS      0x10
#define PX_IE      0x14
#define PX_CMD     0x18
#define PX_SIG     0x24
#define PX_SCTL    0x2c
#define PX_CMD_FRE (1u << 4)
#define PX_CMD_ST  1u
#define PX_IS_DHRS 1u

static void ahci(unsigned int bdf)
{
    uint32_t abar = size_bar(bdf, 5, "ahci");
    volatile uint8_t *r = mmio_win[0];
    unsigned int msi = find_cap(bdf, 0x05);
    long rc, pirq, port;

    cfg_write(bdf, 0x04, 2, cfg_read(bdf, 0x04, 2) | 0x6);
    rc = map_by_mmu_update((void *)r, abar);
    P("mmu_update(DOMID_IO, ahci ABAR frame) = %s", rc_str(rc));
    if (rc)
        return;
    P("ahci CAP = %#x, VS = %#x, PI = %#x", rd32(r, AHCI_CAP), rd32(r, AHCI_VS), rd32(r, AHCI_PI));
    P("ahci MSI capability %s", msi ? "found" : "missing");
    if (!msi)
        return;
    pirq = map_msi(bdf);
    if (pirq < 0)
        return;
    port = bind_pirq((unsigned int)pirq, "ahci MSI");
    if (port < 0)
        return;
    /* Split brain, as Xen's dom0: the hypervisor wrote the message, the owner enables it. */
    cfg_write(bdf, msi + 2, 2, cfg_read(bdf, msi + 2, 2) | 1);
    cfg_write(bdf, 0x04, 2, cfg_read(bdf, 0x04, 2) | 0x400); /* INTx off */
    P("ahci MSI enabled: %s", (cfg_read(bdf, msi + 2, 2) & 1) ? "yes" : "no");

    /* Port 0: stop it, give it a FIS receive area in our own page, reset it. */
    wr32(r, AHCI_GHC, rd32(r, AHCI_GHC) | GHC_AE);
    wr32(r, P0(PX_CMD), rd32(r, P0(PX_CMD)) & ~(PX_CMD_ST | PX_CMD_FRE));
    wr32(r, P0(PX_CLB), (uint32_t)(va_to_mfn(dma_page[0]) << PAGE_SHIFT));
    wr32(r, P0(PX_CLBU), (uint32_t)(va_to_mfn(dma_page[0]) >> (32 - PAGE_SHIFT)));
    wr32(r, P0(PX_FB), (uint32_t)(va_to_mfn(dma_page[1]) << PAGE_SHIFT));
    wr32(r, P0(PX_FBU), (uint32_t)(va_to_mfn(dma_page[1]) >> (32 - PAGE_SHIFT)));
    wr32(r, P0(PX_CMD), rd32(r, P0(PX_CMD)) | PX_CMD_FRE);
    wr32(r, P0(PX_IE), 0);
    wr32(r, P0(PX_IS), ~0u);
    wr32(r, AHCI_IS, ~0u);
    wr32(r, AHCI_GHC, rd32(r, AHCI_GHC) | GHC_IE);
    wr32(r, P0(PX_SCTL), 1); /* DET = 1: COMRESET */
    wr32(r, P0(PX_SCTL), 0); /* and release: the drive answers with a D2H register FIS */
    P("ahci port 0 after reset: PxIS.DHRS %u, signature %#x", rd32(r, P0(PX_IS)) & PX_IS_DHRS,
      rd32(r, P0(PX_SIG)));
    wr32(r, P0(PX_IE), PX_IS_DHRS); /* now it is enabled, it interrupts */
    wait_event((evtchn_port_t)port, "ahci PxIS.DHRS");
    wr32(r, P0(PX_IE), 0);
    wr32(r, P0(PX_IS), rd32(r, P0(PX_IS)));
    wr32(r, AHCI_IS, rd32(r, AHCI_IS));
    status_and_eoi((unsigned int)pirq, "ahci");
}

static void privileged(void)
{
    struct physdev_set_iopl iopl = {.iopl = 1};
    unsigned int ahci_bdf = ~0u, nic_bdf = ~0u, n = 0;

    P("set_iopl(1) = %s", rc_str(physdev(PHYSDEVOP_set_iopl, &iopl)));
    for (unsigned int dev = 0; dev < 32; dev++) {
        for (unsigned int fn = 0; fn < 8; fn++) {
            unsigned int bdf = dev << 3 | fn;
            uint32_t id = cfg_read(bdf, 0, 4);

            if ((id & 0xffff) == 0xffff) {
                if (fn == 0)
                    break;
                continue;
            }
            n++;
            P("00:%02x.%u %04x:%04x class %06x pin %u", dev, fn, id & 0xffff, id >> 16,
              cfg_read(bdf, 8, 4) >> 8, cfg_read(bdf, 0x3d, 1));
            if (id == 0x29228086)
                ahci_bdf = bdf;
            if (id == 0x100e8086)
                nic_bdf = bdf;
            if (fn == 0 && !(cfg_read(bdf, 0x0e, 1) & 0x80))
                break;
        }
    }
    P("bus 0: %u functions, ahci %s, e1000 %s", n, ahci_bdf != ~0u ? "found" : "missing",
      nic_bdf != ~0u ? "found" : "missing");
    /* As Linux's dom0 does for each device it finds (Xen then knows it for MSI). */
    for (unsigned int i = 0; i < 2; i++) {
        unsigned int bdf = i ? ahci_bdf : nic_bdf;
        struct physdev_pci_device_add a = {.bus = 0, .devfn = (uint8_t)bdf};

        if (bdf != ~0u)
            P("pci_device_add(%02x:%02x.%u) = %s", BDF_STR(bdf),
              rc_str(physdev(PHYSDEVOP_pci_device_add, &a)));
    }
    if (nic_bdf != ~0u)
        e1000(nic_bdf);
    if (ahci_bdf != ~0u)
        ahci(ahci_bdf);
}

/* Where QEMU's firmware puts the e1000's registers on q35 (mica prints it at boot). */
#define Q35_E1000_MMIO 0xfebc0000ul

static void unprivileged(void)
{
    static trap_info_t traps[] = {{13, 0, FLAT_KERNEL_CS, (unsigned long)pci_gp_entry},
                                  {0, 0, 0, 0}};
    struct physdev_map_pirq m = {
        .domid = DOMID_SELF, .type = MAP_PIRQ_TYPE_GSI, .index = 21, .pirq = 21};
    struct physdev_map_pirq mm = {.domid = DOMID_SELF,
                                  .type = MAP_PIRQ_TYPE_MSI,
                                  .index = -1,
                                  .pirq = -1,
                                  .bus = 0,
                                  .devfn = 0xfa};
    struct physdev_setup_gsi sg = {.gsi = 21, .triggering = 1};
    struct physdev_pci_device_add a = {.devfn = 0x08};
    struct physdev_eoi e = {.irq = 21};
    uint32_t v;

    P("set_trap_table(#GP) = %s",
      rc_str(hypercall1(__HYPERVISOR_set_trap_table, (unsigned long)traps)));
    P("unprivileged: outl 0xcf8 = %s", try_io(true, PCI_CF8, 0x80000000u, NULL));
    P("unprivileged: inl 0xcfc = %s", try_io(false, PCI_CFC, 0, &v));
    P("unprivileged: inl 0xc000 (e1000 I/O BAR) = %s", try_io(false, 0xc000, 0, &v));
    P("unprivileged: setup_gsi(21) = %s", rc_str(physdev(PHYSDEVOP_setup_gsi, &sg)));
    P("unprivileged: pci_device_add(00:01.0) = %s", rc_str(physdev(PHYSDEVOP_pci_device_add, &a)));
    P("unprivileged: map_pirq(GSI 21) = %s", rc_str(physdev(PHYSDEVOP_map_pirq, &m)));
    P("unprivileged: map_pirq(MSI 00:1f.2) = %s", rc_str(physdev(PHYSDEVOP_map_pirq, &mm)));
    bind_pirq(21, "unprivileged: GSI 21");
    P("unprivileged: eoi(21) = %s", rc_str(physdev(PHYSDEVOP_eoi, &e)));
    /* Uncached: the cache bits alone are refused (Xen's l1_disallow_mask: -EINVAL). */
    P("unprivileged: update_va_mapping(e1000 frame, PCD|PWT) = %s",
      rc_str(map_by_uvm(mmio_win[1], Q35_E1000_MMIO)));
    P("unprivileged: mmu_update(DOMID_IO, e1000 frame, PCD|PWT) = %s",
      rc_str(map_by_mmu_update(mmio_win[0], Q35_E1000_MMIO)));
    /* Plain entries: the frame itself is refused (no iomem permission: -EPERM). */
    mmio_uncached = false;
    P("unprivileged: update_va_mapping(e1000 frame) = %s",
      rc_str(map_by_uvm(mmio_win[1], Q35_E1000_MMIO)));
    P("unprivileged: mmu_update(DOMID_IO, e1000 frame) = %s",
      rc_str(map_by_mmu_update(mmio_win[0], Q35_E1000_MMIO)));
}

int main(void)
{
    evt_mask_all_ports();
    if (start_info->flags & SIF_PRIVILEGED)
        privileged();
    else
        unprivileged();
    probe_done();
    return 0;
}

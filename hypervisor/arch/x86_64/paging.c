/* The hypervisor's page tables (Intel SDM Vol 3A §4.5, §4.10). */
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <mica/panic.h>
#include <mica/string.h>

#define GiB  (1UL << 30)
#define MiB2 (1UL << 21)

static pt_frame_alloc_t pt_alloc;
static paddr_t idle_l4;
static vaddr_t ioremap_next = IOREMAP_VIRT_START;

extern uint8_t __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern uint8_t __data_start[], __bss_end[];

static unsigned int pt_index(vaddr_t va, unsigned int level)
{
    return (va >> (12 + 9 * (level - 1))) & 511;
}

/*
 * The entry for @va at @level (1 = L1 ... 3 = L3) under @l4, creating intermediate tables
 * as needed. Returns NULL when no frame is left for a table.
 */
static uint64_t *walk_create(paddr_t l4, vaddr_t va, unsigned int level)
{
    uint64_t *table = maddr_to_virt(l4);

    for (unsigned int l = 4; l > level; l--) {
        uint64_t *e = &table[pt_index(va, l)];
        if (!(*e & _PAGE_PRESENT)) {
            paddr_t frame = pt_alloc();
            if (!frame)
                return NULL;
            *e = frame | _PAGE_PRESENT | _PAGE_RW;
        }
        BUG_ON(*e & _PAGE_PSE);
        table = maddr_to_virt(*e & PTE_ADDR_MASK);
    }
    return &table[pt_index(va, level)];
}

static void map_range(paddr_t l4, vaddr_t va, paddr_t pa, size_t len, uint64_t flags,
                      unsigned int level)
{
    const size_t step = 1UL << (12 + 9 * (level - 1));
    const uint64_t pse = level > 1 ? _PAGE_PSE : 0;

    for (size_t done = 0; done < len; done += step) {
        uint64_t *e = walk_create(l4, va + done, level);
        if (!e)
            panic("out of memory for the hypervisor's page tables");
        *e = (pa + done) | flags | pse;
    }
}

static bool cpu_has(uint32_t leaf, int reg, unsigned int bit)
{
    uint32_t r[4];
    cpuid_count(leaf & 0x80000000, 0, &r[0], &r[1], &r[2], &r[3]);
    if (r[0] < leaf)
        return false;
    cpuid_count(leaf, 0, &r[0], &r[1], &r[2], &r[3]);
    return r[reg] & (1u << bit);
}

void paging_init(paddr_t directmap_end, pt_frame_alloc_t alloc)
{
    const uint64_t kernel = _PAGE_PRESENT | _PAGE_GLOBAL | _PAGE_ACCESSED;
    const bool gib_pages = cpu_has(0x80000001, 3, 26); /* CPUID.80000001H:EDX.Page1GB */
    size_t dm_len;

    pt_alloc = alloc;
    idle_l4 = pt_alloc();
    if (!idle_l4)
        panic("no memory for the hypervisor's L4 table");

    /* Direct map: all of the first 4 GiB (as Xen does), and RAM above it. */
    dm_len = ALIGN_UP(MAX(directmap_end, 4 * GiB), gib_pages ? GiB : MiB2);
    if (dm_len > DIRECTMAP_VIRT_END - DIRECTMAP_VIRT_START)
        panic("machine memory up to %#lx does not fit the direct map", dm_len);
    map_range(idle_l4, DIRECTMAP_VIRT_START, 0, dm_len, kernel | _PAGE_RW | _PAGE_DIRTY | _PAGE_NX,
              gib_pages ? 3 : 2);

    /* The image, 4 KiB pages: text read-only and executable, rodata read-only, data no-execute. */
    map_range(idle_l4, (vaddr_t)__text_start, virt_to_maddr(__text_start),
              __text_end - __text_start, kernel, 1);
    map_range(idle_l4, (vaddr_t)__rodata_start, virt_to_maddr(__rodata_start),
              __rodata_end - __rodata_start, kernel | _PAGE_NX, 1);
    map_range(idle_l4, (vaddr_t)__data_start, virt_to_maddr(__data_start), __bss_end - __data_start,
              kernel | _PAGE_RW | _PAGE_DIRTY | _PAGE_NX, 1);

    write_cr4(read_cr4() | X86_CR4_PGE);
    if (cpu_has(7, 1, 7)) /* CPUID.(EAX=07H,ECX=0):EBX.SMEP */
        write_cr4(read_cr4() | X86_CR4_SMEP);
    write_cr3(idle_l4);
    flush_tlb_all();
    /* The GDT moves to its own area, whose first pages show the running vCPU's GDT. */
    gdt_area_init();
}

void paging_set_allocator(pt_frame_alloc_t alloc)
{
    pt_alloc = alloc;
}

paddr_t paging_idle_l4(void)
{
    return idle_l4;
}

uint64_t *paging_l1e(vaddr_t va)
{
    uint64_t *e = walk_create(idle_l4, va, 1);

    if (!e)
        panic("out of memory for the hypervisor's page tables");
    return e;
}

void *ioremap(paddr_t pa, size_t len)
{
    const paddr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
    const size_t span = ALIGN_UP(pa + len, PAGE_SIZE) - base;
    vaddr_t va = ioremap_next;

    if (span > IOREMAP_VIRT_END - ioremap_next)
        return NULL;
    for (size_t off = 0; off < span; off += PAGE_SIZE) {
        uint64_t *e = walk_create(idle_l4, va + off, 1);
        if (!e)
            return NULL;
        *e = (base + off) | _PAGE_PRESENT | _PAGE_RW | _PAGE_PCD | _PAGE_PWT | _PAGE_GLOBAL |
             _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_NX;
    }
    ioremap_next += span;
    return (void *)(va + (pa - base));
}

void paging_map_m2p(paddr_t pa, size_t len)
{
    if (len > RO_MPT_VIRT_END - RO_MPT_VIRT_START)
        panic("M2P of %lu bytes does not fit its %lu-byte window", len,
              RO_MPT_VIRT_END - RO_MPT_VIRT_START);
    for (size_t off = 0; off < ALIGN_UP(len, PAGE_SIZE); off += PAGE_SIZE) {
        uint64_t *e = walk_create(idle_l4, RO_MPT_VIRT_START + off, 1);
        if (!e)
            panic("out of memory mapping the M2P table");
        *e = (pa + off) | _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX;
    }
    /* Guest kernels run in ring 3: the path to the M2P must be user-accessible at every
       level (read-only is enforced by the leaf entries). */
    uint64_t *l4 = maddr_to_virt(idle_l4);
    uint64_t *l3 = maddr_to_virt(l4[pt_index(RO_MPT_VIRT_START, 4)] & PTE_ADDR_MASK);
    l4[pt_index(RO_MPT_VIRT_START, 4)] |= _PAGE_USER;
    for (unsigned int i = 0; i < 512; i++) {
        if (!(l3[i] & _PAGE_PRESENT))
            continue;
        l3[i] |= _PAGE_USER;
        uint64_t *l2 = maddr_to_virt(l3[i] & PTE_ADDR_MASK);
        for (unsigned int j = 0; j < 512; j++) {
            if (l2[j] & _PAGE_PRESENT)
                l2[j] |= _PAGE_USER;
        }
    }
}

void arch_init_hv_l4_slots(uint64_t *l4)
{
    const uint64_t *idle = maddr_to_virt(idle_l4);
    for (unsigned int i = HV_L4_SLOT_FIRST; i <= HV_L4_SLOT_LAST; i++)
        l4[i] = idle[i];
}

void arch_flush_tlb_local(void)
{
    /* Guests may set the global bit in their L1 entries, so a CR3 reload is not enough. */
    flush_tlb_all();
}

void arch_invlpg(uint64_t va)
{
    invlpg((const void *)va);
}

/*
 * The portable half of the PV domain builder: Xen's x86-64 PV boot protocol.
 *
 * Rules come from the comment "Start-of-day memory layout" and struct start_info in Xen's
 * public xen.h, and from what Xen's dom0 builder (xen/arch/x86/pv/dom0_build.c) does where
 * xen.h is silent:
 *  - the initial mapping starts at VIRT_BASE, which maps PFN 0, and maps PFNs 0, 1, 2, ...
 *    contiguously (pfn = (vaddr - VIRT_BASE) / 4 KiB; PADDR_OFFSET only moves the kernel inside
 *    it, see mica/elf_xen.h);
 *  - in it, each 4 KiB-aligned: the kernel, the module (initrd), the p2m list (nr_pages
 *    unsigned longs), the start_info page, the bootstrap page tables, a one-page boot stack;
 *  - the mapping ends on a 4 MiB boundary at least 512 KiB after the stack;
 *  - page-table frames are mapped read-only, everything else read-write; leaves are written
 *    without USER and become USER plus the guest-kernel marker when the tables are validated
 *    (64-bit PV kernels run in ring 3);
 *  - RIP = entry, RSP = top of the boot stack, RSI = virtual address of start_info.
 *
 * Deliberate differences from Xen, each harmless to guests:
 *  - the page-table frames are ordered L4, L3s, L2s, L1s (Xen interleaves them as it meets
 *    them); pt_base is the L4 either way;
 *  - XEN_ELFNOTE_INIT_P2M is ignored: the p2m list is always in the initial mapping (a kernel
 *    that offers INIT_P2M must handle that, as Linux does);
 *  - a command line longer than MAX_GUEST_CMDLINE - 1 bytes is refused (Xen truncates it);
 *  - start_info.first_p2m_pfn and nr_p2m_frames are 0, console.dom0 is 0 (no VGA info);
 *  - with MOD_START_PFN, the unmapped module sits at the PFNs right after the mapping.
 *
 * Memory is reached only through struct pv_mem callbacks, so this runs on fake memory in
 * host unit tests.
 */
#ifndef MICA_DOMAIN_BUILD_H
#define MICA_DOMAIN_BUILD_H

#include <mica/elf_xen.h>
#include <mica/types.h>
#include <xen/xen.h>

/* Page-table entry bits (Intel SDM Vol 3 §4.5, x86-64 4-level paging). */
#define PV_PTE_PRESENT  (1ULL << 0)
#define PV_PTE_RW       (1ULL << 1)
#define PV_PTE_USER     (1ULL << 2)
#define PV_PTE_ACCESSED (1ULL << 5)
#define PV_PTE_DIRTY    (1ULL << 6)
#define PV_PTE_ADDR     0x000ffffffffff000ULL /* machine address bits of an entry */

/* Flags of the initial tables: leaves (L1 entries), and L2-L4 entries. */
/* Leaves are written without _USER, as Xen's dom0 builder does: validating the tables
   (pinning the L4) then adjusts them to _USER plus the guest-kernel marker (mm.c). */
#define PV_L1_PROT    (PV_PTE_PRESENT | PV_PTE_RW | PV_PTE_ACCESSED | PV_PTE_DIRTY)
#define PV_L1_PROT_RO (PV_L1_PROT & ~PV_PTE_RW) /* for the page-table frames themselves */
#define PV_TABLE_PROT (PV_PTE_PRESENT | PV_PTE_RW | PV_PTE_USER | PV_PTE_ACCESSED)

/* L4 slots reserved for the hypervisor, left empty by pv_build_page_tables() (xen-x86_64.h). */
#define PV_L4_HV_FIRST 256
#define PV_L4_HV_LAST  271

#define PV_BOOT_MAGIC "xen-3.0-x86_64" /* start_info.magic; Xen adds "p" for a PAE_MODE kernel */
#define PV_NO_PFN     (~(uint64_t)0)

/**
 * Where everything of a PV domain goes. Virtual addresses are the guest's; every
 * [*_start, *_end) range is 4 KiB-aligned and empty (start == end) when absent.
 */
struct pv_layout {
    uint64_t nr_pages;             /* the domain's memory in 4 KiB pages: PFNs [0, nr_pages) */
    uint64_t v_start;              /* VIRT_BASE: maps PFN 0 */
    uint64_t kern_start, kern_end; /* the kernel's loaded extent (virt_kstart, virt_kend) */
    uint64_t mod_start, mod_end;   /* the module, when mapped */
    uint64_t mod_len;              /* module size in bytes (0: none) */
    uint64_t mod_pfn;              /* PFN of the module's first page, PV_NO_PFN if none */
    bool mod_unmapped;             /* MOD_START_PFN: module at PFNs [nr_mapped, ...), not mapped */
    uint64_t p2m_start, p2m_end;   /* the p2m list: nr_pages unsigned longs */
    uint64_t start_info_start, start_info_end; /* one page */
    uint64_t pt_start, pt_end;                 /* the bootstrap page tables: nr_pt_frames pages */
    uint64_t stack_start, stack_end;           /* one page; the initial RSP is stack_end */
    uint64_t v_end;                            /* end of the initial mapping, 4 MiB-aligned */
    uint64_t nr_mapped;           /* (v_end - v_start) / 4 KiB: PFNs [0, nr_mapped) are mapped */
    uint64_t nr_pt_frames;        /* 1 + nr_l3 + nr_l2 + nr_l1 */
    uint64_t nr_l3, nr_l2, nr_l1; /* tables of each level; L4 first at pt_start, then these */
};

/** PFN that the initial mapping of @l maps at virtual address @va (which must be in it). */
static inline uint64_t pv_pfn_of(const struct pv_layout *l, uint64_t va)
{
    return (va - l->v_start) >> PAGE_SHIFT;
}

/**
 * Compute the layout of a domain of @nr_pages pages for kernel @k and a module of
 * @module_len bytes (0: none), as Xen's dom0 builder does (the number of page-table frames
 * is the fixed point of "tables needed to map [v_start, v_end)", v_end depending on it).
 * Returns 0, or writes a reason into @msg (@msg_size bytes) and returns:
 *   -ENOMEM  the initial mapping (plus an unmapped module) needs more than @nr_pages pages;
 *   -EINVAL  it is not canonical, wraps, or overlaps the hypervisor's area
 *            [HYPERVISOR_VIRT_START, HYPERVISOR_VIRT_END) (L4 slots 256-271).
 */
int pv_layout(struct pv_layout *l, const struct elf_xen_image *k, uint64_t module_len,
              uint64_t nr_pages, char *msg, size_t msg_size);

/** How the builder reaches the domain's memory. */
struct pv_mem {
    void *ctx; /* passed to every callback */
    /* A hypervisor pointer to the 4 KiB page of guest PFN @pfn (< nr_pages), or NULL. */
    void *(*map_pfn)(void *ctx, uint64_t pfn);
    /* The MFN backing PFN @pfn (< nr_pages). */
    uint64_t (*pfn_to_mfn)(void *ctx, uint64_t pfn);
    /* Optional (may be NULL): PFN @pfn holds a page table of @level (1-4). */
    void (*table)(void *ctx, uint64_t pfn, int level);
};

/**
 * Write the initial page tables of layout @l into its page-table PFNs (cleared first): every
 * page of [v_start, v_end) maps the MFN of its PFN with PV_L1_PROT, except the page-table
 * frames, mapped PV_L1_PROT_RO; upper-level entries carry PV_TABLE_PROT; 4 KiB pages only.
 * L4 slots 256-271 stay empty for the caller to fill. Reports each table through
 * @mem->table. Returns 0, or -EFAULT (with @msg) when map_pfn fails.
 */
int pv_build_page_tables(const struct pv_layout *l, const struct pv_mem *mem, char *msg,
                         size_t msg_size);

/** Per-domain inputs of start_info. */
struct pv_start_info_args {
    uint64_t shared_info_maddr; /* machine address of the domain's shared_info page */
    uint32_t flags;             /* SIF_PRIVILEGED | SIF_INITDOMAIN for dom0, 0 for a domU */
    const char *cmdline;        /* the kernel's command line, or NULL */
};

/**
 * Fill @si (cleared first) for layout @l and kernel @k: magic, nr_pages, shared_info, flags
 * (plus SIF_MOD_START_PFN for an unmapped module), pt_base, nr_pt_frames, mfn_list,
 * mod_start (virtual address, or PFN if unmapped) and mod_len, cmd_line.
 * Returns 0, or -E2BIG (with @msg) if the command line does not fit MAX_GUEST_CMDLINE
 * with its NUL.
 */
int pv_fill_start_info(start_info_t *si, const struct pv_layout *l, const struct elf_xen_image *k,
                       const struct pv_start_info_args *a, char *msg, size_t msg_size);

/** Inputs of pv_build(). */
struct pv_build_args {
    const struct elf_xen_image *kernel; /* from elf_xen_parse() */
    const void *module;                 /* the module's bytes (initrd), or NULL */
    size_t module_len;                  /* its length in bytes, 0 for none */
    uint64_t nr_pages;                  /* the domain's memory in 4 KiB pages */
    struct pv_start_info_args si;       /* shared_info, SIF_ flags, command line */
};

/** What the arch code needs to start vCPU 0 (and to finish the domain). */
struct pv_boot_state {
    uint64_t rip;            /* kernel entry */
    uint64_t rsp;            /* top of the boot stack */
    uint64_t rsi;            /* virtual address of start_info */
    uint64_t l4_mfn;         /* MFN of the L4: CR3 = l4_mfn << 12 */
    uint64_t l4_pfn;         /* its PFN */
    uint64_t hypercall_pfn;  /* PFN of the hypercall page to fill, or PV_NO_PFN */
    uint64_t start_info_pfn; /* PFN of the start_info page */
    struct pv_layout layout;
};

/**
 * Build a PV domain in the memory @mem reaches: layout, clear the initial mapping's pages,
 * load the kernel, copy the module, write the p2m list (PFN -> MFN for all nr_pages),
 * start_info, then the page tables (reported through @mem->table). The caller then copies
 * the hypervisor's L4 slots 256-271 into the L4, fills the hypercall page, types and pins
 * the tables, and starts the vCPU from @out. Pages outside the initial mapping and the
 * module are not touched (the caller clears them).
 *
 * Returns 0, or a negative errno with a reason in @msg: those of pv_layout() and
 * pv_fill_start_info(), -EINVAL for a dom0 (SIF_INITDOMAIN) whose SUPPORTED_FEATURES note
 * lacks XENFEAT_dom0 (as Xen), -EFAULT if map_pfn fails.
 */
int pv_build(const struct pv_build_args *a, const struct pv_mem *mem, struct pv_boot_state *out,
             char *msg, size_t msg_size);

#endif /* MICA_DOMAIN_BUILD_H */

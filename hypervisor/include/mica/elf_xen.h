/*
 * Xen PV kernels: parse an ELF64 x86-64 image and its Xen ELF notes, and load its
 * segments into a domain's virtual address space.
 *
 * Sources of the rules:
 *  - ELF-64 Object File Format, version 1.5 (header, program and section headers, notes);
 *  - Xen's public elfnote.h (note types and meaning) and features.h (XENFEAT_ names);
 *  - Xen's libelf behaviour, which this follows for defaults and refusals: notes come from
 *    PT_NOTE segments, or from SHT_NOTE sections when no segment carries a Xen note; the image
 *    is loaded by physical address, segment byte p_paddr landing at virtual address
 *    p_paddr + VIRT_BASE - PADDR_OFFSET; VIRT_BASE and PADDR_OFFSET default to 0, ENTRY to
 *    e_entry; a kernel must say LOADER "generic..." or GUEST_OS "linux...", and XEN_VERSION
 *    "xen-3.0...".
 *
 * mica is stricter than Xen where Xen's laxness could only produce a broken domain: every
 * offset and size is checked against the image, segments may not overlap, the entry point
 * must lie inside a loaded segment, the hypercall page inside the loaded image and
 * page-aligned, and VIRT_BASE page-aligned. Portable: no memory is touched except the image
 * (read) and what the caller's write callback does.
 */
#ifndef MICA_ELF_XEN_H
#define MICA_ELF_XEN_H

#include <mica/types.h>
#include <xen/features.h>

/* ---- Minimal ELF-64 definitions (ELF-64 Object File Format 1.5), little endian. ---- */

#define ELF_NIDENT     16
#define ELF_MAG0       0x7f /* e_ident[0..3] = 0x7f 'E' 'L' 'F' */
#define ELF_CLASS64    2    /* e_ident[4] (EI_CLASS) */
#define ELF_DATA2LSB   1    /* e_ident[5] (EI_DATA) */
#define ELF_EV_CURRENT 1    /* e_ident[6] (EI_VERSION) and e_version */
#define ELF_ET_EXEC    2
#define ELF_EM_X86_64  62
#define ELF_PT_LOAD    1
#define ELF_PT_NOTE    4
#define ELF_PF_X       1
#define ELF_PF_W       2
#define ELF_PF_R       4
#define ELF_SHT_NOTE   7
#define ELF_PN_XNUM    0xffff /* e_phnum escape: the real count is elsewhere (refused) */

/** ELF-64 file header (Elf64_Ehdr). */
struct elf64_hdr {
    uint8_t e_ident[ELF_NIDENT];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

/** ELF-64 program header (Elf64_Phdr). */
struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

/** ELF-64 section header (Elf64_Shdr). */
struct elf64_shdr {
    uint32_t sh_name;
    uint32_t sh_type;
    uint64_t sh_flags;
    uint64_t sh_addr;
    uint64_t sh_offset;
    uint64_t sh_size;
    uint32_t sh_link;
    uint32_t sh_info;
    uint64_t sh_addralign;
    uint64_t sh_entsize;
};

/**
 * Header of one note; name (namesz bytes, NUL included) and descriptor (descsz bytes) follow,
 * each padded to 4 bytes (the layout Xen's libelf and GNU tools use for ELF64 notes too).
 */
struct elf64_note {
    uint32_t namesz;
    uint32_t descsz;
    uint32_t type;
};

/* ---- The parsed kernel. ---- */

#define ELF_XEN_MAX_SEGMENTS 16             /* PT_LOAD segments a kernel may have */
#define ELF_XEN_STR_MAX      64             /* bytes kept of each string note, NUL included */
#define ELF_XEN_NO_ADDR      (~(uint64_t)0) /* "not given" for optional addresses */

/** One loadable segment (a PT_LOAD with a non-zero p_memsz). */
struct elf_xen_segment {
    uint64_t vaddr;  /* guest virtual address of its first byte: p_paddr + virt_offset */
    uint64_t offset; /* its bytes in the image: [offset, offset + filesz) */
    uint64_t filesz; /* bytes copied from the image */
    uint64_t memsz;  /* bytes occupied in memory, >= filesz; the rest is zeroed (bss) */
    uint32_t flags;  /* ELF_PF_R | ELF_PF_W | ELF_PF_X */
};

/** What elf_xen_parse() learned about a PV kernel. All addresses are guest virtual. */
struct elf_xen_image {
    const uint8_t *image; /* the ELF file (not copied: must outlive this struct) */
    size_t size;          /* its length in bytes */

    uint64_t entry;          /* XEN_ELFNOTE_ENTRY, default e_entry: the initial RIP */
    uint64_t virt_base;      /* XEN_ELFNOTE_VIRT_BASE, default 0: virtual address of PFN 0 */
    uint64_t paddr_offset;   /* XEN_ELFNOTE_PADDR_OFFSET, default 0 (elfnote.h) */
    uint64_t hypercall_page; /* XEN_ELFNOTE_HYPERCALL_PAGE, or ELF_XEN_NO_ADDR */
    uint64_t init_p2m;       /* XEN_ELFNOTE_INIT_P2M, or ELF_XEN_NO_ADDR (mica ignores it) */
    uint64_t virt_kstart;    /* loaded extent [virt_kstart, virt_kend): lowest segment */
    uint64_t virt_kend;      /* start rounded down, highest end rounded up to 4 KiB */

    /* XEN_ELFNOTE_FEATURES and XEN_ELFNOTE_SUPPORTED_FEATURES: XENFEAT_ bit numbers. */
    uint32_t features_supported[XENFEAT_NR_SUBMAPS]; /* named or '!'-named or in the bitmap */
    uint32_t features_required[XENFEAT_NR_SUBMAPS];  /* '!'-named */
    bool has_supported_features;                     /* a SUPPORTED_FEATURES note was present */

    bool pae;           /* PAE_MODE "yes" or "...bimodal..." (only changes start_info.magic) */
    bool bsd_symtab;    /* BSD_SYMTAB "yes" (mica does not load the symbol table) */
    bool mod_start_pfn; /* MOD_START_PFN non-zero: the module may be left unmapped */

    char guest_os[ELF_XEN_STR_MAX];      /* XEN_ELFNOTE_GUEST_OS ("" if absent) */
    char guest_version[ELF_XEN_STR_MAX]; /* XEN_ELFNOTE_GUEST_VERSION */
    char xen_version[ELF_XEN_STR_MAX];   /* XEN_ELFNOTE_XEN_VERSION */
    char loader[ELF_XEN_STR_MAX];        /* XEN_ELFNOTE_LOADER */

    unsigned int nr_segments; /* sorted by vaddr, non-overlapping */
    struct elf_xen_segment segments[ELF_XEN_MAX_SEGMENTS];
};

/**
 * Parse the untrusted ELF image of @size bytes at @image as a Xen x86-64 PV kernel into @k.
 *
 * @hv_features is the set of XENFEAT_ bits (submap 0) the hypervisor supports; a kernel that
 * requires ('!' in its FEATURES note) anything outside it is refused, as is one requiring a
 * feature name mica does not know.
 *
 * Returns 0, or a negative errno with a one-line reason written into @msg (@msg_size bytes,
 * NUL-terminated; @msg may be NULL when @msg_size is 0):
 *   -EINVAL   not an ELF64 x86-64 executable, a header or segment out of the image or
 *             overlapping another, a missing or nonsensical Xen note ("no Xen ELF notes: not
 *             a PV kernel"), entry or hypercall page outside the image;
 *   -EOPNOTSUPP  a required feature the hypervisor does not support;
 *   -E2BIG    more than ELF_XEN_MAX_SEGMENTS loadable segments.
 * @k keeps a pointer to @image.
 */
int elf_xen_parse(struct elf_xen_image *k, const void *image, size_t size, uint32_t hv_features,
                  char *msg, size_t msg_size);

/**
 * Writes @len bytes from @src (or zeroes, when @src is NULL) at guest virtual address @vaddr.
 * Returns 0 or a negative errno, which elf_xen_load() passes back.
 */
typedef int (*elf_xen_write_fn)(void *ctx, uint64_t vaddr, const void *src, size_t len);

/**
 * Load the kernel parsed into @k: for each segment, in address order, write its p_filesz
 * bytes from the image, then zero the rest of its p_memsz (bss), through @write. Bytes of
 * [virt_kstart, virt_kend) no segment covers are not written. Returns 0 or the first error
 * @write returned.
 */
int elf_xen_load(const struct elf_xen_image *k, elf_xen_write_fn write, void *ctx);

/** XENFEAT_ bit number of feature @name (features.h, without "XENFEAT_"), or -1. */
int elf_xen_feature_bit(const char *name, size_t len);

/** The features.h name of XENFEAT_ bit @bit, or NULL. */
const char *elf_xen_feature_name(unsigned int bit);

#endif /* MICA_ELF_XEN_H */

/*
 * Xen PV kernels: ELF64 parsing, Xen ELF notes and segment loading (see mica/elf_xen.h).
 *
 * The image is untrusted: every field is copied out of it (it may be unaligned) and every
 * offset and size is checked against its length without overflow before it is used.
 */
#include <stdarg.h>

#include <mica/elf_xen.h>
#include <mica/errno.h>
#include <mica/printf.h>
#include <mica/string.h>
#include <xen/elfnote.h>

/* x86-64 canonical addresses (48-bit virtual addresses, SDM Vol 1 §3.3.7.1). */
#define LOWER_HALF_END   0x0000800000000000ULL      /* first non-canonical address */
#define UPPER_HALF_START 0xffff800000000000ULL      /* first canonical upper-half address */
#define TOP_PAGE         (~(uint64_t)PAGE_SIZE + 1) /* 0xfffffffffffff000 */

/* features.h names, without "XENFEAT_", indexed by bit number. */
static const char *const feature_names[] = {
    [XENFEAT_writable_page_tables] = "writable_page_tables",
    [XENFEAT_writable_descriptor_tables] = "writable_descriptor_tables",
    [XENFEAT_auto_translated_physmap] = "auto_translated_physmap",
    [XENFEAT_supervisor_mode_kernel] = "supervisor_mode_kernel",
    [XENFEAT_pae_pgdir_above_4gb] = "pae_pgdir_above_4gb",
    [XENFEAT_mmu_pt_update_preserve_ad] = "mmu_pt_update_preserve_ad",
    [XENFEAT_highmem_assist] = "highmem_assist",
    [XENFEAT_gnttab_map_avail_bits] = "gnttab_map_avail_bits",
    [XENFEAT_hvm_callback_vector] = "hvm_callback_vector",
    [XENFEAT_hvm_safe_pvclock] = "hvm_safe_pvclock",
    [XENFEAT_hvm_pirqs] = "hvm_pirqs",
    [XENFEAT_dom0] = "dom0",
    [XENFEAT_memory_op_vnode_supported] = "memory_op_vnode_supported",
    [XENFEAT_ARM_SMCCC_supported] = "ARM_SMCCC_supported",
    [XENFEAT_linux_rsdp_unrestricted] = "linux_rsdp_unrestricted",
    [XENFEAT_not_direct_mapped] = "not_direct_mapped",
    [XENFEAT_direct_mapped] = "direct_mapped",
};

/* Names of the note types for messages (elfnote.h, without "XEN_ELFNOTE_"). */
static const char *const note_names[XEN_ELFNOTE_MAX + 1] = {
    [XEN_ELFNOTE_INFO] = "INFO",
    [XEN_ELFNOTE_ENTRY] = "ENTRY",
    [XEN_ELFNOTE_HYPERCALL_PAGE] = "HYPERCALL_PAGE",
    [XEN_ELFNOTE_VIRT_BASE] = "VIRT_BASE",
    [XEN_ELFNOTE_PADDR_OFFSET] = "PADDR_OFFSET",
    [XEN_ELFNOTE_XEN_VERSION] = "XEN_VERSION",
    [XEN_ELFNOTE_GUEST_OS] = "GUEST_OS",
    [XEN_ELFNOTE_GUEST_VERSION] = "GUEST_VERSION",
    [XEN_ELFNOTE_LOADER] = "LOADER",
    [XEN_ELFNOTE_PAE_MODE] = "PAE_MODE",
    [XEN_ELFNOTE_FEATURES] = "FEATURES",
    [XEN_ELFNOTE_BSD_SYMTAB] = "BSD_SYMTAB",
    [XEN_ELFNOTE_HV_START_LOW] = "HV_START_LOW",
    [XEN_ELFNOTE_L1_MFN_VALID] = "L1_MFN_VALID",
    [XEN_ELFNOTE_SUSPEND_CANCEL] = "SUSPEND_CANCEL",
    [XEN_ELFNOTE_INIT_P2M] = "INIT_P2M",
    [XEN_ELFNOTE_MOD_START_PFN] = "MOD_START_PFN",
    [XEN_ELFNOTE_SUPPORTED_FEATURES] = "SUPPORTED_FEATURES",
    [XEN_ELFNOTE_PHYS32_ENTRY] = "PHYS32_ENTRY",
};

/* State of one elf_xen_parse() call. */
struct parser {
    struct elf_xen_image *k;
    const uint8_t *img;
    size_t size;
    char *msg;
    size_t msg_size;
    unsigned int xen_notes;                        /* Xen notes seen so far */
    bool seen[XEN_ELFNOTE_MAX + 1];                /* which note types were present */
    unsigned int phdr_index[ELF_XEN_MAX_SEGMENTS]; /* program header of each segment */
};

/* Write the reason into the caller's buffer and return @err. */
__printf(3, 4) static int refuse(struct parser *p, int err, const char *fmt, ...)
{
    va_list ap;

    if (p->msg && p->msg_size) {
        va_start(ap, fmt);
        vsnprintf(p->msg, p->msg_size, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* Whether [off, off + len) lies inside the image, without overflow. */
static bool in_image(const struct parser *p, uint64_t off, uint64_t len)
{
    return off <= p->size && len <= p->size - off;
}

static bool canonical(uint64_t va)
{
    return va < LOWER_HALF_END || va >= UPPER_HALF_START;
}

/* Whether the non-empty range [va, va + len) is canonical and within one half. */
static bool canonical_range(uint64_t va, uint64_t len)
{
    uint64_t last = va + len - 1;

    return canonical(va) && canonical(last) && ((va < LOWER_HALF_END) == (last < LOWER_HALF_END));
}

/* Little-endian unsigned value of @len (1, 2, 4 or 8) bytes at @src. */
static uint64_t get_le(const uint8_t *src, unsigned int len)
{
    uint64_t v = 0;

    while (len--)
        v = (v << 8) | src[len];
    return v;
}

int elf_xen_feature_bit(const char *name, size_t len)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(feature_names); i++) {
        if (feature_names[i] && strlen(feature_names[i]) == len &&
            memcmp(feature_names[i], name, len) == 0)
            return (int)i;
    }
    return -1;
}

const char *elf_xen_feature_name(unsigned int bit)
{
    return bit < ARRAY_SIZE(feature_names) ? feature_names[bit] : NULL;
}

/*
 * XEN_ELFNOTE_FEATURES: names separated by '|', '!' in front of a required one (elfnote.h).
 * An unknown name is ignored unless it is required, which Xen's libelf refuses too.
 */
static int parse_features(struct parser *p, const char *s)
{
    struct elf_xen_image *k = p->k;

    while (*s) {
        const char *bar = strchr(s, '|');
        size_t len = bar ? (size_t)(bar - s) : strlen(s);
        bool required = len > 0 && s[0] == '!';
        const char *name = required ? s + 1 : s;
        size_t name_len = required ? len - 1 : len;

        if (name_len > 0) {
            int bit = elf_xen_feature_bit(name, name_len);

            if (bit < 0 && required)
                return refuse(p, -EINVAL, "Xen ELF note FEATURES requires unknown feature '%.*s'",
                              (int)name_len, name);
            if (bit >= 0) {
                k->features_supported[bit / 32] |= 1U << (bit % 32);
                if (required)
                    k->features_required[bit / 32] |= 1U << (bit % 32);
            }
        }
        s += len;
        if (*s == '|')
            s++;
    }
    return 0;
}

/* Whether the NUL-terminated @s contains @word. */
static bool contains(const char *s, const char *word)
{
    size_t n = strlen(word);

    for (; *s; s++) {
        if (strncmp(s, word, n) == 0)
            return true;
    }
    return false;
}

/* One note named "Xen": its type, descriptor and descriptor size (elfnote.h). */
static int parse_xen_note(struct parser *p, uint32_t type, const uint8_t *desc, uint32_t descsz)
{
    struct elf_xen_image *k = p->k;
    const char *name = type <= XEN_ELFNOTE_MAX ? note_names[type] : NULL;
    const char *str = NULL;
    uint64_t num = 0;

    p->xen_notes++;
    switch (type) {
    case XEN_ELFNOTE_ENTRY:
    case XEN_ELFNOTE_HYPERCALL_PAGE:
    case XEN_ELFNOTE_VIRT_BASE:
    case XEN_ELFNOTE_PADDR_OFFSET:
    case XEN_ELFNOTE_INIT_P2M:
    case XEN_ELFNOTE_MOD_START_PFN:
        /* "Numeric types are either 4 or 8 bytes"; Xen's libelf also reads 1 and 2. */
        if (descsz != 1 && descsz != 2 && descsz != 4 && descsz != 8)
            return refuse(p, -EINVAL, "Xen ELF note %s has a %u-byte value (want 4 or 8)", name,
                          descsz);
        num = get_le(desc, descsz);
        break;
    case XEN_ELFNOTE_SUPPORTED_FEATURES:
        /* An array of 32-bit feature submaps; mica knows submap 0 only. */
        if (descsz < 4)
            return refuse(p, -EINVAL, "Xen ELF note %s has a %u-byte value (want 4)", name, descsz);
        num = get_le(desc, 4);
        break;
    case XEN_ELFNOTE_XEN_VERSION:
    case XEN_ELFNOTE_GUEST_OS:
    case XEN_ELFNOTE_GUEST_VERSION:
    case XEN_ELFNOTE_LOADER:
    case XEN_ELFNOTE_PAE_MODE:
    case XEN_ELFNOTE_FEATURES:
    case XEN_ELFNOTE_BSD_SYMTAB:
        if (descsz == 0 || !memchr(desc, '\0', descsz))
            return refuse(p, -EINVAL, "Xen ELF note %s is not a NUL-terminated string", name);
        str = (const char *)desc;
        break;
    default:
        /* INFO, HV_START_LOW (32-bit only), L1_MFN_VALID, SUSPEND_CANCEL, PHYS32_ENTRY
         * (PVH only) and unknown types: ignored, as Xen's PV builder ignores them. */
        return 0;
    }
    p->seen[type] = true;

    switch (type) {
    case XEN_ELFNOTE_ENTRY:
        k->entry = num;
        break;
    case XEN_ELFNOTE_HYPERCALL_PAGE:
        k->hypercall_page = num;
        break;
    case XEN_ELFNOTE_VIRT_BASE:
        k->virt_base = num;
        break;
    case XEN_ELFNOTE_PADDR_OFFSET:
        k->paddr_offset = num;
        break;
    case XEN_ELFNOTE_INIT_P2M:
        k->init_p2m = num;
        break;
    case XEN_ELFNOTE_MOD_START_PFN:
        k->mod_start_pfn = num != 0;
        break;
    case XEN_ELFNOTE_SUPPORTED_FEATURES:
        k->features_supported[0] |= (uint32_t)num;
        k->has_supported_features = true;
        break;
    case XEN_ELFNOTE_XEN_VERSION:
        strlcpy(k->xen_version, str, sizeof(k->xen_version));
        break;
    case XEN_ELFNOTE_GUEST_OS:
        strlcpy(k->guest_os, str, sizeof(k->guest_os));
        break;
    case XEN_ELFNOTE_GUEST_VERSION:
        strlcpy(k->guest_version, str, sizeof(k->guest_version));
        break;
    case XEN_ELFNOTE_LOADER:
        strlcpy(k->loader, str, sizeof(k->loader));
        break;
    case XEN_ELFNOTE_PAE_MODE:
        k->pae = strcmp(str, "yes") == 0 || contains(str, "bimodal");
        break;
    case XEN_ELFNOTE_BSD_SYMTAB:
        k->bsd_symtab = strcmp(str, "yes") == 0;
        break;
    case XEN_ELFNOTE_FEATURES:
        return parse_features(p, str);
    }
    return 0;
}

/*
 * The notes in image bytes [off, off + len), already checked to lie inside the image. Each
 * is a 12-byte header, the name and the descriptor, both padded to 4 bytes; the padding of
 * the last descriptor may be missing.
 */
static int parse_notes(struct parser *p, uint64_t off, uint64_t len, const char *where,
                       unsigned int index)
{
    uint64_t pos = 0;

    while (pos < len) {
        struct elf64_note n;
        uint64_t name_off, desc_off;

        if (len - pos < sizeof(n))
            return refuse(p, -EINVAL, "ELF note at offset %#llx in %s %u is truncated",
                          (unsigned long long)(off + pos), where, index);
        memcpy(&n, p->img + off + pos, sizeof(n));
        name_off = pos + sizeof(n);
        desc_off = name_off + ALIGN_UP((uint64_t)n.namesz, 4);
        if (desc_off > len || n.descsz > len - desc_off)
            return refuse(p, -EINVAL,
                          "ELF note at offset %#llx in %s %u (name %u bytes, value %u bytes) "
                          "is truncated",
                          (unsigned long long)(off + pos), where, index, n.namesz, n.descsz);
        if (n.namesz >= 4 && memcmp(p->img + off + name_off, "Xen", 4) == 0) {
            int rc = parse_xen_note(p, n.type, p->img + off + desc_off, n.descsz);

            if (rc)
                return rc;
        }
        pos = desc_off + ALIGN_UP((uint64_t)n.descsz, 4);
    }
    return 0;
}

/* Xen notes from PT_NOTE segments, or else from SHT_NOTE sections (Xen's libelf order). */
static int find_notes(struct parser *p, const struct elf64_hdr *eh)
{
    for (unsigned int i = 0; i < eh->e_phnum; i++) {
        struct elf64_phdr ph;
        int rc;

        memcpy(&ph, p->img + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        /* Some old binutils leave p_offset 0 in note segments; libelf skips them too. */
        if (ph.p_type != ELF_PT_NOTE || ph.p_offset == 0)
            continue;
        if (!in_image(p, ph.p_offset, ph.p_filesz))
            return refuse(p, -EINVAL,
                          "ELF note segment %u (offset %#llx, %#llx bytes) lies outside the "
                          "%zu-byte image",
                          i, (unsigned long long)ph.p_offset, (unsigned long long)ph.p_filesz,
                          p->size);
        rc = parse_notes(p, ph.p_offset, ph.p_filesz, "segment", i);
        if (rc)
            return rc;
    }
    if (p->xen_notes)
        return 0;

    for (unsigned int i = 1; i < eh->e_shnum; i++) {
        struct elf64_shdr sh;
        int rc;

        memcpy(&sh, p->img + eh->e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
        if (sh.sh_type != ELF_SHT_NOTE)
            continue;
        if (!in_image(p, sh.sh_offset, sh.sh_size))
            return refuse(p, -EINVAL,
                          "ELF note section %u (offset %#llx, %#llx bytes) lies outside the "
                          "%zu-byte image",
                          i, (unsigned long long)sh.sh_offset, (unsigned long long)sh.sh_size,
                          p->size);
        rc = parse_notes(p, sh.sh_offset, sh.sh_size, "section", i);
        if (rc)
            return rc;
    }
    return 0;
}

/* The ELF file header: an x86-64 ELF64 little-endian executable with sane header tables. */
static int check_header(struct parser *p, struct elf64_hdr *eh)
{
    if (p->size < sizeof(*eh))
        return refuse(p, -EINVAL, "ELF header truncated: the image has %zu bytes, the header %zu",
                      p->size, sizeof(*eh));
    memcpy(eh, p->img, sizeof(*eh));
    if (eh->e_ident[0] != ELF_MAG0 || eh->e_ident[1] != 'E' || eh->e_ident[2] != 'L' ||
        eh->e_ident[3] != 'F')
        return refuse(p, -EINVAL, "not an ELF file (bad magic)");
    if (eh->e_ident[4] != ELF_CLASS64)
        return refuse(p, -EINVAL, "not a 64-bit ELF file (class %u)", eh->e_ident[4]);
    if (eh->e_ident[5] != ELF_DATA2LSB)
        return refuse(p, -EINVAL, "not a little-endian ELF file (data encoding %u)",
                      eh->e_ident[5]);
    if (eh->e_ident[6] != ELF_EV_CURRENT || eh->e_version != ELF_EV_CURRENT)
        return refuse(p, -EINVAL, "unknown ELF version %u", eh->e_version);
    if (eh->e_machine != ELF_EM_X86_64)
        return refuse(p, -EINVAL, "not an x86-64 ELF file (machine %u)", eh->e_machine);
    if (eh->e_type != ELF_ET_EXEC)
        return refuse(p, -EINVAL, "not an ELF executable (type %u)", eh->e_type);

    if (eh->e_phnum == 0)
        return refuse(p, -EINVAL, "ELF file has no program headers");
    if (eh->e_phnum == ELF_PN_XNUM)
        return refuse(p, -EINVAL, "ELF file has too many program headers (PN_XNUM)");
    if (eh->e_phentsize != sizeof(struct elf64_phdr))
        return refuse(p, -EINVAL, "ELF program header size is %u bytes, not %zu", eh->e_phentsize,
                      sizeof(struct elf64_phdr));
    if (!in_image(p, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr)))
        return refuse(p, -EINVAL,
                      "ELF program headers (offset %#llx, %u of them) lie outside the %zu-byte "
                      "image",
                      (unsigned long long)eh->e_phoff, eh->e_phnum, p->size);

    /* e_shnum 0 means no section table, or an extended count mica does not read. */
    if (eh->e_shnum != 0) {
        if (eh->e_shentsize != sizeof(struct elf64_shdr))
            return refuse(p, -EINVAL, "ELF section header size is %u bytes, not %zu",
                          eh->e_shentsize, sizeof(struct elf64_shdr));
        if (!in_image(p, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(struct elf64_shdr)))
            return refuse(p, -EINVAL,
                          "ELF section headers (offset %#llx, %u of them) lie outside the "
                          "%zu-byte image",
                          (unsigned long long)eh->e_shoff, eh->e_shnum, p->size);
    }
    return 0;
}

/*
 * The PT_LOAD segments with a non-zero size and at least one of R, W, X (what Xen's libelf
 * loads): inside the image, at or above VIRT_BASE, canonical, not overlapping each other.
 */
static int collect_segments(struct parser *p, const struct elf64_hdr *eh)
{
    struct elf_xen_image *k = p->k;
    uint64_t virt_offset = k->virt_base - k->paddr_offset; /* modulo 2^64, as in libelf */

    for (unsigned int i = 0; i < eh->e_phnum; i++) {
        struct elf64_phdr ph;
        struct elf_xen_segment *s;
        uint64_t va;
        unsigned int j;

        memcpy(&ph, p->img + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type != ELF_PT_LOAD || !(ph.p_flags & (ELF_PF_R | ELF_PF_W | ELF_PF_X)) ||
            ph.p_memsz == 0)
            continue;

        va = ph.p_paddr + virt_offset;
        if (ph.p_filesz > ph.p_memsz)
            return refuse(p, -EINVAL, "ELF segment %u: file size %#llx exceeds memory size %#llx",
                          i, (unsigned long long)ph.p_filesz, (unsigned long long)ph.p_memsz);
        if (!in_image(p, ph.p_offset, ph.p_filesz))
            return refuse(p, -EINVAL,
                          "ELF segment %u (offset %#llx, %#llx bytes) lies outside the "
                          "%zu-byte image",
                          i, (unsigned long long)ph.p_offset, (unsigned long long)ph.p_filesz,
                          p->size);
        if (ph.p_memsz > TOP_PAGE || va > TOP_PAGE - ph.p_memsz)
            return refuse(p, -EINVAL,
                          "ELF segment %u (vaddr %#llx, %#llx bytes) wraps past the top of the "
                          "address space",
                          i, (unsigned long long)va, (unsigned long long)ph.p_memsz);
        if (va < k->virt_base)
            return refuse(p, -EINVAL,
                          "ELF segment %u (vaddr %#llx, %#llx bytes) lies below VIRT_BASE %#llx", i,
                          (unsigned long long)va, (unsigned long long)ph.p_memsz,
                          (unsigned long long)k->virt_base);
        if (!canonical_range(va, ph.p_memsz))
            return refuse(p, -EINVAL, "ELF segment %u (vaddr %#llx, %#llx bytes) is not canonical",
                          i, (unsigned long long)va, (unsigned long long)ph.p_memsz);
        if (k->nr_segments == ELF_XEN_MAX_SEGMENTS)
            return refuse(p, -E2BIG, "ELF file has more than %u loadable segments",
                          ELF_XEN_MAX_SEGMENTS);

        /* Insert sorted by address; a neighbour that overlaps is refused. */
        for (j = k->nr_segments; j > 0 && k->segments[j - 1].vaddr > va; j--)
            ;
        for (unsigned int n = 0; n < k->nr_segments; n++) {
            const struct elf_xen_segment *o = &k->segments[n];

            if (va < o->vaddr + o->memsz && o->vaddr < va + ph.p_memsz)
                return refuse(p, -EINVAL,
                              "ELF segment %u (vaddr %#llx, %#llx bytes) overlaps segment %u "
                              "(vaddr %#llx, %#llx bytes)",
                              i, (unsigned long long)va, (unsigned long long)ph.p_memsz,
                              p->phdr_index[n], (unsigned long long)o->vaddr,
                              (unsigned long long)o->memsz);
        }
        memmove(&k->segments[j + 1], &k->segments[j],
                (k->nr_segments - j) * sizeof(k->segments[0]));
        memmove(&p->phdr_index[j + 1], &p->phdr_index[j],
                (k->nr_segments - j) * sizeof(p->phdr_index[0]));
        s = &k->segments[j];
        s->vaddr = va;
        s->offset = ph.p_offset;
        s->filesz = ph.p_filesz;
        s->memsz = ph.p_memsz;
        s->flags = ph.p_flags;
        p->phdr_index[j] = i;
        k->nr_segments++;
    }
    if (k->nr_segments == 0)
        return refuse(p, -EINVAL, "ELF file has no loadable segments");
    return 0;
}

/* Whether [va, va + len) lies inside one segment. */
static bool in_segment(const struct elf_xen_image *k, uint64_t va, uint64_t len)
{
    for (unsigned int i = 0; i < k->nr_segments; i++) {
        const struct elf_xen_segment *s = &k->segments[i];

        if (va >= s->vaddr && len <= s->memsz && va - s->vaddr <= s->memsz - len)
            return true;
    }
    return false;
}

int elf_xen_parse(struct elf_xen_image *k, const void *image, size_t size, uint32_t hv_features,
                  char *msg, size_t msg_size)
{
    struct parser p = {.k = k, .img = image, .size = size, .msg = msg, .msg_size = msg_size};
    struct elf64_hdr eh;
    uint64_t kend;
    uint32_t missing;
    int rc;

    if (msg && msg_size)
        msg[0] = '\0';
    memset(k, 0, sizeof(*k));
    k->image = image;
    k->size = size;
    k->hypercall_page = ELF_XEN_NO_ADDR;
    k->init_p2m = ELF_XEN_NO_ADDR;

    rc = check_header(&p, &eh);
    if (rc)
        return rc;
    rc = find_notes(&p, &eh);
    if (rc)
        return rc;
    if (p.xen_notes == 0)
        return refuse(&p, -EINVAL, "no Xen ELF notes: not a PV kernel");

    /* elf_xen_note_check() in Xen's libelf. */
    if (strncmp(k->loader, "generic", 7) != 0 && strncmp(k->guest_os, "linux", 5) != 0)
        return refuse(&p, -EINVAL,
                      "Xen ELF notes: LOADER '%s' is not 'generic' and GUEST_OS '%s' is not "
                      "'linux'",
                      k->loader, k->guest_os);
    if (strncmp(k->xen_version, "xen-3.0", 7) != 0)
        return refuse(&p, -EINVAL, "Xen ELF note XEN_VERSION is '%s', not 'xen-3.0'",
                      k->xen_version);

    /* Defaults and checks of elf_xen_addr_calc_check() in Xen's libelf. */
    if (p.seen[XEN_ELFNOTE_PADDR_OFFSET] && !p.seen[XEN_ELFNOTE_VIRT_BASE])
        return refuse(&p, -EINVAL, "Xen ELF note PADDR_OFFSET is set but VIRT_BASE is not");
    if (k->virt_base & (PAGE_SIZE - 1))
        return refuse(&p, -EINVAL, "Xen ELF note VIRT_BASE %#llx is not page-aligned",
                      (unsigned long long)k->virt_base);
    if (!canonical(k->virt_base))
        return refuse(&p, -EINVAL, "Xen ELF note VIRT_BASE %#llx is not canonical",
                      (unsigned long long)k->virt_base);

    rc = collect_segments(&p, &eh);
    if (rc)
        return rc;
    kend = 0;
    for (unsigned int i = 0; i < k->nr_segments; i++)
        kend = MAX(kend, k->segments[i].vaddr + k->segments[i].memsz);
    k->virt_kstart = ALIGN_DOWN(k->segments[0].vaddr, PAGE_SIZE);
    k->virt_kend = ALIGN_UP(kend, PAGE_SIZE);

    if (!p.seen[XEN_ELFNOTE_ENTRY])
        k->entry = eh.e_entry;
    if (!in_segment(k, k->entry, 1))
        return refuse(&p, -EINVAL, "entry point %#llx lies outside the loaded segments",
                      (unsigned long long)k->entry);

    if (k->hypercall_page != ELF_XEN_NO_ADDR) {
        if (k->hypercall_page & (PAGE_SIZE - 1))
            return refuse(&p, -EINVAL, "hypercall page %#llx is not page-aligned",
                          (unsigned long long)k->hypercall_page);
        if (k->hypercall_page < k->virt_kstart || k->hypercall_page >= k->virt_kend)
            return refuse(&p, -EINVAL,
                          "hypercall page %#llx lies outside the loaded image [%#llx, %#llx)",
                          (unsigned long long)k->hypercall_page, (unsigned long long)k->virt_kstart,
                          (unsigned long long)k->virt_kend);
    }
    if (k->init_p2m != ELF_XEN_NO_ADDR && k->init_p2m >= k->virt_kstart &&
        k->init_p2m < k->virt_kend)
        return refuse(&p, -EINVAL, "Xen ELF note INIT_P2M %#llx lies inside the kernel image",
                      (unsigned long long)k->init_p2m);

    missing = k->features_required[0] & ~hv_features;
    if (missing) {
        unsigned int bit = (unsigned int)__builtin_ctz(missing);
        const char *name = elf_xen_feature_name(bit);

        return refuse(&p, -EOPNOTSUPP,
                      "kernel requires feature %s (XENFEAT bit %u), which mica "
                      "does not support",
                      name ? name : "?", bit);
    }
    return 0;
}

int elf_xen_load(const struct elf_xen_image *k, elf_xen_write_fn write, void *ctx)
{
    for (unsigned int i = 0; i < k->nr_segments; i++) {
        const struct elf_xen_segment *s = &k->segments[i];
        int rc;

        if (s->filesz) {
            rc = write(ctx, s->vaddr, k->image + s->offset, s->filesz);
            if (rc)
                return rc;
        }
        if (s->memsz > s->filesz) {
            rc = write(ctx, s->vaddr + s->filesz, NULL, s->memsz - s->filesz);
            if (rc)
                return rc;
        }
    }
    return 0;
}

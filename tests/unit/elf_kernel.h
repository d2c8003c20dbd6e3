/*
 * Test fixture: build small ELF64 x86-64 "PV kernels" in memory, with Xen ELF notes, so the
 * tests of elf_xen.c and domain_build.c can make good and malicious variants at will.
 *
 * File layout of a built image: ELF header | program headers (segments, then a PT_NOTE if
 * notes_in_phdr) | notes | segment bytes, each at a 4 KiB-aligned offset (byte at file
 * offset o is kb_pattern(o)) | section headers (null, then SHT_NOTE if notes_in_shdr).
 * Include after <mica/elf_xen.h> (for the ELF structures) and the host's <string.h>.
 */
#ifndef TESTS_UNIT_ELF_KERNEL_H
#define TESTS_UNIT_ELF_KERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <xen/elfnote.h>

#define KB_MAX_SEGS  24
#define KB_MAX_NOTES 24
#define KB_VIRT_BASE 0xffffffff80000000ULL

struct kb_seg {
    uint32_t type;  /* ELF_PT_LOAD, ... */
    uint32_t flags; /* ELF_PF_* */
    uint64_t paddr; /* p_paddr (the loader uses this) */
    uint64_t vaddr; /* p_vaddr */
    uint64_t filesz;
    uint64_t memsz;
};

struct kb_note {
    char name[8];
    uint32_t type;
    uint32_t descsz;
    uint8_t desc[160];
};

struct kb_spec {
    uint64_t entry; /* e_entry */
    unsigned int nsegs;
    struct kb_seg segs[KB_MAX_SEGS];
    unsigned int nnotes;
    struct kb_note notes[KB_MAX_NOTES];
    bool notes_in_phdr; /* put the notes in a PT_NOTE segment */
    bool notes_in_shdr; /* and/or in a SHT_NOTE section */
};

/* The byte at file offset @off of every built image's segment data. */
static inline uint8_t kb_pattern(uint64_t off)
{
    return (uint8_t)(off * 7 + 1);
}

static inline void kb_note_raw(struct kb_spec *s, const char *name, uint32_t type, const void *desc,
                               uint32_t descsz)
{
    struct kb_note *n = &s->notes[s->nnotes++];

    memset(n, 0, sizeof(*n));
    strncpy(n->name, name, sizeof(n->name) - 1);
    n->type = type;
    n->descsz = descsz;
    memcpy(n->desc, desc, descsz);
}

static inline void kb_note_str(struct kb_spec *s, uint32_t type, const char *str)
{
    kb_note_raw(s, "Xen", type, str, (uint32_t)strlen(str) + 1);
}

/* A numeric note of @size bytes (little endian). */
static inline void kb_note_num(struct kb_spec *s, uint32_t type, uint64_t val, uint32_t size)
{
    uint8_t b[8];

    for (unsigned int i = 0; i < 8; i++)
        b[i] = (uint8_t)(val >> (8 * i));
    kb_note_raw(s, "Xen", type, b, size);
}

/* Remove every note of @type. */
static inline void kb_drop_note(struct kb_spec *s, uint32_t type)
{
    unsigned int j = 0;

    for (unsigned int i = 0; i < s->nnotes; i++)
        if (s->notes[i].type != type)
            s->notes[j++] = s->notes[i];
    s->nnotes = j;
}

static inline void kb_seg(struct kb_spec *s, uint32_t flags, uint64_t paddr, uint64_t filesz,
                          uint64_t memsz)
{
    struct kb_seg *g = &s->segs[s->nsegs++];

    g->type = ELF_PT_LOAD;
    g->flags = flags;
    g->paddr = paddr;
    g->vaddr = paddr + KB_VIRT_BASE;
    g->filesz = filesz;
    g->memsz = memsz;
}

/*
 * The good kernel: VIRT_BASE 0xffffffff80000000, PADDR_OFFSET 0; text at paddr 0 (0x1800
 * bytes, R-X), data at paddr 0x2000 (0x100 bytes + bss to 0x3000, RW-); entry at +0x10;
 * hypercall page at +0x1000; FEATURES "writable_descriptor_tables|!auto_translated_physmap".
 */
static inline void kb_default(struct kb_spec *s)
{
    memset(s, 0, sizeof(*s));
    s->entry = KB_VIRT_BASE + 0x10;
    s->notes_in_phdr = true;
    kb_seg(s, ELF_PF_R | ELF_PF_X, 0, 0x1800, 0x1800);
    kb_seg(s, ELF_PF_R | ELF_PF_W, 0x2000, 0x100, 0x3000);
    kb_note_str(s, XEN_ELFNOTE_GUEST_OS, "mica-test");
    kb_note_str(s, XEN_ELFNOTE_GUEST_VERSION, "0.1");
    kb_note_str(s, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
    kb_note_str(s, XEN_ELFNOTE_LOADER, "generic");
    kb_note_num(s, XEN_ELFNOTE_VIRT_BASE, KB_VIRT_BASE, 8);
    kb_note_num(s, XEN_ELFNOTE_PADDR_OFFSET, 0, 8);
    kb_note_num(s, XEN_ELFNOTE_ENTRY, KB_VIRT_BASE + 0x10, 8);
    kb_note_num(s, XEN_ELFNOTE_HYPERCALL_PAGE, KB_VIRT_BASE + 0x1000, 8);
    kb_note_str(s, XEN_ELFNOTE_FEATURES, "writable_descriptor_tables|!auto_translated_physmap");
}

static inline size_t kb_align(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

/* Build @s into @out (@cap bytes). Returns the image size, or 0 if it does not fit. */
static inline size_t kb_build(const struct kb_spec *s, uint8_t *out, size_t cap)
{
    unsigned int nph = s->nsegs + (s->notes_in_phdr ? 1 : 0);
    size_t off = sizeof(struct elf64_hdr) + nph * sizeof(struct elf64_phdr);
    size_t notes_off = kb_align(off, 8), notes_len = 0, seg_off[KB_MAX_SEGS], sh_off;
    struct elf64_hdr eh = {0};
    unsigned int ph = 0;

    memset(out, 0, cap);
    /* Notes. */
    off = notes_off;
    for (unsigned int i = 0; i < s->nnotes; i++) {
        const struct kb_note *n = &s->notes[i];
        struct elf64_note h = {(uint32_t)strlen(n->name) + 1, n->descsz, n->type};

        if (off + sizeof(h) + 8 + kb_align(n->descsz, 4) > cap)
            return 0;
        memcpy(out + off, &h, sizeof(h));
        off += sizeof(h);
        memcpy(out + off, n->name, h.namesz);
        off += kb_align(h.namesz, 4);
        memcpy(out + off, n->desc, n->descsz);
        off += kb_align(n->descsz, 4);
    }
    notes_len = off - notes_off;
    /* Segment data. */
    off = kb_align(off, 4096);
    for (unsigned int i = 0; i < s->nsegs; i++) {
        seg_off[i] = off;
        if (off + s->segs[i].filesz > cap)
            return 0;
        for (uint64_t b = 0; b < s->segs[i].filesz; b++)
            out[off + b] = kb_pattern(off + b);
        off = kb_align(off + s->segs[i].filesz, 4096);
    }
    /* Section headers (null + notes). */
    sh_off = kb_align(off, 8);
    if (sh_off + 2 * sizeof(struct elf64_shdr) > cap)
        return 0;
    if (s->notes_in_shdr) {
        struct elf64_shdr sh = {0};

        sh.sh_type = ELF_SHT_NOTE;
        sh.sh_offset = notes_off;
        sh.sh_size = notes_len;
        sh.sh_addralign = 4;
        memcpy(out + sh_off + sizeof(sh), &sh, sizeof(sh));
    }
    off = sh_off + (s->notes_in_shdr ? 2 : 1) * sizeof(struct elf64_shdr);

    /* Program headers. */
    for (unsigned int i = 0; i < s->nsegs; i++) {
        struct elf64_phdr p = {0};

        p.p_type = s->segs[i].type;
        p.p_flags = s->segs[i].flags;
        p.p_offset = seg_off[i];
        p.p_vaddr = s->segs[i].vaddr;
        p.p_paddr = s->segs[i].paddr;
        p.p_filesz = s->segs[i].filesz;
        p.p_memsz = s->segs[i].memsz;
        p.p_align = 4096;
        memcpy(out + sizeof(eh) + ph++ * sizeof(p), &p, sizeof(p));
    }
    if (s->notes_in_phdr) {
        struct elf64_phdr p = {0};

        p.p_type = ELF_PT_NOTE;
        p.p_flags = ELF_PF_R;
        p.p_offset = notes_off;
        p.p_filesz = notes_len;
        p.p_align = 4;
        memcpy(out + sizeof(eh) + ph++ * sizeof(p), &p, sizeof(p));
    }

    memcpy(eh.e_ident, "\177ELF", 4);
    eh.e_ident[4] = ELF_CLASS64;
    eh.e_ident[5] = ELF_DATA2LSB;
    eh.e_ident[6] = ELF_EV_CURRENT;
    eh.e_type = ELF_ET_EXEC;
    eh.e_machine = ELF_EM_X86_64;
    eh.e_version = ELF_EV_CURRENT;
    eh.e_entry = s->entry;
    eh.e_phoff = sizeof(eh);
    eh.e_shoff = sh_off;
    eh.e_ehsize = sizeof(eh);
    eh.e_phentsize = sizeof(struct elf64_phdr);
    eh.e_phnum = (uint16_t)nph;
    eh.e_shentsize = sizeof(struct elf64_shdr);
    eh.e_shnum = s->notes_in_shdr ? 2 : 1;
    memcpy(out, &eh, sizeof(eh));
    return off;
}

/* Read-modify-write the ELF header or program header @i of a built image. */
static inline struct elf64_hdr kb_get_eh(const uint8_t *img)
{
    struct elf64_hdr eh;

    memcpy(&eh, img, sizeof(eh));
    return eh;
}

static inline void kb_put_eh(uint8_t *img, const struct elf64_hdr *eh)
{
    memcpy(img, eh, sizeof(*eh));
}

static inline struct elf64_phdr kb_get_ph(const uint8_t *img, unsigned int i)
{
    struct elf64_phdr p;

    memcpy(&p, img + sizeof(struct elf64_hdr) + i * sizeof(p), sizeof(p));
    return p;
}

static inline void kb_put_ph(uint8_t *img, unsigned int i, const struct elf64_phdr *p)
{
    memcpy(img + sizeof(struct elf64_hdr) + i * sizeof(*p), p, sizeof(*p));
}

#endif /* TESTS_UNIT_ELF_KERNEL_H */

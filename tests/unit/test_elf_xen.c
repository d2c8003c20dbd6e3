/* Unit tests for hypervisor/common/elf_xen.c: Xen PV kernel parsing and loading. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/elf_xen.h>
#include <mica/errno.h>
#include "hv_unrename.h"

#include "elf_kernel.h"

#define IMG_CAP (128 * 1024)
/* Everything but writable_page_tables, as mica offers now. */
#define HV_FEATURES (~(1U << XENFEAT_writable_page_tables))

static uint8_t img[IMG_CAP];
static size_t img_size;
static struct kb_spec spec;
static struct elf_xen_image k;
static char msg[256];

static void build(void)
{
    img_size = kb_build(&spec, img, sizeof(img));
    ck_assert_uint_gt(img_size, 0);
}

static int parse_len(size_t len)
{
    memset(msg, 0x55, sizeof(msg));
    return elf_xen_parse(&k, img, len, HV_FEATURES, msg, sizeof(msg));
}

static int parse(void)
{
    return parse_len(img_size);
}

/* Build the spec, parse it, expect @err and a message containing @part. */
static void expect_refusal(int err, const char *part)
{
    int rc;

    build();
    rc = parse();
    ck_assert_msg(rc == err, "rc %d, want %d (%s)", rc, err, msg);
    ck_assert_msg(strstr(msg, part), "message '%s' lacks '%s'", msg, part);
}

static void setup(void)
{
    kb_default(&spec);
}

/* The default kernel's fields. */
START_TEST(test_good_kernel)
{
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_str_eq(msg, "");
    ck_assert_uint_eq(k.entry, KB_VIRT_BASE + 0x10);
    ck_assert_uint_eq(k.virt_base, KB_VIRT_BASE);
    ck_assert_uint_eq(k.paddr_offset, 0);
    ck_assert_uint_eq(k.hypercall_page, KB_VIRT_BASE + 0x1000);
    ck_assert_uint_eq(k.init_p2m, ELF_XEN_NO_ADDR);
    ck_assert_uint_eq(k.virt_kstart, KB_VIRT_BASE);
    ck_assert_uint_eq(k.virt_kend, KB_VIRT_BASE + 0x5000);
    ck_assert_str_eq(k.guest_os, "mica-test");
    ck_assert_str_eq(k.guest_version, "0.1");
    ck_assert_str_eq(k.xen_version, "xen-3.0");
    ck_assert_str_eq(k.loader, "generic");
    ck_assert_uint_eq(k.features_supported[0], (1U << XENFEAT_writable_descriptor_tables) |
                                                   (1U << XENFEAT_auto_translated_physmap));
    ck_assert_uint_eq(k.features_required[0], 1U << XENFEAT_auto_translated_physmap);
    ck_assert(!k.has_supported_features);
    ck_assert(!k.pae && !k.bsd_symtab && !k.mod_start_pfn);
    ck_assert_uint_eq(k.nr_segments, 2);
    ck_assert_uint_eq(k.segments[0].vaddr, KB_VIRT_BASE);
    ck_assert_uint_eq(k.segments[0].filesz, 0x1800);
    ck_assert_uint_eq(k.segments[0].memsz, 0x1800);
    ck_assert_uint_eq(k.segments[0].flags, ELF_PF_R | ELF_PF_X);
    ck_assert_uint_eq(k.segments[1].vaddr, KB_VIRT_BASE + 0x2000);
    ck_assert_uint_eq(k.segments[1].filesz, 0x100);
    ck_assert_uint_eq(k.segments[1].memsz, 0x3000);
    ck_assert_ptr_eq(k.image, img);
    ck_assert_uint_eq(k.size, img_size);
}
END_TEST

/* Segments listed out of order come back sorted; zero-size and flagless ones are skipped. */
START_TEST(test_segments_sorted)
{
    struct kb_seg t = spec.segs[0];

    spec.segs[0] = spec.segs[1];
    spec.segs[1] = t;
    kb_seg(&spec, ELF_PF_R, 0x9000, 0, 0); /* empty */
    kb_seg(&spec, 0, 0x10000, 0x10, 0x10); /* no R/W/X: libelf skips it */
    spec.segs[spec.nsegs++] = (struct kb_seg){.type = 6 /* PT_PHDR */, .flags = ELF_PF_R};
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_uint_eq(k.nr_segments, 2);
    ck_assert_uint_eq(k.segments[0].vaddr, KB_VIRT_BASE);
    ck_assert_uint_eq(k.segments[1].vaddr, KB_VIRT_BASE + 0x2000);
    ck_assert_uint_eq(k.virt_kend, KB_VIRT_BASE + 0x5000);
}
END_TEST

/* Fake guest memory over [base, base + len) for elf_xen_load(). */
struct fake_mem {
    uint64_t base;
    uint8_t bytes[0x8000];
    unsigned int calls;
    int fail_at; /* call number that fails with -EFAULT, or -1 */
};

static int fake_write(void *ctx, uint64_t vaddr, const void *src, size_t len)
{
    struct fake_mem *m = ctx;

    ck_assert_uint_ge(vaddr, m->base);
    ck_assert_uint_le(vaddr - m->base + len, sizeof(m->bytes));
    if ((int)m->calls++ == m->fail_at)
        return -EFAULT;
    if (src)
        memcpy(m->bytes + (vaddr - m->base), src, len);
    else
        memset(m->bytes + (vaddr - m->base), 0, len);
    return 0;
}

START_TEST(test_load)
{
    static struct fake_mem m;
    struct elf64_phdr text, data;

    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    m.base = k.virt_kstart;
    m.fail_at = -1;
    memset(m.bytes, 0xaa, sizeof(m.bytes));
    ck_assert_int_eq(elf_xen_load(&k, fake_write, &m), 0);
    ck_assert_uint_eq(m.calls, 3); /* text, data, bss */

    text = kb_get_ph(img, 0);
    data = kb_get_ph(img, 1);
    for (uint64_t i = 0; i < 0x1800; i++)
        ck_assert_uint_eq(m.bytes[i], kb_pattern(text.p_offset + i));
    for (uint64_t i = 0x1800; i < 0x2000; i++)
        ck_assert_uint_eq(m.bytes[i], 0xaa); /* not covered by a segment: untouched */
    for (uint64_t i = 0; i < 0x100; i++)
        ck_assert_uint_eq(m.bytes[0x2000 + i], kb_pattern(data.p_offset + i));
    for (uint64_t i = 0x2100; i < 0x5000; i++)
        ck_assert_uint_eq(m.bytes[i], 0); /* bss */
    ck_assert_uint_eq(m.bytes[0x5000], 0xaa);

    /* An error from the writer stops the load and comes back. */
    m.calls = 0;
    m.fail_at = 1;
    ck_assert_int_eq(elf_xen_load(&k, fake_write, &m), -EFAULT);
    ck_assert_uint_eq(m.calls, 2);
}
END_TEST

/* No VIRT_BASE, PADDR_OFFSET or ENTRY note: 0, 0 and e_entry (libelf's defaults). */
START_TEST(test_defaults)
{
    kb_drop_note(&spec, XEN_ELFNOTE_VIRT_BASE);
    kb_drop_note(&spec, XEN_ELFNOTE_PADDR_OFFSET);
    kb_drop_note(&spec, XEN_ELFNOTE_ENTRY);
    kb_drop_note(&spec, XEN_ELFNOTE_HYPERCALL_PAGE);
    spec.segs[0].paddr = 0x100000;
    spec.segs[1].paddr = 0x102000;
    spec.entry = 0x100020;
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_uint_eq(k.virt_base, 0);
    ck_assert_uint_eq(k.paddr_offset, 0);
    ck_assert_uint_eq(k.entry, 0x100020);
    ck_assert_uint_eq(k.hypercall_page, ELF_XEN_NO_ADDR);
    ck_assert_uint_eq(k.virt_kstart, 0x100000);
    ck_assert_uint_eq(k.virt_kend, 0x105000);
}
END_TEST

/* Linux's convention: p_paddr physical, PADDR_OFFSET 0, loaded at p_paddr + VIRT_BASE. */
START_TEST(test_linux_style_paddr)
{
    spec.segs[0].paddr = 0x1000000;
    spec.segs[1].paddr = 0x1002000;
    kb_drop_note(&spec, XEN_ELFNOTE_ENTRY);
    kb_drop_note(&spec, XEN_ELFNOTE_HYPERCALL_PAGE);
    kb_note_num(&spec, XEN_ELFNOTE_ENTRY, KB_VIRT_BASE + 0x1000000, 8);
    kb_note_num(&spec, XEN_ELFNOTE_HYPERCALL_PAGE, KB_VIRT_BASE + 0x1001000, 8);
    kb_drop_note(&spec, XEN_ELFNOTE_LOADER);
    kb_drop_note(&spec, XEN_ELFNOTE_GUEST_OS);
    kb_note_str(&spec, XEN_ELFNOTE_GUEST_OS, "linux");
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_uint_eq(k.virt_kstart, KB_VIRT_BASE + 0x1000000);
    ck_assert_uint_eq(k.virt_kend, KB_VIRT_BASE + 0x1005000);
    ck_assert_uint_eq(k.segments[1].vaddr, KB_VIRT_BASE + 0x1002000);
}
END_TEST

/* The legacy convention: p_paddr = p_vaddr, PADDR_OFFSET = VIRT_BASE. */
START_TEST(test_paddr_offset_virt_base)
{
    spec.segs[0].paddr += KB_VIRT_BASE;
    spec.segs[1].paddr += KB_VIRT_BASE;
    kb_drop_note(&spec, XEN_ELFNOTE_PADDR_OFFSET);
    kb_note_num(&spec, XEN_ELFNOTE_PADDR_OFFSET, KB_VIRT_BASE, 8);
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_uint_eq(k.paddr_offset, KB_VIRT_BASE);
    ck_assert_uint_eq(k.virt_kstart, KB_VIRT_BASE);
    ck_assert_uint_eq(k.segments[1].vaddr, KB_VIRT_BASE + 0x2000);
}
END_TEST

START_TEST(test_paddr_offset_without_virt_base)
{
    kb_drop_note(&spec, XEN_ELFNOTE_VIRT_BASE);
    expect_refusal(-EINVAL, "PADDR_OFFSET is set but VIRT_BASE is not");
}
END_TEST

/* Notes from a SHT_NOTE section when no PT_NOTE segment has them, and from both. */
START_TEST(test_notes_in_section)
{
    spec.notes_in_phdr = false;
    spec.notes_in_shdr = true;
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_uint_eq(k.hypercall_page, KB_VIRT_BASE + 0x1000);
    ck_assert_str_eq(k.guest_os, "mica-test");

    spec.notes_in_phdr = true;
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_str_eq(k.guest_os, "mica-test");
}
END_TEST

/* A PT_NOTE with p_offset 0 is skipped (old binutils), as libelf does. */
START_TEST(test_note_segment_offset_zero)
{
    struct elf64_phdr p;

    build();
    p = kb_get_ph(img, 2);
    p.p_offset = 0;
    kb_put_ph(img, 2, &p);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_str_eq(msg, "no Xen ELF notes: not a PV kernel");
}
END_TEST

/* Numeric notes of 4 bytes; other widths are refused. */
START_TEST(test_numeric_widths)
{
    kb_drop_note(&spec, XEN_ELFNOTE_PADDR_OFFSET);
    kb_note_num(&spec, XEN_ELFNOTE_PADDR_OFFSET, 0, 4);
    kb_drop_note(&spec, XEN_ELFNOTE_VIRT_BASE);
    kb_drop_note(&spec, XEN_ELFNOTE_ENTRY);
    kb_drop_note(&spec, XEN_ELFNOTE_HYPERCALL_PAGE);
    kb_note_num(&spec, XEN_ELFNOTE_VIRT_BASE, 0x400000, 4);
    kb_note_num(&spec, XEN_ELFNOTE_ENTRY, 0x400010, 4);
    kb_note_num(&spec, XEN_ELFNOTE_HYPERCALL_PAGE, 0x401000, 4);
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_uint_eq(k.virt_base, 0x400000);
    ck_assert_uint_eq(k.entry, 0x400010);
    ck_assert_uint_eq(k.hypercall_page, 0x401000);

    kb_drop_note(&spec, XEN_ELFNOTE_ENTRY);
    kb_note_num(&spec, XEN_ELFNOTE_ENTRY, 0x400010, 3);
    expect_refusal(-EINVAL, "ENTRY has a 3-byte value");
}
END_TEST

/* The last of several notes of one type wins. */
START_TEST(test_duplicate_note)
{
    kb_note_num(&spec, XEN_ELFNOTE_ENTRY, KB_VIRT_BASE + 0x2004, 8);
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_uint_eq(k.entry, KB_VIRT_BASE + 0x2004);
}
END_TEST

START_TEST(test_features)
{
    kb_drop_note(&spec, XEN_ELFNOTE_FEATURES);
    kb_note_str(&spec, XEN_ELFNOTE_FEATURES, "|dom0||!pae_pgdir_above_4gb|no_such_feature|");
    kb_note_num(&spec, XEN_ELFNOTE_SUPPORTED_FEATURES, 1U << XENFEAT_hvm_callback_vector, 4);
    kb_note_str(&spec, XEN_ELFNOTE_PAE_MODE, "yes");
    kb_note_str(&spec, XEN_ELFNOTE_BSD_SYMTAB, "yes");
    kb_note_num(&spec, XEN_ELFNOTE_MOD_START_PFN, 1, 4);
    kb_note_num(&spec, XEN_ELFNOTE_INIT_P2M, 0xffffea0000000000ULL, 8);
    kb_note_num(&spec, XEN_ELFNOTE_PHYS32_ENTRY, 0x100000, 4); /* ignored */
    kb_note_num(&spec, 0x77, 5, 3);                            /* unknown: ignored */
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_uint_eq(k.features_supported[0], (1U << XENFEAT_dom0) |
                                                   (1U << XENFEAT_pae_pgdir_above_4gb) |
                                                   (1U << XENFEAT_hvm_callback_vector));
    ck_assert_uint_eq(k.features_required[0], 1U << XENFEAT_pae_pgdir_above_4gb);
    ck_assert(k.has_supported_features);
    ck_assert(k.pae && k.bsd_symtab && k.mod_start_pfn);
    ck_assert_uint_eq(k.init_p2m, 0xffffea0000000000ULL);

    ck_assert_int_eq(elf_xen_feature_bit("dom0", 4), XENFEAT_dom0);
    ck_assert_int_eq(elf_xen_feature_bit("dom0x", 4), XENFEAT_dom0);
    ck_assert_int_eq(elf_xen_feature_bit("dom", 3), -1);
    ck_assert_str_eq(elf_xen_feature_name(XENFEAT_writable_page_tables), "writable_page_tables");
    ck_assert_ptr_null(elf_xen_feature_name(12));
    ck_assert_ptr_null(elf_xen_feature_name(99));
}
END_TEST

START_TEST(test_pae_bimodal)
{
    kb_note_str(&spec, XEN_ELFNOTE_PAE_MODE, "yes,bimodal");
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert(k.pae);
    kb_drop_note(&spec, XEN_ELFNOTE_PAE_MODE);
    kb_note_str(&spec, XEN_ELFNOTE_PAE_MODE, "no");
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert(!k.pae);
}
END_TEST

/* Linux requires writable_page_tables, which mica does not offer yet. */
START_TEST(test_required_feature_unsupported)
{
    kb_drop_note(&spec, XEN_ELFNOTE_FEATURES);
    kb_note_str(&spec, XEN_ELFNOTE_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb");
    expect_refusal(-EOPNOTSUPP, "requires feature writable_page_tables");
    /* The same kernel is fine for a hypervisor that supports it. */
    ck_assert_int_eq(elf_xen_parse(&k, img, img_size, ~0U, msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(test_required_feature_unknown)
{
    kb_drop_note(&spec, XEN_ELFNOTE_FEATURES);
    kb_note_str(&spec, XEN_ELFNOTE_FEATURES, "dom0|!teleportation");
    expect_refusal(-EINVAL, "requires unknown feature 'teleportation'");
}
END_TEST

START_TEST(test_no_notes)
{
    spec.nnotes = 0;
    expect_refusal(-EINVAL, "no Xen ELF notes: not a PV kernel");
    /* Notes of another owner do not count. */
    kb_note_raw(&spec, "GNU", 3, "abcd", 4);
    kb_note_raw(&spec, "Xe", XEN_ELFNOTE_ENTRY, "abcdefgh", 8);
    expect_refusal(-EINVAL, "no Xen ELF notes: not a PV kernel");
    /* No note container at all. */
    spec.notes_in_phdr = false;
    expect_refusal(-EINVAL, "no Xen ELF notes: not a PV kernel");
}
END_TEST

START_TEST(test_loader_guest_os_check)
{
    kb_drop_note(&spec, XEN_ELFNOTE_LOADER);
    expect_refusal(-EINVAL, "LOADER '' is not 'generic' and GUEST_OS 'mica-test'");
    kb_note_str(&spec, XEN_ELFNOTE_LOADER, "generic-plus");
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
}
END_TEST

START_TEST(test_xen_version_check)
{
    kb_drop_note(&spec, XEN_ELFNOTE_XEN_VERSION);
    expect_refusal(-EINVAL, "XEN_VERSION is '', not 'xen-3.0'");
    kb_note_str(&spec, XEN_ELFNOTE_XEN_VERSION, "xen-2.0");
    expect_refusal(-EINVAL, "XEN_VERSION is 'xen-2.0'");
}
END_TEST

START_TEST(test_string_note_unterminated)
{
    kb_drop_note(&spec, XEN_ELFNOTE_GUEST_OS);
    kb_note_raw(&spec, "Xen", XEN_ELFNOTE_GUEST_OS, "linux", 5);
    expect_refusal(-EINVAL, "GUEST_OS is not a NUL-terminated string");
    kb_drop_note(&spec, XEN_ELFNOTE_GUEST_OS);
    kb_note_raw(&spec, "Xen", XEN_ELFNOTE_GUEST_OS, "", 0);
    expect_refusal(-EINVAL, "GUEST_OS is not a NUL-terminated string");
}
END_TEST

/* A long string note is kept truncated, NUL-terminated. */
START_TEST(test_long_string_note)
{
    char longname[150];

    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    kb_note_str(&spec, XEN_ELFNOTE_GUEST_VERSION, longname);
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_uint_eq(strlen(k.guest_version), ELF_XEN_STR_MAX - 1);
}
END_TEST

/* A note whose size runs past its segment. */
START_TEST(test_note_truncated)
{
    struct elf64_phdr p;

    kb_note_str(&spec, XEN_ELFNOTE_GUEST_VERSION, "abcd"); /* last: 5 bytes + 3 padding */
    build();
    p = kb_get_ph(img, 2);
    p.p_filesz -= 3; /* only the last descriptor's padding: fine */
    kb_put_ph(img, 2, &p);
    ck_assert_msg(parse() == 0, "%s", msg);
    p.p_filesz -= 1; /* cuts the last descriptor's NUL */
    kb_put_ph(img, 2, &p);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_msg(strstr(msg, "is truncated"), "%s", msg);
    p.p_filesz += 4 + 8; /* 8 stray bytes after the last note: not a whole header */
    kb_put_ph(img, 2, &p);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_msg(strstr(msg, "is truncated"), "%s", msg);

    /* A header claiming a huge descriptor. */
    kb_default(&spec);
    kb_note_raw(&spec, "Xen", XEN_ELFNOTE_ENTRY, "12345678", 8);
    build();
    {
        struct elf64_note n;
        size_t off = kb_get_ph(img, 2).p_offset + kb_get_ph(img, 2).p_filesz - 24;

        memcpy(&n, img + off, sizeof(n));
        ck_assert_uint_eq(n.type, XEN_ELFNOTE_ENTRY);
        n.descsz = 0xfffffff0;
        memcpy(img + off, &n, sizeof(n));
        ck_assert_int_eq(parse(), -EINVAL);
        ck_assert_msg(strstr(msg, "is truncated"), "%s", msg);
        n.descsz = 8;
        n.namesz = 0xfffffffd;
        memcpy(img + off, &n, sizeof(n));
        ck_assert_int_eq(parse(), -EINVAL);
    }
}
END_TEST

START_TEST(test_note_segment_outside)
{
    struct elf64_phdr p;

    build();
    p = kb_get_ph(img, 2);
    p.p_offset = img_size - 8;
    kb_put_ph(img, 2, &p);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_msg(strstr(msg, "note segment 2"), "%s", msg);
    ck_assert_msg(strstr(msg, "outside"), "%s", msg);
    p.p_offset = ~0ULL - 4;
    kb_put_ph(img, 2, &p);
    ck_assert_int_eq(parse(), -EINVAL);
}
END_TEST

/* Every truncation of a good image is refused with a reason, and never read beyond. */
START_TEST(test_truncated_every_length)
{
    build();
    for (size_t len = 0; len < img_size; len++) {
        uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan catches overreads */
        int rc;

        memcpy(copy, img, len);
        memset(msg, 0x55, sizeof(msg));
        rc = elf_xen_parse(&k, copy, len, HV_FEATURES, msg, sizeof(msg));
        ck_assert_msg(rc < 0, "length %zu accepted", len);
        ck_assert_msg(msg[0] != '\0' && strlen(msg) < sizeof(msg), "length %zu: no message", len);
        free(copy);
    }
    /* The same with notes in a section. */
    spec.notes_in_phdr = false;
    spec.notes_in_shdr = true;
    build();
    for (size_t len = 0; len < img_size; len++) {
        uint8_t *copy = malloc(len ? len : 1);

        memcpy(copy, img, len);
        ck_assert_msg(elf_xen_parse(&k, copy, len, HV_FEATURES, msg, sizeof(msg)) < 0,
                      "length %zu accepted", len);
        free(copy);
    }
}
END_TEST

START_TEST(test_bad_header)
{
    struct elf64_hdr eh;

    build();
    eh = kb_get_eh(img);
    eh.e_ident[1] = 'X';
    kb_put_eh(img, &eh);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_str_eq(msg, "not an ELF file (bad magic)");

    build();
    eh = kb_get_eh(img);
    eh.e_ident[4] = 1; /* ELFCLASS32 */
    kb_put_eh(img, &eh);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_str_eq(msg, "not a 64-bit ELF file (class 1)");

    build();
    eh = kb_get_eh(img);
    eh.e_ident[5] = 2; /* big endian */
    kb_put_eh(img, &eh);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_msg(strstr(msg, "little-endian"), "%s", msg);

    build();
    eh = kb_get_eh(img);
    eh.e_machine = 3; /* EM_386 */
    kb_put_eh(img, &eh);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_str_eq(msg, "not an x86-64 ELF file (machine 3)");

    build();
    eh = kb_get_eh(img);
    eh.e_type = 3; /* ET_DYN */
    kb_put_eh(img, &eh);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_str_eq(msg, "not an ELF executable (type 3)");

    build();
    eh = kb_get_eh(img);
    eh.e_version = 2;
    kb_put_eh(img, &eh);
    ck_assert_int_eq(parse(), -EINVAL);

    build();
    eh = kb_get_eh(img);
    eh.e_phentsize = 32;
    kb_put_eh(img, &eh);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_msg(strstr(msg, "program header size is 32"), "%s", msg);

    build();
    eh = kb_get_eh(img);
    eh.e_phnum = 0;
    kb_put_eh(img, &eh);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_str_eq(msg, "ELF file has no program headers");

    build();
    eh = kb_get_eh(img);
    eh.e_phnum = ELF_PN_XNUM;
    kb_put_eh(img, &eh);
    ck_assert_int_eq(parse(), -EINVAL);

    build();
    eh = kb_get_eh(img);
    eh.e_shentsize = 40;
    kb_put_eh(img, &eh);
    ck_assert_int_eq(parse(), -EINVAL);
    ck_assert_msg(strstr(msg, "section header size is 40"), "%s", msg);
}
END_TEST

/* Header table offsets and counts that overflow or point outside. */
START_TEST(test_header_tables_outside)
{
    static const uint64_t offsets[] = {~0ULL,      ~0ULL - 55, ~0ULL - 56 * 3 + 1,
                                       1ULL << 63, IMG_CAP,    0x100000};
    struct elf64_hdr eh;

    for (unsigned int i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        build();
        eh = kb_get_eh(img);
        eh.e_phoff = offsets[i];
        kb_put_eh(img, &eh);
        ck_assert_int_eq(parse(), -EINVAL);
        ck_assert_msg(strstr(msg, "program headers (offset"), "%s", msg);

        build();
        eh = kb_get_eh(img);
        eh.e_shoff = offsets[i];
        kb_put_eh(img, &eh);
        ck_assert_int_eq(parse(), -EINVAL);
        ck_assert_msg(strstr(msg, "section headers (offset"), "%s", msg);
    }
    build();
    eh = kb_get_eh(img);
    eh.e_phnum = 0xfffe;
    kb_put_eh(img, &eh);
    ck_assert_int_eq(parse(), -EINVAL);
    /* e_shnum 0: no section table, whatever e_shoff says. */
    build();
    eh = kb_get_eh(img);
    eh.e_shnum = 0;
    eh.e_shoff = ~0ULL;
    kb_put_eh(img, &eh);
    ck_assert_msg(parse() == 0, "%s", msg);
}
END_TEST

START_TEST(test_filesz_above_memsz)
{
    spec.segs[1].memsz = 0x80;
    expect_refusal(-EINVAL, "ELF segment 1: file size 0x100 exceeds memory size 0x80");
}
END_TEST

START_TEST(test_segment_outside_image)
{
    static const uint64_t offsets[] = {~0ULL - 0x10, ~0ULL - 0xff, IMG_CAP, 1ULL << 63};
    struct elf64_phdr p;

    for (unsigned int i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        build();
        p = kb_get_ph(img, 1);
        p.p_offset = offsets[i];
        kb_put_ph(img, 1, &p);
        ck_assert_int_eq(parse(), -EINVAL);
        ck_assert_msg(strstr(msg, "ELF segment 1 (offset"), "%s", msg);
        ck_assert_msg(strstr(msg, "outside"), "%s", msg);
    }
    build();
    p = kb_get_ph(img, 1);
    p.p_filesz = p.p_memsz = ~0ULL - 0x100;
    kb_put_ph(img, 1, &p);
    ck_assert_int_eq(parse(), -EINVAL);
    /* Exactly the end of the image is fine; one byte more is not. */
    build();
    p = kb_get_ph(img, 1);
    p.p_filesz = img_size - p.p_offset;
    p.p_memsz = 0x3000;
    kb_put_ph(img, 1, &p);
    ck_assert_msg(parse() == 0, "%s", msg);
    p.p_filesz++;
    kb_put_ph(img, 1, &p);
    ck_assert_int_eq(parse(), -EINVAL);
}
END_TEST

START_TEST(test_overlapping_segments)
{
    kb_seg(&spec, ELF_PF_R, 0x4fff, 0x10, 0x10); /* last bss byte of segment 1 */
    expect_refusal(-EINVAL, "ELF segment 2 (vaddr 0xffffffff80004fff, 0x10 bytes) overlaps "
                            "segment 1");
    /* Touching is fine. */
    spec.segs[2].paddr = 0x5000;
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_uint_eq(k.nr_segments, 3);
    /* Containing another, and identical. */
    spec.segs[2].paddr = 0;
    spec.segs[2].memsz = 0x10000;
    expect_refusal(-EINVAL, "overlaps segment");
    spec.segs[2] = spec.segs[0];
    expect_refusal(-EINVAL, "ELF segment 2 (vaddr 0xffffffff80000000, 0x1800 bytes) overlaps "
                            "segment 0");
}
END_TEST

START_TEST(test_segment_below_virt_base)
{
    spec.segs[0].paddr = -0x1000ULL; /* + VIRT_BASE wraps to VIRT_BASE - 0x1000 */
    spec.segs[0].memsz = spec.segs[0].filesz = 0x800;
    expect_refusal(-EINVAL, "ELF segment 0 (vaddr 0xffffffff7ffff000, 0x800 bytes) lies below "
                            "VIRT_BASE 0xffffffff80000000");
}
END_TEST

START_TEST(test_segment_not_canonical)
{
    kb_drop_note(&spec, XEN_ELFNOTE_VIRT_BASE);
    kb_drop_note(&spec, XEN_ELFNOTE_ENTRY);
    kb_drop_note(&spec, XEN_ELFNOTE_HYPERCALL_PAGE);
    kb_note_num(&spec, XEN_ELFNOTE_VIRT_BASE, 0x400000, 8);
    kb_note_num(&spec, XEN_ELFNOTE_ENTRY, 0x400010, 8);
    spec.segs[1].paddr = 0x00007ffffffff000ULL - 0x400000; /* crosses 2^47 */
    expect_refusal(-EINVAL, "ELF segment 1 (vaddr 0x7ffffffff000, 0x3000 bytes) is not "
                            "canonical");
    spec.segs[1].paddr = 0x0000900000000000ULL;
    expect_refusal(-EINVAL, "is not canonical");
}
END_TEST

START_TEST(test_segment_wraps)
{
    spec.segs[1].paddr = 0x7ffff000; /* + VIRT_BASE = 0xfffffffffffff000 */
    spec.segs[1].memsz = 0x2000;
    expect_refusal(-EINVAL, "wraps past the top of the address space");
    spec.segs[1].memsz = ~0ULL;
    spec.segs[1].filesz = 0;
    expect_refusal(-EINVAL, "wraps");
}
END_TEST

START_TEST(test_too_many_segments)
{
    for (unsigned int i = spec.nsegs; i < ELF_XEN_MAX_SEGMENTS + 1; i++)
        kb_seg(&spec, ELF_PF_R, 0x10000 + i * 0x1000, 0x10, 0x10);
    expect_refusal(-E2BIG, "more than 16 loadable segments");
    spec.nsegs--;
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
    ck_assert_uint_eq(k.nr_segments, ELF_XEN_MAX_SEGMENTS);
}
END_TEST

START_TEST(test_no_loadable_segments)
{
    spec.segs[0].type = spec.segs[1].type = 6;
    expect_refusal(-EINVAL, "no loadable segments");
}
END_TEST

START_TEST(test_virt_base_unaligned)
{
    kb_drop_note(&spec, XEN_ELFNOTE_VIRT_BASE);
    kb_note_num(&spec, XEN_ELFNOTE_VIRT_BASE, KB_VIRT_BASE + 0x10, 8);
    expect_refusal(-EINVAL, "VIRT_BASE 0xffffffff80000010 is not page-aligned");
    kb_drop_note(&spec, XEN_ELFNOTE_VIRT_BASE);
    kb_note_num(&spec, XEN_ELFNOTE_VIRT_BASE, 0x8000000000000000ULL, 8);
    expect_refusal(-EINVAL, "VIRT_BASE 0x8000000000000000 is not canonical");
}
END_TEST

START_TEST(test_entry_outside)
{
    kb_drop_note(&spec, XEN_ELFNOTE_ENTRY);
    kb_note_num(&spec, XEN_ELFNOTE_ENTRY, KB_VIRT_BASE + 0x5000, 8);
    expect_refusal(-EINVAL, "entry point 0xffffffff80005000 lies outside the loaded segments");
    kb_drop_note(&spec, XEN_ELFNOTE_ENTRY);
    kb_note_num(&spec, XEN_ELFNOTE_ENTRY, KB_VIRT_BASE + 0x1c00, 8); /* gap between segments */
    expect_refusal(-EINVAL, "entry point");
    kb_drop_note(&spec, XEN_ELFNOTE_ENTRY);
    kb_note_num(&spec, XEN_ELFNOTE_ENTRY, 0, 8);
    expect_refusal(-EINVAL, "entry point 0 lies outside");
    /* Without the note, e_entry is checked the same way. */
    kb_drop_note(&spec, XEN_ELFNOTE_ENTRY);
    spec.entry = 0x1000;
    expect_refusal(-EINVAL, "entry point 0x1000 lies outside");
    spec.entry = KB_VIRT_BASE + 0x4fff; /* last byte of bss */
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
}
END_TEST

START_TEST(test_hypercall_page_outside)
{
    kb_drop_note(&spec, XEN_ELFNOTE_HYPERCALL_PAGE);
    kb_note_num(&spec, XEN_ELFNOTE_HYPERCALL_PAGE, KB_VIRT_BASE + 0x5000, 8);
    expect_refusal(-EINVAL, "hypercall page 0xffffffff80005000 lies outside the loaded image "
                            "[0xffffffff80000000, 0xffffffff80005000)");
    kb_drop_note(&spec, XEN_ELFNOTE_HYPERCALL_PAGE);
    kb_note_num(&spec, XEN_ELFNOTE_HYPERCALL_PAGE, KB_VIRT_BASE - 0x1000, 8);
    expect_refusal(-EINVAL, "lies outside the loaded image");
    kb_drop_note(&spec, XEN_ELFNOTE_HYPERCALL_PAGE);
    kb_note_num(&spec, XEN_ELFNOTE_HYPERCALL_PAGE, KB_VIRT_BASE + 0x1008, 8);
    expect_refusal(-EINVAL, "hypercall page 0xffffffff80001008 is not page-aligned");
    kb_drop_note(&spec, XEN_ELFNOTE_HYPERCALL_PAGE);
    kb_note_num(&spec, XEN_ELFNOTE_HYPERCALL_PAGE, KB_VIRT_BASE + 0x4000, 8);
    build();
    ck_assert_msg(parse() == 0, "%s", msg);
}
END_TEST

START_TEST(test_init_p2m_inside_kernel)
{
    kb_note_num(&spec, XEN_ELFNOTE_INIT_P2M, KB_VIRT_BASE + 0x2000, 8);
    expect_refusal(-EINVAL, "INIT_P2M 0xffffffff80002000 lies inside the kernel image");
}
END_TEST

/* A tiny message buffer truncates the reason but the error stays. */
START_TEST(test_small_message_buffer)
{
    char small[8];

    spec.nnotes = 0;
    build();
    ck_assert_int_eq(elf_xen_parse(&k, img, img_size, HV_FEATURES, small, sizeof(small)), -EINVAL);
    ck_assert_str_eq(small, "no Xen ");
    ck_assert_int_eq(elf_xen_parse(&k, img, img_size, HV_FEATURES, NULL, 0), -EINVAL);
}
END_TEST

/* Random corruption of a good image: never a crash or an overread, always a verdict. */
START_TEST(test_fuzz)
{
    static uint8_t copy[IMG_CAP];
    unsigned int seed = 12345, accepted = 0;

    spec.notes_in_shdr = true;
    build();
    for (unsigned int round = 0; round < 20000; round++) {
        unsigned int flips = 1 + rand_r(&seed) % 4;
        int rc;

        memcpy(copy, img, img_size);
        for (unsigned int f = 0; f < flips; f++) {
            /* Mostly the headers and notes, where the structure is. */
            size_t at = rand_r(&seed) % 3 ? (size_t)rand_r(&seed) % 0x300
                                          : (size_t)rand_r(&seed) % img_size;

            copy[at] = (uint8_t)rand_r(&seed);
        }
        msg[0] = 'x';
        rc = elf_xen_parse(&k, copy, img_size, HV_FEATURES, msg, sizeof(msg));
        if (rc == 0) {
            accepted++;
            ck_assert_str_eq(msg, "");
            ck_assert_uint_ge(k.nr_segments, 1);
            ck_assert_uint_le(k.virt_kstart, k.entry);
            ck_assert_uint_gt(k.virt_kend, k.entry);
        } else {
            ck_assert_msg(msg[0] != '\0', "rc %d without a message", rc);
        }
    }
    ck_assert_uint_gt(accepted, 0);
}
END_TEST

static Suite *elf_xen_suite(void)
{
    Suite *s = suite_create("elf_xen");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_good_kernel);
    tcase_add_test(tc, test_segments_sorted);
    tcase_add_test(tc, test_load);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_linux_style_paddr);
    tcase_add_test(tc, test_paddr_offset_virt_base);
    tcase_add_test(tc, test_paddr_offset_without_virt_base);
    tcase_add_test(tc, test_notes_in_section);
    tcase_add_test(tc, test_note_segment_offset_zero);
    tcase_add_test(tc, test_numeric_widths);
    tcase_add_test(tc, test_duplicate_note);
    tcase_add_test(tc, test_features);
    tcase_add_test(tc, test_pae_bimodal);
    tcase_add_test(tc, test_required_feature_unsupported);
    tcase_add_test(tc, test_required_feature_unknown);
    tcase_add_test(tc, test_no_notes);
    tcase_add_test(tc, test_loader_guest_os_check);
    tcase_add_test(tc, test_xen_version_check);
    tcase_add_test(tc, test_string_note_unterminated);
    tcase_add_test(tc, test_long_string_note);
    tcase_add_test(tc, test_note_truncated);
    tcase_add_test(tc, test_note_segment_outside);
    tcase_add_test(tc, test_truncated_every_length);
    tcase_add_test(tc, test_bad_header);
    tcase_add_test(tc, test_header_tables_outside);
    tcase_add_test(tc, test_filesz_above_memsz);
    tcase_add_test(tc, test_segment_outside_image);
    tcase_add_test(tc, test_overlapping_segments);
    tcase_add_test(tc, test_segment_below_virt_base);
    tcase_add_test(tc, test_segment_not_canonical);
    tcase_add_test(tc, test_segment_wraps);
    tcase_add_test(tc, test_too_many_segments);
    tcase_add_test(tc, test_no_loadable_segments);
    tcase_add_test(tc, test_virt_base_unaligned);
    tcase_add_test(tc, test_entry_outside);
    tcase_add_test(tc, test_hypercall_page_outside);
    tcase_add_test(tc, test_init_p2m_inside_kernel);
    tcase_add_test(tc, test_small_message_buffer);
    tcase_add_test(tc, test_fuzz);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(elf_xen_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

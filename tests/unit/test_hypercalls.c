/*
 * Unit tests for the argument checks of mica's first hypercalls: xen_version (common/version.c),
 * console_io (common/console.c), sched_op (common/sched.c), vm_assist (common/vm_assist.c),
 * memory_op (common/memory.c) and the dispatch table with its counters (common/hypercall.c).
 *
 * The handlers run over the doubles of fake_guest.c: a guest address space of a few mapped
 * regions (so any pointer can be handed in: NULL, unmapped, read-only, straddling a region's
 * end, in the hypervisor's range, non-canonical, wrapping), a privileged dom0 and unprivileged
 * domUs, and a captured serial line. Expected values come from Xen 4.17's public headers
 * (/usr/include/xen) and, where the handlers document a choice, from the handlers.
 *
 * The "xen417" test case lists the places where mica answers differently from Xen 4.17 by
 * accident rather than by a documented choice: by default it checks mica's current answer;
 * with MICA_UNIT_EXPECT_XEN=1 in the environment it checks Xen's, which is what each should
 * become.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <arch/guest.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <xen/features.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <xen/xen.h>
#include "hv_unrename.h"

#include "fake_guest.h"

#define XEN_VERSION_417 ((4 << 16) | 17)

/*
 * Reset the fakes, and close any line console.c still has open for a domain (its line owner
 * is private state that outlives the fakes), so each test starts at the start of a line.
 */
static void reset(void)
{
    fake_guest_reset();
    ck_assert(fake_poke(FG_DATA, "\n", 1));
    ck_assert_int_eq(do_console_io(CONSOLEIO_write, 1, FG_DATA, 0, 0), 0);
    fake_guest_reset();
}

static void setup(void)
{
    reset();
}

/* --- Pointers every handler must refuse or accept ---------------------------------------- */

struct ptr_case {
    const char *what;
    uint64_t addr;
};

#define MAX_PTRS 16

/*
 * Pointers at which a @len-byte argument (len >= 2) cannot be accessed; @written adds those
 * that can only be read. Returns how many it put in @out.
 */
static size_t bad_ptrs(size_t len, bool written, struct ptr_case *out)
{
    size_t n = 0, half = len / 2;

    out[n++] = (struct ptr_case){"NULL", 0};
    out[n++] = (struct ptr_case){"unmapped", FG_UNMAPPED};
    out[n++] = (struct ptr_case){"hypervisor text (mapped for ring 0)", FG_HV_TEXT};
    out[n++] = (struct ptr_case){"HYPERVISOR_VIRT_START", HYPERVISOR_VIRT_START};
    out[n++] = (struct ptr_case){"last hypervisor bytes into guest kernel page",
                                 HYPERVISOR_VIRT_END - half};
    out[n++] = (struct ptr_case){"first non-canonical", FG_NONCANON};
    out[n++] = (struct ptr_case){"non-canonical 0x8000...", 0x8000000000000000UL};
    out[n++] = (struct ptr_case){"non-canonical below HYPERVISOR_VIRT_START",
                                 HYPERVISOR_VIRT_START - PAGE_SIZE};
    out[n++] = (struct ptr_case){"straddling the canonical hole", FG_LOW_TOP + PAGE_SIZE - half};
    out[n++] =
        (struct ptr_case){"straddling the end of mapped memory", FG_RODATA + PAGE_SIZE - half};
    out[n++] = (struct ptr_case){"wrapping past 2^64", 0 - half};
    if (written) {
        out[n++] = (struct ptr_case){"read-only", FG_RODATA};
        out[n++] =
            (struct ptr_case){"straddling writable into read-only", FG_DATA + FG_DATA_SIZE - half};
    }
    return n;
}

/* Pointers at which a @len-byte argument is accessible; @written leaves out read-only ones. */
static size_t good_ptrs(size_t len, bool written, struct ptr_case *out)
{
    size_t n = 0;

    out[n++] = (struct ptr_case){"data", FG_DATA};
    out[n++] = (struct ptr_case){"ending at the read-only page", FG_DATA + FG_DATA_SIZE - len};
    out[n++] = (struct ptr_case){"HYPERVISOR_VIRT_END (first kernel byte)", FG_KERNEL};
    out[n++] = (struct ptr_case){"ending at the canonical hole", FG_LOW_TOP + PAGE_SIZE - len};
    out[n++] = (struct ptr_case){"top page of the address space", FG_TOP};
    if (!written) {
        out[n++] = (struct ptr_case){"read-only", FG_RODATA};
        out[n++] = (struct ptr_case){"ending at unmapped memory", FG_RODATA + PAGE_SIZE - len};
    }
    return n;
}

/* A hypercall with its pointer argument left open, and a hook to put its input there. */
typedef long (*ptr_call_fn)(uint64_t addr);
typedef void (*prepare_fn)(uint64_t addr);

/* Call @call at every bad pointer for a @len-byte argument and expect -EFAULT. */
static void expect_efault(const char *name, size_t len, bool written, ptr_call_fn call,
                          prepare_fn prepare)
{
    struct ptr_case p[MAX_PTRS];
    size_t n = bad_ptrs(len, written, p);

    for (size_t i = 0; i < n; i++) {
        if (prepare)
            prepare(p[i].addr);
        long rc = call(p[i].addr);
        ck_assert_msg(rc == -EFAULT, "%s at %s (%#lx): rc %ld, want -EFAULT", name, p[i].what,
                      (unsigned long)p[i].addr, rc);
        ck_assert_msg(!fake_log.hv_touched, "%s at %s reached hypervisor memory", name, p[i].what);
    }
}

/* Call @call at every good pointer for a @len-byte argument and expect @want. */
static void expect_ok_everywhere(const char *name, size_t len, bool written, ptr_call_fn call,
                                 prepare_fn prepare, long want)
{
    struct ptr_case p[MAX_PTRS];
    size_t n = good_ptrs(len, written, p);

    for (size_t i = 0; i < n; i++) {
        if (prepare)
            prepare(p[i].addr);
        long rc = call(p[i].addr);
        ck_assert_msg(rc == want, "%s at %s (%#lx): rc %ld, want %ld", name, p[i].what,
                      (unsigned long)p[i].addr, rc, want);
    }
}

static void poke_byte_range(uint64_t addr, int c, size_t len)
{
    unsigned char buf[2048];

    ck_assert_uint_le(len, sizeof(buf));
    memset(buf, c, len);
    ck_assert(fake_poke(addr, buf, len));
}

/* --- guest_access.c: the range rule and the copy front-ends ------------------------------- */

START_TEST(test_range_rule)
{
    ck_assert(guest_range_ok(0, 0));
    ck_assert(guest_range_ok(FG_DATA, 16));
    ck_assert(guest_range_ok(HYPERVISOR_VIRT_START - 1, 1));
    ck_assert(!guest_range_ok(HYPERVISOR_VIRT_START - 8, 9));
    ck_assert(!guest_range_ok(HYPERVISOR_VIRT_START, 1));
    ck_assert(!guest_range_ok(FG_HV_TEXT, 8));
    ck_assert(!guest_range_ok(HYPERVISOR_VIRT_END - 1, 1));
    ck_assert(!guest_range_ok(HYPERVISOR_VIRT_END - 1, 2));
    ck_assert(guest_range_ok(HYPERVISOR_VIRT_END, 1));
    ck_assert(!guest_range_ok(0, ~0UL));
    ck_assert(!guest_range_ok(FG_DATA, HYPERVISOR_VIRT_START));
    ck_assert(!guest_range_ok(~0UL, 2));
    ck_assert(!guest_range_ok(~0UL - 7, 16));
    /* An empty range touches nothing, wherever it starts. */
    ck_assert(guest_range_ok(HYPERVISOR_VIRT_START, 0));
}
END_TEST

START_TEST(test_real_copies)
{
    char host[16] = "0123456789abcde", buf[16];

    memset(buf, 0, sizeof(buf));
    ck_assert_int_eq(real_copy_from_guest(buf, (uint64_t)(uintptr_t)host, sizeof(buf)), 0);
    ck_assert_mem_eq(buf, host, sizeof(buf));
    ck_assert_uint_eq(fake_raw_calls, 1);
    ck_assert_int_eq(real_copy_to_guest((uint64_t)(uintptr_t)buf, "ZZ", 2), 0);
    ck_assert_mem_eq(buf, "ZZ23", 4);
    ck_assert_uint_eq(fake_raw_calls, 2);

    /* Hypervisor addresses are refused before any access. */
    ck_assert_int_eq(real_copy_from_guest(buf, FG_HV_TEXT, 8), -EFAULT);
    ck_assert_int_eq(real_copy_to_guest(HYPERVISOR_VIRT_START, buf, 8), -EFAULT);
    ck_assert_int_eq(real_copy_to_guest(HYPERVISOR_VIRT_END - 4, buf, 8), -EFAULT);
    ck_assert_uint_eq(fake_raw_calls, 2);

    /* A fault inside the copy (bytes left over) is -EFAULT too. */
    fake_raw_fail = true;
    ck_assert_int_eq(real_copy_from_guest(buf, (uint64_t)(uintptr_t)host, 8), -EFAULT);
    ck_assert_int_eq(real_copy_to_guest((uint64_t)(uintptr_t)buf, host, 8), -EFAULT);
    ck_assert_uint_eq(fake_raw_calls, 4);
}
END_TEST

START_TEST(test_exception_table)
{
    ck_assert_uint_eq(search_exception_table(0x1000), 0x1f00);
    ck_assert_uint_eq(search_exception_table(0x3000), 0x3f00);
    ck_assert_uint_eq(search_exception_table(0x1f00), 0);
    ck_assert_uint_eq(search_exception_table(0x2000), 0);
    ck_assert_uint_eq(search_exception_table(0), 0);
}
END_TEST

/* The fake itself: partial copies stop at the first bad byte, read-only refuses writes. */
START_TEST(test_fake_address_space)
{
    unsigned char buf[8], ones[8];

    memset(ones, 1, sizeof(ones));
    ck_assert_int_eq(copy_to_guest(FG_DATA + FG_DATA_SIZE - 4, ones, 8), -EFAULT);
    ck_assert(fake_peek(FG_DATA + FG_DATA_SIZE - 4, buf, 8));
    ck_assert_mem_eq(buf, "\1\1\1\1\xee\xee\xee\xee", 8);
    ck_assert_int_eq(copy_from_guest(buf, FG_RODATA, 8), 0);
    ck_assert_int_eq(copy_from_guest(buf, FG_RODATA + PAGE_SIZE - 4, 8), -EFAULT);
    ck_assert_int_eq(copy_to_guest(FG_TOP + PAGE_SIZE - 8, ones, 8), -EFAULT); /* wraps */
    ck_assert_int_eq(copy_to_guest(FG_TOP + PAGE_SIZE - 9, ones, 8), 0);
    ck_assert(!fake_log.hv_touched);
    ck_assert(!fake_peek(FG_UNMAPPED, buf, 1));
}
END_TEST

/* --- xen_version ------------------------------------------------------------------------- */

static unsigned long xv_cmd;

static long call_xen_version(uint64_t addr)
{
    return do_xen_version(xv_cmd, addr, 0, 0, 0);
}

static void prepare_features(uint64_t addr)
{
    xen_feature_info_t fi = {.submap_idx = 0, .submap = 0};

    fake_poke(addr, &fi, sizeof(fi)); /* as much as is mapped */
}

/* Every sub-op that takes a pointer, with the bytes it reads or writes. */
static const struct {
    unsigned int cmd;
    size_t len;
} xv_ptr_ops[] = {
    {XENVER_extraversion, sizeof(xen_extraversion_t)},
    {XENVER_compile_info, sizeof(xen_compile_info_t)},
    {XENVER_capabilities, sizeof(xen_capabilities_info_t)},
    {XENVER_changeset, sizeof(xen_changeset_info_t)},
    {XENVER_platform_parameters, sizeof(xen_platform_parameters_t)},
    {XENVER_get_features, sizeof(xen_feature_info_t)},
    {XENVER_guest_handle, sizeof(xen_domain_handle_t)},
    {XENVER_commandline, sizeof(xen_commandline_t)},
};

START_TEST(test_xen_version_numbers)
{
    struct domain *doms[] = {&fg_dom0, &fg_domu};

    for (size_t i = 0; i < ARRAY_SIZE(doms); i++) {
        fake_run_as(doms[i]);
        ck_assert_int_eq(do_xen_version(XENVER_version, 0, 0, 0, 0), XEN_VERSION_417);
        ck_assert_int_eq(do_xen_version(XENVER_version, FG_UNMAPPED, 7, 8, 9), XEN_VERSION_417);
        ck_assert_int_eq(do_xen_version(XENVER_pagesize, 0, 0, 0, 0), 4096);
    }
    ck_assert_uint_eq(fake_log.copies_from + fake_log.copies_to, 0);
}
END_TEST

/* Check a NUL-padded string of @size bytes at @addr, and that the byte after it is untouched. */
static void expect_string_at(uint64_t addr, size_t size, const char *want)
{
    char buf[1025];

    ck_assert_uint_le(size + 1, sizeof(buf));
    ck_assert(fake_peek(addr, buf, size + 1));
    ck_assert_msg(!strncmp(buf, want, size), "got '%.*s', want '%s'", (int)size, buf, want);
    for (size_t i = strlen(want); i < size; i++)
        ck_assert_msg(buf[i] == 0, "byte %zu of '%s' not NUL", i, want);
    ck_assert_int_eq((unsigned char)buf[size], 0xee);
}

START_TEST(test_xen_version_strings)
{
    struct domain *doms[] = {&fg_dom0, &fg_domu};

    for (size_t i = 0; i < ARRAY_SIZE(doms); i++) {
        reset();
        fake_run_as(doms[i]);
        ck_assert_int_eq(do_xen_version(XENVER_extraversion, FG_DATA, 0, 0, 0), 0);
        expect_string_at(FG_DATA, sizeof(xen_extraversion_t), "-mica");
        ck_assert_int_eq(do_xen_version(XENVER_capabilities, FG_DATA, 0, 0, 0), 0);
        expect_string_at(FG_DATA, sizeof(xen_capabilities_info_t), "xen-3.0-x86_64 ");
        ck_assert_int_eq(do_xen_version(XENVER_changeset, FG_DATA + 2048, 0, 0, 0), 0);
        expect_string_at(FG_DATA + 2048, sizeof(xen_changeset_info_t), "mica");
    }
}
END_TEST

START_TEST(test_xen_version_compile_info)
{
    xen_compile_info_t info;

    ck_assert_int_eq(do_xen_version(XENVER_compile_info, FG_KERNEL, 0, 0, 0), 0);
    ck_assert(fake_peek(FG_KERNEL, &info, sizeof(info)));
    ck_assert(memchr(info.compiler, 0, sizeof(info.compiler)));
    ck_assert(memchr(info.compile_by, 0, sizeof(info.compile_by)));
    ck_assert(memchr(info.compile_domain, 0, sizeof(info.compile_domain)));
    ck_assert(memchr(info.compile_date, 0, sizeof(info.compile_date)));
    ck_assert_msg(!strncmp(info.compiler, "gcc ", 4), "compiler '%s'", info.compiler);
    ck_assert_str_eq(info.compile_by, "mica");
    ck_assert_str_eq(info.compile_domain, "mica");
    ck_assert_uint_gt(strlen(info.compile_date), 0);
}
END_TEST

START_TEST(test_xen_version_platform_parameters)
{
    xen_platform_parameters_t p;
    unsigned char after;

    ck_assert_int_eq(do_xen_version(XENVER_platform_parameters, FG_DATA, 0, 0, 0), 0);
    ck_assert(fake_peek(FG_DATA, &p, sizeof(p)));
    ck_assert_uint_eq(p.virt_start, HYPERVISOR_VIRT_START);
    ck_assert_uint_eq(p.virt_start, 0xffff800000000000UL);
    ck_assert(fake_peek(FG_DATA + sizeof(p), &after, 1));
    ck_assert_uint_eq(after, 0xee);
}
END_TEST

static long features(unsigned int idx, uint32_t *submap)
{
    xen_feature_info_t fi = {.submap_idx = idx, .submap = 0xdeadbeef};
    long rc;

    ck_assert(fake_poke(FG_DATA, &fi, sizeof(fi)));
    rc = do_xen_version(XENVER_get_features, FG_DATA, 0, 0, 0);
    ck_assert(fake_peek(FG_DATA, &fi, sizeof(fi)));
    ck_assert_uint_eq(fi.submap_idx, idx);
    *submap = fi.submap;
    return rc;
}

START_TEST(test_xen_version_get_features)
{
    uint32_t map;

    fake_run_as(&fg_dom0);
    ck_assert_int_eq(features(0, &map), 0);
    ck_assert_uint_eq(map, 1u << XENFEAT_dom0);

    fake_run_as(&fg_domu);
    ck_assert_int_eq(features(0, &map), 0);
    ck_assert_uint_eq(map & (1u << XENFEAT_dom0), 0);
    ck_assert_uint_eq(map, 0);

    /* Only XENFEAT_NR_SUBMAPS submaps exist; the guest's memory stays as it was. */
    ck_assert_int_eq(XENFEAT_NR_SUBMAPS, 1);
    const unsigned int bad[] = {XENFEAT_NR_SUBMAPS, 2, 0x80000000u, 0xffffffffu};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        fake_run_as(i & 1 ? &fg_dom0 : &fg_domu);
        ck_assert_int_eq(features(bad[i], &map), -EINVAL);
        ck_assert_uint_eq(map, 0xdeadbeef);
    }
}
END_TEST

START_TEST(test_xen_version_guest_handle)
{
    xen_domain_handle_t h;
    static const xen_domain_handle_t zero;

    ck_assert_int_eq(do_xen_version(XENVER_guest_handle, FG_DATA, 0, 0, 0), 0);
    ck_assert(fake_peek(FG_DATA, h, sizeof(h)));
    ck_assert_mem_eq(h, zero, sizeof(h));
}
END_TEST

START_TEST(test_xen_version_commandline_and_build_id)
{
    fake_run_as(&fg_dom0);
    ck_assert_int_eq(do_xen_version(XENVER_commandline, FG_DATA, 0, 0, 0), 0);
    expect_string_at(FG_DATA, sizeof(xen_commandline_t), FG_CMDLINE);
    /* Xen answers -ENODATA for a build without a build id, to the privileged only. */
    ck_assert_int_eq(do_xen_version(XENVER_build_id, 0, 0, 0, 0), -ENODATA);

    /* Xen's default XSM policy: the command line and build id are privileged. */
    reset();
    fake_run_as(&fg_domu);
    ck_assert_int_eq(do_xen_version(XENVER_commandline, FG_DATA, 0, 0, 0), 0);
    expect_string_at(FG_DATA, sizeof("<denied>"), "<denied>");
    ck_assert_int_eq(do_xen_version(XENVER_build_id, 0, 0, 0, 0), -EPERM);
    ck_assert_int_eq(do_xen_version(XENVER_build_id, FG_DATA, 0, 0, 0), -EPERM);
    ck_assert_int_eq(do_xen_version(XENVER_build_id, FG_UNMAPPED, 0, 0, 0), -EPERM);
}
END_TEST

START_TEST(test_xen_version_unknown)
{
    const unsigned long cmds[] = {11, 12, 63, 64, 0x7fffffff, 0xffffffff, ~0UL};

    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        fake_run_as(i & 1 ? &fg_dom0 : &fg_domu);
        ck_assert_int_eq(do_xen_version(cmds[i], FG_DATA, 0, 0, 0), -ENOSYS);
    }
    ck_assert_uint_eq(fake_log.copies_from + fake_log.copies_to, 0);
}
END_TEST

/* Every pointer-taking sub-op, as dom0 and as a domU: -EFAULT at every bad pointer, and 0
   at every good one. */
START_TEST(test_xen_version_pointers)
{
    struct domain *doms[] = {&fg_dom0, &fg_domu};

    for (size_t d = 0; d < ARRAY_SIZE(doms); d++) {
        for (size_t i = 0; i < ARRAY_SIZE(xv_ptr_ops); i++) {
            char name[64];
            prepare_fn prep = xv_ptr_ops[i].cmd == XENVER_get_features ? prepare_features : NULL;

            reset();
            fake_run_as(doms[d]);
            xv_cmd = xv_ptr_ops[i].cmd;
            /* An unprivileged caller's command line is "<denied>": only its 9 bytes are
               written (Xen common/kernel.c). */
            size_t len = xv_ptr_ops[i].cmd == XENVER_commandline && !doms[d]->is_privileged
                             ? sizeof("<denied>")
                             : xv_ptr_ops[i].len;
            snprintf(name, sizeof(name), "d%u xen_version(%lu)", doms[d]->domain_id, xv_cmd);
            expect_efault(name, len, true, call_xen_version, prep);
            expect_ok_everywhere(name, len, true, call_xen_version, prep, 0);
        }
    }
}
END_TEST

/* get_features reads before it writes: a read-only argument is read, then refused. */
START_TEST(test_xen_version_features_read_only)
{
    xen_feature_info_t fi = {.submap_idx = 0, .submap = 0x1234};

    ck_assert(fake_poke(FG_RODATA, &fi, sizeof(fi)));
    ck_assert_int_eq(do_xen_version(XENVER_get_features, FG_RODATA, 0, 0, 0), -EFAULT);
    ck_assert_uint_eq(fake_log.copies_from, 1);
    ck_assert(fake_peek(FG_RODATA, &fi, sizeof(fi)));
    ck_assert_uint_eq(fi.submap, 0x1234);
}
END_TEST

/* --- console_io -------------------------------------------------------------------------- */

static long console_write(struct domain *d, const char *s)
{
    size_t n = strlen(s);

    fake_run_as(d);
    ck_assert(fake_poke(FG_DATA, s, n));
    return do_console_io(CONSOLEIO_write, n, FG_DATA, 0, 0);
}

START_TEST(test_console_write_prefix)
{
    ck_assert_int_eq(console_write(&fg_dom0, "hello\n"), 0);
    ck_assert_str_eq(fake_serial_output(), "(d0) hello\r\n");

    fake_serial_clear();
    ck_assert_int_eq(console_write(&fg_domu, "one\ntwo\n\nthree\n"), 0);
    ck_assert_str_eq(fake_serial_output(), "(d1) one\r\n(d1) two\r\n(d1) \r\n(d1) three\r\n");

    /* A line written in pieces gets one prefix. */
    fake_serial_clear();
    ck_assert_int_eq(console_write(&fg_domu, "par"), 0);
    ck_assert_int_eq(console_write(&fg_domu, "ti"), 0);
    ck_assert_int_eq(console_write(&fg_domu, "al\n"), 0);
    ck_assert_str_eq(fake_serial_output(), "(d1) partial\r\n");

    /* Another domain's output ends an unfinished line first. */
    fake_serial_clear();
    ck_assert_int_eq(console_write(&fg_dom0, "x"), 0);
    ck_assert_int_eq(console_write(&fg_other, "y\n"), 0);
    ck_assert_int_eq(console_write(&fg_dom0, "z\n"), 0);
    ck_assert_str_eq(fake_serial_output(), "(d0) x\r\n(d5) y\r\n(d0) z\r\n");
}
END_TEST

START_TEST(test_console_write_zero_bytes)
{
    const uint64_t ptrs[] = {FG_DATA, 0, FG_UNMAPPED, FG_HV_TEXT, FG_NONCANON};

    for (size_t i = 0; i < ARRAY_SIZE(ptrs); i++) {
        ck_assert_int_eq(do_console_io(CONSOLEIO_write, 0, ptrs[i], 0, 0), 0);
        /* count is an unsigned int: the upper half is ignored */
        ck_assert_int_eq(do_console_io(CONSOLEIO_write, 1UL << 32, ptrs[i], 0, 0), 0);
    }
    ck_assert_uint_eq(fake_serial_len(), 0);
    ck_assert_uint_eq(fake_log.copies_from, 0);
    ck_assert(!fake_log.hv_touched);
}
END_TEST

START_TEST(test_console_write_chunks)
{
    char msg[301], want[400];

    for (size_t i = 0; i < 299; i++)
        msg[i] = (char)('a' + i % 26);
    msg[299] = '\n';
    msg[300] = '\0';
    fake_run_as(&fg_domu);
    ck_assert(fake_poke(FG_DATA, msg, 300));
    ck_assert_int_eq(do_console_io(CONSOLEIO_write, 300, FG_DATA, 0, 0), 0);
    /* 128-byte chunks: 128 + 128 + 44, and one prefix for the one line */
    ck_assert_uint_eq(fake_log.copies_from, 3);
    snprintf(want, sizeof(want), "(d1) %.299s\r\n", msg);
    ck_assert_str_eq(fake_serial_output(), want);

    /* Exactly one chunk, then one byte more. */
    reset();
    ck_assert(fake_poke(FG_DATA, msg, 129));
    ck_assert_int_eq(do_console_io(CONSOLEIO_write, 128, FG_DATA, 0, 0), 0);
    ck_assert_uint_eq(fake_log.copies_from, 1);
    ck_assert_int_eq(do_console_io(CONSOLEIO_write, 129, FG_DATA, 0, 0), 0);
    ck_assert_uint_eq(fake_log.copies_from, 3);
    ck_assert_uint_eq(fake_serial_len(), strlen("(d0) ") + 128 + 129);

    /* count is an unsigned int (xen.h console_io): the upper half is ignored. */
    reset();
    ck_assert(fake_poke(FG_DATA, "12345678", 8));
    ck_assert_int_eq(do_console_io(CONSOLEIO_write, (1UL << 32) | 5, FG_DATA, 0, 0), 0);
    ck_assert_str_eq(fake_serial_output(), "(d0) 12345");
}
END_TEST

static long call_console_write16(uint64_t addr)
{
    return do_console_io(CONSOLEIO_write, 16, addr, 0, 0);
}

START_TEST(test_console_write_pointers)
{
    struct domain *doms[] = {&fg_dom0, &fg_domu};

    for (size_t d = 0; d < ARRAY_SIZE(doms); d++) {
        fake_run_as(doms[d]);
        expect_efault("console_io write", 16, false, call_console_write16, NULL);
        ck_assert_uint_eq(fake_serial_len(), 0);
        expect_ok_everywhere("console_io write", 16, false, call_console_write16, NULL, 0);
        ck_assert_uint_gt(fake_serial_len(), 0);
        fake_serial_clear();
    }
}
END_TEST

/* A fault in a later chunk: the chunks before it are out, and the call fails. */
START_TEST(test_console_write_fault_in_second_chunk)
{
    uint64_t buf = FG_RODATA + PAGE_SIZE - 200;

    poke_byte_range(buf, 'q', 200);
    ck_assert_int_eq(do_console_io(CONSOLEIO_write, 300, buf, 0, 0), -EFAULT);
    ck_assert_uint_eq(fake_serial_len(), strlen("(d0) ") + 128);
}
END_TEST

START_TEST(test_console_read)
{
    char buf[8];

    /* Only the privileged domain reads the console; the input stays queued. */
    fake_serial_input("abc");
    fake_run_as(&fg_domu);
    ck_assert_int_eq(do_console_io(CONSOLEIO_read, 8, FG_DATA, 0, 0), -EPERM);
    ck_assert_int_eq(do_console_io(CONSOLEIO_read, 8, FG_UNMAPPED, 0, 0), -EPERM);
    ck_assert_int_eq(do_console_io(CONSOLEIO_read, 0, 0, 0, 0), -EPERM);
    ck_assert_uint_eq(fake_serial_pending(), 3);

    fake_run_as(&fg_dom0);
    ck_assert_int_eq(do_console_io(CONSOLEIO_read, 0, FG_DATA, 0, 0), 0);
    ck_assert_uint_eq(fake_serial_pending(), 3);
    ck_assert_int_eq(do_console_io(CONSOLEIO_read, 2, FG_DATA, 0, 0), 2);
    ck_assert_uint_eq(fake_serial_pending(), 1);
    ck_assert_int_eq(do_console_io(CONSOLEIO_read, 8, FG_DATA + 2, 0, 0), 1);
    ck_assert(fake_peek(FG_DATA, buf, 4));
    ck_assert_mem_eq(buf, "abc\xee", 4);
    /* Nothing waiting: 0, and the pointer is never used. */
    ck_assert_int_eq(do_console_io(CONSOLEIO_read, 8, FG_DATA, 0, 0), 0);
    ck_assert_int_eq(do_console_io(CONSOLEIO_read, 8, FG_UNMAPPED, 0, 0), 0);
    ck_assert(!fake_log.hv_touched);

    /* At most one 128-byte chunk per call. */
    char lots[301];
    memset(lots, 'k', 300);
    lots[300] = '\0';
    fake_serial_input(lots);
    ck_assert_int_eq(do_console_io(CONSOLEIO_read, 1000, FG_DATA, 0, 0), 128);
    ck_assert_uint_eq(fake_serial_pending(), 172);
}
END_TEST

static void prepare_input16(uint64_t addr)
{
    fake_serial_input("0123456789abcdef");
}

static long call_console_read16(uint64_t addr)
{
    return do_console_io(CONSOLEIO_read, 16, addr, 0, 0);
}

START_TEST(test_console_read_pointers)
{
    expect_efault("console_io read", 16, true, call_console_read16, prepare_input16);
    expect_ok_everywhere("console_io read", 16, true, call_console_read16, prepare_input16, 16);
}
END_TEST

START_TEST(test_console_unknown)
{
    const unsigned long cmds[] = {2, 3, 100, 0x7fffffff, 0xffffffff, ~0UL};

    fake_run_as(&fg_dom0);
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
        ck_assert_int_eq(do_console_io(cmds[i], 16, FG_DATA, 0, 0), -ENOSYS);
    /* cmd is an unsigned int: the upper half is ignored */
    ck_assert(fake_poke(FG_DATA, "hi\n", 3));
    ck_assert_int_eq(do_console_io((1UL << 32) | CONSOLEIO_write, 3, FG_DATA, 0, 0), 0);
    ck_assert_str_eq(fake_serial_output(), "(d0) hi\r\n");
}
END_TEST

/* --- sched_op ---------------------------------------------------------------------------- */

static long sched_shutdown_op(unsigned long cmd, struct domain *d, unsigned int reason)
{
    struct sched_shutdown s = {.reason = reason};

    fake_run_as(d);
    ck_assert(fake_poke(FG_DATA, &s, sizeof(s)));
    return do_sched_op(cmd, FG_DATA, 0, 0, 0);
}

static unsigned long yield_cmd;

static long call_yield(void)
{
    return do_sched_op(yield_cmd, FG_UNMAPPED, 1, 2, 3);
}

/*
 * Yield as @from: the call does not return but switches to the next runnable vCPU, after
 * writing the hypercall's result (0) into the guest frame and arming the next time slice.
 */
static void expect_yield_to(struct domain *from, struct domain *to)
{
    long rc = -1;

    fake_run_as(from);
    guest_cpu_regs()->rax = 0xdead;
    fake_log.switches = fake_log.timer_arms = fake_log.cli_skipped = 0;
    uint64_t slices = to->vcpu[0]->slices;
    ck_assert_int_eq(fake_call_may_switch(call_yield, &rc), FAKE_SWITCHED);
    ck_assert_int_eq(rc, -1);
    ck_assert_uint_eq(guest_cpu_regs()->rax, 0);
    ck_assert_uint_eq(fake_log.switches, 1);
    ck_assert_msg(fake_log.switched_to == to->vcpu[0], "d%u yielded to d%u, want d%u",
                  from->domain_id, fake_log.switched_to->domain->domain_id, to->domain_id);
    ck_assert_uint_eq(to->vcpu[0]->slices, slices + 1);
    ck_assert_uint_eq(fake_log.timer_arms, 1);
    ck_assert_uint_eq(fake_log.timer_ns, SCHED_SLICE_NS);
    ck_assert_uint_ge(fake_log.cli_skipped, 1); /* schedule() ran with interrupts off */
}

START_TEST(test_sched_yield)
{
    yield_cmd = SCHEDOP_yield;
    /* Round-robin in domain-id order: 0 -> 1 -> 5 -> 0. */
    expect_yield_to(&fg_dom0, &fg_domu);
    expect_yield_to(&fg_domu, &fg_other);
    expect_yield_to(&fg_other, &fg_dom0);
    /* cmd is an int (sched.h): the upper half is ignored */
    yield_cmd = (1UL << 32) | SCHEDOP_yield;
    expect_yield_to(&fg_dom0, &fg_domu);
    /* A domain that has shut down is skipped; alone, a domain yields to itself. */
    yield_cmd = SCHEDOP_yield;
    fg_domu.state = DOMAIN_SHUTDOWN;
    expect_yield_to(&fg_dom0, &fg_other);
    fg_other.state = DOMAIN_SHUTDOWN;
    expect_yield_to(&fg_dom0, &fg_dom0);
    ck_assert_uint_eq(fake_log.shutdowns, 0);
    ck_assert_uint_eq(fake_log.copies_from + fake_log.copies_to, 0);
    ck_assert_uint_eq(fake_log.power_offs, 0);
}
END_TEST

START_TEST(test_sched_shutdown_reasons)
{
    struct domain *doms[] = {&fg_domu, &fg_dom0};

    for (size_t d = 0; d < ARRAY_SIZE(doms); d++) {
        for (unsigned int r = 0; r <= SHUTDOWN_MAX; r++) {
            reset();
            ck_assert_int_eq(sched_shutdown_op(SCHEDOP_shutdown, doms[d], r), 0);
            ck_assert_uint_eq(fake_log.shutdowns, 1);
            ck_assert_ptr_eq(fake_log.shutdown_domain, doms[d]);
            ck_assert_uint_eq(fake_log.shutdown_reason, r);
        }
    }
    ck_assert_int_eq(SHUTDOWN_MAX, SHUTDOWN_soft_reset);
}
END_TEST

/* The reason is taken as a u8 (Xen's (u8)sched_shutdown.reason). */
START_TEST(test_sched_shutdown_u8_truncation)
{
    const struct {
        unsigned int given, reason;
    } cases[] = {
        {0x100, SHUTDOWN_poweroff},
        {0x103, SHUTDOWN_crash},
        {0xffffff00 | SHUTDOWN_reboot, SHUTDOWN_reboot},
        {0x80000000 | SHUTDOWN_soft_reset, SHUTDOWN_soft_reset},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        reset();
        ck_assert_int_eq(sched_shutdown_op(SCHEDOP_shutdown, &fg_domu, cases[i].given), 0);
        ck_assert_uint_eq(fake_log.shutdowns, 1);
        ck_assert_uint_eq(fake_log.shutdown_reason, cases[i].reason);
    }
}
END_TEST

/* Any u8 reason reaches domain_shutdown, truncated (Xen's (u8)sched_shutdown.reason); an
   unknown one is reported as such there. */
START_TEST(test_sched_shutdown_any_u8_reason)
{
    const unsigned int given[] = {SHUTDOWN_MAX + 1, 7, 0x7f, 0xff, 0x1ff, 0xffffffff};

    for (size_t i = 0; i < ARRAY_SIZE(given); i++) {
        reset();
        ck_assert_int_eq(sched_shutdown_op(SCHEDOP_shutdown, &fg_domu, given[i]), 0);
        ck_assert_uint_eq(fake_log.shutdowns, 1);
        ck_assert_uint_eq(fake_log.shutdown_reason, given[i] & 0xff);
        reset();
        ck_assert_int_eq(sched_shutdown_op(SCHEDOP_shutdown_code, &fg_domu, given[i]), 0);
        ck_assert_uint_eq(fg_domu.shutdown_code, given[i] & 0xff);
        ck_assert_uint_eq(fake_log.shutdowns, 0);
    }
}
END_TEST

START_TEST(test_sched_shutdown_code)
{
    ck_assert_int_eq(sched_shutdown_op(SCHEDOP_shutdown_code, &fg_domu, SHUTDOWN_crash), 0);
    ck_assert_uint_eq(fg_domu.shutdown_code, SHUTDOWN_crash);
    ck_assert_int_eq(fg_domu.state, DOMAIN_RUNNING);
    ck_assert_uint_eq(fake_log.shutdowns, 0);
    ck_assert_uint_eq(fg_dom0.shutdown_code, SHUTDOWN_CODE_INVALID);
}
END_TEST

static unsigned long sched_cmd;

static long call_sched(uint64_t addr)
{
    return do_sched_op(sched_cmd, addr, 0, 0, 0);
}

static void prepare_reason(uint64_t addr)
{
    struct sched_shutdown s = {.reason = SHUTDOWN_poweroff};

    fake_poke(addr, &s, sizeof(s));
}

START_TEST(test_sched_pointers)
{
    const unsigned long cmds[] = {SCHEDOP_shutdown, SCHEDOP_shutdown_code};

    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        reset();
        fake_run_as(&fg_domu);
        sched_cmd = cmds[i];
        expect_efault("sched_op", sizeof(struct sched_shutdown), false, call_sched, prepare_reason);
        ck_assert_uint_eq(fake_log.shutdowns, 0);
        expect_ok_everywhere("sched_op", sizeof(struct sched_shutdown), false, call_sched,
                             prepare_reason, 0);
    }
}
END_TEST

/* SCHEDOP_poll's argument checks (Xen's do_poll): the struct is read (-EFAULT), more than
   128 ports is -EINVAL, the port array must lie in guest memory (-EFAULT), an invalid port
   is -EINVAL (no event channels exist in these tests). */
START_TEST(test_sched_poll_args)
{
    struct sched_poll sp = {.nr_ports = 129, .timeout = 0};
    evtchn_port_t port = 5;

    fake_run_as(&fg_domu);
    ck_assert_int_eq(do_sched_op(SCHEDOP_poll, FG_UNMAPPED, 0, 0, 0), -EFAULT);
    set_xen_guest_handle(sp.ports, (evtchn_port_t *)(FG_DATA + 512));
    ck_assert(fake_poke(FG_DATA, &sp, sizeof(sp)));
    ck_assert_int_eq(do_sched_op(SCHEDOP_poll, FG_DATA, 0, 0, 0), -EINVAL);
    sp.nr_ports = 1;
    set_xen_guest_handle(sp.ports, (evtchn_port_t *)0xffff800000001000UL);
    ck_assert(fake_poke(FG_DATA, &sp, sizeof(sp)));
    ck_assert_int_eq(do_sched_op(SCHEDOP_poll, FG_DATA, 0, 0, 0), -EFAULT);
    set_xen_guest_handle(sp.ports, (evtchn_port_t *)(FG_DATA + 512));
    ck_assert(fake_poke(FG_DATA, &sp, sizeof(sp)));
    ck_assert(fake_poke(FG_DATA + 512, &port, sizeof(port)));
    ck_assert_int_eq(do_sched_op(SCHEDOP_poll, FG_DATA, 0, 0, 0), -EINVAL);
    ck_assert(!current->blocked);
}
END_TEST

START_TEST(test_sched_unknown)
{
    const unsigned long cmds[] = {
        SCHEDOP_remote_shutdown, SCHEDOP_watchdog, SCHEDOP_pin_override, 8, 100, 0xffffffff};

    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        fake_run_as(i & 1 ? &fg_dom0 : &fg_domu);
        ck_assert_int_eq(do_sched_op(cmds[i], FG_DATA, 0, 0, 0), -ENOSYS);
    }
    ck_assert_uint_eq(fake_log.shutdowns, 0);
}
END_TEST

/* --- vm_assist --------------------------------------------------------------------------- */

/* The types mica accepts for a 64-bit PV guest (vm_assist.c's list; docs/abi.md). */
static const unsigned int vmasst_ok[] = {
    VMASST_TYPE_4gb_segments,     VMASST_TYPE_4gb_segments_notify, VMASST_TYPE_writable_pagetables,
    VMASST_TYPE_pae_extended_cr3, VMASST_TYPE_architectural_iopl,  VMASST_TYPE_m2p_strict};

static bool vmasst_is_ok(unsigned long type)
{
    for (size_t i = 0; i < ARRAY_SIZE(vmasst_ok); i++) {
        if (vmasst_ok[i] == type)
            return true;
    }
    return false;
}

START_TEST(test_vm_assist_enable_disable)
{
    unsigned long all = 0;

    fake_run_as(&fg_domu);
    for (size_t i = 0; i < ARRAY_SIZE(vmasst_ok); i++) {
        ck_assert_int_eq(do_vm_assist(VMASST_CMD_enable, vmasst_ok[i], 0, 0, 0), 0);
        all |= 1UL << vmasst_ok[i];
        ck_assert_uint_eq(fg_domu.vm_assist, all);
        /* enabling twice is harmless */
        ck_assert_int_eq(do_vm_assist(VMASST_CMD_enable, vmasst_ok[i], 0, 0, 0), 0);
        ck_assert_uint_eq(fg_domu.vm_assist, all);
    }
    ck_assert_uint_eq(fg_dom0.vm_assist, 0);
    for (size_t i = 0; i < ARRAY_SIZE(vmasst_ok); i++) {
        ck_assert_int_eq(do_vm_assist(VMASST_CMD_disable, vmasst_ok[i], 0, 0, 0), 0);
        all &= ~(1UL << vmasst_ok[i]);
        ck_assert_uint_eq(fg_domu.vm_assist, all);
        ck_assert_int_eq(do_vm_assist(VMASST_CMD_disable, vmasst_ok[i], 0, 0, 0), 0);
    }
    ck_assert_uint_eq(fg_domu.vm_assist, 0);
}
END_TEST

START_TEST(test_vm_assist_bad_type)
{
    const unsigned long cmds[] = {VMASST_CMD_enable, VMASST_CMD_disable, 2, 100};
    const unsigned long big[] = {64, 65, 1000, 0x7fffffff, 0xffffffff, ~0UL};

    fake_run_as(&fg_domu);
    fg_domu.vm_assist = 1UL << VMASST_TYPE_m2p_strict;
    for (size_t c = 0; c < ARRAY_SIZE(cmds); c++) {
        for (unsigned long t = 0; t < 64; t++) {
            if (vmasst_is_ok(t))
                continue;
            ck_assert_msg(do_vm_assist(cmds[c], t, 0, 0, 0) == -EINVAL, "cmd %lu type %lu", cmds[c],
                          t);
        }
        for (size_t i = 0; i < ARRAY_SIZE(big); i++)
            ck_assert_int_eq(do_vm_assist(cmds[c], big[i], 0, 0, 0), -EINVAL);
    }
    /* runstate_update_flag in particular: not implemented by mica */
    ck_assert_int_eq(do_vm_assist(VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag, 0, 0, 0),
                     -EINVAL);
    ck_assert_uint_eq(fg_domu.vm_assist, 1UL << VMASST_TYPE_m2p_strict);
}
END_TEST

START_TEST(test_vm_assist_bad_cmd)
{
    const unsigned long cmds[] = {2, 3, 100, 0x7fffffff, 0xffffffff, ~0UL};

    fake_run_as(&fg_domu);
    for (size_t c = 0; c < ARRAY_SIZE(cmds); c++) {
        for (size_t i = 0; i < ARRAY_SIZE(vmasst_ok); i++)
            ck_assert_int_eq(do_vm_assist(cmds[c], vmasst_ok[i], 0, 0, 0), -ENOSYS);
    }
    ck_assert_uint_eq(fg_domu.vm_assist, 0);
}
END_TEST

/* --- memory_op --------------------------------------------------------------------------- */

static long reservation(unsigned long cmd, struct domain *as, domid_t domid)
{
    fake_run_as(as);
    ck_assert(fake_poke(FG_DATA, &domid, sizeof(domid)));
    return do_memory_op(cmd, FG_DATA, 0, 0, 0);
}

START_TEST(test_memory_reservation_self)
{
    ck_assert_int_eq(reservation(XENMEM_current_reservation, &fg_dom0, DOMID_SELF), 0x4000);
    ck_assert_int_eq(reservation(XENMEM_maximum_reservation, &fg_dom0, DOMID_SELF), 0x5000);
    ck_assert_int_eq(reservation(XENMEM_current_reservation, &fg_dom0, 0), 0x4000);
    ck_assert_int_eq(reservation(XENMEM_maximum_reservation, &fg_dom0, 0), 0x5000);
    ck_assert_int_eq(reservation(XENMEM_current_reservation, &fg_domu, DOMID_SELF), 0x800);
    ck_assert_int_eq(reservation(XENMEM_maximum_reservation, &fg_domu, DOMID_SELF), 0x1000);
    ck_assert_int_eq(reservation(XENMEM_current_reservation, &fg_domu, FG_DOMU_ID), 0x800);
    ck_assert_int_eq(reservation(XENMEM_maximum_reservation, &fg_domu, FG_DOMU_ID), 0x1000);
}
END_TEST

START_TEST(test_memory_reservation_other)
{
    /* The privileged domain may ask about any domain. */
    ck_assert_int_eq(reservation(XENMEM_current_reservation, &fg_dom0, FG_DOMU_ID), 0x800);
    ck_assert_int_eq(reservation(XENMEM_maximum_reservation, &fg_dom0, FG_DOMU_ID), 0x1000);
    ck_assert_int_eq(reservation(XENMEM_current_reservation, &fg_dom0, FG_OTHER_ID), 0x300);
    ck_assert_int_eq(reservation(XENMEM_maximum_reservation, &fg_dom0, FG_OTHER_ID), 0x400);
    /* An unprivileged one only about itself (Xen's XSM_TARGET). */
    ck_assert_int_eq(reservation(XENMEM_current_reservation, &fg_domu, 0), -EPERM);
    ck_assert_int_eq(reservation(XENMEM_maximum_reservation, &fg_domu, 0), -EPERM);
    ck_assert_int_eq(reservation(XENMEM_current_reservation, &fg_domu, FG_OTHER_ID), -EPERM);
    ck_assert_int_eq(reservation(XENMEM_maximum_reservation, &fg_other, FG_DOMU_ID), -EPERM);
}
END_TEST

/* A domain that does not exist is -ESRCH for everyone, checked before privilege (as Xen). */
START_TEST(test_memory_reservation_missing)
{
    const domid_t missing[] = {FG_MISSING_ID, 63,        64,        1000,
                               DOMID_IO,      DOMID_XEN, DOMID_COW, DOMID_INVALID,
                               DOMID_IDLE,    0xffff};
    struct domain *doms[] = {&fg_dom0, &fg_domu};

    for (size_t d = 0; d < ARRAY_SIZE(doms); d++) {
        for (size_t i = 0; i < ARRAY_SIZE(missing); i++) {
            ck_assert_int_eq(reservation(XENMEM_current_reservation, doms[d], missing[i]), -ESRCH);
            ck_assert_int_eq(reservation(XENMEM_maximum_reservation, doms[d], missing[i]), -ESRCH);
        }
    }
}
END_TEST

static unsigned long mem_cmd;

static long call_memory(uint64_t addr)
{
    return do_memory_op(mem_cmd, addr, 0, 0, 0);
}

static void prepare_self(uint64_t addr)
{
    domid_t self = DOMID_SELF;

    fake_poke(addr, &self, sizeof(self));
}

START_TEST(test_memory_reservation_pointers)
{
    const unsigned long cmds[] = {XENMEM_current_reservation, XENMEM_maximum_reservation};
    struct domain *doms[] = {&fg_dom0, &fg_domu};

    for (size_t d = 0; d < ARRAY_SIZE(doms); d++) {
        for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
            fake_run_as(doms[d]);
            mem_cmd = cmds[i];
            expect_efault("memory_op", sizeof(domid_t), false, call_memory, prepare_self);
            expect_ok_everywhere("memory_op", sizeof(domid_t), false, call_memory, prepare_self,
                                 cmds[i] == XENMEM_current_reservation ? (long)doms[d]->tot_pages
                                                                       : (long)doms[d]->max_pages);
        }
    }
}
END_TEST

/* The sub-op is in the low 6 bits; these sub-ops have no extents, so a continuation's start
   extent above them is refused with -EINVAL, as Xen 4.17's common/memory.c does. */
START_TEST(test_memory_extent_bits_refused)
{
    const unsigned long extents[] = {1UL << 6, 5UL << 6, 1UL << 63};

    for (size_t i = 0; i < ARRAY_SIZE(extents); i++) {
        ck_assert_int_eq(reservation(extents[i] | XENMEM_current_reservation, &fg_domu, DOMID_SELF),
                         -EINVAL);
        ck_assert_int_eq(reservation(extents[i] | XENMEM_maximum_reservation, &fg_dom0, FG_DOMU_ID),
                         -EINVAL);
        /* memory_map has no start-extent check before its own answer. */
        ck_assert_int_eq(reservation(extents[i] | XENMEM_memory_map, &fg_dom0, 0), -ENOSYS);
    }
}
END_TEST

START_TEST(test_memory_other_ops)
{
    /* Xen 4.17 answers a PV dom0's XENMEM_memory_map with -ENOSYS (no e820 of its own). */
    struct xen_memory_map map = {.nr_entries = 4, .buffer = {0}};

    ck_assert(fake_poke(FG_DATA, &map, sizeof(map)));
    fake_run_as(&fg_dom0);
    ck_assert_int_eq(do_memory_op(XENMEM_memory_map, FG_DATA, 0, 0, 0), -ENOSYS);
    fake_run_as(&fg_domu);
    ck_assert_int_eq(do_memory_op(XENMEM_memory_map, FG_DATA, 0, 0, 0), -ENOSYS);

    /* XENMEM_maximum_ram_page: the highest machine frame + 1, no argument. */
    ck_assert_int_eq(do_memory_op(XENMEM_maximum_ram_page, 0, 0, 0, 0), FG_MAX_MFN);

    /* Sub-ops mica does not implement (the reservation changes are tested in test_mmu). */
    const unsigned long unknown[] = {XENMEM_exchange,
                                     XENMEM_machphys_mfn_list,
                                     XENMEM_machine_memory_map,
                                     XENMEM_add_to_physmap,
                                     XENMEM_machphys_mapping,
                                     XENMEM_remove_from_physmap,
                                     63};
    for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
        fake_run_as(i & 1 ? &fg_dom0 : &fg_domu);
        ck_assert_msg(do_memory_op(unknown[i], FG_DATA, 0, 0, 0) == -ENOSYS, "op %lu", unknown[i]);
    }
    ck_assert(!fake_log.hv_touched);
}
END_TEST

/* --- hypercall_dispatch ------------------------------------------------------------------ */

static long dispatch(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
                     unsigned long a4, unsigned long a5)
{
    struct cpu_regs regs;

    /* Poison every register, then place the arguments where xen.h says they go. */
    memset(&regs, 0xa5, sizeof(regs));
    regs.rax = nr;
    regs.rdi = a1;
    regs.rsi = a2;
    regs.rdx = a3;
    regs.r10 = a4;
    regs.r8 = a5;
    return hypercall_dispatch(nr, &regs);
}

static long dispatch_yield(void)
{
    return dispatch(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

static uint64_t counts_total(const struct domain *d)
{
    uint64_t sum = d->hypercall_count_other;

    for (size_t i = 0; i < NR_HYPERCALLS; i++)
        sum += d->hypercall_count[i];
    return sum;
}

START_TEST(test_dispatch_out_of_range)
{
    const unsigned long nrs[] = {NR_HYPERCALLS, 65, 1000, 0x80000000, ~0UL};

    fake_run_as(&fg_domu);
    for (size_t i = 0; i < ARRAY_SIZE(nrs); i++) {
        ck_assert_int_eq(dispatch(nrs[i], 0, 0, 0, 0, 0), -ENOSYS);
        ck_assert_uint_eq(fg_domu.hypercall_count_other, i + 1);
    }
    ck_assert_uint_eq(counts_total(&fg_domu), ARRAY_SIZE(nrs));
    ck_assert_uint_eq(counts_total(&fg_dom0), 0);
}
END_TEST

START_TEST(test_dispatch_unimplemented)
{
    const unsigned long implemented[] = {__HYPERVISOR_update_va_mapping, __HYPERVISOR_memory_op,
                                         __HYPERVISOR_xen_version,       __HYPERVISOR_console_io,
                                         __HYPERVISOR_vm_assist,         __HYPERVISOR_sched_op};
    unsigned long n = 0;

    fake_run_as(&fg_dom0);
    for (unsigned long nr = 0; nr < NR_HYPERCALLS; nr++) {
        bool impl = false;
        for (size_t i = 0; i < ARRAY_SIZE(implemented); i++)
            impl |= implemented[i] == nr;
        if (impl)
            continue;
        ck_assert_msg(dispatch(nr, FG_DATA, FG_DATA, FG_DATA, 0, 0) == -ENOSYS, "nr %lu", nr);
        ck_assert_uint_eq(fg_dom0.hypercall_count[nr], 1);
        n++;
    }
    ck_assert_uint_eq(counts_total(&fg_dom0), n);
    ck_assert_uint_eq(fg_dom0.hypercall_count_other, 0);
    ck_assert_uint_eq(fake_log.uva_calls + fake_log.shutdowns, 0);
    ck_assert_uint_eq(fake_log.copies_from + fake_log.copies_to, 0);
}
END_TEST

/* Each implemented number reaches its handler with rdi, rsi, rdx, r10, r8 in order. */
START_TEST(test_dispatch_handlers)
{
    domid_t self = DOMID_SELF;

    fake_run_as(&fg_domu);
    ck_assert_int_eq(dispatch(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0),
                     XEN_VERSION_417);
    ck_assert_int_eq(dispatch(__HYPERVISOR_xen_version, XENVER_pagesize, 0, 0, 0, 0), 4096);

    ck_assert(fake_poke(FG_DATA, &self, sizeof(self)));
    ck_assert_int_eq(dispatch(__HYPERVISOR_memory_op, XENMEM_maximum_reservation, FG_DATA, 0, 0, 0),
                     0x1000);

    ck_assert(fake_poke(FG_DATA + 64, "via dispatch\n", 13));
    ck_assert_int_eq(dispatch(__HYPERVISOR_console_io, CONSOLEIO_write, 13, FG_DATA + 64, 0, 0), 0);
    ck_assert_str_eq(fake_serial_output(), "(d1) via dispatch\r\n");

    ck_assert_int_eq(
        dispatch(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_m2p_strict, 0, 0, 0), 0);
    ck_assert_uint_eq(fg_domu.vm_assist, 1UL << VMASST_TYPE_m2p_strict);

    long rc;
    ck_assert_int_eq(fake_call_may_switch(dispatch_yield, &rc), FAKE_SWITCHED);
    ck_assert_ptr_eq(fake_log.switched_to, fg_other.vcpu[0]);
    struct sched_shutdown s = {.reason = SHUTDOWN_crash};
    ck_assert(fake_poke(FG_DATA, &s, sizeof(s)));
    ck_assert_int_eq(dispatch(__HYPERVISOR_sched_op, SCHEDOP_shutdown, FG_DATA, 0, 0, 0), 0);
    ck_assert_ptr_eq(fake_log.shutdown_domain, &fg_domu);
    ck_assert_uint_eq(fake_log.shutdown_reason, SHUTDOWN_crash);

    ck_assert_int_eq(dispatch(__HYPERVISOR_update_va_mapping, 0x111, 0x222, 0x333, 0x444, 0x555),
                     FG_UVA_RESULT);
    ck_assert_uint_eq(fake_log.uva_calls, 1);
    ck_assert_uint_eq(fake_log.uva_args[0], 0x111);
    ck_assert_uint_eq(fake_log.uva_args[1], 0x222);
    ck_assert_uint_eq(fake_log.uva_args[2], 0x333);
    ck_assert_uint_eq(fake_log.uva_args[3], 0x444);
    ck_assert_uint_eq(fake_log.uva_args[4], 0x555);
}
END_TEST

/* Counters are per domain and per number, and count failed calls too. */
START_TEST(test_dispatch_counters)
{
    fake_run_as(&fg_domu);
    for (int i = 0; i < 3; i++)
        dispatch(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    for (int i = 0; i < 2; i++) {
        long rc;
        ck_assert_int_eq(fake_call_may_switch(dispatch_yield, &rc), FAKE_SWITCHED);
    }
    dispatch(__HYPERVISOR_memory_op, XENMEM_current_reservation, 0, 0, 0, 0); /* -EFAULT */
    dispatch(__HYPERVISOR_xen_version, 12345, 0, 0, 0, 0);                    /* -ENOSYS */
    dispatch(__HYPERVISOR_mmu_update, 0, 0, 0, 0, 0);                         /* unimplemented */
    dispatch(200, 0, 0, 0, 0, 0);                                             /* out of range */

    fake_run_as(&fg_dom0);
    dispatch(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);

    ck_assert_uint_eq(fg_domu.hypercall_count[__HYPERVISOR_xen_version], 4);
    ck_assert_uint_eq(fg_domu.hypercall_count[__HYPERVISOR_sched_op], 2);
    ck_assert_uint_eq(fg_domu.hypercall_count[__HYPERVISOR_memory_op], 1);
    ck_assert_uint_eq(fg_domu.hypercall_count[__HYPERVISOR_mmu_update], 1);
    ck_assert_uint_eq(fg_domu.hypercall_count_other, 1);
    ck_assert_uint_eq(counts_total(&fg_domu), 9);
    ck_assert_uint_eq(fg_dom0.hypercall_count[__HYPERVISOR_xen_version], 1);
    ck_assert_uint_eq(counts_total(&fg_dom0), 1);
    ck_assert_uint_eq(counts_total(&fg_other), 0);
}
END_TEST

/* --- Where mica differs from Xen 4.17 by accident ------------------------------------------
 *
 * Each entry: what differs and where Xen 4.17 (4.17.5 source) does it, a call returning the
 * value to compare, mica's answer today and Xen's. MICA_UNIT_EXPECT_XEN=1 checks Xen's.
 */
static long dev_pagesize_with_pointer(void)
{
    return do_xen_version(XENVER_pagesize, FG_DATA, 0, 0, 0);
}

static long dev_xen_version_cmd_is_int(void)
{
    return do_xen_version((1UL << 32) | XENVER_version, 0, 0, 0, 0);
}

static long dev_build_id_bad_pointer(void)
{
    return do_xen_version(XENVER_build_id, FG_UNMAPPED, 0, 0, 0);
}

static long dev_build_id_zero_len(void)
{
    xen_build_id_t b = {.len = 0};

    ck_assert(fake_poke(FG_DATA, &b, sizeof(b)));
    return do_xen_version(XENVER_build_id, FG_DATA, 0, 0, 0);
}

static long dev_denied_commandline_size(void)
{
    /* "<denied>" and its NUL fit in the last 9 writable bytes before read-only memory. */
    fake_run_as(&fg_domu);
    return do_xen_version(XENVER_commandline, FG_RODATA - 9, 0, 0, 0) == 0 ? 0 : -EFAULT;
}

static long dev_last_bytes_of_address_space(void)
{
    return do_xen_version(XENVER_platform_parameters, 0 - sizeof(xen_platform_parameters_t), 0, 0,
                          0);
}

static long dev_console_read_e2big(void)
{
    fake_serial_input("x");
    return do_console_io(CONSOLEIO_read, 0x80000000UL, FG_DATA, 0, 0);
}

static long dev_console_domu_unknown_cmd(void)
{
    fake_run_as(&fg_domu);
    return do_console_io(7, 0, 0, 0, 0);
}

static long dev_shutdown_reason_above_max(void)
{
    long rc = sched_shutdown_op(SCHEDOP_shutdown, &fg_domu, 0xff);
    return rc ? rc : (long)fake_log.shutdowns;
}

static long dev_shutdown_code_above_max(void)
{
    return sched_shutdown_op(SCHEDOP_shutdown_code, &fg_domu, 0x80);
}

static long dev_shutdown_code_first_wins(void)
{
    sched_shutdown_op(SCHEDOP_shutdown_code, &fg_domu, SHUTDOWN_crash);
    sched_shutdown_op(SCHEDOP_shutdown_code, &fg_domu, SHUTDOWN_reboot);
    return fg_domu.shutdown_code;
}

static long dev_vm_assist_type_is_uint(void)
{
    fake_run_as(&fg_domu);
    return do_vm_assist(VMASST_CMD_enable, (1UL << 32) | VMASST_TYPE_m2p_strict, 0, 0, 0);
}

static long dev_vm_assist_cmd_is_uint(void)
{
    fake_run_as(&fg_domu);
    return do_vm_assist((1UL << 32) | VMASST_CMD_enable, VMASST_TYPE_m2p_strict, 0, 0, 0);
}

static long dev_reservation_start_extent(void)
{
    return reservation((1UL << 6) | XENMEM_current_reservation, &fg_domu, DOMID_SELF);
}

static long dev_max_ram_page_start_extent(void)
{
    return do_memory_op((1UL << 6) | XENMEM_maximum_ram_page, 0, 0, 0, 0);
}

static long dev_memory_map_bad_pointer(void)
{
    return do_memory_op(XENMEM_memory_map, FG_UNMAPPED, 0, 0, 0);
}

static const struct {
    const char *what;
    long (*run)(void);
    long mica, xen;
} deviations[] = {
    {"XENVER_pagesize with a non-NULL arg (common/kernel.c: -EINVAL)", dev_pagesize_with_pointer,
     -EINVAL, -EINVAL},
    {"xen_version cmd is an int (hypercall-defs.c: xen_version(int cmd, ...))",
     dev_xen_version_cmd_is_int, XEN_VERSION_417, XEN_VERSION_417},
    {"XENVER_build_id copies the argument before -ENODATA (common/kernel.c)",
     dev_build_id_bad_pointer, -EFAULT, -EFAULT},
    {"XENVER_build_id with len 0 is -EINVAL before -ENODATA (common/kernel.c)",
     dev_build_id_zero_len, -EINVAL, -EINVAL},
    {"denied XENVER_commandline copies strlen(\"<denied>\") + 1 bytes (common/kernel.c)",
     dev_denied_commandline_size, 0, 0},
    {"a buffer ending at 2^64 is accepted (x86_64/uaccess.h __addr_ok checks the start)",
     dev_last_bytes_of_address_space, -EFAULT, 0},
    {"CONSOLEIO_read with count > INT_MAX is -E2BIG (drivers/char/console.c)",
     dev_console_read_e2big, -E2BIG, -E2BIG},
    {"console_io from a domU: XSM check before the sub-op (xsm/dummy.h xsm_console_io)",
     dev_console_domu_unknown_cmd, -ENOSYS, -EPERM},
    {"SCHEDOP_shutdown takes any u8 reason (sched/core.c, domain.c domain_shutdown)",
     dev_shutdown_reason_above_max, 1, 1},
    {"SCHEDOP_shutdown_code takes any u8 reason (sched/core.c)", dev_shutdown_code_above_max, 0, 0},
    {"SCHEDOP_shutdown_code: the first code set wins (sched/core.c)", dev_shutdown_code_first_wins,
     SHUTDOWN_crash, SHUTDOWN_crash},
    {"vm_assist type is an unsigned int (hypercall-defs.c: vm_assist(uint, uint))",
     dev_vm_assist_type_is_uint, 0, 0},
    {"vm_assist cmd is an unsigned int (hypercall-defs.c)", dev_vm_assist_cmd_is_uint, 0, 0},
    {"XENMEM_current_reservation with a start extent is -EINVAL (common/memory.c)",
     dev_reservation_start_extent, -EINVAL, -EINVAL},
    {"XENMEM_maximum_ram_page with a start extent is -EINVAL (common/memory.c)",
     dev_max_ram_page_start_extent, -EINVAL, -EINVAL},
    {"XENMEM_memory_map copies its argument before -ENOSYS (arch/x86/mm.c)",
     dev_memory_map_bad_pointer, -EFAULT, -EFAULT},
};

START_TEST(test_xen417_deviation)
{
    bool want_xen = getenv("MICA_UNIT_EXPECT_XEN") && !strcmp(getenv("MICA_UNIT_EXPECT_XEN"), "1");
    long want = want_xen ? deviations[_i].xen : deviations[_i].mica;
    long rc = deviations[_i].run();

    ck_assert_msg(rc == want, "%s: got %ld, want %ld (%s)", deviations[_i].what, rc, want,
                  want_xen ? "Xen 4.17" : "mica today");
}
END_TEST

static Suite *hypercalls_suite(void)
{
    Suite *s = suite_create("hypercalls");
    TCase *tc;

    tc = tcase_create("guest_access");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_range_rule);
    tcase_add_test(tc, test_real_copies);
    tcase_add_test(tc, test_exception_table);
    tcase_add_test(tc, test_fake_address_space);
    suite_add_tcase(s, tc);

    tc = tcase_create("xen_version");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_xen_version_numbers);
    tcase_add_test(tc, test_xen_version_strings);
    tcase_add_test(tc, test_xen_version_compile_info);
    tcase_add_test(tc, test_xen_version_platform_parameters);
    tcase_add_test(tc, test_xen_version_get_features);
    tcase_add_test(tc, test_xen_version_guest_handle);
    tcase_add_test(tc, test_xen_version_commandline_and_build_id);
    tcase_add_test(tc, test_xen_version_unknown);
    tcase_add_test(tc, test_xen_version_pointers);
    tcase_add_test(tc, test_xen_version_features_read_only);
    suite_add_tcase(s, tc);

    tc = tcase_create("console_io");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_console_write_prefix);
    tcase_add_test(tc, test_console_write_zero_bytes);
    tcase_add_test(tc, test_console_write_chunks);
    tcase_add_test(tc, test_console_write_pointers);
    tcase_add_test(tc, test_console_write_fault_in_second_chunk);
    tcase_add_test(tc, test_console_read);
    tcase_add_test(tc, test_console_read_pointers);
    tcase_add_test(tc, test_console_unknown);
    suite_add_tcase(s, tc);

    tc = tcase_create("sched_op");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_sched_yield);
    tcase_add_test(tc, test_sched_shutdown_reasons);
    tcase_add_test(tc, test_sched_shutdown_u8_truncation);
    tcase_add_test(tc, test_sched_shutdown_any_u8_reason);
    tcase_add_test(tc, test_sched_shutdown_code);
    tcase_add_test(tc, test_sched_pointers);
    tcase_add_test(tc, test_sched_poll_args);
    tcase_add_test(tc, test_sched_unknown);
    suite_add_tcase(s, tc);

    tc = tcase_create("vm_assist");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_vm_assist_enable_disable);
    tcase_add_test(tc, test_vm_assist_bad_type);
    tcase_add_test(tc, test_vm_assist_bad_cmd);
    suite_add_tcase(s, tc);

    tc = tcase_create("memory_op");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_memory_reservation_self);
    tcase_add_test(tc, test_memory_reservation_other);
    tcase_add_test(tc, test_memory_reservation_missing);
    tcase_add_test(tc, test_memory_reservation_pointers);
    tcase_add_test(tc, test_memory_extent_bits_refused);
    tcase_add_test(tc, test_memory_other_ops);
    suite_add_tcase(s, tc);

    tc = tcase_create("dispatch");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_dispatch_out_of_range);
    tcase_add_test(tc, test_dispatch_unimplemented);
    tcase_add_test(tc, test_dispatch_handlers);
    tcase_add_test(tc, test_dispatch_counters);
    suite_add_tcase(s, tc);

    tc = tcase_create("xen417");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, test_xen417_deviation, 0, (int)ARRAY_SIZE(deviations));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hypercalls_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

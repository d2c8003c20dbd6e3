/*
 * Unit tests of the PV64 bounce frame (hypervisor/common/bounce.c): the exception, event
 * and failsafe frames Xen's create_bounce_frame pushes on a guest kernel stack.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include <mica/bounce.h>
#include <mica/errno.h>
#include <xen/xen.h>

static struct cpu_regs sample_regs(uint64_t rsp)
{
    struct cpu_regs r;

    memset(&r, 0, sizeof(r));
    r.rip = 0xffffffff80001234;
    r.cs = FLAT_KERNEL_CS64; /* 0xe033: ring 3, as every PV64 guest context */
    r.rflags = 0x202 | (1UL << 8) | (1UL << 14) | (1UL << 16) | (1UL << 18); /* IF TF NT RF AC */
    r.rsp = rsp;
    r.ss = FLAT_KERNEL_SS64;
    r.rcx = 0x1111;
    r.r11 = 0x2222;
    return r;
}

/* Exception with an error code, taken in kernel mode, events enabled. */
START_TEST(test_kernel_mode_exception_frame)
{
    struct cpu_regs r = sample_regs(0xffffffff80100008);
    struct trap_bounce tb = {.rip = 0xffffffff80005000,
                             .flags = TBF_EXCEPTION | TBF_EXCEPTION_ERRCODE,
                             .error_code = 0x1b};
    struct bounce_frame f;

    ck_assert_int_eq(bounce_frame_build(&r, true, 0, 0, &tb, &f), 0);
    ck_assert_uint_eq(f.nr, 8);
    /* 16-byte aligned below the interrupted rsp, then 8 words pushed. */
    ck_assert_uint_eq(f.new_rsp, 0xffffffff80100000 - 8 * 8);
    ck_assert_uint_eq(f.words[0], 0x1111);                 /* rcx */
    ck_assert_uint_eq(f.words[1], 0x2222);                 /* r11 */
    ck_assert_uint_eq(f.words[2], 0x1b);                   /* error code */
    ck_assert_uint_eq(f.words[3], r.rip);                  /* rip */
    ck_assert_uint_eq(f.words[4], FLAT_KERNEL_CS64 & ~3u); /* kernel mode: RPL 0, mask 0 */
    ck_assert_uint_eq(f.words[5], r.rflags);               /* IF set: events were enabled */
    ck_assert_uint_eq(f.words[6], 0xffffffff80100008);     /* the interrupted rsp, unaligned */
    ck_assert_uint_eq(f.words[7], FLAT_KERNEL_SS64);

    bounce_frame_apply(&r, &tb, &f);
    ck_assert_uint_eq(r.rip, 0xffffffff80005000);
    ck_assert_uint_eq(r.rsp, f.new_rsp);
    ck_assert_uint_eq(r.cs, FLAT_KERNEL_CS);
    ck_assert_uint_eq(r.ss, FLAT_KERNEL_SS);
    /* TF, NT, RF, AC cleared; IF kept (the hardware IF of a PV guest is always on). */
    ck_assert_uint_eq(r.rflags, 0x202);
}
END_TEST

/* The saved upcall mask goes into CS bits 32-39 and RFLAGS.IF shows its inverse. */
START_TEST(test_upcall_mask_in_frame)
{
    struct cpu_regs r = sample_regs(0x7000);
    struct trap_bounce tb = {.rip = 0x9000, .flags = TBF_EXCEPTION};
    struct bounce_frame f;

    ck_assert_int_eq(bounce_frame_build(&r, true, 0, 1, &tb, &f), 0);
    ck_assert_uint_eq(f.nr, 7); /* no error code */
    ck_assert_uint_eq(f.words[3], (1ULL << 32) | (FLAT_KERNEL_CS64 & ~3u));
    ck_assert_uint_eq(f.words[4] & 0x200, 0);
}
END_TEST

/* From guest user mode the frame goes on the registered kernel stack and keeps RPL 3. */
START_TEST(test_user_mode_frame_on_kernel_stack)
{
    struct cpu_regs r = sample_regs(0x400000);
    struct trap_bounce tb = {.rip = 0x9000, .flags = TBF_INTERRUPT};
    struct bounce_frame f;

    ck_assert_int_eq(bounce_frame_build(&r, false, 0xffffffff80200010, 0, &tb, &f), 0);
    ck_assert_uint_eq(f.new_rsp, 0xffffffff80200010 - 7 * 8);
    ck_assert_uint_eq(f.words[3], FLAT_USER_CS64);
    ck_assert_uint_eq(f.words[5], 0x400000); /* user rsp */
}
END_TEST

/* The failsafe callback frame carries DS, ES, FS, GS between r11 and rip. */
START_TEST(test_failsafe_frame)
{
    struct cpu_regs r = sample_regs(0x8000);
    struct trap_bounce tb = {
        .rip = 0x9000, .flags = TBF_FAILSAFE, .segs = {0x10, 0x18, 0x20, 0x28}};
    struct bounce_frame f;

    ck_assert_int_eq(bounce_frame_build(&r, true, 0, 0, &tb, &f), 0);
    ck_assert_uint_eq(f.nr, 11);
    ck_assert_uint_eq(f.words[0], 0x1111);
    ck_assert_uint_eq(f.words[1], 0x2222);
    ck_assert_uint_eq(f.words[2], 0x10); /* DS */
    ck_assert_uint_eq(f.words[3], 0x18); /* ES */
    ck_assert_uint_eq(f.words[4], 0x20); /* FS */
    ck_assert_uint_eq(f.words[5], 0x28); /* GS */
    ck_assert_uint_eq(f.words[6], r.rip);
}
END_TEST

/* A stack in or just above the hypervisor's range, or too low to hold the frame, is
   refused: the caller crashes the domain. */
START_TEST(test_bad_stacks_refused)
{
    const uint64_t bad[] = {HYPERVISOR_VIRT_START + 0x1000, HYPERVISOR_VIRT_END - 8,
                            HYPERVISOR_VIRT_END + 0x20, 0x10, 0};
    struct trap_bounce tb = {.rip = 0x9000, .flags = TBF_EXCEPTION | TBF_EXCEPTION_ERRCODE};
    struct bounce_frame f;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cpu_regs r = sample_regs(bad[i]);
        ck_assert_msg(bounce_frame_build(&r, true, 0, 0, &tb, &f) == -EFAULT, "rsp %#lx accepted",
                      (unsigned long)bad[i]);
        ck_assert_msg(bounce_frame_build(&r, false, bad[i], 0, &tb, &f) == -EFAULT,
                      "kernel_sp %#lx accepted", (unsigned long)bad[i]);
    }
    /* Just far enough above the hypervisor's range is fine. */
    struct cpu_regs ok = sample_regs(HYPERVISOR_VIRT_END + 0x100);
    ck_assert_int_eq(bounce_frame_build(&ok, true, 0, 0, &tb, &f), 0);
    ck_assert_uint_ge(f.new_rsp, HYPERVISOR_VIRT_END);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bounce");
    TCase *tc = tcase_create("frames");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_kernel_mode_exception_frame);
    tcase_add_test(tc, test_upcall_mask_in_frame);
    tcase_add_test(tc, test_user_mode_frame_on_kernel_stack);
    tcase_add_test(tc, test_failsafe_frame);
    tcase_add_test(tc, test_bad_stacks_refused);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

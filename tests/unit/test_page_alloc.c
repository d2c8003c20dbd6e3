/* Unit tests for hypervisor/common/page_alloc.c (the buddy frame allocator). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/errno.h>
#include <mica/page_alloc.h>
#include "hv_unrename.h"

#define DOM1 1

static struct frame_allocator fa;
static struct page_info *table;

static void make(unsigned long nr_frames)
{
    table = calloc(nr_frames ? nr_frames : 1, sizeof(*table));
    ck_assert_ptr_nonnull(table);
    ck_assert_int_eq(frame_allocator_init(&fa, table, nr_frames), 0);
}

static void teardown(void)
{
    free(table);
    table = NULL;
}

static void add(mfn_t mfn, unsigned long count)
{
    ck_assert_int_eq(frame_allocator_add_range(&fa, mfn, count), 0);
    ck_assert_int_eq(frame_allocator_check(&fa), 0);
}

static long alloc_ok(unsigned int order)
{
    long mfn = frame_allocator_alloc(&fa, order, DOM1);

    ck_assert_int_ge(mfn, 0);
    ck_assert_int_eq(mfn & ((1L << order) - 1), 0);
    return mfn;
}

START_TEST(test_starts_empty_and_reserved)
{
    make(1024);
    ck_assert_uint_eq(fa.free_frames, 0);
    ck_assert_int_eq(frame_allocator_alloc(&fa, 0, DOM1), -ENOMEM);
    ck_assert_uint_eq(fa.nr_alloc_failures, 1);
    for (unsigned long i = 0; i < 1024; i++) {
        ck_assert_uint_eq(table[i].owner, DOMID_XEN);
        ck_assert_uint_eq(table[i].count_info, 0);
        ck_assert(!frame_allocator_is_free(&fa, i));
    }
    /* Freeing a frame never given to the allocator. */
    ck_assert_int_eq(frame_allocator_free(&fa, 5, 0), -EINVAL);
    ck_assert_int_eq(frame_allocator_check(&fa), 0);
}
END_TEST

START_TEST(test_maximal_blocks)
{
    make(4096);
    add(3, 1021); /* [3, 1024): 1 + 4 + 8 + ... + 512 */
    ck_assert_uint_eq(fa.free_frames, 1021);
    ck_assert_uint_eq(fa.nr_free[0], 1); /* 3 */
    ck_assert_uint_eq(fa.nr_free[1], 0);
    ck_assert_uint_eq(fa.nr_free[2], 1); /* 4..7 */
    for (unsigned int o = 3; o < 10; o++)
        ck_assert_uint_eq(fa.nr_free[o], 1);
    ck_assert_uint_eq(fa.nr_free[10], 0);
    ck_assert(!frame_allocator_is_free(&fa, 2));
    ck_assert(frame_allocator_is_free(&fa, 3));
    ck_assert(frame_allocator_is_free(&fa, 1023));
    ck_assert(!frame_allocator_is_free(&fa, 1024));
}
END_TEST

START_TEST(test_exhaustion_unique_and_coalesce_back)
{
    const unsigned long n = 1000;
    unsigned long before[NR_ORDERS];
    unsigned char *seen = calloc(2048, 1);
    long *got = calloc(n, sizeof(long));

    make(2048);
    add(24, n);
    memcpy(before, fa.nr_free, sizeof(before));
    for (unsigned long i = 0; i < n; i++) {
        got[i] = alloc_ok(0);
        ck_assert_int_ge(got[i], 24);
        ck_assert_int_lt(got[i], 24 + (long)n);
        ck_assert_msg(!seen[got[i]], "frame %ld handed out twice", got[i]);
        seen[got[i]] = 1;
        ck_assert_uint_eq(table[got[i]].owner, DOM1);
    }
    ck_assert_uint_eq(fa.free_frames, 0);
    ck_assert_int_eq(frame_allocator_alloc(&fa, 0, DOM1), -ENOMEM);
    ck_assert_int_eq(frame_allocator_check(&fa), 0);

    /* Free in a scrambled order; everything must merge back into the original blocks. */
    for (unsigned long i = 0; i < n; i++) {
        unsigned long j = (i * 7919) % n;

        ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)got[j], 0), 0);
        ck_assert_uint_eq(table[got[j]].owner, PAGE_OWNER_FREE);
    }
    ck_assert_int_eq(frame_allocator_check(&fa), 0);
    ck_assert_uint_eq(fa.free_frames, n);
    ck_assert_mem_eq(before, fa.nr_free, sizeof(before));
    free(seen);
    free(got);
}
END_TEST

START_TEST(test_fragmentation)
{
    long got[256];

    make(256);
    add(0, 256);
    ck_assert_uint_eq(fa.nr_free[8], 1);
    for (int i = 0; i < 256; i++)
        got[i] = alloc_ok(0);
    /* Free every other frame: 128 frames free, but no two adjacent. */
    for (int i = 0; i < 256; i++)
        if (got[i] % 2 == 0)
            ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)got[i], 0), 0);
    ck_assert_uint_eq(fa.free_frames, 128);
    ck_assert_uint_eq(fa.nr_free[0], 128);
    ck_assert_int_eq(frame_allocator_alloc(&fa, 1, DOM1), -ENOMEM);
    /* An order-0 allocation still succeeds and takes an even frame. */
    long m = alloc_ok(0);
    ck_assert_int_eq(m % 2, 0);
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)m, 0), 0);
    /* Free the odd ones: everything merges back into one order-8 block. */
    for (int i = 0; i < 256; i++)
        if (got[i] % 2 == 1)
            ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)got[i], 0), 0);
    ck_assert_uint_eq(fa.nr_free[8], 1);
    for (int o = 0; o < 8; o++)
        ck_assert_uint_eq(fa.nr_free[o], 0);
    ck_assert_int_eq(alloc_ok(8), 0);
}
END_TEST

START_TEST(test_split_and_orders)
{
    make(64);
    add(0, 64);
    long a = alloc_ok(3); /* splits 64 -> 32 + 16 + 8 + 8 */
    ck_assert_uint_eq(fa.nr_free[5], 1);
    ck_assert_uint_eq(fa.nr_free[4], 1);
    ck_assert_uint_eq(fa.nr_free[3], 1);
    ck_assert_uint_eq(fa.free_frames, 56);
    for (int i = 0; i < 8; i++) {
        ck_assert_uint_eq(table[a + i].owner, DOM1);
        ck_assert_uint_eq(table[a + i].count_info & PGC_count_mask, 0);
        ck_assert_uint_eq(table[a + i].type_info, PGT_none);
        ck_assert(!frame_allocator_is_free(&fa, (mfn_t)a + i));
    }
    ck_assert(table[a].count_info & PGC_alloc_head);
    ck_assert_int_eq(frame_allocator_alloc(&fa, MAX_ORDER + 1, DOM1), -EINVAL);
    ck_assert_int_eq(frame_allocator_alloc(&fa, 6, DOM1), -ENOMEM);
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)a, 3), 0);
    ck_assert_int_eq(alloc_ok(6), 0);
}
END_TEST

START_TEST(test_bad_frees_refused)
{
    make(1024);
    add(0, 512);
    long a = alloc_ok(2);
    long b = alloc_ok(0);
    unsigned long free_before = fa.free_frames;

    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)a, 1), -EINVAL);     /* wrong order */
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)a, 3), -EINVAL);     /* wrong order */
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)a + 1, 0), -EINVAL); /* not the head */
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)a + 2, 1), -EINVAL); /* inside */
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)b, 1), -EINVAL);     /* misaligned/order */
    ck_assert_int_eq(frame_allocator_free(&fa, 600, 0), -EINVAL);          /* reserved frame */
    ck_assert_int_eq(frame_allocator_free(&fa, 4096, 0), -EINVAL);         /* beyond the table */
    ck_assert_int_eq(frame_allocator_free(&fa, 1020, 3), -EINVAL);         /* runs past the table */
    ck_assert_int_eq(frame_allocator_free(&fa, 0, MAX_ORDER + 1), -EINVAL);
    ck_assert_int_eq(frame_allocator_free(&fa, 300, 0), -EINVAL); /* free, never allocated */
    ck_assert_uint_eq(fa.free_frames, free_before);
    ck_assert_uint_eq(fa.nr_bad_frees, 10);
    ck_assert_int_eq(frame_allocator_check(&fa), 0);

    /* Double free: right after, and after the block has merged with its buddy. */
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)b, 0), 0);
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)b, 0), -EINVAL);
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)a, 2), 0);
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)a, 2), -EINVAL);
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)b, 0), -EINVAL);
    ck_assert_int_eq(frame_allocator_check(&fa), 0);
    ck_assert_uint_eq(fa.free_frames, 512);
    ck_assert_uint_eq(fa.nr_free[9], 1);

    /* A stale free of a frame that is now inside a larger allocated block. */
    long big = alloc_ok(9);
    ck_assert_int_lt(big, 512);
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)b, 0), -EINVAL);
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)big + 4, 2), -EINVAL);
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)big, 9), 0);
    ck_assert_int_eq(frame_allocator_check(&fa), 0);
}
END_TEST

START_TEST(test_add_range_errors_and_joins)
{
    make(1 << 12);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 0, 0), -EINVAL);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 4096, 1), -EINVAL);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 4000, 97), -EINVAL);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 1, ~0UL), -EINVAL);
    add(100, 50);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 100, 50), -EEXIST);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 149, 10), -EEXIST);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 90, 11), -EEXIST);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 120, 1), -EEXIST);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 0, 4096), -EEXIST);
    add(300, 10);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 140, 200), -EEXIST); /* spans a gap */
    ck_assert_uint_eq(fa.free_frames, 60);
    ck_assert_uint_eq(fa.nr_ranges, 2);

    /* Touching ranges join, and their blocks merge: [0,100) + [100,150) + [150,300) + ... */
    add(0, 100);
    add(150, 150);
    ck_assert_uint_eq(fa.nr_ranges, 1);
    ck_assert_uint_eq(fa.range[0].start, 0);
    ck_assert_uint_eq(fa.range[0].end, 310);
    ck_assert_uint_eq(fa.free_frames, 310);
    ck_assert_uint_eq(fa.nr_free[8], 1); /* [0, 256) */
    ck_assert_uint_eq(alloc_ok(8), 0);
}
END_TEST

START_TEST(test_range_table_full)
{
    make(1 << 12);
    for (unsigned int i = 0; i < FRAME_ALLOC_MAX_RANGES; i++)
        add(i * 4, 2);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 1000, 2), -ENOSPC);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 2, 2), 0); /* joins two: no new slot */
    ck_assert_uint_eq(fa.nr_ranges, FRAME_ALLOC_MAX_RANGES - 1);
    ck_assert_int_eq(frame_allocator_check(&fa), 0);
}
END_TEST

/* Ranges with holes; every frame handed out must come from them, once. */
START_TEST(test_reserved_ranges_honoured)
{
    static const struct {
        mfn_t start;
        unsigned long count;
    } ranges[] = {{16, 84}, {200, 800}, {1001, 2999}, {4095, 1}};
    const unsigned long nr = 4096;
    unsigned char *usable = calloc(nr, 1), *seen = calloc(nr, 1);
    unsigned long total = 0, handed = 0;

    make(nr);
    for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
        add(ranges[r].start, ranges[r].count);
        memset(usable + ranges[r].start, 1, ranges[r].count);
        total += ranges[r].count;
    }
    ck_assert_uint_eq(fa.free_frames, total);
    /* Take everything, largest blocks first. */
    for (int order = MAX_ORDER; order >= 0; order--) {
        long m;

        while ((m = frame_allocator_alloc(&fa, (unsigned int)order, DOM1)) >= 0) {
            for (long i = m; i < m + (1L << order); i++) {
                ck_assert_msg(usable[i], "reserved frame %ld handed out", i);
                ck_assert_msg(!seen[i], "frame %ld handed out twice", i);
                seen[i] = 1;
            }
            handed += 1UL << order;
        }
        ck_assert_int_eq(m, -ENOMEM);
    }
    ck_assert_uint_eq(handed, total);
    ck_assert_uint_eq(fa.free_frames, 0);
    free(usable);
    free(seen);
}
END_TEST

/* A machine with more than 4 GiB: adding its RAM must touch only the block heads. */
START_TEST(test_large_machine_touches_only_heads)
{
    const unsigned long nr = (5UL << 30) / PAGE_SIZE + 37; /* 5 GiB and a bit */
    struct page_info *copy;
    unsigned long changed = 0, blocks = 0;

    make(nr);
    copy = malloc(nr * sizeof(*copy));
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, table, nr * sizeof(*copy));
    add(256, nr - 256 - 5);
    for (unsigned long i = 0; i < nr; i++)
        changed += memcmp(&copy[i], &table[i], sizeof(*copy)) != 0;
    for (unsigned int o = 0; o <= MAX_ORDER; o++)
        blocks += fa.nr_free[o];
    /* Heads, plus the next-block neighbours whose prev link changed. */
    ck_assert_uint_le(changed, 2 * blocks);
    ck_assert_uint_lt(blocks, 60);
    ck_assert_uint_eq(fa.nr_free[MAX_ORDER], 4); /* 1..5 GiB */

    long g = alloc_ok(MAX_ORDER); /* a 1 GiB run, 1 GiB aligned */
    ck_assert_int_eq(g % (1L << 18), 0);
    ck_assert_uint_eq(table[g + (1 << 18) - 1].owner, DOM1);
    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)g, MAX_ORDER), 0);
    ck_assert_int_eq(frame_allocator_check(&fa), 0);
    free(copy);
}
END_TEST

START_TEST(test_init_limits)
{
    struct page_info one;

    ck_assert_int_eq(frame_allocator_init(&fa, &one, 0xffffffffUL), -EINVAL);
    ck_assert_int_eq(frame_allocator_init(&fa, &one, 1), 0);
    ck_assert_int_eq(frame_allocator_add_range(&fa, 0, 1), 0);
    ck_assert_int_eq(frame_allocator_alloc(&fa, 0, DOM1), 0);
    ck_assert_int_eq(frame_allocator_alloc(&fa, 0, DOM1), -ENOMEM);
    ck_assert_int_eq(frame_allocator_free(&fa, 0, 0), 0);
}
END_TEST

/* Random allocations and frees checked against a shadow map of allocated frames. */
START_TEST(test_random_against_shadow)
{
    enum { NR = 8192, MAXLIVE = 4096 };
    static const struct {
        mfn_t start;
        unsigned long count;
    } ranges[] = {{1, 1000}, {1100, 3000}, {4200, 3900}, {8150, 42}};
    unsigned char *managed = calloc(NR, 1), *allocated = calloc(NR, 1);
    struct {
        long mfn;
        unsigned int order;
    } *live = calloc(MAXLIVE, sizeof(*live));
    unsigned int nr_live = 0;
    unsigned long total = 0, in_use = 0;

    srandom(42);
    make(NR);
    for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
        add(ranges[r].start, ranges[r].count);
        memset(managed + ranges[r].start, 1, ranges[r].count);
        total += ranges[r].count;
    }

    for (int step = 0; step < 60000; step++) {
        bool do_alloc = nr_live == 0 || (nr_live < MAXLIVE && random() % 100 < 55);

        if (do_alloc) {
            unsigned int order = random() % 4 == 0 ? random() % 10 : random() % 3;
            long m = frame_allocator_alloc(&fa, order, (domid_t)(order + 1));

            if (m == -ENOMEM) {
                /* Only when no free block of that order or larger exists. */
                for (unsigned int o = order; o <= MAX_ORDER; o++)
                    ck_assert_uint_eq(fa.nr_free[o], 0);
                continue;
            }
            ck_assert_int_ge(m, 0);
            ck_assert_int_eq(m & ((1L << order) - 1), 0);
            for (long i = m; i < m + (1L << order); i++) {
                ck_assert_msg(managed[i], "step %d: unmanaged frame %ld", step, i);
                ck_assert_msg(!allocated[i], "step %d: frame %ld handed out twice", step, i);
                allocated[i] = 1;
            }
            live[nr_live].mfn = m;
            live[nr_live].order = order;
            nr_live++;
            in_use += 1UL << order;
        } else {
            unsigned int k = random() % nr_live;
            long m = live[k].mfn;
            unsigned int order = live[k].order;

            /* Sometimes try a bad free first: it must change nothing. */
            if (random() % 8 == 0) {
                if (order > 0) /* a frame inside the block */
                    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)m + 1, 0), -EINVAL);
                else /* the wrong order */
                    ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)m, 1), -EINVAL);
            }
            ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)m, order), 0);
            memset(allocated + m, 0, 1UL << order);
            live[k] = live[--nr_live];
            in_use -= 1UL << order;
            /* A double free is refused. */
            if (random() % 8 == 0)
                ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)m, order), -EINVAL);
        }
        ck_assert_uint_eq(fa.free_frames, total - in_use);
        if (step % 500 == 0) {
            ck_assert_int_eq(frame_allocator_check(&fa), 0);
        }
        if (step % 3000 == 0) {
            for (unsigned long i = 0; i < NR; i++)
                ck_assert_msg(frame_allocator_is_free(&fa, i) == (managed[i] && !allocated[i]),
                              "step %d: frame %lu free state", step, i);
        }
    }
    /* Free everything left: back to the maximal blocks of the ranges. */
    while (nr_live > 0) {
        nr_live--;
        ck_assert_int_eq(frame_allocator_free(&fa, (mfn_t)live[nr_live].mfn, live[nr_live].order),
                         0);
    }
    ck_assert_int_eq(frame_allocator_check(&fa), 0);
    ck_assert_uint_eq(fa.free_frames, total);
    {
        struct frame_allocator fresh;
        struct page_info *t2 = calloc(NR, sizeof(*t2));

        frame_allocator_init(&fresh, t2, NR);
        for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
            frame_allocator_add_range(&fresh, ranges[r].start, ranges[r].count);
        ck_assert_mem_eq(fresh.nr_free, fa.nr_free, sizeof(fa.nr_free));
        free(t2);
    }
    free(managed);
    free(allocated);
    free(live);
}
END_TEST

static Suite *page_alloc_suite(void)
{
    Suite *s = suite_create("page_alloc");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_starts_empty_and_reserved);
    tcase_add_test(tc, test_maximal_blocks);
    tcase_add_test(tc, test_exhaustion_unique_and_coalesce_back);
    tcase_add_test(tc, test_fragmentation);
    tcase_add_test(tc, test_split_and_orders);
    tcase_add_test(tc, test_bad_frees_refused);
    tcase_add_test(tc, test_add_range_errors_and_joins);
    tcase_add_test(tc, test_range_table_full);
    tcase_add_test(tc, test_reserved_ranges_honoured);
    tcase_add_test(tc, test_large_machine_touches_only_heads);
    tcase_add_test(tc, test_init_limits);
    tcase_add_test(tc, test_random_against_shadow);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(page_alloc_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

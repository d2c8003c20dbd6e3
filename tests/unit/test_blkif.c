/*
 * test_blkif — host unit tests (Check) for pvguest/backends/blkif_check.c (issue 10):
 * every field of a blkif request that the backend validates, the indirect second step, and
 * the frontend's splitting of transfers into requests.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <pvguest/blkif_check.h>

static const struct blkif_vbd_geom geom = {.sectors = 1000, .max_indirect_segs = 64};

/* A valid read of @n full-page segments at @sector. */
static struct blkif_request rw(uint8_t op, uint64_t sector, unsigned int n)
{
    struct blkif_request r;
    unsigned int i;

    memset(&r, 0, sizeof(r));
    r.operation = op;
    r.nr_segments = (uint8_t)n;
    r.id = 0x1234;
    r.sector_number = sector;
    for (i = 0; i < n && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
        r.seg[i].gref = 100 + i;
        r.seg[i].first_sect = 0;
        r.seg[i].last_sect = 7;
    }
    return r;
}

static struct blkif_checked out;

START_TEST(test_valid_read_write)
{
    struct blkif_request r = rw(BLKIF_OP_READ, 8, 11);

    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_OK);
    ck_assert_uint_eq(out.nr_segs, 11);
    ck_assert_uint_eq(out.nr_sectors, 88);
    ck_assert_uint_eq(out.sector, 8);
    ck_assert_uint_eq(out.id, 0x1234);
    ck_assert_uint_eq(out.segs[10].gref, 110);
    ck_assert(!out.indirect);
    r = rw(BLKIF_OP_WRITE, 1000 - 8, 1);
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_OK);
    /* Partial segments: sectors 3..5 of one page. */
    r.seg[0].first_sect = 3;
    r.seg[0].last_sect = 5;
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_OK);
    ck_assert_uint_eq(out.nr_sectors, 3);
}
END_TEST

START_TEST(test_bad_operation)
{
    static const uint8_t bad[] = {BLKIF_OP_WRITE_BARRIER, BLKIF_OP_DISCARD, 7, 0xff};
    unsigned int i;

    for (i = 0; i < sizeof(bad); i++) {
        struct blkif_request r = rw(bad[i], 0, 1);

        ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_BAD_OP);
    }
}
END_TEST

START_TEST(test_segment_count)
{
    struct blkif_request r = rw(BLKIF_OP_READ, 0, 0);

    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_NO_SEGMENTS);
    r = rw(BLKIF_OP_WRITE, 0, 11);
    r.nr_segments = 12;
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_TOO_MANY_SEGS);
    r.nr_segments = 255;
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_TOO_MANY_SEGS);
}
END_TEST

START_TEST(test_sectors_in_page)
{
    struct blkif_request r = rw(BLKIF_OP_READ, 0, 3);

    r.seg[1].last_sect = 8; /* past the page */
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_BAD_SECT);
    r = rw(BLKIF_OP_READ, 0, 3);
    r.seg[2].first_sect = 5;
    r.seg[2].last_sect = 4; /* backwards */
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_BAD_SECT);
    r = rw(BLKIF_OP_READ, 0, 1);
    r.seg[0].first_sect = 255;
    r.seg[0].last_sect = 255;
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_BAD_SECT);
}
END_TEST

START_TEST(test_sector_range)
{
    struct blkif_request r = rw(BLKIF_OP_READ, 1000 - 7, 1); /* 8 sectors, one past */

    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_PAST_END);
    r = rw(BLKIF_OP_READ, 1000, 1);
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_PAST_END);
    r = rw(BLKIF_OP_WRITE, UINT64_MAX - 3, 1); /* wraps around 2^64 */
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_PAST_END);
    r = rw(BLKIF_OP_WRITE, 1ull << 63, 1);
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_PAST_END);
}
END_TEST

START_TEST(test_read_only_and_handle)
{
    struct blkif_vbd_geom ro = geom;
    struct blkif_request r = rw(BLKIF_OP_WRITE, 0, 1);

    ro.read_only = true;
    ck_assert_int_eq(blkif_check_request(&r, &ro, &out), BLKIF_CHECK_READ_ONLY);
    r.operation = BLKIF_OP_READ;
    ck_assert_int_eq(blkif_check_request(&r, &ro, &out), BLKIF_CHECK_OK);
    r.handle = 1;
    ck_assert_int_eq(blkif_check_request(&r, &ro, &out), BLKIF_CHECK_BAD_HANDLE);
}
END_TEST

START_TEST(test_flush)
{
    struct blkif_request r = rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
    struct blkif_vbd_geom ro = geom;

    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_OK);
    ck_assert_uint_eq(out.op, BLKIF_OP_FLUSH_DISKCACHE);
    ck_assert_uint_eq(out.nr_segs, 0);
    ro.read_only = true;
    ck_assert_int_eq(blkif_check_request(&r, &ro, &out), BLKIF_CHECK_OK);
    r = rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 1);
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_FLUSH_SEGS);
}
END_TEST

static struct blkif_request indirect(uint8_t op, uint64_t sector, unsigned int n)
{
    struct blkif_request r;
    struct blkif_request_indirect ind;

    memset(&ind, 0, sizeof(ind));
    ind.operation = BLKIF_OP_INDIRECT;
    ind.indirect_op = op;
    ind.nr_segments = (uint16_t)n;
    ind.id = 77;
    ind.sector_number = sector;
    ind.indirect_grefs[0] = 500;
    ind.indirect_grefs[1] = 501;
    memset(&r, 0, sizeof(r));
    memcpy(&r, &ind, sizeof(ind)); /* the two types may not alias */
    return r;
}

START_TEST(test_indirect)
{
    struct blkif_request r = indirect(BLKIF_OP_WRITE, 16, 64);
    struct blkif_request_segment segs[64];
    struct blkif_vbd_geom none = geom, ro = geom;
    unsigned int i;

    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_OK);
    ck_assert(out.indirect);
    ck_assert_uint_eq(out.op, BLKIF_OP_WRITE);
    ck_assert_uint_eq(out.operation, BLKIF_OP_INDIRECT);
    ck_assert_uint_eq(out.nr_segs, 64);
    ck_assert_uint_eq(out.nr_indirect_pages, 1);
    ck_assert_uint_eq(out.indirect_grefs[0], 500);
    ck_assert_uint_eq(out.id, 77);
    for (i = 0; i < 64; i++)
        segs[i] = (struct blkif_request_segment){.gref = i, .first_sect = 0, .last_sect = 7};
    ck_assert_int_eq(blkif_check_indirect_segs(&out, segs, &geom), BLKIF_CHECK_OK);
    ck_assert_uint_eq(out.nr_sectors, 512);
    /* Garbage in the indirect page. */
    segs[40].last_sect = 9;
    ck_assert_int_eq(blkif_check_indirect_segs(&out, segs, &geom), BLKIF_CHECK_BAD_SECT);
    segs[40].last_sect = 7;
    /* 512 sectors from 600 run past 1000. */
    r = indirect(BLKIF_OP_READ, 600, 64);
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_OK);
    ck_assert_int_eq(blkif_check_indirect_segs(&out, segs, &geom), BLKIF_CHECK_PAST_END);
    /* Header problems. */
    r = indirect(BLKIF_OP_READ, 0, 65);
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_TOO_MANY_SEGS);
    r = indirect(BLKIF_OP_READ, 0, 0);
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_NO_SEGMENTS);
    r = indirect(BLKIF_OP_FLUSH_DISKCACHE, 0, 1);
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_BAD_OP);
    r = indirect(BLKIF_OP_INDIRECT, 0, 1);
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_BAD_OP);
    none.max_indirect_segs = 0;
    r = indirect(BLKIF_OP_READ, 0, 1);
    ck_assert_int_eq(blkif_check_request(&r, &none, &out), BLKIF_CHECK_NO_INDIRECT);
    ro.read_only = true;
    r = indirect(BLKIF_OP_WRITE, 0, 1);
    ck_assert_int_eq(blkif_check_request(&r, &ro, &out), BLKIF_CHECK_READ_ONLY);
    r = indirect(BLKIF_OP_READ, 1000, 1);
    ck_assert_int_eq(blkif_check_request(&r, &geom, &out), BLKIF_CHECK_PAST_END);
    ck_assert_str_eq(blkif_check_error_name(BLKIF_CHECK_PAST_END), "sectors past the end");
    ck_assert_str_eq(blkif_check_error_name(99), "?");
}
END_TEST

/* Split @n sectors at buffer offset @off into requests of @max segments; check that they
   cover the transfer contiguously, page by page, and return how many there were. */
static unsigned int split_check(uint64_t sector, uint64_t n, unsigned int off, unsigned int max)
{
    static struct blkif_split_req r;
    struct blkif_split s;
    uint64_t next = sector, bytes = off, total = 0;
    unsigned int count = 0, i;

    ck_assert_int_eq(blkif_split_init(&s, sector, n, off, max), 0);
    while (blkif_split_next(&s, &r)) {
        uint64_t got = 0;

        count++;
        ck_assert_uint_eq(r.sector, next);
        ck_assert_uint_ge(r.nr_segs, 1);
        ck_assert_uint_le(r.nr_segs, max);
        ck_assert_uint_eq(r.first_page, bytes / 4096);
        for (i = 0; i < r.nr_segs; i++) {
            ck_assert_uint_le(r.first_sect[i], r.last_sect[i]);
            ck_assert_uint_le(r.last_sect[i], 7);
            /* Each segment starts where the data continues. */
            ck_assert_uint_eq(r.first_sect[i], (bytes % 4096) / 512);
            ck_assert_uint_eq((r.first_page + i), bytes / 4096);
            if (i + 1 < r.nr_segs)
                ck_assert_uint_eq(r.last_sect[i], 7);
            got += r.last_sect[i] - r.first_sect[i] + 1u;
            bytes += (r.last_sect[i] - r.first_sect[i] + 1u) * 512u;
        }
        ck_assert_uint_eq(got, r.nr_sectors);
        next += got;
        total += got;
    }
    ck_assert_uint_eq(total, n);
    return count;
}

START_TEST(test_split)
{
    struct blkif_split s;

    ck_assert_uint_eq(split_check(0, 0, 0, 11), 0);
    ck_assert_uint_eq(split_check(5, 1, 0, 11), 1);
    ck_assert_uint_eq(split_check(0, 88, 0, 11), 1); /* 11 full pages */
    ck_assert_uint_eq(split_check(0, 89, 0, 11), 2);
    ck_assert_uint_eq(split_check(0, 88, 512, 11), 2); /* unaligned: 12 pages touched */
    ck_assert_uint_eq(split_check(3, 1000, 3584, 11), 12);
    ck_assert_uint_eq(split_check(0, 2048, 0, 11), 24); /* 1 MiB */
    ck_assert_uint_eq(split_check(0, 2048, 0, 256), 1); /* one indirect request */
    ck_assert_uint_eq(split_check(0, 2049, 1024, 256), 2);
    ck_assert_uint_eq(split_check(0, 7, 512, 1), 1);
    ck_assert_uint_eq(split_check(0, 8, 512, 1), 2);
    ck_assert_int_eq(blkif_split_init(&s, 0, 8, 100, 11), -1);
    ck_assert_int_eq(blkif_split_init(&s, 0, 8, 4096, 11), -1);
    ck_assert_int_eq(blkif_split_init(&s, 0, 8, 0, 0), -1);
    ck_assert_int_eq(blkif_split_init(&s, 0, 8, 0, BLKIF_CHECK_MAX_INDIRECT_SEGS + 1), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blkif");
    TCase *tc = tcase_create("blkif");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_valid_read_write);
    tcase_add_test(tc, test_bad_operation);
    tcase_add_test(tc, test_segment_count);
    tcase_add_test(tc, test_sectors_in_page);
    tcase_add_test(tc, test_sector_range);
    tcase_add_test(tc, test_read_only_and_handle);
    tcase_add_test(tc, test_flush);
    tcase_add_test(tc, test_indirect);
    tcase_add_test(tc, test_split);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests for hypervisor/common/memmap.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/errno.h>
#include <mica/memmap.h>
#include "hv_unrename.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static struct memmap map;

static void setup(void)
{
    memset(&map, 0xa5, sizeof(map)); /* garbage: memmap_init must be enough */
    memmap_init(&map);
}

static void add(paddr_t addr, uint64_t len, uint32_t type)
{
    ck_assert_int_eq(memmap_add_raw(&map, addr, len, type), 0);
}

/* Expect region i to be [start, end) of type. */
static void region_is(unsigned int i, paddr_t start, paddr_t end, uint32_t type)
{
    ck_assert_msg(i < map.nr, "region %u missing (nr %u)", i, map.nr);
    ck_assert_msg(map.region[i].start == start && map.region[i].end == end &&
                      map.region[i].type == type,
                  "region %u: [%#llx, %#llx) type %u, want [%#llx, %#llx) type %u", i,
                  (unsigned long long)map.region[i].start, (unsigned long long)map.region[i].end,
                  map.region[i].type, (unsigned long long)start, (unsigned long long)end, type);
}

/* The map QEMU's q35 with 128 MiB reports (SeaBIOS e820), in firmware order. */
static const struct memmap_entry qemu_map[] = {
    {0x0, 0x9fc00, 1},        {0x9fc00, 0x400, 2},      {0xf0000, 0x10000, 2},
    {0x100000, 0x7ee0000, 1}, {0x7fe0000, 0x20000, 2},  {0xb0000000, 0x10000000, 2},
    {0xfed1c000, 0x4000, 2},  {0xfffc0000, 0x40000, 2},
};

static void check_qemu_result(void)
{
    ck_assert_uint_eq(map.nr, 8);
    region_is(0, 0x0, 0x9f000, MEMMAP_RAM); /* trimmed to whole pages */
    region_is(1, 0x9fc00, 0xa0000, MEMMAP_RESERVED);
    region_is(2, 0xf0000, 0x100000, MEMMAP_RESERVED);
    region_is(3, 0x100000, 0x7fe0000, MEMMAP_RAM);
    region_is(4, 0x7fe0000, 0x8000000, MEMMAP_RESERVED);
    region_is(5, 0xb0000000, 0xc0000000, MEMMAP_RESERVED);
    region_is(6, 0xfed1c000, 0xfed20000, MEMMAP_RESERVED);
    region_is(7, 0xfffc0000, 0x100000000, MEMMAP_RESERVED);
}

START_TEST(test_qemu_map)
{
    struct memmap_summary s;

    for (size_t i = 0; i < sizeof(qemu_map) / sizeof(qemu_map[0]); i++)
        add(qemu_map[i].addr, qemu_map[i].len, qemu_map[i].type);
    ck_assert_int_eq(memmap_build(&map), 0);
    check_qemu_result();
    memmap_summary(&map, &s);
    ck_assert_uint_eq(s.ram_bytes, 0x9f000 + 0x7ee0000);
    ck_assert_uint_eq(s.ram_end, 0x7fe0000);
    ck_assert_uint_eq(s.nr_ram, 2);
    ck_assert_uint_eq(s.nr_reserved, 6);
}
END_TEST

START_TEST(test_unsorted)
{
    static const unsigned int order[] = {7, 3, 5, 0, 6, 1, 4, 2};

    for (size_t i = 0; i < 8; i++)
        add(qemu_map[order[i]].addr, qemu_map[order[i]].len, qemu_map[order[i]].type);
    ck_assert_int_eq(memmap_build(&map), 0);
    check_qemu_result();
}
END_TEST

START_TEST(test_overlapping_ram_merges)
{
    add(4 * MiB, 8 * MiB, 1);
    add(0, 8 * MiB, 1);
    add(12 * MiB, 4 * MiB, 1); /* touching: merges too */
    add(2 * MiB, 1 * MiB, 1);  /* inside */
    ck_assert_int_eq(memmap_build(&map), 0);
    ck_assert_uint_eq(map.nr, 1);
    region_is(0, 0, 16 * MiB, MEMMAP_RAM);
}
END_TEST

START_TEST(test_reserved_wins)
{
    add(0, 16 * MiB, 1);
    add(4 * MiB + 100, 100, 2);          /* reserved inside RAM, not page aligned */
    add(15 * MiB, 4 * MiB, 3);           /* ACPI data (type 3) overlapping the end: reserved */
    add(15 * MiB + 4 * KiB, 4 * KiB, 1); /* RAM inside reserved stays reserved */
    ck_assert_int_eq(memmap_build(&map), 0);
    ck_assert_uint_eq(map.nr, 4);
    region_is(0, 0, 4 * MiB, MEMMAP_RAM);
    region_is(1, 4 * MiB + 100, 4 * MiB + 200, MEMMAP_RESERVED);
    region_is(2, 4 * MiB + 4 * KiB, 15 * MiB, MEMMAP_RAM); /* partial page dropped */
    region_is(3, 15 * MiB, 19 * MiB, MEMMAP_RESERVED);
}
END_TEST

START_TEST(test_reserved_types_merge_and_small_ram_dropped)
{
    add(0x1000, 0x1000, 2);
    add(0x2000, 0x1000, 4);  /* ACPI NVS, touching: one reserved region */
    add(0x10000, 0xfff, 1);  /* less than a page: nothing left */
    add(0x20800, 0x1800, 1); /* 0x20800-0x22000: one whole page 0x21000 */
    add(0x30000, 0, 1);      /* zero length: ignored */
    ck_assert_int_eq(memmap_build(&map), 0);
    ck_assert_uint_eq(map.nr, 2);
    region_is(0, 0x1000, 0x3000, MEMMAP_RESERVED);
    region_is(1, 0x21000, 0x22000, MEMMAP_RAM);
}
END_TEST

START_TEST(test_holes_not_merged)
{
    add(0, 1 * MiB, 1);
    add(2 * MiB, 1 * MiB, 1);
    ck_assert_int_eq(memmap_build(&map), 0);
    ck_assert_uint_eq(map.nr, 2);
    region_is(0, 0, 1 * MiB, MEMMAP_RAM);
    region_is(1, 2 * MiB, 3 * MiB, MEMMAP_RAM);
}
END_TEST

START_TEST(test_top_of_address_space)
{
    add(~0ULL - 2 * PAGE_SIZE + 1, 100 * PAGE_SIZE, 1); /* clipped at 2^64 - 1 */
    ck_assert_int_eq(memmap_build(&map), 0);
    ck_assert_uint_eq(map.nr, 1);
    region_is(0, ~0ULL - 2 * PAGE_SIZE + 1, ~0ULL - PAGE_SIZE + 1, MEMMAP_RAM);
}
END_TEST

START_TEST(test_raw_table_full)
{
    for (unsigned int i = 0; i < MEMMAP_MAX_REGIONS; i++)
        add(i * 2 * MiB, MiB, 1);
    ck_assert_int_eq(memmap_add_raw(&map, 1000 * MiB, MiB, 1), -ENOSPC);
    ck_assert_int_eq(memmap_build(&map), 0);
    ck_assert_uint_eq(map.nr, MEMMAP_MAX_REGIONS);
}
END_TEST

START_TEST(test_built_table_full)
{
    /* 64 RAM entries, each with a reserved entry in its middle: 192 regions. */
    for (unsigned int i = 0; i < MEMMAP_MAX_REGIONS / 2; i++) {
        add(i * 4 * MiB, 2 * MiB, 1);
        add(i * 4 * MiB + MiB, 4 * KiB, 2);
    }
    ck_assert_int_eq(memmap_build(&map), -ENOSPC);
}
END_TEST

/* Append one multiboot mmap entry with the given size field to buf. */
static size_t mb_entry(unsigned char *buf, size_t off, uint32_t size, uint64_t addr, uint64_t len,
                       uint32_t type)
{
    memcpy(buf + off, &size, 4);
    memcpy(buf + off + 4, &addr, 8);
    memcpy(buf + off + 12, &len, 8);
    memcpy(buf + off + 20, &type, 4);
    return off + 4 + size;
}

START_TEST(test_multiboot_decode)
{
    unsigned char buf[256];
    size_t len = 0;

    memset(buf, 0, sizeof(buf));
    len = mb_entry(buf, len, 20, 0x100000, 0x700000, 1);
    len = mb_entry(buf, len, 28, 0x0, 0x9fc00, 1); /* larger entry: skip the extra bytes */
    len = mb_entry(buf, len, 20, 0x9fc00, 0x400, 2);
    ck_assert_int_eq(memmap_add_multiboot(&map, buf + 0, len), 0);
    ck_assert_uint_eq(map.nr_raw, 3);
    ck_assert_uint_eq(map.raw[1].addr, 0);
    ck_assert_uint_eq(map.raw[1].len, 0x9fc00);
    ck_assert_uint_eq(map.raw[2].type, 2);
    ck_assert_int_eq(memmap_build(&map), 0);
    ck_assert_uint_eq(map.nr, 3);
    region_is(2, 0x100000, 0x800000, MEMMAP_RAM);

    /* An entry whose size field is too small, or that runs past length. */
    memmap_init(&map);
    len = mb_entry(buf, 0, 16, 0, 0x1000, 1);
    ck_assert_int_eq(memmap_add_multiboot(&map, buf, 24), -EINVAL);
    len = mb_entry(buf, 0, 20, 0, 0x1000, 1);
    ck_assert_int_eq(memmap_add_multiboot(&map, buf, len - 1), -EINVAL);
    ck_assert_int_eq(memmap_add_multiboot(&map, buf, len + 2), -EINVAL);
    ck_assert_int_eq(memmap_add_multiboot(&map, buf, 0), 0);
}
END_TEST

static void build_qemu(void)
{
    for (size_t i = 0; i < sizeof(qemu_map) / sizeof(qemu_map[0]); i++)
        add(qemu_map[i].addr, qemu_map[i].len, qemu_map[i].type);
    ck_assert_int_eq(memmap_build(&map), 0);
}

START_TEST(test_reserve_punches)
{
    struct memmap_summary s;

    build_qemu();
    /* The first MiB goes entirely: RAM region 0 disappears, reserved ones stay. */
    ck_assert_int_eq(memmap_reserve(&map, 0, MiB), 0);
    ck_assert_uint_eq(map.nr, 7);
    region_is(0, 0x9fc00, 0xa0000, MEMMAP_RESERVED);
    region_is(2, 0x100000, 0x7fe0000, MEMMAP_RAM);
    /* The hypervisor image at 2 MiB, not page aligned: widened outward, split. */
    ck_assert_int_eq(memmap_reserve(&map, 2 * MiB + 10, 3 * MiB - 10), 0);
    ck_assert_uint_eq(map.nr, 8);
    region_is(2, 0x100000, 2 * MiB, MEMMAP_RAM);
    region_is(3, 3 * MiB, 0x7fe0000, MEMMAP_RAM);
    /* The head of a region. */
    ck_assert_int_eq(memmap_reserve(&map, MiB, MiB + 1), 0);
    region_is(2, MiB + PAGE_SIZE, 2 * MiB, MEMMAP_RAM);
    /* A range over a region's tail, a hole and the next region's head. */
    ck_assert_int_eq(memmap_reserve(&map, 2 * MiB - PAGE_SIZE, 4 * MiB), 0);
    region_is(2, MiB + PAGE_SIZE, 2 * MiB - PAGE_SIZE, MEMMAP_RAM);
    region_is(3, 4 * MiB, 0x7fe0000, MEMMAP_RAM);
    /* Reserved regions and holes are not affected. */
    ck_assert_int_eq(memmap_reserve(&map, 0xb0000000, 0xc0000000), 0);
    ck_assert_uint_eq(map.nr, 8);
    region_is(5, 0xb0000000, 0xc0000000, MEMMAP_RESERVED);
    /* Empty and inverted ranges. */
    ck_assert_int_eq(memmap_reserve(&map, 5 * MiB, 5 * MiB), 0);
    ck_assert_int_eq(memmap_reserve(&map, 6 * MiB, 5 * MiB), -EINVAL);
    ck_assert_uint_eq(map.nr, 8);

    memmap_summary(&map, &s);
    ck_assert_uint_eq(s.ram_bytes,
                      (2 * MiB - PAGE_SIZE - (MiB + PAGE_SIZE)) + (0x7fe0000 - 4 * MiB));
    ck_assert_uint_eq(s.ram_end, 0x7fe0000);
}
END_TEST

START_TEST(test_reserve_split_full)
{
    struct memmap before;

    for (unsigned int i = 0; i < MEMMAP_MAX_REGIONS; i++)
        add(i * 2 * MiB, MiB, 1);
    ck_assert_int_eq(memmap_build(&map), 0);
    memcpy(&before, &map, sizeof(map));
    ck_assert_int_eq(memmap_reserve(&map, 2 * MiB + 4 * KiB, 2 * MiB + 8 * KiB), -ENOSPC);
    ck_assert_int_eq(memcmp(&before, &map, sizeof(map)), 0);
    /* Cutting a head needs no new slot. */
    ck_assert_int_eq(memmap_reserve(&map, 2 * MiB, 2 * MiB + 8 * KiB), 0);
    region_is(1, 2 * MiB + 8 * KiB, 3 * MiB, MEMMAP_RAM);
}
END_TEST

/*
 * Random maps against a model: the space is NR_PAGES pages of GRAIN-byte
 * grains (entries start and end on grains, which are smaller than a page);
 * each grain is a hole, RAM or reserved (reserved painted over RAM). A page
 * must be RAM in the built map exactly when all its grains are RAM.
 */
#define GRAIN    256
#define NR_PAGES 32
#define GRAINS   (NR_PAGES * PAGE_SIZE / GRAIN)
#define PER_PAGE (PAGE_SIZE / GRAIN)

static unsigned int rnd(unsigned int n)
{
    return (unsigned int)(random() % n);
}

START_TEST(test_random_against_model)
{
    srandom(1234);
    for (int round = 0; round < 1000; round++) {
        unsigned char model[GRAINS], got[GRAINS];
        bool page_ram[NR_PAGES], got_ram[NR_PAGES];
        unsigned int nr = 1 + rnd(24);

        memmap_init(&map);
        memset(model, 0, sizeof(model));
        for (unsigned int i = 0; i < nr; i++) {
            unsigned int a = rnd(GRAINS), l = rnd(GRAINS - a + 1);
            uint32_t type = rnd(3) == 0 ? 2 + rnd(3) : 1;

            /* Half the entries page aligned, so that whole RAM pages are common. */
            if (rnd(2)) {
                a -= a % PER_PAGE;
                l = MIN(l + (PER_PAGE - 1) - (l + PER_PAGE - 1) % PER_PAGE, GRAINS - a);
            }
            add((paddr_t)a * GRAIN, (uint64_t)l * GRAIN, type);
            for (unsigned int g = a; g < a + l; g++)
                if (type != 1 || model[g] == 0)
                    model[g] = type == 1 ? 1 : 2;
        }
        ck_assert_int_eq(memmap_build(&map), 0);

        for (unsigned int pg = 0; pg < NR_PAGES; pg++) {
            page_ram[pg] = true;
            for (unsigned int g = 0; g < PER_PAGE; g++)
                page_ram[pg] &= model[pg * PER_PAGE + g] == 1;
        }

        /* Punch a few random ranges (any byte address) out of the map and the model. */
        for (int k = rnd(4); k > 0; k--) {
            paddr_t s = rnd(NR_PAGES * PAGE_SIZE), e = s + rnd(NR_PAGES * PAGE_SIZE - s + 1);

            ck_assert_int_eq(memmap_reserve(&map, s, e), 0);
            if (s < e)
                for (paddr_t pg = s / PAGE_SIZE; pg < (e + PAGE_SIZE - 1) / PAGE_SIZE; pg++)
                    page_ram[pg] = false;
        }

        /* Sorted, non-overlapping, RAM page aligned, no touching same-type neighbours. */
        memset(got, 0, sizeof(got));
        memset(got_ram, 0, sizeof(got_ram));
        for (unsigned int i = 0; i < map.nr; i++) {
            const struct memmap_region *r = &map.region[i];

            ck_assert(r->start < r->end && r->end <= NR_PAGES * PAGE_SIZE);
            if (i > 0) {
                ck_assert(map.region[i - 1].end <= r->start);
                ck_assert(
                    !(map.region[i - 1].end == r->start && map.region[i - 1].type == r->type));
            }
            if (r->type == MEMMAP_RAM) {
                ck_assert(r->start % PAGE_SIZE == 0 && r->end % PAGE_SIZE == 0);
                for (paddr_t pg = r->start / PAGE_SIZE; pg < r->end / PAGE_SIZE; pg++)
                    got_ram[pg] = true;
            } else {
                ck_assert_uint_eq(r->type, MEMMAP_RESERVED);
                ck_assert(r->start % GRAIN == 0 && r->end % GRAIN == 0);
                memset(got + r->start / GRAIN, 2, (r->end - r->start) / GRAIN);
            }
        }
        for (unsigned int g = 0; g < GRAINS; g++)
            ck_assert_msg((got[g] == 2) == (model[g] == 2), "round %d: grain %u reserved %d/%d",
                          round, g, got[g] == 2, model[g] == 2);
        for (unsigned int pg = 0; pg < NR_PAGES; pg++)
            ck_assert_msg(got_ram[pg] == page_ram[pg], "round %d page %u: map %d model %d", round,
                          pg, got_ram[pg], page_ram[pg]);
    }
}
END_TEST

static Suite *memmap_suite(void)
{
    Suite *s = suite_create("memmap");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_qemu_map);
    tcase_add_test(tc, test_unsorted);
    tcase_add_test(tc, test_overlapping_ram_merges);
    tcase_add_test(tc, test_reserved_wins);
    tcase_add_test(tc, test_reserved_types_merge_and_small_ram_dropped);
    tcase_add_test(tc, test_holes_not_merged);
    tcase_add_test(tc, test_top_of_address_space);
    tcase_add_test(tc, test_raw_table_full);
    tcase_add_test(tc, test_built_table_full);
    tcase_add_test(tc, test_multiboot_decode);
    tcase_add_test(tc, test_reserve_punches);
    tcase_add_test(tc, test_reserve_split_full);
    tcase_add_test(tc, test_random_against_model);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(memmap_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * test=ahci: the AHCI driver (pvguest/drivers/ahci.c) on a scratch disk, as dom0 on mica
 * and on Xen 4.17 (tests/system/t-ahci-*.sh): IDENTIFY, malformed requests refused, a
 * pattern written with several commands in flight, flushed, read back with other
 * segment layouts and compared; then throughput (sequential 128 KiB, random 4 KiB).
 *
 * With `ahci_ncq=0` the driver uses only non-queued commands (default: NCQ when offered).
 *
 * With `ahci_slow=1` (a disk that answers reads after 10 s): only a read that times out.
 *
 * With `ahci_errlba=N` on the command line (QEMU's blkdebug fails reads of sector N):
 * a read of N fails with the task-file error, the port recovers, the neighbours read
 * fine, and among concurrent reads exactly the one over N fails. With `ahci_errwrite=N`
 * (writes of sector N fail): the write over N fails, the next one succeeds.
 *
 * The pattern (AHCI_PATTERN_LBA .. + AHCI_PATTERN_SECTORS): byte i of sector s is
 * (s * 31 + i * 7 + (i >> 8)) & 0xff, except bytes 0-7, which hold s (little-endian);
 * the system test checks the image on the host with the same formula.
 *
 * Lines that carry times or counts the hypervisor influences start with
 * "pvguest: ahci: perf:" or "pvguest: ahci: stats:" so the comparison can skip them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/errno.h>

#include <arch/page.h>
#include <pvguest/ahci.h>
#include <pvguest/cmdline.h>
#include <pvguest/mm.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

#include "selftest.h"

#define AHCI_PATTERN_LBA     2048u
#define AHCI_PATTERN_SECTORS 512u /* 256 KiB */
#define SECTOR               512u
#define SECTORS_PER_PAGE     (PAGE_SIZE / SECTOR)
#define BUF_PAGES            (AHCI_PATTERN_SECTORS / SECTORS_PER_PAGE)

static int failures;

static const char *verdict(int ok)
{
    if (!ok)
        failures++;
    return ok ? "ok" : "FAILED";
}

/* Pages for the test: PFNs, so both the address and the machine address are at hand. */
static unsigned long wbuf[BUF_PAGES], rbuf[BUF_PAGES];

static uint8_t *page_va(unsigned long pfn)
{
    return pfn_to_virt(pfn);
}

static uint64_t page_maddr(unsigned long pfn)
{
    return (uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT;
}

static uint8_t pattern_byte(uint64_t lba, unsigned int i)
{
    if (i < 8)
        return (uint8_t)(lba >> (8 * i));
    return (uint8_t)(lba * 31 + i * 7 + (i >> 8));
}

/* ---- Requests in flight together ---- */

struct batch {
    struct wait_queue wq;
    unsigned int pending, failed;
};

static void batch_done(struct ahci_request *req, int status)
{
    struct batch *b = req->data;

    if (status)
        b->failed++;
    b->pending--;
    wake_up(&b->wq);
}

/*
 * Submit `n` requests of `op`, request k covering `per` sectors from lba + k * per with
 * one segment per page of `pages` (page k * per / 8 onwards); wait for all. Returns the
 * number that failed, or -1 if a submission was refused.
 */
static int run_batch(enum ahci_op op, uint64_t lba, unsigned int n, unsigned int per,
                     const unsigned long *pages, unsigned int npages)
{
    struct ahci_request *reqs = calloc(n, sizeof(*reqs));
    unsigned int pages_per = per / SECTORS_PER_PAGE;
    struct ahci_seg *segs = calloc((size_t)n * pages_per, sizeof(*segs));
    struct batch b = {WAIT_QUEUE_INIT, 0, 0};
    int refused = 0;

    if (!reqs || !segs) {
        free(reqs);
        free(segs);
        return -1;
    }
    for (unsigned int k = 0; k < n; k++) {
        struct ahci_seg *s = segs + (size_t)k * pages_per;

        for (unsigned int j = 0; j < pages_per; j++) {
            s[j].addr = page_maddr(pages[(k * pages_per + j) % npages]);
            s[j].len = PAGE_SIZE;
        }
        reqs[k] = (struct ahci_request){.op = op,
                                        .lba = lba + (uint64_t)k * per,
                                        .count = per,
                                        .nr_segs = pages_per,
                                        .segs = s,
                                        .done = batch_done,
                                        .data = &b};
        b.pending++;
        if (ahci_submit(&reqs[k]) < 0) {
            b.pending--;
            refused = 1;
        }
    }
    wait_event(b.wq, b.pending == 0);
    free(reqs);
    free(segs);
    return refused ? -1 : (int)b.failed;
}

static int compare_pattern(const unsigned long *pages, uint64_t lba, unsigned int sectors)
{
    unsigned int bad = 0;

    for (unsigned int s = 0; s < sectors; s++) {
        const uint8_t *p = page_va(pages[s / SECTORS_PER_PAGE]) + (s % SECTORS_PER_PAGE) * SECTOR;

        for (unsigned int i = 0; i < SECTOR; i++)
            if (p[i] != pattern_byte(lba + s, i)) {
                bad++;
                break;
            }
    }
    return (int)bad;
}

static long alloc_pages(unsigned long *pfns, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        long pfn = page_alloc();

        if (pfn < 0)
            return pfn;
        pfns[i] = (unsigned long)pfn;
    }
    return 0;
}

/* ---- Steps ---- */

static void test_refused(void)
{
    const struct ahci_info *in = ahci_info();
    struct ahci_seg seg = {page_maddr(rbuf[0]), SECTOR};
    struct ahci_seg odd = {page_maddr(rbuf[0]), 511};
    long rc1 = ahci_rw_sync(AHCI_OP_READ, in->sectors, 1, &seg, 1, NULL);
    long rc2 = ahci_rw_sync(AHCI_OP_READ, in->sectors - 1, 2, &seg, 1, NULL);
    long rc3 = ahci_rw_sync(AHCI_OP_READ, 0, 1, &odd, 1, NULL);
    long rc4 = ahci_rw_sync(AHCI_OP_READ, 0, 2, &seg, 1, NULL);
    long rc5 = ahci_rw_sync(AHCI_OP_READ, 0, 0, &seg, 1, NULL);

    printf("pvguest: ahci: refused: past the end %ld, across the end %ld, odd segment %ld, "
           "short segments %ld, zero count %ld (%s)\n",
           rc1, rc2, rc3, rc4, rc5,
           verdict(rc1 == -XEN_EINVAL && rc2 == -XEN_EINVAL && rc3 == -XEN_EINVAL &&
                   rc4 == -XEN_EINVAL && rc5 == -XEN_EINVAL));
}

static void test_pattern(void)
{
    /* Write: 8 requests of 64 sectors (8 one-page segments each), all at once. */
    for (unsigned int s = 0; s < AHCI_PATTERN_SECTORS; s++) {
        uint8_t *p = page_va(wbuf[s / SECTORS_PER_PAGE]) + (s % SECTORS_PER_PAGE) * SECTOR;

        for (unsigned int i = 0; i < SECTOR; i++)
            p[i] = pattern_byte(AHCI_PATTERN_LBA + s, i);
    }
    unsigned long before = ahci_stats.max_in_flight;
    int failed = run_batch(AHCI_OP_WRITE, AHCI_PATTERN_LBA, 8, 64, wbuf, BUF_PAGES);

    printf("pvguest: ahci: write %u sectors at LBA %u in 8 requests: %d failed (%s)\n",
           AHCI_PATTERN_SECTORS, AHCI_PATTERN_LBA, failed, verdict(failed == 0));
    int several = ahci_stats.max_in_flight > 1;

    (void)before;
    printf("pvguest: ahci: several commands in flight: %s (%s)\n", several ? "yes" : "no",
           verdict(several));
    long rc = ahci_rw_sync(AHCI_OP_FLUSH, 0, 0, NULL, 0, NULL);

    printf("pvguest: ahci: flush cache: %ld (%s)\n", rc, verdict(rc == 0));

    /* Read back: 16 requests of 32 sectors into other pages, then compare. */
    failed = run_batch(AHCI_OP_READ, AHCI_PATTERN_LBA, 16, 32, rbuf, BUF_PAGES);
    int bad = compare_pattern(rbuf, AHCI_PATTERN_LBA, AHCI_PATTERN_SECTORS);

    printf("pvguest: ahci: read back in 16 requests: %d failed, %d sectors differ (%s)\n", failed,
           bad, verdict(failed == 0 && bad == 0));

    /* Segments that do not start or end on pages: 3 sectors into 512 + 1024 bytes. */
    memset(page_va(rbuf[0]), 0, PAGE_SIZE);
    memset(page_va(rbuf[1]), 0, PAGE_SIZE);
    struct ahci_seg segs[2] = {{page_maddr(rbuf[0]) + 3584, 512},
                               {page_maddr(rbuf[1]) + 1024, 1024}};
    uint64_t lba = AHCI_PATTERN_LBA + 5;

    rc = ahci_rw_sync(AHCI_OP_READ, lba, 3, segs, 2, NULL);
    int same = rc == 0;
    for (unsigned int i = 0; i < SECTOR && same; i++)
        same = page_va(rbuf[0])[3584 + i] == pattern_byte(lba, i) &&
               page_va(rbuf[1])[1024 + i] == pattern_byte(lba + 1, i) &&
               page_va(rbuf[1])[1536 + i] == pattern_byte(lba + 2, i);
    printf("pvguest: ahci: read 3 sectors into 2 unaligned segments: %ld, data %s (%s)\n", rc,
           same ? "matches" : "DIFFERS", verdict(same));
}

static uint64_t rand_state = 88172645463325252ULL;

static uint64_t xorshift(void)
{
    rand_state ^= rand_state << 13;
    rand_state ^= rand_state >> 7;
    rand_state ^= rand_state << 17;
    return rand_state;
}

static void report_rate(const char *what, uint64_t bytes, unsigned int ios, uint64_t ns, int failed)
{
    uint64_t us = ns / NSEC_PER_USEC ? ns / NSEC_PER_USEC : 1;

    printf("pvguest: ahci: perf: %s: %" PRIu64 " KiB in %u requests, %" PRIu64 ".%03" PRIu64
           " ms: %" PRIu64 " KiB/s, %" PRIu64 " IOPS, %d failed\n",
           what, bytes / 1024, ios, us / 1000, us % 1000, bytes * 1000000 / 1024 / us,
           (uint64_t)ios * 1000000 / us, failed);
    verdict(failed == 0);
}

/* Throughput over LBA 8192 onwards: sequential 128 KiB requests, then random 4 KiB reads. */
static void test_perf(void)
{
    const uint64_t base = 8192;

    printf("pvguest: ahci: perf: NCQ %s\n", ahci_use_ncq && ahci_info()->ncq ? "on" : "off");
    uint64_t t0 = system_time_ns();
    int f = run_batch(AHCI_OP_WRITE, base, 32, 256, wbuf, BUF_PAGES);

    report_rate("sequential write 128 KiB", 32 * 128 * 1024, 32, system_time_ns() - t0, f);
    t0 = system_time_ns();
    f = run_batch(AHCI_OP_READ, base, 32, 256, rbuf, BUF_PAGES);
    report_rate("sequential read 128 KiB", 32 * 128 * 1024, 32, system_time_ns() - t0, f);

    /* Random 4 KiB reads within the first 4 MiB of the area, 32 at a time. */
    enum { N = 256, DEPTH = 32 };
    struct ahci_request reqs[DEPTH];
    struct ahci_seg segs[DEPTH];
    struct batch b = {WAIT_QUEUE_INIT, 0, 0};

    t0 = system_time_ns();
    for (unsigned int done = 0; done < N; done += DEPTH) {
        for (unsigned int k = 0; k < DEPTH; k++) {
            segs[k] = (struct ahci_seg){page_maddr(rbuf[k % BUF_PAGES]), PAGE_SIZE};
            reqs[k] = (struct ahci_request){.op = AHCI_OP_READ,
                                            .lba = base + (xorshift() % 1024) * 8,
                                            .count = 8,
                                            .nr_segs = 1,
                                            .segs = &segs[k],
                                            .done = batch_done,
                                            .data = &b};
            b.pending++;
            if (ahci_submit(&reqs[k]) < 0) {
                b.pending--;
                b.failed++;
            }
        }
        wait_event(b.wq, b.pending == 0);
    }
    report_rate("random read 4 KiB", (uint64_t)N * 4096, N, system_time_ns() - t0, (int)b.failed);
}

/*
 * A command that never completes in time: QEMU's null-co disk answers each read after 10 s
 * (latency-ns), beyond AHCI_TIMEOUT_NS. The read fails with -XEN_ETIMEDOUT at its deadline
 * and the port is recovered (stopped and started; COMRESET if the device stays busy).
 */
static void test_timeout(void)
{
    struct ahci_seg seg = {page_maddr(rbuf[0]), PAGE_SIZE};
    unsigned long rec = ahci_stats.recoveries;
    uint64_t t0 = system_time_ns();
    long rc = ahci_rw_sync(AHCI_OP_READ, 0, 8, &seg, 1, NULL);
    uint64_t took = system_time_ns() - t0;

    printf("pvguest: ahci: read on a disk that answers in 10 s: %ld after %s 5 s, port "
           "recovered %s (%s)\n",
           rc, took >= AHCI_TIMEOUT_NS ? "at least" : "LESS THAN",
           ahci_stats.recoveries > rec ? "yes" : "no",
           verdict(rc == -XEN_ETIMEDOUT && took >= AHCI_TIMEOUT_NS && ahci_stats.recoveries > rec));
}

/* Error injection on writes: QEMU fails writes of sector `bad` (blkdebug). */
static void test_write_error(uint64_t bad)
{
    struct ahci_seg seg = {page_maddr(wbuf[0]), PAGE_SIZE};
    uint32_t tfd = 0;
    long rc = ahci_rw_sync(AHCI_OP_WRITE, bad, 8, &seg, 1, &tfd);

    printf("pvguest: ahci: write of 8 sectors over LBA %" PRIu64 ": %ld, task file status %#x "
           "error %#x (%s)\n",
           bad, rc, tfd & 0xff, (tfd >> 8) & 0xff, verdict(rc == -XEN_EIO && (tfd & 1)));
    rc = ahci_rw_sync(AHCI_OP_WRITE, bad + 8, 8, &seg, 1, NULL);
    printf("pvguest: ahci: write after recovery at LBA %" PRIu64 ": %ld (%s)\n", bad + 8, rc,
           verdict(rc == 0));
}

/* Error injection: QEMU fails reads of sector `bad` (blkdebug). */
static void test_errors(uint64_t bad)
{
    struct ahci_seg seg = {page_maddr(rbuf[0]), PAGE_SIZE};
    uint32_t tfd = 0;
    unsigned long rec = ahci_stats.recoveries;
    long rc = ahci_rw_sync(AHCI_OP_READ, bad, 8, &seg, 1, &tfd);

    printf("pvguest: ahci: read of 8 sectors over LBA %" PRIu64 ": %ld, task file status %#x "
           "error %#x, port recovered %s (%s)\n",
           bad, rc, tfd & 0xff, (tfd >> 8) & 0xff, ahci_stats.recoveries > rec ? "yes" : "no",
           verdict(rc == -XEN_EIO && (tfd & 1) && ahci_stats.recoveries > rec));
    rc = ahci_rw_sync(AHCI_OP_READ, bad + 8, 8, &seg, 1, NULL);
    printf("pvguest: ahci: read after recovery at LBA %" PRIu64 ": %ld (%s)\n", bad + 8, rc,
           verdict(rc == 0));

    /* Four reads at once, the second over the bad sector: only it fails. */
    struct ahci_request reqs[4];
    struct ahci_seg segs[4];
    struct batch b = {WAIT_QUEUE_INIT, 0, 0};
    for (unsigned int k = 0; k < 4; k++) {
        segs[k] = (struct ahci_seg){page_maddr(rbuf[k]), PAGE_SIZE};
        reqs[k] = (struct ahci_request){.op = AHCI_OP_READ,
                                        .lba = bad - 8 + 8 * k,
                                        .count = 8,
                                        .nr_segs = 1,
                                        .segs = &segs[k],
                                        .done = batch_done,
                                        .data = &b};
        b.pending++;
        if (ahci_submit(&reqs[k]) < 0)
            b.pending--;
    }
    wait_event(b.wq, b.pending == 0);
    printf("pvguest: ahci: 4 concurrent reads, the 2nd over LBA %" PRIu64 ": statuses %d %d %d %d"
           " (%s)\n",
           bad, reqs[0].status, reqs[1].status, reqs[2].status, reqs[3].status,
           verdict(reqs[0].status == 0 && reqs[1].status == -XEN_EIO && reqs[2].status == 0 &&
                   reqs[3].status == 0));
}

int selftest_ahci(void)
{
    char value[32];

    if (cmdline_get("ahci_ncq", value, sizeof(value)) >= 0 && strcmp(value, "0") == 0)
        ahci_use_ncq = false;
    long rc = ahci_init();

    printf("pvguest: ahci: init: %ld (%s)\n", rc, verdict(rc == 0));
    if (rc < 0) {
        printf("pvguest: test ahci: FAILED\n");
        return 1;
    }
    const struct ahci_info *in = ahci_info();

    printf("pvguest: ahci: pci %02x:%02x.%u, %u command slots, disk on port %u\n", in->bdf >> 8,
           (in->bdf >> 3) & 0x1f, in->bdf & 7, in->slots, in->port);
    printf("pvguest: ahci: identify: model \"%s\", serial \"%s\", firmware \"%s\"\n", in->model,
           in->serial, in->firmware);
    printf("pvguest: ahci: identify: %" PRIu64 " sectors of %u bytes (%" PRIu64 " MiB), "
           "lba48 %s, flush ext %s, write cache %s, ncq %s (depth %u)\n",
           in->sectors, in->sector_size, in->sectors * in->sector_size >> 20,
           in->lba48 ? "yes" : "no", in->flush_ext ? "yes" : "no", in->write_cache ? "on" : "off",
           in->ncq ? "yes" : "no", in->ncq_depth);
    if (in->sector_size != SECTOR || in->sectors < 8192 + 32 * 256) {
        printf("pvguest: ahci: the test needs 512-byte sectors and 8 MiB (%s)\n", verdict(0));
        printf("pvguest: test ahci: FAILED\n");
        return 1;
    }
    if (alloc_pages(wbuf, BUF_PAGES) < 0 || alloc_pages(rbuf, BUF_PAGES) < 0) {
        printf("pvguest: ahci: out of pages (%s)\n", verdict(0));
        return 1;
    }
    if (cmdline_get("ahci_slow", value, sizeof(value)) >= 0) {
        test_timeout();
        goto out;
    }
    test_refused();
    test_pattern();
    bool injected = false;

    if (cmdline_get("ahci_errlba", value, sizeof(value)) >= 0) {
        test_errors(strtoull(value, NULL, 0));
        injected = true;
    }
    if (cmdline_get("ahci_errwrite", value, sizeof(value)) >= 0) {
        test_write_error(strtoull(value, NULL, 0));
        injected = true;
    }
    if (!injected)
        test_perf();
out:
    printf("pvguest: ahci: stats: %lu interrupts, %lu completed, %lu errors, %lu timeouts, "
           "%lu recoveries (%lu COMRESET), %lu retried, at most %lu in flight\n",
           ahci_stats.interrupts, ahci_stats.completed, ahci_stats.errors, ahci_stats.timeouts,
           ahci_stats.recoveries, ahci_stats.comresets, ahci_stats.retried,
           ahci_stats.max_in_flight);
    /* The pattern stays on the disk for the host to check. */
    if (cmdline_get("ahci_slow", value, sizeof(value)) < 0) {
        rc = ahci_rw_sync(AHCI_OP_FLUSH, 0, 0, NULL, 0, NULL);
        printf("pvguest: ahci: final flush: %ld (%s)\n", rc, verdict(rc == 0));
    }
    if (failures == 0)
        printf("pvguest: test ahci: passed\n");
    else
        printf("pvguest: test ahci: FAILED (%d)\n", failures);
    return failures == 0 ? 0 : 1;
}

/*
 * selftest_netif.c — the netif self-tests (issue 11; docs/pvguest.md "Network"):
 *
 *   test=netback            the driver domain: serve every vif until its frontend closes
 *   test=netfront           a guest: exchange raw Ethernet frames with the guest whose MAC
 *                           is `peer=MAC` through the bridge (`count=N` data frames each way,
 *                           default 300); every frame it receives must be for its own MAC or
 *                           broadcast, every data frame from the peer must arrive intact
 *   test=netfront-hostile   a guest: no RX buffers posted, each malformed TX kind (each must
 *                           be answered NETIF_RSP_ERROR), `bflood=N` broadcasts (default
 *                           5000), `flood=N` frames (default 20000) to an unknown unicast
 *                           address (`flood_s=S`: first a mixed flood for S seconds), and
 *                           last a TX req_prod far past the ring
 *
 * Frames use the IEEE 802 local experimental EtherType 0x88b5: kind (1 hello, 2 data,
 * 3 done, 4 stray) at byte 14, a flag at 15, a big-endian sequence number at 16, then a
 * pattern derived from the sequence number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvguest/cmdline.h>
#include <pvguest/netback.h>
#include <pvguest/netfront.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

#include "selftest.h"

#define ETHERTYPE_TEST 0x88b5
#define KIND_HELLO     1
#define KIND_DATA      2
#define KIND_DONE      3
#define KIND_STRAY     4
#define HDR            20
#define MS             1000000ULL

static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t nobody[6] = {0x00, 0x16, 0x3e, 0x00, 0x00, 0x99}; /* no such vif */

struct peer_state {
    uint8_t me[6], peer[6];
    unsigned int count;
    bool peer_seen, peer_sees_me, peer_done;
    unsigned long data_ok, data_bad, data_dup, foreign, broadcasts, others, from_others;
    uint8_t *got; /* per data sequence number */
};

static uint32_t data_len(uint32_t seq)
{
    if (seq % 10 == 9)
        return 6000 + seq % 7; /* several slots each way */
    return HDR + (seq * 97u) % 1495u;
}

static uint8_t pattern(uint32_t seq, uint32_t j)
{
    return (uint8_t)(seq * 7u + j * 13u + (j >> 8));
}

static void build(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint8_t kind,
                  uint8_t flag, uint32_t seq, uint32_t len)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = ETHERTYPE_TEST >> 8;
    f[13] = ETHERTYPE_TEST & 0xff;
    f[14] = kind;
    f[15] = flag;
    f[16] = (uint8_t)(seq >> 24);
    f[17] = (uint8_t)(seq >> 16);
    f[18] = (uint8_t)(seq >> 8);
    f[19] = (uint8_t)seq;
    for (uint32_t j = HDR; j < len; j++)
        f[j] = pattern(seq, j);
}

static void on_frame(void *arg, const uint8_t *f, uint32_t len)
{
    struct peer_state *s = arg;
    uint32_t seq;

    if (len < 14)
        return;
    if (memcmp(f, s->me, 6) != 0 && memcmp(f, broadcast, 6) != 0) {
        s->foreign++; /* meant for someone else: must never happen */
        return;
    }
    if (memcmp(f, broadcast, 6) == 0)
        s->broadcasts++;
    if (len < HDR || ((f[12] << 8) | f[13]) != ETHERTYPE_TEST) {
        s->others++;
        return;
    }
    if (memcmp(f + 6, s->peer, 6) != 0) {
        s->from_others++;
        return;
    }
    seq = (uint32_t)f[16] << 24 | (uint32_t)f[17] << 16 | (uint32_t)f[18] << 8 | f[19];
    switch (f[14]) {
    case KIND_HELLO:
        s->peer_seen = true;
        if (f[15])
            s->peer_sees_me = true;
        break;
    case KIND_DONE:
        s->peer_done = true;
        break;
    case KIND_DATA: {
        bool ok = seq < s->count && len == data_len(seq);

        for (uint32_t j = HDR; ok && j < len; j++)
            ok = f[j] == pattern(seq, j);
        if (!ok)
            s->data_bad++;
        else if (s->got[seq]++)
            s->data_dup++;
        else
            s->data_ok++;
        break;
    }
    default:
        s->others++;
    }
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned int b[6];

    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return 0;
}

static unsigned long arg_ul(const char *key, unsigned long dflt)
{
    char buf[24];

    return cmdline_get(key, buf, sizeof(buf)) > 0 ? strtoul(buf, NULL, 0) : dflt;
}

static int send(struct netfront *nf, uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
                uint8_t kind, uint8_t flag, uint32_t seq, uint32_t len, uint32_t slot_bytes)
{
    build(buf, dst, src, kind, flag, seq, len);
    return netfront_xmit(nf, buf, len, slot_bytes);
}

static int selftest_netfront(void)
{
    static struct peer_state s;
    char buf[32];
    uint8_t *frame = malloc(8192);
    struct netfront *nf;
    uint64_t deadline;
    int errors = 0;

    if (cmdline_get("peer", buf, sizeof(buf)) <= 0 || parse_mac(buf, s.peer) < 0) {
        printf("pvguest: test netfront: peer=MAC needed (FAILED)\n");
        return 1;
    }
    s.count = (unsigned int)arg_ul("count", 300);
    s.got = calloc(s.count + 1, 1);
    nf = netfront_open(0, NETFRONT_RING_SLOTS, on_frame, &s, 10000 * MS);
    if (!nf || !frame || !s.got) {
        printf("pvguest: test netfront: no vif (FAILED)\n");
        return 1;
    }
    memcpy(s.me, netfront_info(nf)->mac, 6);

    /* Hello until each side knows the other hears it. */
    deadline = system_time_ns() + 30000 * MS;
    while (!(s.peer_seen && s.peer_sees_me) && system_time_ns() < deadline) {
        errors += send(nf, frame, broadcast, s.me, KIND_HELLO, s.peer_seen, 0, 60, 0) != 0;
        sleep_ns(20 * MS);
    }
    if (!(s.peer_seen && s.peer_sees_me)) {
        printf("pvguest: test netfront: no hello from the peer (FAILED)\n");
        return 1;
    }
    for (int i = 0; i < 3; i++)
        errors += send(nf, frame, broadcast, s.me, KIND_HELLO, 1, 0, 60, 0) != 0;
    printf("pvguest: test netfront: peer %02x:%02x:%02x:%02x:%02x:%02x answers\n", s.peer[0],
           s.peer[1], s.peer[2], s.peer[3], s.peer[4], s.peer[5]);

    /* Data to the peer (every tenth frame 6000 bytes in slots of 2 KiB), and strays to an
       address no vif has, which no guest may receive. */
    for (uint32_t seq = 0; seq < s.count; seq++) {
        uint32_t len = data_len(seq);

        errors += send(nf, frame, s.peer, s.me, KIND_DATA, 0, seq, len, len > 4096 ? 2048 : 0) != 0;
        if (seq % 16 == 0)
            errors += send(nf, frame, nobody, s.me, KIND_STRAY, 0, seq, 100, 0) != 0;
        if (seq % 8 == 7)
            sleep_ns(2 * MS); /* the peer re-posts its buffers meanwhile */
    }
    deadline = system_time_ns() + 20000 * MS;
    while (s.data_ok + s.data_bad < s.count && system_time_ns() < deadline)
        sleep_ns(10 * MS);
    deadline = system_time_ns() + 5000 * MS;
    while (!s.peer_done && system_time_ns() < deadline) {
        errors += send(nf, frame, broadcast, s.me, KIND_DONE, 0, 0, 60, 0) != 0;
        sleep_ns(20 * MS);
    }
    for (int i = 0; i < 5; i++) {
        errors += send(nf, frame, broadcast, s.me, KIND_DONE, 0, 0, 60, 0) != 0;
        sleep_ns(10 * MS);
    }
    sleep_ns(50 * MS);

    const struct netfront_info *in = netfront_info(nf);
    bool pass = s.data_ok == s.count && s.data_bad == 0 && s.data_dup == 0 && s.foreign == 0 &&
                errors == 0 && in->tx_errors == 0;
    printf("pvguest: test netfront: data from the peer %lu/%u (bad %lu, duplicates %lu), "
           "broadcasts %lu, frames for other MACs %lu, other frames %lu (from others %lu), "
           "send errors %d, peer done %s\n",
           s.data_ok, s.count, s.data_bad, s.data_dup, s.broadcasts, s.foreign, s.others,
           s.from_others, errors, s.peer_done ? "yes" : "no");
    printf("pvguest: test netfront: tx packets %lu (slots %lu, errors %lu, waits %lu), rx "
           "packets %lu (bytes %lu, errors %lu), events %lu, notifications %lu\n",
           in->tx_packets, in->tx_slots, in->tx_errors, in->tx_waits, in->rx_packets, in->rx_bytes,
           in->rx_errors, in->events, in->notifies);
    printf("pvguest: test netfront: %s\n", pass ? "passed" : "FAILED");
    netfront_close(nf);
    sleep_ns(20 * MS);
    return pass ? 0 : 1;
}

/* One malformed kind: @n raw requests, each must be answered @expect. */
static int hostile_case(struct netfront *nf, const char *what, struct netif_tx_request *r,
                        unsigned int n, int16_t expect)
{
    int16_t status[64];
    int rc = netfront_raw_tx(nf, r, n, status);
    unsigned int bad = 0;

    for (unsigned int i = 0; i < n && rc == 0; i++)
        bad += status[i] != expect;
    printf("pvguest: test netfront-hostile: %s: %u slot(s), status %d%s (%s)\n", what, n,
           rc ? rc : status[0], bad ? ", others differ" : "",
           rc == 0 && bad == 0 ? "ok" : "FAILED");
    return rc == 0 && bad == 0 ? 0 : 1;
}

static int selftest_netfront_hostile(void)
{
    struct netfront *nf = netfront_open(0, 0, NULL, NULL, 10000 * MS);
    struct netif_tx_request r[64];
    uint8_t *frame = malloc(2048);
    unsigned long flood = arg_ul("flood", 20000);
    int failures = 0, errors = 0;
    grant_ref_t g;

    if (!nf || !frame) {
        printf("pvguest: test netfront-hostile: no vif (FAILED)\n");
        return 1;
    }
    g = netfront_tx_gref(nf, 200);
    memset(r, 0, sizeof(r));
#define REQ(i, off, sz, fl)                                                                        \
    (r[i] = (struct netif_tx_request){.gref = g, .offset = (off), .size = (sz), .flags = (fl)})
    REQ(0, 4000, 200, 0);
    failures += hostile_case(nf, "slot crosses a page", r, 1, NETIF_RSP_ERROR);
    REQ(0, 0, 100, NETTXF_more_data);
    REQ(1, 4095, 2, 0);
    failures += hostile_case(nf, "fragment crosses a page", r, 2, NETIF_RSP_ERROR);
    REQ(0, 0, 10, 0);
    failures += hostile_case(nf, "shorter than a header", r, 1, NETIF_RSP_ERROR);
    REQ(0, 0, 65535, NETTXF_more_data);
    for (int i = 1; i < 18; i++)
        REQ(i, 0, 4096, i < 17 ? NETTXF_more_data : 0);
    failures += hostile_case(nf, "over 64 KiB", r, 18, NETIF_RSP_ERROR);
    REQ(0, 0, 19 * 60, NETTXF_more_data);
    for (int i = 1; i < 19; i++)
        REQ(i, 0, 60, i < 18 ? NETTXF_more_data : 0);
    failures += hostile_case(nf, "too many slots (19)", r, 19, NETIF_RSP_ERROR);
    REQ(0, 0, 100, NETTXF_more_data);
    REQ(1, 0, 200, 0);
    failures += hostile_case(nf, "fragments exceed the size", r, 2, NETIF_RSP_ERROR);
    REQ(0, 0, 60, 0);
    r[0].gref = 4000; /* never granted */
    failures += hostile_case(nf, "bad grant", r, 1, NETIF_RSP_ERROR);
    REQ(0, 0, 60, NETTXF_more_data);
    REQ(1, 0, 60, 0);
    r[1].gref = 3999;
    failures += hostile_case(nf, "bad grant in a fragment", r, 2, NETIF_RSP_ERROR);
    REQ(0, 0, 60, NETTXF_extra_info);
    failures += hostile_case(nf, "extra info", r, 1, NETIF_RSP_ERROR);
    /* Well formed (zeros: the bridge drops its null source, but the slot is fine). */
    REQ(0, 0, 60, 0);
    failures += hostile_case(nf, "well formed", r, 1, NETIF_RSP_OKAY);
#undef REQ

    /* `flood_s=S`: keep flooding (broadcasts and unknown unicast, half each) for S seconds,
       so that it overlaps what the other guests do (t-netback-echo). */
    unsigned long flood_s = arg_ul("flood_s", 0);
    if (flood_s) {
        uint64_t end = system_time_ns() + flood_s * 1000000000ULL;
        unsigned long sent = 0;

        while (system_time_ns() < end) {
            build(frame, (sent & 1) ? nobody : broadcast, netfront_info(nf)->mac, KIND_STRAY, 0,
                  (uint32_t)sent, 200);
            errors += netfront_xmit(nf, frame, 200, 0) != 0;
            if (++sent % 64 == 0)
                thread_yield();
        }
        printf("pvguest: test netfront-hostile: flooded %lu frames for %lu s, send errors %d\n",
               sent, flood_s, errors);
    }

    /* A broadcast flood: storm control passes about BRIDGE_STORM_RATE per second to the
       others. */
    unsigned long bflood = arg_ul("bflood", 5000);
    build(frame, broadcast, netfront_info(nf)->mac, KIND_STRAY, 0, 0, 200);
    for (unsigned long i = 0; i < bflood; i++)
        errors += netfront_xmit(nf, frame, 200, 0) != 0;
    printf("pvguest: test netfront-hostile: broadcast flood of %lu frames, send errors %d\n",
           bflood, errors);

    /* A flood to an address nobody has, as fast as the ring goes. */
    uint64_t t0 = system_time_ns();
    build(frame, nobody, netfront_info(nf)->mac, KIND_STRAY, 0, 0, 1000);
    for (unsigned long i = 0; i < flood; i++)
        errors += netfront_xmit(nf, frame, 1000, 0) != 0;
    uint64_t ms = (system_time_ns() - t0) / MS;
    const struct netfront_info *in = netfront_info(nf);
    printf("pvguest: test netfront-hostile: flood of %lu frames in %llu ms, send errors %d, "
           "tx errors %lu, rx packets %lu\n",
           flood, (unsigned long long)ms, errors, in->tx_errors, in->rx_packets);
    sleep_ns(200 * MS);
    /* Last, a broken ring: req_prod far past the ring. netback stops serving this vif only. */
    printf("pvguest: test netfront-hostile: TX req_prod moved 1000 past the ring\n");
    fflush(stdout);
    netfront_raw_break_ring(nf);
    sleep_ns(200 * MS);
    failures += errors != 0;
    printf("pvguest: test netfront-hostile: %s\n", failures ? "FAILED" : "passed");
    netfront_close(nf);
    sleep_ns(20 * MS);
    return failures ? 1 : 0;
}

int selftest_netif(const char *name)
{
    if (strcmp(name, "netback") == 0)
        return netback_selftest();
    if (strcmp(name, "netfront") == 0)
        return selftest_netfront();
    if (strcmp(name, "netfront-hostile") == 0)
        return selftest_netfront_hostile();
    if (strcmp(name, "netback-net") == 0)
        return netback_net_selftest();
    if (strcmp(name, "netfront-net") == 0)
        return netfront_net_selftest();
    return -1;
}

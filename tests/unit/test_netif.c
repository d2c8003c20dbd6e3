/*
 * test_netif — host unit tests (Check) for the netback bridge's portable parts (issue 11):
 * TX packet validation (pvguest/backends/netif_check.c: every malformed kind netback must
 * answer NETIF_RSP_ERROR, multi-slot packets up to XEN_NETIF_NR_SLOTS_MIN, the cut of an
 * endless chain) and the forwarding table (pvguest/backends/bridge_table.c: fixed guest MACs,
 * learning, ageing, flooding, spoofing, storm control).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <pvguest/bridge_table.h>
#include <pvguest/netif_check.h>

static struct netif_tx_request txreq(uint16_t id, uint16_t offset, uint16_t size, uint16_t flags)
{
    struct netif_tx_request r = {
        .gref = 100u + id, .offset = offset, .flags = flags, .id = id, .size = size};
    return r;
}

/* Feed @n requests; returns after the one that completes the packet (checks it is the last). */
static void feed(struct netif_tx_packet *p, const struct netif_tx_request *r, unsigned int n)
{
    netif_tx_packet_init(p);
    for (unsigned int i = 0; i < n; i++)
        ck_assert_int_eq(netif_tx_packet_add(p, &r[i]), i == n - 1);
}

START_TEST(test_single_slot)
{
    struct netif_tx_packet p;
    struct netif_tx_request r = txreq(7, 100, 1514, 0);

    feed(&p, &r, 1);
    ck_assert_int_eq(p.error, NETIF_CHECK_OK);
    ck_assert_uint_eq(p.nr_slots, 1);
    ck_assert_uint_eq(p.len, 1514);
    ck_assert_uint_eq(p.seg[0].len, 1514);
    ck_assert_uint_eq(p.seg[0].offset, 100);
    ck_assert_uint_eq(p.seg[0].gref, 107);
    ck_assert_uint_eq(p.ids[0], 7);
    /* The whole page, exactly. */
    r = txreq(1, 0, 4096, 0);
    feed(&p, &r, 1);
    ck_assert_int_eq(p.error, NETIF_CHECK_OK);
    r = txreq(1, 4096 - 14, 14, 0);
    feed(&p, &r, 1);
    ck_assert_int_eq(p.error, NETIF_CHECK_OK);
}
END_TEST

START_TEST(test_multi_slot)
{
    struct netif_tx_packet p;
    struct netif_tx_request r[XEN_NETIF_NR_SLOTS_MIN];
    unsigned int n = XEN_NETIF_NR_SLOTS_MIN;

    /* 3 slots: 1000 = 600 (first) + 300 + 100. */
    r[0] = txreq(0, 3000, 1000, NETTXF_more_data);
    r[1] = txreq(1, 0, 300, NETTXF_more_data);
    r[2] = txreq(2, 4000, 96, 0);
    feed(&p, r, 3);
    ck_assert_int_eq(p.error, NETIF_CHECK_OK);
    ck_assert_uint_eq(p.seg[0].len, 1000 - 396);
    ck_assert_uint_eq(p.seg[2].len, 96);
    ck_assert_uint_eq(p.ids[2], 2);
    /* The most slots: 18, about 64 KiB. */
    r[0] = txreq(0, 0, 65535, NETTXF_more_data);
    for (unsigned int i = 1; i < n; i++)
        r[i] = txreq((uint16_t)i, 0, 3855, i + 1 < n ? NETTXF_more_data : 0);
    feed(&p, r, n);
    ck_assert_int_eq(p.error, NETIF_CHECK_OK);
    ck_assert_uint_eq(p.seg[0].len, 65535 - 17 * 3855);
}
END_TEST

START_TEST(test_crosses_page)
{
    struct netif_tx_packet p;
    struct netif_tx_request r[2];

    r[0] = txreq(0, 4000, 200, 0);
    feed(&p, r, 1);
    ck_assert_int_eq(p.error, NETIF_CHECK_CROSSES_PAGE);
    /* A fragment past its page. */
    r[0] = txreq(0, 0, 1000, NETTXF_more_data);
    r[1] = txreq(1, 4095, 2, 0);
    feed(&p, r, 2);
    ck_assert_int_eq(p.error, NETIF_CHECK_CROSSES_PAGE);
    /* The first slot's own part past its page (size minus fragments). */
    r[0] = txreq(0, 4000, 300, NETTXF_more_data);
    r[1] = txreq(1, 0, 100, 0);
    feed(&p, r, 2);
    ck_assert_int_eq(p.error, NETIF_CHECK_CROSSES_PAGE);
    r[1] = txreq(1, 0, 250, 0);
    feed(&p, r, 2);
    ck_assert_int_eq(p.error, NETIF_CHECK_OK);
    /* A single slot over a page: size 65535 at offset 0. */
    r[0] = txreq(0, 0, 65535, 0);
    feed(&p, r, 1);
    ck_assert_int_eq(p.error, NETIF_CHECK_CROSSES_PAGE);
}
END_TEST

START_TEST(test_sizes)
{
    struct netif_tx_packet p;
    struct netif_tx_request r[XEN_NETIF_NR_SLOTS_MIN];
    unsigned int n = XEN_NETIF_NR_SLOTS_MIN;

    r[0] = txreq(0, 0, 13, 0);
    feed(&p, r, 1);
    ck_assert_int_eq(p.error, NETIF_CHECK_TOO_SHORT);
    r[0] = txreq(0, 0, 0, 0);
    feed(&p, r, 1);
    ck_assert_int_eq(p.error, NETIF_CHECK_TOO_SHORT);
    /* Fragments adding up to more than the first size. */
    r[0] = txreq(0, 0, 100, NETTXF_more_data);
    r[1] = txreq(1, 0, 101, 0);
    feed(&p, r, 2);
    ck_assert_int_eq(p.error, NETIF_CHECK_FRAGS_EXCEED);
    /* An empty fragment. */
    r[1] = txreq(1, 0, 0, 0);
    feed(&p, r, 2);
    ck_assert_int_eq(p.error, NETIF_CHECK_TOO_SHORT);
    /* Over 64 KiB: 17 full pages after the first. */
    r[0] = txreq(0, 0, 65535, NETTXF_more_data);
    for (unsigned int i = 1; i < n; i++)
        r[i] = txreq((uint16_t)i, 0, 4096, i + 1 < n ? NETTXF_more_data : 0);
    feed(&p, r, n);
    ck_assert_int_eq(p.error, NETIF_CHECK_TOO_LONG);
    /* Extra info is not offered. */
    r[0] = txreq(0, 0, 60, NETTXF_extra_info);
    feed(&p, r, 1);
    ck_assert_int_eq(p.error, NETIF_CHECK_EXTRA_INFO);
    ck_assert_str_eq(netif_check_error_name(NETIF_CHECK_CROSSES_PAGE), "slot crosses a page");
    ck_assert_str_eq(netif_check_error_name(NETIF_CHECK_NR_ERRORS), "?");
}
END_TEST

START_TEST(test_too_many_slots)
{
    struct netif_tx_packet p;
    struct netif_tx_request r[NETIF_CHECK_CUT_SLOTS + 1];
    unsigned int n = XEN_NETIF_NR_SLOTS_MIN + 1;

    r[0] = txreq(0, 0, 2000, NETTXF_more_data);
    for (unsigned int i = 1; i < n; i++)
        r[i] = txreq((uint16_t)i, 0, 10, i + 1 < n ? NETTXF_more_data : 0);
    feed(&p, r, n);
    ck_assert_int_eq(p.error, NETIF_CHECK_TOO_MANY_SLOTS);
    ck_assert_uint_eq(p.nr_slots, n);
    ck_assert_uint_eq(p.ids[n - 1], n - 1);
    /* An endless chain is cut at NETIF_CHECK_CUT_SLOTS; each slot keeps its id. */
    for (unsigned int i = 0; i <= NETIF_CHECK_CUT_SLOTS; i++)
        r[i] = txreq((uint16_t)i, 0, 20, NETTXF_more_data);
    feed(&p, r, NETIF_CHECK_CUT_SLOTS);
    ck_assert_int_eq(p.error, NETIF_CHECK_TOO_MANY_SLOTS);
    ck_assert_uint_eq(p.nr_slots, NETIF_CHECK_CUT_SLOTS);
    ck_assert_uint_eq(p.ids[NETIF_CHECK_CUT_SLOTS - 1], NETIF_CHECK_CUT_SLOTS - 1);
    /* The next slot starts a packet of its own. */
    feed(&p, &r[NETIF_CHECK_CUT_SLOTS], 0);
    ck_assert_int_eq(netif_tx_packet_add(&p, &r[NETIF_CHECK_CUT_SLOTS]), false);
}
END_TEST

START_TEST(test_rx_slots)
{
    ck_assert_uint_eq(netif_rx_slots(0), 1);
    ck_assert_uint_eq(netif_rx_slots(60), 1);
    ck_assert_uint_eq(netif_rx_slots(4096), 1);
    ck_assert_uint_eq(netif_rx_slots(4097), 2);
    ck_assert_uint_eq(netif_rx_slots(65535), 16);
}
END_TEST

static const uint8_t mac_a[6] = {0x00, 0x16, 0x3e, 0, 0, 0x0a};
static const uint8_t mac_b[6] = {0x00, 0x16, 0x3e, 0, 0, 0x0b};
static const uint8_t mac_x[6] = {0x52, 0x55, 0x0a, 0, 2, 2}; /* QEMU's gateway */
static const uint8_t mac_y[6] = {0x52, 0x55, 0x0a, 0, 2, 3};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};

/* Ports: 0 guest A, 1 guest B, 2 the driver domain's own interface, 3 the e1000. */
static void setup(struct bridge_table *t)
{
    static const uint8_t own[6] = {0x00, 0x16, 0x3e, 0, 0, 0x01};

    bridge_table_init(t, 4, 1000);
    ck_assert_int_eq(bridge_table_set_fixed(t, 0, mac_a), 0);
    ck_assert_int_eq(bridge_table_set_fixed(t, 1, mac_b), 0);
    ck_assert_int_eq(bridge_table_set_fixed(t, 2, own), 0);
}

START_TEST(test_bridge_fixed)
{
    struct bridge_table t;
    uint32_t m;

    setup(&t);
    ck_assert_int_eq(bridge_table_set_fixed(&t, 3, mac_a), -1); /* taken by port 0 */
    ck_assert_int_eq(bridge_table_set_fixed(&t, 3, bcast), -1);
    ck_assert_int_eq(bridge_table_set_fixed(&t, 4, mac_y), -1);
    /* A -> B: only B. */
    ck_assert_int_eq(bridge_decide(&t, 0, mac_b, mac_a, 0, &m), BRIDGE_FORWARD);
    ck_assert_uint_eq(m, 1u << 1);
    /* Broadcast and multicast: everyone else. */
    ck_assert_int_eq(bridge_decide(&t, 0, bcast, mac_a, 0, &m), BRIDGE_FORWARD);
    ck_assert_uint_eq(m, 0xeu);
    ck_assert_int_eq(bridge_decide(&t, 3, mcast, mac_x, 0, &m), BRIDGE_FORWARD);
    ck_assert_uint_eq(m, 0x7u);
    /* Unknown unicast from a guest: only the ports without a fixed MAC (the e1000). */
    ck_assert_int_eq(bridge_decide(&t, 0, mac_y, mac_a, 0, &m), BRIDGE_FORWARD);
    ck_assert_uint_eq(m, 1u << 3);
    /* Unknown unicast from the e1000: nowhere (no guest gets another's frames). */
    ck_assert_int_eq(bridge_decide(&t, 3, mac_y, mac_x, 0, &m), BRIDGE_FORWARD);
    ck_assert_uint_eq(m, 0);
    /* To oneself. */
    ck_assert_int_eq(bridge_decide(&t, 0, mac_a, mac_a, 0, &m), BRIDGE_DROP_LOCAL);
    ck_assert_uint_eq(m, 0);
    ck_assert_int_eq(bridge_decide(&t, 9, mac_a, mac_b, 0, &m), BRIDGE_DROP_BAD_PORT);
}
END_TEST

START_TEST(test_bridge_spoof)
{
    struct bridge_table t;
    uint32_t m;

    setup(&t);
    /* Guest A claiming B's address, or anyone's, is dropped. */
    ck_assert_int_eq(bridge_decide(&t, 0, bcast, mac_b, 0, &m), BRIDGE_DROP_SPOOFED);
    ck_assert_uint_eq(m, 0);
    ck_assert_int_eq(bridge_decide(&t, 0, mac_x, mac_y, 0, &m), BRIDGE_DROP_SPOOFED);
    ck_assert_int_eq(bridge_decide(&t, 3, mac_a, bcast, 0, &m), BRIDGE_DROP_SPOOFED);
    /* The outside claiming a guest's address neither moves it nor is learned. */
    ck_assert_int_eq(bridge_decide(&t, 3, mac_y, mac_a, 0, &m), BRIDGE_FORWARD);
    ck_assert_int_eq(bridge_table_lookup(&t, mac_a, 0), 0);
    ck_assert_uint_eq(t.learned, 0);
}
END_TEST

START_TEST(test_bridge_learn_age)
{
    struct bridge_table t;
    uint32_t m;

    setup(&t);
    ck_assert_int_eq(bridge_table_lookup(&t, mac_x, 0), -1);
    ck_assert_int_eq(bridge_decide(&t, 3, mac_a, mac_x, 10, &m), BRIDGE_FORWARD);
    ck_assert_uint_eq(m, 1u << 0);
    ck_assert_int_eq(bridge_table_lookup(&t, mac_x, 10), 3);
    ck_assert_uint_eq(t.learned, 1);
    /* A guest's reply to it goes to the e1000 only. */
    ck_assert_int_eq(bridge_decide(&t, 1, mac_x, mac_b, 20, &m), BRIDGE_FORWARD);
    ck_assert_uint_eq(m, 1u << 3);
    /* From the e1000 to its own learned address: dropped. */
    ck_assert_int_eq(bridge_decide(&t, 3, mac_x, mac_y, 30, &m), BRIDGE_DROP_LOCAL);
    /* Ageing: 1000 ns after its last frame it is unknown again. */
    ck_assert_int_eq(bridge_table_lookup(&t, mac_x, 1009), 3);
    ck_assert_int_eq(bridge_table_lookup(&t, mac_x, 1010), -1);
    /* Flush by port. */
    ck_assert_int_eq(bridge_decide(&t, 3, bcast, mac_x, 2000, &m), BRIDGE_FORWARD);
    ck_assert_int_eq(bridge_table_lookup(&t, mac_x, 2000), 3);
    bridge_table_flush_port(&t, 3);
    ck_assert_int_eq(bridge_table_lookup(&t, mac_x, 2000), -1);
}
END_TEST

START_TEST(test_bridge_full)
{
    struct bridge_table t;
    uint32_t m;
    uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0};

    bridge_table_init(&t, 3, 1000000);
    /* Fill the table from ports 1 and 2, then one more: the oldest goes. */
    for (unsigned int i = 0; i <= BRIDGE_ENTRIES; i++) {
        mac[5] = (uint8_t)i;
        ck_assert_int_eq(bridge_decide(&t, 1 + (i & 1), bcast, mac, 100 + i, &m), BRIDGE_FORWARD);
    }
    ck_assert_uint_eq(t.learned, BRIDGE_ENTRIES + 1);
    ck_assert_uint_eq(t.replaced, 1);
    mac[5] = 0;
    ck_assert_int_eq(bridge_table_lookup(&t, mac, 200), -1);
    mac[5] = 1;
    ck_assert_int_eq(bridge_table_lookup(&t, mac, 200), 2);
    mac[5] = BRIDGE_ENTRIES;
    ck_assert_int_eq(bridge_table_lookup(&t, mac, 200), 1);
    /* A station moving port. */
    ck_assert_int_eq(bridge_decide(&t, 2, bcast, mac, 300, &m), BRIDGE_FORWARD);
    ck_assert_int_eq(bridge_table_lookup(&t, mac, 300), 2);
    ck_assert_uint_eq(t.moved, 1);
}
END_TEST

START_TEST(test_bridge_rate)
{
    struct bridge_rate r;
    unsigned int n = 0;

    /* 1000 frames/s, burst 200: 200 at once, then one per ms. */
    bridge_rate_init(&r, 1000, 200, 5000);
    while (bridge_rate_allow(&r, 5000))
        n++;
    ck_assert_uint_eq(n, 200);
    ck_assert_uint_eq(r.dropped, 1);
    ck_assert_int_eq(bridge_rate_allow(&r, 5000 + 999999), false);
    ck_assert_int_eq(bridge_rate_allow(&r, 5000 + 1000000), true);
    ck_assert_int_eq(bridge_rate_allow(&r, 5000 + 1000000), false);
    /* A long quiet period refills to the burst only. */
    n = 0;
    while (bridge_rate_allow(&r, 100000000000ULL))
        n++;
    ck_assert_uint_eq(n, 200);
    /* Time going backwards adds nothing. */
    ck_assert_int_eq(bridge_rate_allow(&r, 1000), false);
    ck_assert_uint_eq(r.passed, 401);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("netif");
    TCase *tc = tcase_create("netif");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_single_slot);
    tcase_add_test(tc, test_multi_slot);
    tcase_add_test(tc, test_crosses_page);
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_too_many_slots);
    tcase_add_test(tc, test_rx_slots);
    tcase_add_test(tc, test_bridge_fixed);
    tcase_add_test(tc, test_bridge_spoof);
    tcase_add_test(tc, test_bridge_learn_age);
    tcase_add_test(tc, test_bridge_full);
    tcase_add_test(tc, test_bridge_rate);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

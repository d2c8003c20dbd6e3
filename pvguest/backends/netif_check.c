/*
 * netif_check.c — TX packet validation (netif_check.h). The rules are those io/netif.h
 * states for guest transmit (size of the first request = packet length, one fragment per
 * further slot, data within the granted page, at most XEN_NETIF_NR_SLOTS_MIN slots) plus
 * netback's limits (an Ethernet header at least, 64 KiB at most, no extra info).
 */
#include <pvguest/netif_check.h>

static const char *const error_names[NETIF_CHECK_NR_ERRORS] = {
    [NETIF_CHECK_OK] = "ok",
    [NETIF_CHECK_TOO_SHORT] = "shorter than an Ethernet header",
    [NETIF_CHECK_TOO_LONG] = "longer than 64 KiB",
    [NETIF_CHECK_CROSSES_PAGE] = "slot crosses a page",
    [NETIF_CHECK_TOO_MANY_SLOTS] = "too many slots",
    [NETIF_CHECK_FRAGS_EXCEED] = "fragments exceed the packet size",
    [NETIF_CHECK_EXTRA_INFO] = "extra info not offered",
};

const char *netif_check_error_name(enum netif_check_error e)
{
    return (unsigned int)e < NETIF_CHECK_NR_ERRORS ? error_names[e] : "?";
}

void netif_tx_packet_init(struct netif_tx_packet *p)
{
    p->nr_slots = 0;
    p->len = 0;
    p->frag_sum = 0;
    p->error = NETIF_CHECK_OK;
}

static void fail(struct netif_tx_packet *p, enum netif_check_error e)
{
    if (p->error == NETIF_CHECK_OK)
        p->error = e;
}

bool netif_tx_packet_add(struct netif_tx_packet *p, const struct netif_tx_request *req)
{
    unsigned int i = p->nr_slots++;
    bool more = (req->flags & NETTXF_more_data) != 0;

    p->ids[i] = req->id;
    if (req->flags & NETTXF_extra_info)
        fail(p, NETIF_CHECK_EXTRA_INFO);
    if (i == 0) {
        p->len = req->size;
        if (req->size < NETIF_CHECK_MIN_LEN)
            fail(p, NETIF_CHECK_TOO_SHORT);
    } else {
        p->frag_sum += req->size;
        /* A fragment crossing its page is refused whatever the packet's other faults. */
        if ((uint32_t)req->offset + req->size > NETIF_CHECK_PAGE_SIZE)
            fail(p, NETIF_CHECK_CROSSES_PAGE);
        if (req->size == 0)
            fail(p, NETIF_CHECK_TOO_SHORT); /* an empty fragment carries nothing: malformed */
    }
    if (i < NETIF_CHECK_MAX_SLOTS)
        p->seg[i] =
            (struct netif_tx_seg){.gref = req->gref, .offset = req->offset, .len = req->size};
    else
        fail(p, NETIF_CHECK_TOO_MANY_SLOTS);
    if (more && p->nr_slots < NETIF_CHECK_CUT_SLOTS)
        return false;

    /* Complete: the first slot holds the rest. */
    if (more)
        fail(p, NETIF_CHECK_TOO_MANY_SLOTS);
    /* size is 16 bits, so only the fragments can take a packet past 64 KiB. */
    if (p->frag_sum > NETIF_CHECK_MAX_LEN || p->len > NETIF_CHECK_MAX_LEN)
        fail(p, NETIF_CHECK_TOO_LONG);
    else if (p->frag_sum > p->len)
        fail(p, NETIF_CHECK_FRAGS_EXCEED);
    if (p->error == NETIF_CHECK_OK) {
        p->seg[0].len = (uint16_t)(p->len - p->frag_sum);
        if ((uint32_t)p->seg[0].offset + p->seg[0].len > NETIF_CHECK_PAGE_SIZE)
            fail(p, NETIF_CHECK_CROSSES_PAGE);
    }
    return true;
}

unsigned int netif_rx_slots(uint32_t len)
{
    return len == 0 ? 1 : (len + NETIF_CHECK_PAGE_SIZE - 1) / NETIF_CHECK_PAGE_SIZE;
}

/*
 * bridge_table.c — forwarding decisions of the netback bridge (bridge_table.h): fixed MACs
 * for the guests' vifs, learning with ageing (IEEE 802.1D, 7.8-7.9) for the other ports.
 */
#include <stddef.h>

#include <pvguest/bridge_table.h>

static bool mac_eq(const uint8_t a[6], const uint8_t b[6])
{
    for (int i = 0; i < 6; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static void mac_copy(uint8_t d[6], const uint8_t s[6])
{
    for (int i = 0; i < 6; i++)
        d[i] = s[i];
}

void bridge_table_init(struct bridge_table *t, unsigned int nr_ports, uint64_t age_ns)
{
    t->nr_ports = nr_ports > BRIDGE_MAX_PORTS ? BRIDGE_MAX_PORTS : nr_ports;
    t->fixed_mask = 0;
    t->age_ns = age_ns;
    t->learned = t->replaced = t->moved = 0;
    for (unsigned int i = 0; i < BRIDGE_ENTRIES; i++)
        t->e[i].used = false;
}

static int fixed_port(const struct bridge_table *t, const uint8_t mac[6])
{
    for (unsigned int p = 0; p < t->nr_ports; p++)
        if ((t->fixed_mask & (1u << p)) && mac_eq(t->fixed_mac[p], mac))
            return (int)p;
    return -1;
}

int bridge_table_set_fixed(struct bridge_table *t, unsigned int port, const uint8_t mac[6])
{
    int other;

    if (port >= t->nr_ports || bridge_mac_is_group(mac))
        return -1;
    other = fixed_port(t, mac);
    if (other >= 0 && (unsigned int)other != port)
        return -1;
    mac_copy(t->fixed_mac[port], mac);
    t->fixed_mask |= 1u << port;
    /* A fixed address is never learned elsewhere. */
    for (unsigned int i = 0; i < BRIDGE_ENTRIES; i++)
        if (t->e[i].used && mac_eq(t->e[i].mac, mac))
            t->e[i].used = false;
    return 0;
}

static bool live(const struct bridge_table *t, const struct bridge_entry *e, uint64_t now_ns)
{
    return e->used && now_ns - e->seen_ns < t->age_ns;
}

int bridge_table_lookup(const struct bridge_table *t, const uint8_t mac[6], uint64_t now_ns)
{
    int p = fixed_port(t, mac);

    if (p >= 0)
        return p;
    for (unsigned int i = 0; i < BRIDGE_ENTRIES; i++)
        if (live(t, &t->e[i], now_ns) && mac_eq(t->e[i].mac, mac))
            return t->e[i].port;
    return -1;
}

void bridge_table_flush_port(struct bridge_table *t, unsigned int port)
{
    for (unsigned int i = 0; i < BRIDGE_ENTRIES; i++)
        if (t->e[i].used && t->e[i].port == port)
            t->e[i].used = false;
}

/* Learn @src at @port (a port without a fixed MAC). */
static void learn(struct bridge_table *t, unsigned int port, const uint8_t src[6], uint64_t now_ns)
{
    struct bridge_entry *slot = NULL, *oldest = NULL;

    if (fixed_port(t, src) >= 0)
        return; /* a guest's address seen from outside: never moves the guest */
    for (unsigned int i = 0; i < BRIDGE_ENTRIES; i++) {
        struct bridge_entry *e = &t->e[i];

        if (e->used && mac_eq(e->mac, src)) {
            if (e->port != port)
                t->moved++;
            e->port = (uint8_t)port;
            e->seen_ns = now_ns;
            return;
        }
        if (!live(t, e, now_ns)) {
            if (!slot)
                slot = e;
        } else if (!oldest || e->seen_ns < oldest->seen_ns) {
            oldest = e;
        }
    }
    if (!slot) {
        slot = oldest;
        t->replaced++;
    }
    mac_copy(slot->mac, src);
    slot->port = (uint8_t)port;
    slot->seen_ns = now_ns;
    slot->used = true;
    t->learned++;
}

enum bridge_verdict bridge_decide(struct bridge_table *t, unsigned int in_port,
                                  const uint8_t dst[6], const uint8_t src[6], uint64_t now_ns,
                                  uint32_t *out_mask)
{
    uint32_t all = (t->nr_ports >= 32 ? ~0u : (1u << t->nr_ports) - 1) & ~(1u << in_port);
    int to;

    *out_mask = 0;
    if (in_port >= t->nr_ports)
        return BRIDGE_DROP_BAD_PORT;
    if (bridge_mac_is_group(src))
        return BRIDGE_DROP_SPOOFED;
    if (t->fixed_mask & (1u << in_port)) {
        if (!mac_eq(src, t->fixed_mac[in_port]))
            return BRIDGE_DROP_SPOOFED;
    } else {
        learn(t, in_port, src, now_ns);
    }
    if (bridge_mac_is_group(dst)) {
        *out_mask = all;
        return BRIDGE_FORWARD;
    }
    to = bridge_table_lookup(t, dst, now_ns);
    if (to == (int)in_port)
        return BRIDGE_DROP_LOCAL;
    if (to >= 0) {
        *out_mask = 1u << to;
        return BRIDGE_FORWARD;
    }
    *out_mask = all & ~t->fixed_mask; /* unknown unicast: never into a fixed-MAC port */
    return BRIDGE_FORWARD;
}

void bridge_rate_init(struct bridge_rate *r, unsigned int rate, unsigned int burst, uint64_t now_ns)
{
    r->cost_ns = 1000000000ULL / (rate ? rate : 1);
    r->cap_ns = r->cost_ns * (burst ? burst : 1);
    r->budget_ns = r->cap_ns;
    r->last_ns = now_ns;
    r->passed = r->dropped = 0;
}

bool bridge_rate_allow(struct bridge_rate *r, uint64_t now_ns)
{
    if (now_ns > r->last_ns) {
        uint64_t add = now_ns - r->last_ns;

        r->budget_ns = add >= r->cap_ns - r->budget_ns ? r->cap_ns : r->budget_ns + add;
        r->last_ns = now_ns;
    }
    if (r->budget_ns < r->cost_ns) {
        r->dropped++;
        return false;
    }
    r->budget_ns -= r->cost_ns;
    r->passed++;
    return true;
}

/*
 * bridge.c — the driver domain's Ethernet bridge (bridge.h): ports, forwarding through
 * bridge_table.c, per-port counters.
 */
#include <stdio.h>
#include <string.h>

#include <pvguest/bridge.h>
#include <pvguest/time.h>

struct port {
    char name[24];
    bridge_xmit_fn xmit;
    void *priv;
    struct bridge_rate storm;
    struct bridge_port_stats st;
};

static struct port ports[BRIDGE_MAX_PORTS];
static int nr_ports;
static struct bridge_table table;

int bridge_add_port(const char *name, const uint8_t *fixed_mac, bridge_xmit_fn xmit, void *priv)
{
    int p = nr_ports;

    if (p >= BRIDGE_MAX_PORTS || !xmit)
        return -1;
    if (p == 0)
        bridge_table_init(&table, BRIDGE_MAX_PORTS, BRIDGE_AGE_NS);
    if (fixed_mac && bridge_table_set_fixed(&table, (unsigned int)p, fixed_mac) < 0)
        return -1;
    snprintf(ports[p].name, sizeof(ports[p].name), "%s", name);
    ports[p].xmit = xmit;
    ports[p].priv = priv;
    bridge_rate_init(&ports[p].storm, BRIDGE_STORM_RATE, BRIDGE_STORM_BURST, system_time_ns());
    nr_ports++;
    return p;
}

void bridge_input(int port, const uint8_t *frame, uint32_t len)
{
    struct port *in;
    uint32_t mask;
    enum bridge_verdict v;
    uint64_t now = system_time_ns();

    if (port < 0 || port >= nr_ports)
        return;
    in = &ports[port];
    in->st.in++;
    if (len < 14) {
        in->st.runts++;
        return;
    }
    v = bridge_decide(&table, (unsigned int)port, frame, frame + 6, now, &mask);
    if (v == BRIDGE_FORWARD && bridge_mac_is_group(frame) && !bridge_rate_allow(&in->storm, now)) {
        in->st.storm++;
        return;
    }
    if (v == BRIDGE_DROP_SPOOFED)
        in->st.spoofed++;
    else if (v == BRIDGE_DROP_LOCAL)
        in->st.local++;
    for (int p = 0; p < nr_ports; p++)
        if (mask & (1u << p)) {
            ports[p].st.out++;
            ports[p].xmit(ports[p].priv, frame, len);
        }
}

const struct bridge_port_stats *bridge_port_stats(int port)
{
    return port >= 0 && port < nr_ports ? &ports[port].st : NULL;
}

void bridge_report(void)
{
    for (int p = 0; p < nr_ports; p++) {
        const struct bridge_port_stats *s = &ports[p].st;
        printf("pvguest: bridge: port %d %s: in %lu, out %lu, dropped: spoofed %lu, local %lu, "
               "runts %lu, storm %lu\n",
               p, ports[p].name, s->in, s->out, s->spoofed, s->local, s->runts, s->storm);
    }
    printf("pvguest: bridge: learned %lu, replaced %lu, moved %lu\n", table.learned, table.replaced,
           table.moved);
}

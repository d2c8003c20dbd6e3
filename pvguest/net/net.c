/*
 * lwIP's port to the guest kernel and its one interface (API in pvguest/net.h): sys_now, the
 * netif over the output/input hooks (by default the e1000), the timer thread, DHCP with a
 * static fallback, and the UDP echo service (RFC 862). lwIP's raw API and NO_SYS=1 rules are
 * in lwIP's doc/NO_SYS_SampleCode.c and src/include/lwip/opt.h; the netif contract (init
 * function sets MTU, flags, hwaddr and output functions) is in src/include/lwip/netif.h.
 */
#include <stdio.h>
#include <string.h>

#include <xen/errno.h>

#include <lwip/dhcp.h>
#include <lwip/etharp.h>
#include <lwip/init.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
#include <lwip/udp.h>
#include <netif/ethernet.h>

#include <pvguest/e1000.h>
#include <pvguest/net.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

struct net_stats net_stats;

static struct {
    struct netif netif;
    uint8_t mac[6];
    net_output_t output;
    void *output_arg;
    bool e1000;
    struct udp_pcb *echo;
    bool echo_quit;
    uint8_t frame[E1000_MAX_FRAME];
} net;

/** lwIP's clock (NO_SYS: sys.h): milliseconds, wrapping; system time since boot. */
u32_t sys_now(void)
{
    return (u32_t)(system_time_ns() / NSEC_PER_MSEC);
}

static long e1000_output(const void *frame, size_t len, void *arg)
{
    (void)arg;
    return e1000_send(frame, len);
}

static void e1000_input(const void *frame, size_t len, void *arg)
{
    (void)arg;
    net_input(frame, len);
}

void net_set_output(net_output_t output, void *arg)
{
    if (!output && net.e1000)
        output = e1000_output;
    net.output = output;
    net.output_arg = arg;
}

const uint8_t *net_mac(void)
{
    return net.mac;
}

/* netif->linkoutput: flatten the pbuf chain into one frame for the hook. */
static err_t link_output(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    if (p->tot_len > sizeof(net.frame) || !net.output) {
        net_stats.tx_errors++;
        return ERR_IF;
    }
    pbuf_copy_partial(p, net.frame, p->tot_len, 0);
    if (net.output(net.frame, p->tot_len, net.output_arg) < 0) {
        net_stats.tx_errors++;
        return ERR_MEM;
    }
    net_stats.tx_frames++;
    return ERR_OK;
}

void net_input(const void *frame, size_t len)
{
    struct pbuf *p;

    if (len < 14 || len > E1000_MAX_FRAME) {
        net_stats.rx_dropped++;
        return;
    }
    p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
    if (!p) {
        net_stats.rx_dropped++;
        return;
    }
    pbuf_take(p, frame, (u16_t)len);
    net_stats.rx_frames++;
    if (net.netif.input(p, &net.netif) != ERR_OK)
        pbuf_free(p);
}

/* netif init: an Ethernet interface with ARP and broadcast (netif.h, NETIF_FLAG_*). */
static err_t netif_setup(struct netif *netif)
{
    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->mtu = 1500;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(netif->hwaddr, net.mac, ETH_HWADDR_LEN);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->output = etharp_output;
    netif->linkoutput = link_output;
    return ERR_OK;
}

/* lwIP's timers (ARP, DHCP, TCP), run from their own thread at the next deadline. */
static void lwip_thread(void *arg)
{
    static struct wait_queue never = WAIT_QUEUE_INIT;

    (void)arg;
    for (;;) {
        u32_t ms;

        sys_check_timeouts();
        ms = sys_timeouts_sleeptime();
        if (ms > 100)
            ms = 100;
        wait_event_deadline(never, false, system_time_ns() + (uint64_t)ms * NSEC_PER_MSEC + 1);
    }
}

long net_start(unsigned int flags, const uint8_t *mac)
{
    long rc;

    if (!(flags & NET_NO_E1000)) {
        rc = e1000_init();
        if (rc < 0)
            return rc;
        memcpy(net.mac, e1000_mac(), 6);
        net.e1000 = true;
        net_set_output(NULL, NULL);
    } else {
        memcpy(net.mac, mac, 6);
    }
    lwip_init();
    netif_add(&net.netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL, netif_setup,
              ethernet_input);
    netif_set_default(&net.netif);
    netif_set_up(&net.netif);
    netif_set_link_up(&net.netif);
    if (net.e1000)
        e1000_set_rx_handler(e1000_input, NULL);
    if (!thread_create("lwip", lwip_thread, NULL, 0))
        return -XEN_ENOMEM;
    if (!(flags & NET_NO_DHCP))
        dhcp_start(&net.netif);
    return 0;
}

bool net_wait_address(unsigned int timeout_ms, char *buf)
{
    uint64_t deadline = system_time_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
    bool dhcp;

    while (!(dhcp = dhcp_supplied_address(&net.netif)) && system_time_ns() < deadline)
        sleep_ns(20 * NSEC_PER_MSEC);
    if (!dhcp)
        net_set_static("10.0.2.15");
    ip4addr_ntoa_r(netif_ip4_addr(&net.netif), buf, 16);
    return dhcp;
}

bool net_set_static(const char *text)
{
    ip4_addr_t a, m, g;

    if (!ip4addr_aton(text, &a))
        return false;
    dhcp_stop(&net.netif);
    IP4_ADDR(&m, 255, 255, 255, 0);
    IP4_ADDR(&g, 10, 0, 2, 2);
    netif_set_addr(&net.netif, &a, &m, &g);
    return true;
}

const char *net_configure_address(const char *ip, unsigned int dhcp_timeout_ms, char *buf)
{
    if (ip) {
        if (net_set_static(ip)) {
            ip4addr_ntoa_r(netif_ip4_addr(&net.netif), buf, 16);
            return "fixed";
        }
        printf("pvguest: ip=%s is not an IPv4 address; using DHCP\n", ip);
        if (!netif_dhcp_data(&net.netif)) /* net_start was told NET_NO_DHCP */
            dhcp_start(&net.netif);
    }
    return net_wait_address(dhcp_timeout_ms, buf) ? "DHCP" : "fallback";
}

/* RFC 862: send every datagram back; "quit" also ends the test's service loop. */
static void echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                      u16_t port)
{
    (void)arg;
    if (p->tot_len == 4 && pbuf_memcmp(p, 0, "quit", 4) == 0)
        net.echo_quit = true;
    if (udp_sendto(pcb, p, addr, port) == ERR_OK)
        net_stats.echo_udp++;
    pbuf_free(p);
}

/* RFC 862 over TCP: what arrives is written back. Data that does not fit the send buffer is
   refused (ERR_MEM): lwIP keeps it and offers it again later (tcp.h, tcp_recv_fn). */
static err_t echo_tcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    if (!p) {
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        return tcp_close(pcb) == ERR_OK ? ERR_OK : (tcp_abort(pcb), ERR_ABRT);
    }
    if (err != ERR_OK || tcp_sndbuf(pcb) < p->tot_len ||
        tcp_sndqueuelen(pcb) + 4 > TCP_SND_QUEUELEN) {
        net_stats.echo_tcp_refused++;
        return ERR_MEM;
    }
    for (struct pbuf *q = p; q; q = q->next)
        if (q->len && tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY) != ERR_OK)
            return ERR_MEM; /* not reached: the space was checked */
    tcp_recved(pcb, p->tot_len);
    tcp_output(pcb);
    net_stats.echo_tcp_bytes += p->tot_len;
    pbuf_free(p);
    return ERR_OK;
}

static err_t echo_tcp_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    tcp_nagle_disable(pcb);
    tcp_recv(pcb, echo_tcp_recv);
    net_stats.echo_tcp_conns++;
    return ERR_OK;
}

long net_echo_start(uint16_t port)
{
    struct tcp_pcb *listen = tcp_new();

    if (!listen)
        return -XEN_ENOMEM;
    if (tcp_bind(listen, IP4_ADDR_ANY, port) != ERR_OK)
        return -XEN_EADDRINUSE;
    listen = tcp_listen(listen);
    if (!listen)
        return -XEN_ENOMEM;
    tcp_accept(listen, echo_tcp_accept);

    net.echo = udp_new();
    if (!net.echo)
        return -XEN_ENOMEM;
    if (udp_bind(net.echo, IP4_ADDR_ANY, port) != ERR_OK)
        return -XEN_EADDRINUSE;
    udp_recv(net.echo, echo_recv, NULL);
    return 0;
}

bool net_echo_quit(void)
{
    return net.echo_quit;
}

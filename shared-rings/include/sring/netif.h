/*
 * The network rings (xen/io/netif.h): Xen's header declares them with DEFINE_RING_TYPES as
 *   netif_tx        (struct netif_tx_request, struct netif_tx_response): guest transmit;
 *   netif_rx        (struct netif_rx_request, struct netif_rx_response): guest receive (the
 *                   frontend posts empty buffers as requests, the backend fills them);
 *   xen_netif_ctrl  (struct xen_netif_ctrl_request, struct xen_netif_ctrl_response): control.
 * This header adds the sring API (see <sring/sring.h>) for each: struct netif_tx_frontend,
 * netif_tx_front_post(), netif_rx_back_get_request(), xen_netif_ctrl_front_push(), ...
 *
 * A netif_tx slot is 12 bytes and a netif_rx slot 8, so one 4 KiB page holds 256 of either.
 * A packet of several fragments (or with netif_extra_info slots) takes one request slot each
 * and gets one response per slot, as netif.h describes; check name_front_free() before posting
 * the first fragment of a packet.
 */
#ifndef SRING_NETIF_H
#define SRING_NETIF_H

#include <sring/sring.h>
#include <xen/io/netif.h>

SRING_DEFINE_API(netif_tx, struct netif_tx_request, struct netif_tx_response);
SRING_DEFINE_API(netif_rx, struct netif_rx_request, struct netif_rx_response);
SRING_DEFINE_API(xen_netif_ctrl, struct xen_netif_ctrl_request, struct xen_netif_ctrl_response);

#endif /* SRING_NETIF_H */

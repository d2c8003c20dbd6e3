/*
 * lwIP's options for the guest kernel (lwIP 2.1.3, src/include/lwip/opt.h documents each):
 * NO_SYS=1 (no OS threads: one kernel thread at a time calls lwIP, and the kernel's threads are
 * cooperative, so no locking), the raw API only, IPv4 with ARP, ICMP, DHCP, UDP and TCP.
 */
#ifndef PVGUEST_LWIPOPTS_H
#define PVGUEST_LWIPOPTS_H

#define NO_SYS               1
#define SYS_LIGHTWEIGHT_PROT 0 /* cooperative threads; event handlers never call lwIP */
#define LWIP_SOCKET          0
#define LWIP_NETCONN         0

#define LWIP_IPV4           1
#define LWIP_IPV6           0
#define LWIP_ARP            1
#define LWIP_ETHERNET       1
#define LWIP_ICMP           1
#define LWIP_RAW            1 /* the shell's ping (raw ICMP pcb) */
#define LWIP_UDP            1
#define LWIP_TCP            1
#define LWIP_DHCP           1
#define DHCP_DOES_ARP_CHECK 0 /* QEMU's user network has no other hosts to conflict with */
#define LWIP_DNS            0
#define LWIP_IGMP           0
#define LWIP_AUTOIP         0

#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK   1
#define LWIP_NETIF_HOSTNAME        0

/* Memory: the heap for PBUF_RAM (outgoing packets), the pool for incoming frames. */
#define MEM_ALIGNMENT        8
#define MEM_SIZE             (256 * 1024)
#define PBUF_POOL_SIZE       128
#define PBUF_POOL_BUFSIZE    1536
#define MEMP_NUM_PBUF        32
#define MEMP_NUM_UDP_PCB     8
#define MEMP_NUM_TCP_PCB     8
#define MEMP_NUM_SYS_TIMEOUT 16
#define TCP_MSS              1460
#define TCP_WND              (32 * TCP_MSS)
#define TCP_SND_BUF          (32 * TCP_MSS)
#define TCP_SND_QUEUELEN     (4 * TCP_SND_BUF / TCP_MSS)
#define MEMP_NUM_TCP_SEG     TCP_SND_QUEUELEN
#define ARP_TABLE_SIZE       16

#define LWIP_STATS 0
#define LWIP_DEBUG 0

#endif /* PVGUEST_LWIPOPTS_H */

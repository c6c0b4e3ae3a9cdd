/* lwip/opt.h (host fake): the lwIP 2.1.2 options board_transport.c depends on, as the S32 SDK's
 * generated lwipopts.h sets them (LWIP_DNS = LWIP_UDP, core locking on, DHCP off), with IPv6 on, which
 * that configuration allows: ip_addr_t is then the dual-stack type and DNS may answer IPv6. Each can be
 * overridden with -D (scripts/targets/test-mpc5748g checks the board refuses to build without them). */
#ifndef LWIP_HDR_OPT_H
#define LWIP_HDR_OPT_H

#ifndef LWIP_SOCKET
#define LWIP_SOCKET 1
#endif
#ifndef LWIP_DNS
#define LWIP_DNS 1
#endif
#ifndef LWIP_TCPIP_CORE_LOCKING
#define LWIP_TCPIP_CORE_LOCKING 1
#endif
#ifndef LWIP_IPV4
#define LWIP_IPV4 1
#endif
#ifndef LWIP_IPV6
#define LWIP_IPV6 1
#endif
#ifndef LWIP_DHCP
#define LWIP_DHCP 0
#endif

#endif

/* lwip/ip_addr.h (host fake): lwIP 2.1's IPv4-only address type (LWIP_IPV4=1, LWIP_IPV6=0). */
#ifndef LWIP_HDR_IP_ADDR_H
#define LWIP_HDR_IP_ADDR_H

#include <stdint.h>

typedef struct ip4_addr {
    uint32_t addr; /* network byte order, as in lwIP */
} ip4_addr_t;
typedef ip4_addr_t ip_addr_t;

#define ip_2_ip4(ipaddr) (ipaddr)
#define ip4_addr_get_u32(src_ipaddr) ((src_ipaddr)->addr)

int ip4addr_aton(const char *cp, ip4_addr_t *addr);
#define ipaddr_aton(cp, addr) ip4addr_aton(cp, addr)

#endif

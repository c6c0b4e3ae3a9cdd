/* lwip/ip_addr.h (host fake): lwIP 2.1.2's dual-stack address type (LWIP_IPV4=1, LWIP_IPV6=1, see
 * lwip/opt.h): an ip_addr_t holds an IPv4 or an IPv6 address and says which in `type`. */
#ifndef LWIP_HDR_IP_ADDR_H
#define LWIP_HDR_IP_ADDR_H

#include <stddef.h>
#include <stdint.h>

typedef struct ip4_addr {
    uint32_t addr; /* network byte order, as in lwIP */
} ip4_addr_t;
typedef struct ip6_addr {
    uint32_t addr[4];
    uint8_t zone;
} ip6_addr_t;
typedef struct ip_addr {
    union {
        ip6_addr_t ip6;
        ip4_addr_t ip4;
    } u_addr;
    uint8_t type;
} ip_addr_t;

#define IPADDR_TYPE_V4 0U
#define IPADDR_TYPE_V6 6U
#define IP_IS_V4_VAL(ipaddr) ((ipaddr).type == IPADDR_TYPE_V4)
#define IP_IS_V4(ipaddr) (((ipaddr) == NULL) || IP_IS_V4_VAL(*(ipaddr)))
#define ip_2_ip4(ipaddr) (&((ipaddr)->u_addr.ip4))
#define ip4_addr_get_u32(src_ipaddr) ((src_ipaddr)->addr)

/** Parses dotted IPv4 or IPv6 text. @return 1, or 0 when it is neither */
int ipaddr_aton(const char *cp, ip_addr_t *addr);
/** 1 for NULL or the all-zero address of either family */
int fake_ip_addr_isany(const ip_addr_t *addr);
#define ip_addr_isany(ipaddr) fake_ip_addr_isany(ipaddr)

#endif

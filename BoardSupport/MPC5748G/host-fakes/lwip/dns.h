/* lwip/dns.h (host fake): lwIP 2.1.2's non-blocking resolver. */
#ifndef LWIP_HDR_DNS_H
#define LWIP_HDR_DNS_H

#include <stdint.h>

#include "lwip/err.h"
#include "lwip/ip_addr.h"

#define LWIP_DNS_ADDRTYPE_IPV4 0
#define LWIP_DNS_ADDRTYPE_IPV6 1
#define LWIP_DNS_ADDRTYPE_IPV4_IPV6 2 /* IPv4 first, IPv6 when there is no IPv4 address */
#define LWIP_DNS_ADDRTYPE_IPV6_IPV4 3 /* IPv6 first */
/* What dns_gethostbyname asks for. lwIP's own default is IPv4; a configuration that enables IPv6 may
 * prefer it, and the fake does, so a caller that relies on the default gets IPv6 answers. */
#define LWIP_DNS_ADDRTYPE_DEFAULT LWIP_DNS_ADDRTYPE_IPV6_IPV4

typedef void (*dns_found_callback)(const char *name, const ip_addr_t *ipaddr, void *callback_arg);

err_t dns_gethostbyname(const char *hostname, ip_addr_t *addr, dns_found_callback found, void *callback_arg);
err_t dns_gethostbyname_addrtype(const char *hostname, ip_addr_t *addr, dns_found_callback found, void *callback_arg,
                                 uint8_t dns_addrtype);
/** The DNS server `numdns` (NULL: none). DHCP would set it; with DHCP off the firmware must. */
void dns_setserver(uint8_t numdns, const ip_addr_t *dnsserver);
/** The DNS server `numdns`, the all-zero address when none is set. */
const ip_addr_t *dns_getserver(uint8_t numdns);

#endif

/* lwip/dns.h (host fake): lwIP 2.1's non-blocking resolver entry point. */
#ifndef LWIP_HDR_DNS_H
#define LWIP_HDR_DNS_H

#include "lwip/err.h"
#include "lwip/ip_addr.h"

typedef void (*dns_found_callback)(const char *name, const ip_addr_t *ipaddr, void *callback_arg);

/* The fake answers at once (ERR_OK, like a cache hit) or fails (ERR_ARG), except for names ending
 * in ".async": those answer ERR_INPROGRESS and call back when the test says (fake_lwip_control.h). */
err_t dns_gethostbyname(const char *hostname, ip_addr_t *addr, dns_found_callback found, void *callback_arg);

#endif

/* fake_lwip_control.h: test control of the lwIP fake (fake_lwip.c): its resolver and the errors lwIP
 * reports. */
#ifndef FAKE_LWIP_CONTROL_H
#define FAKE_LWIP_CONTROL_H

#include "lwip/err.h"

/** No DNS server, no pending lookup, no injected error (as after lwIP's init with DHCP off). */
void fake_lwip_reset(void);
/** Calls back every pending lookup of `name` with `address` (IPv4 or IPv6 text), or with "not found"
 *  when `address` is NULL. @return how many lookups were answered */
int fake_dns_answer(const char *name, const char *address);
/** The next lwip_connect fails as lwIP reports `err`: ERR_RTE at once (EHOSTUNREACH); anything else
 *  after EINPROGRESS, through select and SO_ERROR (ERR_ABRT: the SYN retransmissions ran out). */
void fake_lwip_fail_next_connect(err_t err);
/** lwIP stores `err` for the connection of socket `s` (err_tcp): its next send/recv report it. */
void fake_lwip_fail_socket(int s, err_t err);

#endif

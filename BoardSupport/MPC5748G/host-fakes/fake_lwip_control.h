/* fake_lwip_control.h: test control of the lwIP fake's asynchronous DNS (fake_lwip.c). */
#ifndef FAKE_LWIP_CONTROL_H
#define FAKE_LWIP_CONTROL_H

/** Calls back every pending lookup of `name` (a name ending in ".async") with `address` (dotted
 *  IPv4), or with "not found" when `address` is NULL. @return how many lookups were answered */
int fake_dns_answer(const char *name, const char *address);

#endif

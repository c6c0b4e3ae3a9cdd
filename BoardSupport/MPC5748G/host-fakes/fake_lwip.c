/* fake_lwip.c: lwIP's socket API over POSIX sockets, so the board transport runs on a host.
 * lwIP has no SIGPIPE; the fake sends with MSG_NOSIGNAL to match. */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>

#include "lwip/dns.h"
#include "lwip/sockets.h"

int lwip_socket(int domain, int type, int protocol) { return socket(domain, type, protocol); }
int lwip_connect(int s, const struct sockaddr *name, socklen_t namelen) { return connect(s, name, namelen); }
ssize_t lwip_send(int s, const void *dataptr, size_t size, int flags) { return send(s, dataptr, size, flags | MSG_NOSIGNAL); }
ssize_t lwip_recv(int s, void *mem, size_t len, int flags) { return recv(s, mem, len, flags); }
int lwip_close(int s) { return close(s); }
int lwip_fcntl(int s, int cmd, int val) { return fcntl(s, cmd, val); }
int lwip_getsockopt(int s, int level, int optname, void *optval, socklen_t *optlen) {
    return getsockopt(s, level, optname, optval, optlen);
}
int lwip_select(int maxfdp1, fd_set *readset, fd_set *writeset, fd_set *exceptset, struct timeval *timeout) {
    return select(maxfdp1, readset, writeset, exceptset, timeout);
}

int ip4addr_aton(const char *cp, ip4_addr_t *addr) {
    struct in_addr parsed;
    if (inet_pton(AF_INET, cp, &parsed) != 1) return 0;
    addr->addr = parsed.s_addr;
    return 1;
}

/* The host has no DNS server to speak of in CI: the fake knows "localhost" and numeric addresses
 * (which the board parses itself first) and nothing else. */
err_t dns_gethostbyname(const char *hostname, ip_addr_t *addr, dns_found_callback found, void *callback_arg) {
    (void)found;
    (void)callback_arg;
    if (strcmp(hostname, "localhost") == 0) hostname = "127.0.0.1";
    return ip4addr_aton(hostname, addr) ? ERR_OK : ERR_ARG;
}

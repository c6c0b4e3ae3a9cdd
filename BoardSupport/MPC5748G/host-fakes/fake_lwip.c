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
 * (which the board parses itself first) and nothing else. A name ending in ".async" is answered
 * later, as lwIP answers a name not in its cache: ERR_INPROGRESS now, the callback when the test
 * calls fake_dns_answer (lwIP cannot cancel a query, so the callback comes even after the board
 * moved on). */
#define PENDING 4
static struct {
    char name[256];
    dns_found_callback found;
    void *arg;
} pending[PENDING];

err_t dns_gethostbyname(const char *hostname, ip_addr_t *addr, dns_found_callback found, void *callback_arg) {
    size_t length = strlen(hostname);
    if (length > 6 && length < sizeof pending[0].name && strcmp(hostname + length - 6, ".async") == 0) {
        for (int i = 0; i < PENDING; i++) {
            if (pending[i].found != NULL) continue;
            memcpy(pending[i].name, hostname, length + 1);
            pending[i].found = found;
            pending[i].arg = callback_arg;
            return ERR_INPROGRESS;
        }
        return ERR_MEM;
    }
    if (strcmp(hostname, "localhost") == 0) hostname = "127.0.0.1";
    return ip4addr_aton(hostname, addr) ? ERR_OK : ERR_ARG;
}

int fake_dns_answer(const char *name, const char *address) {
    int answered = 0;
    for (int i = 0; i < PENDING; i++) {
        if (pending[i].found == NULL || strcmp(pending[i].name, name) != 0) continue;
        ip_addr_t parsed;
        int ok = address != NULL && ip4addr_aton(address, &parsed);
        dns_found_callback found = pending[i].found;
        pending[i].found = NULL;
        found(pending[i].name, ok ? &parsed : NULL, pending[i].arg);
        answered++;
    }
    return answered;
}

/* fake_lwip.c: lwIP 2.1.2's socket API and resolver over POSIX sockets, reporting errors as lwIP does.
 *
 * lwIP has no SIGPIPE; the fake sends with MSG_NOSIGNAL to match. A non-blocking connect never
 * completes at once. A TCP failure reaches the socket layer as an err_t (api_msg.c err_tcp stores it
 * as the connection's pending error), which the socket calls turn into errno with err_to_errno (below,
 * as api/err.c does): a RST is ERR_RST (ECONNRESET, also when it refuses a connection), lwIP's timers
 * giving up on SYN, data or keepalive retransmissions is ERR_ABRT (ECONNABORTED), a closed or gone
 * connection ERR_CLSD/ERR_CONN (ENOTCONN), no route ERR_RTE (EHOSTUNREACH, at once). lwIP never sets
 * ECONNREFUSED or ETIMEDOUT, so the host's are translated. The fake's network has only loopback:
 * another destination has no route. Tests inject lwIP errors through fake_lwip_control.h. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "fake_lwip_control.h"
#include "lwip/dns.h"
#include "lwip/errno.h"
#include "lwip/sockets.h"

static const int err_to_errno_table[] = {
    0,            /* ERR_OK */
    ENOMEM,       /* ERR_MEM */
    ENOBUFS,      /* ERR_BUF */
    EWOULDBLOCK,  /* ERR_TIMEOUT */
    EHOSTUNREACH, /* ERR_RTE */
    EINPROGRESS,  /* ERR_INPROGRESS */
    EINVAL,       /* ERR_VAL */
    EWOULDBLOCK,  /* ERR_WOULDBLOCK */
    EADDRINUSE,   /* ERR_USE */
    EALREADY,     /* ERR_ALREADY */
    EISCONN,      /* ERR_ISCONN */
    ENOTCONN,     /* ERR_CONN */
    -1,           /* ERR_IF */
    ECONNABORTED, /* ERR_ABRT */
    ECONNRESET,   /* ERR_RST */
    ENOTCONN,     /* ERR_CLSD */
    EIO           /* ERR_ARG */
};

int err_to_errno(err_t err) {
    if (err > 0 || -err >= (int)(sizeof err_to_errno_table / sizeof err_to_errno_table[0])) return EIO;
    return err_to_errno_table[-err];
}

/* Per socket: an error lwIP has stored for the connection (err_tcp), and whether it is gone. */
#define SOCKETS 1024
static err_t pending[SOCKETS];
static bool gone[SOCKETS];
static err_t next_connect;

void fake_lwip_fail_next_connect(err_t err) { next_connect = err; }

void fake_lwip_fail_socket(int s, err_t err) {
    if (s >= 0 && s < SOCKETS) pending[s] = err;
}

static bool known(int s) { return s >= 0 && s < SOCKETS; }

/* What lwIP would have recorded for a failure the host's stack reported. */
static err_t lwip_error_of(int host_errno) {
    switch (host_errno) {
    case 0: return ERR_OK;
    case ECONNREFUSED: case ECONNRESET: return ERR_RST;
    case ETIMEDOUT: case EHOSTUNREACH: case ENETUNREACH: return ERR_ABRT; /* lwIP's TCP ignores ICMP */
    case EPIPE: case ENOTCONN: return ERR_CONN;
    default: return ERR_ARG;
    }
}

static int fail(err_t err) {
    errno = err_to_errno(err);
    return -1;
}

/* The error a call on `s` reports now, if lwIP has one stored: once, then the connection is gone. */
static err_t take_pending(int s) {
    if (!known(s)) return ERR_OK;
    if (pending[s] != ERR_OK) {
        err_t err = pending[s];
        pending[s] = ERR_OK;
        gone[s] = true;
        return err;
    }
    return gone[s] ? ERR_CONN : ERR_OK;
}

int lwip_socket(int domain, int type, int protocol) {
    int s = socket(domain, type, protocol);
    if (known(s)) {
        pending[s] = ERR_OK;
        gone[s] = false;
    }
    return s;
}

int lwip_connect(int s, const struct sockaddr *name, socklen_t namelen) {
    err_t injected = next_connect;
    next_connect = ERR_OK;
    const struct sockaddr_in *to = (const struct sockaddr_in *)name;
    if (namelen < sizeof *to || to->sin_family != AF_INET || (ntohl(to->sin_addr.s_addr) >> 24) != 127U ||
        injected == ERR_RTE)
        return fail(ERR_RTE); /* tcp_connect finds no route: reported at once */
    if (injected != ERR_OK) {
        if (known(s)) pending[s] = injected; /* the connection fails later, through SO_ERROR */
        return fail(ERR_INPROGRESS);
    }
    if (connect(s, name, namelen) != 0 && errno != EINPROGRESS) {
        if (errno != ECONNREFUSED) return fail(ERR_ARG);
        if (known(s)) pending[s] = ERR_RST; /* the RST comes back later on lwIP */
    }
    return fail(ERR_INPROGRESS);
}

ssize_t lwip_send(int s, const void *dataptr, size_t size, int flags) {
    err_t err = take_pending(s);
    if (err != ERR_OK) return fail(err);
    ssize_t sent = send(s, dataptr, size, flags | MSG_NOSIGNAL);
    if (sent >= 0) return sent;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return fail(ERR_WOULDBLOCK);
    return fail(lwip_error_of(errno));
}

ssize_t lwip_recv(int s, void *mem, size_t len, int flags) {
    err_t err = take_pending(s);
    if (err == ERR_CLSD) return 0; /* lwip_recv_tcp: a closed connection reads as the end */
    if (err != ERR_OK) return fail(err);
    ssize_t received = recv(s, mem, len, flags);
    if (received >= 0) return received;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return fail(ERR_WOULDBLOCK);
    return fail(lwip_error_of(errno));
}

int lwip_close(int s) {
    if (known(s)) {
        pending[s] = ERR_OK;
        gone[s] = false;
    }
    return close(s);
}

int lwip_fcntl(int s, int cmd, int val) { return fcntl(s, cmd, val); }

/* SO_ERROR: err_to_errno(netconn_err(conn)), the stored error, read once (sockets.c). */
int lwip_getsockopt(int s, int level, int optname, void *optval, socklen_t *optlen) {
    if (level == SOL_SOCKET && optname == SO_ERROR && known(s) && pending[s] != ERR_OK) {
        *(int *)optval = err_to_errno(pending[s]);
        pending[s] = ERR_OK;
        gone[s] = true;
        return 0;
    }
    if (getsockopt(s, level, optname, optval, optlen) != 0) return -1;
    if (level == SOL_SOCKET && optname == SO_ERROR) *(int *)optval = err_to_errno(lwip_error_of(*(int *)optval));
    return 0;
}

/* A stored error makes the socket readable and writable (err_tcp's RCVPLUS/SENDPLUS events). */
int lwip_select(int maxfdp1, fd_set *readset, fd_set *writeset, fd_set *exceptset, struct timeval *timeout) {
    int ready = 0;
    fd_set failed;
    FD_ZERO(&failed);
    for (int s = 0; s < maxfdp1 && s < SOCKETS; s++) {
        if (pending[s] != ERR_OK &&
            ((readset != NULL && FD_ISSET(s, readset)) || (writeset != NULL && FD_ISSET(s, writeset)))) {
            FD_SET(s, &failed);
            ready++;
        }
    }
    if (ready == 0) return select(maxfdp1, readset, writeset, exceptset, timeout);
    for (int s = 0; s < maxfdp1 && s < SOCKETS; s++) {
        if (readset != NULL && !FD_ISSET(s, &failed)) FD_CLR(s, readset);
        if (writeset != NULL && !FD_ISSET(s, &failed)) FD_CLR(s, writeset);
    }
    if (exceptset != NULL) FD_ZERO(exceptset);
    return ready;
}

int ipaddr_aton(const char *cp, ip_addr_t *addr) {
    memset(addr, 0, sizeof *addr);
    struct in_addr v4;
    if (inet_pton(AF_INET, cp, &v4) == 1) {
        addr->u_addr.ip4.addr = v4.s_addr;
        addr->type = IPADDR_TYPE_V4;
        return 1;
    }
    struct in6_addr v6;
    if (inet_pton(AF_INET6, cp, &v6) == 1) {
        memcpy(addr->u_addr.ip6.addr, &v6, 16);
        addr->type = IPADDR_TYPE_V6;
        return 1;
    }
    return 0;
}

int fake_ip_addr_isany(const ip_addr_t *addr) {
    if (addr == NULL) return 1;
    if (addr->type == IPADDR_TYPE_V4) return addr->u_addr.ip4.addr == 0;
    for (int i = 0; i < 4; i++)
        if (addr->u_addr.ip6.addr[i] != 0) return 0;
    return 1;
}

/* ---- DNS ----
 * The host test has no DNS server in CI. The fake's cache: "localhost" (127.0.0.1 and ::1),
 * "dualstack.test" (127.0.0.1 and 2001:db8::1) and "v6only.test" (2001:db8::2): answered at once when
 * the entry has the kind of address asked for, as lwIP answers from its cache. Anything else, a cached
 * name without such an address, and every name while no server is set, answers ERR_INPROGRESS and
 * calls back when the test says (fake_dns_answer); lwIP cannot cancel a query, so the callback comes
 * even after the board moved on. */
#define PENDING 8
static struct {
    char name[256];
    dns_found_callback found;
    void *arg;
} lookups[PENDING];
static ip_addr_t servers[2];

static const struct {
    const char *name, *v4, *v6;
} cache[] = {
    {"localhost", "127.0.0.1", "::1"},
    {"dualstack.test", "127.0.0.1", "2001:db8::1"},
    {"v6only.test", NULL, "2001:db8::2"},
};

void fake_lwip_reset(void) {
    memset(lookups, 0, sizeof lookups);
    memset(servers, 0, sizeof servers);
    memset(pending, 0, sizeof pending);
    memset(gone, 0, sizeof gone);
    next_connect = ERR_OK;
}

void dns_setserver(uint8_t numdns, const ip_addr_t *dnsserver) {
    if (numdns >= 2) return;
    if (dnsserver == NULL) memset(&servers[numdns], 0, sizeof servers[numdns]);
    else servers[numdns] = *dnsserver;
}

const ip_addr_t *dns_getserver(uint8_t numdns) { return numdns < 2 ? &servers[numdns] : &servers[0]; }

/* The cached address for `type`, in lwIP's order of preference. */
static const char *cached(const char *name, uint8_t type) {
    for (size_t i = 0; i < sizeof cache / sizeof cache[0]; i++) {
        if (strcmp(cache[i].name, name) != 0) continue;
        const char *v4 = cache[i].v4, *v6 = cache[i].v6;
        switch (type) {
        case LWIP_DNS_ADDRTYPE_IPV4: return v4;
        case LWIP_DNS_ADDRTYPE_IPV6: return v6;
        case LWIP_DNS_ADDRTYPE_IPV4_IPV6: return v4 != NULL ? v4 : v6;
        default: return v6 != NULL ? v6 : v4;
        }
    }
    return NULL;
}

err_t dns_gethostbyname_addrtype(const char *hostname, ip_addr_t *addr, dns_found_callback found, void *callback_arg,
                                 uint8_t dns_addrtype) {
    size_t length = strlen(hostname);
    if (length == 0 || length >= sizeof lookups[0].name) return ERR_ARG;
    if (ipaddr_aton(hostname, addr)) return ERR_OK; /* a numeral: no lookup */
    const char *answer = fake_ip_addr_isany(&servers[0]) ? NULL : cached(hostname, dns_addrtype);
    if (answer != NULL) return ipaddr_aton(answer, addr) ? ERR_OK : ERR_VAL;
    for (int i = 0; i < PENDING; i++) {
        if (lookups[i].found != NULL) continue;
        memcpy(lookups[i].name, hostname, length + 1);
        lookups[i].found = found;
        lookups[i].arg = callback_arg;
        return ERR_INPROGRESS;
    }
    return ERR_MEM;
}

err_t dns_gethostbyname(const char *hostname, ip_addr_t *addr, dns_found_callback found, void *callback_arg) {
    return dns_gethostbyname_addrtype(hostname, addr, found, callback_arg, LWIP_DNS_ADDRTYPE_DEFAULT);
}

int fake_dns_answer(const char *name, const char *address) {
    int answered = 0;
    for (int i = 0; i < PENDING; i++) {
        if (lookups[i].found == NULL || strcmp(lookups[i].name, name) != 0) continue;
        ip_addr_t parsed;
        int ok = address != NULL && ipaddr_aton(address, &parsed);
        dns_found_callback found = lookups[i].found;
        lookups[i].found = NULL;
        found(lookups[i].name, ok ? &parsed : NULL, lookups[i].arg);
        answered++;
    }
    return answered;
}

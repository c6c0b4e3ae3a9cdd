/* board_transport.c: the transport over lwIP's socket API, non-blocking throughout.
 *
 * Names are resolved with lwIP's asynchronous dns_gethostbyname_addrtype (lwip_getaddrinfo would
 * block the caller until the DNS answer), for IPv4 addresses only, under the tcpip core lock. The
 * socket is made non-blocking with lwip_fcntl before connect, so connect answers EINPROGRESS and
 * send/recv answer EWOULDBLOCK instead of waiting. IPv4 only: an IPv6 address (a literal, or an
 * answer of a configuration with LWIP_IPV6=1) is refused, never read as an IPv4 one. */
#include <string.h>

#include "board_internal.h"
#include "lwip/dns.h"
#include "lwip/err.h"
#include "lwip/errno.h"
#include "lwip/ip_addr.h"
#include "lwip/opt.h"
#include "lwip/sockets.h"
#include "lwip/sys.h" /* arch/sys_arch.h: the S32 SDK's FreeRTOS port defines errno there (below) */
#include "lwip/tcpip.h"

/* What this file needs of lwipopts.h; without it, it would build and fail at run time. */
#if !LWIP_SOCKET
#error "board_transport.c uses lwIP's socket API: set LWIP_SOCKET 1 in lwipopts.h"
#endif
#if !LWIP_IPV4
#error "board_transport.c connects over IPv4: set LWIP_IPV4 1 in lwipopts.h"
#endif
#if !LWIP_DNS
#error "board_transport.c resolves host names with lwIP's DNS client: set LWIP_DNS 1 in lwipopts.h"
#endif
#if !LWIP_TCPIP_CORE_LOCKING
#error "board_transport.c calls the DNS client under LOCK_TCPIP_CORE(): set LWIP_TCPIP_CORE_LOCKING 1 in lwipopts.h"
#endif

enum { IDLE, RESOLVING, CONNECTING, CONNECTED };
enum { DNS_WAITING, DNS_FOUND, DNS_FAILED };

void tcu_mpc_transport_init(tcu_mpc5748g *board) {
    board->socket = -1;
    board->phase = IDLE;
    board->last_failure = TCU_HAL_ERR_OTHER;
}

/* lwIP 2.1.2 reports a TCP failure as an err_t that err_to_errno (api/err.c) turns into an error
 * number: in errno after a failed call, in SO_ERROR for a connect in progress. It never produces
 * ECONNREFUSED or ETIMEDOUT. A refused connect is the peer's RST, ERR_RST -> ECONNRESET, as a reset
 * is; a timeout is lwIP's timers giving up (tcp_slowtmr: SYN, data or keepalive retransmissions),
 * ERR_ABRT -> ECONNABORTED, which a local abort also is (rare: memory, an address change). So the
 * phase tells a refusal from a reset. `error` is read right after the failed call. In the S32 SDK
 * (RTM 3.0.3, tcpip_stack/ports/OS/arch/sys_arch.h, with LWIP_SOCKET_SET_ERRNO as its lwipopts.h
 * sets it) errno is a macro reading the calling task's FreeRTOS thread-local pointer 0, which
 * lwIP's set_errno writes: per task, and only lwIP's own sockets set it. Without lwip/sys.h it
 * would be the plain `extern int errno` of lwip/errno.h (LWIP_PROVIDE_ERRNO), which those sockets
 * never write; hence the explicit include. */
static int failure_code(int error, int connecting) {
    switch (error) {
    case ECONNRESET: return connecting ? TCU_HAL_ERR_REFUSED : TCU_HAL_ERR_RESET; /* ERR_RST */
    case ECONNABORTED: return TCU_HAL_ERR_TIMEOUT;                               /* ERR_ABRT */
    case ENOTCONN: return TCU_HAL_ERR_RESET;          /* ERR_CLSD, ERR_CONN: the connection is gone */
    case EHOSTUNREACH: return TCU_HAL_ERR_UNREACHABLE; /* ERR_RTE: no route, no interface up */
    case -1: return TCU_HAL_ERR_UNREACHABLE;           /* ERR_IF: the interface could not send */
    default: return TCU_HAL_ERR_OTHER;                 /* ENOMEM, ENOBUFS, EIO (ERR_ARG), ... */
    }
}

/* ASCII case-insensitive equality (lwIP matches DNS names that way and hands the callback the
 * name of the table entry, which may be spelled as an earlier request spelled it). */
static int same_name(const char *a, const char *b) {
    for (;; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) return 0;
        if (x == '\0') return 1;
    }
}

/* Runs in lwIP's tcpip thread (holding the core lock): it only records the answer; the main loop
 * acts on it. lwIP cannot cancel a query, so the callback of a lookup abandoned by close() or a
 * new connect() still arrives later: an answer for another name than the one now being resolved
 * is dropped, or the client would connect to the previous host's address. */
static void dns_found(const char *name, const ip_addr_t *address, void *argument) {
    tcu_mpc5748g *board = argument;
    if (board->phase != RESOLVING) return; /* closed meanwhile */
    if (name == NULL || !same_name(name, board->dns_name)) return; /* a stale answer */
    /* Only IPv4 is asked for; an IPv6 answer all the same is "no usable address". */
    int usable = address != NULL && IP_IS_V4(address);
    if (usable) board->dns_address = *address;
    board->dns_answer = usable ? DNS_FOUND : DNS_FAILED;
}

static int start_connect(tcu_mpc5748g *board) {
    /* With LWIP_IPV6=1 an ip_addr_t may hold an IPv6 address: its first word is no IPv4 address. */
    if (!IP_IS_V4(&board->dns_address)) return board->last_failure = TCU_HAL_ERR_UNREACHABLE;
    int fd = lwip_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return board->last_failure = TCU_HAL_ERR_OTHER;
    if (lwip_fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        lwip_close(fd);
        return board->last_failure = TCU_HAL_ERR_OTHER;
    }
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(board->port);
    address.sin_addr.s_addr = ip4_addr_get_u32(ip_2_ip4(&board->dns_address));
    if (lwip_connect(fd, (const struct sockaddr *)&address, sizeof address) == 0) {
        board->socket = fd;
        board->phase = CONNECTED;
        return TCU_HAL_OK;
    }
    int error = errno;
    if (error == EINPROGRESS) {
        board->socket = fd;
        board->phase = CONNECTING;
        return TCU_HAL_IN_PROGRESS;
    }
    board->last_failure = failure_code(error, 1);
    lwip_close(fd);
    board->phase = IDLE;
    return board->last_failure;
}

void tcu_mpc_transport_close(void *context) {
    tcu_mpc5748g *board = context;
    if (board->socket >= 0) lwip_close(board->socket);
    board->socket = -1;
    if (board->phase == RESOLVING) {
        /* dns_found reads phase in the tcpip thread: change it under the same lock. */
        LOCK_TCPIP_CORE();
        board->phase = IDLE;
        UNLOCK_TCPIP_CORE();
    }
    board->phase = IDLE;
}

int tcu_mpc_transport_connect(void *context, const char *host, uint16_t port) {
    tcu_mpc5748g *board = context;
    tcu_mpc_transport_close(board);
    if (host == NULL || host[0] == '\0') return board->last_failure = TCU_HAL_ERR_NAME;
    board->port = port;
    if (ipaddr_aton(host, &board->dns_address)) return start_connect(board);
    size_t name_length = strlen(host);
    if (name_length >= sizeof board->dns_name) return board->last_failure = TCU_HAL_ERR_NAME; /* > DNS max */
    /* The state dns_found reads is written under the core lock, so a callback for an earlier
     * lookup sees either the old state (and is dropped) or the new name (and is compared). */
    LOCK_TCPIP_CORE();
    /* DHCP is off in the SDK's lwIP configuration, so there is no DNS server until the firmware
     * sets one (dns_setserver); every lookup would fail, later and without saying why. */
    if (ip_addr_isany(dns_getserver(0))) {
        UNLOCK_TCPIP_CORE();
        return board->last_failure = TCU_HAL_ERR_NAME;
    }
    memcpy(board->dns_name, host, name_length + 1);
    board->dns_answer = DNS_WAITING;
    board->phase = RESOLVING;
    err_t result =
        dns_gethostbyname_addrtype(host, &board->dns_address, dns_found, board, LWIP_DNS_ADDRTYPE_IPV4);
    if (result != ERR_INPROGRESS) board->phase = IDLE; /* no callback will come for this lookup */
    UNLOCK_TCPIP_CORE();
    if (result == ERR_OK) return start_connect(board); /* answered from lwIP's cache */
    if (result == ERR_INPROGRESS) return TCU_HAL_IN_PROGRESS;
    return board->last_failure = TCU_HAL_ERR_NAME;
}

int tcu_mpc_transport_poll_connect(void *context) {
    tcu_mpc5748g *board = context;
    switch (board->phase) {
    case RESOLVING: {
        /* dns_answer and dns_address are written by the tcpip thread: read them under its lock. */
        LOCK_TCPIP_CORE();
        int answer = board->dns_answer;
        if (answer != DNS_WAITING) board->phase = IDLE; /* answered: later callbacks are stale */
        UNLOCK_TCPIP_CORE();
        if (answer == DNS_WAITING) return TCU_HAL_IN_PROGRESS;
        if (answer == DNS_FAILED) return board->last_failure = TCU_HAL_ERR_NAME;
        return start_connect(board);
    }
    case CONNECTING: {
        fd_set writable;
        FD_ZERO(&writable);
        FD_SET(board->socket, &writable);
        struct timeval now = {0, 0};
        int ready = lwip_select(board->socket + 1, NULL, &writable, NULL, &now);
        if (ready == 0) return TCU_HAL_IN_PROGRESS;
        /* SO_ERROR: the connection's own stored error, not errno, which another task may change. */
        int error = 0;
        socklen_t size = sizeof error;
        if (ready < 0 || lwip_getsockopt(board->socket, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = EIO;
        if (error == 0) {
            board->phase = CONNECTED;
            return TCU_HAL_OK;
        }
        board->last_failure = failure_code(error, 1);
        tcu_mpc_transport_close(board);
        return board->last_failure;
    }
    case CONNECTED: return TCU_HAL_OK;
    default: return board->last_failure;
    }
}

int32_t tcu_mpc_transport_send(void *context, const uint8_t *data, size_t length) {
    tcu_mpc5748g *board = context;
    if (board->phase != CONNECTED || (data == NULL && length > 0)) return TCU_HAL_ERR_OTHER;
    if (length > 0x7FFFFFFFU) length = 0x7FFFFFFFU;
    ssize_t sent = lwip_send(board->socket, data, length, 0);
    int error = errno;
    if (sent > 0) return (int32_t)sent;
    if (sent < 0 && (error == EWOULDBLOCK || error == EAGAIN || error == EINTR)) return TCU_HAL_WOULD_BLOCK;
    return sent < 0 ? failure_code(error, 0) : TCU_HAL_ERR_OTHER;
}

int32_t tcu_mpc_transport_receive(void *context, uint8_t *buffer, size_t capacity) {
    tcu_mpc5748g *board = context;
    if (board->phase != CONNECTED || buffer == NULL || capacity == 0) return TCU_HAL_ERR_OTHER;
    if (capacity > 0x7FFFFFFFU) capacity = 0x7FFFFFFFU;
    ssize_t received = lwip_recv(board->socket, buffer, capacity, 0);
    int error = errno;
    if (received > 0) return (int32_t)received;
    if (received == 0) return TCU_HAL_CLOSED;
    if (error == EWOULDBLOCK || error == EAGAIN || error == EINTR) return TCU_HAL_WOULD_BLOCK;
    return failure_code(error, 0);
}

void tcu_mpc_transport_wait(void *context, int readable, uint32_t timeout_ms) {
    tcu_mpc5748g *board = context;
    if (board->socket < 0) return; /* resolving: nothing to wait on; the loop polls */
    fd_set set;
    FD_ZERO(&set);
    FD_SET(board->socket, &set);
    if (timeout_ms > 60000U) timeout_ms = 60000U;
    struct timeval timeout = {(long)(timeout_ms / 1000U), (long)(timeout_ms % 1000U) * 1000L};
    (void)lwip_select(board->socket + 1, readable ? &set : NULL, readable ? NULL : &set, NULL, &timeout);
}

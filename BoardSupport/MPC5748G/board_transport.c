/* board_transport.c: the transport over lwIP's socket API, non-blocking throughout.
 *
 * Names are resolved with lwIP's asynchronous dns_gethostbyname (lwip_getaddrinfo would block the
 * caller until the DNS answer), under the tcpip core lock (LWIP_TCPIP_CORE_LOCKING=1). The socket
 * is made non-blocking with lwip_fcntl before connect, so connect answers EINPROGRESS and
 * send/recv answer EWOULDBLOCK instead of waiting. IPv4 only, as the SDK's lwIP is configured. */
#include <string.h>

#include "board_internal.h"
#include "lwip/dns.h"
#include "lwip/sockets.h"
#include "lwip/tcpip.h"

enum { IDLE, RESOLVING, CONNECTING, CONNECTED };
enum { DNS_WAITING, DNS_FOUND, DNS_FAILED };

void tcu_mpc_transport_init(tcu_mpc5748g *board) {
    board->socket = -1;
    board->phase = IDLE;
    board->last_failure = TCU_HAL_ERR_OTHER;
}

static int failure_code(int error) {
    switch (error) {
    case ECONNREFUSED: return TCU_HAL_ERR_REFUSED;
    case ECONNRESET: case ECONNABORTED: case EPIPE: case ENOTCONN: return TCU_HAL_ERR_RESET;
    case EHOSTUNREACH: case ENETUNREACH: case ENETDOWN: return TCU_HAL_ERR_UNREACHABLE;
    case ETIMEDOUT: return TCU_HAL_ERR_TIMEOUT;
    default: return TCU_HAL_ERR_OTHER;
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
    if (address != NULL) board->dns_address = *address;
    board->dns_answer = address != NULL ? DNS_FOUND : DNS_FAILED;
}

static int start_connect(tcu_mpc5748g *board) {
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
    if (errno == EINPROGRESS) {
        board->socket = fd;
        board->phase = CONNECTING;
        return TCU_HAL_IN_PROGRESS;
    }
    board->last_failure = failure_code(errno);
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
    memcpy(board->dns_name, host, name_length + 1);
    board->dns_answer = DNS_WAITING;
    board->phase = RESOLVING;
    err_t result = dns_gethostbyname(host, &board->dns_address, dns_found, board);
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
        int error = 0;
        socklen_t size = sizeof error;
        if (ready < 0 || lwip_getsockopt(board->socket, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = EIO;
        if (error == 0) {
            board->phase = CONNECTED;
            return TCU_HAL_OK;
        }
        board->last_failure = failure_code(error);
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
    if (sent > 0) return (int32_t)sent;
    if (sent < 0 && (errno == EWOULDBLOCK || errno == EAGAIN || errno == EINTR)) return TCU_HAL_WOULD_BLOCK;
    return sent < 0 ? failure_code(errno) : TCU_HAL_ERR_OTHER;
}

int32_t tcu_mpc_transport_receive(void *context, uint8_t *buffer, size_t capacity) {
    tcu_mpc5748g *board = context;
    if (board->phase != CONNECTED || buffer == NULL || capacity == 0) return TCU_HAL_ERR_OTHER;
    if (capacity > 0x7FFFFFFFU) capacity = 0x7FFFFFFFU;
    ssize_t received = lwip_recv(board->socket, buffer, capacity, 0);
    if (received > 0) return (int32_t)received;
    if (received == 0) return TCU_HAL_CLOSED;
    if (errno == EWOULDBLOCK || errno == EAGAIN || errno == EINTR) return TCU_HAL_WOULD_BLOCK;
    return failure_code(errno);
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

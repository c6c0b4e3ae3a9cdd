/* ref_client.c: the baseline for benchmarks — a minimal C client calling wolfSSL directly with
 * the TCULink core's configuration: TLS 1.3, WOLFSSL_VERIFY_PEER against the same trust anchor,
 * the same device chain, the key kept behind the same PK callback (wolfSSL gets only the public
 * key), SNI, and a wait for the server's session ticket. Blocking sockets.
 *
 *   ref_client HOST PORT SERVERNAME CHAIN KEY TRUST ROUNDS [MAX_FRAGMENT] [ECHO_BYTES] [HTTP_PATH]
 *
 * HTTP_PATH: after each handshake, `GET HTTP_PATH HTTP/1.0` and read the reply to its end, instead of
 * waiting for a ticket: a server that sends its TLS 1.3 ticket only with its first write (BoringSSL,
 * so tcu-backend) is measured by a handshake plus one request, like `openssl s_server -www`.
 *
 * ECHO_BYTES > 0: after each handshake, send a line of that many bytes and read the server's echo
 * (`openssl s_server -rev`), so the heap figure covers a connection that moves large records.
 * MAX_FRAGMENT (512, 1024, 2048 or 4096) asks the server for smaller records, as the core's
 * ClientConfiguration.maxFragmentLength does. RSA device keys sign through the same PK callback.
 * Prints one line: "handshakes=… cpu_us_per_handshake=… peak_heap=… peak_process_heap=…
 * bytes_full=… bytes_resumed=…". */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "counting_alloc.h"
#include "posix_keys.h"

static tcu_host_key *key;
static long sent_bytes, received_bytes;
static int ticket_seen, last_resumed;

static int on_ticket(WOLFSSL *ssl, const unsigned char *ticket, int length, void *ctx) {
    (void)ssl; (void)ticket; (void)length; (void)ctx;
    ticket_seen = 1;
    return 0;
}

/* A PK callback's answer: the signature's length (n > 0) in *outSz, or a failure. */
static int signature_written(int n, word32 *outSz) {
    if (n <= 0) return -1;
    *outSz = (word32)n;
    return 0;
}

static int sign_ecc(WOLFSSL *ssl, const unsigned char *in, unsigned int inSz, unsigned char *out, word32 *outSz,
                    const unsigned char *keyDer, unsigned int keySz, void *ctx) {
    (void)ssl; (void)keyDer; (void)keySz; (void)ctx;
    return signature_written(tcu_host_key_sign_ecdsa(key, in, inSz, out, *outSz), outSz);
}

static int sign_rsa(WOLFSSL *ssl, const unsigned char *in, unsigned int inSz, unsigned char *out, word32 *outSz,
                    const unsigned char *keyDer, unsigned int keySz, void *ctx) {
    (void)ssl; (void)keyDer; (void)keySz; (void)ctx;
    return signature_written(tcu_host_key_sign_rsa_pkcs1(key, in, inSz, out, *outSz), outSz);
}

static int sign_rsa_pss(WOLFSSL *ssl, const unsigned char *in, unsigned int inSz, unsigned char *out, word32 *outSz,
                        int hash, int mgf, const unsigned char *keyDer, unsigned int keySz, void *ctx) {
    (void)ssl; (void)mgf; (void)keyDer; (void)keySz; (void)ctx;
    int n = tcu_host_key_sign_rsa_pss(key, in, inSz, hash == WC_HASH_TYPE_SHA384 ? 1 : hash == WC_HASH_TYPE_SHA512 ? 2 : 0,
                                      out, *outSz);
    return signature_written(n, outSz);
}

static int max_fragment_code;
static int echo_bytes;
static const char *http_path;

/* Sends one HTTP/1.0 GET and reads until the server closes (non-blocking socket; bounded turns). */
static int http_get(WOLFSSL *ssl, int fd) {
    char request[512], buffer[4096];
    int length = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", http_path);
    int sent = 0, received = 0;
    for (int turns = 0; turns < 1000; turns++) {
        if (sent < length) {
            int n = wolfSSL_write(ssl, request + sent, length - sent);
            if (n > 0) sent += n;
        }
        int n = wolfSSL_read(ssl, buffer, sizeof buffer);
        if (n > 0) { received += n; continue; }
        int error = wolfSSL_get_error(ssl, n);
        if (error != WOLFSSL_ERROR_WANT_READ && error != WOLFSSL_ERROR_WANT_WRITE) break;
        struct pollfd entry = {.fd = fd, .events = POLLIN | (sent < length ? POLLOUT : 0)};
        poll(&entry, 1, 100);
    }
    return received > 0 ? 0 : -1;
}

/* Sends `echo_bytes` bytes and a newline, and reads until the echoed newline (non-blocking socket). */
static int echo(WOLFSSL *ssl, int fd) {
    char *line = malloc((size_t)echo_bytes + 1), buffer[4096];
    if (!line) return -1;
    memset(line, 'x', (size_t)echo_bytes);
    line[echo_bytes] = '\n';
    int sent = 0, seen_newline = 0;
    for (int turns = 0; turns < 1000 && (sent < echo_bytes + 1 || !seen_newline); turns++) {
        if (sent < echo_bytes + 1) {
            int n = wolfSSL_write(ssl, line + sent, echo_bytes + 1 - sent);
            if (n > 0) sent += n;
        }
        int n = wolfSSL_read(ssl, buffer, sizeof buffer);
        if (n > 0 && memchr(buffer, '\n', (size_t)n)) seen_newline = 1;
        if (n <= 0) {
            struct pollfd entry = {.fd = fd, .events = POLLIN | (sent < echo_bytes + 1 ? POLLOUT : 0)};
            poll(&entry, 1, 100);
        }
    }
    free(line);
    return seen_newline ? 0 : -1;
}

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx) {
    (void)ssl;
    int n = (int)recv(*(int *)ctx, buf, (size_t)sz, 0);
    if (n > 0) { received_bytes += n; return n; }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return WOLFSSL_CBIO_ERR_WANT_READ;
    return n == 0 ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_GENERAL;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx) {
    (void)ssl;
    int n = (int)send(*(int *)ctx, buf, (size_t)sz, MSG_NOSIGNAL);
    if (n > 0) { sent_bytes += n; return n; }
    return WOLFSSL_CBIO_ERR_GENERAL;
}

static uint8_t *read_file(const char *path, long *length) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *length = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc((size_t)*length);
    if (fread(data, 1, (size_t)*length, f) != (size_t)*length) { free(data); data = NULL; }
    fclose(f);
    return data;
}

static int tcp(const char *host, const char *port) {
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *list;
    if (getaddrinfo(host, port, &hints, &list) != 0) return -1;
    int fd = socket(list->ai_family, SOCK_STREAM, 0);
    /* As the device's HALs do: without it, a request written right after the handshake waits for the ACK of
     * the last flight, which a server with nothing to send yet (BoringSSL defers its ticket) delays ~40 ms. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, list->ai_addr, list->ai_addrlen) != 0) { close(fd); fd = -1; }
    freeaddrinfo(list);
    return fd;
}

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

/* One handshake (resuming `session` if given); waits for the ticket; returns the new session or NULL. */
static WOLFSSL_SESSION *handshake(WOLFSSL_CTX *ctx, const char *host, const char *port, const char *name,
                                  WOLFSSL_SESSION *session, long *bytes) {
    int fd = tcp(host, port);
    if (fd < 0) return NULL;
    WOLFSSL *ssl = wolfSSL_new(ctx);
    wolfSSL_SetIOReadCtx(ssl, &fd);
    wolfSSL_SetIOWriteCtx(ssl, &fd);
    wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, name, (unsigned short)strlen(name));
    if (max_fragment_code) wolfSSL_UseMaxFragment(ssl, (unsigned char)max_fragment_code);
    if (session) wolfSSL_set_session(ssl, session);
    ticket_seen = 0;
    wolfSSL_set_SessionTicket_cb(ssl, on_ticket, NULL);
    long before = sent_bytes + received_bytes;
    WOLFSSL_SESSION *next = NULL;
    if (wolfSSL_connect(ssl) == WOLFSSL_SUCCESS) {
        /* Like the core: wait (up to 3 s) for the server's ticket, the proof of acceptance in TLS 1.3. */
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        char buffer[64];
        for (int i = 0; i < 30 && !ticket_seen && !http_path; i++) {
            if (wolfSSL_read(ssl, buffer, sizeof buffer) > 0) break;
            if (ticket_seen) break;
            struct pollfd entry = {.fd = fd, .events = POLLIN};
            poll(&entry, 1, 100);
        }
        if (bytes) *bytes = sent_bytes + received_bytes - before;
        if (echo_bytes > 0 && echo(ssl, fd) != 0) fprintf(stderr, "ref_client: no echo\n");
        if (http_path && http_get(ssl, fd) != 0) fprintf(stderr, "ref_client: no HTTP reply\n");
        last_resumed = wolfSSL_session_reused(ssl);
        next = wolfSSL_get1_session(ssl);
        wolfSSL_shutdown(ssl);
    }
    wolfSSL_free(ssl);
    close(fd);
    return next;
}

int main(int argc, char **argv) {
    if (argc < 8) {
        fprintf(stderr, "usage: %s HOST PORT SERVERNAME CHAIN KEY TRUST ROUNDS [MAX_FRAGMENT]\n", argv[0]);
        return 2;
    }
    int rounds = atoi(argv[7]);
    if (argc > 9) echo_bytes = atoi(argv[9]);
    if (argc > 10) http_path = argv[10];
    if (argc > 8 && atoi(argv[8]) != 0) {
        int fragment = atoi(argv[8]);
        max_fragment_code = fragment == 512 ? WOLFSSL_MFL_2_9 : fragment == 1024 ? WOLFSSL_MFL_2_10
                            : fragment == 2048 ? WOLFSSL_MFL_2_11 : fragment == 4096 ? WOLFSSL_MFL_2_12 : -1;
        if (max_fragment_code < 0) { fprintf(stderr, "MAX_FRAGMENT: 512, 1024, 2048 or 4096\n"); return 2; }
    }
    tcu_counting_install();
    wolfSSL_Init();
    long length;
    uint8_t *key_pem = read_file(argv[5], &length);
    if (!key_pem || tcu_host_key_load(key_pem, (size_t)length, &key) != 0) { fprintf(stderr, "key\n"); return 2; }
    uint8_t spki[1024];
    int spki_length = tcu_host_key_public_der(key, spki, sizeof spki);

    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    long trust_length;
    uint8_t *trust = read_file(argv[6], &trust_length);
    wolfSSL_CTX_load_verify_buffer(ctx, trust, trust_length, WOLFSSL_FILETYPE_PEM);
    wolfSSL_CTX_SetEccSignCb(ctx, sign_ecc);
    wolfSSL_CTX_SetRsaSignCb(ctx, sign_rsa);
    wolfSSL_CTX_SetRsaPssSignCb(ctx, sign_rsa_pss);
    long chain_length;
    uint8_t *chain = read_file(argv[4], &chain_length);
    wolfSSL_CTX_use_certificate_chain_buffer_format(ctx, chain, chain_length, WOLFSSL_FILETYPE_PEM);
    wolfSSL_CTX_use_PrivateKey_buffer(ctx, spki, spki_length, WOLFSSL_FILETYPE_ASN1);
    wolfSSL_CTX_SetIORecv(ctx, io_recv);
    wolfSSL_CTX_SetIOSend(ctx, io_send);

    /* Warm-up and the bytes of a full and a resumed handshake. */
    long full_bytes = 0, resumed_bytes = 0;
    WOLFSSL_SESSION *session = handshake(ctx, argv[1], argv[2], argv[3], NULL, &full_bytes);
    WOLFSSL_SESSION *again = handshake(ctx, argv[1], argv[2], argv[3], session, &resumed_bytes);
    int resumed = again && last_resumed;
    wolfSSL_SESSION_free(again);

    int done = 0;
    size_t peak = 0, process_peak = 0;
    double cpu = 0;
    for (int i = 0; i < rounds; i++) {
        size_t base = tcu_counting_in_use(), process_base = tcu_process_heap_in_use();
        tcu_counting_reset_peak();
        tcu_process_heap_reset_peak();
        double start = cpu_seconds();
        WOLFSSL_SESSION *s = handshake(ctx, argv[1], argv[2], argv[3], NULL, NULL);
        cpu += cpu_seconds() - start;
        if (tcu_counting_peak() - base > peak) peak = tcu_counting_peak() - base;
        if (tcu_process_heap_peak() - process_base > process_peak) process_peak = tcu_process_heap_peak() - process_base;
        if (s) { done++; wolfSSL_SESSION_free(s); }
    }
    printf("handshakes=%d cpu_us_per_handshake=%.0f peak_heap=%zu peak_process_heap=%zu bytes_full=%ld "
           "bytes_resumed=%ld resumed=%s\n",
           done, done ? cpu * 1e6 / done : 0, peak, process_peak, full_bytes, resumed_bytes,
           resumed ? "yes" : "no");
    wolfSSL_SESSION_free(session);
    wolfSSL_CTX_free(ctx);
    tcu_host_key_free(key);
    wolfSSL_Cleanup();
    return done == rounds ? 0 : 1;
}

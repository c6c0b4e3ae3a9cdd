/* test_c_api.c: the TCULink C API driven from C, as firmware drives it.
 *
 *   tcu-c-api-tests PKI_DIR GOOD_PORT WRONG_NAME_PORT
 *
 * PKI_DIR is a folder made by scripts/targets/make-test-pki; on GOOD_PORT an
 * `openssl s_server -Verify 1 -verify_return_error -rev` serves server/good, on
 * WRONG_NAME_PORT one serves server/wrongname. Prints one line per check and
 * "N passed, M failed"; exits non-zero when a check failed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcu_hal_posix.h"
#include "tculink.h"

static int passed, failed;

#define CHECK(condition, name)                                                        \
    do {                                                                              \
        if (condition) { passed++; printf("ok     %s\n", name); }                     \
        else { failed++; printf("FAILED %s (%s:%d: %s)\n", name, __FILE__, __LINE__, #condition); } \
    } while (0)

static const char *pki;

typedef struct device {
    tcu_posix_hal posix;
    tcu_hal hal;
} device;

static int open_device(device *d, const char *name) {
    char chain[512], key[512], trust[512], error[512];
    snprintf(chain, sizeof chain, "%s/%s/chain.pem", pki, name);
    snprintf(key, sizeof key, "%s/%s/key.pem", pki, name);
    snprintf(trust, sizeof trust, "%s/%s/trust.pem", pki, name);
    if (tcu_posix_hal_init(&d->posix, &d->hal, chain, key, trust, NULL, error, sizeof error) != 0) {
        printf("setup: %s\n", error);
        return -1;
    }
    return 0;
}

/* Steps the client to a final status, waiting on the transport as firmware would. */
static tcu_status run_to_end(tcu_client *client, const tcu_hal *hal) {
    for (int turns = 0; turns < 100000; turns++) {
        tcu_wait wait = {0};
        tcu_status status = tcu_client_step(client, &wait);
        if (status != TCU_IN_PROGRESS) return status;
        uint64_t now = hal->clock_monotonic_ms(hal->context);
        hal->transport_wait(hal->context, wait.readable, wait.until_ms > now ? (uint32_t)(wait.until_ms - now) : 0);
    }
    return 99;
}

static tcu_client *connect_to(const tcu_hal *hal, uint16_t port, uint32_t handshake_ms, tcu_status *status) {
    tcu_client_config config = {.host = "localhost", .port = port, .server_name = "localhost",
                                .handshake_timeout_ms = handshake_ms};
    tcu_client *client = NULL;
    *status = tcu_client_create(hal, &config, &client);
    if (*status == TCU_OK) *status = run_to_end(client, hal);
    return client;
}

static void test_success(uint16_t port) {
    device d;
    if (open_device(&d, "device") != 0) { failed++; return; }
    tcu_status status;
    tcu_client *client = connect_to(&d.hal, port, 10000, &status);
    CHECK(status == TCU_OK, "success: handshake established");
    CHECK(tcu_client_step(client, NULL) == TCU_OK, "success: stepping an established client stays TCU_OK");
    tcu_connection_info info;
    CHECK(tcu_client_info(client, &info) == TCU_OK && info.protocol_version == 0x0304, "success: TLS 1.3 negotiated");
    CHECK(info.acceptance == 1, "success: the server's session ticket proved it accepted the device");
    CHECK(strlen(info.cipher_suite) > 0, "success: cipher suite reported");
    CHECK(tcu_client_error(client, NULL) == TCU_OK, "success: no failure reported");
    const char *line = "ping\n";
    size_t sent = 0;
    tcu_status sending = TCU_OK;
    for (int i = 0; i < 100 && sending == TCU_OK && sent == 0; i++)
        sending = tcu_client_send(client, (const uint8_t *)line, strlen(line), &sent);
    CHECK(sending == TCU_OK && sent == strlen(line), "success: request sent");
    uint8_t reply[64] = {0};
    size_t got = 0;
    tcu_status receiving = TCU_OK;
    uint64_t deadline = d.hal.clock_monotonic_ms(d.hal.context) + 5000;
    while (receiving == TCU_OK && got == 0 && d.hal.clock_monotonic_ms(d.hal.context) < deadline) {
        receiving = tcu_client_receive(client, reply, sizeof reply - 1, &got);
        if (receiving == TCU_OK && got == 0) d.hal.transport_wait(d.hal.context, 1, 100);
    }
    CHECK(receiving == TCU_OK && got >= 4 && memcmp(reply, "gnip", 4) == 0, "success: reply received (s_server -rev)");
    tcu_client_close(client);
    CHECK(tcu_client_step(client, NULL) == TCU_CLOSED, "success: closed after tcu_client_close");
    sent = 99;
    CHECK(tcu_client_send(client, (const uint8_t *)"x", 1, &sent) == TCU_CLOSED && sent == 0,
          "success: send after close reports TCU_CLOSED, nothing sent");
    CHECK(tcu_client_receive(client, reply, sizeof reply, &got) == TCU_CLOSED && got == 0,
          "success: receive after close reports TCU_CLOSED");
    CHECK(tcu_client_error(client, NULL) == TCU_OK, "success: an orderly close is no failure");
    CHECK(strcmp(tcu_status_text(TCU_CLOSED), "closed") == 0 && strcmp(tcu_status_text(TCU_OK), "ok") == 0,
          "status text: ok and closed");
    tcu_client_free(client);
    tcu_posix_hal_deinit(&d.posix);
}

static void test_refused_by_server(uint16_t port) {
    device d;
    if (open_device(&d, "device-rogue") != 0) { failed++; return; }
    tcu_status status;
    tcu_client *client = connect_to(&d.hal, port, 10000, &status);
    uint8_t alert = 0;
    tcu_status error = tcu_client_error(client, &alert);
    CHECK(status < 0 && error == status, "refused by the server: failed, step and tcu_client_error agree");
    CHECK(status == -TCU_REASON_PEER_REJECTED_CERTIFICATE && TCU_STATUS_REASON(status) == 20,
          "refused by the server: reason peerRejectedCertificate (20)");
    CHECK(alert != 255, "refused by the server: the server's alert reported");
    CHECK(strstr(tcu_reason_text(TCU_STATUS_REASON(status)), "rejected") != NULL &&
              strcmp(tcu_status_text(status), tcu_reason_text(20)) == 0,
          "refused by the server: reason text, and the status's text is the reason's");
    size_t got = 99;
    uint8_t buffer[8];
    CHECK(tcu_client_receive(client, buffer, sizeof buffer, &got) == status && got == 0,
          "refused by the server: receive reports the failure");
    tcu_client_free(client);
    tcu_posix_hal_deinit(&d.posix);
}

static void test_server_refused(uint16_t port) {
    device d;
    if (open_device(&d, "device") != 0) { failed++; return; }
    tcu_status status;
    tcu_client *client = connect_to(&d.hal, port, 10000, &status);
    uint8_t alert = 0;
    tcu_status error = tcu_client_error(client, &alert);
    CHECK(status == -TCU_REASON_SERVER_NAME_MISMATCH && error == status, "server refused: serverNameMismatch (5)");
    CHECK(alert == 255, "server refused: no alert from the server (the device refused it)");
    tcu_client_free(client);
    tcu_posix_hal_deinit(&d.posix);
}

/* A transport that dies after `budget` bytes received: the link drops mid-handshake. */
static int32_t (*real_receive)(void *, uint8_t *, size_t);
static long budget;
static int32_t dying_receive(void *context, uint8_t *buffer, size_t capacity) {
    if (budget <= 0) return TCU_HAL_ERR_RESET;
    int32_t got = real_receive(context, buffer, capacity < (size_t)budget ? capacity : (size_t)budget);
    if (got > 0) budget -= got;
    return got;
}

static void test_transport_dies(uint16_t port) {
    device d;
    if (open_device(&d, "device") != 0) { failed++; return; }
    real_receive = d.hal.transport_receive;
    d.hal.transport_receive = dying_receive;
    budget = 200; /* part of the server's first flight */
    tcu_status status;
    tcu_client *client = connect_to(&d.hal, port, 10000, &status);
    CHECK(status == -TCU_REASON_CONNECTION_RESET && tcu_client_error(client, NULL) == status,
          "transport dies mid-handshake: connectionReset (51)");
    tcu_client_free(client);
    tcu_posix_hal_deinit(&d.posix);
}

static void test_silent_server_times_out(void) {
    /* A listening socket nobody accepts on: TCP connects, TLS never answers. */
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    bind(listener, (struct sockaddr *)&address, sizeof address);
    listen(listener, 4);
    getsockname(listener, (struct sockaddr *)&address, &length);
    device d;
    if (open_device(&d, "device") != 0) { failed++; close(listener); return; }
    tcu_status status;
    uint64_t start = d.hal.clock_monotonic_ms(d.hal.context);
    tcu_client *client = connect_to(&d.hal, ntohs(address.sin_port), 400, &status);
    uint64_t elapsed = d.hal.clock_monotonic_ms(d.hal.context) - start;
    CHECK(status == -TCU_REASON_HANDSHAKE_TIMEOUT && tcu_client_error(client, NULL) == status,
          "silent server: handshakeTimeout (41)");
    CHECK(elapsed >= 400 && elapsed < 3000, "silent server: gave up on time");
    tcu_client_free(client);
    tcu_posix_hal_deinit(&d.posix);
    close(listener);
}

static void test_refused_connection(void) {
    device d;
    if (open_device(&d, "device") != 0) { failed++; return; }
    tcu_status status;
    tcu_client *client = connect_to(&d.hal, 1, 1000, &status);
    CHECK(status == -TCU_REASON_CONNECTION_REFUSED && tcu_client_error(client, NULL) == status,
          "nobody listening: connectionRefused (50)");
    tcu_client_free(client);
    tcu_posix_hal_deinit(&d.posix);
}

/* DER lengths near 2^32 in a key store's certificates: refused, never trapped on. Run through
 * wasm2c this is the core as a 32-bit build (wasm32), where such a length does not fit an Int. */
static const uint8_t huge_outer_length[] = {0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xF0, 0x02, 0x01, 0x01};
static const uint8_t huge_inner_length[] = {0x30, 0x0B, 0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x01, 0x05, 0x00};
static const uint8_t *hostile_anchor;
static size_t hostile_anchor_length;
static int (*real_certificate)(void *, int, size_t, const uint8_t **, size_t *);
static int hostile_certificate(void *context, int set, size_t index, const uint8_t **der, size_t *length) {
    if (set != TCU_CERTS_TRUST_ANCHORS) return real_certificate(context, set, index, der, length);
    if (index > 0) return 1;
    *der = hostile_anchor;
    *length = hostile_anchor_length;
    return 0;
}

static void test_hostile_lengths(void) {
    device d;
    if (open_device(&d, "device") != 0) { failed++; return; }
    real_certificate = d.hal.keystore_certificate;
    d.hal.keystore_certificate = hostile_certificate;
    tcu_client_config config = {.host = "localhost", .port = 443};
    tcu_client *client = NULL;
    hostile_anchor = huge_outer_length;
    hostile_anchor_length = sizeof huge_outer_length;
    CHECK(tcu_client_create(&d.hal, &config, &client) == -62 && client == NULL,
          "hostile DER: an outer length of 2^32-16 refused (invalidConfiguration), no trap");
    hostile_anchor = huge_inner_length;
    hostile_anchor_length = sizeof huge_inner_length;
    CHECK(tcu_client_create(&d.hal, &config, &client) == -62 && client == NULL,
          "hostile DER: an inner length of 2^31-1 refused (invalidConfiguration), no trap");
    tcu_posix_hal_deinit(&d.posix);
}

static void test_misuse(void) {
    tcu_client *client = NULL;
    tcu_client_config config = {.host = "localhost", .port = 443};
    CHECK(tcu_client_create(NULL, &config, &client) == -TCU_REASON_INVALID_ARGUMENT && client == NULL,
          "misuse: NULL HAL refused (invalidArgument)");
    device d;
    if (open_device(&d, "device") != 0) { failed++; return; }
    CHECK(tcu_client_create(&d.hal, NULL, &client) == -TCU_REASON_INVALID_ARGUMENT, "misuse: NULL config refused");
    CHECK(tcu_client_create(&d.hal, &config, NULL) == -TCU_REASON_INVALID_ARGUMENT, "misuse: NULL client_out refused");
    tcu_hal incomplete = d.hal;
    incomplete.store_erase = NULL;
    CHECK(tcu_hal_missing_function(&incomplete) == 14, "misuse: the missing HAL function is named");
    CHECK(tcu_client_create(&incomplete, &config, &client) == -TCU_REASON_INVALID_CONFIGURATION && client == NULL,
          "misuse: incomplete HAL refused (invalidConfiguration)");
    tcu_client_config no_host = {.host = NULL, .port = 443};
    CHECK(tcu_client_create(&d.hal, &no_host, &client) == -TCU_REASON_INVALID_CONFIGURATION, "misuse: no host refused");
    tcu_client_config no_port = {.host = "localhost", .port = 0};
    CHECK(tcu_client_create(&d.hal, &no_port, &client) < 0 && client == NULL, "misuse: port 0 refused");
    tcu_client_config odd_fragment = {.host = "localhost", .port = 443, .max_fragment_length = 700};
    CHECK(tcu_client_create(&d.hal, &odd_fragment, &client) == -TCU_REASON_INVALID_CONFIGURATION,
          "misuse: a max fragment length other than 512/1024/2048/4096 refused");
    tcu_client_config small_fragment = {.host = "localhost", .port = 443, .max_fragment_length = 1024};
    tcu_client *small = NULL;
    CHECK(tcu_client_create(&d.hal, &small_fragment, &small) == TCU_OK && small != NULL,
          "config: max fragment length 1024 accepted");
    size_t count = 99;
    uint8_t byte = 0;
    CHECK(tcu_client_send(small, NULL, 0, &count) == -TCU_REASON_INVALID_ARGUMENT && count == 0 &&
              tcu_client_receive(small, NULL, 0, &count) == -TCU_REASON_INVALID_ARGUMENT,
          "misuse: NULL data or buffer refused, even for length 0");
    CHECK(tcu_client_send(small, &byte, 1, NULL) == -TCU_REASON_INVALID_ARGUMENT &&
              tcu_client_receive(small, &byte, 1, NULL) == -TCU_REASON_INVALID_ARGUMENT,
          "misuse: NULL sent_out or received_out refused");
    CHECK(tcu_client_send(small, &byte, 1, &count) == -TCU_REASON_INVALID_STATE && count == 0,
          "misuse: send before established refused (invalidState)");
    tcu_connection_info info;
    CHECK(tcu_client_info(small, &info) == -TCU_REASON_INVALID_STATE, "misuse: info before established (invalidState)");
    CHECK(tcu_client_error(small, NULL) == TCU_OK, "misuse: a client not yet started has no failure");
    tcu_client_free(small);
    uint8_t alert = 0;
    CHECK(tcu_client_error(NULL, &alert) == -TCU_REASON_INVALID_ARGUMENT && alert == 255,
          "misuse: error of NULL is invalidArgument, alert 255");
    CHECK(tcu_client_step(NULL, NULL) == -TCU_REASON_INVALID_ARGUMENT, "misuse: step on NULL refused");
    CHECK(tcu_client_receive(NULL, &byte, 1, &count) == -TCU_REASON_INVALID_ARGUMENT, "misuse: receive on NULL refused");
    CHECK(tcu_client_info(NULL, &info) == -TCU_REASON_INVALID_ARGUMENT, "misuse: info on NULL refused");
    tcu_client_free(NULL);
    CHECK(tcu_reason_text(0) != NULL && tcu_reason_text(999) != NULL, "misuse: any reason has a text");
    CHECK(tcu_status_text(TCU_IN_PROGRESS) != NULL && tcu_status_text(-999) != NULL && tcu_status_text(99) != NULL &&
              strstr(tcu_status_text(-TCU_REASON_INVALID_ARGUMENT), "argument") != NULL,
          "status text: any status has one, a failure its reason's");
    CHECK(tcu_reason_is_permanent(TCU_REASON_UNKNOWN_CA) == 1 && tcu_reason_is_permanent(TCU_REASON_WEAK_KEY) == 1,
          "reasons: a refused certificate is permanent");
    CHECK(tcu_reason_is_permanent(TCU_REASON_CONNECTION_RESET) == 0 && tcu_reason_is_permanent(999) == 0,
          "reasons: a reset, or an unknown reason, is not");
    tcu_posix_hal_deinit(&d.posix);
}

/* Small records (max fragment length 512): the server's session ticket then spans several records
 * after the handshake; the connection must reassemble it and stay usable for data both ways. */
static void test_small_records(uint16_t port) {
    device d;
    if (open_device(&d, "device") != 0) { failed++; return; }
    tcu_client_config config = {.host = "localhost", .port = port, .server_name = "localhost",
                                .max_fragment_length = 512};
    tcu_client *client = NULL;
    CHECK(tcu_client_create(&d.hal, &config, &client) == TCU_OK && run_to_end(client, &d.hal) == TCU_OK,
          "small records: established with MFL 512");
    tcu_connection_info info;
    CHECK(tcu_client_info(client, &info) == TCU_OK && info.acceptance == 1,
          "small records: the fragmented session ticket was read");
    char line[1500];
    memset(line, 'a', sizeof line - 1);
    line[0] = 'z';
    line[sizeof line - 2] = '\n';
    line[sizeof line - 1] = 0;
    size_t length = strlen(line), sent = 0;
    uint64_t deadline = d.hal.clock_monotonic_ms(d.hal.context) + 5000;
    while (sent < length && d.hal.clock_monotonic_ms(d.hal.context) < deadline) {
        size_t n = 0;
        if (tcu_client_send(client, (const uint8_t *)line + sent, length - sent, &n) != TCU_OK) break;
        sent += n;
    }
    CHECK(sent == length, "small records: a 1.5 KB line sent in several records");
    uint8_t reply[2048];
    size_t got = 0;
    const uint8_t *end = NULL;
    while (d.hal.clock_monotonic_ms(d.hal.context) < deadline && !end) {
        size_t n = 0;
        if (tcu_client_receive(client, reply + got, sizeof reply - got, &n) != TCU_OK) break;
        if (n == 0) d.hal.transport_wait(d.hal.context, 1, 100);
        got += n;
        end = memchr(reply, '\n', got);
    }
    /* s_server -rev answers the line reversed: the 'z' it began with comes last. */
    size_t line_length = end ? (size_t)(end - reply) : 0;
    if (line_length > 0 && reply[line_length - 1] == '\r') line_length--;
    CHECK(line_length == length - 1 && reply[line_length - 1] == 'z',
          "small records: the reversed line came back whole");
    tcu_client_free(client);
    tcu_posix_hal_deinit(&d.posix);
}

/* One context for successive clients (reconnects), freed before the last client is. */
static void test_shared_context(uint16_t port) {
    device d;
    if (open_device(&d, "device") != 0) { failed++; return; }
    tcu_context *context = NULL;
    CHECK(tcu_context_create(&d.hal, 0, &context) == TCU_OK && context != NULL, "context: made from the key store");
    tcu_client_config config = {.host = "localhost", .port = port, .server_name = "localhost"};
    for (int i = 0; i < 2; i++) {
        tcu_client *client = NULL;
        CHECK(tcu_client_create_with_context(&d.hal, &config, context, &client) == TCU_OK &&
                  run_to_end(client, &d.hal) == TCU_OK,
              i == 0 ? "context: first client established" : "context: second client over the same context established");
        tcu_client_free(client);
    }
    tcu_client *last = NULL;
    tcu_status made = tcu_client_create_with_context(&d.hal, &config, context, &last);
    tcu_context_free(context); /* the client keeps it alive */
    CHECK(made == TCU_OK && run_to_end(last, &d.hal) == TCU_OK, "context: a client outlives tcu_context_free");
    tcu_client_free(last);

    tcu_context *tls12 = NULL;
    tcu_client *mismatched = NULL;
    CHECK(tcu_context_create(&d.hal, TCU_FLAG_ALLOW_TLS12, &tls12) == TCU_OK &&
              tcu_client_create_with_context(&d.hal, &config, tls12, &mismatched) == -TCU_REASON_INVALID_CONFIGURATION &&
              mismatched == NULL,
          "context: one made for other TLS versions refused");
    tcu_context_free(tls12);
    tcu_context *none = NULL;
    CHECK(tcu_context_create(NULL, 0, &none) == -TCU_REASON_INVALID_ARGUMENT && none == NULL,
          "context: NULL HAL refused");
    CHECK(tcu_context_create(&d.hal, 0, NULL) == -TCU_REASON_INVALID_ARGUMENT, "context: NULL context_out refused");
    tcu_context_free(NULL);
    tcu_posix_hal_deinit(&d.posix);
}

/* Sealed storage of the POSIX HAL (the saved session's at-rest form; same format as the
 * simulator's file key store): round trip, another binding, another device, every flipped bit. */
static void test_sealed_storage(void) {
    device a, b;
    if (open_device(&a, "device") != 0 || open_device(&b, "device-chained") != 0) { failed++; return; }
    uint8_t binding[32], other[32], secret[200], sealed[200 + TCU_SEAL_OVERHEAD_MAX], opened[300];
    for (int i = 0; i < 32; i++) { binding[i] = (uint8_t)i; other[i] = (uint8_t)(i + 1); }
    for (size_t i = 0; i < sizeof secret; i++) secret[i] = (uint8_t)(i * 13U + 5U);
    int32_t length = a.hal.keystore_seal(a.hal.context, binding, 32, secret, sizeof secret, sealed, sizeof sealed);
    CHECK(length > (int32_t)sizeof secret && length <= (int32_t)(sizeof secret + TCU_SEAL_OVERHEAD_MAX),
          "seal: a blob of the expected size");
    if (length <= 0) { tcu_posix_hal_deinit(&a.posix); tcu_posix_hal_deinit(&b.posix); return; }
    CHECK(memmem(sealed, (size_t)length, secret, 16) == NULL, "seal: the plaintext is not in the blob");
    CHECK(a.hal.keystore_unseal(a.hal.context, binding, 32, sealed, (size_t)length, opened, sizeof opened) ==
              (int32_t)sizeof secret && memcmp(opened, secret, sizeof secret) == 0,
          "seal: round trip");
    CHECK(a.hal.keystore_unseal(a.hal.context, other, 32, sealed, (size_t)length, opened, sizeof opened) ==
              TCU_SEAL_ERR_REJECTED,
          "seal: another binding refused");
    CHECK(b.hal.keystore_unseal(b.hal.context, binding, 32, sealed, (size_t)length, opened, sizeof opened) ==
              TCU_SEAL_ERR_REJECTED,
          "seal: another device (another key) refused");
    int refused = 0;
    for (int32_t bit = 0; bit < length * 8; bit++) {
        sealed[bit / 8] ^= (uint8_t)(1U << (bit % 8));
        refused += a.hal.keystore_unseal(a.hal.context, binding, 32, sealed, (size_t)length, opened, sizeof opened) ==
                   TCU_SEAL_ERR_REJECTED;
        sealed[bit / 8] ^= (uint8_t)(1U << (bit % 8));
    }
    CHECK(refused == length * 8, "seal: every one-bit change refused");
    CHECK(a.hal.keystore_seal(a.hal.context, binding, 32, secret, sizeof secret, sealed, 20) == TCU_SEAL_ERR_TOO_SMALL,
          "seal: small output refused");
    tcu_posix_hal_deinit(&a.posix);
    tcu_posix_hal_deinit(&b.posix);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s PKI_DIR GOOD_PORT WRONG_NAME_PORT\n", argv[0]);
        return 2;
    }
    pki = argv[1];
    uint16_t good = (uint16_t)atoi(argv[2]), wrong_name = (uint16_t)atoi(argv[3]);
    test_success(good);
    test_shared_context(good);
    test_small_records(good);
    test_refused_by_server(good);
    test_server_refused(wrong_name);
    test_transport_dies(good);
    test_silent_server_times_out();
    test_refused_connection();
    test_misuse();
    test_hostile_lengths();
    test_sealed_storage();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

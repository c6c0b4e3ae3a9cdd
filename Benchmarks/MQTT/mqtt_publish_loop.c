/* mqtt_publish_loop.c: the cost of a QoS 1 publish, the core against a C baseline.
 *
 *   mqtt-publish-loop core|reference HOST PORT SERVERNAME CHAIN KEY TRUST COUNT [PAYLOAD_BYTES]
 *
 * Both connect over mutual TLS 1.3 to the same MQTT broker (mosquitto), send CONNECT, then make
 * COUNT QoS 1 publishes of PAYLOAD_BYTES (default 200) bytes to devices/tcu-0001/messages/events/,
 * each followed by its PUBACK, and print one line:
 *   publishes=… cpu_us_per_publish=… bytes_out_per_publish=… bytes_in_per_publish=…
 *   session_heap=… allocations_per_publish=…
 *
 * core:      the TCULink C API (tcu_client + tcu_mqtt: encoding, the session machine, the outbox
 *            written to the store before each send and after each PUBACK), the C POSIX HAL with
 *            the store in RAM (a board's flash cost is the board's, not the core's).
 * reference: wolfSSL called directly, writing one pre-encoded PUBLISH (its packet id patched in
 *            place) and reading the 4-byte PUBACK: what a publish costs with no client at all.
 *
 * session_heap: the process's heap a connected session (TLS and MQTT) holds after CONNACK and gives back
 * when it is freed (wolfSSL's process-wide caches, which stay, are not counted).
 * Instructions per publish come from callgrind over two COUNTs (scripts/targets/bench-mqtt). */
#define _GNU_SOURCE
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "counting_alloc.h"
#include "tcu_hal_posix.h"
#include "tculink.h"

#define TOPIC "devices/tcu-0001/messages/events/"

static long bytes_out, bytes_in;

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
           usage.ru_stime.tv_usec / 1e6;
}

static void report(int count, double cpu, size_t session_heap, size_t allocations, long out, long in) {
    printf("publishes=%d cpu_us_per_publish=%.2f bytes_out_per_publish=%.1f bytes_in_per_publish=%.1f "
           "session_heap=%zu allocations_per_publish=%.2f\n",
           count, count ? cpu * 1e6 / count : 0, count ? (double)out / count : 0, count ? (double)in / count : 0,
           session_heap, count ? (double)allocations / count : 0);
}

/* ---- core: the C API over the POSIX HAL, the store in RAM ---- */

static uint8_t ram_slots[5][32768];
static int32_t ram_lengths[5] = {-1, -1, -1, -1, -1};

static int32_t ram_read(void *context, int slot, uint8_t *buffer, size_t capacity) {
    (void)context;
    if (slot < 1 || slot > 4) return -2;
    if (ram_lengths[slot] < 0) return -1;
    if ((size_t)ram_lengths[slot] > capacity) return -2;
    memcpy(buffer, ram_slots[slot], (size_t)ram_lengths[slot]);
    return ram_lengths[slot];
}

static int ram_write(void *context, int slot, const uint8_t *data, size_t length) {
    (void)context;
    if (slot < 1 || slot > 4 || length > sizeof ram_slots[0]) return -1;
    memcpy(ram_slots[slot], data, length);
    ram_lengths[slot] = (int32_t)length;
    return 0;
}

static int ram_erase(void *context, int slot) {
    (void)context;
    if (slot < 1 || slot > 4) return -1;
    ram_lengths[slot] = -1;
    return 0;
}

static int32_t (*posix_send)(void *, const uint8_t *, size_t);
static int32_t (*posix_receive)(void *, uint8_t *, size_t);

static int32_t counted_send(void *context, const uint8_t *data, size_t length) {
    int32_t n = posix_send(context, data, length);
    if (n > 0) bytes_out += n;
    return n;
}

static int32_t counted_receive(void *context, uint8_t *buffer, size_t capacity) {
    int32_t n = posix_receive(context, buffer, capacity);
    if (n > 0) bytes_in += n;
    return n;
}

/* The next event's kind; TCU_MQTT_NONE when the session ended or nothing came within 10 s. */
static int next_event(const tcu_hal *hal, tcu_mqtt *mqtt, tcu_mqtt_event *event) {
    uint64_t deadline = hal->clock_monotonic_ms(hal->context) + 10000;
    for (;;) {
        tcu_status status = tcu_mqtt_step(mqtt, event);
        uint64_t now = hal->clock_monotonic_ms(hal->context);
        if (status != TCU_IN_PROGRESS || now >= deadline) return status == TCU_OK ? event->kind : TCU_MQTT_NONE;
        uint64_t until = event->wait.until_ms < deadline ? event->wait.until_ms : deadline;
        hal->transport_wait(hal->context, event->wait.readable, until > now ? (uint32_t)(until - now) : 0);
    }
}

static int run_core(char **argv, int count, const uint8_t *payload, size_t length) {
    static tcu_posix_hal posix;
    tcu_hal hal;
    char error[512];
    if (tcu_posix_hal_init(&posix, &hal, argv[4], argv[5], argv[6], NULL, error, sizeof error) != 0) {
        fprintf(stderr, "setup: %s\n", error);
        return 2;
    }
    hal.store_read = ram_read;
    hal.store_write = ram_write;
    hal.store_erase = ram_erase;
    posix_send = hal.transport_send;
    posix_receive = hal.transport_receive;
    hal.transport_send = counted_send;
    hal.transport_receive = counted_receive;

    tcu_client_config config = {.host = argv[1], .port = (uint16_t)atoi(argv[2]), .server_name = argv[3]};
    tcu_client *client = NULL;
    tcu_status status = tcu_client_create(&hal, &config, &client);
    for (int turns = 0; status == TCU_OK && turns < 100000; turns++) {
        tcu_wait wait = {0};
        status = tcu_client_step(client, &wait);
        if (status != TCU_IN_PROGRESS) break;
        uint64_t now = hal.clock_monotonic_ms(hal.context);
        hal.transport_wait(hal.context, wait.readable, wait.until_ms > now ? (uint32_t)(wait.until_ms - now) : 0);
    }
    if (status != TCU_OK) {
        fprintf(stderr, "core: TLS failed: %s\n", tcu_status_text(status));
        return 1;
    }
    tcu_mqtt_config mqtt_config = {.client_id = "tcu-0001", .max_packet_size = 1024};
    tcu_mqtt *mqtt = NULL;
    tcu_mqtt_event event;
    status = tcu_mqtt_create(client, &mqtt_config, &mqtt);
    if (status == TCU_OK) status = tcu_mqtt_connect(mqtt);
    if (status != TCU_OK || next_event(&hal, mqtt, &event) != TCU_MQTT_CONNECTED) {
        fprintf(stderr, "core: MQTT did not connect: %s\n",
                tcu_status_text(status != TCU_OK ? status : tcu_mqtt_error(mqtt)));
        return 1;
    }
    size_t connected_heap = tcu_process_heap_in_use();

    bytes_out = bytes_in = 0;
    size_t allocations = tcu_process_allocations();
    double start = cpu_seconds();
    int done = 0;
    for (int i = 0; i < count; i++) {
        uint16_t id = 0;
        tcu_status published = tcu_mqtt_publish(mqtt, TOPIC, payload, length, 1, 0, &id);
        /* A PUBACK is due: wait until it can be read, as the reference's blocking read does in recv(),
         * instead of stepping into a read that would find nothing yet. */
        hal.transport_wait(hal.context, 1, 10000);
        if (published == TCU_OK && id > 0 && next_event(&hal, mqtt, &event) == TCU_MQTT_PUBLISHED &&
            event.packet_id == id)
            done++;
    }
    double cpu = cpu_seconds() - start;
    allocations = tcu_process_allocations() - allocations;
    long out = bytes_out, in = bytes_in;
    tcu_mqtt_disconnect(mqtt);
    tcu_mqtt_free(mqtt);
    tcu_client_free(client);
    report(done, cpu, connected_heap - tcu_process_heap_in_use(), allocations, out, in);
    tcu_posix_hal_deinit(&posix);
    return done == count ? 0 : 1;
}

/* ---- reference: wolfSSL directly, pre-encoded packets ---- */

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx) {
    (void)ssl;
    int n = (int)recv(*(int *)ctx, buf, (size_t)sz, 0);
    if (n > 0) { bytes_in += n; return n; }
    return n == 0 ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_GENERAL;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx) {
    (void)ssl;
    int n = (int)send(*(int *)ctx, buf, (size_t)sz, MSG_NOSIGNAL);
    if (n > 0) { bytes_out += n; return n; }
    return WOLFSSL_CBIO_ERR_GENERAL;
}

static int tcp(const char *host, const char *port) {
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *list;
    if (getaddrinfo(host, port, &hints, &list) != 0) return -1;
    int fd = socket(list->ai_family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, list->ai_addr, list->ai_addrlen) != 0) { close(fd); fd = -1; }
    freeaddrinfo(list);
    return fd;
}

/* Reads exactly `length` bytes of application data. */
static int read_exactly(WOLFSSL *ssl, uint8_t *buffer, int length) {
    int got = 0;
    while (got < length) {
        int n = wolfSSL_read(ssl, buffer + got, length - got);
        if (n <= 0) return -1;
        got += n;
    }
    return 0;
}

static int run_reference(char **argv, int count, const uint8_t *payload, size_t length) {
    wolfSSL_Init();
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    if (wolfSSL_CTX_load_verify_locations(ctx, argv[6], NULL) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_use_certificate_chain_file(ctx, argv[4]) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_use_PrivateKey_file(ctx, argv[5], WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
        fprintf(stderr, "reference: cannot load the device files\n");
        return 2;
    }
    wolfSSL_CTX_SetIORecv(ctx, io_recv);
    wolfSSL_CTX_SetIOSend(ctx, io_send);
    int fd = tcp(argv[1], argv[2]);
    WOLFSSL *ssl = fd >= 0 ? wolfSSL_new(ctx) : NULL;
    if (!ssl) { fprintf(stderr, "reference: no connection\n"); return 1; }
    wolfSSL_SetIOReadCtx(ssl, &fd);
    wolfSSL_SetIOWriteCtx(ssl, &fd);
    wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, argv[3], (unsigned short)strlen(argv[3]));
    if (wolfSSL_connect(ssl) != WOLFSSL_SUCCESS) { fprintf(stderr, "reference: handshake failed\n"); return 1; }

    /* CONNECT: protocol MQTT 3.1.1, clean session, keep-alive 60, client id tcu-0001. */
    static const uint8_t connect_packet[] = {0x10, 20, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60,
                                             0, 8, 't', 'c', 'u', '-', '0', '0', '0', '1'};
    uint8_t connack[4];
    if (wolfSSL_write(ssl, connect_packet, sizeof connect_packet) != (int)sizeof connect_packet ||
        read_exactly(ssl, connack, 4) != 0 || connack[0] != 0x20 || connack[3] != 0) {
        fprintf(stderr, "reference: CONNECT refused (%02x %02x %02x %02x, wolfSSL error %d)\n", connack[0], connack[1],
                connack[2], connack[3], wolfSSL_get_error(ssl, 0));
        return 1;
    }
    /* One PUBLISH, encoded once: header, remaining length, topic, packet id, payload. */
    size_t topic_length = strlen(TOPIC), remaining = 2 + topic_length + 2 + length;
    uint8_t *packet = malloc(5 + remaining);
    size_t connected_heap = tcu_process_heap_in_use();
    size_t at = 0;
    packet[at++] = 0x32;
    for (size_t rest = remaining;;) {
        uint8_t digit = rest % 128;
        rest /= 128;
        packet[at++] = digit | (rest ? 0x80 : 0);
        if (!rest) break;
    }
    packet[at++] = (uint8_t)(topic_length >> 8);
    packet[at++] = (uint8_t)topic_length;
    memcpy(packet + at, TOPIC, topic_length);
    at += topic_length;
    size_t id_at = at;
    at += 2;
    memcpy(packet + at, payload, length);
    at += length;

    bytes_out = bytes_in = 0;
    size_t allocations = tcu_process_allocations();
    double start = cpu_seconds();
    int done = 0;
    for (int i = 0; i < count; i++) {
        uint16_t id = (uint16_t)(i % 65535 + 1);
        packet[id_at] = (uint8_t)(id >> 8);
        packet[id_at + 1] = (uint8_t)id;
        uint8_t puback[4];
        if (wolfSSL_write(ssl, packet, (int)at) == (int)at && read_exactly(ssl, puback, 4) == 0 && puback[0] == 0x40 &&
            puback[2] == (uint8_t)(id >> 8) && puback[3] == (uint8_t)id)
            done++;
    }
    double cpu = cpu_seconds() - start;
    allocations = tcu_process_allocations() - allocations;
    long out = bytes_out, in = bytes_in;
    static const uint8_t disconnect_packet[] = {0xE0, 0};
    wolfSSL_write(ssl, disconnect_packet, sizeof disconnect_packet);
    wolfSSL_shutdown(ssl);
    wolfSSL_free(ssl);
    close(fd);
    free(packet);
    wolfSSL_CTX_free(ctx);
    report(done, cpu, connected_heap - tcu_process_heap_in_use(), allocations, out, in);
    return done == count ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 9 || (strcmp(argv[1], "core") != 0 && strcmp(argv[1], "reference") != 0)) {
        fprintf(stderr, "usage: %s core|reference HOST PORT SERVERNAME CHAIN KEY TRUST COUNT [PAYLOAD_BYTES]\n",
                argv[0]);
        return 2;
    }
    int count = atoi(argv[8]);
    size_t length = argc > 9 ? (size_t)atoi(argv[9]) : 200;
    uint8_t *payload = malloc(length ? length : 1);
    for (size_t i = 0; i < length; i++) payload[i] = (uint8_t)('a' + i % 26);
    int result = strcmp(argv[1], "core") == 0 ? run_core(argv + 1, count, payload, length)
                                              : run_reference(argv + 1, count, payload, length);
    free(payload);
    return result;
}

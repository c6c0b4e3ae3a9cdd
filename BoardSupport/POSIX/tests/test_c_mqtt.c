/* test_c_mqtt.c: tcu_mqtt_* driven from C against mosquitto, as firmware drives it.
 *
 *   tcu-c-mqtt-tests PKI_DIR BROKER_PORT STATE_DIR
 *
 * PKI_DIR is a folder made by scripts/targets/make-test-pki; on BROKER_PORT a mosquitto requires
 * a client certificate of that PKI (TLS 1.3, use_identity_as_username, no ACL). STATE_DIR holds
 * the device's persistent slots (the outbox). Leaves a retained message on
 * devices/tcu-0001/messages/events/ for the caller to check with mosquitto_sub.
 * Prints one line per check and "N passed, M failed"; exits non-zero when a check failed.
 * Built with TCU_COUNT_ALLOCATIONS and linked with Benchmarks/CCounting (the native build), it
 * also counts every malloc of the process, the Swift core's, the HAL's and wolfSSL's; over the
 * wasm2c glue the core's heap is the module's own and that check is left out. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TCU_COUNT_ALLOCATIONS
#include "counting_alloc.h"
#endif
#include "tcu_hal_posix.h"
#include "tculink.h"

static int passed, failed;

#define CHECK(condition, name)                                                                           \
    do {                                                                                                 \
        if (condition) { passed++; printf("ok     %s\n", name); }                                        \
        else { failed++; printf("FAILED %s (%s:%d: %s)\n", name, __FILE__, __LINE__, #condition); }      \
    } while (0)

static const char *pki, *state_dir;
static uint16_t port;

#define DEVICEBOUND "devices/tcu-0001/messages/devicebound/"
#define TELEMETRY "devices/tcu-0001/messages/events/"

typedef struct device {
    tcu_posix_hal posix;
    tcu_hal hal;
    tcu_client *client;
} device;

static uint64_t now_ms(const device *d) { return d->hal.clock_monotonic_ms(d->hal.context); }

/* The device's files and a client, stepped to a final status. */
static int open_device(device *d) {
    char chain[512], key[512], trust[512], error[512];
    snprintf(chain, sizeof chain, "%s/device/chain.pem", pki);
    snprintf(key, sizeof key, "%s/device/key.pem", pki);
    snprintf(trust, sizeof trust, "%s/device/trust.pem", pki);
    if (tcu_posix_hal_init(&d->posix, &d->hal, chain, key, trust, state_dir, error, sizeof error) != 0) {
        printf("setup: %s\n", error);
        return -1;
    }
    tcu_client_config config = {.host = "localhost", .port = port, .server_name = "localhost"};
    return tcu_client_create(&d->hal, &config, &d->client) == TCU_OK ? 0 : -1;
}

static tcu_status establish(device *d) {
    for (int turns = 0; turns < 100000; turns++) {
        tcu_wait wait = {0};
        tcu_status status = tcu_client_step(d->client, &wait);
        if (status != TCU_IN_PROGRESS) return status;
        uint64_t now = now_ms(d);
        d->hal.transport_wait(d->hal.context, wait.readable, wait.until_ms > now ? (uint32_t)(wait.until_ms - now) : 0);
    }
    return -TCU_REASON_HANDSHAKE_TIMEOUT;
}

static void close_device(device *d) {
    tcu_client_free(d->client);
    tcu_posix_hal_deinit(&d->posix);
}

/* Steps until an event (its kind) or the session's end, waiting on the transport; TCU_MQTT_NONE when the
 * session ended (or after timeout_ms with nothing). */
static int next_event(device *d, tcu_mqtt *mqtt, tcu_mqtt_event *event, uint32_t timeout_ms) {
    uint64_t deadline = now_ms(d) + timeout_ms;
    for (;;) {
        tcu_status status = tcu_mqtt_step(mqtt, event);
        uint64_t now = now_ms(d);
        if (status != TCU_IN_PROGRESS || now >= deadline) return status == TCU_OK ? event->kind : TCU_MQTT_NONE;
        uint64_t until = event->wait.until_ms < deadline ? event->wait.until_ms : deadline;
        d->hal.transport_wait(d->hal.context, event->wait.readable, until > now ? (uint32_t)(until - now) : 0);
    }
}

static const tcu_mqtt_config session_config = {
    .client_id = "tcu-0001", .flags = TCU_MQTT_FLAG_PERSISTENT_SESSION, .keep_alive_s = 30, .max_packet_size = 1024};

static tcu_mqtt *connect_session(device *d, tcu_mqtt_event *connack) {
    tcu_mqtt *mqtt = NULL;
    if (tcu_mqtt_create(d->client, &session_config, &mqtt) != TCU_OK) return NULL;
    if (tcu_mqtt_connect(mqtt) != TCU_OK || next_event(d, mqtt, connack, 5000) != TCU_MQTT_CONNECTED) {
        tcu_mqtt_free(mqtt);
        return NULL;
    }
    return mqtt;
}

/* Waits for the PUBACK of `id` and, when `echo` is set, the message that comes back to the device's own
 * subscription; checks that one byte for byte. */
static void expect_published_and_echoed(device *d, tcu_mqtt *mqtt, uint16_t id, const char *topic,
                                        const uint8_t *payload, size_t length, const char *name) {
    int acknowledged = 0, echoed = 0;
    char label[160];
    for (int events = 0; events < 4 && !(acknowledged && echoed); events++) {
        tcu_mqtt_event event;
        int kind = next_event(d, mqtt, &event, 5000);
        if (kind == TCU_MQTT_PUBLISHED && (id == 0 || event.packet_id == id)) acknowledged = 1;
        if (kind == TCU_MQTT_MESSAGE) {
            tcu_mqtt_message message;
            echoed = tcu_mqtt_receive(mqtt, &message) == TCU_OK && message.topic_length == strlen(topic) &&
                     memcmp(message.topic, topic, message.topic_length) == 0 && message.payload_length == length &&
                     (length == 0 || memcmp(message.payload, payload, length) == 0) && message.qos == 1;
        }
        if (kind == TCU_MQTT_NONE) break; /* nothing in time, or the session ended */
    }
    snprintf(label, sizeof label, "%s: PUBACK for its packet id", name);
    CHECK(acknowledged, label);
    snprintf(label, sizeof label, "%s: came back byte for byte through the subscription", name);
    CHECK(echoed, label);
}

static uint32_t pending(const tcu_mqtt *mqtt) {
    uint32_t count = UINT32_MAX;
    return tcu_mqtt_pending(mqtt, &count) == TCU_OK ? count : UINT32_MAX;
}

static void test_session(void) {
    tcu_mqtt *refused = NULL;
    CHECK(tcu_mqtt_create(NULL, &session_config, &refused) == -TCU_REASON_INVALID_ARGUMENT && refused == NULL,
          "create: NULL client refused");
    device d;
    if (open_device(&d) != 0) { failed++; return; }
    CHECK(tcu_mqtt_create(d.client, &session_config, &refused) == -TCU_REASON_INVALID_STATE && refused == NULL,
          "create: a client not yet established is refused");
    CHECK(establish(&d) == TCU_OK, "TLS 1.3 with the device certificate established");
    tcu_mqtt_config nameless = session_config;
    nameless.client_id = "";
    CHECK(tcu_mqtt_create(d.client, &nameless, &refused) == -TCU_REASON_INVALID_CONFIGURATION && refused == NULL,
          "create: an empty client id refused");
    CHECK(tcu_mqtt_create(d.client, &session_config, NULL) == -TCU_REASON_INVALID_ARGUMENT,
          "create: NULL mqtt_out refused");

    tcu_mqtt_event event;
    tcu_mqtt *mqtt = connect_session(&d, &event);
    CHECK(mqtt != NULL, "CONNECT answered by CONNACK");
    if (!mqtt) { close_device(&d); return; }
    CHECK(tcu_mqtt_connect(mqtt) == -TCU_REASON_INVALID_STATE, "a second CONNECT refused (invalidState)");

    uint16_t id = 0;
    CHECK(tcu_mqtt_subscribe(mqtt, DEVICEBOUND "#", 1, &id) == TCU_OK && id > 0, "SUBSCRIBE sent");
    CHECK(next_event(&d, mqtt, &event, 5000) == TCU_MQTT_SUBSCRIBED && event.packet_id == id && event.granted_qos == 1,
          "SUBACK: QoS 1 granted");

    uint8_t every_byte[256];
    for (int i = 0; i < 256; i++) every_byte[i] = (uint8_t)i;
    CHECK(tcu_mqtt_publish(mqtt, DEVICEBOUND "echo", every_byte, sizeof every_byte, 1, 0, &id) == TCU_OK && id > 0 &&
              pending(mqtt) == 1,
          "QoS 1 publish: in the outbox until its PUBACK");
    expect_published_and_echoed(&d, mqtt, id, DEVICEBOUND "echo", every_byte, sizeof every_byte, "every byte value");
    CHECK(pending(mqtt) == 0, "QoS 1 publish: out of the outbox after its PUBACK");

    CHECK(tcu_mqtt_publish(mqtt, "devices/+/x", (const uint8_t *)"x", 1, 1, 0, &id) == -TCU_REASON_MQTT_INVALID_TOPIC &&
              id == 0,
          "a wildcard in a topic name refused");
    CHECK(tcu_mqtt_publish(mqtt, TELEMETRY, (const uint8_t *)"x", 1, 2, 0, NULL) ==
              -TCU_REASON_MQTT_EXACTLY_ONCE_UNSUPPORTED,
          "QoS 2 refused");
    static uint8_t large[2000];
    CHECK(tcu_mqtt_publish(mqtt, TELEMETRY, large, sizeof large, 1, 0, NULL) == -TCU_REASON_MQTT_PACKET_TOO_LARGE,
          "a packet over max_packet_size refused, not cut");
    CHECK(tcu_mqtt_subscribe(mqtt, "a/#/b", 1, NULL) == -TCU_REASON_MQTT_INVALID_TOPIC, "a bad filter refused");
    CHECK(tcu_mqtt_publish(mqtt, NULL, NULL, 0, 0, 0, NULL) == -TCU_REASON_INVALID_ARGUMENT &&
              tcu_mqtt_publish(mqtt, TELEMETRY, NULL, 1, 0, 0, NULL) == -TCU_REASON_INVALID_ARGUMENT,
          "a NULL topic, or a NULL payload with a length, refused (invalidArgument)");
    CHECK(tcu_mqtt_error(mqtt) == TCU_OK && pending(mqtt) == 0, "after the refusals the session goes on, nothing kept");
    tcu_mqtt_message message;
    CHECK(tcu_mqtt_receive(mqtt, &message) == -TCU_REASON_INVALID_STATE, "receive without a message: invalidState");
    CHECK(tcu_mqtt_pending(mqtt, NULL) == -TCU_REASON_INVALID_ARGUMENT && tcu_mqtt_step(NULL, &event) ==
              -TCU_REASON_INVALID_ARGUMENT && event.kind == TCU_MQTT_NONE,
          "NULL pointers refused (invalidArgument)");

    /* No allocation by the core per QoS 1 publish in steady state: 200 publishes of 200 bytes, each to its
     * PUBACK, after 20 to warm up. Every malloc of the process is counted, and wolfSSL's apart (its
     * allocator hooks): Debian's wolfSSL allocates a record buffer per write and per read beyond its small
     * static ones, which is wolfSSL's build, not the core. */
    uint8_t telemetry[200];
    memset(telemetry, 'T', sizeof telemetry);
    int acknowledged = 0;
#ifdef TCU_COUNT_ALLOCATIONS
    size_t process_before = 0, wolfssl_before = 0;
#endif
    for (int i = 0; i < 220; i++) {
#ifdef TCU_COUNT_ALLOCATIONS
        if (i == 20) {
            process_before = tcu_process_allocations();
            wolfssl_before = tcu_counting_allocations();
        }
#endif
        uint16_t sent = 0;
        if (tcu_mqtt_publish(mqtt, TELEMETRY "steady", telemetry, sizeof telemetry, 1, 0, &sent) == TCU_OK && sent > 0 &&
            next_event(&d, mqtt, &event, 5000) == TCU_MQTT_PUBLISHED && event.packet_id == sent)
            acknowledged++;
    }
    CHECK(acknowledged == 220, "220 QoS 1 publishes acknowledged");
#ifdef TCU_COUNT_ALLOCATIONS
    size_t wolfssl = tcu_counting_allocations() - wolfssl_before;
    size_t others = tcu_process_allocations() - process_before - wolfssl;
    printf("allocations during 200 QoS 1 publishes (each with its PUBACK): core and HAL %zu, wolfSSL %zu\n", others,
           wolfssl);
    CHECK(others == 0, "no allocation by the core or the HAL per QoS 1 publish in steady state");
#endif

    const char *retained = "{\"from\":\"c-api\"}";
    CHECK(tcu_mqtt_publish(mqtt, TELEMETRY, (const uint8_t *)retained, strlen(retained), 1, 1, &id) == TCU_OK && id > 0 &&
              next_event(&d, mqtt, &event, 5000) == TCU_MQTT_PUBLISHED && event.packet_id == id,
          "retained telemetry acknowledged");

    CHECK(tcu_mqtt_unsubscribe(mqtt, DEVICEBOUND "#", &id) == TCU_OK && id > 0 &&
              next_event(&d, mqtt, &event, 5000) == TCU_MQTT_UNSUBSCRIBED && event.packet_id == id,
          "UNSUBSCRIBE answered");
    /* again: the next test relies on the session keeping it */
    CHECK(tcu_mqtt_subscribe(mqtt, DEVICEBOUND "#", 1, &id) == TCU_OK && id > 0 &&
              next_event(&d, mqtt, &event, 5000) == TCU_MQTT_SUBSCRIBED,
          "subscribed again");

    tcu_mqtt_disconnect(mqtt);
    CHECK(tcu_mqtt_step(mqtt, &event) == TCU_CLOSED && event.kind == TCU_MQTT_NONE, "DISCONNECT: TCU_CLOSED");
    CHECK(tcu_mqtt_step(mqtt, &event) == TCU_CLOSED, "DISCONNECT: every later step TCU_CLOSED too");
    CHECK(tcu_mqtt_error(mqtt) == TCU_OK, "DISCONNECT: an orderly end is no failure");
    CHECK(tcu_mqtt_publish(mqtt, TELEMETRY, (const uint8_t *)"x", 1, 0, 0, NULL) < 0, "QoS 0 without a session refused");
    tcu_mqtt_free(mqtt);
    close_device(&d);
}

/* The TCU is offline: a message queued with no client at all goes out after the next CONNACK. */
static void test_offline_queue(void) {
    device d;
    if (open_device(&d) != 0) { failed++; return; }
    CHECK(tcu_mqtt_enqueue(&d.hal, 20, DEVICEBOUND "offline", (const uint8_t *)"too much", 8, 0) ==
              -TCU_REASON_MQTT_OUTBOX_FULL,
          "enqueue: past the outbox capacity refused");
    CHECK(tcu_mqtt_enqueue(&d.hal, 0, DEVICEBOUND "offline", (const uint8_t *)"queued", 6, 0) == TCU_OK,
          "enqueue without a session");
    CHECK(tcu_mqtt_enqueue(&d.hal, 0, DEVICEBOUND "#", (const uint8_t *)"x", 1, 0) == -TCU_REASON_MQTT_INVALID_TOPIC,
          "enqueue: a bad topic refused");
    CHECK(tcu_mqtt_enqueue(NULL, 0, DEVICEBOUND "offline", (const uint8_t *)"x", 1, 0) == -TCU_REASON_INVALID_ARGUMENT,
          "enqueue: a NULL HAL refused");
    CHECK(establish(&d) == TCU_OK, "reconnected");
    tcu_mqtt_event connack;
    tcu_mqtt *mqtt = connect_session(&d, &connack);
    CHECK(mqtt != NULL && connack.session_present == 1, "CONNACK: the broker kept the session");
    if (!mqtt) { close_device(&d); return; }
    CHECK(pending(mqtt) == 1, "the queued message went out after CONNACK, awaiting its PUBACK");
    expect_published_and_echoed(&d, mqtt, 0, DEVICEBOUND "offline", (const uint8_t *)"queued", 6, "queued offline");
    CHECK(pending(mqtt) == 0, "the outbox is empty again");
    tcu_mqtt_disconnect(mqtt);
    tcu_mqtt_free(mqtt);
    close_device(&d);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s PKI_DIR BROKER_PORT STATE_DIR\n", argv[0]);
        return 2;
    }
    pki = argv[1];
    port = (uint16_t)atoi(argv[2]);
    state_dir = argv[3];
#ifdef TCU_COUNT_ALLOCATIONS
    tcu_counting_install(); /* before the core's wolfSSL_Init */
#endif
    test_session();
    test_offline_queue();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

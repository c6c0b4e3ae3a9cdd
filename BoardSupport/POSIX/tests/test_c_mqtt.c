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
    int reason = 0;
    d->client = tcu_client_create(&d->hal, &config, &reason);
    return d->client ? 0 : -1;
}

static int establish(device *d) {
    for (int turns = 0; turns < 100000; turns++) {
        tcu_wait wait = {0};
        int status = tcu_client_step(d->client, &wait);
        if (status != TCU_STATUS_WAITING) return status;
        uint64_t now = now_ms(d);
        d->hal.transport_wait(d->hal.context, wait.readable, wait.until_ms > now ? (uint32_t)(wait.until_ms - now) : 0);
    }
    return TCU_STATUS_FAILED;
}

static void close_device(device *d) {
    tcu_client_free(d->client);
    tcu_posix_hal_deinit(&d->posix);
}

/* Steps until an event other than WAITING, waiting on the transport; WAITING after timeout_ms. */
static int next_event(device *d, tcu_mqtt *mqtt, tcu_mqtt_event *event, uint32_t timeout_ms) {
    uint64_t deadline = now_ms(d) + timeout_ms;
    for (;;) {
        int kind = tcu_mqtt_step(mqtt, event);
        uint64_t now = now_ms(d);
        if (kind != TCU_MQTT_WAITING || now >= deadline) return kind;
        uint64_t until = event->wait.until_ms < deadline ? event->wait.until_ms : deadline;
        d->hal.transport_wait(d->hal.context, event->wait.readable, until > now ? (uint32_t)(until - now) : 0);
    }
}

static const tcu_mqtt_config session_config = {
    .client_id = "tcu-0001", .flags = TCU_MQTT_FLAG_PERSISTENT_SESSION, .keep_alive_s = 30, .max_packet_size = 1024};

static tcu_mqtt *connect_session(device *d, tcu_mqtt_event *connack) {
    int reason = 0;
    tcu_mqtt *mqtt = tcu_mqtt_create(d->client, &session_config, &reason);
    if (!mqtt) return NULL;
    if (tcu_mqtt_connect(mqtt) != 0 || next_event(d, mqtt, connack, 5000) != TCU_MQTT_CONNECTED) {
        tcu_mqtt_free(mqtt);
        return NULL;
    }
    return mqtt;
}

/* Waits for the PUBACK of `id` and, when `echo` is set, the message that comes back to the device's own
 * subscription; checks that one byte for byte. */
static void expect_published_and_echoed(device *d, tcu_mqtt *mqtt, int32_t id, const char *topic,
                                        const uint8_t *payload, size_t length, const char *name) {
    int acknowledged = 0, echoed = 0;
    char label[160];
    for (int events = 0; events < 4 && !(acknowledged && echoed); events++) {
        tcu_mqtt_event event;
        int kind = next_event(d, mqtt, &event, 5000);
        if (kind == TCU_MQTT_PUBLISHED && (id <= 0 || event.packet_id == id)) acknowledged = 1;
        if (kind == TCU_MQTT_MESSAGE) {
            tcu_mqtt_message message;
            echoed = tcu_mqtt_receive(mqtt, &message) == 0 && message.topic_length == strlen(topic) &&
                     memcmp(message.topic, topic, message.topic_length) == 0 && message.payload_length == length &&
                     (length == 0 || memcmp(message.payload, payload, length) == 0) && message.qos == 1;
        }
        if (kind == TCU_MQTT_WAITING || kind == TCU_MQTT_CLOSED) break;
    }
    snprintf(label, sizeof label, "%s: PUBACK for its packet id", name);
    CHECK(acknowledged, label);
    snprintf(label, sizeof label, "%s: came back byte for byte through the subscription", name);
    CHECK(echoed, label);
}

static void test_session(void) {
    int reason = 0;
    CHECK(tcu_mqtt_create(NULL, &session_config, &reason) == NULL && reason == TCU_REASON_INVALID_CONFIGURATION,
          "create: NULL client refused");
    device d;
    if (open_device(&d) != 0) { failed++; return; }
    CHECK(tcu_mqtt_create(d.client, &session_config, &reason) == NULL && reason == TCU_REASON_INVALID_STATE,
          "create: a client not yet established is refused");
    CHECK(establish(&d) == TCU_STATUS_ESTABLISHED, "TLS 1.3 with the device certificate established");
    tcu_mqtt_config nameless = session_config;
    nameless.client_id = "";
    CHECK(tcu_mqtt_create(d.client, &nameless, &reason) == NULL && reason == TCU_REASON_INVALID_CONFIGURATION,
          "create: an empty client id refused");

    tcu_mqtt_event event;
    tcu_mqtt *mqtt = connect_session(&d, &event);
    CHECK(mqtt != NULL, "CONNECT answered by CONNACK");
    if (!mqtt) { close_device(&d); return; }

    int32_t id = tcu_mqtt_subscribe(mqtt, DEVICEBOUND "#", 1);
    CHECK(id > 0, "SUBSCRIBE sent");
    CHECK(next_event(&d, mqtt, &event, 5000) == TCU_MQTT_SUBSCRIBED && event.packet_id == id && event.granted_qos == 1,
          "SUBACK: QoS 1 granted");

    uint8_t every_byte[256];
    for (int i = 0; i < 256; i++) every_byte[i] = (uint8_t)i;
    id = tcu_mqtt_publish(mqtt, DEVICEBOUND "echo", every_byte, sizeof every_byte, 1, 0);
    CHECK(id > 0 && tcu_mqtt_pending(mqtt) == 1, "QoS 1 publish: in the outbox until its PUBACK");
    expect_published_and_echoed(&d, mqtt, id, DEVICEBOUND "echo", every_byte, sizeof every_byte, "every byte value");
    CHECK(tcu_mqtt_pending(mqtt) == 0, "QoS 1 publish: out of the outbox after its PUBACK");

    CHECK(tcu_mqtt_publish(mqtt, "devices/+/x", (const uint8_t *)"x", 1, 1, 0) == -TCU_REASON_MQTT_INVALID_TOPIC,
          "a wildcard in a topic name refused");
    CHECK(tcu_mqtt_publish(mqtt, TELEMETRY, (const uint8_t *)"x", 1, 2, 0) == -TCU_REASON_MQTT_EXACTLY_ONCE_UNSUPPORTED,
          "QoS 2 refused");
    static uint8_t large[2000];
    CHECK(tcu_mqtt_publish(mqtt, TELEMETRY, large, sizeof large, 1, 0) == -TCU_REASON_MQTT_PACKET_TOO_LARGE,
          "a packet over max_packet_size refused, not cut");
    CHECK(tcu_mqtt_subscribe(mqtt, "a/#/b", 1) == -TCU_REASON_MQTT_INVALID_TOPIC, "a bad filter refused");
    CHECK(tcu_mqtt_error(mqtt) == 0 && tcu_mqtt_pending(mqtt) == 0, "after the refusals the session goes on, nothing kept");

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
        int32_t sent = tcu_mqtt_publish(mqtt, TELEMETRY "steady", telemetry, sizeof telemetry, 1, 0);
        if (sent > 0 && next_event(&d, mqtt, &event, 5000) == TCU_MQTT_PUBLISHED && event.packet_id == sent) acknowledged++;
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
    id = tcu_mqtt_publish(mqtt, TELEMETRY, (const uint8_t *)retained, strlen(retained), 1, 1);
    CHECK(id > 0 && next_event(&d, mqtt, &event, 5000) == TCU_MQTT_PUBLISHED && event.packet_id == id,
          "retained telemetry acknowledged");

    CHECK(tcu_mqtt_unsubscribe(mqtt, DEVICEBOUND "#") > 0 && next_event(&d, mqtt, &event, 5000) == TCU_MQTT_UNSUBSCRIBED,
          "UNSUBSCRIBE answered");
    id = tcu_mqtt_subscribe(mqtt, DEVICEBOUND "#", 1);  /* again: the next test relies on the session keeping it */
    CHECK(id > 0 && next_event(&d, mqtt, &event, 5000) == TCU_MQTT_SUBSCRIBED, "subscribed again");

    tcu_mqtt_disconnect(mqtt);
    CHECK(tcu_mqtt_step(mqtt, &event) == TCU_MQTT_CLOSED && event.reason == 0, "DISCONNECT: closed, no reason");
    CHECK(tcu_mqtt_publish(mqtt, TELEMETRY, (const uint8_t *)"x", 1, 0, 0) < 0, "QoS 0 without a session refused");
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
    CHECK(tcu_mqtt_enqueue(&d.hal, 0, DEVICEBOUND "offline", (const uint8_t *)"queued", 6, 0) == 0,
          "enqueue without a session");
    CHECK(tcu_mqtt_enqueue(&d.hal, 0, DEVICEBOUND "#", (const uint8_t *)"x", 1, 0) == -TCU_REASON_MQTT_INVALID_TOPIC,
          "enqueue: a bad topic refused");
    CHECK(establish(&d) == TCU_STATUS_ESTABLISHED, "reconnected");
    tcu_mqtt_event connack;
    tcu_mqtt *mqtt = connect_session(&d, &connack);
    CHECK(mqtt != NULL && connack.session_present == 1, "CONNACK: the broker kept the session");
    if (!mqtt) { close_device(&d); return; }
    CHECK(tcu_mqtt_pending(mqtt) == 1, "the queued message went out after CONNACK, awaiting its PUBACK");
    expect_published_and_echoed(&d, mqtt, 0, DEVICEBOUND "offline", (const uint8_t *)"queued", 6, "queued offline");
    CHECK(tcu_mqtt_pending(mqtt) == 0, "the outbox is empty again");
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

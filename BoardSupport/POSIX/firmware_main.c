/* firmware_main.c: a host "firmware" image. A C main with a super-loop drives the
 * TCULink core (compiled in Embedded Swift mode) through tculink.h over the POSIX HAL,
 * exactly as TCU firmware would: no threads, no blocking calls into the core (tcu_renew
 * apart, which a firmware runs from its network task).
 *
 *   firmware [--state DIR] [--attempts N] [--renew ID [--rekey]] [--mqtt PORT --client-id ID]
 *            HOST PORT SERVERNAME CHAIN KEY TRUST [MESSAGE]
 *
 * The life of a TCU, each step through the C API:
 *   boot     the POSIX HAL finishes a renewal a power cut interrupted (its journal), then loads the files;
 *   renew    --renew: EST simplereenroll (--rekey: a new key in the key store), proven, swapped in;
 *   connect  with TCU_FLAG_RESUME when --state is given (the session sealed in DIR resumes), retried
 *            with tcu_backoff up to --attempts times;
 *   request  MESSAGE (default: GET /v1/devices/self) and the first line of the reply;
 *   publish  --mqtt: one QoS 1 message to devices/ID/messages/events/ on HOST:PORT, to its PUBACK.
 *
 * Exit 0 when every step asked for completed. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcu_hal_posix.h"
#include "tculink.h"

/* The wasm2c glue (BoardSupport/Wasm2c) does not forward tculink_lifecycle.h yet: its build of this image
 * defines TCU_FIRMWARE_NO_LIFECYCLE and has no --renew, no backoff and no session saving (docs/wasm2c.md). */
#ifndef TCU_FIRMWARE_NO_LIFECYCLE
#define TCU_FIRMWARE_LIFECYCLE 1
#else
#define TCU_FIRMWARE_LIFECYCLE 0
#endif

typedef struct options {
    const char *state_dir;
    const char *renew_id;
    int rekey;
    int attempts;
    uint16_t mqtt_port;
    const char *client_id;
    const char *positional[7];
    int positional_count;
} options;

static int parse(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->attempts = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(a, "--state") == 0 && has_value) o->state_dir = argv[++i];
        else if (strcmp(a, "--renew") == 0 && has_value) o->renew_id = argv[++i];
        else if (strcmp(a, "--rekey") == 0) o->rekey = 1;
        else if (strcmp(a, "--attempts") == 0 && has_value) o->attempts = atoi(argv[++i]);
        else if (strcmp(a, "--mqtt") == 0 && has_value) o->mqtt_port = (uint16_t)atoi(argv[++i]);
        else if (strcmp(a, "--client-id") == 0 && has_value) o->client_id = argv[++i];
        else if (o->positional_count < 7) o->positional[o->positional_count++] = a;
        else return -1;
    }
    if (o->positional_count < 6 || o->attempts < 1 || (o->mqtt_port != 0 && o->client_id == NULL)) return -1;
    return 0;
}

static uint64_t now_ms(const tcu_hal *hal) { return hal->clock_monotonic_ms(hal->context); }

/* Steps `client` until it is established (TCU_OK) or has failed, waiting on the transport as the core says. */
static tcu_status step_until_settled(tcu_client *client, const tcu_hal *hal, unsigned *loops) {
    for (;;) {
        tcu_wait wait = {0};
        tcu_status status = tcu_client_step(client, &wait);
        if (loops) (*loops)++;
        if (status != TCU_IN_PROGRESS) return status;
        uint64_t now = now_ms(hal);
        hal->transport_wait(hal->context, wait.readable, wait.until_ms > now ? (uint32_t)(wait.until_ms - now) : 0);
    }
}

static void print_failure(const char *what, tcu_client *client) {
    uint8_t alert = 255;
    tcu_status why = tcu_client_error(client, &alert);
    if (alert != 255)
        printf("firmware: %s FAILED: %s (alert %u)\n", what, tcu_status_text(why), alert);
    else
        printf("firmware: %s FAILED: %s\n", what, tcu_status_text(why));
}

/* Connects, retrying with tcu_backoff. Returns an established client, or NULL. */
static tcu_client *connect_with_backoff(const tcu_hal *hal, const tcu_client_config *config, int attempts) {
    tcu_backoff backoff = {0};
    backoff.base_ms = 200; /* a demo's pace; firmware keeps the defaults of tculink_config.h */
    for (int attempt = 1;; attempt++) {
        tcu_client *client = NULL;
        tcu_status created = tcu_client_create(hal, config, &client);
        if (created != TCU_OK) {
            printf("firmware: cannot create the client: %s\n", tcu_status_text(created));
            return NULL;
        }
        unsigned loops = 0;
        tcu_status status = step_until_settled(client, hal, &loops);
        if (status == TCU_OK) {
#if TCU_FIRMWARE_LIFECYCLE
            tcu_backoff_succeeded(&backoff);
#endif
            tcu_connection_info info;
            tcu_client_info(client, &info);
            printf("firmware: established TLS %s %s in %u ms (%u loop turns), client certificate %s, resumed %s\n",
                   info.protocol_version == 0x0304 ? "1.3" : "1.2", info.cipher_suite, info.handshake_ms, loops,
                   info.acceptance == 3 ? "not yet confirmed" : "accepted", info.resumed ? "yes" : "no");
            return client;
        }
        print_failure("connect", client);
        tcu_status failure = tcu_client_error(client, NULL);
        tcu_client_free(client);
#if !TCU_FIRMWARE_LIFECYCLE
        (void)backoff;
        (void)failure;
        return NULL;
#else
        uint64_t retry_at = 0;
        tcu_status verdict = tcu_backoff_failed(&backoff, hal, failure, now_ms(hal), &retry_at);
        if (verdict < 0 && verdict == failure) {
            printf("firmware: not retrying: %s will not cure itself\n", tcu_status_text(failure));
            return NULL;
        }
        if (attempt >= attempts) return NULL;
        uint64_t wait = retry_at > now_ms(hal) ? retry_at - now_ms(hal) : 0;
        printf("firmware: attempt %d failed; retry in %llu ms (backoff with jitter)\n", attempt,
               (unsigned long long)wait);
        struct timespec pause = {(time_t)(wait / 1000), (long)(wait % 1000) * 1000000L};
        nanosleep(&pause, NULL);
#endif
    }
}

/* Sends `message` and prints the reply's first line. */
static int request(tcu_client *client, const tcu_hal *hal, const char *message) {
    size_t length = strlen(message), sent = 0;
    uint64_t deadline = now_ms(hal) + 10000;
    while (sent < length && now_ms(hal) < deadline) {
        size_t n = 0;
        if (tcu_client_send(client, (const uint8_t *)message + sent, length - sent, &n) != TCU_OK) break;
        if (n == 0) hal->transport_wait(hal->context, 0, 100);
        sent += n;
    }
    uint8_t reply[2048];
    size_t got = 0;
    while (sent == length && now_ms(hal) < deadline) {
        if (tcu_client_receive(client, reply, sizeof reply - 1, &got) != TCU_OK || got > 0) break;
        hal->transport_wait(hal->context, 1, 100);
    }
    if (got == 0) {
        uint8_t alert = 255;
        tcu_status why = tcu_client_error(client, &alert);
        printf("firmware: FAILED after the handshake: %s%s\n", why != TCU_OK ? tcu_status_text(why) : "no reply in time",
               alert != 255 ? " (alert from the server)" : "");
        return 1;
    }
    reply[got] = 0;
    char *line_end = strpbrk((char *)reply, "\r\n");
    if (line_end) *line_end = 0;
    printf("firmware: reply: %s\n", (char *)reply);
#if TCU_FIRMWARE_LIFECYCLE
    /* TLS 1.3 tickets can come after the handshake: keep the session now that one may have arrived. */
    tcu_client_save_session(client);
#endif
    return 0;
}

/* One QoS 1 publish over a new connection to the broker, to its PUBACK. */
static int publish(const tcu_hal *hal, const tcu_client_config *broker, const char *client_id) {
    tcu_client *client = connect_with_backoff(hal, broker, 1);
    if (client == NULL) return 1;
    tcu_mqtt_config config = {.client_id = client_id};
    tcu_mqtt *mqtt = NULL;
    tcu_status status = tcu_mqtt_create(client, &config, &mqtt);
    if (status == TCU_OK) status = tcu_mqtt_connect(mqtt);
    int result = 1;
    if (status != TCU_OK) {
        printf("firmware: MQTT FAILED: %s\n", tcu_status_text(status));
    } else {
        char topic[160];
        snprintf(topic, sizeof topic, "devices/%s/messages/events/", client_id);
        const char *payload = "{\"from\":\"firmware\"}";
        uint64_t deadline = now_ms(hal) + 15000;
        while (now_ms(hal) < deadline) {
            tcu_mqtt_event event;
            status = tcu_mqtt_step(mqtt, &event);
            if (status == TCU_OK && event.kind == TCU_MQTT_CONNECTED) {
                status = tcu_mqtt_publish(mqtt, topic, (const uint8_t *)payload, strlen(payload), 1, 0, NULL);
                if (status != TCU_OK) { printf("firmware: publish refused: %s\n", tcu_status_text(status)); break; }
            } else if (status == TCU_OK && event.kind == TCU_MQTT_PUBLISHED) {
                printf("firmware: published to %s, PUBACK for packet %u\n", topic, event.packet_id);
                result = 0;
                break;
            } else if (status == TCU_IN_PROGRESS) {
                uint64_t now = now_ms(hal);
                hal->transport_wait(hal->context, event.wait.readable,
                                    event.wait.until_ms > now ? (uint32_t)(event.wait.until_ms - now) : 0);
            } else if (status != TCU_OK) {
                printf("firmware: MQTT FAILED: %s\n", tcu_status_text(status));
                break;
            }
        }
        tcu_mqtt_disconnect(mqtt);
    }
    tcu_mqtt_free(mqtt);
    tcu_client_free(client);
    return result;
}

int main(int argc, char **argv) {
    options o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr,
                "usage: %s [--state DIR] [--attempts N] [--renew ID [--rekey]] [--mqtt PORT --client-id ID]\n"
                "          HOST PORT SERVERNAME CHAIN KEY TRUST [MESSAGE]\n",
                argv[0]);
        return 2;
    }
    const char *message = o.positional_count > 6
                              ? o.positional[6]
                              : "GET /v1/devices/self HTTP/1.1\r\nHost: tcu\r\nConnection: close\r\n\r\n";

    /* Boot: the HAL finishes an interrupted renewal before it loads the device files. */
    tcu_posix_hal posix;
    tcu_hal hal;
    char error[512];
    if (tcu_posix_hal_init(&posix, &hal, o.positional[3], o.positional[4], o.positional[5], o.state_dir, error,
                           sizeof error) != 0) {
        fprintf(stderr, "firmware: %s\n", error);
        return 2;
    }
    tcu_client_config config = {
        .host = o.positional[0], .port = (uint16_t)atoi(o.positional[1]), .server_name = o.positional[2],
        .flags = o.state_dir != NULL ? TCU_FLAG_RESUME : 0, .handshake_timeout_ms = 15000,
    };
    int exit_code = 0;

#if TCU_FIRMWARE_LIFECYCLE
    if (o.renew_id != NULL) {
        int64_t now_unix = (int64_t)time(NULL);
        printf("firmware: renewal due within a year: %s\n", tcu_renewal_due(&hal, now_unix, 365 * 86400LL) == 1 ? "yes" : "no");
        tcu_renewal_config renewal = {.device_id = o.renew_id, .rekey = o.rekey};
        tcu_status status = tcu_renew(&hal, &config, &renewal);
        if (status == TCU_OK)
            printf("firmware: renewed%s: the new certificate is in use\n", o.rekey ? " with a new key" : "");
        else {
            printf("firmware: renewal FAILED: %s (the old certificate stays in use)\n", tcu_status_text(status));
            exit_code = 1;
        }
    }
#else
    if (o.renew_id != NULL) {
        printf("firmware: --renew is not available through the wasm2c glue yet\n");
        return 2;
    }
#endif

    tcu_client *client = connect_with_backoff(&hal, &config, o.attempts);
    if (client == NULL) {
        exit_code = 1;
    } else {
        if (request(client, &hal, message) != 0) exit_code = 1;
        tcu_client_close(client);
        tcu_client_free(client);
    }

    if (exit_code == 0 && o.mqtt_port != 0) {
        tcu_client_config broker = config;
        broker.port = o.mqtt_port;
        broker.flags = 0; /* a session is kept for the backend above; the broker's is not resumed here */
        if (publish(&hal, &broker, o.client_id) != 0) exit_code = 1;
    }
    tcu_posix_hal_deinit(&posix);
    return exit_code;
}

/* stack_depth.c: the deepest stack the C API needs (issue 18), measured on a painted stack.
 *
 *   stack-depth handshake|mqtt HOST PORT SERVERNAME CHAIN KEY TRUST [STATE_DIR]
 *
 * Runs on a pthread whose stack is a buffer painted with a pattern. handshake: a mutual-TLS handshake
 * (tcu_client_create, tcu_client_step until established). mqtt: the same handshake, then the stack
 * below the caller is painted again and an MQTT session runs: tcu_mqtt_create, CONNECT, one QoS 1
 * publish of 200 bytes to its PUBACK, DISCONNECT (the outbox in STATE_DIR, the POSIX HAL's store). After each phase the lowest byte no longer holding
 * the pattern gives the phase's high-water mark. Prints one line:
 *   handshake_stack=N [publish_stack=N] caller_frame=N
 * where each figure is bytes from the top of the thread's stack, caller_frame the part of it that is
 * this program's own (the thread's start and the function calling the API): a board's figure is the
 * figure minus caller_frame plus its own task's frames. Exit 0 when every phase completed. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcu_hal_posix.h"
#include "tculink.h"

#define STACK_SIZE (1024 * 1024)
#define PATTERN 0xA5

static uint8_t *stack_low;
static char **args;
static const char *state_dir;
static int mqtt_mode;
static size_t handshake_depth, publish_depth, caller_depth;
static int outcome = 1;

static uintptr_t here(void) {
    volatile uint8_t marker = 0;
    return (uintptr_t)&marker;
}

/* Bytes from the stack's top down to the lowest byte that lost the pattern. */
static size_t high_water(void) {
    size_t i = 0;
    while (i < STACK_SIZE && stack_low[i] == PATTERN) i++;
    return STACK_SIZE - i;
}

/* Paints what lies below the caller (minus a margin for this function's own frame). */
static __attribute__((noinline)) void repaint_below(uintptr_t sp) {
    uintptr_t limit = sp - 1024;
    memset(stack_low, PATTERN, (size_t)(limit - (uintptr_t)stack_low));
}

/* The next event's kind (TCU_MQTT_NONE when the session ended or nothing came in time). */
static int next_event(const tcu_hal *hal, tcu_mqtt *mqtt, tcu_mqtt_event *event) {
    uint64_t deadline = hal->clock_monotonic_ms(hal->context) + 10000;
    for (;;) {
        tcu_status status = tcu_mqtt_step(mqtt, event);
        uint64_t now = hal->clock_monotonic_ms(hal->context);
        if (status == TCU_OK) return event->kind;
        if (status != TCU_IN_PROGRESS || now >= deadline) return TCU_MQTT_NONE;
        uint64_t until = event->wait.until_ms < deadline ? event->wait.until_ms : deadline;
        hal->transport_wait(hal->context, event->wait.readable, until > now ? (uint32_t)(until - now) : 0);
    }
}

static void *run(void *unused) {
    (void)unused;
    static tcu_posix_hal posix;
    static tcu_hal hal;
    static char error[512];
    caller_depth = (size_t)((uintptr_t)stack_low + STACK_SIZE - here());
    if (tcu_posix_hal_init(&posix, &hal, args[4], args[5], args[6], state_dir, error, sizeof error) != 0) {
        fprintf(stderr, "stack-depth: %s\n", error);
        return NULL;
    }
    tcu_client_config config = {.host = args[1], .port = (uint16_t)atoi(args[2]), .server_name = args[3],
                                .handshake_timeout_ms = 15000};
    tcu_client *client = NULL;
    tcu_status status = tcu_client_create(&hal, &config, &client);
    while (status == TCU_OK || status == TCU_IN_PROGRESS) {
        tcu_wait wait = {0};
        status = tcu_client_step(client, &wait);
        if (status != TCU_IN_PROGRESS) break;
        uint64_t now = hal.clock_monotonic_ms(hal.context);
        hal.transport_wait(hal.context, wait.readable, wait.until_ms > now ? (uint32_t)(wait.until_ms - now) : 0);
    }
    handshake_depth = high_water();
    if (status != TCU_OK) {
        fprintf(stderr, "stack-depth: handshake failed: %s\n", tcu_status_text(status));
        return NULL;
    }
    if (!mqtt_mode) {
        outcome = 0;
    } else {
        repaint_below(here());
        tcu_mqtt_config mqtt_config = {.client_id = "tcu-0001"};
        tcu_mqtt *mqtt = NULL;
        tcu_status created = tcu_mqtt_create(client, &mqtt_config, &mqtt);
        tcu_mqtt_event event;
        uint8_t payload[200];
        memset(payload, 'x', sizeof payload);
        if (created == TCU_OK && tcu_mqtt_connect(mqtt) == TCU_OK &&
            next_event(&hal, mqtt, &event) == TCU_MQTT_CONNECTED) {
            uint16_t id = 0;
            if (tcu_mqtt_publish(mqtt, "devices/tcu-0001/messages/events/", payload, sizeof payload, 1, 0, &id) ==
                    TCU_OK &&
                id > 0 && next_event(&hal, mqtt, &event) == TCU_MQTT_PUBLISHED && event.packet_id == id)
                outcome = 0;
            tcu_mqtt_disconnect(mqtt);
        }
        publish_depth = high_water();
        if (outcome != 0)
            fprintf(stderr, "stack-depth: MQTT failed: %s\n", tcu_status_text(mqtt ? tcu_mqtt_error(mqtt) : created));
        tcu_mqtt_free(mqtt);
    }
    tcu_client_free(client);
    tcu_posix_hal_deinit(&posix);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 8 || argc > 9 || (strcmp(argv[1], "handshake") != 0 && strcmp(argv[1], "mqtt") != 0)) {
        fprintf(stderr, "usage: %s handshake|mqtt HOST PORT SERVERNAME CHAIN KEY TRUST [STATE_DIR]\n", argv[0]);
        return 2;
    }
    mqtt_mode = strcmp(argv[1], "mqtt") == 0;
    args = argv + 1;
    state_dir = argc > 8 ? argv[8] : NULL;
    if (posix_memalign((void **)&stack_low, 4096, STACK_SIZE) != 0) return 2;
    memset(stack_low, PATTERN, STACK_SIZE);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstack(&attributes, stack_low, STACK_SIZE);
    pthread_t thread;
    if (pthread_create(&thread, &attributes, run, NULL) != 0) return 2;
    pthread_join(thread, NULL);
    if (mqtt_mode)
        printf("handshake_stack=%zu publish_stack=%zu caller_frame=%zu\n", handshake_depth, publish_depth, caller_depth);
    else
        printf("handshake_stack=%zu caller_frame=%zu\n", handshake_depth, caller_depth);
    return outcome;
}

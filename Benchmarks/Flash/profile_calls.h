/* profile_calls.h: the calls the firmware profiles of scripts/targets/bench-flash make, written once. Each
 * profile's main includes it and calls the steps it uses; a step no main calls is never emitted (static
 * inline), so a profile's image holds exactly its own calls. Only linked, never run: the HAL is an
 * all-NULL table (the board's HAL is the same in every profile), and --gc-sections keeps of the core only
 * what these calls reach. */
#ifndef TCULINK_FLASH_PROFILE_CALLS_H
#define TCULINK_FLASH_PROFILE_CALLS_H

#include "tculink.h"

static const tcu_hal board_hal; /* all NULL: never run, only linked */

/* Profile (a): connect, send and receive; the client stays open for what a profile does next. */
static inline tcu_client *connect_and_send(const tcu_client_config *config, uint8_t buffer[64], tcu_status *status) {
    tcu_client *client = NULL;
    *status = tcu_client_create(&board_hal, config, &client);
    tcu_wait wait;
    while (tcu_client_step(client, &wait) == TCU_IN_PROGRESS) {}
    size_t moved = 0;
    uint8_t alert;
    if (tcu_client_send(client, buffer, 64, &moved) < 0) *status = tcu_client_error(client, &alert);
    if (tcu_client_receive(client, buffer, 64, &moved) < 0) *status = tcu_client_error(client, &alert);
    return client;
}

/* Profile (b): the session kept for resumption, an MQTT telemetry session to its end, the client freed, and
 * the backoff after it. Returns when to connect again. */
static inline uint64_t telemetry_session(tcu_client *client, uint8_t buffer[64], tcu_backoff *backoff,
                                         uint64_t now_ms) {
    tcu_client_save_session(client);
    tcu_mqtt_config mqtt_config = {.client_id = "tcu-0001"};
    tcu_mqtt *mqtt = NULL;
    tcu_mqtt_create(client, &mqtt_config, &mqtt);
    tcu_mqtt_connect(mqtt);
    tcu_mqtt_subscribe(mqtt, "devices/tcu-0001/messages/devicebound/#", 1, NULL);
    tcu_mqtt_event event;
    tcu_mqtt_message message;
    tcu_status status;
    while ((status = tcu_mqtt_step(mqtt, &event)) >= 0 && status != TCU_CLOSED) {
        if (event.kind == TCU_MQTT_MESSAGE) tcu_mqtt_receive(mqtt, &message);
        tcu_mqtt_publish(mqtt, "devices/tcu-0001/messages/events/", buffer, 64, 1, 0, NULL);
    }
    tcu_mqtt_disconnect(mqtt);
    tcu_mqtt_free(mqtt);
    tcu_client_free(client);
    uint64_t retry_at_ms = now_ms;
    if (status >= 0) tcu_backoff_succeeded(backoff);
    else tcu_backoff_failed(backoff, &board_hal, status, now_ms, &retry_at_ms);
    return retry_at_ms;
}

#endif

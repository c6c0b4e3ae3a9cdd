/* mqtt_resume_backoff.c: profile (b) of scripts/targets/bench-flash: connect_send.c plus MQTT
 * (tcu_mqtt_*), resumption across reboots (TCU_FLAG_RESUME, tcu_client_save_session) and backoff with
 * jitter (tcu_backoff_failed / tcu_backoff_succeeded), as a telemetry firmware's connection loop. Only
 * linked, never run (see connect_send.c). */
#include "tculink.h"
static const tcu_hal board_hal; /* all NULL: never run, only linked */
int main(void) {
    tcu_backoff backoff = {0};
    uint64_t now_ms = 0;
    for (;;) {
        tcu_client_config config = {.host = "backend", .port = 8883, .flags = TCU_FLAG_RESUME};
        tcu_client *client = NULL;
        tcu_status status = tcu_client_create(&board_hal, &config, &client);
        tcu_wait wait;
        while (tcu_client_step(client, &wait) == TCU_IN_PROGRESS) {}
        uint8_t buffer[64];
        size_t moved = 0;
        uint8_t alert;
        if (tcu_client_send(client, buffer, sizeof buffer, &moved) < 0) status = tcu_client_error(client, &alert);
        if (tcu_client_receive(client, buffer, sizeof buffer, &moved) < 0) status = tcu_client_error(client, &alert);
        tcu_client_save_session(client);
        tcu_mqtt_config mqtt_config = {.client_id = "tcu-0001"};
        tcu_mqtt *mqtt = NULL;
        tcu_mqtt_create(client, &mqtt_config, &mqtt);
        tcu_mqtt_connect(mqtt);
        tcu_mqtt_subscribe(mqtt, "devices/tcu-0001/messages/devicebound/#", 1, NULL);
        tcu_mqtt_event event;
        tcu_mqtt_message message;
        while ((status = tcu_mqtt_step(mqtt, &event)) >= 0 && status != TCU_CLOSED) {
            if (event.kind == TCU_MQTT_MESSAGE) tcu_mqtt_receive(mqtt, &message);
            tcu_mqtt_publish(mqtt, "devices/tcu-0001/messages/events/", buffer, sizeof buffer, 1, 0, NULL);
        }
        tcu_mqtt_disconnect(mqtt);
        tcu_mqtt_free(mqtt);
        tcu_client_free(client);
        uint64_t retry_at_ms = now_ms;
        if (status >= 0) tcu_backoff_succeeded(&backoff);
        else tcu_backoff_failed(&backoff, &board_hal, status, now_ms, &retry_at_ms);
        now_ms = retry_at_ms;
    }
}

/* mqtt_resume_backoff.c: profile (b) of scripts/targets/bench-flash: connect_send.c plus MQTT
 * (tcu_mqtt_*), resumption across reboots (TCU_FLAG_RESUME, tcu_client_save_session) and backoff with
 * jitter (tcu_backoff_failed / tcu_backoff_succeeded), as a telemetry firmware's connection loop
 * (profile_calls.h). */
#include "profile_calls.h"
int main(void) {
    tcu_backoff backoff = {0};
    uint64_t now_ms = 0;
    for (;;) {
        tcu_client_config config = {.host = "backend", .port = 8883, .flags = TCU_FLAG_RESUME};
        uint8_t buffer[64];
        tcu_status status;
        tcu_client *client = connect_and_send(&config, buffer, &status);
        now_ms = telemetry_session(client, buffer, &backoff, now_ms);
    }
}

/* with_mqtt.c: tls_only.c plus every tcu_mqtt_* call a telemetry firmware makes (see tls_only.c). */
#include "tculink.h"
static const tcu_hal board_hal; /* all NULL: never run, only linked */
int main(void) {
    tcu_client_config config = {.host = "backend", .port = 8883};
    tcu_client *client;
    tcu_client_create(&board_hal, &config, &client);
    tcu_wait wait;
    while (tcu_client_step(client, &wait) == TCU_IN_PROGRESS) {}
    uint8_t buffer[64];
    size_t count;
    tcu_client_send(client, buffer, sizeof buffer, &count);
    tcu_client_receive(client, buffer, sizeof buffer, &count);
    tcu_mqtt_config mqtt_config = {.client_id = "tcu-0001"};
    tcu_mqtt *mqtt;
    tcu_mqtt_create(client, &mqtt_config, &mqtt);
    tcu_mqtt_connect(mqtt);
    tcu_mqtt_subscribe(mqtt, "devices/tcu-0001/messages/devicebound/#", 1, NULL);
    tcu_mqtt_event event;
    tcu_mqtt_message message;
    while (tcu_mqtt_step(mqtt, &event) >= 0) {
        if (event.kind == TCU_MQTT_MESSAGE) tcu_mqtt_receive(mqtt, &message);
        tcu_mqtt_publish(mqtt, "devices/tcu-0001/messages/events/", buffer, sizeof buffer, 1, 0, NULL);
    }
    tcu_mqtt_disconnect(mqtt);
    tcu_mqtt_free(mqtt);
    tcu_client_free(client);
    return 0;
}

/* tls_only.c: a firmware main that uses the TLS client of the C API and nothing else; linked for
 * armv7em with --gc-sections beside with_mqtt.c (scripts/targets/bench-mqtt), the difference of the
 * two images is what the MQTT part costs in flash as firmware links it. The HAL is an empty table:
 * the board's HAL is the same in both images. */
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
    tcu_client_free(client);
    return 0;
}

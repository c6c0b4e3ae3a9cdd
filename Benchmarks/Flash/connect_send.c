/* connect_send.c: profile (a) of scripts/targets/bench-flash, a firmware that connects and sends: a
 * main making the calls such a firmware makes (tcu_client_create/step/send/receive/error/free). Only
 * linked, never run: the HAL is an all-NULL table (the board's HAL is the same in every profile), and
 * --gc-sections keeps of the core only what these calls reach. */
#include "tculink.h"
static const tcu_hal board_hal; /* all NULL: never run, only linked */
int main(void) {
    tcu_client_config config = {.host = "backend", .port = 8883};
    tcu_client *client = NULL;
    tcu_status status = tcu_client_create(&board_hal, &config, &client);
    tcu_wait wait;
    while (tcu_client_step(client, &wait) == TCU_IN_PROGRESS) {}
    uint8_t buffer[64];
    size_t moved = 0;
    uint8_t alert;
    if (tcu_client_send(client, buffer, sizeof buffer, &moved) < 0) status = tcu_client_error(client, &alert);
    if (tcu_client_receive(client, buffer, sizeof buffer, &moved) < 0) status = tcu_client_error(client, &alert);
    tcu_client_free(client);
    return status;
}

/* connect_send.c: profile (a) of scripts/targets/bench-flash, a firmware that connects and sends:
 * tcu_client_create/step/send/receive/error/free (profile_calls.h). */
#include "profile_calls.h"
int main(void) {
    tcu_client_config config = {.host = "backend", .port = 8883};
    uint8_t buffer[64];
    tcu_status status;
    tcu_client *client = connect_and_send(&config, buffer, &status);
    tcu_client_free(client);
    return status;
}

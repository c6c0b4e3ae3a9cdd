/* header_compiles.c: the public headers (tculink.h with tcu_hal.h, tculink_types.h, tculink_reasons.h)
 * alone in a translation unit, as a TCU team's firmware includes them. scripts/targets/check-headers
 * compiles it as strict C99 and C++11 with every warning an error, for the host and for arm-none-eabi. */
#include "tculink.h"

int main(void) {
    /* Every type and a function pointer of each kind: declarations a compiler must accept as they are. */
    tcu_client *(*create)(const tcu_hal *, const tcu_client_config *, int *) = tcu_client_create;
    int (*step)(tcu_mqtt *, tcu_mqtt_event *) = tcu_mqtt_step;
    size_t sizes = sizeof(tcu_hal) + sizeof(tcu_client_config) + sizeof(tcu_mqtt_config) + sizeof(tcu_mqtt_event) +
                   sizeof(tcu_mqtt_message) + sizeof(tcu_connection_info) + sizeof(tcu_wait);
    return (create != NULL && step != NULL && sizes > 0) ? TCU_REASON_MQTT_OUTBOX_FULL - 92 : 1;
}

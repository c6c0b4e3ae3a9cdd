/* header_compiles.c: the public headers (tculink.h with tcu_hal.h, tculink_types.h, tculink_reasons.h,
 * tculink_config.h, tculink_lifecycle.h) alone in a translation unit, as a TCU team's firmware includes
 * them. scripts/targets/check-headers compiles it as strict C99 and C++11 with every warning an error, for
 * the host and for arm-none-eabi. */
#include "tculink.h"

int main(void) {
    /* Every type and a function pointer of each kind: declarations a compiler must accept as they are. */
    tcu_status (*create)(const tcu_hal *, const tcu_client_config *, tcu_client **) = tcu_client_create;
    tcu_status (*send)(tcu_client *, const uint8_t *, size_t, size_t *) = tcu_client_send;
    tcu_status (*step)(tcu_mqtt *, tcu_mqtt_event *) = tcu_mqtt_step;
    tcu_status (*publish)(tcu_mqtt *, const char *, const uint8_t *, size_t, int, int, uint16_t *) = tcu_mqtt_publish;
    const char *(*text)(tcu_status) = tcu_status_text;
    tcu_status (*backoff)(tcu_backoff *, const tcu_hal *, tcu_status, uint64_t, uint64_t *) = tcu_backoff_failed;
    tcu_status (*renew)(const tcu_hal *, const tcu_client_config *, const tcu_renewal_config *) = tcu_renew;
    tcu_status (*csr)(const tcu_hal *, const char *, int, uint8_t *, size_t, size_t *) = tcu_csr_build;
    static tcu_hal table; /* zero-initialized: every entry NULL */
    int32_t (*public_key)(void *, int, uint8_t *, size_t) = table.keystore_public_key; /* optional: NULL here */
    size_t sizes = sizeof(tcu_hal) + sizeof(tcu_client_config) + sizeof(tcu_mqtt_config) + sizeof(tcu_mqtt_event) +
                   sizeof(tcu_mqtt_message) + sizeof(tcu_connection_info) + sizeof(tcu_wait) + sizeof(tcu_backoff) +
                   sizeof(tcu_renewal_config);
    /* The status convention: a failure is its reason negated, and back. */
    tcu_status refused = TCU_STATUS_FROM_REASON(TCU_REASON_INVALID_ARGUMENT);
    int ok = create != NULL && send != NULL && step != NULL && publish != NULL && text != NULL && backoff != NULL &&
             renew != NULL && csr != NULL && public_key == NULL && TCU_CERTS_PENDING_CHAIN == 2 && sizes > 0 &&
             refused < 0 && TCU_STATUS_REASON(refused) == TCU_REASON_INVALID_ARGUMENT &&
             TCU_STATUS_REASON(TCU_IN_PROGRESS) == 0 && TCULINK_MQTT_OUTBOX_CAPACITY > 0 &&
             TCULINK_MAX_CERTIFICATES > 0 && TCULINK_RENEWAL_TIMEOUT_MS > 0;
    return ok ? 0 : 1;
}

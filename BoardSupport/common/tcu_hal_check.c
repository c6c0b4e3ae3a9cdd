/* tcu_hal_check.c: a HAL table is complete only when every entry is set. */
#include "tcu_hal.h"

#include <stddef.h>

/** Returns 0 when every function of `hal` is set, else the 1-based index of the first missing one. */
int tcu_hal_missing_function(const tcu_hal *hal) {
    if (hal == NULL) return -1;
    const void *entries[] = {
        (const void *)hal->transport_connect, (const void *)hal->transport_poll_connect,
        (const void *)hal->transport_send,    (const void *)hal->transport_receive,
        (const void *)hal->transport_close,   (const void *)hal->transport_wait,
        (const void *)hal->keystore_certificate, (const void *)hal->keystore_sign,
        (const void *)hal->clock_wall_time,   (const void *)hal->clock_monotonic_ms,
        (const void *)hal->entropy_fill,      (const void *)hal->store_read,
        (const void *)hal->store_write,       (const void *)hal->store_erase,
        (const void *)hal->keystore_seal,     (const void *)hal->keystore_unseal,
    };
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
        if (entries[i] == NULL) return (int)i + 1;
    return 0;
}

/** 1 when the optional renewal functions are all set. */
int tcu_hal_can_renew(const tcu_hal *hal) {
    return hal != NULL && hal->keystore_public_key != NULL && hal->keystore_generate_key != NULL &&
           hal->keystore_sign_pending != NULL && hal->keystore_store_pending_chain != NULL &&
           hal->keystore_commit != NULL;
}

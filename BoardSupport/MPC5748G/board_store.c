/* board_store.c: the persistent slots (TCU_SLOT_*), one record each in the store records. A write
 * or erase rewrites the whole record set into the other flash block (board_records.c), so power
 * lost during it leaves the previous content readable after the reboot. */
#include <string.h>

#include "board_internal.h"

static int slot_valid(int slot) {
    return slot == TCU_SLOT_TLS_SESSION || slot == TCU_SLOT_LAST_KNOWN_GOOD_TIME || slot == TCU_SLOT_ENROLLMENT_STATE ||
           slot == TCU_SLOT_MQTT_OUTBOX;
}

int32_t tcu_mpc_store_read(void *context, int slot, uint8_t *buffer, size_t capacity) {
    tcu_mpc5748g *board = context;
    if (!slot_valid(slot)) return -2;
    const uint8_t *value;
    size_t length;
    if (tcu_mpc_records_find(&board->store, (uint8_t)slot, 0, &value, &length) != 0) return -1;
    if (length > capacity || (length > 0 && buffer == NULL)) return -2;
    if (length > 0) memcpy(buffer, value, length);
    return (int32_t)length;
}

int tcu_mpc_store_write(void *context, int slot, const uint8_t *data, size_t length) {
    tcu_mpc5748g *board = context;
    if (!slot_valid(slot) || (data == NULL && length > 0)) return TCU_MPC_ERR_ARGUMENT;
    tcu_mpc_records_remove(&board->store, (uint8_t)slot);
    int status = tcu_mpc_records_append(&board->store, (uint8_t)slot, data, length);
    if (status != 0) {
        tcu_mpc_records_reload(&board->store); /* the old value stays in RAM as in flash */
        return status;
    }
    return tcu_mpc_records_commit(&board->store);
}

int tcu_mpc_store_erase(void *context, int slot) {
    tcu_mpc5748g *board = context;
    if (!slot_valid(slot)) return TCU_MPC_ERR_ARGUMENT;
    const uint8_t *value;
    size_t length;
    if (tcu_mpc_records_find(&board->store, (uint8_t)slot, 0, &value, &length) != 0) return 0; /* already empty */
    tcu_mpc_records_remove(&board->store, (uint8_t)slot);
    return tcu_mpc_records_commit(&board->store);
}

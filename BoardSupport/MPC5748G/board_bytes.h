/* board_bytes.h: explicit big-endian serialization and zeroing of secrets.
 *
 * Every multi-byte field the board writes to flash is laid out byte by byte here, never by
 * copying a struct, so the format is the same on the big-endian MPC5748G and on a little-endian
 * host (the tests run on both). */
#ifndef TCU_MPC_BOARD_BYTES_H
#define TCU_MPC_BOARD_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline void tcu_mpc_put_u16(uint8_t *out, uint16_t value) {
    out[0] = (uint8_t)(value >> 8);
    out[1] = (uint8_t)value;
}

static inline void tcu_mpc_put_u32(uint8_t *out, uint32_t value) {
    out[0] = (uint8_t)(value >> 24);
    out[1] = (uint8_t)(value >> 16);
    out[2] = (uint8_t)(value >> 8);
    out[3] = (uint8_t)value;
}

static inline uint16_t tcu_mpc_get_u16(const uint8_t *in) { return (uint16_t)((in[0] << 8) | in[1]); }

static inline uint32_t tcu_mpc_get_u32(const uint8_t *in) {
    return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | (uint32_t)in[3];
}

/* Zeroes secrets through a volatile pointer so the compiler cannot drop the stores as dead
 * (wolfSSL's ForceZero does the same but is not exported by a shared libwolfssl). */
static inline void tcu_mpc_zero(void *memory, size_t length) {
    volatile uint8_t *bytes = (volatile uint8_t *)memory;
    while (length-- > 0) *bytes++ = 0;
}

#endif

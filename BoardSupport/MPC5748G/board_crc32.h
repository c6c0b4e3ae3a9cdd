/* board_crc32.h: CRC-32 (IEEE 802.3, reflected, init and final XOR 0xFFFFFFFF) over flash records.
 * It detects torn and decayed writes; it is not a MAC (the wrapped key carries its own GCM tag). */
#ifndef TCU_MPC_BOARD_CRC32_H
#define TCU_MPC_BOARD_CRC32_H

#include <stddef.h>
#include <stdint.h>

/** Continues a CRC: pass 0 to start. crc32("123456789") == 0xCBF43926. */
uint32_t tcu_mpc_crc32(uint32_t crc, const uint8_t *data, size_t length);

#endif

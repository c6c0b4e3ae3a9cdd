/* board_crc32.c: bitwise CRC-32; records are a few KB and written rarely, so no table (saves 1 KB). */
#include "board_crc32.h"

uint32_t tcu_mpc_crc32(uint32_t crc, const uint8_t *data, size_t length) {
    crc = ~crc;
    for (size_t i = 0; i < length; i++) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0xEDB88320U & (0U - (crc & 1U)));
    }
    return ~crc;
}

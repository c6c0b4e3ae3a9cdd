/* board_flash_cache.h: what stands between a data flash erase/program and the board's reads of the
 * block through pointers, and how the board gets it out of the way (board_flash_cache.c). */
#ifndef TCU_MPC_BOARD_FLASH_CACHE_H
#define TCU_MPC_BOARD_FLASH_CACHE_H

#include <stdint.h>

/** The flash controller's port configuration registers (PFCR1, PFCR2, PFCR4) as they were. */
typedef struct {
    uint32_t pfcr[3];
} tcu_mpc_flash_buffers;

/** Switches the flash controller's line buffers off (which also invalidates them) for the time of an
 *  erase or program, keeping the configuration to restore. */
void tcu_mpc_flash_buffers_off(tcu_mpc_flash_buffers *saved);

/** Puts the line buffer configuration back as it was. */
void tcu_mpc_flash_buffers_restore(const tcu_mpc_flash_buffers *saved);

/** After an erase or program, before reading [address, address + length) back: drops what the
 *  core's data cache holds of it (TCU_MPC_DCACHE in board_config.h). */
void tcu_mpc_dcache_invalidate(uint32_t address, uint32_t length);

#endif

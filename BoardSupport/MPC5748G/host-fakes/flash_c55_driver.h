/* flash_c55_driver.h (host fake): the part of the S32 SDK C55 flash driver the board HAL calls.
 *
 * Types and prototypes in the shape of the SDK's platform/drivers/inc/flash_c55_driver.h (read in
 * the copy at github.com/naughtyMin/MPC5744UnifiedBootloader, MPC5744_bootloader/Sources/bootloader/
 * Flash_driver/flash_c55_driver.h, "Copyright 2017 NXP", and in NXP's flash_program_erase_mpc5748g
 * example, S32 SDK 0.9.0 BETA). Behaviour lives in fake_flash.c.
 *
 * Two host-only macros: the SDK passes RAM and flash addresses as uint32_t and reads data flash
 * through plain pointers. A 64-bit host cannot do either, so the fake maps them (see fake_flash.c);
 * on the board, board_config.h defines both as plain casts. */
#ifndef FLASH_C55_DRIVER_H
#define FLASH_C55_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define C55_WORD_SIZE 4U
#define C55_DWORD_SIZE 8U
#define C55_PAGE_SIZE 32U
#define C55_QPAGE_SIZE 128U

typedef enum {
    C55_BLOCK_LOW = 0x00U,
    C55_BLOCK_MID = 0x01U,
    C55_BLOCK_HIGH = 0x02U,
    C55_BLOCK_256K_FIRST = 0x03U,
    C55_BLOCK_256K_SECOND = 0x04U,
    C55_BLOCK_UTEST = 0x05U
} flash_address_space_t;

typedef enum { ERS_OPT_MAIN_SPACE = 0x01U, ERS_OPT_UTEST_SPACE = 0x02U } flash_erase_option_t;

/* opResult of the check functions: anything but C55_OK means the operation did not finish, even
 * when the status is STATUS_SUCCESS (suspended, or still in its interlock write stage). */
typedef enum {
    C55_OK = 0x00U,
    C55_SUS_NOTHING = 0x10U,
    C55_PGM_WRITE = 0x11U,
    C55_ERS_WRITE = 0x12U,
    C55_ERS_SUS_PGM_WRITE = 0x13U,
    C55_PGM_SUS = 0x14U,
    C55_ERS_SUS = 0x15U,
    C55_ERS_SUS_PGM_SUS = 0x16U
} flash_state_t;

typedef struct {
    uint32_t arrMISRValue[4];
} flash_misr_t;

typedef struct {
    uint32_t dest;
    uint32_t size;
    uint32_t source;
    flash_misr_t *pMisr;
} flash_context_data_t;

typedef struct {
    uint32_t lowBlockSelect;
    uint32_t midBlockSelect;
    uint32_t highBlockSelect;
    uint32_t first256KBlockSelect;
    uint32_t second256KBlockSelect;
} flash_block_select_t;

status_t FLASH_DRV_Init(void);
status_t FLASH_DRV_SetLock(flash_address_space_t lockedBlockSelection, uint32_t lockedBlockState);
status_t FLASH_DRV_GetLock(flash_address_space_t lockedBlockSelection, uint32_t *lockedBlockState);
status_t FLASH_DRV_Erase(flash_erase_option_t eraseOption, flash_block_select_t *blockSelect);
status_t FLASH_DRV_CheckEraseStatus(flash_state_t *opResult);
status_t FLASH_DRV_Program(flash_context_data_t *pCtxData, uint32_t dest, uint32_t size, uint32_t source);
status_t FLASH_DRV_CheckProgramStatus(flash_context_data_t *pCtxData, flash_state_t *opResult);

/* Host mapping of SDK addresses (see above). */
uint32_t fake_flash_address_of(const void *ram);
const uint8_t *fake_flash_memory(uint32_t address, size_t length);
#define TCU_MPC_ADDRESS(pointer) fake_flash_address_of(pointer)
#define TCU_MPC_FLASH_READ(address, length) fake_flash_memory((address), (length))

#endif

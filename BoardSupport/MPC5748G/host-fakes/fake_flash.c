/* fake_flash.c: the S32 SDK C55 flash driver's behaviour on the MPC5748G data flash, on a host.
 *
 * From the SDK's flash_c55_driver.h documentation and the C55 flash rules it relies on: blocks
 * are locked out of reset until FLASH_DRV_SetLock clears their bit; FLASH_DRV_Erase and
 * FLASH_DRV_Program only start a high-voltage operation, finished by polling
 * FLASH_DRV_CheckEraseStatus / FLASH_DRV_CheckProgramStatus (STATUS_FLASH_INPROGRESS until done);
 * erase sets every byte to 0xFF; program needs dest 8-byte aligned and size a multiple of 4, and a
 * double word (the ECC unit) may be programmed once after an erase; programming it again fails.
 * The blocks modelled are the four the board uses by default (board_config.h).
 *
 * Reads through pointers (TCU_MPC_FLASH_READ) go through what sits in front of the array on the chip:
 * the flash controller's line buffers (PFLASH PFCR1/2/4 BFEN) and the e200z4's data cache (L1CSR0).
 * Worst case, as if every line of a block had been read before: a double word changed by an erase or
 * program while the data cache was on keeps showing its old value until the board invalidates the
 * cache (MTSPR L1CSR0 CINV); changed while the line buffers were on, it keeps its old value even
 * then, until the buffers are switched off (which invalidates them). Both come back fresh at power-on.
 *
 * The driver's opResult: an operation another bus master suspended (or left in its interlock write
 * stage) ends with STATUS_SUCCESS but opResult != C55_OK, and the array is not changed
 * (fake_flash_report_unfinished). */
#include <stdio.h>
#include <string.h>

#include "device_registers.h"
#include "fake_flash_control.h"
#include "fake_sdk.h"
#include "flash_c55_driver.h"

#define CHUNK 128U
#define MAX_BLOCK 0x8000U

typedef struct {
    uint32_t address;
    flash_address_space_t space;
    uint32_t select;
    uint32_t size;
    uint8_t bytes[MAX_BLOCK];           /* the array */
    uint8_t programmed[MAX_BLOCK / 8U]; /* one flag per double word */
    uint8_t seen[MAX_BLOCK];            /* what a CPU read last got: the cached / buffered copy */
    uint8_t stale[MAX_BLOCK / 8U];      /* one flag per double word: reads serve `seen`, not `bytes` */
    bool buffered;                      /* changed while the line buffers were on */
} fake_block;

static fake_block blocks[] = {
    {0x00F90000U, C55_BLOCK_MID, 0x1U, 0x4000U, {0}, {0}, {0}, {0}, false},
    {0x00F94000U, C55_BLOCK_MID, 0x2U, 0x4000U, {0}, {0}, {0}, {0}, false},
    {0x00F98000U, C55_BLOCK_MID, 0x4U, 0x4000U, {0}, {0}, {0}, {0}, false},
    {0x00FC0000U, C55_BLOCK_LOW, 0x4U, 0x8000U, {0}, {0}, {0}, {0}, false},
};
#define BLOCK_COUNT (sizeof blocks / sizeof blocks[0])

enum { NONE, ERASING, PROGRAMMING };
static int operation;
static flash_block_select_t erase_selection;
static int erase_polls, operation_failed;
static flash_context_data_t *program_context;
static uint32_t locks[6];
static long cut_at = -1;
static bool off;
static unsigned long steps;
static unsigned overprograms;
static long unfinished_at = -1;

/* The registers in front of the array (device_registers.h): PFLASH's reset value has the line
 * buffers on; L1CSR0 as a startup that enabled the data cache (DCACHE_ENABLE=1) leaves it. */
#define BFEN 0x1U
#define L1CSR0_SPR 1010U
#define L1CSR0_CE 0x1U
#define L1CSR0_CINV 0x2U
PFLASH_Type fake_pflash_registers;
static uint32_t l1csr0;
static unsigned dcache_invalidations;

static bool line_buffers_on(void) {
    return ((fake_pflash_registers.PFCR1 | fake_pflash_registers.PFCR2 | fake_pflash_registers.PFCR4) & BFEN) != 0U;
}

/* Switching the line buffers off invalidates them: whatever they held from before is gone. */
static void drop_line_buffers_when_off(void) {
    if (line_buffers_on()) return;
    for (size_t i = 0; i < BLOCK_COUNT; i++) blocks[i].buffered = false;
}

/* [offset, offset + length) of `block` changed in the array: a CPU read keeps the old value if
 * anything in front of the array may hold it. */
static void array_changed(fake_block *block, uint32_t offset, uint32_t length) {
    bool buffers = line_buffers_on(), cache = (l1csr0 & L1CSR0_CE) != 0U;
    if (!buffers && !cache) return;
    if (buffers) block->buffered = true;
    for (uint32_t dword = offset / 8U; dword < (offset + length + 7U) / 8U; dword++) block->stale[dword] = 1;
}

uint32_t fake_mfspr(unsigned spr) {
    if (spr != L1CSR0_SPR) {
        fake_sdk_violation("MFSPR of an SPR the fakes do not model");
        return 0;
    }
    return l1csr0;
}

void fake_mtspr(unsigned spr, uint32_t value) {
    if (spr != L1CSR0_SPR) {
        fake_sdk_violation("MTSPR of an SPR the fakes do not model");
        return;
    }
    if (value & L1CSR0_CINV) {
        /* The whole data cache is invalidated (CINV clears itself when done). Lines that come back
         * through line buffers still holding old data are old again. */
        dcache_invalidations++;
        drop_line_buffers_when_off();
        for (size_t i = 0; i < BLOCK_COUNT; i++)
            if (!blocks[i].buffered) memset(blocks[i].stale, 0, sizeof blocks[i].stale);
    }
    l1csr0 = value & ~L1CSR0_CINV;
}

unsigned fake_flash_dcache_invalidations(void) { return dcache_invalidations; }
void fake_flash_set_dcache(bool enabled) { l1csr0 = enabled ? (l1csr0 | L1CSR0_CE) : (l1csr0 & ~L1CSR0_CE); }
void fake_flash_report_unfinished(long count) { unfinished_at = count < 0 ? -1 : (long)steps + count; }

/* Host mapping of the uint32_t source addresses the SDK takes (see flash_c55_driver.h). */
#define TOKEN_BASE 0xE0000000U
#define TOKEN_SPAN 0x10000U
static const void *pointers[64];

uint32_t fake_flash_address_of(const void *ram) {
    unsigned slot = 0;
    while (slot < 64 && pointers[slot] != NULL && pointers[slot] != ram) slot++;
    if (slot == 64) {
        memset(pointers, 0, sizeof pointers);
        slot = 0;
    }
    pointers[slot] = ram;
    return TOKEN_BASE + slot * TOKEN_SPAN;
}

static const uint8_t *ram_of(uint32_t address) {
    if (address < TOKEN_BASE) return NULL;
    unsigned slot = (address - TOKEN_BASE) / TOKEN_SPAN;
    if (slot >= 64 || pointers[slot] == NULL) return NULL;
    return (const uint8_t *)pointers[slot] + (address - TOKEN_BASE) % TOKEN_SPAN;
}

static fake_block *block_at(uint32_t address, uint32_t length) {
    for (size_t i = 0; i < BLOCK_COUNT; i++)
        if (address >= blocks[i].address && (uint64_t)address + length <= (uint64_t)blocks[i].address + blocks[i].size)
            return &blocks[i];
    return NULL;
}

const uint8_t *fake_flash_memory(uint32_t address, size_t length) {
    fake_block *block = block_at(address, (uint32_t)length);
    if (block == NULL) {
        fake_sdk_violation("read of an address outside the modelled data flash");
        return NULL;
    }
    /* A CPU read: fresh from the array except where a cache or line buffer still holds old data. */
    drop_line_buffers_when_off();
    uint32_t offset = address - block->address;
    for (uint32_t at = offset; at < offset + length; at++)
        if (!block->stale[at / 8U]) block->seen[at] = block->bytes[at];
    return block->seen + offset;
}

uint8_t *fake_flash_raw(uint32_t address, uint32_t length) {
    fake_block *block = block_at(address, length);
    return block == NULL ? NULL : block->bytes + (address - block->address);
}

void fake_flash_reset(void) {
    for (size_t i = 0; i < BLOCK_COUNT; i++) {
        memset(blocks[i].bytes, 0xFF, sizeof blocks[i].bytes);
        memset(blocks[i].programmed, 0, sizeof blocks[i].programmed);
    }
    steps = 0;
    overprograms = 0;
    cut_at = -1;
    unfinished_at = -1;
    dcache_invalidations = 0;
    fake_flash_power_on();
}

void fake_flash_cut_power_after(long count) { cut_at = count < 0 ? -1 : (long)steps + count; }
bool fake_flash_powered_off(void) { return off; }
unsigned long fake_flash_steps(void) { return steps; }
unsigned fake_flash_overprograms(void) { return overprograms; }

void fake_flash_power_on(void) {
    off = false;
    operation = NONE;
    program_context = NULL;
    for (size_t i = 0; i < 6; i++) locks[i] = 0xFFFFFFFFU;
    memset(pointers, 0, sizeof pointers);
    /* Out of reset nothing is cached or buffered; the startup code enables the data cache. */
    for (size_t i = 0; i < BLOCK_COUNT; i++) {
        memcpy(blocks[i].seen, blocks[i].bytes, sizeof blocks[i].seen);
        memset(blocks[i].stale, 0, sizeof blocks[i].stale);
        blocks[i].buffered = false;
    }
    memset(&fake_pflash_registers, 0, sizeof fake_pflash_registers);
    fake_pflash_registers.PFCR1 = fake_pflash_registers.PFCR2 = fake_pflash_registers.PFCR4 = BFEN;
    l1csr0 = L1CSR0_CE;
}

/* True when this step is the one the power fails in. */
static bool power_fails_now(void) {
    if (cut_at >= 0 && (long)steps == cut_at) {
        off = true;
        cut_at = -1;
        operation = NONE;
        return true;
    }
    steps++;
    return false;
}

/* True when this step completes "successfully" with opResult != C55_OK and the array unchanged. */
static bool unfinished_now(void) {
    if (unfinished_at >= 0 && (long)steps == unfinished_at) {
        unfinished_at = -1;
        operation = NONE;
        steps++;
        return true;
    }
    return false;
}

static uint32_t selection_of(const flash_block_select_t *select, flash_address_space_t space) {
    switch (space) {
    case C55_BLOCK_LOW: return select->lowBlockSelect;
    case C55_BLOCK_MID: return select->midBlockSelect;
    case C55_BLOCK_HIGH: return select->highBlockSelect;
    case C55_BLOCK_256K_FIRST: return select->first256KBlockSelect;
    case C55_BLOCK_256K_SECOND: return select->second256KBlockSelect;
    default: return 0;
    }
}

status_t FLASH_DRV_Init(void) {
    if (off) return STATUS_ERROR;
    operation = NONE;
    return STATUS_SUCCESS;
}

status_t FLASH_DRV_SetLock(flash_address_space_t lockedBlockSelection, uint32_t lockedBlockState) {
    if (off) return STATUS_ERROR;
    if ((unsigned)lockedBlockSelection > C55_BLOCK_UTEST) return STATUS_ERROR;
    locks[lockedBlockSelection] = lockedBlockState;
    return STATUS_SUCCESS;
}

status_t FLASH_DRV_GetLock(flash_address_space_t lockedBlockSelection, uint32_t *lockedBlockState) {
    if (off) return STATUS_ERROR;
    if ((unsigned)lockedBlockSelection > C55_BLOCK_UTEST || lockedBlockState == NULL) return STATUS_ERROR;
    *lockedBlockState = locks[lockedBlockSelection];
    return STATUS_SUCCESS;
}

status_t FLASH_DRV_Erase(flash_erase_option_t eraseOption, flash_block_select_t *blockSelect) {
    if (off) return STATUS_ERROR;
    if (operation != NONE) return STATUS_BUSY;
    if (eraseOption != ERS_OPT_MAIN_SPACE || blockSelect == NULL) {
        fake_sdk_violation("FLASH_DRV_Erase: only the main space of selected blocks is modelled");
        return STATUS_ERROR;
    }
    uint32_t known[5] = {0};
    for (size_t i = 0; i < BLOCK_COUNT; i++) known[blocks[i].space] |= blocks[i].select;
    bool any = false;
    for (int space = C55_BLOCK_LOW; space <= C55_BLOCK_256K_SECOND; space++) {
        uint32_t bits = selection_of(blockSelect, (flash_address_space_t)space);
        if (bits & ~known[space]) {
            fake_sdk_violation("FLASH_DRV_Erase selects a block outside the modelled data flash");
            return STATUS_ERROR;
        }
        any |= bits != 0;
    }
    if (!any) return STATUS_ERROR;
    /* A locked block is not erased; the hardware reports the failure at the end of the operation. */
    operation_failed = 0;
    for (size_t i = 0; i < BLOCK_COUNT; i++)
        if ((selection_of(blockSelect, blocks[i].space) & blocks[i].select) && (locks[blocks[i].space] & blocks[i].select))
            operation_failed = 1;
    erase_selection = *blockSelect;
    erase_polls = 2;
    operation = ERASING;
    return STATUS_SUCCESS;
}

status_t FLASH_DRV_CheckEraseStatus(flash_state_t *opResult) {
    if (off) return STATUS_ERROR;
    if (opResult != NULL) *opResult = C55_OK;
    if (operation != ERASING) return STATUS_SUCCESS;
    if (erase_polls-- > 0) return STATUS_FLASH_INPROGRESS;
    operation = NONE;
    if (operation_failed) return STATUS_ERROR;
    if (unfinished_now()) {
        if (opResult != NULL) *opResult = C55_ERS_SUS; /* suspended by another master: not erased */
        return STATUS_SUCCESS;
    }
    bool cut = power_fails_now();
    for (size_t i = 0; i < BLOCK_COUNT; i++) {
        if (!(selection_of(&erase_selection, blocks[i].space) & blocks[i].select)) continue;
        /* An interrupted erase leaves the block partly erased: here its first half. */
        uint32_t erased = cut ? blocks[i].size / 2U : blocks[i].size;
        memset(blocks[i].bytes, 0xFF, erased);
        memset(blocks[i].programmed, 0, erased / 8U);
        array_changed(&blocks[i], 0, erased);
    }
    return cut ? STATUS_ERROR : STATUS_SUCCESS;
}

status_t FLASH_DRV_Program(flash_context_data_t *pCtxData, uint32_t dest, uint32_t size, uint32_t source) {
    if (off) return STATUS_ERROR;
    if (operation != NONE) return STATUS_BUSY;
    if (pCtxData == NULL || (dest % C55_DWORD_SIZE) != 0U || size == 0U || (size % C55_WORD_SIZE) != 0U) {
        fake_sdk_violation("FLASH_DRV_Program: context NULL, dest not 8-byte aligned or size not a multiple of 4");
        return STATUS_ERROR;
    }
    const uint8_t *ram = ram_of(source);
    if (ram == NULL || ((uintptr_t)ram & 3U) != 0U) {
        fake_sdk_violation("FLASH_DRV_Program: source not a mapped, word-aligned RAM address");
        return STATUS_ERROR;
    }
    fake_block *block = block_at(dest, size);
    if (block == NULL) {
        fake_sdk_violation("FLASH_DRV_Program: destination outside the modelled data flash");
        return STATUS_ERROR;
    }
    operation_failed = (locks[block->space] & block->select) != 0U;
    pCtxData->dest = dest;
    pCtxData->size = size;
    pCtxData->source = source;
    program_context = pCtxData;
    operation = PROGRAMMING;
    return STATUS_SUCCESS;
}

status_t FLASH_DRV_CheckProgramStatus(flash_context_data_t *pCtxData, flash_state_t *opResult) {
    if (off) return STATUS_ERROR;
    if (opResult != NULL) *opResult = C55_OK;
    if (operation != PROGRAMMING || pCtxData != program_context) {
        fake_sdk_violation("FLASH_DRV_CheckProgramStatus without a program operation on this context");
        return STATUS_ERROR;
    }
    if (operation_failed) {
        operation = NONE;
        return STATUS_ERROR; /* locked block */
    }
    fake_block *block = block_at(pCtxData->dest, pCtxData->size);
    const uint8_t *ram = ram_of(pCtxData->source);
    uint32_t length = pCtxData->size < CHUNK ? pCtxData->size : CHUNK;
    uint32_t offset = pCtxData->dest - block->address;
    for (uint32_t at = 0; at < length; at += 8U) {
        uint32_t dword = (offset + at) / 8U;
        uint32_t bytes = length - at < 8U ? length - at : 8U;
        bool erased = !block->programmed[dword];
        for (uint32_t i = 0; i < bytes; i++) erased = erased && block->bytes[offset + at + i] == 0xFF;
        if (!erased) {
            overprograms++;
            operation = NONE;
            return STATUS_ERROR;
        }
    }
    if (unfinished_now()) {
        if (opResult != NULL) *opResult = C55_PGM_SUS; /* suspended by another master: not programmed */
        return STATUS_SUCCESS;
    }
    bool cut = power_fails_now();
    uint32_t written = cut ? (length / 16U) * 8U : length; /* half the double words of the chunk */
    for (uint32_t at = 0; at < written; at += 8U) {
        uint32_t bytes = written - at < 8U ? written - at : 8U;
        memcpy(block->bytes + offset + at, ram + at, bytes);
        block->programmed[(offset + at) / 8U] = 1;
    }
    array_changed(block, offset, written);
    if (cut) return STATUS_ERROR;
    pCtxData->dest += length;
    pCtxData->source += length;
    pCtxData->size -= length;
    if (pCtxData->size > 0) return STATUS_FLASH_INPROGRESS;
    operation = NONE;
    return STATUS_SUCCESS;
}

/* board_records.c: see board_records.h. */
#include "board_records.h"

#include <string.h>

#include "board_bytes.h"
#include "board_config.h"
#include "board_crc32.h"
#include "board_flash_cache.h"
#include "osif.h"
#include "tcu_hal_mpc5748g_errors.h"

static const uint8_t magic[4] = {'T', 'C', 'U', 'R'};

static flash_block_select_t selection(const tcu_mpc_flash_block *block) {
    flash_block_select_t select = {0};
    switch (block->space) {
    case C55_BLOCK_LOW: select.lowBlockSelect = block->select; break;
    case C55_BLOCK_MID: select.midBlockSelect = block->select; break;
    case C55_BLOCK_HIGH: select.highBlockSelect = block->select; break;
    case C55_BLOCK_256K_FIRST: select.first256KBlockSelect = block->select; break;
    case C55_BLOCK_256K_SECOND: select.second256KBlockSelect = block->select; break;
    default: break; /* UTest space is never a record block */
    }
    return select;
}

/* C55 blocks come out of reset locked; a block stays locked against program/erase until its bit
 * in the space's lock register is cleared. */
static int unlock(const tcu_mpc_flash_block *block) {
    uint32_t state = 0;
    if (FLASH_DRV_GetLock(block->space, &state) != STATUS_SUCCESS) return TCU_MPC_ERR_FLASH;
    if ((state & block->select) == 0U) return 0;
    return FLASH_DRV_SetLock(block->space, state & ~block->select) == STATUS_SUCCESS ? 0 : TCU_MPC_ERR_FLASH;
}

/* The SDK starts high-voltage operations and leaves the wait to the caller. Done means
 * STATUS_SUCCESS *and* opResult C55_OK: the driver also answers STATUS_SUCCESS for an operation that
 * is suspended or still in its interlock write stage (opResult C55_ERS_SUS, C55_PGM_SUS, ...), and
 * then the array has not changed. */
static int wait_erase(void) {
    uint32_t start = OSIF_GetMilliseconds();
    for (;;) {
        flash_state_t result = C55_OK;
        status_t status = FLASH_DRV_CheckEraseStatus(&result);
        if (status == STATUS_SUCCESS) return result == C55_OK ? 0 : TCU_MPC_ERR_FLASH;
        if (status != STATUS_FLASH_INPROGRESS) return TCU_MPC_ERR_FLASH;
        if (OSIF_GetMilliseconds() - start > TCU_MPC_FLASH_TIMEOUT_MS) return TCU_MPC_ERR_FLASH;
    }
}

static int program(uint32_t dest, const void *source, uint32_t size) {
    flash_context_data_t context = {0};
    if (FLASH_DRV_Program(&context, dest, size, TCU_MPC_ADDRESS(source)) != STATUS_SUCCESS) return TCU_MPC_ERR_FLASH;
    uint32_t start = OSIF_GetMilliseconds();
    for (;;) {
        flash_state_t result = C55_OK;
        status_t status = FLASH_DRV_CheckProgramStatus(&context, &result);
        if (status == STATUS_SUCCESS) return result == C55_OK ? 0 : TCU_MPC_ERR_FLASH;
        if (status != STATUS_FLASH_INPROGRESS) return TCU_MPC_ERR_FLASH;
        if (OSIF_GetMilliseconds() - start > TCU_MPC_FLASH_TIMEOUT_MS) return TCU_MPC_ERR_FLASH;
    }
}

/* Reads a block's header; returns 1 and the sequence/length when the block is valid. */
static int block_valid(const tcu_mpc_flash_block *block, size_t capacity, uint32_t *sequence, uint32_t *length) {
    const uint8_t *header = TCU_MPC_FLASH_READ(block->address, TCU_MPC_RECORDS_HEADER);
    if (header == NULL || memcmp(header, magic, sizeof magic) != 0) return 0;
    uint32_t used = tcu_mpc_get_u32(header + 8);
    if (used > capacity || used > TCU_MPC_BLOCK_USE - TCU_MPC_RECORDS_HEADER) return 0;
    const uint8_t *payload = TCU_MPC_FLASH_READ(block->address + TCU_MPC_RECORDS_HEADER, used);
    if (payload == NULL) return 0;
    uint32_t crc = tcu_mpc_crc32(tcu_mpc_crc32(0, header, 12), payload, used);
    if (crc != tcu_mpc_get_u32(header + 12)) return 0;
    *sequence = tcu_mpc_get_u32(header + 4);
    *length = used;
    return 1;
}

void tcu_mpc_records_reload(tcu_mpc_records *records) {
    uint32_t sequences[2] = {0, 0}, lengths[2] = {0, 0};
    int valid[2];
    for (int i = 0; i < 2; i++) valid[i] = block_valid(&records->blocks[i], records->capacity, &sequences[i], &lengths[i]);
    int newest = -1;
    /* Serial-number order (RFC 1982), not `>`: a commit writes sequence + 1, which wraps from
     * 0xFFFFFFFF to 0; with `>` the block holding 0 would lose to the older 0xFFFFFFFF and the
     * newest write would silently be rolled back. Valid blocks differ by 1, far from the 2^31
     * ambiguity. Unsigned arithmetic only: no signed overflow. */
    if (valid[0] && valid[1]) newest = (uint32_t)(sequences[1] - sequences[0]) - 1U < 0x7FFFFFFFU ? 1 : 0;
    else if (valid[0]) newest = 0;
    else if (valid[1]) newest = 1;
    records->current = newest;
    records->length = 0;
    records->sequence = 0;
    if (newest >= 0) {
        const tcu_mpc_flash_block *block = &records->blocks[newest];
        memcpy(records->image, TCU_MPC_FLASH_READ(block->address + TCU_MPC_RECORDS_HEADER, lengths[newest]),
               lengths[newest]);
        records->length = lengths[newest];
        records->sequence = sequences[newest];
    }
}

int tcu_mpc_records_open(tcu_mpc_records *records, const tcu_mpc_flash_block blocks[2], uint8_t *image,
                         size_t capacity) {
    memset(records, 0, sizeof *records);
    records->blocks[0] = blocks[0];
    records->blocks[1] = blocks[1];
    records->image = image;
    records->capacity = capacity;
    records->current = -1;
    if (unlock(&blocks[0]) != 0 || unlock(&blocks[1]) != 0) return TCU_MPC_ERR_FLASH;
    tcu_mpc_records_reload(records);
    return 0;
}

/* Walks the records; stops at a malformed tail (cannot happen for an image that passed its CRC,
 * but the walk never reads past `length`). */
int tcu_mpc_records_find(const tcu_mpc_records *records, uint8_t tag, unsigned nth, const uint8_t **value,
                         size_t *length) {
    size_t at = 0;
    while (at + 3 <= records->length) {
        size_t size = tcu_mpc_get_u16(records->image + at + 1);
        if (at + 3 + size > records->length) return 1;
        if (records->image[at] == tag && nth-- == 0) {
            *value = records->image + at + 3;
            *length = size;
            return 0;
        }
        at += 3 + size;
    }
    return 1;
}

void tcu_mpc_records_remove(tcu_mpc_records *records, uint8_t tag) {
    size_t at = 0;
    while (at + 3 <= records->length) {
        size_t size = 3 + (size_t)tcu_mpc_get_u16(records->image + at + 1);
        if (at + size > records->length) { records->length = at; return; }
        if (records->image[at] == tag) {
            memmove(records->image + at, records->image + at + size, records->length - at - size);
            records->length -= size;
        } else {
            at += size;
        }
    }
}

void tcu_mpc_records_retag(tcu_mpc_records *records, uint8_t from, uint8_t to) {
    size_t at = 0;
    while (at + 3 <= records->length) {
        size_t size = 3 + (size_t)tcu_mpc_get_u16(records->image + at + 1);
        if (at + size > records->length) return;
        if (records->image[at] == from) records->image[at] = to;
        at += size;
    }
}

int tcu_mpc_records_append(tcu_mpc_records *records, uint8_t tag, const uint8_t *value, size_t length) {
    if (length > 0xFFFFU || records->length + 3 + length > records->capacity ||
        records->length + 3 + length > TCU_MPC_BLOCK_USE - TCU_MPC_RECORDS_HEADER)
        return TCU_MPC_ERR_FULL;
    records->image[records->length] = tag;
    tcu_mpc_put_u16(records->image + records->length + 1, (uint16_t)length);
    if (length > 0) memcpy(records->image + records->length + 3, value, length);
    records->length += 3 + length;
    return 0;
}

/* Erase, payload, header: the flash operations of a commit. */
static int program_block(const tcu_mpc_records *records, const tcu_mpc_flash_block *block, uint32_t sequence) {
    flash_block_select_t select = selection(block);
    if (FLASH_DRV_Erase(ERS_OPT_MAIN_SPACE, &select) != STATUS_SUCCESS || wait_erase() != 0) return TCU_MPC_ERR_FLASH;

    /* Payload first, in whole double words (the C55's ECC unit: a double word is programmed once);
     * the last partial one goes through an aligned staging buffer padded with the erased value. */
    uint32_t whole = (uint32_t)(records->length & ~(size_t)7U);
    uint32_t base = block->address + TCU_MPC_RECORDS_HEADER;
    if (whole > 0 && program(base, records->image, whole) != 0) return TCU_MPC_ERR_FLASH;
    if (whole < records->length) {
        uint32_t tail_words[2] = {0xFFFFFFFFU, 0xFFFFFFFFU};
        memcpy(tail_words, records->image + whole, records->length - whole);
        if (program(base + whole, tail_words, 8) != 0) return TCU_MPC_ERR_FLASH;
    }

    /* The header last: until it is complete the block is not valid. */
    uint32_t header_words[4];
    uint8_t *header = (uint8_t *)header_words;
    memcpy(header, magic, sizeof magic);
    tcu_mpc_put_u32(header + 4, sequence);
    tcu_mpc_put_u32(header + 8, (uint32_t)records->length);
    tcu_mpc_put_u32(header + 12, tcu_mpc_crc32(tcu_mpc_crc32(0, header, 12), records->image, records->length));
    return program(block->address, header_words, sizeof header_words);
}

static int write_block(const tcu_mpc_records *records, const tcu_mpc_flash_block *block, uint32_t sequence) {
    /* Line buffers off while the array changes, and the data cache emptied afterwards, whether or
     * not the operations worked (a failed one may have changed bytes the reload reads next): every
     * read below and in tcu_mpc_records_reload then comes from the array. */
    tcu_mpc_flash_buffers buffers;
    tcu_mpc_flash_buffers_off(&buffers);
    int status = program_block(records, block, sequence);
    tcu_mpc_flash_buffers_restore(&buffers);
    tcu_mpc_dcache_invalidate(block->address, TCU_MPC_BLOCK_USE);
    if (status != 0) return TCU_MPC_ERR_FLASH;

    uint32_t base = block->address + TCU_MPC_RECORDS_HEADER;
    uint32_t read_sequence = 0, read_length = 0;
    if (!block_valid(block, records->capacity, &read_sequence, &read_length) || read_sequence != sequence ||
        read_length != records->length ||
        memcmp(TCU_MPC_FLASH_READ(base, read_length), records->image, read_length) != 0)
        return TCU_MPC_ERR_FLASH;
    return 0;
}

int tcu_mpc_records_commit(tcu_mpc_records *records) {
    int target = records->current == 0 ? 1 : 0;
    uint32_t sequence = records->sequence + 1U;
    int status = write_block(records, &records->blocks[target], sequence);
    if (status != 0) {
        tcu_mpc_records_reload(records);
        return status;
    }
    records->current = target;
    records->sequence = sequence;
    return 0;
}

/* fuzz_board_records.c: the MPC5748G flash record store (board_records.c) reading two data flash blocks
 * a power cut, wear or an attacker may have left in any state. Built by scripts/fuzz with
 * clang -fsanitize=fuzzer,address,undefined over the SDK fakes.
 *
 * Input: byte 0 = flags (bit 0: give block A a correct CRC, bit 1: the same for B, so the fuzzer reaches
 * the record parser), byte 1 = where the rest splits between block A and block B.
 * Invariants: the loaded image fits its buffer; every record found lies inside the image; and what is
 * loaded, committed and loaded again is the same image (a commit round-trips). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "board_records.h" /* first: the fakes' flash driver header sets the board's address macros */
#include "board_config.h"
#include "board_crc32.h"
#include "fake_flash_control.h"

#define CAPACITY 8192U

static void fix_crc(uint8_t *block, size_t available) {
    if (available < TCU_MPC_RECORDS_HEADER) return;
    size_t length = (size_t)block[8] << 24 | (size_t)block[9] << 16 | (size_t)block[10] << 8 | block[11];
    if (length > available - TCU_MPC_RECORDS_HEADER) return;
    uint32_t crc = tcu_mpc_crc32(0, block, 12);
    crc = tcu_mpc_crc32(crc, block + TCU_MPC_RECORDS_HEADER, length);
    block[12] = (uint8_t)(crc >> 24);
    block[13] = (uint8_t)(crc >> 16);
    block[14] = (uint8_t)(crc >> 8);
    block[15] = (uint8_t)crc;
}

static void check_records(const tcu_mpc_records *records) {
    if (records->length > records->capacity) abort();
    for (unsigned tag = 0; tag < 256; tag++) {
        for (unsigned nth = 0; nth < 4; nth++) {
            const uint8_t *value = NULL;
            size_t length = 0;
            if (tcu_mpc_records_find(records, (uint8_t)tag, nth, &value, &length) != 0) break;
            if (value < records->image || value + length > records->image + records->length) abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    static uint8_t image[CAPACITY], again[CAPACITY];
    const tcu_mpc_flash_block blocks[2] = {
        {TCU_MPC_IDENTITY_A_ADDRESS, TCU_MPC_IDENTITY_A_SPACE, TCU_MPC_IDENTITY_A_SELECT},
        {TCU_MPC_IDENTITY_B_ADDRESS, TCU_MPC_IDENTITY_B_SPACE, TCU_MPC_IDENTITY_B_SELECT},
    };
    uint8_t flags = data[0];
    size_t rest = size - 2, split = rest * data[1] / 255;
    if (split > TCU_MPC_BLOCK_USE) split = TCU_MPC_BLOCK_USE;
    size_t second = rest - split > TCU_MPC_BLOCK_USE ? TCU_MPC_BLOCK_USE : rest - split;
    fake_flash_reset();
    uint8_t *a = fake_flash_raw(TCU_MPC_IDENTITY_A_ADDRESS, TCU_MPC_BLOCK_USE);
    uint8_t *b = fake_flash_raw(TCU_MPC_IDENTITY_B_ADDRESS, TCU_MPC_BLOCK_USE);
    memcpy(a, data + 2, split);
    memcpy(b, data + 2 + split, second);
    if (flags & 1) fix_crc(a, TCU_MPC_BLOCK_USE);
    if (flags & 2) fix_crc(b, TCU_MPC_BLOCK_USE);

    tcu_mpc_records records;
    if (tcu_mpc_records_open(&records, blocks, image, CAPACITY) != 0) return 0;
    check_records(&records);
    size_t loaded = records.length;
    if (tcu_mpc_records_commit(&records) != 0) return 0;
    fake_flash_power_on();
    tcu_mpc_records reopened;
    if (tcu_mpc_records_open(&reopened, blocks, again, CAPACITY) != 0) abort();
    if (reopened.length != loaded || memcmp(again, image, loaded) != 0) abort(); /* a commit round-trips */
    check_records(&reopened);
    return 0;
}

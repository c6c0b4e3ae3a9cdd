/* board_records.h: a set of tagged records kept in two data flash blocks, replaced atomically.
 *
 * The whole set lives in RAM (`image`) and in the newest valid flash block. A commit writes the
 * image to the *other* block (erase, payload, then the header last) with sequence + 1, so power
 * lost at any point leaves the previous block untouched and still the newest valid one.
 *
 * Block format (all integers big-endian, written byte-wise):
 *   offset 0:  magic "TCUR" | sequence (u32) | payload length (u32) | CRC-32 of the 12 bytes
 *              before it and of the payload (u32)
 *   offset 16: payload = records, each: tag (u8) | length (u16) | value
 * A block is valid when the magic matches, the length fits and the CRC agrees. */
#ifndef TCU_MPC_BOARD_RECORDS_H
#define TCU_MPC_BOARD_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "flash_c55_driver.h"

#define TCU_MPC_RECORDS_HEADER 16U

/** One data flash block: its address, C55 address space and select bit. */
typedef struct {
    uint32_t address;
    flash_address_space_t space;
    uint32_t select;
} tcu_mpc_flash_block;

typedef struct {
    tcu_mpc_flash_block blocks[2];
    uint8_t *image;      /**< records in RAM (caller's buffer) */
    size_t capacity;     /**< size of `image` */
    size_t length;       /**< bytes of `image` in use */
    uint32_t sequence;   /**< sequence number of the newest valid block */
    int current;         /**< index of the newest valid block, -1 when none */
} tcu_mpc_records;

/** Unlocks both blocks and loads the newest valid one into `image` (empty when none).
 *  @return 0, or TCU_MPC_ERR_FLASH when the blocks cannot be unlocked */
int tcu_mpc_records_open(tcu_mpc_records *records, const tcu_mpc_flash_block blocks[2], uint8_t *image,
                         size_t capacity);

/** The `nth` (0-based) record with `tag`. @return 0 and value/length set, or 1 when absent */
int tcu_mpc_records_find(const tcu_mpc_records *records, uint8_t tag, unsigned nth, const uint8_t **value,
                         size_t *length);

/** Removes every record with `tag` from the RAM image (not committed). */
void tcu_mpc_records_remove(tcu_mpc_records *records, uint8_t tag);

/** Changes the tag of every record tagged `from` to `to` in the RAM image (not committed). Nothing
 *  moves: a set of records changes its meaning in place, and a commit makes all the changes at once. */
void tcu_mpc_records_retag(tcu_mpc_records *records, uint8_t from, uint8_t to);

/** Appends a record to the RAM image (not committed). @return 0, or TCU_MPC_ERR_FULL */
int tcu_mpc_records_append(tcu_mpc_records *records, uint8_t tag, const uint8_t *value, size_t length);

/** Writes the RAM image to flash as the new newest block. On failure the RAM image is reloaded
 *  from flash, so RAM and flash agree on the old content.
 *  @return 0, or TCU_MPC_ERR_FLASH / TCU_MPC_ERR_FULL */
int tcu_mpc_records_commit(tcu_mpc_records *records);

/** Reloads the RAM image from flash (drops uncommitted changes). */
void tcu_mpc_records_reload(tcu_mpc_records *records);

#endif

/* board_config.h: the MPC5748G board's build-time choices: data flash layout, HSM and flash
 * timeouts, image sizes, and the two address macros the S32 SDK's uint32_t-address style needs.
 * Every value can be overridden with -D or before including this file. */
#ifndef TCU_MPC_BOARD_CONFIG_H
#define TCU_MPC_BOARD_CONFIG_H

#include <stdint.h>

/* The SDK passes buffers as uint32_t addresses (FLASH_DRV_Program's `source`) and data flash is
 * read through plain pointers. On the 32-bit MCU both are casts; the host fakes define their own
 * mapping in their flash_c55_driver.h, which is included before this file. */
#ifndef TCU_MPC_ADDRESS
#define TCU_MPC_ADDRESS(pointer) ((uint32_t)(uintptr_t)(pointer))
#endif
#ifndef TCU_MPC_FLASH_READ
#define TCU_MPC_FLASH_READ(address, length) ((const uint8_t *)(uintptr_t)(address))
#endif

/* Data flash blocks. Defaults follow NXP's own MPC5748G examples (S32 SDK 0.9.0 BETA):
 * eeprom_emulation_mpc5748g uses mid-space blocks 0x00F90000/0x00F94000/0x00F98000 (16 KB, select
 * bits 0x1/0x2/0x4); flash_program_erase_mpc5748g erases low-space block bit 0x4 at 0x00FC0000
 * (32 KB); the SDK's MPC5748G_features.h gives the same addresses, sizes and select bits (MID_BLOCK0..2,
 * LOW_BLOCK2). Check them against your linker file: these blocks must hold no code or EEE data. */
#ifndef TCU_MPC_STORE_A_ADDRESS
#define TCU_MPC_STORE_A_ADDRESS 0x00F90000U
#define TCU_MPC_STORE_A_SPACE C55_BLOCK_MID
#define TCU_MPC_STORE_A_SELECT 0x1U
#define TCU_MPC_STORE_B_ADDRESS 0x00F94000U
#define TCU_MPC_STORE_B_SPACE C55_BLOCK_MID
#define TCU_MPC_STORE_B_SELECT 0x2U
#define TCU_MPC_IDENTITY_A_ADDRESS 0x00F98000U
#define TCU_MPC_IDENTITY_A_SPACE C55_BLOCK_MID
#define TCU_MPC_IDENTITY_A_SELECT 0x4U
#define TCU_MPC_IDENTITY_B_ADDRESS 0x00FC0000U
#define TCU_MPC_IDENTITY_B_SPACE C55_BLOCK_LOW
#define TCU_MPC_IDENTITY_B_SELECT 0x4U
#endif
/* Bytes of each block the board uses (the smallest block above is 16 KB). */
#ifndef TCU_MPC_BLOCK_USE
#define TCU_MPC_BLOCK_USE 0x4000U
#endif

/* RAM images of the two record sets (one static buffer each in tcu_mpc5748g). The store holds a
 * TLS session (~1-2 KB), a time, the enrollment state and the MQTT outbox (tcu_mqtt_config.
 * outbox_capacity: up to ~5 KB here); the identity holds the wrapped key (131 bytes), the device
 * chain (a lean one is ~1.5 KB) and the trust anchors, and during a renewal also a pending key and
 * chain, and after one the previous chain (and key): three chains, hence 8 KB. The pending pair must
 * fit beside the current one; the previous pair is dropped when it does not (board_renewal.c). */
#ifndef TCU_MPC_STORE_IMAGE_MAX
#define TCU_MPC_STORE_IMAGE_MAX 8192U
#endif
#ifndef TCU_MPC_IDENTITY_IMAGE_MAX
#define TCU_MPC_IDENTITY_IMAGE_MAX 8192U
#endif
/* The largest secret keystore_seal takes (a serialized TLS session with its ticket; it must fit the
 * store image with the other slots anyway). Two word-aligned buffers of this size are in the board. */
#ifndef TCU_MPC_SEAL_MAX
#define TCU_MPC_SEAL_MAX 2048U
#endif
#ifndef TCU_MPC_MAX_CERTS
#define TCU_MPC_MAX_CERTS 4U
#endif

/* Timeouts. HSM commands answer in well under a millisecond; a C55 block erase takes hundreds
 * of milliseconds (see the MPC5748G data sheet for the guaranteed maximum). */
#ifndef TCU_MPC_HSM_TIMEOUT_MS
#define TCU_MPC_HSM_TIMEOUT_MS 100U
#endif
#ifndef TCU_MPC_FLASH_TIMEOUT_MS
#define TCU_MPC_FLASH_TIMEOUT_MS 5000U
#endif

/* The core's data cache in front of data flash (board_flash_cache.c). 1: the board runs on an e200z4
 * core, whose data cache (when the startup code enabled it) may still hold lines of a block from
 * before an erase or program; the whole cache is invalidated through L1CSR0 before the board reads
 * the block back. That is safe with the SDK startup's write-through mode; a firmware that runs the
 * cache in copy-back mode must make data flash cache-inhibited (SMPU) and set 0, as must one on the
 * e200z2 (no data cache, no L1CSR0). */
#ifndef TCU_MPC_DCACHE
#define TCU_MPC_DCACHE 1
#endif

/* The RTC counter's rate. With the 32.768 kHz SXOSC and RTCC[DIV32EN]=RTCC[DIV512EN]=1 it counts
 * at 2 Hz, so the 32-bit counter wraps after 68 years; the firmware configures the RTC. */
#ifndef TCU_MPC_RTC_TICKS_PER_SECOND
#define TCU_MPC_RTC_TICKS_PER_SECOND 2U
#endif

#endif

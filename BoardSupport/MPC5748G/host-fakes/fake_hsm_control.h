/* fake_hsm_control.h: what a test can do to the fake HSM that firmware cannot.
 *
 * Keys are write-only, as on the real SHE: there is no call that reads one back. Provisioning
 * stands for the production line's CMD_LOAD_KEY (M1..M5 under MASTER_ECU), which is outside the
 * board HAL; the SHE protection flags are modelled. */
#ifndef FAKE_HSM_CONTROL_H
#define FAKE_HSM_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "hsm_driver.h"

/* SHE key flags, in the SHE specification's order. */
#define FAKE_SHE_WRITE_PROTECTION 0x10U   /* the slot can never be rewritten */
#define FAKE_SHE_BOOT_PROTECTION 0x08U    /* unusable after a failed secure boot */
#define FAKE_SHE_DEBUGGER_PROTECTION 0x04U/* unusable while a debugger is attached */
#define FAKE_SHE_KEY_USAGE 0x02U          /* set: CMAC key only; clear: encryption/decryption only */
#define FAKE_SHE_WILDCARD 0x01U

/* HSM firmware versions (HSM_DRV_GetFwVersion). SHE+ is the value the SDK's driver asserts before
 * every extended command (HSM_SHE_PLUS_FW_VERSION in its hsm_hw_access.h); the plain SHE value is the
 * fake's own: the board only needs "not SHE+". */
#define FAKE_HSM_FW_SHE_PLUS 0x01010000U
#define FAKE_HSM_FW_SHE 0x01000000U

/** The firmware the next HSM_DRV_Init finds (fake_hsm_reset: SHE+). With plain SHE the GCM commands
 *  are refused (STATUS_SEC_INVALID_COMMAND, and a contract violation: the real driver DEV_ASSERTs). */
void fake_hsm_set_firmware(uint32_t version);
/** true: HSM_DRV_GetFwVersion gets no answer in time. It then answers STATUS_SUCCESS without writing
 *  the version, as the SDK's driver does after a timeout. fake_hsm_reset: false. */
void fake_hsm_set_version_silent(bool silent);
/** Clears every slot and failure, forgets HSM_DRV_Init (as after a power-on reset of the HSM's RAM
 *  state) and puts the SHE+ firmware back. */
void fake_hsm_reset(void);
/** Loads a key into a non-volatile slot. @return STATUS_SUCCESS, STATUS_SEC_KEY_WRITE_PROTECTED or STATUS_SEC_KEY_INVALID */
status_t fake_hsm_provision_key(hsm_key_id_t slot, const uint8_t key[16], uint32_t flags);
/** The next `count` TRNG commands fail with STATUS_SEC_TRNG_ERROR. */
void fake_hsm_fail_trng(unsigned count);
/** TRNG commands served so far. */
unsigned fake_hsm_trng_calls(void);
/** Secure boot failed (BOOT_PROTECTION keys become unavailable). */
void fake_hsm_set_boot_failed(bool failed);

#endif

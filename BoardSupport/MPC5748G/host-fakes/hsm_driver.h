/* hsm_driver.h (host fake): the part of the S32 SDK HSM driver API the board HAL calls.
 *
 * Types and prototypes copied in shape from S32_SDK_S32PA_RTM_3.0.3 platform/drivers/inc/hsm_driver.h
 * (vendored in github.com/h1994st/sec_eth_mpc5748g). Behaviour lives in fake_hsm.c, written from that
 * header's documentation. Only what the board code uses is declared, so a call to anything else fails
 * to link on the host instead of silently meaning nothing. */
#ifndef HSM_DRV_H
#define HSM_DRV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "status.h"

/** KeyID (SHE slots; the asymmetric and RAM catalogs of the real header are left out). */
typedef enum {
    HSM_SECRET_KEY = 0x0U,
    HSM_MASTER_ECU,
    HSM_BOOT_MAC_KEY,
    HSM_BOOT_MAC,
    HSM_KEY_1,
    HSM_KEY_2,
    HSM_KEY_3,
    HSM_KEY_4,
    HSM_KEY_5,
    HSM_KEY_6,
    HSM_KEY_7,
    HSM_KEY_8,
    HSM_KEY_9,
    HSM_KEY_10,
    HSM_RAM_KEY,
    HSM_KEY_11 = 0x14U,
    HSM_KEY_12,
    HSM_KEY_13,
    HSM_KEY_14,
    HSM_KEY_15,
    HSM_KEY_16,
    HSM_KEY_17,
    HSM_KEY_18,
    HSM_KEY_19,
    HSM_KEY_20
} hsm_key_id_t;

/** Driver state (the real one also holds a semaphore and the callback). */
typedef struct {
    bool cmdInProgress;
    bool blockingCmd;
    status_t cmdStatus;
    bool rngInit;
    uint32_t fwVersion;
} hsm_state_t;

status_t HSM_DRV_Init(hsm_state_t *state);
status_t HSM_DRV_Deinit(void);
status_t HSM_DRV_GetFwVersion(uint32_t *version, uint32_t timeout);
status_t HSM_DRV_GenerateTRND(uint8_t *trnd, uint32_t timeout);
/* SHE commands (any HSM firmware). CBC lengths are bytes (a multiple of 16); MAC lengths are bits,
 * and a macLen of 0 compares all 128 bits. */
status_t HSM_DRV_EncryptCBC(hsm_key_id_t keyId, const uint8_t *plainText, uint32_t length, const uint8_t *iv,
                            uint8_t *cipherText, uint32_t timeout);
status_t HSM_DRV_DecryptCBC(hsm_key_id_t keyId, const uint8_t *cipherText, uint32_t length, const uint8_t *iv,
                            uint8_t *plainText, uint32_t timeout);
status_t HSM_DRV_GenerateMAC(hsm_key_id_t keyId, const uint8_t *msg, uint64_t msgLen, uint8_t *mac, uint32_t timeout);
status_t HSM_DRV_VerifyMAC(hsm_key_id_t keyId, const uint8_t *msg, uint64_t msgLen, const uint8_t *mac, uint8_t macLen,
                           bool *verifStatus, uint32_t timeout);
/* Extended commands: only the SHE+ firmware (version 0x01010000) has them; the driver asserts it. */
status_t HSM_DRV_EncryptGCM(hsm_key_id_t keyId, uint32_t ivLen, const uint8_t *iv, uint32_t authDataLen,
                            const uint8_t *authData, uint32_t plainTextLen, const uint8_t *plainText,
                            uint8_t *cipherText, uint32_t tagLen, uint8_t *tag, uint32_t timeout);
status_t HSM_DRV_DecryptGCM(hsm_key_id_t keyId, uint32_t ivLen, const uint8_t *iv, uint32_t authDataLen,
                            const uint8_t *authData, uint32_t cipherTextLen, const uint8_t *cipherText,
                            uint8_t *decryptedText, uint32_t tagLen, const uint8_t *tag, bool *authStatus,
                            uint32_t timeout);

#endif

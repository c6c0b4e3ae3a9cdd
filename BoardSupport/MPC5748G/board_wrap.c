/* board_wrap.c: authenticated encryption by the HSM, for the wrapped device key (board_keystore.c)
 * and sealed storage (board_seal.c). See board_internal.h for the frame.
 *
 * TCU_MPC_WRAP_GCM: AES-128-GCM under `wrap_key`. GCM is one of the HSM's extended commands, which
 * only the SHE+ firmware (version 0x01010000) has: the SDK's driver asserts that version before each
 * one, so init checks it (HSM_DRV_GetFwVersion) and refuses with TCU_MPC_ERR_HSM_FIRMWARE.
 *
 * TCU_MPC_WRAP_CBC_CMAC, for plain SHE firmware (or a SHE+ firmware that turns out to refuse
 * non-volatile slots for GCM): encrypt-then-MAC from SHE commands alone. AES-128-CBC under `wrap_key`
 * (an encryption key: KEY_USAGE clear), then AES-CMAC under `mac_key` (KEY_USAGE set: SHE lets a key
 * do one or the other, hence two slots) over the whole frame, additional data and ciphertext. The
 * MAC is verified by the HSM before anything is decrypted. */
#include <string.h>

#include "board_bytes.h"
#include "board_internal.h"

/* The value the SDK's driver compares fwVersion with (HSM_SHE_PLUS_FW_VERSION, hsm_hw_access.h,
 * an internal header of the driver). */
#define SHE_PLUS_FIRMWARE 0x01010000U

static int user_slot(hsm_key_id_t key) {
    return (key >= HSM_KEY_1 && key <= HSM_KEY_10) || (key >= HSM_KEY_11 && key <= HSM_KEY_20);
}

int tcu_mpc_wrap_check(const tcu_mpc5748g_config *config) {
    if (config->wrap_scheme == TCU_MPC_WRAP_CBC_CMAC)
        return user_slot(config->mac_key) && config->mac_key != config->wrap_key ? 0 : TCU_MPC_ERR_ARGUMENT;
    if (config->wrap_scheme != TCU_MPC_WRAP_GCM) return TCU_MPC_ERR_ARGUMENT;
    /* The SDK's HSM_DRV_GetFwVersion (RTM 3.0.3 hsm_driver.c) differs from the other commands: it
     * answers STATUS_SUCCESS whether or not the HSM replied within the timeout, and does not cancel
     * the command, so the HSM may write the version after the call returned. Hence a static word
     * (never a stack variable a late write would land in), zeroed first: still 0 afterwards means
     * the HSM did not answer (no firmware version is 0), which is an HSM failure, not "not SHE+". */
    static uint32_t version;
    version = 0;
    if (HSM_DRV_GetFwVersion(&version, TCU_MPC_HSM_TIMEOUT_MS) != STATUS_SUCCESS || version == 0U)
        return TCU_MPC_ERR_HSM;
    return version == SHE_PLUS_FIRMWARE ? 0 : TCU_MPC_ERR_HSM_FIRMWARE;
}

uint8_t tcu_mpc_wrap_version(const tcu_mpc5748g *board) {
    return board->config.wrap_scheme == TCU_MPC_WRAP_CBC_CMAC ? 2U : 1U;
}

uint32_t tcu_mpc_wrap_slots(const tcu_mpc5748g *board) {
    uint32_t slots = (uint32_t)board->config.wrap_key;
    if (board->config.wrap_scheme == TCU_MPC_WRAP_CBC_CMAC) slots |= (uint32_t)board->config.mac_key << 16;
    return slots;
}

static uint64_t bits(size_t bytes) { return (uint64_t)bytes * 8U; }

int tcu_mpc_wrap_encrypt(tcu_mpc5748g *board, uint32_t *frame, size_t aad_length, size_t aad_area,
                         const uint32_t *plain, size_t length, const uint32_t iv[3], uint32_t tag[4]) {
    uint8_t *cipher = (uint8_t *)frame + aad_area;
    const tcu_mpc5748g_config *config = &board->config;
    if (config->wrap_scheme == TCU_MPC_WRAP_GCM) {
        status_t status = HSM_DRV_EncryptGCM(config->wrap_key, 12, (const uint8_t *)iv, (uint32_t)aad_length,
                                             (const uint8_t *)frame, (uint32_t)length, (const uint8_t *)plain, cipher,
                                             16, (uint8_t *)tag, TCU_MPC_HSM_TIMEOUT_MS);
        return status == STATUS_SUCCESS ? 0 : TCU_MPC_ERR_HSM;
    }
    if (length == 0 || length % 16U != 0) return TCU_MPC_ERR_ARGUMENT;
    uint32_t cbc_iv[4] = {iv[0], iv[1], iv[2], 0};
    if (HSM_DRV_EncryptCBC(config->wrap_key, (const uint8_t *)plain, (uint32_t)length, (const uint8_t *)cbc_iv, cipher,
                           TCU_MPC_HSM_TIMEOUT_MS) != STATUS_SUCCESS ||
        HSM_DRV_GenerateMAC(config->mac_key, (const uint8_t *)frame, bits(aad_area + length), (uint8_t *)tag,
                            TCU_MPC_HSM_TIMEOUT_MS) != STATUS_SUCCESS)
        return TCU_MPC_ERR_HSM;
    return 0;
}

int tcu_mpc_wrap_decrypt(tcu_mpc5748g *board, const uint32_t *frame, size_t aad_length, size_t aad_area, size_t length,
                         const uint32_t iv[3], const uint32_t tag[4], uint32_t *plain) {
    const uint8_t *cipher = (const uint8_t *)frame + aad_area;
    const tcu_mpc5748g_config *config = &board->config;
    bool authentic = false;
    status_t status;
    if (config->wrap_scheme == TCU_MPC_WRAP_GCM) {
        status = HSM_DRV_DecryptGCM(config->wrap_key, 12, (const uint8_t *)iv, (uint32_t)aad_length,
                                    (const uint8_t *)frame, (uint32_t)length, cipher, (uint8_t *)plain, 16,
                                    (const uint8_t *)tag, &authentic, TCU_MPC_HSM_TIMEOUT_MS);
    } else {
        if (length == 0 || length % 16U != 0) return TCU_MPC_ERR_KEY_TAMPERED; /* no blob of ours */
        /* macLen 0: all 128 bits compared. Nothing is decrypted unless the MAC matched. */
        status = HSM_DRV_VerifyMAC(config->mac_key, (const uint8_t *)frame, bits(aad_area + length),
                                   (const uint8_t *)tag, 0, &authentic, TCU_MPC_HSM_TIMEOUT_MS);
        if (status == STATUS_SUCCESS && authentic) {
            uint32_t cbc_iv[4] = {iv[0], iv[1], iv[2], 0};
            status = HSM_DRV_DecryptCBC(config->wrap_key, cipher, (uint32_t)length, (const uint8_t *)cbc_iv,
                                        (uint8_t *)plain, TCU_MPC_HSM_TIMEOUT_MS);
        }
    }
    /* The HSM may have written plaintext even when the tag did not match: never let it stay. */
    if (status != STATUS_SUCCESS || !authentic) tcu_mpc_zero(plain, length);
    if (status != STATUS_SUCCESS) return TCU_MPC_ERR_HSM;
    return authentic ? 0 : TCU_MPC_ERR_KEY_TAMPERED;
}

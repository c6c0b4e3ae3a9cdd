/* board_seal.c: sealed storage (keystore_seal / keystore_unseal of tcu_hal.h) under the HSM.
 * The core keeps its saved TLS session (a resumption secret: a credential) only through these.
 *
 * AES-GCM under the SHE slot `wrap_key`, exactly as the device key is wrapped (board_keystore.c).
 * Sealed blob (integers big-endian):
 *   0 purpose (1) = 'S' | 1 version (1) = 1 | 2 SHE slot (u32) | 6 IV (12) | 18 ciphertext (n) | 18+n GCM tag (16)
 * GCM additional data: bytes 0..17 then the caller's binding (the SHA-256 of the device leaf
 * certificate; authenticated, not stored). The purpose byte and the additional data's length
 * keep a sealed blob and a wrapped key blob (83 bytes of additional data, first byte 1) apart,
 * although one slot serves both. The plaintext passes through one word-aligned RAM buffer of the
 * board, zeroed straight after every HSM command. */
#include <string.h>

#include "board_bytes.h"
#include "board_internal.h"

#define SEAL_PURPOSE 0x53U /* 'S' */
#define SEAL_VERSION 1U
#define SEAL_HEADER 18U
#define SEAL_IV_AT 6U
#define SEAL_TAG 16U
#define SEAL_BINDING_MAX 64U

typedef struct {
    uint32_t aad[(SEAL_HEADER + SEAL_BINDING_MAX + 3U) / 4U];
    uint32_t iv[3];
    uint32_t tag[4];
} seal_buffers;

static int arguments_ok(const tcu_mpc5748g *board, const uint8_t *binding, size_t binding_length, const void *input,
                        const void *output) {
    return board != NULL && binding != NULL && binding_length > 0 && binding_length <= SEAL_BINDING_MAX &&
           input != NULL && output != NULL;
}

int32_t tcu_mpc_keystore_seal(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *plaintext,
                              size_t plaintext_length, uint8_t *output, size_t output_capacity) {
    tcu_mpc5748g *board = context;
    if (!arguments_ok(board, binding, binding_length, plaintext, output) || plaintext_length == 0 ||
        plaintext_length > TCU_MPC_SEAL_MAX)
        return TCU_SEAL_ERR_FAILED;
    if (output_capacity < SEAL_HEADER + plaintext_length + SEAL_TAG) return TCU_SEAL_ERR_TOO_SMALL;
    seal_buffers b;
    memset(&b, 0, sizeof b);
    uint8_t *aad = (uint8_t *)b.aad;
    aad[0] = SEAL_PURPOSE;
    aad[1] = SEAL_VERSION;
    tcu_mpc_put_u32(aad + 2, (uint32_t)board->config.wrap_key);
    /* A fresh random 96-bit IV per seal (a session is sealed once per connection at most). */
    if (tcu_mpc_entropy_fill(board, (uint8_t *)b.iv, 12) != 0) return TCU_SEAL_ERR_FAILED;
    memcpy(aad + SEAL_IV_AT, b.iv, 12);
    memcpy(aad + SEAL_HEADER, binding, binding_length);
    memcpy(board->seal_plain, plaintext, plaintext_length);
    status_t status = HSM_DRV_EncryptGCM(board->config.wrap_key, 12, (const uint8_t *)b.iv,
                                         (uint32_t)(SEAL_HEADER + binding_length), aad, (uint32_t)plaintext_length,
                                         (const uint8_t *)board->seal_plain, (uint8_t *)board->seal_cipher, SEAL_TAG,
                                         (uint8_t *)b.tag, TCU_MPC_HSM_TIMEOUT_MS);
    tcu_mpc_zero(board->seal_plain, sizeof board->seal_plain);
    if (status != STATUS_SUCCESS) {
        tcu_mpc_zero(board->seal_cipher, sizeof board->seal_cipher);
        return TCU_SEAL_ERR_FAILED;
    }
    memcpy(output, aad, SEAL_HEADER);
    memcpy(output + SEAL_HEADER, board->seal_cipher, plaintext_length);
    memcpy(output + SEAL_HEADER + plaintext_length, b.tag, SEAL_TAG);
    return (int32_t)(SEAL_HEADER + plaintext_length + SEAL_TAG);
}

int32_t tcu_mpc_keystore_unseal(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *sealed,
                                size_t sealed_length, uint8_t *output, size_t output_capacity) {
    tcu_mpc5748g *board = context;
    if (!arguments_ok(board, binding, binding_length, sealed, output)) return TCU_SEAL_ERR_FAILED;
    /* Wrong size, purpose, version or slot: not a blob this board sealed with this slot. */
    if (sealed_length <= SEAL_HEADER + SEAL_TAG || sealed_length - SEAL_HEADER - SEAL_TAG > TCU_MPC_SEAL_MAX ||
        sealed[0] != SEAL_PURPOSE || sealed[1] != SEAL_VERSION ||
        tcu_mpc_get_u32(sealed + 2) != (uint32_t)board->config.wrap_key)
        return TCU_SEAL_ERR_REJECTED;
    size_t plain = sealed_length - SEAL_HEADER - SEAL_TAG;
    if (output_capacity < plain) return TCU_SEAL_ERR_TOO_SMALL;
    seal_buffers b;
    memset(&b, 0, sizeof b);
    uint8_t *aad = (uint8_t *)b.aad;
    memcpy(aad, sealed, SEAL_HEADER);
    memcpy(aad + SEAL_HEADER, binding, binding_length);
    memcpy(b.iv, sealed + SEAL_IV_AT, 12);
    memcpy(board->seal_cipher, sealed + SEAL_HEADER, plain);
    memcpy(b.tag, sealed + SEAL_HEADER + plain, SEAL_TAG);
    bool authentic = false;
    status_t status = HSM_DRV_DecryptGCM(board->config.wrap_key, 12, (const uint8_t *)b.iv,
                                         (uint32_t)(SEAL_HEADER + binding_length), aad, (uint32_t)plain,
                                         (const uint8_t *)board->seal_cipher, (uint8_t *)board->seal_plain, SEAL_TAG,
                                         (const uint8_t *)b.tag, &authentic, TCU_MPC_HSM_TIMEOUT_MS);
    int ok = status == STATUS_SUCCESS && authentic;
    if (ok) memcpy(output, board->seal_plain, plain);
    /* The HSM may have written plaintext even when the tag did not match: never let it stay. */
    tcu_mpc_zero(board->seal_plain, sizeof board->seal_plain);
    tcu_mpc_zero(board->seal_cipher, sizeof board->seal_cipher);
    if (status != STATUS_SUCCESS) return TCU_SEAL_ERR_FAILED;
    return ok ? (int32_t)plain : TCU_SEAL_ERR_REJECTED;
}

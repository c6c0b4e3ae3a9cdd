/* board_seal.c: sealed storage (keystore_seal / keystore_unseal of tcu_hal.h) under the HSM.
 * The core keeps its saved TLS session (a resumption secret: a credential) only through these.
 *
 * The wrap scheme and slots of the device key (board_wrap.c). Sealed blob (integers big-endian):
 *   0 purpose (1) = 'S' | 1 version (1) | 2 SHE slots (u32) | 6 IV (12) | 18 ciphertext (n) | 18+n tag (16)
 * Version 1 (GCM): n = the plaintext's length; additional data: bytes 0..17 then the caller's
 * binding (the SHA-256 of the device leaf certificate; authenticated, not stored). Version 2 (CBC +
 * CMAC): the plaintext padded as in PKCS#7 to whole blocks; the CMAC covers a fixed 84-byte area,
 * bytes 0..17, the binding's length (1), the binding, zeros, and then the ciphertext. The purpose
 * byte and the additional data's layout keep a sealed blob and a wrapped key blob (first byte 1 or
 * 2) apart, although the slots serve both. The plaintext passes through one word-aligned RAM buffer
 * of the board, zeroed straight after every HSM command. */
#include <string.h>

#include "board_bytes.h"
#include "board_internal.h"

#define SEAL_PURPOSE 0x53U /* 'S' */
#define SEAL_HEADER 18U
#define SEAL_IV_AT 6U
#define SEAL_TAG 16U
#define SEAL_BINDING_MAX 64U
#define BLOCK 16U

static int arguments_ok(const tcu_mpc5748g *board, const uint8_t *binding, size_t binding_length, const void *input,
                        const void *output) {
    return board != NULL && binding != NULL && binding_length > 0 && binding_length <= SEAL_BINDING_MAX &&
           input != NULL && output != NULL;
}

static int cbc(const tcu_mpc5748g *board) { return board->config.wrap_scheme == TCU_MPC_WRAP_CBC_CMAC; }

/* Writes the additional data into the frame's fixed area; returns the length GCM authenticates. */
static size_t frame_aad(const tcu_mpc5748g *board, uint8_t *frame, const uint8_t *header, const uint8_t *binding,
                        size_t binding_length) {
    memset(frame, 0, TCU_MPC_SEAL_AAD_AREA);
    memcpy(frame, header, SEAL_HEADER);
    if (!cbc(board)) { /* GCM authenticates the length of its additional data itself */
        memcpy(frame + SEAL_HEADER, binding, binding_length);
        return SEAL_HEADER + binding_length;
    }
    /* The CMAC covers the whole area: with the length in it, bindings "AB" and "AB\0" differ. */
    frame[SEAL_HEADER] = (uint8_t)binding_length;
    memcpy(frame + SEAL_HEADER + 1, binding, binding_length);
    return SEAL_HEADER + 1 + binding_length;
}

int32_t tcu_mpc_keystore_seal(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *plaintext,
                              size_t plaintext_length, uint8_t *output, size_t output_capacity) {
    tcu_mpc5748g *board = context;
    if (!arguments_ok(board, binding, binding_length, plaintext, output) || plaintext_length == 0 ||
        plaintext_length > TCU_MPC_SEAL_MAX)
        return TCU_SEAL_ERR_FAILED;
    size_t cipher_length = cbc(board) ? (plaintext_length / BLOCK + 1U) * BLOCK : plaintext_length;
    if (output_capacity < SEAL_HEADER + cipher_length + SEAL_TAG) return TCU_SEAL_ERR_TOO_SMALL;
    uint8_t header[SEAL_HEADER];
    uint32_t iv[3], tag[4];
    header[0] = SEAL_PURPOSE;
    header[1] = tcu_mpc_wrap_version(board);
    tcu_mpc_put_u32(header + 2, tcu_mpc_wrap_slots(board));
    /* A fresh random 96-bit IV per seal (a session is sealed once per connection at most). */
    if (tcu_mpc_entropy_fill(board, (uint8_t *)iv, 12) != 0) return TCU_SEAL_ERR_FAILED;
    memcpy(header + SEAL_IV_AT, iv, 12);
    uint8_t *frame = (uint8_t *)board->seal_frame, *plain = (uint8_t *)board->seal_plain;
    size_t aad_length = frame_aad(board, frame, header, binding, binding_length);
    memcpy(plain, plaintext, plaintext_length);
    /* PKCS#7: n bytes of value n fill the last block (a whole block when it was full). */
    memset(plain + plaintext_length, (int)(cipher_length - plaintext_length), cipher_length - plaintext_length);
    int status = tcu_mpc_wrap_encrypt(board, board->seal_frame, aad_length, TCU_MPC_SEAL_AAD_AREA, board->seal_plain,
                                      cipher_length, iv, tag);
    tcu_mpc_zero(board->seal_plain, sizeof board->seal_plain);
    if (status == 0) {
        memcpy(output, header, SEAL_HEADER);
        memcpy(output + SEAL_HEADER, frame + TCU_MPC_SEAL_AAD_AREA, cipher_length);
        memcpy(output + SEAL_HEADER + cipher_length, tag, SEAL_TAG);
    }
    tcu_mpc_zero(board->seal_frame, sizeof board->seal_frame);
    return status == 0 ? (int32_t)(SEAL_HEADER + cipher_length + SEAL_TAG) : TCU_SEAL_ERR_FAILED;
}

/* The plaintext's length after PKCS#7 padding is taken off, or 0 when the padding is malformed. */
static size_t unpadded(const uint8_t *plain, size_t length) {
    uint8_t pad = plain[length - 1];
    if (pad == 0 || pad > BLOCK) return 0;
    for (size_t i = length - pad; i < length; i++)
        if (plain[i] != pad) return 0;
    return length - pad;
}

int32_t tcu_mpc_keystore_unseal(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *sealed,
                                size_t sealed_length, uint8_t *output, size_t output_capacity) {
    tcu_mpc5748g *board = context;
    if (!arguments_ok(board, binding, binding_length, sealed, output)) return TCU_SEAL_ERR_FAILED;
    /* Wrong size, purpose, version or slots: not a blob this board sealed with this configuration. */
    size_t cipher_max = TCU_MPC_SEAL_MAX + (cbc(board) ? BLOCK : 0U);
    if (sealed_length <= SEAL_HEADER + SEAL_TAG || sealed_length - SEAL_HEADER - SEAL_TAG > cipher_max ||
        sealed[0] != SEAL_PURPOSE || sealed[1] != tcu_mpc_wrap_version(board) ||
        tcu_mpc_get_u32(sealed + 2) != tcu_mpc_wrap_slots(board))
        return TCU_SEAL_ERR_REJECTED;
    size_t cipher_length = sealed_length - SEAL_HEADER - SEAL_TAG;
    /* CBC's plaintext is at least one byte shorter: its exact length is known only after decryption. */
    if (output_capacity < cipher_length - (cbc(board) ? BLOCK : 0U)) return TCU_SEAL_ERR_TOO_SMALL;
    uint32_t iv[3], tag[4];
    uint8_t *frame = (uint8_t *)board->seal_frame;
    size_t aad_length = frame_aad(board, frame, sealed, binding, binding_length);
    memcpy(frame + TCU_MPC_SEAL_AAD_AREA, sealed + SEAL_HEADER, cipher_length);
    memcpy(iv, sealed + SEAL_IV_AT, 12);
    memcpy(tag, sealed + SEAL_HEADER + cipher_length, SEAL_TAG);
    int status = tcu_mpc_wrap_decrypt(board, board->seal_frame, aad_length, TCU_MPC_SEAL_AAD_AREA, cipher_length, iv,
                                      tag, board->seal_plain);
    int32_t result;
    if (status == TCU_MPC_ERR_KEY_TAMPERED) {
        result = TCU_SEAL_ERR_REJECTED;
    } else if (status != 0) {
        result = TCU_SEAL_ERR_FAILED;
    } else {
        size_t plain = cbc(board) ? unpadded((const uint8_t *)board->seal_plain, cipher_length) : cipher_length;
        if (plain == 0) result = TCU_SEAL_ERR_REJECTED; /* authentic but malformed: never sealed by this code */
        else if (plain > output_capacity) result = TCU_SEAL_ERR_TOO_SMALL;
        else {
            memcpy(output, board->seal_plain, plain);
            result = (int32_t)plain;
        }
    }
    tcu_mpc_zero(board->seal_plain, sizeof board->seal_plain);
    tcu_mpc_zero(board->seal_frame, sizeof board->seal_frame);
    return result;
}

/* board_keystore.c: the device identity. A P-256 key wrapped by the HSM, the certificate chain and
 * the trust anchors, all in the identity records in data flash. A renewal's pending key
 * (board_renewal.c) is made, wrapped and used for signing by the same code, under its own tag.
 *
 * Wrapped key blob (131 bytes, integers big-endian):
 *   0 version (1) | 1 curve (1) = 1 (P-256) | 2 wrapping SHE slots (u32) | 6 IV (12)
 *   | 18 public key (65, 0x04|X|Y) | 83 encrypted private scalar (32) | 115 tag (16)
 * Version 1: AES-128-GCM under wrap_key (slots = wrap_key), tag = GCM tag. Version 2: AES-128-CBC
 * under wrap_key (IV = the 12 bytes then 4 zero bytes), tag = AES-CMAC under mac_key (slots =
 * mac_key << 16 | wrap_key) of bytes 0..82, a zero byte, and the ciphertext (board_wrap.c).
 * Bytes 0..82 are authenticated either way: the slots, version and public key too, so a blob cannot
 * be re-labelled or paired with another public key. */
#include <string.h>

#include "board_bytes.h"
#include "board_internal.h"

#define BLOB_CURVE_P256 1U
#define BLOB_AAD 83U
#define BLOB_AAD_AREA 84U /* the additional data padded to a word: the frame's ciphertext is aligned */
#define BLOB_IV 6U
#define BLOB_PUBLIC 18U
#define BLOB_CIPHER 83U
#define BLOB_TAG 115U
#define SCALAR 32U
#define DER_MAX 80U /* a P-256 ECDSA-Sig-Value is at most 72 bytes */

/* The HSM reads and writes only word-aligned buffers; every buffer handed to it is one of these. */
typedef struct {
    uint32_t frame[(BLOB_AAD_AREA + SCALAR) / 4U]; /* additional data, then the ciphertext */
    uint32_t iv[3];
    uint32_t plain[SCALAR / 4U];
    uint32_t tag[4];
} hsm_buffers;

static int wrap(tcu_mpc5748g *board, const uint8_t scalar[SCALAR], const uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE],
                uint8_t blob[TCU_MPC_WRAPPED_KEY_SIZE]) {
    hsm_buffers b;
    memset(&b, 0, sizeof b);
    uint8_t *aad = (uint8_t *)b.frame;
    aad[0] = tcu_mpc_wrap_version(board);
    aad[1] = BLOB_CURVE_P256;
    tcu_mpc_put_u32(aad + 2, tcu_mpc_wrap_slots(board));
    /* A fresh random 96-bit IV per wrap: a key is wrapped a handful of times in a device's life. */
    if (tcu_mpc_entropy_fill(board, (uint8_t *)b.iv, 12) != 0) return TCU_MPC_ERR_ENTROPY;
    memcpy(aad + BLOB_IV, b.iv, 12);
    memcpy(aad + BLOB_PUBLIC, public_key, TCU_MPC_PUBLIC_KEY_SIZE);
    memcpy(b.plain, scalar, SCALAR);
    int status = tcu_mpc_wrap_encrypt(board, b.frame, BLOB_AAD, BLOB_AAD_AREA, b.plain, SCALAR, b.iv, b.tag);
    tcu_mpc_zero(b.plain, sizeof b.plain);
    if (status != 0) return status;
    memcpy(blob, aad, BLOB_AAD);
    memcpy(blob + BLOB_CIPHER, aad + BLOB_AAD_AREA, SCALAR);
    memcpy(blob + BLOB_TAG, b.tag, 16);
    return 0;
}

/* Authenticates and decrypts a blob into `scalar`. On any failure `scalar` is all zero. */
static int unwrap(tcu_mpc5748g *board, const uint8_t *blob, size_t length, uint32_t scalar[SCALAR / 4U]) {
    tcu_mpc_zero(scalar, SCALAR);
    if (length != TCU_MPC_WRAPPED_KEY_SIZE) return TCU_MPC_ERR_FORMAT;
    if (blob[0] != tcu_mpc_wrap_version(board) || blob[1] != BLOB_CURVE_P256) return TCU_MPC_ERR_FORMAT;
    /* The slots are authenticated as well; checking them first gives a clearer error for a blob that
     * was wrapped under other slots (or another scheme) than the ones configured. */
    if (tcu_mpc_get_u32(blob + 2) != tcu_mpc_wrap_slots(board)) return TCU_MPC_ERR_FORMAT;
    hsm_buffers b;
    memset(&b, 0, sizeof b);
    memcpy(b.frame, blob, BLOB_AAD);
    memcpy((uint8_t *)b.frame + BLOB_AAD_AREA, blob + BLOB_CIPHER, SCALAR);
    memcpy(b.iv, blob + BLOB_IV, 12);
    memcpy(b.tag, blob + BLOB_TAG, 16);
    int status = tcu_mpc_wrap_decrypt(board, b.frame, BLOB_AAD, BLOB_AAD_AREA, SCALAR, b.iv, b.tag, b.plain);
    if (status == 0) memcpy(scalar, b.plain, SCALAR);
    tcu_mpc_zero(b.plain, sizeof b.plain);
    return status;
}

/* `tag`: TCU_MPC_TAG_WRAPPED_KEY (the current key) or TCU_MPC_TAG_PENDING_KEY (a renewal's). */
static int stored_blob(tcu_mpc5748g *board, uint8_t tag, const uint8_t **blob, size_t *length) {
    return tcu_mpc_records_find(&board->identity, tag, 0, blob, length) == 0 ? 0 : TCU_MPC_ERR_NO_KEY;
}

static int store_blob(tcu_mpc5748g *board, const uint8_t *blob) {
    tcu_mpc_records_remove(&board->identity, TCU_MPC_TAG_WRAPPED_KEY);
    int status = tcu_mpc_records_append(&board->identity, TCU_MPC_TAG_WRAPPED_KEY, blob, TCU_MPC_WRAPPED_KEY_SIZE);
    if (status != 0) {
        tcu_mpc_records_reload(&board->identity);
        return status;
    }
    return tcu_mpc_records_commit(&board->identity);
}

int tcu_mpc_key_create(tcu_mpc5748g *board, uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE],
                       uint8_t blob[TCU_MPC_WRAPPED_KEY_SIZE]) {
    ecc_key key;
    uint32_t scalar[SCALAR / 4U], check[SCALAR / 4U];
    word32 public_length = TCU_MPC_PUBLIC_KEY_SIZE, scalar_length = SCALAR;
    int status = TCU_MPC_ERR_CRYPTO;
    if (wc_ecc_init(&key) != 0) return TCU_MPC_ERR_CRYPTO;
    if (wc_ecc_make_key_ex(&board->rng, 32, &key, ECC_SECP256R1) == 0 &&
        wc_ecc_export_x963(&key, public_key, &public_length) == 0 && public_length == TCU_MPC_PUBLIC_KEY_SIZE &&
        wc_ecc_export_private_only(&key, (byte *)scalar, &scalar_length) == 0 && scalar_length == SCALAR)
        status = wrap(board, (const uint8_t *)scalar, public_key, blob);
    wc_ecc_free(&key);
    tcu_mpc_zero(&key, sizeof key);
    /* Prove the slot unwraps what it wrapped before the blob replaces anything in flash. */
    if (status == 0) {
        status = unwrap(board, blob, TCU_MPC_WRAPPED_KEY_SIZE, check);
        if (status == 0 && memcmp(check, scalar, SCALAR) != 0) status = TCU_MPC_ERR_HSM;
    }
    tcu_mpc_zero(scalar, sizeof scalar);
    tcu_mpc_zero(check, sizeof check);
    if (status != 0) {
        tcu_mpc_zero(public_key, TCU_MPC_PUBLIC_KEY_SIZE);
        tcu_mpc_zero(blob, TCU_MPC_WRAPPED_KEY_SIZE);
    }
    return status;
}

int tcu_mpc_key_check(tcu_mpc5748g *board, uint8_t tag) {
    const uint8_t *blob;
    size_t length;
    if (stored_blob(board, tag, &blob, &length) != 0) return TCU_MPC_ERR_NO_KEY;
    uint32_t scalar[SCALAR / 4U];
    int status = unwrap(board, blob, length, scalar);
    tcu_mpc_zero(scalar, sizeof scalar);
    return status;
}

int tcu_mpc5748g_generate_key(tcu_mpc5748g *board, uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE], int replace) {
    if (board == NULL || public_key == NULL) return TCU_MPC_ERR_ARGUMENT;
    const tcu_mpc_key_backend *element = board->config.secure_element;
    if (element != NULL) return element->generate(element->context, public_key);
    const uint8_t *existing;
    size_t existing_length;
    if (!replace && stored_blob(board, TCU_MPC_TAG_WRAPPED_KEY, &existing, &existing_length) == 0)
        return TCU_MPC_ERR_EXISTS;
    uint8_t blob[TCU_MPC_WRAPPED_KEY_SIZE];
    int status = tcu_mpc_key_create(board, public_key, blob);
    if (status == 0) status = store_blob(board, blob);
    if (status != 0) tcu_mpc_zero(public_key, TCU_MPC_PUBLIC_KEY_SIZE);
    return status;
}

int tcu_mpc5748g_public_key(tcu_mpc5748g *board, uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE]) {
    if (board == NULL || public_key == NULL) return TCU_MPC_ERR_ARGUMENT;
    const tcu_mpc_key_backend *element = board->config.secure_element;
    if (element != NULL) return element->public_key(element->context, public_key);
    const uint8_t *blob;
    size_t length;
    if (stored_blob(board, TCU_MPC_TAG_WRAPPED_KEY, &blob, &length) != 0) return TCU_MPC_ERR_NO_KEY;
    return tcu_mpc_key_public(blob, length, public_key);
}

int tcu_mpc_key_public(const uint8_t *blob, size_t length, uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE]) {
    if (length != TCU_MPC_WRAPPED_KEY_SIZE || (blob[0] != 1U && blob[0] != 2U) || blob[1] != BLOB_CURVE_P256)
        return TCU_MPC_ERR_FORMAT;
    memcpy(public_key, blob + BLOB_PUBLIC, TCU_MPC_PUBLIC_KEY_SIZE);
    return 0;
}

int tcu_mpc5748g_export_wrapped_key(tcu_mpc5748g *board, uint8_t *blob, size_t capacity, size_t *length) {
    if (board == NULL || blob == NULL || length == NULL) return TCU_MPC_ERR_ARGUMENT;
    const uint8_t *stored;
    size_t stored_length;
    if (stored_blob(board, TCU_MPC_TAG_WRAPPED_KEY, &stored, &stored_length) != 0) return TCU_MPC_ERR_NO_KEY;
    if (capacity < stored_length) return TCU_MPC_ERR_TOO_SMALL;
    memcpy(blob, stored, stored_length);
    *length = stored_length;
    return 0;
}

int tcu_mpc5748g_import_wrapped_key(tcu_mpc5748g *board, const uint8_t *blob, size_t length) {
    if (board == NULL || blob == NULL) return TCU_MPC_ERR_ARGUMENT;
    uint32_t scalar[SCALAR / 4U];
    int status = unwrap(board, blob, length, scalar);
    tcu_mpc_zero(scalar, sizeof scalar);
    return status == 0 ? store_blob(board, blob) : status;
}

static int32_t sign_wrapped(tcu_mpc5748g *board, uint8_t tag, const uint8_t *digest, size_t length, uint8_t *output,
                            size_t capacity) {
    const uint8_t *blob;
    size_t blob_length;
    if (stored_blob(board, tag, &blob, &blob_length) != 0) return TCU_MPC_ERR_NO_KEY;
    uint32_t scalar[SCALAR / 4U];
    int status = unwrap(board, blob, blob_length, scalar);
    if (status != 0) return status;

    ecc_key key;
    uint8_t der[DER_MAX];
    word32 der_length = sizeof der;
    status = TCU_MPC_ERR_CRYPTO;
    if (wc_ecc_init(&key) == 0) {
        int imported = wc_ecc_import_private_key_ex((const byte *)scalar, SCALAR, blob + BLOB_PUBLIC,
                                                    TCU_MPC_PUBLIC_KEY_SIZE, &key, ECC_SECP256R1);
        tcu_mpc_zero(scalar, sizeof scalar); /* the key object holds it now; the copy goes at once */
        if (imported == 0 && wc_ecc_sign_hash(digest, (word32)length, der, &der_length, &board->rng, &key) == 0)
            status = 0;
        wc_ecc_free(&key);
        tcu_mpc_zero(&key, sizeof key);
    }
    tcu_mpc_zero(scalar, sizeof scalar);
    if (status != 0) return status;
    if (der_length > capacity) return TCU_MPC_ERR_TOO_SMALL;
    memcpy(output, der, der_length);
    return (int32_t)der_length;
}

/* keystore_sign and keystore_sign_pending: `pending` asks for the pending key when there is one. */
static int32_t sign(tcu_mpc5748g *board, int pending, int request, const uint8_t *input, size_t input_length,
                    uint8_t *output, size_t output_capacity) {
    if (request == TCU_SIGN_RSA_PKCS1 || request == TCU_SIGN_RSA_PSS) return TCU_MPC_ERR_UNSUPPORTED;
    if (request != TCU_SIGN_ECDSA) return TCU_MPC_ERR_ARGUMENT;
    /* A digest: SHA-1 (20) up to SHA-512 (64) bytes; wolfCrypt truncates longer ones to the order. */
    if (input == NULL || output == NULL || input_length < 20 || input_length > 64) return TCU_MPC_ERR_ARGUMENT;
    const uint8_t *blob;
    size_t blob_length;
    /* A pending key is always HSM-wrapped (a secure element has no second key here), so it is
     * looked for before the element. */
    if (pending && stored_blob(board, TCU_MPC_TAG_PENDING_KEY, &blob, &blob_length) == 0)
        return sign_wrapped(board, TCU_MPC_TAG_PENDING_KEY, input, input_length, output, output_capacity);
    const tcu_mpc_key_backend *element = board->config.secure_element;
    if (element != NULL) return element->sign_digest(element->context, input, input_length, output, output_capacity);
    return sign_wrapped(board, TCU_MPC_TAG_WRAPPED_KEY, input, input_length, output, output_capacity);
}

int32_t tcu_mpc_keystore_sign(void *context, int request, int hash, const uint8_t *input, size_t input_length,
                              uint8_t *output, size_t output_capacity) {
    (void)hash; /* only RSA-PSS uses it */
    return sign(context, 0, request, input, input_length, output, output_capacity);
}

int32_t tcu_mpc_keystore_sign_pending(void *context, int request, int hash, const uint8_t *input, size_t input_length,
                                      uint8_t *output, size_t output_capacity) {
    (void)hash;
    return sign(context, 1, request, input, input_length, output, output_capacity);
}

int tcu_mpc_keystore_certificate(void *context, int set, size_t index, const uint8_t **der, size_t *length) {
    tcu_mpc5748g *board = context;
    if (der == NULL || length == NULL || index > 0xFFFFU) return 1;
    uint8_t tag;
    if (set == TCU_CERTS_DEVICE_CHAIN) tag = TCU_MPC_TAG_DEVICE_CERT;
    else if (set == TCU_CERTS_TRUST_ANCHORS) tag = TCU_MPC_TAG_ANCHOR_CERT;
    else if (set == TCU_CERTS_PENDING_CHAIN) tag = TCU_MPC_TAG_PENDING_CERT;
    else return 1;
    /* The pointer is into the RAM image of the identity records (inside the board structure). Its
     * bytes stay as they are until the next call that changes those records (keystore_generate_key,
     * keystore_store_pending_chain, keystore_commit, and the enrollment/provisioning calls of
     * tcu_hal_mpc5748g.h), which move records within the image: the pointer then stays inside the
     * image (never dangling, never out of bounds for its length) but may show other bytes. That is
     * less than tcu_hal.h asks (valid until teardown, across a commit); the core copies each
     * certificate as it reads it (CHALKeyStore.certificates), so it never holds one across such a call. */
    return tcu_mpc_records_find(&board->identity, tag, (unsigned)index, der, length) == 0 ? 0 : 1;
}

int tcu_mpc5748g_set_certificates(tcu_mpc5748g *board, int set, const uint8_t *const ders[], const size_t lengths[],
                                  size_t count) {
    if (board == NULL || (count > 0 && (ders == NULL || lengths == NULL)) || count > TCU_MPC_MAX_CERTS)
        return TCU_MPC_ERR_ARGUMENT;
    uint8_t tag;
    if (set == TCU_CERTS_DEVICE_CHAIN) tag = TCU_MPC_TAG_DEVICE_CERT;
    else if (set == TCU_CERTS_TRUST_ANCHORS) tag = TCU_MPC_TAG_ANCHOR_CERT;
    else return TCU_MPC_ERR_ARGUMENT;
    for (size_t i = 0; i < count; i++)
        if (ders[i] == NULL || lengths[i] == 0) return TCU_MPC_ERR_ARGUMENT;
    tcu_mpc_records_remove(&board->identity, tag);
    for (size_t i = 0; i < count; i++) {
        int status = tcu_mpc_records_append(&board->identity, tag, ders[i], lengths[i]);
        if (status != 0) {
            tcu_mpc_records_reload(&board->identity);
            return status;
        }
    }
    return tcu_mpc_records_commit(&board->identity);
}

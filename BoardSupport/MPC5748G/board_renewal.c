/* board_renewal.c: the optional renewal entries of tcu_hal.h (keystore_public_key ... keystore_commit).
 *
 * A renewal keeps a pending key and a pending chain beside the current pair in the identity
 * records until the core has proven them with a handshake. The pending key is made and wrapped
 * exactly as the device key is (board_keystore.c: wolfCrypt, DRBG seeded from the HSM TRNG,
 * AES-GCM under the SHE slot `wrap_key`) and kept as TCU_MPC_TAG_PENDING_KEY; the pending chain is
 * one TCU_MPC_TAG_PENDING_CERT record per certificate. Each of generate / store is one records
 * commit, so it is durable when it returns.
 *
 * keystore_commit only changes tags, then writes the set with ONE tcu_mpc_records_commit:
 *     pending key  -> wrapped key -> previous key    (only when there is a pending key)
 *     pending certs -> device certs -> previous certs
 * That commit writes the whole set into the other flash block, header last, so a power cut leaves
 * either the old block newest (old pair current, the pending pair still pending: the core's next
 * tcu_renew proves and commits again) or the new block (new pair current), never a mix. The
 * previous pair is the rollback copy the contract asks to keep; a previous chain with no previous
 * key record was for the key that is still current (a renewal without rekey).
 *
 * Room: the identity image (TCU_MPC_IDENTITY_IMAGE_MAX) must hold the current and the pending pair
 * at once. The previous pair is what gives way: when a pending record does not fit, the previous
 * records are dropped and the append is tried again. A commit never needs room (it retags, and
 * drops the previous pair of the renewal before). */
#include <string.h>

#include "board_internal.h"

/* SubjectPublicKeyInfo { AlgorithmIdentifier { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused
 * bits) }: for an uncompressed P-256 point always these 26 bytes, then the 65-byte point. */
static const uint8_t spki_prefix[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
#define SPKI_SIZE (sizeof spki_prefix + TCU_MPC_PUBLIC_KEY_SIZE)

/* The public point of the current (pending = 0) or pending key; TCU_KEY_ERR_NONE when there is none. */
static int key_point(tcu_mpc5748g *board, int pending, uint8_t point[TCU_MPC_PUBLIC_KEY_SIZE]) {
    const uint8_t *blob;
    size_t length;
    if (pending) {
        if (tcu_mpc_records_find(&board->identity, TCU_MPC_TAG_PENDING_KEY, 0, &blob, &length) != 0)
            return TCU_KEY_ERR_NONE;
        return tcu_mpc_key_public(blob, length, point);
    }
    const tcu_mpc_key_backend *element = board->config.secure_element;
    if (element != NULL) {
        int status = element->public_key(element->context, point);
        return status == TCU_MPC_ERR_NO_KEY ? TCU_KEY_ERR_NONE : status;
    }
    if (tcu_mpc_records_find(&board->identity, TCU_MPC_TAG_WRAPPED_KEY, 0, &blob, &length) != 0)
        return TCU_KEY_ERR_NONE;
    return tcu_mpc_key_public(blob, length, point);
}

int32_t tcu_mpc_keystore_public_key(void *context, int key, uint8_t *spki, size_t capacity) {
    tcu_mpc5748g *board = context;
    if (spki == NULL || (key != TCU_KEY_CURRENT && key != TCU_KEY_PENDING)) return TCU_MPC_ERR_ARGUMENT;
    uint8_t point[TCU_MPC_PUBLIC_KEY_SIZE];
    int status = key_point(board, key == TCU_KEY_PENDING, point);
    if (status != 0) return status;
    if (capacity < SPKI_SIZE) return TCU_MPC_ERR_TOO_SMALL;
    memcpy(spki, spki_prefix, sizeof spki_prefix);
    memcpy(spki + sizeof spki_prefix, point, TCU_MPC_PUBLIC_KEY_SIZE);
    return (int32_t)SPKI_SIZE;
}

/* Appends `count` records tagged `tag` (none of which are in the image). On failure they are
 * removed again, so the image is as before. */
static int append_records(tcu_mpc_records *records, uint8_t tag, const uint8_t *const values[], const size_t lengths[],
                          size_t count) {
    for (size_t i = 0; i < count; i++) {
        int status = tcu_mpc_records_append(records, tag, values[i], lengths[i]);
        if (status != 0) {
            tcu_mpc_records_remove(records, tag);
            return status;
        }
    }
    return 0;
}

/* Appends the records and commits. The previous pair gives way when they do not fit; on any failure
 * the RAM image is reloaded from flash, so what was stored before stays (also the previous pair). */
static int append_and_commit(tcu_mpc5748g *board, uint8_t tag, const uint8_t *const values[], const size_t lengths[],
                             size_t count) {
    tcu_mpc_records *records = &board->identity;
    int status = append_records(records, tag, values, lengths, count);
    if (status == TCU_MPC_ERR_FULL) {
        tcu_mpc_records_remove(records, TCU_MPC_TAG_PREVIOUS_KEY);
        tcu_mpc_records_remove(records, TCU_MPC_TAG_PREVIOUS_CERT);
        status = append_records(records, tag, values, lengths, count);
    }
    if (status != 0) {
        tcu_mpc_records_reload(records);
        return status;
    }
    return tcu_mpc_records_commit(records); /* reloads by itself on failure */
}

int tcu_mpc_keystore_generate_key(void *context, int kind) {
    tcu_mpc5748g *board = context;
    if (kind != TCU_KEY_EC_P256) return TCU_MPC_ERR_UNSUPPORTED;
    /* tcu_mpc_key_backend has one key and no way to make a second beside it; with a secure element
     * the board renews the certificate only (no rekey). */
    if (board->config.secure_element != NULL) return TCU_MPC_ERR_UNSUPPORTED;
    uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE], blob[TCU_MPC_WRAPPED_KEY_SIZE];
    int status = tcu_mpc_key_create(board, public_key, blob);
    if (status != 0) return status;
    tcu_mpc_records_remove(&board->identity, TCU_MPC_TAG_PENDING_KEY);
    /* A pending chain was issued for the pending key it replaces. */
    tcu_mpc_records_remove(&board->identity, TCU_MPC_TAG_PENDING_CERT);
    const uint8_t *values[1] = {blob};
    const size_t lengths[1] = {sizeof blob};
    return append_and_commit(board, TCU_MPC_TAG_PENDING_KEY, values, lengths, 1);
}

/* Splits DER certificates laid back to back. Each must be a SEQUENCE with a definite, shortest-form
 * length (DER) that ends inside the buffer, whose content starts with a SEQUENCE (the TBSCertificate);
 * no bytes may follow the last one. A record holds at most 64 KB, so at most two length bytes. */
static int split_chain(const uint8_t *chain, size_t length, const uint8_t *certs[TCU_MPC_MAX_CERTS],
                       size_t lengths[TCU_MPC_MAX_CERTS], size_t *count) {
    size_t at = 0, n = 0;
    while (at < length) {
        size_t left = length - at, header = 2, body;
        if (left < 2 || chain[at] != 0x30) return TCU_MPC_ERR_FORMAT;
        body = chain[at + 1];
        if (body & 0x80U) {
            size_t bytes = body & 0x7FU;
            if (bytes == 0 || bytes > 2 || left < 2 + bytes) return TCU_MPC_ERR_FORMAT; /* indefinite or > 64 KB */
            body = 0;
            for (size_t i = 0; i < bytes; i++) body = body << 8 | chain[at + 2 + i];
            if (body < 0x80U || (bytes == 2 && body < 0x100U)) return TCU_MPC_ERR_FORMAT; /* not the shortest form */
            header += bytes;
        }
        if (body > left - header || body < 2 || chain[at + header] != 0x30) return TCU_MPC_ERR_FORMAT;
        if (n == TCU_MPC_MAX_CERTS) return TCU_MPC_ERR_ARGUMENT;
        certs[n] = chain + at;
        lengths[n] = header + body;
        n++;
        at += header + body;
    }
    *count = n;
    return n > 0 ? 0 : TCU_MPC_ERR_FORMAT;
}

int tcu_mpc_keystore_store_pending_chain(void *context, const uint8_t *chain, size_t length) {
    tcu_mpc5748g *board = context;
    if (chain == NULL || length == 0) return TCU_MPC_ERR_ARGUMENT;
    const uint8_t *certs[TCU_MPC_MAX_CERTS];
    size_t lengths[TCU_MPC_MAX_CERTS], count = 0;
    /* The whole chain is checked before anything in the image changes. */
    int status = split_chain(chain, length, certs, lengths, &count);
    if (status != 0) return status;
    tcu_mpc_records_remove(&board->identity, TCU_MPC_TAG_PENDING_CERT);
    return append_and_commit(board, TCU_MPC_TAG_PENDING_CERT, certs, lengths, count);
}

/* Whether the leaf certificate holds the SubjectPublicKeyInfo of `point`. A byte search, not a parse:
 * the 91 bytes of a P-256 SPKI appearing anywhere else in a certificate by accident is not a risk. */
static int leaf_carries(const uint8_t *leaf, size_t length, const uint8_t point[TCU_MPC_PUBLIC_KEY_SIZE]) {
    for (size_t at = 0; length >= SPKI_SIZE && at <= length - SPKI_SIZE; at++)
        if (memcmp(leaf + at, spki_prefix, sizeof spki_prefix) == 0 &&
            memcmp(leaf + at + sizeof spki_prefix, point, TCU_MPC_PUBLIC_KEY_SIZE) == 0)
            return 1;
    return 0;
}

int tcu_mpc_keystore_commit(void *context) {
    tcu_mpc5748g *board = context;
    tcu_mpc_records *records = &board->identity;
    const uint8_t *leaf, *blob;
    size_t leaf_length, blob_length;
    if (tcu_mpc_records_find(records, TCU_MPC_TAG_PENDING_CERT, 0, &leaf, &leaf_length) != 0)
        return TCU_MPC_ERR_NO_PENDING;
    int rekey = tcu_mpc_records_find(records, TCU_MPC_TAG_PENDING_KEY, 0, &blob, &blob_length) == 0;
    /* The core does not undo a commit, so the pair that becomes current must belong together and its
     * key must unwrap: a wrong pair here would leave the device unable to connect. */
    uint8_t point[TCU_MPC_PUBLIC_KEY_SIZE];
    int status = key_point(board, rekey, point);
    if (status == TCU_KEY_ERR_NONE) return TCU_MPC_ERR_NO_KEY;
    if (status != 0) return status;
    if (!leaf_carries(leaf, leaf_length, point)) return TCU_MPC_ERR_MISMATCH;
    if (rekey && (status = tcu_mpc_key_check(board, TCU_MPC_TAG_PENDING_KEY)) != 0) return status;

    /* `leaf` and `blob` point into the image: not used past this line (removing records moves them). */
    tcu_mpc_records_remove(records, TCU_MPC_TAG_PREVIOUS_KEY);
    tcu_mpc_records_remove(records, TCU_MPC_TAG_PREVIOUS_CERT);
    if (rekey) {
        tcu_mpc_records_retag(records, TCU_MPC_TAG_WRAPPED_KEY, TCU_MPC_TAG_PREVIOUS_KEY);
        tcu_mpc_records_retag(records, TCU_MPC_TAG_PENDING_KEY, TCU_MPC_TAG_WRAPPED_KEY);
    }
    tcu_mpc_records_retag(records, TCU_MPC_TAG_DEVICE_CERT, TCU_MPC_TAG_PREVIOUS_CERT);
    tcu_mpc_records_retag(records, TCU_MPC_TAG_PENDING_CERT, TCU_MPC_TAG_DEVICE_CERT);
    /* One block write: on failure the image is reloaded, i.e. the old pair with the pending one. */
    return tcu_mpc_records_commit(records);
}

/**
 * @file tcu_hal.h
 * @brief The TCULink hardware abstraction layer as a C ABI.
 *
 * Firmware written in C implements this table and hands it to tcu_client_create()
 * (tculink.h). It matches the Swift HAL protocols one for one (Sources/TCULink/HAL):
 * Transport, KeyStore (with sealed storage), Clock, EntropySource, PersistentStore. See docs/hal-contract.md.
 *
 * Rules for every function:
 *  - It is called from the thread (or main loop) that drives the client, never concurrently.
 *  - It must not block: network operations answer TCU_HAL_IN_PROGRESS / TCU_HAL_WOULD_BLOCK
 *    instead of waiting. The one exception is transport_wait(), whose job is to wait.
 *  - It must not call back into the client.
 *  - `context` is the table's own pointer, passed back unchanged.
 */
#ifndef TCU_HAL_H
#define TCU_HAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Results of transport operations */
/**@{*/
#define TCU_HAL_OK 0                 /**< done */
#define TCU_HAL_IN_PROGRESS 1        /**< connect started; finish with transport_poll_connect() */
#define TCU_HAL_WOULD_BLOCK (-1)     /**< nothing can move now; try again when ready */
#define TCU_HAL_CLOSED (-2)          /**< the peer closed the stream in order (receive only) */
#define TCU_HAL_ERR_REFUSED (-10)    /**< connection refused */
#define TCU_HAL_ERR_RESET (-11)      /**< connection reset / broken pipe */
#define TCU_HAL_ERR_UNREACHABLE (-12)/**< no route to host / network down */
#define TCU_HAL_ERR_NAME (-13)       /**< host name could not be resolved */
#define TCU_HAL_ERR_TIMEOUT (-14)    /**< the network stack gave up: its connect or retransmission timer ran out */
#define TCU_HAL_ERR_OTHER (-15)      /**< any other failure */
/**@}*/

/** @name Key store requests (what the TLS handshake asks to be signed) */
/**@{*/
#define TCU_SIGN_ECDSA 1        /**< ECDSA over a digest; output: DER ECDSA-Sig-Value */
#define TCU_SIGN_RSA_PKCS1 2    /**< RSASSA-PKCS1-v1_5 over an encoded DigestInfo; output: raw signature */
#define TCU_SIGN_RSA_PSS 3      /**< RSASSA-PSS over a digest, MGF1 same hash, salt = digest length */
#define TCU_HASH_SHA256 0
#define TCU_HASH_SHA384 1
#define TCU_HASH_SHA512 2
/**@}*/

/** @name Certificate sets in the key store */
/**@{*/
#define TCU_CERTS_DEVICE_CHAIN 0 /**< the device certificate chain, leaf first, no root */
#define TCU_CERTS_TRUST_ANCHORS 1 /**< roots the server's chain must lead to */
#define TCU_CERTS_PENDING_CHAIN 2 /**< a renewed chain stored by keystore_store_pending_chain, not yet in use */
/**@}*/

/** @name Keys in the key store (renewal and rekey: keystore_public_key, keystore_generate_key) */
/**@{*/
#define TCU_KEY_CURRENT 0 /**< the key the device certificate is for */
#define TCU_KEY_PENDING 1 /**< a key generated for renewal, not yet in use */
#define TCU_KEY_EC_P256 1 /**< keystore_generate_key's kind: ECDSA P-256 */
#define TCU_KEY_ERR_NONE (-30) /**< there is no such key (no pending key) */
/**@}*/

/** @name Results of keystore_seal / keystore_unseal (besides a length >= 0) */
/**@{*/
#define TCU_SEAL_ERR_UNSUPPORTED (-20) /**< the board cannot seal: no session is saved or resumed */
#define TCU_SEAL_ERR_REJECTED (-21)    /**< the blob did not authenticate (other device, other binding, altered) */
#define TCU_SEAL_ERR_TOO_SMALL (-22)   /**< output_capacity too small */
#define TCU_SEAL_ERR_FAILED (-23)      /**< any other failure (entropy, HSM, storage of the sealing key) */
/** A sealed blob is at most this many bytes longer than its plaintext. */
#define TCU_SEAL_OVERHEAD_MAX 64
/**@}*/

/** @name Persistent slots (survive a reboot) */
/**@{*/
#define TCU_SLOT_TLS_SESSION 1
#define TCU_SLOT_LAST_KNOWN_GOOD_TIME 2
#define TCU_SLOT_ENROLLMENT_STATE 3
#define TCU_SLOT_MQTT_OUTBOX 4 /**< QoS 1 publishes not yet acknowledged: up to tcu_mqtt_config.outbox_capacity bytes */
/**@}*/

typedef struct tcu_hal {
    /** Passed back as the first argument of every function. */
    void *context;

    /* ---- Transport: a reliable byte stream (TCP over lwIP on a board) ---- */

    /** Starts connecting to host:port.
     *  @param[in] host  NUL-terminated name or numeric address
     *  @return TCU_HAL_OK (connected), TCU_HAL_IN_PROGRESS, or a TCU_HAL_ERR_* code */
    int (*transport_connect)(void *context, const char *host, uint16_t port);
    /** Reports on a connect that answered TCU_HAL_IN_PROGRESS. Same results as transport_connect. */
    int (*transport_poll_connect)(void *context);
    /** Sends up to length bytes. @return bytes sent (> 0), TCU_HAL_WOULD_BLOCK or a TCU_HAL_ERR_* code */
    int32_t (*transport_send)(void *context, const uint8_t *data, size_t length);
    /** Receives up to capacity bytes. Must never return 0.
     *  @return bytes received (> 0), TCU_HAL_WOULD_BLOCK, TCU_HAL_CLOSED or a TCU_HAL_ERR_* code */
    int32_t (*transport_receive)(void *context, uint8_t *buffer, size_t capacity);
    /** Closes the stream. Safe to call twice. */
    void (*transport_close)(void *context);
    /** Waits until readable (readable != 0) or writable, or timeout_ms. May return at once on a super-loop. */
    void (*transport_wait)(void *context, int readable, uint32_t timeout_ms);

    /* ---- Key store: the device identity; the private key never leaves it ---- */

    /** Gives certificate `index` (0-based, DER) of set TCU_CERTS_*.
     *  @param[out] der, length  a pointer the store keeps valid for the client's lifetime
     *  @return 0, or 1 when there is no certificate at that index */
    int (*keystore_certificate)(void *context, int set, size_t index, const uint8_t **der, size_t *length);
    /** Signs `input` with the device key as `request` (TCU_SIGN_*) says, hash TCU_HASH_* (PSS only).
     *  @return the signature's length written to output (> 0), or a negative error */
    int32_t (*keystore_sign)(void *context, int request, int hash, const uint8_t *input, size_t input_length,
                             uint8_t *output, size_t output_capacity);

    /* ---- Clock ---- */

    /** Calendar time. @return 0 and *unix_seconds set, or 1 when the RTC is not set */
    int (*clock_wall_time)(void *context, int64_t *unix_seconds);
    /** Milliseconds from an arbitrary origin; never goes back. */
    uint64_t (*clock_monotonic_ms)(void *context);

    /* ---- Entropy ---- */

    /** Fills buffer entirely with fresh entropy. @return 0, or negative when the source failed */
    int (*entropy_fill)(void *context, uint8_t *buffer, size_t length);

    /* ---- Persistent store: a write completes or leaves the old content ---- */

    /** Copies slot TCU_SLOT_* into buffer. @return its length (>= 0), -1 when empty, -2 on error or too small */
    int32_t (*store_read)(void *context, int slot, uint8_t *buffer, size_t capacity);
    /** Replaces the slot atomically. @return 0, or negative on error (the old content stays) */
    int (*store_write)(void *context, int slot, const uint8_t *data, size_t length);
    /** Empties the slot. @return 0, or negative on error */
    int (*store_erase)(void *context, int slot);

    /* ---- Key store, sealed storage (appended: the entries above keep their places) ----
     * A saved TLS session holds a resumption secret: whoever has it resumes as this device.
     * The core keeps it at rest only sealed by these two functions. The board encrypts and
     * authenticates with a key of its own that never leaves secure storage (AES-GCM under an
     * HSM key slot, a secure element's or token's secret key), a fresh IV per seal, and
     * `binding` as additional authenticated data (not stored in the blob). The core passes
     * the SHA-256 of the device leaf certificate as `binding`, so a blob copied to another
     * device, or kept across a certificate change, does not unseal. A board that cannot seal
     * returns TCU_SEAL_ERR_UNSUPPORTED from both: the core then saves and resumes no session. */

    /** Seals `plaintext` for `binding`.
     *  @param[in]  binding, binding_length      the device identity (1..64 bytes); authenticated, not stored
     *  @param[in]  plaintext, plaintext_length  the secret; the board keeps no copy after returning
     *  @param[out] output, output_capacity      the sealed blob, owned by the caller; it needs at most
     *                                           plaintext_length + TCU_SEAL_OVERHEAD_MAX bytes
     *  @return the blob's length (> 0), or TCU_SEAL_ERR_* */
    int32_t (*keystore_seal)(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *plaintext,
                             size_t plaintext_length, uint8_t *output, size_t output_capacity);
    /** Authenticates and opens a blob made by keystore_seal with the same `binding`.
     *  @param[in]  binding, binding_length  as given to keystore_seal
     *  @param[in]  sealed, sealed_length    the blob
     *  @param[out] output, output_capacity  the plaintext, owned by the caller (who zeroes it after use);
     *                                       sealed_length bytes always suffice. On failure nothing
     *                                       of the plaintext is left in it.
     *  @return the plaintext's length (>= 0), TCU_SEAL_ERR_REJECTED when the blob does not
     *          authenticate, or another TCU_SEAL_ERR_* */
    int32_t (*keystore_unseal)(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *sealed,
                               size_t sealed_length, uint8_t *output, size_t output_capacity);

    /* ---- Key store, renewal (appended; optional: NULL in all five means the board cannot renew) ----
     * Renewal replaces the device certificate, and with rekey the key, without a moment in which
     * a power cut leaves the device unable to connect: the new key and chain are *pending* beside
     * the current ones until a handshake with them succeeded, then keystore_commit makes them
     * current in one atomic step. Until then keystore_certificate(TCU_CERTS_DEVICE_CHAIN) and
     * keystore_sign use the current pair. Pointers handed out by keystore_certificate need to stay
     * valid only until the next call of keystore_generate_key, keystore_store_pending_chain or
     * keystore_commit: the core copies each certificate as it reads it. */

    /** The public half of `key` (TCU_KEY_CURRENT or TCU_KEY_PENDING) as a DER SubjectPublicKeyInfo.
     *  @return its length, TCU_KEY_ERR_NONE when there is no such key, or another negative error */
    int32_t (*keystore_public_key)(void *context, int key, uint8_t *spki, size_t capacity);
    /** Generates a key of `kind` (TCU_KEY_EC_P256) inside the store as the pending key, replacing an
     *  earlier pending one (and its pending chain). Durable before it returns. @return 0, or negative */
    int (*keystore_generate_key)(void *context, int kind);
    /** As keystore_sign, with the pending key when there is one, else the current key: the proof of
     *  possession in a CSR, and the handshake that proves a renewed certificate. */
    int32_t (*keystore_sign_pending)(void *context, int request, int hash, const uint8_t *input, size_t input_length,
                                     uint8_t *output, size_t output_capacity);
    /** Stores a renewed chain (DER certificates back to back, leaf first) as the pending chain, durably,
     *  replacing an earlier one; keystore_certificate(TCU_CERTS_PENDING_CHAIN, ...) then gives it.
     *  @return 0, or negative (the old pending chain, if any, stays) */
    int (*keystore_store_pending_chain)(void *context, const uint8_t *chain, size_t length);
    /** Makes the pending chain current, with the pending key when there is one, in one atomic step: after a
     *  power cut the device has either the old pair or the new one, never a mix. The old pair is kept as the
     *  previous one (for a rollback by the board). @return 0, or negative (the current pair stays) */
    int (*keystore_commit)(void *context);
} tcu_hal;

/** Returns 0 when every required function of `hal` is set, else the 1-based index of the first missing one
 *  (-1 for a NULL table). tcu_client_create() refuses an incomplete table. The renewal functions are
 *  optional: see tcu_hal_can_renew(). */
int tcu_hal_missing_function(const tcu_hal *hal);

/** 1 when `hal` has all five renewal functions (keystore_public_key ... keystore_commit), else 0. */
int tcu_hal_can_renew(const tcu_hal *hal);

#ifdef __cplusplus
}
#endif

#endif /* TCU_HAL_H */

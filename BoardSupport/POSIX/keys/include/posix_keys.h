/* posix_keys.h: private-key operations for the POSIX HAL and the simulator's file key store, over wolfCrypt.
 *
 * Host only. A device key in a file is for development: production keys live in
 * secure hardware (HSM, secure element, PKCS#11 token) and never reach RAM like this.
 * The key is decoded once into a wolfCrypt key object; the caller's buffers holding
 * the encoded key are the caller's to zero. tcu_host_key_free() zeroes the object. */
#ifndef TCULINK_POSIX_KEYS_H
#define TCULINK_POSIX_KEYS_H

#include <stddef.h>
#include <stdint.h>

typedef struct tcu_host_key tcu_host_key;

enum {
    TCU_HOST_KEY_OK = 0,
    TCU_HOST_KEY_ERR_PARSE = -1,       /* not a PEM/DER private key we can read */
    TCU_HOST_KEY_ERR_ENCRYPTED = -2,   /* encrypted key: not supported in the file store */
    TCU_HOST_KEY_ERR_UNSUPPORTED = -3, /* neither an EC nor an RSA key */
    TCU_HOST_KEY_ERR_MEMORY = -4,
    TCU_HOST_KEY_ERR_SIGN = -5,
    TCU_HOST_KEY_ERR_BUFFER = -6,
};

enum { TCU_HOST_KEY_EC = 1, TCU_HOST_KEY_RSA = 2 };
enum { TCU_KEY_HASH_SHA256 = 0, TCU_KEY_HASH_SHA384 = 1, TCU_KEY_HASH_SHA512 = 2 }; /* = TCU_HASH_* of tcu_hal.h */

/** Decodes a private key (PEM: "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"; or DER).
 * @param[in]  data, length  the key file's bytes
 * @param[out] out           the key, owned by the caller (free with tcu_host_key_free)
 * @return TCU_HOST_KEY_OK or a TCU_HOST_KEY_ERR_* code */
int tcu_host_key_load(const uint8_t *data, size_t length, tcu_host_key **out);

/** Generates a P-256 key and writes it as PEM ("EC PRIVATE KEY") into `pem` (the caller zeroes it after use).
 * @return the PEM's length, or a TCU_HOST_KEY_ERR_* code */
int tcu_host_key_generate_p256_pem(uint8_t *pem, size_t capacity);

/** TCU_HOST_KEY_EC or TCU_HOST_KEY_RSA. */
int tcu_host_key_type(const tcu_host_key *key);

/** Writes the key's SubjectPublicKeyInfo (DER) to out; returns its length or a negative error. */
int tcu_host_key_public_der(tcu_host_key *key, uint8_t *out, size_t capacity);

/** ECDSA over a digest; writes a DER ECDSA-Sig-Value; returns its length or a negative error. */
int tcu_host_key_sign_ecdsa(tcu_host_key *key, const uint8_t *digest, size_t digest_length,
                            uint8_t *out, size_t capacity);

/** RSASSA-PKCS1-v1_5 over an encoded DigestInfo; returns the signature's length or a negative error. */
int tcu_host_key_sign_rsa_pkcs1(tcu_host_key *key, const uint8_t *digest_info, size_t length,
                                uint8_t *out, size_t capacity);

/** RSASSA-PSS (MGF1 with the same hash, salt = digest length); returns length or a negative error. */
int tcu_host_key_sign_rsa_pss(tcu_host_key *key, const uint8_t *digest, size_t digest_length,
                              int hash, uint8_t *out, size_t capacity);

enum {
    TCU_HOST_SEAL_ERR_ARGUMENT = -20, /* NULL, empty plaintext, binding of 0 or > 64 bytes */
    TCU_HOST_SEAL_ERR_REJECTED = -21, /* the blob did not authenticate (other key, other binding, altered) */
    TCU_HOST_SEAL_ERR_BUFFER = -22,   /* output too small */
    TCU_HOST_SEAL_ERR_CRYPTO = -23,   /* getrandom or wolfCrypt failed */
};

/** Seals `plaintext` under a key derived from this private key (HKDF-SHA256, fixed info string),
 *  AES-256-GCM with a random 96-bit IV from getrandom and `binding` as additional data.
 *  The derived key is zeroed before returning. Output needs length + 29 bytes.
 *  @return the blob's length, or TCU_HOST_SEAL_ERR_* */
int tcu_host_key_seal(tcu_host_key *key, const uint8_t *binding, size_t binding_length, const uint8_t *plaintext,
                      size_t length, uint8_t *out, size_t capacity);

/** Opens a blob of tcu_host_key_seal made with the same key and binding.
 *  @return the plaintext's length, TCU_HOST_SEAL_ERR_REJECTED (nothing written), or another error */
int tcu_host_key_unseal(tcu_host_key *key, const uint8_t *binding, size_t binding_length, const uint8_t *sealed,
                        size_t length, uint8_t *out, size_t capacity);

/** Zeroes and frees the key. NULL is allowed. */
void tcu_host_key_free(tcu_host_key *key);

#endif

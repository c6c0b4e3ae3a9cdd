/* pkcs11_keys.h: a device key on a PKCS#11 token (SoftHSM2 on a host, an HSM or a secure
 * element's PKCS#11 module elsewhere). The key is generated on the token as sensitive and
 * non-extractable; signing happens on the token. Only its public half leaves it.
 * Host only (dlopen). Error messages never contain the PIN. */
#ifndef TCULINK_PKCS11_KEYS_H
#define TCULINK_PKCS11_KEYS_H

#include <stddef.h>
#include <stdint.h>

typedef struct tcu_p11 tcu_p11;

/** Loads `module_path`, finds the token labelled `token_label` and logs in as user.
 *  @return 0, or -1 with `error` set */
int tcu_p11_open(const char *module_path, const char *token_label, const char *pin, tcu_p11 **out,
                 char *error, size_t error_size);

/** Generates a P-256 key pair on the token under `key_label` (private: token, private, sensitive,
 *  non-extractable, sign). Refuses if a key with that label exists. @return 0, or -1 with `error` set */
int tcu_p11_generate_p256(tcu_p11 *p11, const char *key_label, char *error, size_t error_size);

/** Selects the existing key labelled `key_label`. @return 0, or -1 with `error` set */
int tcu_p11_find_key(tcu_p11 *p11, const char *key_label, char *error, size_t error_size);

/** The selected key's SubjectPublicKeyInfo (DER). @return its length, or -1 */
int tcu_p11_public_key(tcu_p11 *p11, uint8_t *out, size_t capacity);

/** ECDSA over `digest` on the token; writes a DER ECDSA-Sig-Value. @return its length, or -1 */
int tcu_p11_sign_ecdsa(tcu_p11 *p11, const uint8_t *digest, size_t digest_length, uint8_t *out, size_t capacity);

/** The selected private key's CKA_EXTRACTABLE and CKA_SENSITIVE (1/0), for checks. @return 0, or -1 */
int tcu_p11_key_flags(tcu_p11 *p11, int *extractable, int *sensitive);

enum {
    TCU_P11_SEAL_ERR_REJECTED = -21, /* the blob did not authenticate, or there is no sealing key on the token */
    TCU_P11_SEAL_ERR_TOO_SMALL = -22,
    TCU_P11_SEAL_ERR_FAILED = -23,   /* arguments, key creation, or the token refused */
};

/** Seals `plaintext` with CKM_AES_GCM under the token's AES-256 secret key labelled `seal_label`
 *  (created on first use: token object, private, sensitive, non-extractable, encrypt/decrypt only;
 *  the key never leaves the token); a 96-bit IV from the token's RNG; `binding` (1..64 bytes) is
 *  additional authenticated data. Output needs length + 29 bytes.
 *  @return the blob's length, or TCU_P11_SEAL_ERR_* */
int tcu_p11_seal(tcu_p11 *p11, const char *seal_label, const uint8_t *binding, size_t binding_length,
                 const uint8_t *plaintext, size_t length, uint8_t *out, size_t capacity);

/** Opens a blob of tcu_p11_seal made with the same token key and binding.
 *  @return the plaintext's length, or TCU_P11_SEAL_ERR_* (nothing written on failure) */
int tcu_p11_unseal(tcu_p11 *p11, const char *seal_label, const uint8_t *binding, size_t binding_length,
                   const uint8_t *sealed, size_t length, uint8_t *out, size_t capacity);

/** The CKA_EXTRACTABLE and CKA_SENSITIVE of the secret key labelled `seal_label`. @return 0, or -1 (none) */
int tcu_p11_seal_key_flags(tcu_p11 *p11, const char *seal_label, int *extractable, int *sensitive);

/** Logs out, closes the session and unloads the module. NULL is allowed. */
void tcu_p11_close(tcu_p11 *p11);

#endif

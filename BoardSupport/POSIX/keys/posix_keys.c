#define _DEFAULT_SOURCE /* explicit_bzero: zeroing the compiler may not elide */
#include "posix_keys.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#ifdef WOLFSSL_USER_SETTINGS /* a wolfSSL built from source with a board's user_settings.h */
#include <wolfssl/wolfcrypt/settings.h>
#else /* Debian's libwolfssl */
#include <wolfssl/options.h>
#endif
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/memory.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/hmac.h>

struct tcu_host_key {
    int type;
    WC_RNG rng;
    union {
        ecc_key ecc;
        RsaKey rsa;
    } k;
};

static int contains(const uint8_t *data, size_t length, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= length; i++)
        if (memcmp(data + i, needle, n) == 0) return 1;
    return 0;
}

int tcu_host_key_load(const uint8_t *data, size_t length, tcu_host_key **out) {
    if (data == NULL || out == NULL || length == 0 || length > 64 * 1024) return TCU_HOST_KEY_ERR_PARSE;
    *out = NULL;
    if (contains(data, length, "ENCRYPTED")) return TCU_HOST_KEY_ERR_ENCRYPTED;

    uint8_t *der = (uint8_t *)malloc(length);
    if (der == NULL) return TCU_HOST_KEY_ERR_MEMORY;
    int der_length;
    if (data[0] == 0x30) {
        memcpy(der, data, length);
        der_length = (int)length;
    } else {
        der_length = wc_KeyPemToDer(data, (int)length, der, (int)length, NULL);
    }
    int result = TCU_HOST_KEY_ERR_PARSE;
    tcu_host_key *key = NULL;
    if (der_length > 0) {
        key = (tcu_host_key *)calloc(1, sizeof(*key));
        if (key == NULL) {
            result = TCU_HOST_KEY_ERR_MEMORY;
        } else if (wc_InitRng(&key->rng) != 0) {
            result = TCU_HOST_KEY_ERR_MEMORY;
            free(key);
            key = NULL;
        } else {
            /* PKCS#8 wraps the traditional key: skip to it when present. */
            /* (It returns the inner key's length and moves offset to its start.) */
            word32 offset = 0;
            int pkcs8 = wc_GetPkcs8TraditionalOffset(der, &offset, (word32)der_length);
            word32 start = pkcs8 > 0 ? offset : 0;
            word32 index = start;
            if (wc_ecc_init(&key->k.ecc) == 0 &&
                wc_EccPrivateKeyDecode(der, &index, &key->k.ecc, (word32)der_length) == 0) {
                key->type = TCU_HOST_KEY_EC;
                result = TCU_HOST_KEY_OK;
            } else {
                wc_ecc_free(&key->k.ecc);
                index = start;
                if (wc_InitRsaKey(&key->k.rsa, NULL) == 0 &&
                    wc_RsaPrivateKeyDecode(der, &index, &key->k.rsa, (word32)der_length) == 0) {
                    key->type = TCU_HOST_KEY_RSA;
                    wc_RsaSetRNG(&key->k.rsa, &key->rng);
                    result = TCU_HOST_KEY_OK;
                } else {
                    wc_FreeRsaKey(&key->k.rsa);
                    result = TCU_HOST_KEY_ERR_UNSUPPORTED;
                }
            }
            if (result != TCU_HOST_KEY_OK) {
                wc_FreeRng(&key->rng);
                explicit_bzero(key, sizeof(*key));
                free(key);
                key = NULL;
            }
        }
    }
    explicit_bzero(der, length);
    free(der);
    *out = key;
    return result;
}

int tcu_host_key_type(const tcu_host_key *key) { return key ? key->type : 0; }

int tcu_host_key_generate_p256_pem(uint8_t *pem, size_t capacity) {
#if !defined(WOLFSSL_KEY_GEN)
    (void)pem;
    (void)capacity;
    return TCU_HOST_KEY_ERR_UNSUPPORTED; /* a wolfSSL built without key generation */
#else
    WC_RNG rng;
    ecc_key key;
    uint8_t der[256];
    int result = TCU_HOST_KEY_ERR_MEMORY;
    if (pem == NULL || wc_InitRng(&rng) != 0) return result;
    if (wc_ecc_init(&key) == 0) {
        if (wc_ecc_make_key(&rng, 32, &key) == 0) {
            int der_length = wc_EccKeyToDer(&key, der, sizeof der);
            int pem_length = der_length > 0
                                 ? wc_DerToPem(der, (word32)der_length, pem, (word32)capacity, ECC_PRIVATEKEY_TYPE)
                                 : -1;
            result = pem_length > 0 ? pem_length : TCU_HOST_KEY_ERR_BUFFER;
        }
        wc_ecc_free(&key);
    }
    explicit_bzero(der, sizeof der);
    wc_FreeRng(&rng);
    return result;
#endif
}

int tcu_host_key_public_der(tcu_host_key *key, uint8_t *out, size_t capacity) {
    if (key == NULL || out == NULL) return TCU_HOST_KEY_ERR_PARSE;
    int length;
    if (key->type == TCU_HOST_KEY_EC)
        length = wc_EccPublicKeyToDer(&key->k.ecc, out, (word32)capacity, 1);
    else
#if defined(WOLFSSL_CERT_GEN) || defined(WOLFSSL_KEY_GEN) || defined(OPENSSL_EXTRA)
        length = wc_RsaKeyToPublicDer(&key->k.rsa, out, (word32)capacity);
#else
        return TCU_HOST_KEY_ERR_PARSE; /* a board's wolfSSL without RSA key encoding: EC keys only */
#endif
    return length > 0 ? length : TCU_HOST_KEY_ERR_BUFFER;
}

int tcu_host_key_sign_ecdsa(tcu_host_key *key, const uint8_t *digest, size_t digest_length,
                            uint8_t *out, size_t capacity) {
    if (key == NULL || key->type != TCU_HOST_KEY_EC) return TCU_HOST_KEY_ERR_SIGN;
    word32 length = (word32)capacity;
    int ret = wc_ecc_sign_hash(digest, (word32)digest_length, out, &length, &key->rng, &key->k.ecc);
    return ret == 0 ? (int)length : TCU_HOST_KEY_ERR_SIGN;
}

int tcu_host_key_sign_rsa_pkcs1(tcu_host_key *key, const uint8_t *digest_info, size_t length,
                                uint8_t *out, size_t capacity) {
    if (key == NULL || key->type != TCU_HOST_KEY_RSA) return TCU_HOST_KEY_ERR_SIGN;
    int ret = wc_RsaSSL_Sign(digest_info, (word32)length, out, (word32)capacity, &key->k.rsa, &key->rng);
    return ret > 0 ? ret : TCU_HOST_KEY_ERR_SIGN;
}

int tcu_host_key_sign_rsa_pss(tcu_host_key *key, const uint8_t *digest, size_t digest_length,
                              int hash, uint8_t *out, size_t capacity) {
    if (key == NULL || key->type != TCU_HOST_KEY_RSA) return TCU_HOST_KEY_ERR_SIGN;
    enum wc_HashType type;
    int mgf;
    switch (hash) {
    case TCU_KEY_HASH_SHA256: type = WC_HASH_TYPE_SHA256; mgf = WC_MGF1SHA256; break;
    case TCU_KEY_HASH_SHA384: type = WC_HASH_TYPE_SHA384; mgf = WC_MGF1SHA384; break;
    case TCU_KEY_HASH_SHA512: type = WC_HASH_TYPE_SHA512; mgf = WC_MGF1SHA512; break;
    default: return TCU_HOST_KEY_ERR_SIGN;
    }
    int ret = wc_RsaPSS_Sign(digest, (word32)digest_length, out, (word32)capacity, type, mgf,
                             &key->k.rsa, &key->rng);
    return ret > 0 ? ret : TCU_HOST_KEY_ERR_SIGN;
}

/* ---- Sealed storage ----
 * Blob: version (1) = 1 | IV (12) | ciphertext (n) | GCM tag (16). AES-256-GCM under
 * HKDF-SHA256(IKM = the private key: EC scalar, or RSA PKCS#1 DER; no salt; SEAL_INFO);
 * additional data = version || binding. The derived key lives only for one call. */
#define SEAL_VERSION 1U
#define SEAL_IV 12U
#define SEAL_TAG 16U
#define SEAL_BINDING_MAX 64U
static const char SEAL_INFO[] = "TCULink sealed storage v1: AES-256-GCM key";

static int seal_key(tcu_host_key *key, uint8_t out[32]) {
    uint8_t material[4096];
    word32 length = sizeof material;
    int status = -1;
    if (key->type == TCU_HOST_KEY_EC) {
        length = 66; /* up to P-521 */
        status = wc_ecc_export_private_only(&key->k.ecc, material, &length);
    } else {
#if defined(WOLFSSL_KEY_GEN) || defined(OPENSSL_EXTRA)
        int der = wc_RsaKeyToDer(&key->k.rsa, material, sizeof material);
        if (der > 0) { length = (word32)der; status = 0; }
#endif
    }
    if (status == 0)
        status = wc_HKDF(WC_SHA256, material, length, NULL, 0, (const byte *)SEAL_INFO, sizeof SEAL_INFO - 1, out, 32);
    explicit_bzero(material, sizeof material);
    return status == 0 ? 0 : -1;
}

static int fill_random(uint8_t *buffer, size_t length) {
    size_t filled = 0;
    while (filled < length) {
        ssize_t got = getrandom(buffer + filled, length - filled, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        filled += (size_t)got;
    }
    return 0;
}

int tcu_host_key_seal(tcu_host_key *key, const uint8_t *binding, size_t binding_length, const uint8_t *plaintext,
                      size_t length, uint8_t *out, size_t capacity) {
    if (key == NULL || binding == NULL || binding_length == 0 || binding_length > SEAL_BINDING_MAX ||
        plaintext == NULL || length == 0 || length > 0xFFFFFU || out == NULL)
        return TCU_HOST_SEAL_ERR_ARGUMENT;
    if (capacity < 1 + SEAL_IV + length + SEAL_TAG) return TCU_HOST_SEAL_ERR_BUFFER;
    uint8_t aad[1 + SEAL_BINDING_MAX];
    aad[0] = SEAL_VERSION;
    memcpy(aad + 1, binding, binding_length);
    uint8_t iv[SEAL_IV], derived[32];
    if (fill_random(iv, sizeof iv) != 0) return TCU_HOST_SEAL_ERR_CRYPTO;
    if (seal_key(key, derived) != 0) return TCU_HOST_SEAL_ERR_CRYPTO;
    Aes aes;
    int status = TCU_HOST_SEAL_ERR_CRYPTO;
    if (wc_AesInit(&aes, NULL, INVALID_DEVID) == 0) {
        if (wc_AesGcmSetKey(&aes, derived, sizeof derived) == 0 &&
            wc_AesGcmEncrypt(&aes, out + 1 + SEAL_IV, plaintext, (word32)length, iv, SEAL_IV,
                             out + 1 + SEAL_IV + length, SEAL_TAG, aad, (word32)(1 + binding_length)) == 0)
            status = (int)(1 + SEAL_IV + length + SEAL_TAG);
        wc_AesFree(&aes);
    }
    explicit_bzero(&aes, sizeof aes);
    explicit_bzero(derived, sizeof derived);
    if (status < 0) {
        explicit_bzero(out, capacity);
        return status;
    }
    out[0] = SEAL_VERSION;
    memcpy(out + 1, iv, SEAL_IV);
    return status;
}

int tcu_host_key_unseal(tcu_host_key *key, const uint8_t *binding, size_t binding_length, const uint8_t *sealed,
                        size_t length, uint8_t *out, size_t capacity) {
    if (key == NULL || binding == NULL || binding_length == 0 || binding_length > SEAL_BINDING_MAX ||
        sealed == NULL || out == NULL)
        return TCU_HOST_SEAL_ERR_ARGUMENT;
    if (length <= 1 + SEAL_IV + SEAL_TAG || sealed[0] != SEAL_VERSION) return TCU_HOST_SEAL_ERR_REJECTED;
    size_t plain = length - 1 - SEAL_IV - SEAL_TAG;
    if (capacity < plain) return TCU_HOST_SEAL_ERR_BUFFER;
    uint8_t aad[1 + SEAL_BINDING_MAX];
    aad[0] = SEAL_VERSION;
    memcpy(aad + 1, binding, binding_length);
    uint8_t derived[32];
    if (seal_key(key, derived) != 0) return TCU_HOST_SEAL_ERR_CRYPTO;
    Aes aes;
    int status = TCU_HOST_SEAL_ERR_CRYPTO;
    if (wc_AesInit(&aes, NULL, INVALID_DEVID) == 0) {
        if (wc_AesGcmSetKey(&aes, derived, sizeof derived) == 0) {
            int result = wc_AesGcmDecrypt(&aes, out, sealed + 1 + SEAL_IV, (word32)plain, sealed + 1, SEAL_IV,
                                          sealed + 1 + SEAL_IV + plain, SEAL_TAG, aad, (word32)(1 + binding_length));
            status = result == 0 ? (int)plain : result == AES_GCM_AUTH_E ? TCU_HOST_SEAL_ERR_REJECTED
                                                                            : TCU_HOST_SEAL_ERR_CRYPTO;
        }
        wc_AesFree(&aes);
    }
    explicit_bzero(&aes, sizeof aes);
    explicit_bzero(derived, sizeof derived);
    if (status < 0) explicit_bzero(out, plain); /* nothing unauthenticated stays behind */
    return status;
}

void tcu_host_key_free(tcu_host_key *key) {
    if (key == NULL) return;
    if (key->type == TCU_HOST_KEY_EC) wc_ecc_free(&key->k.ecc);
    if (key->type == TCU_HOST_KEY_RSA) wc_FreeRsaKey(&key->k.rsa);
    wc_FreeRng(&key->rng);
    explicit_bzero(key, sizeof(*key));
    free(key);
}

#define _DEFAULT_SOURCE /* explicit_bzero: zeroing the compiler may not elide */
#include "posix_keys.h"

#include <stdlib.h>
#include <string.h>

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

void tcu_host_key_free(tcu_host_key *key) {
    if (key == NULL) return;
    if (key->type == TCU_HOST_KEY_EC) wc_ecc_free(&key->k.ecc);
    if (key->type == TCU_HOST_KEY_RSA) wc_FreeRsaKey(&key->k.rsa);
    wc_FreeRng(&key->rng);
    explicit_bzero(key, sizeof(*key));
    free(key);
}

/* ECDSA verification for the connection's ECC verify callback (included by CWolfSSL.h).
 *
 * With an ECC verify callback set, wolfSSL hands every ECDSA signature of a handshake to it: those
 * of the server's certificates, the TLS 1.3 CertificateVerify, a TLS 1.2 ServerKeyExchange. This
 * verifies each exactly as wolfSSL does without a callback (wc_EccPublicKeyDecode, then
 * wc_ecc_verify_hash). The one rule it adds, for the TLS 1.3 CertificateVerify only: RFC 8446 4.2.3
 * makes each ECDSA scheme name the curve and the hash together (ecdsa_secp256r1_sha256,
 * ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512), and wolfSSL 5.5 checks only that the scheme is
 * ECDSA: a P-256 server key signing as ecdsa_secp384r1_sha384 was accepted (Tests/Hostile,
 * cv-label-p384). The digest's length tells the hash the scheme named. */
#ifndef TCU_ECC_VERIFY_H
#define TCU_ECC_VERIFY_H

#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/asn_public.h>

/* What tcu_ecc_verify answers when the digest's hash is not the one the key's curve fixes. */
#define TCU_ECC_SCHEME_MISMATCH (-2035)

/* The digest length a TLS 1.3 ECDSA scheme uses with a key of `curve_bytes` (P-256, P-384, P-521). */
static inline int tcu_tls13_ecdsa_digest_length(int curve_bytes) {
    switch (curve_bytes) {
    case 32: return 32;
    case 48: return 48;
    case 66: return 64;
    default: return -1;
    }
}

/* Verifies `signature` (DER ECDSA-Sig-Value) over `digest` with `key_der` (the key as wolfSSL gives
 * the callback: a SubjectPublicKeyInfo). With `tls13_certificate_verify`, first requires the digest
 * to be the hash the key's curve fixes. Returns 0 with *valid set (1 valid, 0 not), a negative
 * wolfCrypt error, or TCU_ECC_SCHEME_MISMATCH. */
static inline int tcu_ecc_verify(const unsigned char *signature, unsigned int signature_length,
                                 const unsigned char *digest, unsigned int digest_length,
                                 const unsigned char *key_der, unsigned int key_length,
                                 int tls13_certificate_verify, int *valid) {
#ifdef HAVE_ECC
    ecc_key key;
    word32 index = 0;
    int status;
    if (valid == 0 || signature == 0 || digest == 0 || key_der == 0) return BAD_FUNC_ARG;
    *valid = 0;
    status = wc_ecc_init(&key);
    if (status != 0) return status;
    status = wc_EccPublicKeyDecode(key_der, &index, &key, key_length);
    if (status == 0 && tls13_certificate_verify &&
        (int)digest_length != tcu_tls13_ecdsa_digest_length(wc_ecc_size(&key))) {
        status = TCU_ECC_SCHEME_MISMATCH;
    }
    if (status == 0) status = wc_ecc_verify_hash(signature, signature_length, digest, digest_length, valid, &key);
    wc_ecc_free(&key);
    return status;
#else
    (void)signature; (void)signature_length; (void)digest; (void)digest_length;
    (void)key_der; (void)key_length; (void)tls13_certificate_verify; (void)valid;
    return NOT_COMPILED_IN;
#endif
}

#endif

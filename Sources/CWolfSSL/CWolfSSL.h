/* Shim over wolfSSL for Swift.
 * The configuration must come first: every other wolfSSL header reads it. */
#ifndef CWOLFSSL_H
#define CWOLFSSL_H

#ifdef WOLFSSL_USER_SETTINGS
/* A bare-metal build: the configuration is the board's user_settings.h. */
#include <wolfssl/wolfcrypt/settings.h>
#else
/* Debian's libwolfssl: the configuration it was built with. */
#include <wolfssl/options.h>
#endif
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include "tcu_session_format.h"
#include "tcu_ecc_verify.h"

/* With WOLFSSL_SMALL_CERT_VERIFY, wolfSSL 5.5 lets a date or name error found while parsing a
 * peer certificate replace a failed signature check (internal.c, ProcessPeerCertParse), and the
 * core sets date errors aside for its own validator: a forged certificate would pass. */
#if defined(WOLFSSL_SMALL_CERT_VERIFY)
#error "TCULink cannot run over a wolfSSL built with WOLFSSL_SMALL_CERT_VERIFY (a signature failure can be masked)"
#endif

/* 1 when wolfSSL lets a CA certificate in a peer's chain fail with "no signer" without failing
 * the handshake (WOLFSSL_ALT_CERT_CHAINS: it is then skipped, never trusted). The offline
 * verifier (ServerChainVerifier) mirrors the handshake with it. */
static inline int tcu_wolfssl_alt_cert_chains(void) {
#ifdef WOLFSSL_ALT_CERT_CHAINS
    return 1;
#else
    return 0;
#endif
}

/* A certificate store for one connection, holding only the device's trust anchors.
 * wolfSSL adds every CA it verifies in a server's chain to the store it verifies with; on the
 * shared WOLFSSL_CTX that CA would then vouch for the next server that omits it. Attached to
 * one WOLFSSL, the store (and what wolfSSL adds to it) is freed with that connection.
 * It needs wolfSSL's OpenSSL compatibility layer (Debian's build has it): elsewhere
 * tcu_connection_store_new() answers NULL, and the core's path validator, which builds the
 * path only from what the server sent and the anchors, is what keeps a remembered CA out. */
/* 1 when this wolfSSL build has per-connection stores (tcu_connection_store_new answers). */
static inline int tcu_connection_store_supported(void) {
#if defined(OPENSSL_EXTRA) || defined(WOLFSSL_WPAS_SMALL)
    return 1;
#else
    return 0;
#endif
}

static inline void *tcu_connection_store_new(void) {
#if defined(OPENSSL_EXTRA) || defined(WOLFSSL_WPAS_SMALL)
    return wolfSSL_X509_STORE_new();
#else
    return 0;
#endif
}

/* Adds one anchor (DER). Loaded as the context's anchors are: not judged by the host's clock
 * (the path validator judges validity by the HAL clock). Returns WOLFSSL_SUCCESS or an error. */
static inline int tcu_connection_store_add_anchor(void *store, const unsigned char *der, long length) {
#if defined(OPENSSL_EXTRA) || defined(WOLFSSL_WPAS_SMALL)
    WOLFSSL_CERT_MANAGER *manager = ((WOLFSSL_X509_STORE *)store)->cm;
    return manager ? wolfSSL_CertManagerLoadCABuffer(manager, der, length, WOLFSSL_FILETYPE_ASN1) : BAD_FUNC_ARG;
#else
    (void)store; (void)der; (void)length;
    return NOT_COMPILED_IN;
#endif
}

/* Hands the store to the connection, which frees it. Returns WOLFSSL_SUCCESS or an error
 * (then the caller still owns the store). */
static inline int tcu_connection_store_attach(WOLFSSL *ssl, void *store) {
#if defined(OPENSSL_EXTRA) || defined(WOLFSSL_WPAS_SMALL)
    return wolfSSL_set0_verify_cert_store(ssl, (WOLFSSL_X509_STORE *)store);
#else
    (void)ssl; (void)store;
    return NOT_COMPILED_IN;
#endif
}

static inline void tcu_connection_store_free(void *store) {
#if defined(OPENSSL_EXTRA) || defined(WOLFSSL_WPAS_SMALL)
    wolfSSL_X509_STORE_free((WOLFSSL_X509_STORE *)store);
#else
    (void)store;
#endif
}

#endif

/* user_settings.h: wolfSSL inside the TCULink wasm module (scripts/targets/build-wasm2c).
 *
 * The core and wolfSSL are compiled together for wasm32 and translated to C by wasm2c, so
 * the module imports only the HAL (tcu_hal.h) and nothing of an operating system: no files,
 * no sockets, no clock or random source but the HAL's. Wasm is a 32-bit little-endian
 * machine whatever the host is: wasm2c's runtime maps it onto big-endian hosts.
 * The choices follow BoardSupport/MPC5748G/user_settings.h (the board this path is for);
 * what differs is marked WASM. */
#ifndef TCULINK_WASM2C_USER_SETTINGS_H
#define TCULINK_WASM2C_USER_SETTINGS_H

/* ---- Platform ---- */
#define WOLFSSL_GENERAL_ALIGNMENT 4
#if defined(__wasm32__)
#define SIZEOF_LONG 4            /* WASM: wasm32 is ILP32 (the native benchmark build lets wolfSSL detect it) */
#define SIZEOF_LONG_LONG 8
#endif
#define SINGLE_THREADED          /* one thread drives every client of the module */
#define NO_FILESYSTEM            /* certificates come from the key store HAL */
#define NO_WRITEV
#define WOLFSSL_NO_SOCK          /* REQUIRED: I/O goes through the transport HAL ... */
#define WOLFSSL_USER_IO          /* ... via wolfSSL_CTX_SetIORecv/SetIOSend */
#define WOLFSSL_IGNORE_FILE_WARN
#define NO_DEV_RANDOM
#define NO_MAIN_DRIVER
#define NO_WOLFSSL_SERVER        /* the TCU is only ever a client */
#define WOLFSSL_NO_ASM           /* WASM: portable C only */
#define WOLFSSL_SMALL_STACK
#define SMALL_SESSION_CACHE
#define GCM_TABLE_4BIT
#define RSA_MAX_SIZE 4096
#define NO_ERROR_STRINGS         /* the core has its own reasons and texts */

/* ---- Time and entropy: the HAL's, through the module's imports (wasm_side.c) ---- */
#define USER_TIME                /* REQUIRED: wolfSSL calls time_t XTIME(time_t *) = HAL wall clock */
#define HAVE_TIME_T_TYPE         /* wasi-libc has time_t and struct tm ... */
#define HAVE_TM_TYPE
#include <time.h>                /* ... which wolfSSL does not include itself on this path */
#define XTIME_MS(unused) tcu_wasm_xtime_ms(unused) /* ticket ages: the HAL's monotonic clock */
long long tcu_wasm_xtime_ms(void *unused);
#define HAVE_HASHDRBG
#define CUSTOM_RAND_GENERATE_SEED tcu_wasm_entropy_seed
int tcu_wasm_entropy_seed(unsigned char *output, unsigned int size);

/* ---- Math: the same as the board ---- */
#define WOLFSSL_SP_MATH_ALL
#define WOLFSSL_SP_SMALL
#define WOLFSSL_HAVE_SP_ECC
#define SP_WORD_SIZE 32
#define SP_INT_BITS 4096

/* ---- TLS ---- */
#define WOLFSSL_TLS13            /* REQUIRED */
#define NO_OLD_TLS
#define HAVE_TLS_EXTENSIONS
#define HAVE_SUPPORTED_CURVES
#define HAVE_SNI                 /* REQUIRED */
#define HAVE_SESSION_TICKET      /* REQUIRED */
#define HAVE_MAX_FRAGMENT
#define HAVE_EXTENDED_MASTER
#define HAVE_ENCRYPT_THEN_MAC
#define HAVE_HKDF

/* ---- What the core relies on ---- */
#define HAVE_PK_CALLBACKS        /* REQUIRED: the private key stays behind keystore_sign */
#define WOLFSSL_ALWAYS_VERIFY_CB /* REQUIRED: the verify callback sees every certificate ... */
#define WOLFSSL_VERIFY_CB_ALL_CERTS /* ... not only failing ones */
#define KEEP_PEER_CERT
#define HAVE_EXT_CACHE           /* REQUIRED: wolfSSL_d2i_SSL_SESSION, to resume a saved session */
#define SESSION_CERTS

/* ---- Crypto ---- */
#define HAVE_ECC
#define ECC_TIMING_RESISTANT
#define ECC_USER_CURVES
#define HAVE_ECC384
#define HAVE_AESGCM
#define WOLFSSL_SHA384
#define WOLFSSL_SHA512
#define WC_RSA_PSS
#define WC_RSA_BLINDING
#define NO_DSA
#define NO_RC4
#define NO_MD4
#define NO_DES3
#define NO_PSK
#define NO_DH
#define NO_MD5
#define NO_PWDBASED

#endif

/* user_settings.h: wolfSSL's configuration for bare-metal builds of the TCULink core.
 *
 * Used by scripts/targets/build-embedded to compile the core for armv7em-none-none-eabi and
 * riscv32-none-none-eabi against wolfSSL's headers, the way firmware compiles wolfSSL
 * itself. Boards refine it (BoardSupport/<Board>/user_settings.h); what the core needs
 * from wolfSSL is marked REQUIRED.
 */
#ifndef TCULINK_USER_SETTINGS_H
#define TCULINK_USER_SETTINGS_H

/* ---- Platform ---- */
#define WOLFSSL_GENERAL_ALIGNMENT 4
#define SINGLE_THREADED          /* a super-loop or one RTOS task drives the client */
#define NO_FILESYSTEM            /* certificates come from the key store HAL */
#define NO_WRITEV
#define WOLFSSL_NO_SOCK          /* REQUIRED: I/O goes through the transport HAL ... */
#define WOLFSSL_USER_IO          /* ... via wolfSSL_CTX_SetIORecv/SetIOSend */
#define WOLFSSL_IGNORE_FILE_WARN
#define NO_DEV_RANDOM
#define NO_MAIN_DRIVER
#define WOLFSSL_SMALL_STACK      /* MCU stacks are small: big buffers on the heap */

/* ---- Time: the board's clock decides ---- */
#define USER_TIME                /* REQUIRED on boards: XTIME bound to the HAL clock in the board port */

/* ---- RNG: seeded from the HAL entropy (HSM TRNG) ---- */
#define HAVE_HASHDRBG
/* A board defines CUSTOM_RAND_GENERATE_BLOCK to its TRNG function in its own user_settings.h. */

/* ---- TLS ---- */
#define WOLFSSL_TLS13            /* REQUIRED: TLS 1.3 by default */
#define HAVE_TLS_EXTENSIONS
#define HAVE_SUPPORTED_CURVES
#define HAVE_SNI                 /* REQUIRED: SNI for the backend name */
#define HAVE_SESSION_TICKET      /* REQUIRED: tickets prove acceptance in TLS 1.3 and allow resumption */
#define HAVE_MAX_FRAGMENT        /* smaller records: less RAM */
#define HAVE_EXTENDED_MASTER
#define HAVE_ENCRYPT_THEN_MAC
#define NO_OLD_TLS
#define WOLFSSL_NO_TLS12_IF_UNUSED_PLACEHOLDER

/* ---- Verification hooks the core relies on ---- */
#define HAVE_PK_CALLBACKS        /* REQUIRED: the private key stays in the key store */
#define WOLFSSL_ALWAYS_VERIFY_CB /* REQUIRED: the verify callback sees every certificate ... */
#define WOLFSSL_VERIFY_CB_ALL_CERTS /* ... not only failing ones */
#define KEEP_PEER_CERT

/* ---- Crypto: P-256, SHA-256, AES-GCM; RSA for RSA backends ---- */
#define HAVE_ECC
#define ECC_TIMING_RESISTANT
#define HAVE_AESGCM
#define WOLFSSL_SHA384
#define WC_RSA_PSS
#define WC_RSA_BLINDING
#define HAVE_HKDF
#define WOLFSSL_SP_MATH_ALL
#define WOLFSSL_SP_SMALL
#define NO_DSA
#define NO_RC4
#define NO_MD4
#define NO_DES3
#define NO_PSK
#define NO_DH

#endif

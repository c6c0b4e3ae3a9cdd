/* user_settings.h: wolfSSL 5.5.4 for the NXP MPC5748G (e200z4, 32-bit, big-endian, no OS
 * filesystem), as a TLS 1.3/1.2 *client* with a P-256 device key kept out of wolfSSL.
 *
 * Compiled with -DWOLFSSL_USER_SETTINGS and this folder on the include path. The same file builds
 * the big-endian PowerPC wolfSSL the host tests run under qemu-ppc (scripts/targets/build-wolfssl-cross);
 * it needs no host-only deviation. Options follow BoardSupport/Embedded/user_settings.h (what the
 * TCULink core REQUIRES) and add the chip's choices. */
#ifndef TCU_MPC5748G_USER_SETTINGS_H
#define TCU_MPC5748G_USER_SETTINGS_H

/* ---- Platform ---- */
/* The e200 cores are big-endian. wolfSSL also detects it from the compiler, but the board states
 * it, and refuses a little-endian compiler rather than produce silently wrong hashes. */
#define BIG_ENDIAN_ORDER
#if defined(__BYTE_ORDER__) && (__BYTE_ORDER__ != __ORDER_BIG_ENDIAN__)
#error "user_settings.h is for the big-endian MPC5748G; this compiler targets little-endian"
#endif
#define WOLFSSL_GENERAL_ALIGNMENT 4 /* the HSM and the e200 load/store words on 4-byte boundaries */
#define SIZEOF_LONG 4
#define SIZEOF_LONG_LONG 8
#define SINGLE_THREADED          /* one task (or the super-loop) drives the client */
#define NO_FILESYSTEM            /* certificates come from the key store HAL (data flash) */
#define NO_WRITEV
#define WOLFSSL_NO_SOCK          /* REQUIRED: no BSD sockets in wolfSSL: I/O goes through the ... */
#define WOLFSSL_USER_IO          /* ... transport HAL (lwIP) via wolfSSL_CTX_SetIORecv/SetIOSend */
#define WOLFSSL_IGNORE_FILE_WARN /* misc.c is included inline, not compiled alone */
#define NO_DEV_RANDOM            /* no /dev/random: the seed is the HSM TRNG (below) */
#define NO_MAIN_DRIVER
#define NO_WOLFSSL_SERVER        /* the TCU is only ever a client: less code */
#define WOLFSSL_NO_ASM           /* portable C: the PowerPC assembly in sp_int.c is not VLE */

/* ---- Memory: the stack is small, the heap is counted ---- */
#define WOLFSSL_SMALL_STACK      /* large temporaries on the heap, not on a task's 4-8 KB stack */
#define SMALL_SESSION_CACHE      /* 6 sessions instead of 33: the client resumes one backend */
#define GCM_TABLE_4BIT           /* 256-byte GHASH table per key (GCM_TABLE would be 4 KB) */
#define RSA_MAX_SIZE 4096        /* verify RSA server chains up to 4096-bit */

/* ---- Time: XTIME is bound to the board's RTC clock (board_clock.c) ---- */
#define USER_TIME                /* REQUIRED on boards: wolfSSL calls time_t XTIME(time_t *) */
/* TLS 1.3 ticket ages in milliseconds: wall time when set (tickets outlive a reboot), else uptime. */
extern long long tcu_mpc_xtime_ms(void *unused);
#define XTIME_MS(unused) tcu_mpc_xtime_ms(unused)
#define HAVE_TIME_T_TYPE         /* the toolchain's libc (newlib) has time_t and struct tm */
#define HAVE_TM_TYPE
#include <time.h>              /* ... which wolfSSL does not include itself on this path */

/* ---- RNG: Hash-DRBG seeded from the HSM TRNG (board_entropy.c) ---- */
#define HAVE_HASHDRBG
extern int tcu_mpc_trng_seed(unsigned char *output, unsigned int size);
#define CUSTOM_RAND_GENERATE_SEED tcu_mpc_trng_seed

/* ---- Math: small code, no heap growth with key size ---- */
#define WOLFSSL_SP_MATH_ALL      /* sp_int for RSA verify and the generic curves */
#define WOLFSSL_SP_SMALL         /* smallest SP code: flash matters more than speed here */
#define WOLFSSL_HAVE_SP_ECC      /* fixed-size P-256 (sp_c32.c): faster and constant-time */
#define SP_WORD_SIZE 32
#define SP_INT_BITS 4096         /* RSA_MAX_SIZE: the largest RSA key verified */

/* ---- TLS ---- */
#define WOLFSSL_TLS13            /* REQUIRED: TLS 1.3 by default; TLS 1.2 stays on for older backends */
#define NO_OLD_TLS               /* no TLS 1.0/1.1 */
#define HAVE_TLS_EXTENSIONS
#define HAVE_SUPPORTED_CURVES
#define HAVE_SNI                 /* REQUIRED: SNI for the backend name (AWS IoT Core needs it) */
#define HAVE_SESSION_TICKET      /* REQUIRED: tickets prove acceptance in TLS 1.3 and allow resumption */
#define HAVE_MAX_FRAGMENT        /* ask for 1-4 KB records: see the RAM estimate below */
#define HAVE_EXTENDED_MASTER     /* TLS 1.2 resumption without the triple-handshake weakness */
#define HAVE_ENCRYPT_THEN_MAC
#define HAVE_HKDF                /* TLS 1.3 key schedule */

/* ---- Keeping the device key out of wolfSSL ---- */
#define HAVE_PK_CALLBACKS        /* REQUIRED: signatures go to keystore_sign (HSM-wrapped key or SE050) */
#define WOLFSSL_ALWAYS_VERIFY_CB /* REQUIRED: the verify callback sees every certificate ... */
#define WOLFSSL_VERIFY_CB_ALL_CERTS /* ... not only failing ones */
#define KEEP_PEER_CERT

/* ---- Crypto: P-256, SHA-256, AES-GCM; RSA verify for RSA server chains ---- */
#define HAVE_ECC
#define ECC_TIMING_RESISTANT     /* the device key is used in software: constant-time scalar mult */
#define ECC_USER_CURVES          /* only the curves below */
#define HAVE_ECC384              /* P-384 server chains and ECDHE offers */
#define HAVE_AESGCM
#define WOLFSSL_SHA384           /* TLS_AES_256_GCM_SHA384 and ecdsa-with-SHA384 CA signatures */
#define WOLFSSL_SHA512
#define WC_RSA_PSS               /* RSA-PSS signatures from TLS 1.3 servers with RSA keys */
#define WC_RSA_BLINDING
#define NO_DSA
#define NO_RC4
#define NO_MD4
#define NO_DES3
#define NO_PSK
#define NO_DH                    /* ECDHE only */
#define NO_MD5                   /* neither TLS 1.2 without old TLS nor TLS 1.3 uses it */
#define NO_PWDBASED              /* no password-encrypted keys: the key is wrapped by the HSM */

/* ---- RAM per connection (measured with this file on 32-bit big-endian PowerPC under qemu by
 * scripts/bench; not yet on the chip; see README) ----
 *   a full TLS 1.3 mutual-TLS handshake:   20.5 KB peak heap (the same with max fragment length 1024:
 *                                          the handshake's records are small, the peak is the crypto's)
 *   records of up to 16 KB afterwards:     up to ~16.7 KB more for the input buffer, which max fragment
 *                                          length avoids when the server honours it
 * Not every server honours MFL (TLS 1.3 servers may ignore it; record_size_limit is the newer
 * extension), so budget ~40 KB unless the backend is known. */

#endif

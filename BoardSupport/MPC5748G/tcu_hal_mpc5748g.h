/**
 * @file tcu_hal_mpc5748g.h
 * @brief tcu_hal.h for the NXP MPC5748G: HSM-wrapped P-256 device key, lwIP transport, RTC clock,
 * HSM TRNG entropy, and a power-loss-safe persistent store in data flash.
 *
 * The firmware initializes the SDK drivers it owns (HSM_DRV_Init, FLASH_DRV_Init, lwIP with
 * LWIP_TCPIP_CORE_LOCKING, the RTC) and then calls tcu_mpc5748g_init(). The board keeps no
 * pointers into the caller's memory except `config->secure_element`.
 *
 * Key store: the HSM has SHE AES-128 slots but no ECC, so the P-256 key is generated here
 * (wolfCrypt, DRBG seeded from the TRNG), stored in data flash only as a blob the HSM encrypted and
 * authenticated (the slot keys never leave it), unwrapped into RAM for one signature and zeroed at
 * once. Two wrap schemes (board_wrap.c): AES-128-GCM under `wrap_key`, which needs the extended SHE+
 * HSM firmware (checked at init), or AES-128-CBC under `wrap_key` then AES-CMAC under `mac_key`,
 * which plain SHE firmware has. A secure element (e.g. NXP SE050 through wolfSSL's SE050 port)
 * plugs in instead through tcu_mpc_key_backend.
 *
 * Sealed storage (keystore_seal/unseal, for the saved TLS session): the same wrap scheme and
 * slots, the caller's binding authenticated, at most TCU_MPC_SEAL_MAX bytes of
 * plaintext (board_seal.c). With a secure element the HSM still seals.
 *
 * Renewal (keystore_public_key ... keystore_commit, board_renewal.c): a pending key made and wrapped
 * as the device key is, and a pending chain, beside the current pair in the identity records;
 * keystore_commit retags pending -> current -> previous and writes the set in one flash commit, so a
 * power cut leaves the old pair or the new one. With a secure element the certificate is renewed,
 * the key is not (keystore_generate_key answers TCU_MPC_ERR_UNSUPPORTED).
 *
 * Certificates: keystore_certificate hands out pointers into the identity records' RAM image. They
 * keep their bytes until the next call that changes those records (the renewal entries above except
 * keystore_public_key and keystore_sign_pending, and tcu_mpc5748g_generate_key/import_wrapped_key/
 * set_certificates); after that they still point inside the image but may show other bytes. That is
 * less than tcu_hal.h's "valid until teardown": the core copies each certificate as it reads it.
 */
#ifndef TCU_HAL_MPC5748G_H
#define TCU_HAL_MPC5748G_H

#include <stddef.h>
#include <stdint.h>

#include "board_records.h"
#include "board_wolfssl.h"
#include "hsm_driver.h"
#include "lwip/ip_addr.h"
#include "tcu_hal.h"
#include "tcu_hal_mpc5748g_errors.h"
#include "board_config.h"

/** Size of an uncompressed P-256 public key (0x04 | X | Y). */
#define TCU_MPC_PUBLIC_KEY_SIZE 65U
/** Size of a wrapped key blob (see board_keystore.c for the layout). */
#define TCU_MPC_WRAPPED_KEY_SIZE 131U
/** The additional data area in front of a sealed blob's ciphertext (board_seal.c). */
#define TCU_MPC_SEAL_AAD_AREA 84U

/** A key store outside the HSM (a secure element). Each function returns 0 / a length, or negative. */
typedef struct tcu_mpc_key_backend {
    void *context;
    /** Creates the device key inside the element; writes its public key. */
    int (*generate)(void *context, uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE]);
    /** Writes the public key of the existing device key, or returns TCU_MPC_ERR_NO_KEY. */
    int (*public_key)(void *context, uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE]);
    /** ECDSA over `digest`; writes a DER ECDSA-Sig-Value. @return its length, or negative */
    int32_t (*sign_digest)(void *context, const uint8_t *digest, size_t length, uint8_t *der, size_t capacity);
} tcu_mpc_key_backend;

/** How the HSM wraps the device key and seals (board_wrap.c). */
typedef enum {
    TCU_MPC_WRAP_GCM = 0,     /**< AES-128-GCM under wrap_key; needs the SHE+ HSM firmware (0x01010000) */
    TCU_MPC_WRAP_CBC_CMAC = 1 /**< AES-128-CBC under wrap_key, then AES-CMAC under mac_key; any SHE firmware */
} tcu_mpc_wrap_scheme;

typedef struct {
    hsm_key_id_t wrap_key;                       /**< SHE slot (KEY_1..KEY_20) holding the wrapping key */
    tcu_mpc_wrap_scheme wrap_scheme;             /**< TCU_MPC_WRAP_GCM (default) or TCU_MPC_WRAP_CBC_CMAC */
    hsm_key_id_t mac_key;                        /**< CBC_CMAC only: another SHE slot, a CMAC key (KEY_USAGE set) */
    const tcu_mpc_key_backend *secure_element;   /**< NULL: HSM-wrapped key in data flash */
    tcu_mpc_flash_block store_blocks[2];         /**< the persistent slots' two blocks */
    tcu_mpc_flash_block identity_blocks[2];      /**< the wrapped key and certificates' two blocks */
} tcu_mpc5748g_config;

typedef struct tcu_mpc5748g {
    tcu_mpc5748g_config config;
    /* transport */
    int socket;
    int phase;                 /* board_transport.c: idle, resolving, connecting, connected */
    volatile int dns_answer;   /* written by lwIP's DNS callback (tcpip thread) */
    ip_addr_t dns_address;
    char dns_name[256];        /* the name being resolved: a late answer for an earlier name is ignored */
    uint16_t port;
    int last_failure;
    /* clock */
    int wall_set;
    int64_t wall_base_seconds; /* unix time at rtc_base */
    uint64_t rtc_base;
    uint64_t rtc_ticks;        /* the RTC counter extended to 64 bits */
    uint32_t rtc_last;
    uint64_t ms_ticks;         /* OSIF milliseconds extended to 64 bits */
    uint32_t ms_last;
    /* crypto */
    WC_RNG rng;
    int rng_ready;
    /* flash */
    tcu_mpc_records store;
    tcu_mpc_records identity;
    uint32_t store_image[TCU_MPC_STORE_IMAGE_MAX / 4];       /* uint32_t: word-aligned for the flash driver */
    uint32_t identity_image[TCU_MPC_IDENTITY_IMAGE_MAX / 4];
    /* sealed storage: the HSM's word-aligned buffers; seal_plain is zeroed after every command. The
     * frame is the additional data (a fixed area, for the CMAC) then the ciphertext; both leave room
     * for CBC's padding block. */
    uint32_t seal_plain[(TCU_MPC_SEAL_MAX + 16U) / 4];
    uint32_t seal_frame[(TCU_MPC_SEAL_AAD_AREA + TCU_MPC_SEAL_MAX + 16U) / 4];
} tcu_mpc5748g;

/** Fills `config` with the defaults of board_config.h, wrap_key = HSM_KEY_1, wrap_scheme =
 *  TCU_MPC_WRAP_GCM and mac_key = HSM_KEY_2 (used only with TCU_MPC_WRAP_CBC_CMAC). */
void tcu_mpc5748g_default_config(tcu_mpc5748g_config *config);

/** Checks that the HSM firmware has the wrap scheme's commands, opens the flash records, seeds the
 *  DRBG from the TRNG and fills `table`.
 *  @return 0, or a TCU_MPC_ERR_* code (the table is then left empty): TCU_MPC_ERR_HSM_FIRMWARE for
 *          TCU_MPC_WRAP_GCM on a firmware other than SHE+ */
int tcu_mpc5748g_init(tcu_mpc5748g *board, tcu_hal *table, const tcu_mpc5748g_config *config);

/** Closes the socket, frees the DRBG and zeroes the board's state. */
void tcu_mpc5748g_deinit(tcu_mpc5748g *board);

/** Enrollment: creates the P-256 device key and writes its public key (for the CSR).
 *  @param replace  0 refuses (TCU_MPC_ERR_EXISTS) when a key exists */
int tcu_mpc5748g_generate_key(tcu_mpc5748g *board, uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE], int replace);

/** The device key's public key, without unwrapping the private key. */
int tcu_mpc5748g_public_key(tcu_mpc5748g *board, uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE]);

/** Copies the wrapped key blob (for backup or a factory transfer; useless without the HSM slot). */
int tcu_mpc5748g_export_wrapped_key(tcu_mpc5748g *board, uint8_t *blob, size_t capacity, size_t *length);

/** Stores a wrapped key blob after the HSM has authenticated it (a tampered blob is refused). */
int tcu_mpc5748g_import_wrapped_key(tcu_mpc5748g *board, const uint8_t *blob, size_t length);

/** Provisioning: replaces certificate set TCU_CERTS_* with `count` DER certificates (leaf first). */
int tcu_mpc5748g_set_certificates(tcu_mpc5748g *board, int set, const uint8_t *const ders[], const size_t lengths[],
                                  size_t count);

/** The wall time has been learned (GNSS, the vehicle gateway, a trusted server): the clock is set. */
void tcu_mpc5748g_clock_set(tcu_mpc5748g *board, int64_t unix_seconds);

/** wolfSSL's seed source (CUSTOM_RAND_GENERATE_SEED in user_settings.h): the HSM TRNG. */
int tcu_mpc_trng_seed(unsigned char *output, unsigned int size);

#endif

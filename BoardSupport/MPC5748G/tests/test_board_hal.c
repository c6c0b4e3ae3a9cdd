/* test_board_hal.c: the MPC5748G board HAL driven through tcu_hal.h against the SDK fakes.
 *
 *   test_board_hal [ARTIFACT_DIR]
 * With ARTIFACT_DIR it writes pub.der (SubjectPublicKeyInfo), msg.bin, sig.der and
 * msg-altered.bin for `openssl dgst -sha256 -verify` (scripts/targets/test-mpc5748g runs it), and
 * the same four files prefixed renewed- for the key that a renewal with rekey made current.
 * Build with -DTCU_EXPECT_BIG_ENDIAN for the PowerPC run: the byte order is then asserted.
 * Prints one line per check and "N passed, M failed"; exits 1 when any failed. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "board_bytes.h"
#include "board_crc32.h"
#include "board_flash_cache.h"
#include "board_internal.h"
#include "device_registers.h"
#include "fake_clock_control.h"
#include "fake_flash_control.h"
#include "fake_hsm_control.h"
#include "fake_lwip_control.h"
#include "fake_sdk.h"
#include "lwip/dns.h"
#include "tcu_hal_mpc5748g.h"
#include <wolfssl/wolfcrypt/sha256.h>

static int passed, failed;

#define CHECK(condition, ...)                                                                      \
    do {                                                                                           \
        if (condition) {                                                                           \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static const uint8_t wrap_key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                     0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
static const uint8_t mac_key[16] = {0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe,
                                    0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x82};
static hsm_state_t hsm_state;
static tcu_mpc5748g board;
static tcu_hal hal;
/* The wrap scheme the tests boot with: the key store and sealing tests run under both, CBC + CMAC
 * on a plain SHE firmware (which refuses GCM). */
static tcu_mpc_wrap_scheme scheme = TCU_MPC_WRAP_GCM;

/* A fresh chip: blank flash, provisioned HSM slots KEY_1 (encryption, `slot_flags`) and KEY_2 (CMAC),
 * the firmware the scheme needs, drivers initialized as firmware does. */
static void fresh_device(uint32_t slot_flags) {
    fake_flash_reset();
    fake_hsm_reset();
    CHECK(fake_hsm_provision_key(HSM_KEY_1, wrap_key, slot_flags) == STATUS_SUCCESS, "provision KEY_1");
    CHECK(fake_hsm_provision_key(HSM_KEY_2, mac_key, FAKE_SHE_KEY_USAGE) == STATUS_SUCCESS, "provision KEY_2");
    fake_hsm_set_firmware(scheme == TCU_MPC_WRAP_GCM ? FAKE_HSM_FW_SHE_PLUS : FAKE_HSM_FW_SHE);
    HSM_DRV_Init(&hsm_state);
    FLASH_DRV_Init();
    /* lwIP up with DHCP off: the firmware sets the DNS server itself (README, "lwIP"). */
    fake_lwip_reset();
    ip_addr_t server;
    ipaddr_aton("10.0.0.53", &server);
    dns_setserver(0, &server);
}

static int boot(void) {
    tcu_mpc5748g_config config;
    tcu_mpc5748g_default_config(&config);
    config.wrap_scheme = scheme;
    return tcu_mpc5748g_init(&board, &hal, &config);
}

/* Power back after a cut: the flash comes out of reset locked, the board is re-initialized. */
static int reboot(void) {
    tcu_mpc5748g_deinit(&board);
    fake_flash_power_on();
    FLASH_DRV_Init();
    return boot();
}

static void test_byte_order(void) {
    const uint16_t probe = 0x0102;
    int big = ((const uint8_t *)&probe)[0] == 0x01;
    printf("byte order: %s-endian, %zu-bit pointers\n", big ? "big" : "little", sizeof(void *) * 8);
#ifdef TCU_EXPECT_BIG_ENDIAN
    CHECK(big, "this build must run big-endian");
#ifndef BIG_ENDIAN_ORDER
    CHECK(0, "wolfSSL was not configured big-endian");
#endif
#else
    CHECK(!big, "the native build runs little-endian");
#endif
    uint8_t out[4];
    tcu_mpc_put_u32(out, 0x11223344U);
    CHECK(out[0] == 0x11 && out[3] == 0x44 && tcu_mpc_get_u32(out) == 0x11223344U, "explicit big-endian u32");
    CHECK(tcu_mpc_crc32(0, (const uint8_t *)"123456789", 9) == 0xCBF43926U, "CRC-32 check value");
}

static void test_init_refuses_bad_config(void) {
    fresh_device(0);
    tcu_mpc5748g_config config;
    tcu_mpc5748g_default_config(&config);
    config.wrap_key = HSM_RAM_KEY;
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == TCU_MPC_ERR_ARGUMENT, "RAM_KEY refused as wrapping slot");
    CHECK(hal.keystore_sign == NULL, "table left empty on failure");
    config.wrap_key = HSM_MASTER_ECU;
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == TCU_MPC_ERR_ARGUMENT, "MASTER_ECU refused as wrapping slot");
    CHECK(tcu_mpc5748g_init(NULL, &hal, &config) == TCU_MPC_ERR_ARGUMENT, "NULL board refused");
    CHECK(boot() == 0, "init with defaults");
    CHECK(tcu_hal_missing_function(&hal) == 0, "every HAL function set");
    tcu_mpc5748g_deinit(&board);
}

static void sha256(const char *text, uint8_t digest[32]) { wc_Sha256Hash((const byte *)text, (word32)strlen(text), digest); }

static int verify(const uint8_t public_key[65], const uint8_t *digest, const uint8_t *der, size_t der_length) {
    ecc_key key;
    int valid = 0;
    wc_ecc_init(&key);
    if (wc_ecc_import_x963_ex(public_key, 65, &key, ECC_SECP256R1) != 0 ||
        wc_ecc_verify_hash(der, (word32)der_length, digest, 32, &valid, &key) != 0)
        valid = 0;
    wc_ecc_free(&key);
    return valid;
}

static void write_file(const char *dir, const char *name, const uint8_t *data, size_t length) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "wb");
    CHECK(file != NULL && fwrite(data, 1, length, file) == length, "write %s", path);
    if (file != NULL) fclose(file);
}

/* SubjectPublicKeyInfo for id-ecPublicKey / prime256v1 is a fixed prefix and the point. */
static const uint8_t spki_prefix[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

static void test_key_lifecycle(const char *artifacts) {
    fresh_device(0);
    CHECK(boot() == 0, "boot");
    uint8_t public_key[65], again[65], digest[32], der[80];
    CHECK(tcu_mpc5748g_public_key(&board, public_key) == TCU_MPC_ERR_NO_KEY, "no key before enrollment");
    sha256("before", digest);
    CHECK(hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, TCU_HASH_SHA256, digest, 32, der, sizeof der) ==
              TCU_MPC_ERR_NO_KEY, "sign without a key refused");

    unsigned trng_before = fake_hsm_trng_calls();
    CHECK(tcu_mpc5748g_generate_key(&board, public_key, 0) == 0, "generate the device key");
    CHECK(public_key[0] == 0x04, "uncompressed public key");
    CHECK(fake_hsm_trng_calls() > trng_before, "the wrap IV came from the TRNG");
    CHECK(tcu_mpc5748g_generate_key(&board, again, 0) == TCU_MPC_ERR_EXISTS, "no silent replacement");
    CHECK(tcu_mpc5748g_public_key(&board, again) == 0 && memcmp(again, public_key, 65) == 0, "public key kept");

    /* The private scalar is not in flash in the clear: search the identity blocks for the public
     * key (it is there, authenticated) and check the blob holds 32 ciphertext bytes, not zeros. */
    uint8_t blob[TCU_MPC_WRAPPED_KEY_SIZE];
    size_t blob_length = 0;
    CHECK(tcu_mpc5748g_export_wrapped_key(&board, blob, sizeof blob, &blob_length) == 0 &&
              blob_length == TCU_MPC_WRAPPED_KEY_SIZE, "export the wrapped key");
    uint32_t slots = scheme == TCU_MPC_WRAP_GCM ? HSM_KEY_1 : (uint32_t)HSM_KEY_2 << 16 | HSM_KEY_1;
    CHECK(blob[0] == (scheme == TCU_MPC_WRAP_GCM ? 1 : 2) && blob[1] == 1 && tcu_mpc_get_u32(blob + 2) == slots,
          "blob header: the scheme's version and slots");

    const char *message = "TCULink MPC5748G board HAL: a P-256 signature for OpenSSL";
    sha256(message, digest);
    int32_t length = hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, TCU_HASH_SHA256, digest, 32, der, sizeof der);
    CHECK(length > 8 && length <= 72 && der[0] == 0x30, "ECDSA signature in DER (%d)", (int)length);
    CHECK(length > 0 && verify(public_key, digest, der, (size_t)length), "signature verifies (wolfCrypt)");
    uint8_t other[32];
    sha256("another message", other);
    CHECK(length > 0 && !verify(public_key, other, der, (size_t)length), "signature does not verify another message");

    if (artifacts != NULL && length > 0) {
        uint8_t spki[26 + 65];
        memcpy(spki, spki_prefix, 26);
        memcpy(spki + 26, public_key, 65);
        write_file(artifacts, "pub.der", spki, sizeof spki);
        write_file(artifacts, "msg.bin", (const uint8_t *)message, strlen(message));
        write_file(artifacts, "msg-altered.bin", (const uint8_t *)message, strlen(message) - 1);
        write_file(artifacts, "sig.der", der, (size_t)length);
    }

    /* Reboot: the key is read back from flash and still signs. */
    CHECK(reboot() == 0, "reboot");
    CHECK(tcu_mpc5748g_public_key(&board, again) == 0 && memcmp(again, public_key, 65) == 0, "key survives reboot");
    length = hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, TCU_HASH_SHA256, digest, 32, der, sizeof der);
    CHECK(length > 0 && verify(public_key, digest, der, (size_t)length), "signs after reboot");

    /* Round trip: import of the exported blob is accepted (the HSM authenticates it). */
    CHECK(tcu_mpc5748g_import_wrapped_key(&board, blob, blob_length) == 0, "wrap/unwrap round trip");

    /* One flipped bit anywhere in the blob: refused, and the stored key is unchanged. */
    int refused = 0, tampered = 0;
    for (size_t bit = 0; bit < blob_length * 8; bit++) {
        blob[bit / 8] ^= (uint8_t)(1U << (bit % 8));
        int status = tcu_mpc5748g_import_wrapped_key(&board, blob, blob_length);
        blob[bit / 8] ^= (uint8_t)(1U << (bit % 8));
        refused += status == TCU_MPC_ERR_KEY_TAMPERED || status == TCU_MPC_ERR_FORMAT;
        tampered += status == TCU_MPC_ERR_KEY_TAMPERED;
    }
    CHECK(refused == (int)blob_length * 8, "every one-bit change refused (%d of %d)", refused, (int)blob_length * 8);
    CHECK(tampered >= (int)(blob_length - 6) * 8, "all but the version/slot fields fail authentication (%d)", tampered);
    printf("flipped-bit blobs refused: %d of %d (%d by the GCM tag)\n", refused, (int)blob_length * 8, tampered);
    CHECK(tcu_mpc5748g_public_key(&board, again) == 0 && memcmp(again, public_key, 65) == 0, "stored key unchanged");

    /* An attacker who rewrites the flash record (with a correct CRC) gets no signature. */
    const uint8_t *stored;
    size_t stored_length;
    CHECK(tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_WRAPPED_KEY, 0, &stored, &stored_length) == 0, "find");
    uint8_t altered[TCU_MPC_WRAPPED_KEY_SIZE];
    memcpy(altered, stored, sizeof altered);
    altered[90] ^= 0x01; /* one bit of the encrypted scalar */
    tcu_mpc_records_remove(&board.identity, TCU_MPC_TAG_WRAPPED_KEY);
    tcu_mpc_records_append(&board.identity, TCU_MPC_TAG_WRAPPED_KEY, altered, sizeof altered);
    CHECK(tcu_mpc_records_commit(&board.identity) == 0, "attacker's record committed");
    CHECK(reboot() == 0, "reboot");
    memset(der, 0x55, sizeof der);
    CHECK(hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, TCU_HASH_SHA256, digest, 32, der, sizeof der) ==
              TCU_MPC_ERR_KEY_TAMPERED, "tampered key in flash refused");
    CHECK(der[0] == 0x55 && der[79] == 0x55, "no output written");
    CHECK(tcu_mpc5748g_import_wrapped_key(&board, blob, blob_length) == 0, "restore the good blob");
    length = hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, TCU_HASH_SHA256, digest, 32, der, sizeof der);
    CHECK(length > 0 && verify(public_key, digest, der, (size_t)length), "restored key signs");

    /* Bad requests get specific codes. */
    CHECK(hal.keystore_sign(hal.context, TCU_SIGN_RSA_PKCS1, 0, digest, 32, der, sizeof der) == TCU_MPC_ERR_UNSUPPORTED,
          "RSA PKCS#1 unsupported");
    CHECK(hal.keystore_sign(hal.context, TCU_SIGN_RSA_PSS, 0, digest, 32, der, sizeof der) == TCU_MPC_ERR_UNSUPPORTED,
          "RSA-PSS unsupported");
    CHECK(hal.keystore_sign(hal.context, 9, 0, digest, 32, der, sizeof der) == TCU_MPC_ERR_ARGUMENT, "unknown request");
    CHECK(hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, 0, NULL, 32, der, sizeof der) == TCU_MPC_ERR_ARGUMENT, "NULL digest");
    CHECK(hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, 0, digest, 0, der, sizeof der) == TCU_MPC_ERR_ARGUMENT, "empty digest");
    CHECK(hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, 0, digest, 65, der, sizeof der) == TCU_MPC_ERR_ARGUMENT, "long digest");
    CHECK(hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, 0, digest, 32, der, 8) == TCU_MPC_ERR_TOO_SMALL, "small output");
    CHECK(tcu_mpc5748g_import_wrapped_key(&board, blob, 130) == TCU_MPC_ERR_FORMAT, "short blob");
    size_t small = 0;
    CHECK(tcu_mpc5748g_export_wrapped_key(&board, blob, 10, &small) == TCU_MPC_ERR_TOO_SMALL, "export into a small buffer");
    tcu_mpc5748g_deinit(&board);
}

/* Sealed storage (keystore_seal/unseal): the saved TLS session at rest, bound to the device. */
static void test_sealed_storage(void) {
    fresh_device(0);
    CHECK(boot() == 0, "boot");
    uint8_t binding[32], other_binding[32];
    sha256("device leaf certificate", binding);
    sha256("another leaf certificate", other_binding);
    uint8_t secret[300];
    for (size_t i = 0; i < sizeof secret; i++) secret[i] = (uint8_t)(i * 7U + 1U);
    uint8_t sealed[300 + TCU_SEAL_OVERHEAD_MAX], opened[400];
    int32_t length = hal.keystore_seal(hal.context, binding, 32, secret, sizeof secret, sealed, sizeof sealed);
    CHECK(length > (int32_t)sizeof secret && length <= (int32_t)(sizeof secret + TCU_SEAL_OVERHEAD_MAX),
          "seal (%d bytes)", (int)length);
    if (length <= 0) { tcu_mpc5748g_deinit(&board); return; }
    size_t blob_length = (size_t)length;
    int clear_inside = 0;
    for (size_t at = 0; at + 16 <= blob_length; at++) clear_inside |= memcmp(sealed + at, secret, 16) == 0;
    CHECK(!clear_inside, "the plaintext does not appear in the blob");
    CHECK(hal.keystore_unseal(hal.context, binding, 32, sealed, blob_length, opened, sizeof opened) ==
              (int32_t)sizeof secret && memcmp(opened, secret, sizeof secret) == 0,
          "seal/unseal round trip");
    uint8_t again[300 + TCU_SEAL_OVERHEAD_MAX];
    CHECK(hal.keystore_seal(hal.context, binding, 32, secret, sizeof secret, again, sizeof again) == length &&
              memcmp(again, sealed, blob_length) != 0,
          "a fresh IV per seal");

    /* Another binding (another certificate): refused, nothing of the plaintext written. */
    memset(opened, 0xAA, sizeof opened);
    CHECK(hal.keystore_unseal(hal.context, other_binding, 32, sealed, blob_length, opened, sizeof opened) ==
              TCU_SEAL_ERR_REJECTED,
          "wrong binding refused");
    int untouched = 1;
    for (size_t i = 0; i < sizeof secret; i++) untouched &= opened[i] == 0xAA;
    CHECK(untouched, "a refused blob writes no plaintext");
    CHECK(hal.keystore_unseal(hal.context, binding, 31, sealed, blob_length, opened, sizeof opened) ==
              TCU_SEAL_ERR_REJECTED,
          "a shortened binding refused");

    /* Every single-bit flip anywhere in the blob: refused. */
    int refused = 0;
    for (size_t bit = 0; bit < blob_length * 8; bit++) {
        sealed[bit / 8] ^= (uint8_t)(1U << (bit % 8));
        refused += hal.keystore_unseal(hal.context, binding, 32, sealed, blob_length, opened, sizeof opened) ==
                   TCU_SEAL_ERR_REJECTED;
        sealed[bit / 8] ^= (uint8_t)(1U << (bit % 8));
    }
    CHECK(refused == (int)blob_length * 8, "every one-bit change refused (%d of %d)", refused, (int)blob_length * 8);
    printf("flipped-bit sealed blobs refused: %d of %d\n", refused, (int)blob_length * 8);
    CHECK(hal.keystore_unseal(hal.context, binding, 32, sealed, blob_length - 1, opened, sizeof opened) ==
              TCU_SEAL_ERR_REJECTED,
          "a truncated blob refused");

    /* The wrapped device key is not a sealed blob, and the other way round (one slot, two purposes). */
    uint8_t public_key[65], wrapped[TCU_MPC_WRAPPED_KEY_SIZE];
    size_t wrapped_length = 0;
    CHECK(tcu_mpc5748g_generate_key(&board, public_key, 0) == 0 &&
              tcu_mpc5748g_export_wrapped_key(&board, wrapped, sizeof wrapped, &wrapped_length) == 0,
          "a wrapped device key");
    CHECK(hal.keystore_unseal(hal.context, binding, 32, wrapped, wrapped_length, opened, sizeof opened) ==
              TCU_SEAL_ERR_REJECTED,
          "a wrapped key blob does not unseal");
    CHECK(tcu_mpc5748g_import_wrapped_key(&board, sealed, blob_length) == TCU_MPC_ERR_FORMAT,
          "a sealed blob is not a wrapped key");

    /* Limits and failures. */
    CHECK(hal.keystore_unseal(hal.context, binding, 32, sealed, blob_length, opened, 10) == TCU_SEAL_ERR_TOO_SMALL,
          "small unseal output");
    CHECK(hal.keystore_seal(hal.context, binding, 32, secret, sizeof secret, again, 40) == TCU_SEAL_ERR_TOO_SMALL,
          "small seal output");
    CHECK(hal.keystore_seal(hal.context, NULL, 32, secret, sizeof secret, again, sizeof again) == TCU_SEAL_ERR_FAILED,
          "NULL binding");
    CHECK(hal.keystore_seal(hal.context, binding, 65, secret, sizeof secret, again, sizeof again) ==
              TCU_SEAL_ERR_FAILED,
          "binding longer than 64 bytes");
    CHECK(hal.keystore_seal(hal.context, binding, 32, secret, 0, again, sizeof again) == TCU_SEAL_ERR_FAILED,
          "empty plaintext");
    static uint8_t big[TCU_MPC_SEAL_MAX + 1], big_out[TCU_MPC_SEAL_MAX + 1 + TCU_SEAL_OVERHEAD_MAX];
    CHECK(hal.keystore_seal(hal.context, binding, 32, big, sizeof big, big_out, sizeof big_out) == TCU_SEAL_ERR_FAILED,
          "more than TCU_MPC_SEAL_MAX refused");
    size_t padding = scheme == TCU_MPC_WRAP_GCM ? 0 : 16; /* CBC: a whole block of PKCS#7 padding */
    CHECK(hal.keystore_seal(hal.context, binding, 32, big, TCU_MPC_SEAL_MAX, big_out, sizeof big_out) ==
              (int32_t)(TCU_MPC_SEAL_MAX + padding + 34),
          "TCU_MPC_SEAL_MAX sealed");
    fake_hsm_fail_trng(1000);
    CHECK(hal.keystore_seal(hal.context, binding, 32, secret, sizeof secret, again, sizeof again) ==
              TCU_SEAL_ERR_FAILED,
          "no seal without a fresh IV (TRNG failed)");
    fake_hsm_fail_trng(0);
    int zeroed = 1;
    for (size_t i = 0; i < TCU_MPC_SEAL_MAX / 4; i++) zeroed &= board.seal_plain[i] == 0;
    CHECK(zeroed, "the board's plaintext buffer is zero after use");
    tcu_mpc5748g_deinit(&board);

    /* Another device (another HSM key in the slot): the blob does not unseal. */
    static const uint8_t other_key[16] = {0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe,
                                          0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81};
    fake_flash_reset();
    fake_hsm_reset();
    CHECK(fake_hsm_provision_key(HSM_KEY_1, other_key, 0) == STATUS_SUCCESS &&
              fake_hsm_provision_key(HSM_KEY_2, other_key, FAKE_SHE_KEY_USAGE) == STATUS_SUCCESS,
          "provision another device's KEY_1 and KEY_2");
    HSM_DRV_Init(&hsm_state);
    FLASH_DRV_Init();
    CHECK(boot() == 0, "boot the other device");
    CHECK(hal.keystore_unseal(hal.context, binding, 32, sealed, blob_length, opened, sizeof opened) ==
              TCU_SEAL_ERR_REJECTED,
          "another device's HSM key refuses the blob");
    tcu_mpc5748g_deinit(&board);
}

static void test_slot_rules(void) {
    uint8_t public_key[65];
    fresh_device(FAKE_SHE_KEY_USAGE); /* a CMAC key: the HSM refuses it for GCM */
    CHECK(boot() == 0, "boot");
    CHECK(tcu_mpc5748g_generate_key(&board, public_key, 0) == TCU_MPC_ERR_HSM, "MAC-usage slot refused");
    CHECK(tcu_mpc5748g_public_key(&board, public_key) == TCU_MPC_ERR_NO_KEY, "nothing stored after the failure");
    tcu_mpc5748g_deinit(&board);

    fake_flash_reset();
    fake_hsm_reset();
    HSM_DRV_Init(&hsm_state);
    CHECK(boot() == 0, "boot with an empty slot");
    CHECK(tcu_mpc5748g_generate_key(&board, public_key, 0) == TCU_MPC_ERR_HSM, "empty slot refused");
    tcu_mpc5748g_deinit(&board);

    fresh_device(FAKE_SHE_WRITE_PROTECTION | FAKE_SHE_BOOT_PROTECTION);
    CHECK(fake_hsm_provision_key(HSM_KEY_1, wrap_key, 0) == STATUS_SEC_KEY_WRITE_PROTECTED, "write-protected slot kept");
    CHECK(boot() == 0, "boot");
    CHECK(tcu_mpc5748g_generate_key(&board, public_key, 0) == 0, "generate under a boot-protected slot");
    fake_hsm_set_boot_failed(true);
    uint8_t digest[32] = {1}, der[80];
    CHECK(hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, 0, digest, 32, der, sizeof der) == TCU_MPC_ERR_HSM,
          "no signature after a failed secure boot");
    fake_hsm_set_boot_failed(false);
    CHECK(hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, 0, digest, 32, der, sizeof der) > 0, "signs again");
    tcu_mpc5748g_deinit(&board);
}

/* Issue 20: GCM is an extended command, which only the SHE+ HSM firmware has. Init finds out which
 * firmware runs; CBC + CMAC (SHE commands, two slots) works on either. */
static void test_hsm_firmware(void) {
    tcu_mpc5748g_config config;
    tcu_mpc5748g_default_config(&config);
    fresh_device(0);
    fake_hsm_set_firmware(FAKE_HSM_FW_SHE);
    HSM_DRV_Init(&hsm_state);
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == TCU_MPC_ERR_HSM_FIRMWARE,
          "GCM refused at init on a plain SHE firmware (TCU_MPC_ERR_HSM_FIRMWARE)");
    CHECK(hal.keystore_sign == NULL, "the table left empty");
    unsigned before = fake_sdk_violations();
    uint32_t iv[3] = {0}, data[4] = {0}, tag[4];
    printf("(a contract violation is provoked on purpose next)\n");
    CHECK(HSM_DRV_EncryptGCM(HSM_KEY_1, 12, (const uint8_t *)iv, 0, NULL, 16, (const uint8_t *)data, (uint8_t *)data,
                             16, (uint8_t *)tag, 10) == STATUS_SEC_INVALID_COMMAND &&
              fake_sdk_violations() == before + 1,
          "the fake HSM refuses GCM on plain SHE firmware, as the driver asserts");
    fake_sdk_reset_violations();

    /* The SDK's HSM_DRV_GetFwVersion answers STATUS_SUCCESS even when the HSM did not reply in time
     * (and may write the version later, so the board must not pass a stack variable: the fake
     * counts that as a violation). No version is an HSM failure, not "plain SHE". */
    fake_hsm_set_firmware(FAKE_HSM_FW_SHE_PLUS);
    fake_hsm_set_version_silent(true);
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == TCU_MPC_ERR_HSM && fake_sdk_violations() == 0,
          "GCM: an HSM that does not tell its firmware version in time fails init with TCU_MPC_ERR_HSM");
    fake_hsm_set_version_silent(false);
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == 0 && fake_sdk_violations() == 0,
          "GCM accepted on SHE+ firmware, the version read into a buffer that outlives the call");
    tcu_mpc5748g_deinit(&board);
    fake_hsm_set_firmware(FAKE_HSM_FW_SHE);

    config.wrap_scheme = TCU_MPC_WRAP_CBC_CMAC;
    config.mac_key = HSM_KEY_1;
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == TCU_MPC_ERR_ARGUMENT, "CBC + CMAC needs a second slot");
    config.mac_key = HSM_RAM_KEY;
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == TCU_MPC_ERR_ARGUMENT, "the MAC slot is a non-volatile one");
    config.mac_key = HSM_KEY_2;
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == 0, "CBC + CMAC accepted on a plain SHE firmware");
    uint8_t public_key[65], digest[32], der[80], sealed[64 + TCU_SEAL_OVERHEAD_MAX], opened[64];
    sha256("plain SHE", digest);
    CHECK(tcu_mpc5748g_generate_key(&board, public_key, 0) == 0, "a key wrapped with CBC + CMAC");
    int32_t length = hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, TCU_HASH_SHA256, digest, 32, der, sizeof der);
    CHECK(length > 0 && verify(public_key, digest, der, (size_t)length), "and it signs");
    length = hal.keystore_seal(hal.context, digest, 32, (const uint8_t *)"session", 7, sealed, sizeof sealed);
    CHECK(length == 18 + 16 + 16 && hal.keystore_unseal(hal.context, digest, 32, sealed, (size_t)length, opened,
                                                        sizeof opened) == 7 && memcmp(opened, "session", 7) == 0,
          "seal and unseal with CBC + CMAC (one padded block)");
    tcu_mpc5748g_deinit(&board);

    /* The roles of the slots are the HSM's to enforce: KEY_2 is a CMAC key, not an encryption key. */
    config.wrap_key = HSM_KEY_2;
    config.mac_key = HSM_KEY_1;
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == 0 &&
              tcu_mpc5748g_generate_key(&board, public_key, 1) == TCU_MPC_ERR_HSM,
          "swapped slots: the HSM refuses the CMAC key for encryption");
    tcu_mpc5748g_deinit(&board);

    /* A key wrapped under one scheme is refused by name under the other (after a configuration change). */
    config.wrap_key = HSM_KEY_1;
    config.mac_key = HSM_KEY_2;
    config.wrap_scheme = TCU_MPC_WRAP_GCM;
    fresh_device(0); /* the scheme of the suite: here GCM on SHE+ */
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == 0 && tcu_mpc5748g_generate_key(&board, public_key, 0) == 0,
          "a GCM-wrapped key on SHE+");
    tcu_mpc5748g_deinit(&board);
    config.wrap_scheme = TCU_MPC_WRAP_CBC_CMAC;
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == 0 &&
              hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, 0, digest, 32, der, sizeof der) == TCU_MPC_ERR_FORMAT,
          "the GCM blob is refused under CBC + CMAC (its version)");
    tcu_mpc5748g_deinit(&board);
}

/* The fake's CMAC is RFC 4493's (examples 1 and 2): the CBC + CMAC tests rest on it. */
static void test_fake_cmac(void) {
    fake_hsm_reset();
    CHECK(fake_hsm_provision_key(HSM_KEY_3, wrap_key, FAKE_SHE_KEY_USAGE) == STATUS_SUCCESS, "provision a CMAC key");
    HSM_DRV_Init(&hsm_state);
    static const uint8_t expected_empty[16] = {0xbb, 0x1d, 0x69, 0x29, 0xe9, 0x59, 0x37, 0x28,
                                               0x7f, 0xa3, 0x7d, 0x12, 0x9b, 0x75, 0x67, 0x46};
    static const uint8_t expected_block[16] = {0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44,
                                               0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a, 0x28, 0x7c};
    uint32_t message[4], mac[4];
    memcpy(message, "\x6b\xc1\xbe\xe2\x2e\x40\x9f\x96\xe9\x3d\x7e\x11\x73\x93\x17\x2a", 16);
    CHECK(HSM_DRV_GenerateMAC(HSM_KEY_3, (const uint8_t *)message, 0, (uint8_t *)mac, 10) == STATUS_SUCCESS &&
              memcmp(mac, expected_empty, 16) == 0,
          "CMAC of the empty message");
    bool valid = false;
    CHECK(HSM_DRV_GenerateMAC(HSM_KEY_3, (const uint8_t *)message, 128, (uint8_t *)mac, 10) == STATUS_SUCCESS &&
              memcmp(mac, expected_block, 16) == 0 &&
              HSM_DRV_VerifyMAC(HSM_KEY_3, (const uint8_t *)message, 128, (const uint8_t *)mac, 0, &valid, 10) ==
                  STATUS_SUCCESS && valid,
          "CMAC of one block, verified");
    ((uint8_t *)mac)[15] ^= 1;
    CHECK(HSM_DRV_VerifyMAC(HSM_KEY_3, (const uint8_t *)message, 128, (const uint8_t *)mac, 0, &valid, 10) ==
              STATUS_SUCCESS && !valid,
          "a changed MAC does not verify");
}

static void test_entropy(void) {
    fresh_device(0);
    CHECK(boot() == 0, "boot");
    uint8_t a[37], b[37], zero[37] = {0};
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK(hal.entropy_fill(hal.context, a, sizeof a) == 0 && hal.entropy_fill(hal.context, b, sizeof b) == 0, "fill");
    CHECK(memcmp(a, zero, sizeof a) != 0 && memcmp(a, b, sizeof a) != 0, "fresh bytes each time");
    fake_hsm_fail_trng(1);
    CHECK(hal.entropy_fill(hal.context, a, sizeof a) == TCU_MPC_ERR_ENTROPY, "TRNG failure reported");
    CHECK(hal.entropy_fill(hal.context, a, 0) == 0, "zero bytes");
    CHECK(hal.entropy_fill(hal.context, NULL, 4) == TCU_MPC_ERR_ARGUMENT, "NULL buffer");
    tcu_mpc5748g_deinit(&board);
#ifdef WOLFSSL_USER_SETTINGS
    /* The board's wolfSSL seeds its DRBG from the TRNG (CUSTOM_RAND_GENERATE_SEED). */
    unsigned before = fake_hsm_trng_calls();
    CHECK(boot() == 0 && fake_hsm_trng_calls() > before, "DRBG seeded from the HSM TRNG");
    tcu_mpc5748g_deinit(&board);
    fake_hsm_fail_trng(1000);
    CHECK(boot() == TCU_MPC_ERR_ENTROPY, "init fails when the TRNG fails");
    fake_hsm_fail_trng(0);
#else
    printf("note: native build uses Debian's wolfSSL, which seeds from the OS; the TRNG seed is checked in the cross build\n");
#endif
}

static void test_clock(void) {
    fresh_device(0);
    fake_rtc_registers.RTCCNT = 1000;
    fake_osif_set_ms(0xFFFFFF00U);
    CHECK(boot() == 0, "boot");
    int64_t now = 0;
    CHECK(hal.clock_wall_time(hal.context, &now) == 1, "not set at boot");
    tcu_mpc5748g_clock_set(&board, 1700000000);
    CHECK(hal.clock_wall_time(hal.context, &now) == 0 && now == 1700000000, "set");
    fake_rtc_registers.RTCCNT += 20; /* 10 s at 2 Hz */
    CHECK(hal.clock_wall_time(hal.context, &now) == 0 && now == 1700000010, "advances with the RTC (%lld)", (long long)now);
    fake_rtc_registers.RTCCNT = 0xFFFFFFF0U;
    tcu_mpc5748g_clock_set(&board, 1800000000);
    fake_rtc_registers.RTCCNT = 0x10U; /* wrapped: 0x20 ticks later */
    CHECK(hal.clock_wall_time(hal.context, &now) == 0 && now == 1800000016, "survives the counter wrap (%lld)", (long long)now);
    fake_rtc_registers.RTCC = 0;
    CHECK(hal.clock_wall_time(hal.context, &now) == 1, "a stopped RTC reads as not set");
    fake_rtc_registers.RTCC = RTC_RTCC_CNTEN_MASK;
    uint64_t first = hal.clock_monotonic_ms(hal.context);
    fake_osif_set_ms(0x100U); /* OSIF wrapped */
    uint64_t second = hal.clock_monotonic_ms(hal.context);
    CHECK(second == first + 0x200U, "monotonic across the 32-bit wrap");
    tcu_mpc5748g_deinit(&board);
}

static void test_store(void) {
    fresh_device(0);
    CHECK(boot() == 0, "boot");
    uint8_t buffer[64];
    CHECK(hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, sizeof buffer) == -1, "empty slot");
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, (const uint8_t *)"ticket-1", 8) == 0, "write");
    CHECK(hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, sizeof buffer) == 8 && memcmp(buffer, "ticket-1", 8) == 0,
          "read back");
    CHECK(hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, 4) == -2, "small buffer");
    CHECK(hal.store_read(hal.context, 7, buffer, sizeof buffer) == -2, "unknown slot read");
    CHECK(hal.store_write(hal.context, 0, buffer, 1) == TCU_MPC_ERR_ARGUMENT, "unknown slot write");
    CHECK(hal.store_write(hal.context, TCU_SLOT_ENROLLMENT_STATE, NULL, 3) == TCU_MPC_ERR_ARGUMENT, "NULL data");
    static uint8_t huge[TCU_MPC_STORE_IMAGE_MAX];
    CHECK(hal.store_write(hal.context, TCU_SLOT_ENROLLMENT_STATE, huge, sizeof huge) == TCU_MPC_ERR_FULL, "too big");
    CHECK(hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, sizeof buffer) == 8, "old value after the refusal");
    CHECK(hal.store_write(hal.context, TCU_SLOT_LAST_KNOWN_GOOD_TIME, (const uint8_t *)"\x00\x00\x00\x00\x65\x53\xf1\x00", 8) == 0,
          "second slot");

    /* The flash format is defined byte-wise: the header is the same bytes on any CPU. */
    const uint8_t *raw = fake_flash_raw(board.store.blocks[board.store.current].address, 16);
    uint8_t expected[12] = {'T', 'C', 'U', 'R'};
    tcu_mpc_put_u32(expected + 4, board.store.sequence);
    tcu_mpc_put_u32(expected + 8, (uint32_t)board.store.length);
    CHECK(board.store.sequence == 2 && memcmp(raw, expected, 12) == 0, "header bytes: magic, sequence 2, length");
    uint32_t crc = tcu_mpc_crc32(tcu_mpc_crc32(0, raw, 12), raw + 16, board.store.length);
    CHECK(tcu_mpc_get_u32(raw + 12) == crc, "header CRC, big-endian");

    /* The MQTT outbox: kilobytes beside the session, through a reboot. */
    static uint8_t outbox[4096], outbox_back[4096];
    for (size_t i = 0; i < sizeof outbox; i++) outbox[i] = (uint8_t)(i * 7);
    CHECK(hal.store_write(hal.context, TCU_SLOT_MQTT_OUTBOX, outbox, sizeof outbox) == 0, "4 KB MQTT outbox");

    CHECK(reboot() == 0, "reboot");
    CHECK(hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, sizeof buffer) == 8, "survives reboot");
    CHECK(hal.store_read(hal.context, TCU_SLOT_MQTT_OUTBOX, outbox_back, sizeof outbox_back) == (int32_t)sizeof outbox &&
              memcmp(outbox, outbox_back, sizeof outbox) == 0,
          "the outbox survives the reboot");
    CHECK(hal.store_erase(hal.context, TCU_SLOT_TLS_SESSION) == 0, "erase");
    CHECK(hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, sizeof buffer) == -1, "erased");
    CHECK(hal.store_erase(hal.context, TCU_SLOT_TLS_SESSION) == 0, "erase twice");
    CHECK(hal.store_read(hal.context, TCU_SLOT_LAST_KNOWN_GOOD_TIME, buffer, sizeof buffer) == 8, "other slot kept");
    tcu_mpc5748g_deinit(&board);
}

/* Power fails at every step of a write in turn; after each reboot the slot holds the old value
 * (the write failed) or the new one (it completed) and nothing else. */
static void test_power_loss(void) {
    static uint8_t old_value[600], new_value[700];
    memset(old_value, 'o', sizeof old_value);
    memset(new_value, 'n', sizeof new_value);
    uint8_t buffer[800];
    int interrupted = 0, completed = 0, wrong = 0;
    for (long cut = 0; cut < 100 && !completed; cut++) {
        fresh_device(0);
        if (boot() != 0 || hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, old_value, sizeof old_value) != 0) {
            wrong++;
            break;
        }
        fake_flash_cut_power_after(cut);
        int status = hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, new_value, sizeof new_value);
        int was_cut = fake_flash_powered_off();
        fake_flash_cut_power_after(-1); /* the cut belongs to this write only */
        if (reboot() != 0) {
            wrong++;
            continue;
        }
        int32_t length = hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, sizeof buffer);
        if (status != 0) {
            interrupted++;
            if (!was_cut || length != (int32_t)sizeof old_value || memcmp(buffer, old_value, sizeof old_value) != 0) {
                wrong++;
                printf("cut at step %ld: write %d, power cut %d, read %d\n", cut, status, was_cut, (int)length);
            }
        } else {
            completed = 1;
            if (length != (int32_t)sizeof new_value || memcmp(buffer, new_value, sizeof new_value) != 0) wrong++;
        }
        /* The device keeps working after the cut: the next write succeeds. */
        if (hal.store_write(hal.context, TCU_SLOT_ENROLLMENT_STATE, (const uint8_t *)"ok", 2) != 0 ||
            hal.store_read(hal.context, TCU_SLOT_ENROLLMENT_STATE, buffer, sizeof buffer) != 2)
            wrong++;
        tcu_mpc5748g_deinit(&board);
    }
    printf("power cut at each of %d steps of a store write: old value intact every time\n", interrupted);
    CHECK(interrupted >= 8, "the write was interrupted at every step (%d steps)", interrupted);
    CHECK(completed, "the uninterrupted write completes");
    CHECK(wrong == 0, "%d interrupted writes left something other than the old or new value", wrong);

    /* A cut that lands in the second write after the first has committed. */
    fresh_device(0);
    CHECK(boot() == 0, "boot");
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, old_value, 10) == 0, "v1");
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, new_value, 10) == 0, "v2");
    fake_flash_cut_power_after(0); /* erasing the block that held v1 */
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, old_value, 20) != 0, "v3 interrupted");
    CHECK(reboot() == 0, "reboot");
    CHECK(hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, sizeof buffer) == 10 && buffer[0] == 'n', "v2 read back");
    tcu_mpc5748g_deinit(&board);
}

/* The sequence number wraps from 0xFFFFFFFF to 0: the block holding 0 is the newer one. (A plain
 * `>` comparison read back the older value here.) */
static void test_sequence_wrap(void) {
    uint8_t buffer[16];
    fresh_device(0);
    CHECK(boot() == 0, "boot");
    board.store.sequence = 0xFFFFFFFEU; /* as if 2^32 - 2 writes had been made */
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, (const uint8_t *)"old", 3) == 0 &&
              board.store.sequence == 0xFFFFFFFFU, "write with sequence 0xFFFFFFFF");
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, (const uint8_t *)"new", 3) == 0 && board.store.sequence == 0U,
          "write with sequence 0 (wrapped)");
    CHECK(reboot() == 0, "reboot");
    CHECK(hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, sizeof buffer) == 3 && memcmp(buffer, "new", 3) == 0,
          "after the wrap the newest value is read back");
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, (const uint8_t *)"3rd", 3) == 0 && board.store.sequence == 1U,
          "the next write goes on from 0");
    CHECK(reboot() == 0 && hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, sizeof buffer) == 3 &&
              memcmp(buffer, "3rd", 3) == 0, "and is the newest after a reboot");
    tcu_mpc5748g_deinit(&board);
}

/* The flash fake enforces the rules the board depends on, so the tests above can fail. */
static void test_flash_fake_rules(void) {
    fake_flash_reset();
    uint32_t words[2] = {0x01020304U, 0x05060708U};
    flash_context_data_t context;
    flash_state_t state;
    CHECK(FLASH_DRV_Program(&context, 0x00F90000U, 8, TCU_MPC_ADDRESS(words)) == STATUS_SUCCESS, "start program");
    CHECK(FLASH_DRV_CheckProgramStatus(&context, &state) == STATUS_ERROR, "locked block not programmed");
    uint32_t lock = 0;
    FLASH_DRV_GetLock(C55_BLOCK_MID, &lock);
    FLASH_DRV_SetLock(C55_BLOCK_MID, lock & ~0x1U);
    CHECK(FLASH_DRV_Program(&context, 0x00F90000U, 8, TCU_MPC_ADDRESS(words)) == STATUS_SUCCESS &&
              FLASH_DRV_CheckProgramStatus(&context, &state) == STATUS_SUCCESS, "program an erased double word");
    CHECK(FLASH_DRV_Program(&context, 0x00F90000U, 8, TCU_MPC_ADDRESS(words)) == STATUS_SUCCESS &&
              FLASH_DRV_CheckProgramStatus(&context, &state) == STATUS_ERROR && fake_flash_overprograms() == 1,
          "programming a programmed double word fails");
    flash_block_select_t select = {0, 0x1U, 0, 0, 0};
    status_t status = FLASH_DRV_Erase(ERS_OPT_MAIN_SPACE, &select);
    if (status == STATUS_SUCCESS) {
        do status = FLASH_DRV_CheckEraseStatus(&state);
        while (status == STATUS_FLASH_INPROGRESS);
    }
    CHECK(status == STATUS_SUCCESS && fake_flash_raw(0x00F90000U, 8)[0] == 0xFF, "erase sets 0xFF");

    /* A read through a pointer after a program: the data cache serves the old bytes until it is
     * invalidated; line buffers that were on during the program serve them even then, until they
     * are switched off. */
    CHECK(memcmp(TCU_MPC_FLASH_READ(0x00F90008U, 8), "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8) == 0, "erased, read");
    CHECK(FLASH_DRV_Program(&context, 0x00F90008U, 8, TCU_MPC_ADDRESS(words)) == STATUS_SUCCESS &&
              FLASH_DRV_CheckProgramStatus(&context, &state) == STATUS_SUCCESS && state == C55_OK,
          "program with the line buffers on");
    CHECK(TCU_MPC_FLASH_READ(0x00F90008U, 8)[0] == 0xFF, "the data cache still serves the erased bytes");
    tcu_mpc_dcache_invalidate(0x00F90008U, 8);
    CHECK(TCU_MPC_FLASH_READ(0x00F90008U, 8)[0] == 0xFF, "after the cache invalidation the line buffers still do");
    tcu_mpc_flash_buffers buffers;
    tcu_mpc_flash_buffers_off(&buffers);
    tcu_mpc_dcache_invalidate(0x00F90008U, 8);
    CHECK(memcmp(TCU_MPC_FLASH_READ(0x00F90008U, 8), words, 8) == 0,
          "line buffers off and the data cache invalidated again: the programmed bytes");
    CHECK(FLASH_DRV_Program(&context, 0x00F90010U, 8, TCU_MPC_ADDRESS(words)) == STATUS_SUCCESS &&
              FLASH_DRV_CheckProgramStatus(&context, &state) == STATUS_SUCCESS,
          "program with the line buffers off");
    tcu_mpc_flash_buffers_restore(&buffers);
    CHECK(TCU_MPC_FLASH_READ(0x00F90010U, 8)[0] == 0xFF, "the data cache serves the old bytes");
    tcu_mpc_dcache_invalidate(0x00F90010U, 8);
    CHECK(memcmp(TCU_MPC_FLASH_READ(0x00F90010U, 8), words, 8) == 0, "invalidated: the programmed bytes");

    unsigned before = fake_sdk_violations();
    printf("(a contract violation is provoked on purpose next)\n");
    CHECK(FLASH_DRV_Program(&context, 0x00F90004U, 8, TCU_MPC_ADDRESS(words)) == STATUS_ERROR &&
              fake_sdk_violations() == before + 1, "misaligned destination is a contract violation");
    fake_sdk_reset_violations();
}

/* Issue 20: what the board does around its erase and program (NXP's examples: the flash controller's
 * line buffers off, then restored; the data cache invalidated before reading back), and the
 * driver's opResult (STATUS_SUCCESS with an operation that did not finish). */
static void test_flash_read_path(void) {
    fresh_device(0);
    fake_pflash_registers.PFCR1 = 0x00003E15U; /* some wait states and prefetch bits besides BFEN */
    fake_pflash_registers.PFCR2 = 0x00003E11U;
    fake_pflash_registers.PFCR4 = 0x00000011U;
    CHECK(boot() == 0, "boot");
    uint8_t buffer[32];
    unsigned invalidations = fake_flash_dcache_invalidations();
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, (const uint8_t *)"version-1-value", 15) == 0,
          "a write reads back what it programmed (through the line buffers and the data cache)");
    CHECK(fake_flash_dcache_invalidations() > invalidations, "the data cache was invalidated before the read-back");
    CHECK(fake_pflash_registers.PFCR1 == 0x00003E15U && fake_pflash_registers.PFCR2 == 0x00003E11U &&
              fake_pflash_registers.PFCR4 == 0x00000011U,
          "the flash controller's configuration restored after the write");
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, (const uint8_t *)"version-2-value", 15) == 0,
          "a second write, into the other block");

    /* The erase of the block holding version 1 is suspended by another master: STATUS_SUCCESS, opResult
     * C55_ERS_SUS, nothing erased. Programming on would hit programmed double words. */
    unsigned overprograms = fake_flash_overprograms();
    fake_flash_report_unfinished(0);
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, (const uint8_t *)"version-3-value", 15) ==
              TCU_MPC_ERR_FLASH,
          "an erase that ended with opResult C55_ERS_SUS fails the write");
    CHECK(fake_flash_overprograms() == overprograms, "nothing was programmed over the block that was not erased");
    CHECK(hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, sizeof buffer) == 15 &&
              memcmp(buffer, "version-2-value", 15) == 0,
          "version 2 still read");

    /* Now the erase works and the payload's program is suspended: the header must not follow. */
    uint32_t target = board.store.blocks[board.store.current == 0 ? 1 : 0].address;
    fake_flash_report_unfinished(1);
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, (const uint8_t *)"version-3-value", 15) ==
              TCU_MPC_ERR_FLASH,
          "a program that ended with opResult C55_PGM_SUS fails the write");
    CHECK(memcmp(fake_flash_raw(target, 16), "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 16) == 0,
          "the write stopped there: no header was programmed after the unfinished payload");
    CHECK(reboot() == 0 && hal.store_read(hal.context, TCU_SLOT_TLS_SESSION, buffer, sizeof buffer) == 15 &&
              memcmp(buffer, "version-2-value", 15) == 0,
          "after a reboot version 2 is read");
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, (const uint8_t *)"version-3-value", 15) == 0,
          "the next write works");

    /* The data cache off (the SDK startup's default): nothing to invalidate, and the board does not try. */
    fake_flash_set_dcache(false);
    invalidations = fake_flash_dcache_invalidations();
    CHECK(hal.store_write(hal.context, TCU_SLOT_TLS_SESSION, (const uint8_t *)"version-4-value", 15) == 0 &&
              fake_flash_dcache_invalidations() == invalidations,
          "with the data cache off a write works without an invalidation");
    tcu_mpc5748g_deinit(&board);
}

static void test_certificates(void) {
    fresh_device(0);
    CHECK(boot() == 0, "boot");
    const uint8_t leaf[] = {0x30, 0x82, 0x01, 0x00, 0xAA}, intermediate[] = {0x30, 0x03, 0x02, 0x01, 0x05},
                  root[] = {0x30, 0x01, 0x00};
    const uint8_t *chain[] = {leaf, intermediate}, *anchors[] = {root};
    const size_t chain_lengths[] = {sizeof leaf, sizeof intermediate}, anchor_lengths[] = {sizeof root};
    CHECK(tcu_mpc5748g_set_certificates(&board, TCU_CERTS_DEVICE_CHAIN, chain, chain_lengths, 2) == 0, "chain");
    CHECK(tcu_mpc5748g_set_certificates(&board, TCU_CERTS_TRUST_ANCHORS, anchors, anchor_lengths, 1) == 0, "anchors");
    CHECK(tcu_mpc5748g_set_certificates(&board, 5, anchors, anchor_lengths, 1) == TCU_MPC_ERR_ARGUMENT, "unknown set");
    CHECK(reboot() == 0, "reboot");
    const uint8_t *der;
    size_t length;
    CHECK(hal.keystore_certificate(hal.context, TCU_CERTS_DEVICE_CHAIN, 0, &der, &length) == 0 && length == sizeof leaf &&
              memcmp(der, leaf, length) == 0, "leaf first");
    CHECK(hal.keystore_certificate(hal.context, TCU_CERTS_DEVICE_CHAIN, 1, &der, &length) == 0 &&
              length == sizeof intermediate && memcmp(der, intermediate, length) == 0, "then the intermediate");
    CHECK(hal.keystore_certificate(hal.context, TCU_CERTS_DEVICE_CHAIN, 2, &der, &length) == 1, "end of chain");
    CHECK(hal.keystore_certificate(hal.context, TCU_CERTS_TRUST_ANCHORS, 0, &der, &length) == 0 && length == sizeof root,
          "anchor");
    CHECK(hal.keystore_certificate(hal.context, 7, 0, &der, &length) == 1, "unknown set");
    tcu_mpc5748g_deinit(&board);
}

/* A secure element in place of the HSM-wrapped key: the HAL delegates to it. */
static int element_signs;
static int element_public(void *context, uint8_t public_key[65]) {
    (void)context;
    memset(public_key, 0x04, 65);
    return 0;
}
static int32_t element_sign(void *context, const uint8_t *digest, size_t length, uint8_t *der, size_t capacity) {
    (void)context;
    (void)digest;
    (void)length;
    element_signs++;
    if (capacity < 3) return TCU_MPC_ERR_TOO_SMALL;
    memcpy(der, "\x30\x01\x00", 3);
    return 3;
}

static void test_secure_element_hook(void) {
    fresh_device(0);
    tcu_mpc_key_backend element = {NULL, element_public, element_public, element_sign};
    tcu_mpc5748g_config config;
    tcu_mpc5748g_default_config(&config);
    config.secure_element = &element;
    CHECK(tcu_mpc5748g_init(&board, &hal, &config) == 0, "boot with a secure element");
    uint8_t digest[32] = {0}, der[80], public_key[65];
    CHECK(hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, 0, digest, 32, der, sizeof der) == 3 && element_signs == 1,
          "signature comes from the element");
    CHECK(tcu_mpc5748g_generate_key(&board, public_key, 0) == 0 && public_key[64] == 0x04, "generation in the element");
    /* Renewal with an element: the certificate, not the key (the backend has a single key). */
    uint8_t spki[91];
    CHECK(hal.keystore_generate_key(hal.context, TCU_KEY_EC_P256) == TCU_MPC_ERR_UNSUPPORTED, "no pending key in the element");
    CHECK(hal.keystore_public_key(hal.context, TCU_KEY_CURRENT, spki, sizeof spki) == 91 && spki[26] == 0x04 &&
              hal.keystore_public_key(hal.context, TCU_KEY_PENDING, spki, sizeof spki) == TCU_KEY_ERR_NONE,
          "the element's key is the current key; none pending");
    CHECK(hal.keystore_sign_pending(hal.context, TCU_SIGN_ECDSA, 0, digest, 32, der, sizeof der) == 3 && element_signs == 2,
          "sign_pending goes to the element");
    tcu_mpc5748g_deinit(&board);
}

/* ---- Renewal (keystore_public_key ... keystore_commit, board_renewal.c) ---- */

/* A stand-in certificate of `size` bytes (260..65535): SEQUENCE { SEQUENCE { [SPKI of `point`]
 * filler } }. The board looks only at the outer DER structure and, at a commit, for the key's SPKI
 * in the leaf; the core parses real certificates before it hands a chain over. */
static size_t make_cert(uint8_t *out, size_t size, const uint8_t *point, uint8_t fill) {
    out[0] = 0x30;
    out[1] = 0x82;
    tcu_mpc_put_u16(out + 2, (uint16_t)(size - 4));
    out[4] = 0x30;
    out[5] = 0x82;
    tcu_mpc_put_u16(out + 6, (uint16_t)(size - 8));
    size_t at = 8;
    if (point != NULL) {
        memcpy(out + at, spki_prefix, 26);
        memcpy(out + at + 26, point, 65);
        at += 91;
    }
    for (size_t i = 0; at < size; at++, i++) out[at] = (uint8_t)(fill ^ i);
    return size;
}

static int cert_is(int set, size_t index, const uint8_t *expected, size_t expected_length) {
    const uint8_t *der = NULL;
    size_t length = 0;
    return hal.keystore_certificate(hal.context, set, index, &der, &length) == 0 && length == expected_length &&
           memcmp(der, expected, length) == 0;
}

static int cert_absent(int set, size_t index) {
    const uint8_t *der = NULL;
    size_t length = 0;
    return hal.keystore_certificate(hal.context, set, index, &der, &length) == 1;
}

/* The point of TCU_KEY_* through keystore_public_key (checking the SPKI around it); 0 or the error. */
static int32_t key_point(int key, uint8_t point[65]) {
    uint8_t spki[128];
    int32_t length = hal.keystore_public_key(hal.context, key, spki, sizeof spki);
    if (length < 0) return length;
    if (length != 91 || memcmp(spki, spki_prefix, 26) != 0) return -1;
    memcpy(point, spki + 26, 65);
    return 0;
}

/* A signature through keystore_sign (pending = 0) or keystore_sign_pending verifies with `point`. */
static int signs_with(int pending, const uint8_t point[65]) {
    uint8_t digest[32], der[80];
    sha256(pending ? "renewal: proof of possession" : "renewal: handshake", digest);
    int32_t length = (pending ? hal.keystore_sign_pending : hal.keystore_sign)(hal.context, TCU_SIGN_ECDSA,
                                                                              TCU_HASH_SHA256, digest, 32, der, sizeof der);
    return length > 0 && verify(point, digest, der, (size_t)length);
}

/* The chains of the renewal tests: the provisioned one (for the current key) and a renewed one. */
static uint8_t old_leaf[700], old_ca[800], anchor[500], new_chain[700 + 800 + 1];
static size_t new_leaf_length, new_chain_length;

/* A device with a key, the old chain and an anchor. @return 1 when all of it worked */
static int provisioned_device(uint8_t current[65]) {
    fresh_device(0);
    if (boot() != 0 || tcu_mpc5748g_generate_key(&board, current, 0) != 0) return 0;
    make_cert(old_leaf, sizeof old_leaf, current, 'L');
    make_cert(old_ca, sizeof old_ca, NULL, 'C');
    make_cert(anchor, sizeof anchor, NULL, 'A');
    const uint8_t *chain[] = {old_leaf, old_ca}, *anchors[] = {anchor};
    const size_t chain_lengths[] = {sizeof old_leaf, sizeof old_ca}, anchor_lengths[] = {sizeof anchor};
    return tcu_mpc5748g_set_certificates(&board, TCU_CERTS_DEVICE_CHAIN, chain, chain_lengths, 2) == 0 &&
           tcu_mpc5748g_set_certificates(&board, TCU_CERTS_TRUST_ANCHORS, anchors, anchor_lengths, 1) == 0;
}

/* The renewed chain (leaf for `point`, then a CA certificate) into new_chain. */
static void renewed_chain(const uint8_t point[65]) {
    new_leaf_length = make_cert(new_chain, 700, point, 'N');
    new_chain_length = new_leaf_length + make_cert(new_chain + new_leaf_length, 800, NULL, 'D');
}

static int old_pair_current(const uint8_t current[65]) {
    uint8_t point[65];
    return key_point(TCU_KEY_CURRENT, point) == 0 && memcmp(point, current, 65) == 0 &&
           cert_is(TCU_CERTS_DEVICE_CHAIN, 0, old_leaf, sizeof old_leaf) &&
           cert_is(TCU_CERTS_DEVICE_CHAIN, 1, old_ca, sizeof old_ca) && cert_absent(TCU_CERTS_DEVICE_CHAIN, 2) &&
           signs_with(0, current);
}

static int new_pair_current(const uint8_t pending[65]) {
    uint8_t point[65];
    return key_point(TCU_KEY_CURRENT, point) == 0 && memcmp(point, pending, 65) == 0 &&
           cert_is(TCU_CERTS_DEVICE_CHAIN, 0, new_chain, new_leaf_length) &&
           cert_is(TCU_CERTS_DEVICE_CHAIN, 1, new_chain + new_leaf_length, new_chain_length - new_leaf_length) &&
           cert_absent(TCU_CERTS_DEVICE_CHAIN, 2) && signs_with(0, pending) &&
           key_point(TCU_KEY_PENDING, point) == TCU_KEY_ERR_NONE && cert_absent(TCU_CERTS_PENDING_CHAIN, 0);
}

static int pending_pair_intact(const uint8_t pending[65]) {
    uint8_t point[65];
    return key_point(TCU_KEY_PENDING, point) == 0 && memcmp(point, pending, 65) == 0 && signs_with(1, pending) &&
           cert_is(TCU_CERTS_PENDING_CHAIN, 0, new_chain, new_leaf_length) &&
           cert_is(TCU_CERTS_PENDING_CHAIN, 1, new_chain + new_leaf_length, new_chain_length - new_leaf_length) &&
           cert_absent(TCU_CERTS_PENDING_CHAIN, 2);
}

/* The whole renewal with rekey, as tcu_renew drives it, with reboots between the steps. */
static void test_renewal(const char *artifacts) {
    uint8_t current[65], pending[65], point[65], spki[128];
    CHECK(provisioned_device(current), "device with a key, a chain and an anchor");
    CHECK(tcu_hal_can_renew(&hal) == 1, "all five renewal entries set");

    CHECK(key_point(TCU_KEY_CURRENT, point) == 0 && memcmp(point, current, 65) == 0, "current key's SPKI");
    CHECK(key_point(TCU_KEY_PENDING, point) == TCU_KEY_ERR_NONE, "no pending key yet: TCU_KEY_ERR_NONE");
    CHECK(hal.keystore_public_key(hal.context, TCU_KEY_CURRENT, spki, 90) == TCU_MPC_ERR_TOO_SMALL, "small SPKI buffer");
    CHECK(hal.keystore_public_key(hal.context, 5, spki, sizeof spki) == TCU_MPC_ERR_ARGUMENT, "unknown key");
    CHECK(signs_with(1, current), "sign_pending without a pending key signs with the current key");
    uint32_t sequence = board.identity.sequence;
    CHECK(hal.keystore_commit(hal.context) == TCU_MPC_ERR_NO_PENDING && board.identity.sequence == sequence,
          "commit without a pending chain refused, nothing written");
    CHECK(old_pair_current(current), "old pair unchanged after the refused commit");

    /* 1. The pending key: made on the device from the TRNG, durable, beside the current one. */
    CHECK(hal.keystore_generate_key(hal.context, 7) == TCU_MPC_ERR_UNSUPPORTED, "unknown key kind refused");
    unsigned trng_before = fake_hsm_trng_calls();
    CHECK(hal.keystore_generate_key(hal.context, TCU_KEY_EC_P256) == 0, "generate the pending key");
    CHECK(fake_hsm_trng_calls() > trng_before, "its wrap IV came from the TRNG");
    CHECK(key_point(TCU_KEY_PENDING, pending) == 0 && pending[0] == 0x04, "pending key's SPKI");
    CHECK(memcmp(pending, current, 65) != 0, "the pending key is another key");
    CHECK(signs_with(1, pending) && !signs_with(1, current), "sign_pending signs with the pending key");
    CHECK(old_pair_current(current), "keystore_sign and the device chain still use the current pair");
    const uint8_t *blob;
    size_t blob_length;
    CHECK(tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PENDING_KEY, 0, &blob, &blob_length) == 0 &&
              blob_length == TCU_MPC_WRAPPED_KEY_SIZE && blob[0] == (scheme == TCU_MPC_WRAP_GCM ? 1 : 2) &&
              (tcu_mpc_get_u32(blob + 2) & 0xFFFFU) == HSM_KEY_1 && memcmp(blob + 18, pending, 65) == 0,
          "pending key stored as a wrapped blob under the same slot");
    CHECK(reboot() == 0, "reboot");
    CHECK(key_point(TCU_KEY_PENDING, point) == 0 && memcmp(point, pending, 65) == 0 && signs_with(1, pending),
          "the pending key survives a reboot and signs");

    /* 2. The renewed chain. Garbage is refused first, and leaves no pending chain. */
    renewed_chain(pending);
    static const uint8_t not_sequence[] = {0x31, 0x03, 0x30, 0x01, 0x00},
                         indefinite[] = {0x30, 0x80, 0x30, 0x00, 0x00, 0x00},
                         long_short[] = {0x30, 0x81, 0x03, 0x30, 0x01, 0x00},
                         three_bytes[] = {0x30, 0x83, 0x00, 0x00, 0x03, 0x30, 0x01, 0x00},
                         inner_not_sequence[] = {0x30, 0x03, 0x02, 0x01, 0x00}, empty_body[] = {0x30, 0x00},
                         one_byte[] = {0x30};
    uint8_t small_certs[6 * 5];
    for (size_t i = 0; i < 6; i++) memcpy(small_certs + 5 * i, "\x30\x03\x30\x01\x00", 5);
    struct { const uint8_t *data; size_t length; int expected; const char *what; } garbage[] = {
        {NULL, 5, TCU_MPC_ERR_ARGUMENT, "NULL chain"},
        {new_chain, 0, TCU_MPC_ERR_ARGUMENT, "empty chain"},
        {not_sequence, sizeof not_sequence, TCU_MPC_ERR_FORMAT, "not a SEQUENCE"},
        {indefinite, sizeof indefinite, TCU_MPC_ERR_FORMAT, "indefinite length (BER, not DER)"},
        {long_short, sizeof long_short, TCU_MPC_ERR_FORMAT, "long form for a short length (not DER)"},
        {three_bytes, sizeof three_bytes, TCU_MPC_ERR_FORMAT, "three length bytes"},
        {inner_not_sequence, sizeof inner_not_sequence, TCU_MPC_ERR_FORMAT, "content is not a TBSCertificate SEQUENCE"},
        {empty_body, sizeof empty_body, TCU_MPC_ERR_FORMAT, "empty SEQUENCE"},
        {one_byte, sizeof one_byte, TCU_MPC_ERR_FORMAT, "one byte"},
        {new_chain, new_chain_length - 1, TCU_MPC_ERR_FORMAT, "last certificate cut short"},
        {new_chain, new_chain_length + 1, TCU_MPC_ERR_FORMAT, "a byte after the last certificate"},
        {new_chain + 1, new_chain_length - 1, TCU_MPC_ERR_FORMAT, "starts inside a certificate"},
        {small_certs, 5 * (TCU_MPC_MAX_CERTS + 1), TCU_MPC_ERR_ARGUMENT, "more certificates than TCU_MPC_MAX_CERTS"},
    };
    new_chain[new_chain_length] = 0x00; /* the byte after the last certificate */
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        sequence = board.identity.sequence;
        int status = hal.keystore_store_pending_chain(hal.context, garbage[i].data, garbage[i].length);
        CHECK(status == garbage[i].expected && board.identity.sequence == sequence &&
                  cert_absent(TCU_CERTS_PENDING_CHAIN, 0),
              "garbage chain refused: %s (%d)", garbage[i].what, status);
    }
    CHECK(hal.keystore_store_pending_chain(hal.context, small_certs, 5 * TCU_MPC_MAX_CERTS) == 0 &&
              cert_is(TCU_CERTS_PENDING_CHAIN, TCU_MPC_MAX_CERTS - 1, small_certs, 5) &&
              cert_absent(TCU_CERTS_PENDING_CHAIN, TCU_MPC_MAX_CERTS),
          "TCU_MPC_MAX_CERTS certificates accepted");
    CHECK(hal.keystore_store_pending_chain(hal.context, new_chain, new_chain_length) == 0, "store the renewed chain");
    CHECK(pending_pair_intact(pending), "keystore_certificate(TCU_CERTS_PENDING_CHAIN) gives it, replacing the last one");
    CHECK(hal.keystore_store_pending_chain(hal.context, not_sequence, sizeof not_sequence) == TCU_MPC_ERR_FORMAT &&
              pending_pair_intact(pending),
          "a refused chain leaves the pending chain stored before");
    CHECK(old_pair_current(current), "the device chain is still the old one");
    CHECK(reboot() == 0, "reboot");
    CHECK(pending_pair_intact(pending) && old_pair_current(current), "pending pair and old pair survive a reboot");

    /* 3. Commit: one atomic swap; the old pair is kept as the previous one. */
    uint8_t old_blob[TCU_MPC_WRAPPED_KEY_SIZE];
    size_t old_blob_length = 0;
    CHECK(tcu_mpc5748g_export_wrapped_key(&board, old_blob, sizeof old_blob, &old_blob_length) == 0, "old blob");
    sequence = board.identity.sequence;
    CHECK(hal.keystore_commit(hal.context) == 0 && board.identity.sequence == sequence + 1U, "commit: one flash write");
    CHECK(new_pair_current(pending), "the new pair is current, nothing pending");
    CHECK(cert_is(TCU_CERTS_TRUST_ANCHORS, 0, anchor, sizeof anchor), "the anchor is kept");
    CHECK(tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PREVIOUS_KEY, 0, &blob, &blob_length) == 0 &&
              blob_length == old_blob_length && memcmp(blob, old_blob, blob_length) == 0,
          "the old key is kept as the previous key");
    const uint8_t *der;
    size_t der_length;
    CHECK(tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PREVIOUS_CERT, 0, &der, &der_length) == 0 &&
              der_length == sizeof old_leaf && memcmp(der, old_leaf, der_length) == 0 &&
              tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PREVIOUS_CERT, 1, &der, &der_length) == 0 &&
              der_length == sizeof old_ca && memcmp(der, old_ca, der_length) == 0,
          "the old chain is kept as the previous chain");
    CHECK(reboot() == 0, "reboot");
    CHECK(new_pair_current(pending) && !signs_with(0, current), "after a reboot: new chain, keystore_sign uses the new key");
    CHECK(tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PREVIOUS_KEY, 0, &blob, &blob_length) == 0,
          "the previous key survives the reboot");
    CHECK(hal.keystore_commit(hal.context) == TCU_MPC_ERR_NO_PENDING, "a second commit: nothing pending, refused");
    CHECK(new_pair_current(pending), "and changes nothing");

    if (artifacts != NULL) {
        /* The renewed key's signature for OpenSSL: renewed-pub.der, renewed-sig.der, renewed-msg.bin. */
        const char *message = "TCULink MPC5748G: keystore_sign after a renewal with rekey";
        uint8_t digest[32], sig[80], spki_out[91];
        sha256(message, digest);
        int32_t length = hal.keystore_sign(hal.context, TCU_SIGN_ECDSA, TCU_HASH_SHA256, digest, 32, sig, sizeof sig);
        CHECK(length > 0 && hal.keystore_public_key(hal.context, TCU_KEY_CURRENT, spki_out, sizeof spki_out) == 91,
              "renewed key's artifacts");
        if (length > 0) {
            write_file(artifacts, "renewed-pub.der", spki_out, sizeof spki_out);
            write_file(artifacts, "renewed-msg.bin", (const uint8_t *)message, strlen(message));
            write_file(artifacts, "renewed-msg-altered.bin", (const uint8_t *)message, strlen(message) - 1);
            write_file(artifacts, "renewed-sig.der", sig, (size_t)length);
        }
    }
    tcu_mpc5748g_deinit(&board);
}

/* The refusals and the other paths: a chain for the wrong key, a new pending key dropping the
 * pending chain, a renewal without rekey, a tampered pending key, and the room policy. */
static void test_renewal_rules(void) {
    uint8_t current[65], pending[65], second[65], point[65];
    CHECK(provisioned_device(current), "device with a key, a chain and an anchor");
    CHECK(hal.keystore_generate_key(hal.context, TCU_KEY_EC_P256) == 0 && key_point(TCU_KEY_PENDING, pending) == 0,
          "pending key");
    /* A chain issued for the current key while a pending key waits: the pair would not belong together. */
    renewed_chain(current);
    CHECK(hal.keystore_store_pending_chain(hal.context, new_chain, new_chain_length) == 0, "chain for the wrong key stored");
    uint32_t sequence = board.identity.sequence;
    CHECK(hal.keystore_commit(hal.context) == TCU_MPC_ERR_MISMATCH && board.identity.sequence == sequence,
          "commit of a leaf that is not for the pending key refused, nothing written");
    CHECK(old_pair_current(current), "old pair unchanged");

    /* A new pending key replaces the earlier one and drops its pending chain. */
    renewed_chain(pending);
    CHECK(hal.keystore_store_pending_chain(hal.context, new_chain, new_chain_length) == 0, "chain for pending key 1");
    CHECK(hal.keystore_generate_key(hal.context, TCU_KEY_EC_P256) == 0 && key_point(TCU_KEY_PENDING, second) == 0 &&
              memcmp(second, pending, 65) != 0,
          "a second pending key replaces the first");
    CHECK(cert_absent(TCU_CERTS_PENDING_CHAIN, 0), "and drops the pending chain issued for the first");
    CHECK(reboot() == 0 && key_point(TCU_KEY_PENDING, point) == 0 && memcmp(point, second, 65) == 0 &&
              cert_absent(TCU_CERTS_PENDING_CHAIN, 0) && signs_with(1, second),
          "after a reboot: the second pending key, no pending chain");
    CHECK(hal.keystore_commit(hal.context) == TCU_MPC_ERR_NO_PENDING, "a pending key without a chain: commit refused");

    /* A pending key whose blob was altered in flash: no signature, no commit. */
    renewed_chain(second);
    CHECK(hal.keystore_store_pending_chain(hal.context, new_chain, new_chain_length) == 0, "chain for pending key 2");
    const uint8_t *blob;
    size_t blob_length;
    uint8_t good[TCU_MPC_WRAPPED_KEY_SIZE], altered[TCU_MPC_WRAPPED_KEY_SIZE];
    CHECK(tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PENDING_KEY, 0, &blob, &blob_length) == 0, "find");
    memcpy(good, blob, sizeof good);
    memcpy(altered, blob, sizeof altered);
    altered[90] ^= 0x01; /* one bit of the encrypted scalar */
    tcu_mpc_records_remove(&board.identity, TCU_MPC_TAG_PENDING_KEY);
    tcu_mpc_records_append(&board.identity, TCU_MPC_TAG_PENDING_KEY, altered, sizeof altered);
    CHECK(tcu_mpc_records_commit(&board.identity) == 0 && reboot() == 0, "attacker's pending key in flash");
    uint8_t digest[32] = {7}, der[80];
    CHECK(hal.keystore_sign_pending(hal.context, TCU_SIGN_ECDSA, 0, digest, 32, der, sizeof der) ==
              TCU_MPC_ERR_KEY_TAMPERED, "sign_pending refuses the tampered pending key");
    sequence = board.identity.sequence;
    CHECK(hal.keystore_commit(hal.context) == TCU_MPC_ERR_KEY_TAMPERED && board.identity.sequence == sequence &&
              old_pair_current(current),
          "commit refuses a pending key that does not unwrap; the old pair stays");
    tcu_mpc_records_remove(&board.identity, TCU_MPC_TAG_PENDING_KEY);
    tcu_mpc_records_append(&board.identity, TCU_MPC_TAG_PENDING_KEY, good, sizeof good);
    CHECK(tcu_mpc_records_commit(&board.identity) == 0 && hal.keystore_commit(hal.context) == 0 &&
              new_pair_current(second),
          "with the good blob back, the commit goes through");
    tcu_mpc5748g_deinit(&board);

    /* Renewal without rekey: the chain changes, the key stays; no previous key is recorded. */
    CHECK(provisioned_device(current), "device with a key, a chain and an anchor");
    renewed_chain(current);
    CHECK(hal.keystore_store_pending_chain(hal.context, new_chain, new_chain_length) == 0, "chain for the current key");
    CHECK(hal.keystore_commit(hal.context) == 0 && reboot() == 0 && new_pair_current(current), "committed: same key, new chain");
    const uint8_t *der_out;
    size_t der_length;
    CHECK(tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PREVIOUS_KEY, 0, &der_out, &der_length) == 1 &&
              tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PREVIOUS_CERT, 0, &der_out, &der_length) == 0 &&
              der_length == sizeof old_leaf && memcmp(der_out, old_leaf, der_length) == 0,
          "the previous chain is kept, with no previous key (it was for the current key)");
    tcu_mpc5748g_deinit(&board);

    /* Room: chains of 2 x 1.4 KB. Current + previous + pending chain do not fit the 8 KB image, so the
     * previous pair gives way; a chain too big even then is refused and the pending chain stays. */
    static uint8_t big[3][2 * 1400], huge[TCU_MPC_IDENTITY_IMAGE_MAX];
    uint8_t keys[3][65];
    CHECK(provisioned_device(current), "device with a key, a chain and an anchor");
    memcpy(keys[0], current, 65);
    int room_ok = 1;
    for (int round = 0; round < 2; round++) {
        room_ok &= hal.keystore_generate_key(hal.context, TCU_KEY_EC_P256) == 0 &&
                   key_point(TCU_KEY_PENDING, keys[round + 1]) == 0;
        make_cert(big[round], 1400, keys[round + 1], (uint8_t)('a' + round));
        make_cert(big[round] + 1400, 1400, NULL, (uint8_t)('A' + round));
        room_ok &= hal.keystore_store_pending_chain(hal.context, big[round], sizeof big[round]) == 0;
        room_ok &= hal.keystore_commit(hal.context) == 0;
    }
    CHECK(room_ok, "two renewals with 2.8 KB chains");
    CHECK(tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PREVIOUS_CERT, 0, &der_out, &der_length) == 0 &&
              der_length == 1400 && memcmp(der_out, big[0], 1400) == 0,
          "previous chain: the first renewal's");
    CHECK(hal.keystore_generate_key(hal.context, TCU_KEY_EC_P256) == 0 && key_point(TCU_KEY_PENDING, keys[0]) == 0,
          "third pending key");
    make_cert(big[2], 1400, keys[0], 'z');
    make_cert(big[2] + 1400, 1400, NULL, 'Z');
    CHECK(hal.keystore_store_pending_chain(hal.context, big[2], sizeof big[2]) == 0, "third chain stored");
    CHECK(tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PREVIOUS_CERT, 0, &der_out, &der_length) == 1 &&
              tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PREVIOUS_KEY, 0, &der_out, &der_length) == 1,
          "it did not fit beside the previous pair: the previous pair was dropped");
    CHECK(cert_is(TCU_CERTS_PENDING_CHAIN, 1, big[2] + 1400, 1400), "pending chain complete");
    size_t filled = 0;
    while (filled + 4000 <= sizeof huge) filled += make_cert(huge + filled, 4000, NULL, 'H');
    sequence = board.identity.sequence;
    CHECK(hal.keystore_store_pending_chain(hal.context, huge, filled) == TCU_MPC_ERR_FULL &&
              board.identity.sequence == sequence && cert_is(TCU_CERTS_PENDING_CHAIN, 0, big[2], 1400),
          "a chain that cannot fit is refused; the pending chain stays");
    CHECK(hal.keystore_commit(hal.context) == 0 && reboot() == 0 &&
              key_point(TCU_KEY_CURRENT, point) == 0 && memcmp(point, keys[0], 65) == 0 && signs_with(0, keys[0]) &&
              cert_is(TCU_CERTS_DEVICE_CHAIN, 0, big[2], 1400) &&
              tcu_mpc_records_find(&board.identity, TCU_MPC_TAG_PREVIOUS_CERT, 0, &der_out, &der_length) == 0 &&
              der_length == 1400 && memcmp(der_out, big[1], 1400) == 0,
          "third renewal committed; the second's chain is the previous one");
    tcu_mpc5748g_deinit(&board);
}

/* A provisioned device with a pending key and a renewed chain made for it (not yet stored). */
static int device_with_pending_key(uint8_t current[65], uint8_t pending[65]) {
    if (!provisioned_device(current) || hal.keystore_generate_key(hal.context, TCU_KEY_EC_P256) != 0 ||
        key_point(TCU_KEY_PENDING, pending) != 0)
        return 0;
    renewed_chain(pending);
    return 1;
}

/* Power fails at every step of keystore_commit in turn: after each reboot the device has the complete
 * old pair (with the pending pair still pending, and a second commit finishes) or the complete new
 * pair, never the new key with the old chain or the other way round. */
static void test_renewal_power_cut(void) {
    uint8_t current[65], pending[65];
    int interrupted = 0, completed = 0, wrong = 0;
    for (long cut = 0; cut < 200 && !completed; cut++) {
        if (!device_with_pending_key(current, pending)) {
            wrong++;
            break;
        }
        if (hal.keystore_store_pending_chain(hal.context, new_chain, new_chain_length) != 0) {
            wrong++;
            break;
        }
        fake_flash_cut_power_after(cut);
        int status = hal.keystore_commit(hal.context);
        int was_cut = fake_flash_powered_off();
        fake_flash_cut_power_after(-1);
        if (reboot() != 0) {
            wrong++;
            continue;
        }
        if (status != 0) {
            interrupted++;
            if (!was_cut || !old_pair_current(current) || !pending_pair_intact(pending)) {
                wrong++;
                printf("cut at step %ld of the commit: the old pair is not intact\n", cut);
            }
            /* What tcu_renew does on its next run: prove again and commit. */
            if (hal.keystore_commit(hal.context) != 0 || reboot() != 0 || !new_pair_current(pending)) {
                wrong++;
                printf("cut at step %ld: the commit after the reboot did not finish the renewal\n", cut);
            }
        } else {
            completed = 1;
            if (!new_pair_current(pending)) wrong++;
        }
        tcu_mpc5748g_deinit(&board);
    }
    printf("power cut at each of %d steps of keystore_commit: the old pair or the new pair every time\n", interrupted);
    CHECK(interrupted >= 10, "the commit was interrupted at every step (%d steps)", interrupted);
    CHECK(completed, "the uninterrupted commit completes");
    CHECK(wrong == 0, "%d interrupted commits left a mix or lost the pending pair", wrong);

    /* And in keystore_store_pending_chain: no pending chain, or all of it. */
    interrupted = completed = wrong = 0;
    for (long cut = 0; cut < 200 && !completed; cut++) {
        if (!device_with_pending_key(current, pending)) {
            wrong++;
            break;
        }
        fake_flash_cut_power_after(cut);
        int status = hal.keystore_store_pending_chain(hal.context, new_chain, new_chain_length);
        fake_flash_cut_power_after(-1);
        if (reboot() != 0) {
            wrong++;
            continue;
        }
        if (status != 0) {
            interrupted++;
            uint8_t point[65];
            if (!cert_absent(TCU_CERTS_PENDING_CHAIN, 0) || key_point(TCU_KEY_PENDING, point) != 0 ||
                memcmp(point, pending, 65) != 0 || !old_pair_current(current))
                wrong++;
        } else {
            completed = 1;
            if (!pending_pair_intact(pending)) wrong++;
        }
        tcu_mpc5748g_deinit(&board);
    }
    printf("power cut at each of %d steps of keystore_store_pending_chain: no pending chain or all of it\n", interrupted);
    CHECK(interrupted >= 10 && completed && wrong == 0, "store_pending_chain under power cuts (%d steps, %d wrong)",
          interrupted, wrong);
}

static void test_transport(void) {
    fresh_device(0);
    CHECK(boot() == 0, "boot");
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t size = sizeof address;
    CHECK(bind(listener, (struct sockaddr *)&address, size) == 0 && listen(listener, 1) == 0 &&
              getsockname(listener, (struct sockaddr *)&address, &size) == 0, "listen on loopback");
    uint16_t port = ntohs(address.sin_port);
    int status = hal.transport_connect(hal.context, "127.0.0.1", port);
    CHECK(status == TCU_HAL_OK || status == TCU_HAL_IN_PROGRESS, "connect started (%d)", status);
    int peer = accept(listener, NULL, NULL);
    for (int i = 0; i < 100 && status == TCU_HAL_IN_PROGRESS; i++) {
        hal.transport_wait(hal.context, 0, 50);
        status = hal.transport_poll_connect(hal.context);
    }
    CHECK(status == TCU_HAL_OK, "connected (%d)", status);
    uint8_t buffer[16];
    CHECK(hal.transport_receive(hal.context, buffer, sizeof buffer) == TCU_HAL_WOULD_BLOCK, "nothing yet: would block");
    CHECK(hal.transport_send(hal.context, (const uint8_t *)"ping", 4) == 4, "send");
    ssize_t got = recv(peer, buffer, sizeof buffer, 0);
    CHECK(got == 4 && send(peer, buffer, 4, 0) == 4, "echoed by the peer");
    hal.transport_wait(hal.context, 1, 1000);
    CHECK(hal.transport_receive(hal.context, buffer, sizeof buffer) == 4 && memcmp(buffer, "ping", 4) == 0, "echo received");
    close(peer);
    hal.transport_wait(hal.context, 1, 1000);
    CHECK(hal.transport_receive(hal.context, buffer, sizeof buffer) == TCU_HAL_CLOSED, "orderly close seen");
    hal.transport_close(hal.context);
    hal.transport_close(hal.context);
    close(listener);

    /* Nobody listening on the (now closed) port: refused. */
    status = hal.transport_connect(hal.context, "localhost", port);
    for (int i = 0; i < 100 && status == TCU_HAL_IN_PROGRESS; i++) {
        hal.transport_wait(hal.context, 0, 50);
        status = hal.transport_poll_connect(hal.context);
    }
    CHECK(status == TCU_HAL_ERR_REFUSED, "connection refused (%d)", status);
    CHECK(hal.transport_connect(hal.context, "", port) == TCU_HAL_ERR_NAME, "empty host name");
    CHECK(hal.transport_connect(hal.context, "no-such-host.invalid", port) == TCU_HAL_IN_PROGRESS &&
              fake_dns_answer("no-such-host.invalid", NULL) == 1 &&
              hal.transport_poll_connect(hal.context) == TCU_HAL_ERR_NAME,
          "unresolvable name");
    CHECK(hal.transport_send(hal.context, (const uint8_t *)"x", 1) == TCU_HAL_ERR_OTHER, "send when not connected");
    tcu_mpc5748g_deinit(&board);
}

/* lwIP's asynchronous resolver: IN_PROGRESS until the callback, and a late answer for a lookup the
 * board abandoned (close, then connect to another name) must not be taken for the new one's. */
static void test_async_dns(void) {
    fresh_device(0);
    CHECK(boot() == 0, "boot");
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t size = sizeof address;
    CHECK(bind(listener, (struct sockaddr *)&address, size) == 0 && listen(listener, 1) == 0 &&
              getsockname(listener, (struct sockaddr *)&address, &size) == 0, "listen on loopback");
    uint16_t port = ntohs(address.sin_port);

    CHECK(hal.transport_connect(hal.context, "old-backend.async", port) == TCU_HAL_IN_PROGRESS, "lookup 1 in progress");
    hal.transport_close(hal.context);
    CHECK(hal.transport_connect(hal.context, "backend.async", port) == TCU_HAL_IN_PROGRESS, "lookup 2 in progress");
    CHECK(hal.transport_poll_connect(hal.context) == TCU_HAL_IN_PROGRESS, "no answer yet");
    /* 192.0.2.1 (TEST-NET-1): connecting there would hang or fail, never reach the listener. */
    CHECK(fake_dns_answer("old-backend.async", "192.0.2.1") == 1, "the abandoned lookup answers late");
    CHECK(hal.transport_poll_connect(hal.context) == TCU_HAL_IN_PROGRESS, "the stale answer is ignored");
    CHECK(fake_dns_answer("backend.async", "127.0.0.1") == 1, "lookup 2 answers");
    int status = TCU_HAL_IN_PROGRESS;
    for (int i = 0; i < 100 && status == TCU_HAL_IN_PROGRESS; i++) {
        status = hal.transport_poll_connect(hal.context);
        if (status == TCU_HAL_IN_PROGRESS) hal.transport_wait(hal.context, 0, 50);
    }
    CHECK(status == TCU_HAL_OK, "connected to the address of the name asked for (%d)", status);
    int peer = accept(listener, NULL, NULL);
    CHECK(peer >= 0 && hal.transport_send(hal.context, (const uint8_t *)"hi", 2) == 2, "the stream works");
    if (peer >= 0) close(peer);
    hal.transport_close(hal.context);

    CHECK(hal.transport_connect(hal.context, "missing.async", port) == TCU_HAL_IN_PROGRESS, "lookup 3 in progress");
    CHECK(fake_dns_answer("missing.async", NULL) == 1, "lookup 3: not found");
    CHECK(hal.transport_poll_connect(hal.context) == TCU_HAL_ERR_NAME, "name error after an asynchronous failure");
    close(listener);
    tcu_mpc5748g_deinit(&board);
}

/* Connects to `host` and polls until the connect settles. */
static int connect_and_settle(const char *host, uint16_t port) {
    int status = hal.transport_connect(hal.context, host, port);
    for (int i = 0; i < 100 && status == TCU_HAL_IN_PROGRESS; i++) {
        hal.transport_wait(hal.context, 0, 50);
        status = hal.transport_poll_connect(hal.context);
    }
    return status;
}

static int loopback_listener(uint16_t *port) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t size = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, size) != 0 || listen(listener, 4) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &size) != 0)
        return -1;
    *port = ntohs(address.sin_port);
    return listener;
}

/* Issue 20: lwIP reports TCP failures as err_t through err_to_errno (never ECONNREFUSED or ETIMEDOUT);
 * the board turns them into the HAL's reasons. */
static void test_lwip_errors(void) {
    fresh_device(0);
    CHECK(boot() == 0, "boot");
    uint16_t port = 0;
    int listener = loopback_listener(&port);
    CHECK(listener >= 0, "listen on loopback");
    /* SYN retransmissions run out: ERR_ABRT, ECONNABORTED through SO_ERROR. */
    fake_lwip_fail_next_connect(ERR_ABRT);
    CHECK(connect_and_settle("127.0.0.1", port) == TCU_HAL_ERR_TIMEOUT, "a connect lwIP gave up on is a timeout");
    /* No route: ERR_RTE at once (the fake's network has only loopback). */
    CHECK(hal.transport_connect(hal.context, "192.0.2.1", port) == TCU_HAL_ERR_UNREACHABLE, "no route: unreachable");
    /* An established connection, then lwIP stores an error for it (err_tcp). */
    uint8_t buffer[8];
    int peer = -1;
    const struct {
        err_t err;
        int expected;
        const char *what;
    } cases[] = {
        {ERR_RST, TCU_HAL_ERR_RESET, "a RST on an established connection is a reset"},
        {ERR_ABRT, TCU_HAL_ERR_TIMEOUT, "retransmissions that ran out (ERR_ABRT) are a timeout"},
        {ERR_CLSD, TCU_HAL_CLOSED, "a closed connection (ERR_CLSD) reads as the end"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int connected = connect_and_settle("127.0.0.1", port) == TCU_HAL_OK;
        peer = connected ? accept(listener, NULL, NULL) : -1;
        CHECK(peer >= 0, "connected");
        fake_lwip_fail_socket(board.socket, cases[i].err);
        CHECK(hal.transport_receive(hal.context, buffer, sizeof buffer) == cases[i].expected, "%s", cases[i].what);
        CHECK(hal.transport_send(hal.context, (const uint8_t *)"x", 1) == TCU_HAL_ERR_RESET,
              "and the connection is gone (ERR_CONN) for the next send");
        hal.transport_close(hal.context);
        if (peer >= 0) close(peer);
    }
    close(listener);
    tcu_mpc5748g_deinit(&board);
}

/* Issue 20: IPv4 asked for explicitly (a configuration with IPv6 may prefer IPv6 answers), IPv6 never
 * read as IPv4, and no DNS server (DHCP off) said at once. */
static void test_lwip_config(void) {
    fresh_device(0);
    CHECK(boot() == 0, "boot");
    uint16_t port = 0;
    int listener = loopback_listener(&port);
    CHECK(listener >= 0, "listen on loopback");
    int connected = connect_and_settle("dualstack.test", port) == TCU_HAL_OK;
    CHECK(connected, "a name with both families: its IPv4 address");
    if (connected) close(accept(listener, NULL, NULL)); /* accept only what came: a wrong address never does */
    hal.transport_close(hal.context);
    CHECK(hal.transport_connect(hal.context, "v6only.test", port) == TCU_HAL_IN_PROGRESS,
          "a name with only an IPv6 address is looked up for IPv4");
    CHECK(fake_dns_answer("v6only.test", NULL) == 1 && hal.transport_poll_connect(hal.context) == TCU_HAL_ERR_NAME,
          "and has no usable address");
    CHECK(hal.transport_connect(hal.context, "::1", port) == TCU_HAL_ERR_UNREACHABLE,
          "an IPv6 literal is refused, not read as IPv4");
    CHECK(hal.transport_connect(hal.context, "ipv6.async", port) == TCU_HAL_IN_PROGRESS &&
              fake_dns_answer("ipv6.async", "2001:db8::3") == 1 &&
              hal.transport_poll_connect(hal.context) == TCU_HAL_ERR_NAME,
          "an IPv6 answer all the same is no usable address");
    dns_setserver(0, NULL);
    CHECK(hal.transport_connect(hal.context, "dualstack.test", port) == TCU_HAL_ERR_NAME,
          "no DNS server set (DHCP off): a name error at once");
    connected = connect_and_settle("127.0.0.1", port) == TCU_HAL_OK;
    CHECK(connected, "a numeral needs no server");
    if (connected) close(accept(listener, NULL, NULL));
    close(listener);
    tcu_mpc5748g_deinit(&board);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0); /* keep order with the fakes' stderr reports */
    const char *artifacts = argc > 1 ? argv[1] : NULL;
    test_byte_order();
    test_init_refuses_bad_config();
    test_key_lifecycle(artifacts);
    test_sealed_storage();
    test_slot_rules();
    test_entropy();
    test_clock();
    test_store();
    test_power_loss();
    test_sequence_wrap();
    test_flash_fake_rules();
    test_flash_read_path();
    test_certificates();
    test_secure_element_hook();
    test_renewal(artifacts);
    test_renewal_rules();
    test_renewal_power_cut();
    test_hsm_firmware();
    test_fake_cmac();
    /* The key store, sealing and renewal again, wrapped with CBC + CMAC on a plain SHE firmware. */
    scheme = TCU_MPC_WRAP_CBC_CMAC;
    printf("== again with CBC + CMAC on a plain SHE firmware\n");
    test_key_lifecycle(NULL);
    test_sealed_storage();
    test_slot_rules();
    test_renewal(NULL);
    test_renewal_rules();
    scheme = TCU_MPC_WRAP_GCM;
    test_transport();
    test_async_dns();
    test_lwip_errors();
    test_lwip_config();
    CHECK(fake_sdk_violations() == 0, "the board broke no SDK contract (%u violations)", fake_sdk_violations());
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

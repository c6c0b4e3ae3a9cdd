/* fake_hsm.c: the S32 SDK HSM driver's documented behaviour, on a host.
 *
 * Written from hsm_driver.h of S32_SDK_S32PA_RTM_3.0.3: buffers must be 32-bit aligned, GCM takes a
 * 12-byte IV only and a tag of 4..16 bytes, outputs are valid only on STATUS_SUCCESS, a GCM
 * decryption reports authentication through *authStatus; plus the SHE rules for key slots (empty
 * slot, key usage, write and boot protection). The firmware variant: GCM (an extended command) only
 * on the SHE+ firmware, whose version HSM_DRV_Init reads (hsm_driver.c does the same); CBC and CMAC
 * (SHE commands) on any. AES-GCM and AES-CBC are wolfCrypt's; CMAC (RFC 4493) is built here on
 * AES-CBC, which every wolfSSL configuration of this repository has. */
#include <string.h>
#include <sys/random.h>

#ifdef WOLFSSL_USER_SETTINGS
#include <wolfssl/wolfcrypt/settings.h>
#else
#include <wolfssl/options.h>
#endif
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "fake_hsm_control.h"
#include "fake_sdk.h"

typedef struct {
    bool present;
    uint8_t key[16];
    uint32_t flags;
} she_slot;

static hsm_state_t *driver;
static she_slot slots[HSM_KEY_20 + 1];
static unsigned trng_failures, trng_calls;
static bool boot_failed;
static uint32_t firmware = FAKE_HSM_FW_SHE_PLUS;
static bool version_silent;

void fake_hsm_reset(void) {
    memset(slots, 0, sizeof slots);
    driver = NULL;
    trng_failures = trng_calls = 0;
    boot_failed = false;
    firmware = FAKE_HSM_FW_SHE_PLUS;
    version_silent = false;
}

void fake_hsm_set_firmware(uint32_t version) { firmware = version; }

void fake_hsm_set_version_silent(bool silent) { version_silent = silent; }

/* Whether `pointer` is in the caller's stack: within 64 KB of a local of this function (the
 * caller's frame lies just above it). A heuristic, but enough to catch a stack variable. */
static bool on_stack(const void *pointer) {
    volatile char here = 0;
    uintptr_t a = (uintptr_t)&here, b = (uintptr_t)pointer;
    return (a > b ? a - b : b - a) < 0x10000U;
}

static bool user_slot(hsm_key_id_t id) {
    return (id >= HSM_KEY_1 && id <= HSM_KEY_10) || (id >= HSM_KEY_11 && id <= HSM_KEY_20);
}

status_t fake_hsm_provision_key(hsm_key_id_t slot, const uint8_t key[16], uint32_t flags) {
    if (!user_slot(slot)) return STATUS_SEC_KEY_INVALID;
    if (slots[slot].present && (slots[slot].flags & FAKE_SHE_WRITE_PROTECTION)) return STATUS_SEC_KEY_WRITE_PROTECTED;
    slots[slot].present = true;
    memcpy(slots[slot].key, key, 16);
    slots[slot].flags = flags;
    return STATUS_SUCCESS;
}

void fake_hsm_fail_trng(unsigned count) { trng_failures = count; }
unsigned fake_hsm_trng_calls(void) { return trng_calls; }
void fake_hsm_set_boot_failed(bool failed) { boot_failed = failed; }

status_t HSM_DRV_Init(hsm_state_t *state) {
    if (state == NULL) {
        fake_sdk_violation("HSM_DRV_Init(NULL)");
        return STATUS_ERROR;
    }
    memset(state, 0, sizeof *state);
    driver = state;
    state->fwVersion = firmware; /* hsm_driver.c: HSM_DRV_GetFwVersion(&state->fwVersion, 1U) */
    return STATUS_SUCCESS;
}

status_t HSM_DRV_Deinit(void) {
    driver = NULL;
    return STATUS_SUCCESS;
}

static bool aligned(const void *pointer) { return pointer != NULL && ((uintptr_t)pointer & 3U) == 0; }

static status_t ready(const char *command) {
    if (driver == NULL) {
        fake_sdk_violation(command);
        return STATUS_ERROR;
    }
    return STATUS_SUCCESS;
}

/* As hsm_driver.c (RTM 3.0.3) has it, unlike every other command: STATUS_SUCCESS whether or not the
 * HSM answered within the timeout, no cancel, and the HSM itself writes *version, possibly after
 * the call returned. So a buffer on the caller's stack is a contract violation here (a late answer
 * would write into a dead frame), and a silent HSM (fake_hsm_set_version_silent) leaves *version
 * untouched and still answers STATUS_SUCCESS. */
status_t HSM_DRV_GetFwVersion(uint32_t *version, uint32_t timeout) {
    (void)timeout;
    if (ready("HSM_DRV_GetFwVersion before HSM_DRV_Init") != STATUS_SUCCESS) return STATUS_ERROR;
    if (!aligned(version)) {
        fake_sdk_violation("HSM_DRV_GetFwVersion buffer NULL or not 32-bit aligned");
        return STATUS_ERROR;
    }
    if (on_stack(version)) {
        fake_sdk_violation("HSM_DRV_GetFwVersion buffer on the stack (the HSM may write it after a timeout)");
        return STATUS_ERROR;
    }
    if (!version_silent) *version = firmware;
    return STATUS_SUCCESS;
}

/* A slot usable for data: SHE's KEY_USAGE flag makes a key CMAC-only (`mac` true) or
 * encryption-only (`mac` false). */
static status_t usable_slot(hsm_key_id_t id, bool mac, const she_slot **slot) {
    if (!(user_slot(id) || id == HSM_RAM_KEY)) return STATUS_SEC_KEY_INVALID; /* MASTER_ECU, BOOT_MAC_KEY... */
    const she_slot *s = &slots[id];
    if (!s->present) return STATUS_SEC_KEY_EMPTY;
    if (((s->flags & FAKE_SHE_KEY_USAGE) != 0U) != mac) return STATUS_SEC_KEY_INVALID;
    if ((s->flags & FAKE_SHE_BOOT_PROTECTION) && boot_failed) return STATUS_SEC_KEY_NOT_AVAILABLE;
    *slot = s;
    return STATUS_SUCCESS;
}

static status_t cipher_slot(hsm_key_id_t id, const she_slot **slot) { return usable_slot(id, false, slot); }

static status_t gcm_checks(const char *command, uint32_t ivLen, const uint8_t *iv, uint32_t authDataLen,
                           const uint8_t *authData, uint32_t length, const uint8_t *in, const uint8_t *out,
                           uint32_t tagLen, const uint8_t *tag) {
    if (ready(command) != STATUS_SUCCESS) return STATUS_ERROR;
    if (driver->fwVersion != FAKE_HSM_FW_SHE_PLUS) {
        /* hsm_driver.c: DEV_ASSERT(fwVersion == HSM_SHE_PLUS_FW_VERSION); a release build would send a
         * command the plain SHE firmware does not know. */
        fake_sdk_violation("HSM GCM (an extended command) on a firmware that is not SHE+");
        return STATUS_SEC_INVALID_COMMAND;
    }
    if (!aligned(iv) || (authDataLen > 0 && !aligned(authData)) || (length > 0 && (!aligned(in) || !aligned(out))) ||
        !aligned(tag)) {
        fake_sdk_violation("HSM GCM buffer NULL or not 32-bit aligned");
        return STATUS_ERROR;
    }
    if (ivLen != 12U) return STATUS_SEC_INVALID_SIZE; /* the doc names STATUS_SEC_LENGTH_ERROR, absent from status.h */
    if (tagLen < 4U || tagLen > 16U || (tagLen % 4U) != 0U) return STATUS_SEC_INVALID_SIZE;
    return STATUS_SUCCESS;
}

status_t HSM_DRV_EncryptGCM(hsm_key_id_t keyId, uint32_t ivLen, const uint8_t *iv, uint32_t authDataLen,
                            const uint8_t *authData, uint32_t plainTextLen, const uint8_t *plainText,
                            uint8_t *cipherText, uint32_t tagLen, uint8_t *tag, uint32_t timeout) {
    (void)timeout;
    status_t status = gcm_checks("HSM_DRV_EncryptGCM before HSM_DRV_Init", ivLen, iv, authDataLen, authData,
                                 plainTextLen, plainText, cipherText, tagLen, tag);
    const she_slot *slot = NULL;
    if (status == STATUS_SUCCESS) status = cipher_slot(keyId, &slot);
    if (status != STATUS_SUCCESS) return status;
    Aes aes;
    int result = wc_AesInit(&aes, NULL, INVALID_DEVID);
    if (result == 0) result = wc_AesGcmSetKey(&aes, slot->key, 16);
    if (result == 0)
        result = wc_AesGcmEncrypt(&aes, cipherText, plainText, plainTextLen, iv, ivLen, tag, tagLen, authData, authDataLen);
    wc_AesFree(&aes);
    memset(&aes, 0, sizeof aes);
    return result == 0 ? STATUS_SUCCESS : STATUS_SEC_INTERNAL_CMD_ERROR;
}

status_t HSM_DRV_DecryptGCM(hsm_key_id_t keyId, uint32_t ivLen, const uint8_t *iv, uint32_t authDataLen,
                            const uint8_t *authData, uint32_t cipherTextLen, const uint8_t *cipherText,
                            uint8_t *decryptedText, uint32_t tagLen, const uint8_t *tag, bool *authStatus,
                            uint32_t timeout) {
    (void)timeout;
    if (authStatus == NULL) {
        fake_sdk_violation("HSM_DRV_DecryptGCM authStatus NULL");
        return STATUS_ERROR;
    }
    status_t status = gcm_checks("HSM_DRV_DecryptGCM before HSM_DRV_Init", ivLen, iv, authDataLen, authData,
                                 cipherTextLen, cipherText, decryptedText, tagLen, tag);
    const she_slot *slot = NULL;
    if (status == STATUS_SUCCESS) status = cipher_slot(keyId, &slot);
    if (status != STATUS_SUCCESS) return status;
    Aes aes;
    int result = wc_AesInit(&aes, NULL, INVALID_DEVID);
    if (result == 0) result = wc_AesGcmSetKey(&aes, slot->key, 16);
    if (result == 0)
        result = wc_AesGcmDecrypt(&aes, decryptedText, cipherText, cipherTextLen, iv, ivLen, tag, tagLen, authData,
                                  authDataLen);
    wc_AesFree(&aes);
    memset(&aes, 0, sizeof aes);
    if (result == AES_GCM_AUTH_E) {
        /* The documentation promises only the flag; assume the worst, that the HSM wrote the
         * unauthenticated plaintext anyway, so a board that trusts the buffer is caught. */
        for (uint32_t i = 0; i < cipherTextLen; i++) decryptedText[i] = (uint8_t)(cipherText[i] ^ 0xA5U);
        *authStatus = false;
        return STATUS_SUCCESS;
    }
    *authStatus = result == 0;
    return result == 0 ? STATUS_SUCCESS : STATUS_SEC_INTERNAL_CMD_ERROR;
}

status_t HSM_DRV_GenerateTRND(uint8_t *trnd, uint32_t timeout) {
    (void)timeout;
    if (ready("HSM_DRV_GenerateTRND before HSM_DRV_Init") != STATUS_SUCCESS) return STATUS_ERROR;
    if (!aligned(trnd)) {
        fake_sdk_violation("HSM_DRV_GenerateTRND buffer NULL or not 32-bit aligned");
        return STATUS_ERROR;
    }
    trng_calls++;
    if (trng_failures > 0) {
        trng_failures--;
        return STATUS_SEC_TRNG_ERROR;
    }
    size_t filled = 0;
    while (filled < 16) {
        ssize_t got = getrandom(trnd + filled, 16 - filled, 0);
        if (got <= 0) return STATUS_SEC_TRNG_ERROR;
        filled += (size_t)got;
    }
    return STATUS_SUCCESS;
}

static status_t cbc(const char *command, hsm_key_id_t keyId, const uint8_t *in, uint32_t length, const uint8_t *iv,
                    uint8_t *out, bool encrypt) {
    if (ready(command) != STATUS_SUCCESS) return STATUS_ERROR;
    if (!aligned(in) || !aligned(out) || !aligned(iv)) {
        fake_sdk_violation("HSM CBC buffer NULL or not 32-bit aligned");
        return STATUS_ERROR;
    }
    if (length == 0U || (length % 16U) != 0U) return STATUS_SEC_INVALID_SIZE;
    const she_slot *slot = NULL;
    status_t status = cipher_slot(keyId, &slot);
    if (status != STATUS_SUCCESS) return status;
    Aes aes;
    int result = wc_AesInit(&aes, NULL, INVALID_DEVID);
    if (result == 0) result = wc_AesSetKey(&aes, slot->key, 16, iv, encrypt ? AES_ENCRYPTION : AES_DECRYPTION);
    if (result == 0) result = encrypt ? wc_AesCbcEncrypt(&aes, out, in, length) : wc_AesCbcDecrypt(&aes, out, in, length);
    wc_AesFree(&aes);
    memset(&aes, 0, sizeof aes);
    return result == 0 ? STATUS_SUCCESS : STATUS_SEC_INTERNAL_CMD_ERROR;
}

status_t HSM_DRV_EncryptCBC(hsm_key_id_t keyId, const uint8_t *plainText, uint32_t length, const uint8_t *iv,
                            uint8_t *cipherText, uint32_t timeout) {
    (void)timeout;
    return cbc("HSM_DRV_EncryptCBC before HSM_DRV_Init", keyId, plainText, length, iv, cipherText, true);
}

status_t HSM_DRV_DecryptCBC(hsm_key_id_t keyId, const uint8_t *cipherText, uint32_t length, const uint8_t *iv,
                            uint8_t *plainText, uint32_t timeout) {
    (void)timeout;
    return cbc("HSM_DRV_DecryptCBC before HSM_DRV_Init", keyId, cipherText, length, iv, plainText, false);
}

/* RFC 4493 doubling in GF(2^128). */
static void cmac_double(uint8_t block[16]) {
    uint8_t carry = block[0] >> 7;
    for (int i = 0; i < 15; i++) block[i] = (uint8_t)((block[i] << 1) | (block[i + 1] >> 7));
    block[15] = (uint8_t)((block[15] << 1) ^ (carry ? 0x87U : 0U));
}

/* AES-CMAC (RFC 4493) of `bits` / 8 bytes (whole bytes only). */
static int cmac(const uint8_t key[16], const uint8_t *msg, uint64_t bits, uint8_t mac[16]) {
    static const uint8_t zero[16] = {0};
    size_t length = (size_t)(bits / 8U);
    uint8_t subkey[16], chain[16], last[16];
    Aes aes;
    int result = wc_AesInit(&aes, NULL, INVALID_DEVID);
    if (result == 0) result = wc_AesSetKey(&aes, key, 16, zero, AES_ENCRYPTION);
    if (result == 0) result = wc_AesCbcEncrypt(&aes, subkey, zero, 16); /* L = AES(0) */
    cmac_double(subkey);                                                /* K1 */
    size_t blocks = length == 0 ? 1 : (length + 15U) / 16U;
    bool complete = length > 0 && length % 16U == 0;
    memset(last, 0, sizeof last);
    memcpy(last, msg + (blocks - 1) * 16U, length - (blocks - 1) * 16U);
    if (!complete) {
        last[length - (blocks - 1) * 16U] = 0x80U;
        cmac_double(subkey); /* K2 */
    }
    for (int i = 0; i < 16; i++) last[i] ^= subkey[i];
    if (result == 0) result = wc_AesSetIV(&aes, zero); /* CBC-MAC from a zero IV */
    for (size_t i = 0; result == 0 && i + 1 < blocks; i++) result = wc_AesCbcEncrypt(&aes, chain, msg + i * 16U, 16);
    if (result == 0) result = wc_AesCbcEncrypt(&aes, mac, last, 16);
    wc_AesFree(&aes);
    memset(&aes, 0, sizeof aes);
    memset(subkey, 0, sizeof subkey);
    return result;
}

static status_t mac_command(const char *command, hsm_key_id_t keyId, const uint8_t *msg, uint64_t msgLen,
                            const uint8_t *mac, uint8_t computed[16]) {
    if (ready(command) != STATUS_SUCCESS) return STATUS_ERROR;
    if (!aligned(msg) || !aligned(mac)) {
        fake_sdk_violation("HSM CMAC buffer NULL or not 32-bit aligned");
        return STATUS_ERROR;
    }
    if (msgLen % 8U != 0U) return STATUS_SEC_INVALID_SIZE; /* the fake models whole bytes only */
    const she_slot *slot = NULL;
    status_t status = usable_slot(keyId, true, &slot);
    if (status != STATUS_SUCCESS) return status;
    return cmac(slot->key, msg, msgLen, computed) == 0 ? STATUS_SUCCESS : STATUS_SEC_INTERNAL_CMD_ERROR;
}

status_t HSM_DRV_GenerateMAC(hsm_key_id_t keyId, const uint8_t *msg, uint64_t msgLen, uint8_t *mac, uint32_t timeout) {
    (void)timeout;
    uint8_t computed[16];
    status_t status = mac_command("HSM_DRV_GenerateMAC before HSM_DRV_Init", keyId, msg, msgLen, mac, computed);
    if (status == STATUS_SUCCESS) memcpy(mac, computed, 16);
    return status;
}

status_t HSM_DRV_VerifyMAC(hsm_key_id_t keyId, const uint8_t *msg, uint64_t msgLen, const uint8_t *mac, uint8_t macLen,
                           bool *verifStatus, uint32_t timeout) {
    (void)timeout;
    if (verifStatus == NULL) {
        fake_sdk_violation("HSM_DRV_VerifyMAC verifStatus NULL");
        return STATUS_ERROR;
    }
    if (macLen > 128U) return STATUS_SEC_INVALID_SIZE;
    uint8_t computed[16];
    status_t status = mac_command("HSM_DRV_VerifyMAC before HSM_DRV_Init", keyId, msg, msgLen, mac, computed);
    if (status != STATUS_SUCCESS) return status;
    unsigned bits = macLen == 0U ? 128U : macLen, differ = 0;
    for (unsigned i = 0; i < bits; i++) differ |= (unsigned)((computed[i / 8U] ^ mac[i / 8U]) >> (7U - i % 8U)) & 1U;
    *verifStatus = differ == 0;
    return STATUS_SUCCESS;
}

#include "pkcs11_keys.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit-1/p11-kit/pkcs11.h> /* Debian libp11-kit-dev, found without an -I (no unsafeFlags) */

struct tcu_p11 {
    void *module;
    CK_FUNCTION_LIST_PTR f;
    CK_SESSION_HANDLE session;
    CK_OBJECT_HANDLE private_key;
    uint8_t spki[128];
    size_t spki_length;
    int logged_in;
};

/* SubjectPublicKeyInfo of a P-256 key, up to the 65-byte uncompressed point. */
static const uint8_t p256_spki_prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
                                           0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
static const uint8_t p256_params[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};

static int fail(char *error, size_t size, const char *what, CK_RV rv) {
    snprintf(error, size, "PKCS#11: %s (CKR 0x%lx)", what, (unsigned long)rv);
    return -1;
}

static void padded(char *out, const CK_UTF8CHAR *label, size_t length) {
    memcpy(out, label, length);
    out[length] = 0;
    for (size_t i = length; i > 0 && out[i - 1] == ' '; i--) out[i - 1] = 0;
}

int tcu_p11_open(const char *module_path, const char *token_label, const char *pin, tcu_p11 **out, char *error,
                 size_t error_size) {
    *out = NULL;
    tcu_p11 *p11 = calloc(1, sizeof *p11);
    if (p11 == NULL) return fail(error, error_size, "out of memory", 0);
    p11->module = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
    if (p11->module == NULL) {
        snprintf(error, error_size, "PKCS#11: cannot load module %s (%s)", module_path, dlerror());
        free(p11);
        return -1;
    }
    CK_C_GetFunctionList get_list = (CK_C_GetFunctionList)dlsym(p11->module, "C_GetFunctionList");
    CK_RV rv;
    if (get_list == NULL || (rv = get_list(&p11->f)) != CKR_OK) {
        tcu_p11_close(p11);
        return fail(error, error_size, "module has no C_GetFunctionList", 0);
    }
    rv = p11->f->C_Initialize(NULL);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        tcu_p11_close(p11);
        return fail(error, error_size, "C_Initialize failed", rv);
    }
    CK_SLOT_ID slots[64];
    CK_ULONG count = 64;
    if ((rv = p11->f->C_GetSlotList(CK_TRUE, slots, &count)) != CKR_OK) {
        tcu_p11_close(p11);
        return fail(error, error_size, "C_GetSlotList failed", rv);
    }
    CK_SLOT_ID slot = 0;
    int found = 0;
    for (CK_ULONG i = 0; i < count && !found; i++) {
        CK_TOKEN_INFO info;
        if (p11->f->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
        char label[33];
        padded(label, info.label, 32);
        if (strcmp(label, token_label) == 0) { slot = slots[i]; found = 1; }
    }
    if (!found) {
        snprintf(error, error_size, "PKCS#11: no token labelled \"%s\" in %s", token_label, module_path);
        tcu_p11_close(p11);
        return -1;
    }
    if ((rv = p11->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &p11->session)) != CKR_OK) {
        tcu_p11_close(p11);
        return fail(error, error_size, "C_OpenSession failed", rv);
    }
    rv = p11->f->C_Login(p11->session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        tcu_p11_close(p11);
        return fail(error, error_size, rv == CKR_PIN_INCORRECT ? "login refused: wrong PIN" : "login failed", rv);
    }
    p11->logged_in = 1;
    *out = p11;
    return 0;
}

static CK_OBJECT_HANDLE find_object(tcu_p11 *p11, CK_OBJECT_CLASS class, const char *label) {
    CK_ATTRIBUTE query[] = {{CKA_CLASS, &class, sizeof class}, {CKA_LABEL, (void *)label, strlen(label)}};
    CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;
    CK_ULONG found = 0;
    if (p11->f->C_FindObjectsInit(p11->session, query, 2) != CKR_OK) return CK_INVALID_HANDLE;
    if (p11->f->C_FindObjects(p11->session, &object, 1, &found) != CKR_OK || found == 0) object = CK_INVALID_HANDLE;
    p11->f->C_FindObjectsFinal(p11->session);
    return object;
}

/* Reads CKA_EC_POINT of the public key and builds the SubjectPublicKeyInfo. */
static int load_public(tcu_p11 *p11, CK_OBJECT_HANDLE public_key, char *error, size_t error_size) {
    uint8_t point[128];
    CK_ATTRIBUTE attribute = {CKA_EC_POINT, point, sizeof point};
    CK_RV rv = p11->f->C_GetAttributeValue(p11->session, public_key, &attribute, 1);
    if (rv != CKR_OK) return fail(error, error_size, "cannot read the public key", rv);
    const uint8_t *raw = point;
    size_t length = attribute.ulValueLen;
    if (length == 67 && point[0] == 0x04 && point[1] == 0x41) { raw += 2; length -= 2; } /* DER OCTET STRING */
    if (length != 65 || raw[0] != 0x04) return fail(error, error_size, "the key is not an uncompressed P-256 point", 0);
    memcpy(p11->spki, p256_spki_prefix, sizeof p256_spki_prefix);
    memcpy(p11->spki + sizeof p256_spki_prefix, raw, 65);
    p11->spki_length = sizeof p256_spki_prefix + 65;
    return 0;
}

int tcu_p11_generate_p256(tcu_p11 *p11, const char *key_label, char *error, size_t error_size) {
    if (find_object(p11, CKO_PRIVATE_KEY, key_label) != CK_INVALID_HANDLE) {
        snprintf(error, error_size, "PKCS#11: a key labelled \"%s\" already exists on the token", key_label);
        return -1;
    }
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_MECHANISM mechanism = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE public_template[] = {
        {CKA_EC_PARAMS, (void *)p256_params, sizeof p256_params}, {CKA_TOKEN, &yes, sizeof yes},
        {CKA_VERIFY, &yes, sizeof yes}, {CKA_LABEL, (void *)key_label, strlen(key_label)},
        {CKA_ID, (void *)key_label, strlen(key_label)},
    };
    CK_ATTRIBUTE private_template[] = {
        {CKA_TOKEN, &yes, sizeof yes},       {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},   {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},        {CKA_LABEL, (void *)key_label, strlen(key_label)},
        {CKA_ID, (void *)key_label, strlen(key_label)},
    };
    CK_OBJECT_HANDLE public_key, private_key;
    CK_RV rv = p11->f->C_GenerateKeyPair(p11->session, &mechanism, public_template, 5, private_template, 7, &public_key,
                                         &private_key);
    if (rv != CKR_OK) return fail(error, error_size, "key generation failed", rv);
    p11->private_key = private_key;
    return load_public(p11, public_key, error, error_size);
}

int tcu_p11_find_key(tcu_p11 *p11, const char *key_label, char *error, size_t error_size) {
    CK_OBJECT_HANDLE private_key = find_object(p11, CKO_PRIVATE_KEY, key_label);
    CK_OBJECT_HANDLE public_key = find_object(p11, CKO_PUBLIC_KEY, key_label);
    if (private_key == CK_INVALID_HANDLE || public_key == CK_INVALID_HANDLE) {
        snprintf(error, error_size, "PKCS#11: no key pair labelled \"%s\" on the token", key_label);
        return -1;
    }
    p11->private_key = private_key;
    return load_public(p11, public_key, error, error_size);
}

int tcu_p11_public_key(tcu_p11 *p11, uint8_t *out, size_t capacity) {
    if (p11 == NULL || p11->spki_length == 0 || capacity < p11->spki_length) return -1;
    memcpy(out, p11->spki, p11->spki_length);
    return (int)p11->spki_length;
}

/* Appends a DER INTEGER for an unsigned big-endian number. */
static size_t der_integer(uint8_t *out, const uint8_t *value, size_t length) {
    while (length > 1 && value[0] == 0) { value++; length--; }
    size_t pad = value[0] & 0x80 ? 1 : 0;
    out[0] = 0x02;
    out[1] = (uint8_t)(length + pad);
    out[2] = 0;
    memcpy(out + 2 + pad, value, length);
    return 2 + pad + length;
}

int tcu_p11_sign_ecdsa(tcu_p11 *p11, const uint8_t *digest, size_t digest_length, uint8_t *out, size_t capacity) {
    if (p11 == NULL || p11->private_key == CK_INVALID_HANDLE || capacity < 72) return -1;
    CK_MECHANISM mechanism = {CKM_ECDSA, NULL, 0};
    if (p11->f->C_SignInit(p11->session, &mechanism, p11->private_key) != CKR_OK) return -1;
    uint8_t raw[132];
    CK_ULONG raw_length = sizeof raw;
    if (p11->f->C_Sign(p11->session, (CK_BYTE_PTR)digest, (CK_ULONG)digest_length, raw, &raw_length) != CKR_OK ||
        raw_length != 64)
        return -1;
    /* PKCS#11 gives r || s; TLS wants SEQUENCE { INTEGER r, INTEGER s }. */
    uint8_t body[70];
    size_t used = der_integer(body, raw, 32);
    used += der_integer(body + used, raw + 32, 32);
    out[0] = 0x30;
    out[1] = (uint8_t)used;
    memcpy(out + 2, body, used);
    return (int)(used + 2);
}

int tcu_p11_key_flags(tcu_p11 *p11, int *extractable, int *sensitive) {
    CK_BBOOL is_extractable = CK_TRUE, is_sensitive = CK_FALSE;
    CK_ATTRIBUTE attributes[] = {{CKA_EXTRACTABLE, &is_extractable, sizeof is_extractable},
                                 {CKA_SENSITIVE, &is_sensitive, sizeof is_sensitive}};
    if (p11 == NULL || p11->f->C_GetAttributeValue(p11->session, p11->private_key, attributes, 2) != CKR_OK) return -1;
    *extractable = is_extractable == CK_TRUE;
    *sensitive = is_sensitive == CK_TRUE;
    return 0;
}

/* ---- Sealed storage: an AES-256 secret key on the token, used only through CKM_AES_GCM ----
 * Blob: version (1) = 1 | IV (12, from the token's RNG) | ciphertext || tag (16), as C_Encrypt
 * gives them; additional data = version || binding. */
#define SEAL_VERSION 1U
#define SEAL_IV 12U
#define SEAL_TAG 16U
#define SEAL_BINDING_MAX 64U

static CK_OBJECT_HANDLE seal_key(tcu_p11 *p11, const char *label, int create) {
    CK_OBJECT_HANDLE key = find_object(p11, CKO_SECRET_KEY, label);
    if (key != CK_INVALID_HANDLE || !create) return key;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS class = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_AES;
    CK_ULONG bytes = 32;
    CK_MECHANISM mechanism = {CKM_AES_KEY_GEN, NULL, 0};
    CK_ATTRIBUTE template[] = {
        {CKA_CLASS, &class, sizeof class},          {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_VALUE_LEN, &bytes, sizeof bytes},      {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},            {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},          {CKA_ENCRYPT, &yes, sizeof yes},
        {CKA_DECRYPT, &yes, sizeof yes},            {CKA_WRAP, &no, sizeof no},
        {CKA_UNWRAP, &no, sizeof no},               {CKA_SIGN, &no, sizeof no},
        {CKA_VERIFY, &no, sizeof no},               {CKA_DERIVE, &no, sizeof no},
        {CKA_LABEL, (void *)label, strlen(label)},
    };
    if (p11->f->C_GenerateKey(p11->session, &mechanism, template, sizeof template / sizeof template[0], &key) != CKR_OK)
        return CK_INVALID_HANDLE;
    return key;
}

static int seal_arguments(tcu_p11 *p11, const char *label, const uint8_t *binding, size_t binding_length,
                          uint8_t aad[1 + SEAL_BINDING_MAX]) {
    if (p11 == NULL || label == NULL || binding == NULL || binding_length == 0 || binding_length > SEAL_BINDING_MAX)
        return -1;
    aad[0] = SEAL_VERSION;
    memcpy(aad + 1, binding, binding_length);
    return 0;
}

int tcu_p11_seal(tcu_p11 *p11, const char *seal_label, const uint8_t *binding, size_t binding_length,
                 const uint8_t *plaintext, size_t length, uint8_t *out, size_t capacity) {
    uint8_t aad[1 + SEAL_BINDING_MAX];
    if (seal_arguments(p11, seal_label, binding, binding_length, aad) != 0 || plaintext == NULL || length == 0 ||
        out == NULL)
        return TCU_P11_SEAL_ERR_FAILED;
    if (capacity < 1 + SEAL_IV + length + SEAL_TAG) return TCU_P11_SEAL_ERR_TOO_SMALL;
    CK_OBJECT_HANDLE key = seal_key(p11, seal_label, 1);
    if (key == CK_INVALID_HANDLE) return TCU_P11_SEAL_ERR_FAILED;
    out[0] = SEAL_VERSION;
    if (p11->f->C_GenerateRandom(p11->session, out + 1, SEAL_IV) != CKR_OK) return TCU_P11_SEAL_ERR_FAILED;
    CK_GCM_PARAMS gcm = {out + 1, SEAL_IV, SEAL_IV * 8, aad, 1 + binding_length, SEAL_TAG * 8};
    CK_MECHANISM mechanism = {CKM_AES_GCM, &gcm, sizeof gcm};
    if (p11->f->C_EncryptInit(p11->session, &mechanism, key) != CKR_OK) return TCU_P11_SEAL_ERR_FAILED;
    CK_ULONG written = (CK_ULONG)(capacity - 1 - SEAL_IV);
    CK_RV rv = p11->f->C_Encrypt(p11->session, (CK_BYTE_PTR)plaintext, (CK_ULONG)length, out + 1 + SEAL_IV, &written);
    if (rv != CKR_OK || written != length + SEAL_TAG) {
        memset(out, 0, capacity);
        return TCU_P11_SEAL_ERR_FAILED;
    }
    return (int)(1 + SEAL_IV + written);
}

int tcu_p11_unseal(tcu_p11 *p11, const char *seal_label, const uint8_t *binding, size_t binding_length,
                   const uint8_t *sealed, size_t length, uint8_t *out, size_t capacity) {
    uint8_t aad[1 + SEAL_BINDING_MAX];
    if (seal_arguments(p11, seal_label, binding, binding_length, aad) != 0 || sealed == NULL || out == NULL)
        return TCU_P11_SEAL_ERR_FAILED;
    if (length <= 1 + SEAL_IV + SEAL_TAG || sealed[0] != SEAL_VERSION) return TCU_P11_SEAL_ERR_REJECTED;
    size_t plain = length - 1 - SEAL_IV - SEAL_TAG;
    if (capacity < plain) return TCU_P11_SEAL_ERR_TOO_SMALL;
    /* No sealing key on this token: nothing sealed elsewhere can be authentic here. */
    CK_OBJECT_HANDLE key = seal_key(p11, seal_label, 0);
    if (key == CK_INVALID_HANDLE) return TCU_P11_SEAL_ERR_REJECTED;
    CK_GCM_PARAMS gcm = {(CK_BYTE_PTR)sealed + 1, SEAL_IV, SEAL_IV * 8, aad, 1 + binding_length, SEAL_TAG * 8};
    CK_MECHANISM mechanism = {CKM_AES_GCM, &gcm, sizeof gcm};
    /* Some modules want room for the tag in the output during decryption: decrypt into a scratch buffer. */
    uint8_t *scratch = malloc(length);
    if (scratch == NULL) return TCU_P11_SEAL_ERR_FAILED;
    CK_ULONG written = (CK_ULONG)length;
    int status = TCU_P11_SEAL_ERR_FAILED;
    if (p11->f->C_DecryptInit(p11->session, &mechanism, key) == CKR_OK) {
        CK_RV rv = p11->f->C_Decrypt(p11->session, (CK_BYTE_PTR)sealed + 1 + SEAL_IV, (CK_ULONG)(length - 1 - SEAL_IV),
                                     scratch, &written);
        /* A tag that does not verify fails C_Decrypt; the CKR code varies between modules. */
        if (rv == CKR_OK && written == plain) {
            memcpy(out, scratch, plain);
            status = (int)plain;
        } else {
            status = TCU_P11_SEAL_ERR_REJECTED;
        }
    }
    memset(scratch, 0, length);
    __asm__ __volatile__("" : : "r"(scratch) : "memory"); /* keep the zeroing */
    free(scratch);
    return status;
}

void tcu_p11_close(tcu_p11 *p11) {
    if (p11 == NULL) return;
    if (p11->f != NULL) {
        if (p11->logged_in) p11->f->C_Logout(p11->session);
        if (p11->session) p11->f->C_CloseSession(p11->session);
        p11->f->C_Finalize(NULL);
    }
    if (p11->module != NULL) dlclose(p11->module);
    free(p11);
}

int tcu_p11_seal_key_flags(tcu_p11 *p11, const char *seal_label, int *extractable, int *sensitive) {
    if (p11 == NULL || seal_label == NULL) return -1;
    CK_OBJECT_HANDLE key = seal_key(p11, seal_label, 0);
    if (key == CK_INVALID_HANDLE) return -1;
    CK_BBOOL is_extractable = CK_TRUE, is_sensitive = CK_FALSE;
    CK_ATTRIBUTE attributes[] = {{CKA_EXTRACTABLE, &is_extractable, sizeof is_extractable},
                                 {CKA_SENSITIVE, &is_sensitive, sizeof is_sensitive}};
    if (p11->f->C_GetAttributeValue(p11->session, key, attributes, 2) != CKR_OK) return -1;
    *extractable = is_extractable == CK_TRUE;
    *sensitive = is_sensitive == CK_TRUE;
    return 0;
}

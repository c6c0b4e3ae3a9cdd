#include "pkcs11_keys.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

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

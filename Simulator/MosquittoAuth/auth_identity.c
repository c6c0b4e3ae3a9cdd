/* auth_identity.c: who a client certificate names. The device id is the subject's first CN (what
 * mosquitto's use_identity_as_username takes, and what tcu-backend takes); a serialNumber attribute,
 * when present, must name the same device; the serial number is kept for the revocation check and the
 * certificatePolicies OIDs for the topic grants. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "auth.h"

bool auth_device_id_valid(const char *id) {
    size_t length = strlen(id);
    if (length == 0 || length > 64 || !isalnum((unsigned char)id[0])) return false;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!(isalnum(c) || c == '-' || c == '_' || c == '.') || c > 0x7f) return false;
    }
    return true;
}

/* The first entry of `nid` in the name as UTF-8, or false when there is none or it does not fit. */
static bool name_entry(X509_NAME *name, int nid, char *out, size_t out_size) {
    int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0) return false;
    ASN1_STRING *value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char *utf8 = NULL;
    int length = ASN1_STRING_to_UTF8(&utf8, value);
    bool fits = length >= 0 && (size_t)length < out_size && memchr(utf8, 0, (size_t)length) == NULL;
    if (fits) {
        memcpy(out, utf8, (size_t)length);
        out[length] = 0;
    }
    OPENSSL_free(utf8);
    return fits;
}

const char *auth_identity_read(X509 *certificate, auth_identity *out) {
    memset(out, 0, sizeof *out);
    X509_NAME *subject = X509_get_subject_name(certificate);
    if (!subject || !name_entry(subject, NID_commonName, out->device_id, sizeof out->device_id) ||
        !auth_device_id_valid(out->device_id))
        return "no-identity";
    char serial_attribute[AUTH_ID_MAX];
    if (X509_NAME_get_index_by_NID(subject, NID_serialNumber, -1) >= 0 &&
        (!name_entry(subject, NID_serialNumber, serial_attribute, sizeof serial_attribute) ||
         strcmp(serial_attribute, out->device_id) != 0))
        return "serial-number-mismatch";

    BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), NULL);
    char *hex = serial ? BN_bn2hex(serial) : NULL;
    if (!hex || strlen(hex) >= sizeof out->serial_hex) {
        BN_free(serial);
        OPENSSL_free(hex);
        return "no-identity";
    }
    strcpy(out->serial_hex, hex);
    BN_free(serial);
    OPENSSL_free(hex);

    CERTIFICATEPOLICIES *policies = X509_get_ext_d2i(certificate, NID_certificate_policies, NULL, NULL);
    for (int i = 0; policies && i < sk_POLICYINFO_num(policies) && out->policy_count < AUTH_POLICIES_MAX; i++) {
        POLICYINFO *policy = sk_POLICYINFO_value(policies, i);
        if (OBJ_obj2txt(out->policies[out->policy_count], AUTH_OID_MAX, policy->policyid, 1) > 0) out->policy_count++;
    }
    CERTIFICATEPOLICIES_free(policies);
    return NULL;
}

/* auth_revocation.c: the CRL the plugin checks serial numbers against, read again when the file
 * changes (mosquitto's own crlfile is read only at start and on SIGHUP, and keeps revoked devices
 * connected). A CRL is taken only when its issuer's key verifies its signature and it is current. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "auth.h"

struct auth_revocation {
    char crl_path[4096];
    char stamp[128];
    X509 *issuer;
    X509_CRL *crl;
};

/* Reads and checks the CRL; NULL with `error` set when it cannot be used. */
static X509_CRL *read_crl(const char *path, X509 *issuer, char *error, size_t error_size) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error, error_size, "crl %s: %s", path, strerror(errno));
        return NULL;
    }
    X509_CRL *crl = PEM_read_X509_CRL(file, NULL, NULL, NULL);
    fclose(file);
    const char *problem = NULL;
    if (!crl)
        problem = "not a PEM CRL";
    else if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
        problem = "issued by another CA than crl_issuer";
    else if (X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1)
        problem = "its signature does not verify with crl_issuer's key";
    else if (X509_CRL_get0_nextUpdate(crl) && X509_cmp_current_time(X509_CRL_get0_nextUpdate(crl)) < 0)
        problem = "past its nextUpdate";
    if (problem) {
        snprintf(error, error_size, "crl %s: %s", path, problem);
        X509_CRL_free(crl);
        return NULL;
    }
    return crl;
}

auth_revocation *auth_revocation_load(const char *crl_path, const char *issuer_path, char *error, size_t error_size) {
    auth_revocation *revocation = calloc(1, sizeof *revocation);
    if (!revocation || strlen(crl_path) >= sizeof revocation->crl_path) {
        snprintf(error, error_size, "crl %s: path too long", crl_path);
        free(revocation);
        return NULL;
    }
    strcpy(revocation->crl_path, crl_path);
    FILE *file = fopen(issuer_path, "rb");
    revocation->issuer = file ? PEM_read_X509(file, NULL, NULL, NULL) : NULL;
    if (file) fclose(file);
    if (!revocation->issuer) {
        snprintf(error, error_size, "crl_issuer %s: %s", issuer_path, file ? "not a PEM certificate" : strerror(errno));
        free(revocation);
        return NULL;
    }
    if (!auth_file_stamp(crl_path, revocation->stamp, sizeof revocation->stamp) ||
        !(revocation->crl = read_crl(crl_path, revocation->issuer, error, error_size))) {
        if (!revocation->stamp[0]) snprintf(error, error_size, "crl %s: %s", crl_path, strerror(errno));
        X509_free(revocation->issuer);
        free(revocation);
        return NULL;
    }
    return revocation;
}

bool auth_revocation_refresh(auth_revocation *revocation, char *error, size_t error_size) {
    char stamp[sizeof revocation->stamp];
    if (!auth_file_stamp(revocation->crl_path, stamp, sizeof stamp) || strcmp(stamp, revocation->stamp) == 0)
        return false;
    X509_CRL *crl = read_crl(revocation->crl_path, revocation->issuer, error, error_size);
    strcpy(revocation->stamp, stamp); /* a bad file is reported once, not every tick */
    if (!crl) return false;
    X509_CRL_free(revocation->crl);
    revocation->crl = crl;
    return true;
}

bool auth_revocation_is_revoked(const auth_revocation *revocation, const char *serial_hex) {
    BIGNUM *number = NULL;
    if (!BN_hex2bn(&number, serial_hex)) return true; /* cannot tell: fail closed */
    ASN1_INTEGER *serial = BN_to_ASN1_INTEGER(number, NULL);
    BN_free(number);
    X509_REVOKED *entry = NULL;
    int found = serial ? X509_CRL_get0_by_serial(revocation->crl, &entry, serial) : 1;
    ASN1_INTEGER_free(serial);
    return found == 1;
}

void auth_revocation_free(auth_revocation *revocation) {
    if (!revocation) return;
    X509_CRL_free(revocation->crl);
    X509_free(revocation->issuer);
    free(revocation);
}

/* auth.h: tculink-mosquitto-auth, the parts and what they share. See README.md. */
#ifndef TCULINK_MOSQUITTO_AUTH_H
#define TCULINK_MOSQUITTO_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#define AUTH_ID_MAX 128
#define AUTH_POLICIES_MAX 8
#define AUTH_OID_MAX 64

/* ---- What a certificate says (auth_identity.c) ---- */

typedef struct auth_identity {
    char device_id[AUTH_ID_MAX];     /* the subject's first CN */
    char serial_hex[80];             /* the certificate's serial number, upper-case hex */
    char policies[AUTH_POLICIES_MAX][AUTH_OID_MAX]; /* certificatePolicies OIDs, dotted */
    int policy_count;
} auth_identity;

/* Reads the identity out of `certificate`. NULL on success, else the refusal word ("no-identity" when there
 * is no CN or it is not a device id, "serial-number-mismatch" when a serialNumber attribute names another). */
const char *auth_identity_read(X509 *certificate, auth_identity *out);

/* Whether `id` is a device id as tcu-backend allows them (letters, digits, '-', '_', '.', 1..64, no leading '.'). */
bool auth_device_id_valid(const char *id);

/* ---- The registry: tcu-backend's registry.json (auth_registry.c) ---- */

typedef enum auth_role { AUTH_ROLE_NONE = 0, AUTH_ROLE_DEVICE, AUTH_ROLE_BACKEND } auth_role;

typedef struct auth_registry auth_registry;

/* Loads `path` (a JSON array of {"id": ..., "role"?: "backend"}). NULL with `error` set when the file cannot be
 * read or is not a registry. */
auth_registry *auth_registry_load(const char *path, char *error, size_t error_size);
/* Reads the file again when it changed (inode, size or mtime); true when it did and the new content was taken.
 * A file that became unreadable keeps the old content and sets `error`. */
bool auth_registry_refresh(auth_registry *registry, char *error, size_t error_size);
auth_role auth_registry_role(const auth_registry *registry, const char *device_id);
void auth_registry_free(auth_registry *registry);

/* ---- Revocation: a CRL file, its signature checked against its issuer (auth_revocation.c) ---- */

typedef struct auth_revocation auth_revocation;

/* Loads the CRL at `crl_path`, checking it is signed by the certificate in `issuer_path` and current. */
auth_revocation *auth_revocation_load(const char *crl_path, const char *issuer_path, char *error, size_t error_size);
/* As auth_registry_refresh, for the CRL file. A new CRL that does not verify is refused (the old one stays). */
bool auth_revocation_refresh(auth_revocation *revocation, char *error, size_t error_size);
bool auth_revocation_is_revoked(const auth_revocation *revocation, const char *serial_hex);
void auth_revocation_free(auth_revocation *revocation);

/* ---- Topic rights (auth_topics.c) ---- */

typedef struct auth_grants auth_grants;

/* Loads the policy file: lines "OID publish|subscribe PATTERN" ({id} in PATTERN is the device id), '#' comments. */
auth_grants *auth_grants_load(const char *path, char *error, size_t error_size);
void auth_grants_free(auth_grants *grants);

typedef enum auth_access { AUTH_PUBLISH, AUTH_SUBSCRIBE } auth_access;

/* Whether a client with this identity and role may publish to `topic` (AUTH_PUBLISH), or subscribe with the
 * filter `topic` (AUTH_SUBSCRIBE: every topic the filter matches must be one the client may read). */
bool auth_topic_allowed(const auth_identity *identity, auth_role role, const auth_grants *grants, auth_access access,
                        const char *topic);

/* Whether every topic matching `filter` also matches `pattern` (MQTT wildcards + and # in both). */
bool auth_filter_within(const char *filter, const char *pattern);

/* ---- Files ---- */

/* The file's identity for change detection: "inode:size:mtime_ns"; false when it cannot be stat'ed. */
bool auth_file_stamp(const char *path, char *stamp, size_t stamp_size);

#endif

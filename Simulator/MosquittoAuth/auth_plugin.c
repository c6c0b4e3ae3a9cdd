/* auth_plugin.c: tculink-mosquitto-auth, mosquitto's plugin interface (version 5) over the parts in
 * auth.h. mosquitto verifies the TLS chain (cafile, require_certificate); this plugin decides who that
 * certificate may be and what it may do:
 *   connect    the certificate's CN is the device id (a serialNumber attribute must agree), the MQTT
 *              client id is that id, in Azure mode the username is "{hub_host}/{id}/?api-version=...",
 *              the device is in the registry and its serial is not on the CRL; else CONNACK "not
 *              authorized" (5) and a REFUSED line;
 *   topics     per-device (auth_topics.c): a foreign SUBSCRIBE is answered 0x80 in its SUBACK, a foreign
 *              PUBLISH is dropped and logged as DENIED;
 *   changes    every tick, a changed registry or CRL is read again, and connected clients that are no
 *              longer registered, or now revoked, are disconnected (DISCONNECTED line).
 * A TLS session resumed without the certificate is judged by the identity remembered for its client id.
 * Options (mosquitto.conf): plugin_opt_registry PATH (required), plugin_opt_crl PATH with
 * plugin_opt_crl_issuer PATH, plugin_opt_policies PATH, plugin_opt_hub_host NAME. A missing or bad file
 * stops the broker at start with a message naming it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <openssl/x509.h>

#include "auth.h"

/* A client the plugin let in (or remembers from an earlier connection, for resumed sessions). */
typedef struct known_client {
    char client_id[AUTH_ID_MAX];
    auth_identity identity;
    auth_role role;
    /* The connection that holds the client id now, NULL when none. A device that reconnects at once takes
     * the id over before the broker has finished with its old connection, whose DISCONNECT comes after:
     * that one must not mark the new connection gone. */
    const struct mosquitto *connection;
} known_client;

static struct {
    mosquitto_plugin_id_t *id;
    auth_registry *registry;
    auth_revocation *revocation;
    auth_grants *grants;
    char hub_host[256];
    known_client *clients;
    size_t client_count;
} state;

#define LOG(level, ...) mosquitto_log_printf(level, "tculink-auth: " __VA_ARGS__)

static known_client *find_client(const char *client_id) {
    for (size_t i = 0; client_id && i < state.client_count; i++)
        if (strcmp(state.clients[i].client_id, client_id) == 0) return &state.clients[i];
    return NULL;
}

static known_client *remember(const struct mosquitto *connection, const char *client_id,
                              const auth_identity *identity, auth_role role) {
    known_client *client = find_client(client_id);
    if (!client) {
        known_client *grown = realloc(state.clients, (state.client_count + 1) * sizeof *grown);
        if (!grown) return NULL;
        state.clients = grown;
        client = &state.clients[state.client_count++];
    }
    snprintf(client->client_id, sizeof client->client_id, "%s", client_id);
    client->identity = *identity;
    client->role = role;
    client->connection = connection;
    return client;
}

static int refuse(const char *device, const char *address, const char *word, const char *explanation) {
    LOG(MOSQ_LOG_NOTICE, "REFUSED device=%s peer=%s reason=%s: %s", device, address ? address : "?", word,
        explanation);
    return MOSQ_ERR_AUTH;
}

/* Registry and CRL, for an identity: NULL when it may be connected, else the refusal word. */
static const char *standing(const auth_identity *identity, auth_role *role) {
    *role = auth_registry_role(state.registry, identity->device_id);
    if (*role == AUTH_ROLE_NONE) return "unregistered";
    if (state.revocation && auth_revocation_is_revoked(state.revocation, identity->serial_hex)) return "revoked";
    return NULL;
}

static const char *explain(const char *word) {
    if (strcmp(word, "unregistered") == 0) return "the device is not in the registry";
    if (strcmp(word, "revoked") == 0) return "the certificate's serial number is on the CRL";
    if (strcmp(word, "no-identity") == 0) return "the certificate has no CN that is a device id";
    if (strcmp(word, "serial-number-mismatch") == 0) return "the subject's serialNumber names another device";
    return word;
}

static int on_basic_auth(int event, void *event_data, void *userdata) {
    (void)event;
    (void)userdata;
    struct mosquitto_evt_basic_auth *auth = event_data;
    const char *address = mosquitto_client_address(auth->client);
    const char *client_id = mosquitto_client_id(auth->client);
    auth_identity identity;
    X509 *certificate = mosquitto_client_certificate(auth->client);
    if (certificate) {
        const char *problem = auth_identity_read(certificate, &identity);
        X509_free(certificate);
        if (problem) return refuse("?", address, problem, explain(problem));
    } else {
        /* A resumed TLS session: mosquitto has no certificate for it. The identity is the one remembered for
         * this client id, judged again below; one never seen (a broker restarted since) is refused. */
        known_client *known = find_client(client_id);
        if (!known) return refuse(client_id ? client_id : "?", address, "no-client-certificate",
                                  "no certificate, and no earlier connection of this client id to judge it by");
        identity = known->identity;
    }
    const char *device = identity.device_id;
    if (!client_id || strcmp(client_id, device) != 0)
        return refuse(device, address, "client-id-mismatch", "the MQTT client id must be the certificate's CN");
    if (state.hub_host[0]) {
        char expected[512];
        snprintf(expected, sizeof expected, "%s/%s/?api-version=", state.hub_host, device);
        if (!auth->username || strncmp(auth->username, expected, strlen(expected)) != 0)
            return refuse(device, address, "username-mismatch",
                          "Azure IoT Hub's username is {hub_host}/{device id}/?api-version=...");
    }
    auth_role role;
    const char *problem = standing(&identity, &role);
    if (problem) return refuse(device, address, problem, explain(problem));
    if (!remember(auth->client, client_id, &identity, role)) return MOSQ_ERR_NOMEM;
    mosquitto_set_username(auth->client, device); /* what mosquitto's own logs and ACL patterns (%u) see */
    LOG(MOSQ_LOG_INFO, "ACCEPTED device=%s peer=%s%s", device, address ? address : "?",
        role == AUTH_ROLE_BACKEND ? " role=backend" : "");
    return MOSQ_ERR_SUCCESS;
}

static int on_acl_check(int event, void *event_data, void *userdata) {
    (void)event;
    (void)userdata;
    struct mosquitto_evt_acl_check *check = event_data;
    known_client *client = find_client(mosquitto_client_id(check->client));
    if (!client || client->connection != check->client) return MOSQ_ERR_ACL_DENIED;
    switch (check->access) {
    case MOSQ_ACL_SUBSCRIBE:
    case MOSQ_ACL_UNSUBSCRIBE:
        if (auth_topic_allowed(&client->identity, client->role, state.grants, AUTH_SUBSCRIBE, check->topic))
            return MOSQ_ERR_SUCCESS;
        if (check->access == MOSQ_ACL_UNSUBSCRIBE) return MOSQ_ERR_SUCCESS; /* harmless */
        LOG(MOSQ_LOG_NOTICE, "DENIED device=%s subscribe %s", client->identity.device_id, check->topic);
        return MOSQ_ERR_ACL_DENIED;
    case MOSQ_ACL_READ:
        return auth_topic_allowed(&client->identity, client->role, state.grants, AUTH_SUBSCRIBE, check->topic)
                   ? MOSQ_ERR_SUCCESS
                   : MOSQ_ERR_ACL_DENIED;
    case MOSQ_ACL_WRITE:
        if (auth_topic_allowed(&client->identity, client->role, state.grants, AUTH_PUBLISH, check->topic))
            return MOSQ_ERR_SUCCESS;
        LOG(MOSQ_LOG_NOTICE, "DENIED device=%s publish %s", client->identity.device_id, check->topic);
        return MOSQ_ERR_ACL_DENIED;
    default:
        return MOSQ_ERR_ACL_DENIED;
    }
}

static int on_disconnect(int event, void *event_data, void *userdata) {
    (void)event;
    (void)userdata;
    struct mosquitto_evt_disconnect *gone = event_data;
    known_client *client = find_client(mosquitto_client_id(gone->client));
    if (client && client->connection == gone->client) client->connection = NULL;
    return MOSQ_ERR_SUCCESS;
}

/* Registry or CRL changed: disconnect whoever no longer stands. */
static int on_tick(int event, void *event_data, void *userdata) {
    (void)event;
    (void)event_data;
    (void)userdata;
    char error[512] = "";
    bool changed = auth_registry_refresh(state.registry, error, sizeof error);
    if (error[0]) LOG(MOSQ_LOG_WARNING, "%s", error);
    error[0] = 0;
    if (state.revocation) changed |= auth_revocation_refresh(state.revocation, error, sizeof error);
    if (error[0]) LOG(MOSQ_LOG_WARNING, "%s (the CRL read before stays in force)", error);
    if (!changed) return MOSQ_ERR_SUCCESS;
    for (size_t i = 0; i < state.client_count; i++) {
        known_client *client = &state.clients[i];
        auth_role role;
        const char *problem = standing(&client->identity, &role);
        if (problem && client->connection) {
            LOG(MOSQ_LOG_NOTICE, "DISCONNECTED device=%s reason=%s: %s", client->identity.device_id, problem,
                explain(problem));
            mosquitto_kick_client_by_clientid(client->client_id, false);
            client->connection = NULL;
        }
        if (!problem) client->role = role;
    }
    return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions) {
    for (int i = 0; i < supported_version_count; i++)
        if (supported_versions[i] == 5) return 5;
    return -1;
}

static const char *option(struct mosquitto_opt *options, int count, const char *key) {
    for (int i = 0; i < count; i++)
        if (strcmp(options[i].key, key) == 0) return options[i].value;
    return NULL;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *options,
                          int option_count) {
    (void)userdata;
    char error[1024] = "";
    const char *registry = option(options, option_count, "registry");
    const char *crl = option(options, option_count, "crl");
    const char *crl_issuer = option(options, option_count, "crl_issuer");
    const char *policies = option(options, option_count, "policies");
    const char *hub_host = option(options, option_count, "hub_host");
    if (!registry) snprintf(error, sizeof error, "plugin_opt_registry is required (tcu-backend's registry.json)");
    else if (crl && !crl_issuer) snprintf(error, sizeof error, "plugin_opt_crl needs plugin_opt_crl_issuer");
    else if (!(state.registry = auth_registry_load(registry, error, sizeof error))) {
    } else if (crl && !(state.revocation = auth_revocation_load(crl, crl_issuer, error, sizeof error))) {
    } else if (policies && !(state.grants = auth_grants_load(policies, error, sizeof error))) {
    } else if (hub_host && strlen(hub_host) >= sizeof state.hub_host) {
        snprintf(error, sizeof error, "plugin_opt_hub_host is too long");
    }
    if (error[0]) {
        LOG(MOSQ_LOG_ERR, "cannot start: %s", error);
        fprintf(stderr, "tculink-auth: cannot start: %s\n", error);
        return MOSQ_ERR_INVAL;
    }
    if (hub_host) strcpy(state.hub_host, hub_host);
    state.id = identifier;
    int rc = mosquitto_callback_register(identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_callback_register(identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, NULL);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_callback_register(identifier, MOSQ_EVT_DISCONNECT, on_disconnect, NULL, NULL);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_callback_register(identifier, MOSQ_EVT_TICK, on_tick, NULL, NULL);
    LOG(MOSQ_LOG_INFO, "registry %s%s%s%s%s", registry, crl ? ", crl " : "", crl ? crl : "",
        hub_host ? ", Azure mode for " : "", hub_host ? hub_host : "");
    return rc;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count) {
    (void)userdata;
    (void)options;
    (void)option_count;
    if (state.id) {
        mosquitto_callback_unregister(state.id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
        mosquitto_callback_unregister(state.id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
        mosquitto_callback_unregister(state.id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL);
        mosquitto_callback_unregister(state.id, MOSQ_EVT_TICK, on_tick, NULL);
    }
    auth_registry_free(state.registry);
    auth_revocation_free(state.revocation);
    auth_grants_free(state.grants);
    free(state.clients);
    memset(&state, 0, sizeof state);
    return MOSQ_ERR_SUCCESS;
}

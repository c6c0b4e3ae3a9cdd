/* auth_topics.c: what each identity may publish and subscribe to, as Azure IoT Hub allows a device:
 *   publish    devices/{id}/messages/events/ and below, $iothub/methods/res/#, $iothub/twin/ requests
 *   subscribe  devices/{id}/messages/devicebound/#, $iothub/methods/POST/#, $iothub/twin/res/#,
 *              $iothub/twin/PATCH/properties/desired/#
 * A backend identity reads every device's telemetry and writes every device's devicebound topics.
 * Policy OIDs in the certificate add rights from the policy file ({id} is the device id).
 * A subscription is allowed only when every topic its filter matches is one the client may read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

typedef struct grant {
    char oid[AUTH_OID_MAX];
    auth_access access;
    char pattern[256];
} grant;

struct auth_grants {
    grant *items;
    size_t count;
};

static const char *const device_publish[] = {"devices/{id}/messages/events/", "devices/{id}/messages/events/#",
                                             "$iothub/methods/res/#", "$iothub/twin/PATCH/properties/reported/#",
                                             "$iothub/twin/GET/#", NULL};
static const char *const device_subscribe[] = {"devices/{id}/messages/devicebound/#", "$iothub/methods/POST/#",
                                               "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#", NULL};
static const char *const backend_publish[] = {"devices/+/messages/devicebound/#", "$iothub/methods/POST/#", NULL};
static const char *const backend_subscribe[] = {"devices/+/messages/events/#", "$iothub/methods/res/#", NULL};

/* `pattern` with {id} replaced by the device id; false when it does not fit. */
static bool expand(const char *pattern, const char *id, char *out, size_t out_size) {
    size_t used = 0;
    for (const char *p = pattern; *p;) {
        const char *piece = p;
        size_t length = 1;
        if (strncmp(p, "{id}", 4) == 0) {
            piece = id;
            length = strlen(id);
            p += 4;
        } else {
            p++;
        }
        if (used + length + 1 > out_size) return false;
        memcpy(out + used, piece, length);
        used += length;
    }
    out[used] = 0;
    return true;
}

/* Compares one level of each (up to '/' or the end); advances both past it. */
static bool next_level(const char **text, const char **level, size_t *length) {
    if (!*text) return false;
    *level = *text;
    const char *slash = strchr(*text, '/');
    *length = slash ? (size_t)(slash - *text) : strlen(*text);
    *text = slash ? slash + 1 : NULL;
    return true;
}

bool auth_filter_within(const char *filter, const char *pattern) {
    const char *f = filter, *p = pattern, *fl, *pl;
    size_t fn, pn;
    for (;;) {
        bool has_f = next_level(&f, &fl, &fn), has_p = next_level(&p, &pl, &pn);
        if (has_p && pn == 1 && pl[0] == '#') return true; /* the pattern takes everything below */
        if (!has_f || !has_p) return has_f == has_p;
        if (fn == 1 && fl[0] == '#') return false;          /* the filter reaches where the pattern does not */
        if (pn == 1 && pl[0] == '+') continue;              /* any level, a + of the filter included */
        if (fn == 1 && fl[0] == '+') return false;          /* the filter takes levels the pattern names */
        if (fn != pn || memcmp(fl, pl, fn) != 0) return false;
    }
}

static bool any_within(const char *const *patterns, const char *id, const char *topic) {
    char expanded[512];
    for (int i = 0; patterns[i]; i++)
        if (expand(patterns[i], id, expanded, sizeof expanded) && auth_filter_within(topic, expanded)) return true;
    return false;
}

bool auth_topic_allowed(const auth_identity *identity, auth_role role, const auth_grants *grants, auth_access access,
                        const char *topic) {
    /* A topic name (publish) has no wildcards, so "within" is plain matching there. */
    if (access == AUTH_PUBLISH && (strchr(topic, '+') || strchr(topic, '#'))) return false;
    const char *const *own = access == AUTH_PUBLISH ? device_publish : device_subscribe;
    if (role == AUTH_ROLE_BACKEND) own = access == AUTH_PUBLISH ? backend_publish : backend_subscribe;
    if (any_within(own, identity->device_id, topic)) return true;
    for (size_t g = 0; grants && g < grants->count; g++) {
        if (grants->items[g].access != access) continue;
        for (int i = 0; i < identity->policy_count; i++) {
            const char *pattern[] = {grants->items[g].pattern, NULL};
            if (strcmp(identity->policies[i], grants->items[g].oid) == 0 &&
                any_within(pattern, identity->device_id, topic))
                return true;
        }
    }
    return false;
}

auth_grants *auth_grants_load(const char *path, char *error, size_t error_size) {
    FILE *file = fopen(path, "r");
    if (!file) {
        snprintf(error, error_size, "policies %s: %s", path, strerror(errno));
        return NULL;
    }
    auth_grants *grants = calloc(1, sizeof *grants);
    char line[512];
    int number = 0;
    while (grants && fgets(line, sizeof line, file)) {
        number++;
        char oid[AUTH_OID_MAX], access[16], pattern[256], extra[2];
        const char *start = line + strspn(line, " \t\r\n");
        if (*start == '#' || *start == 0) continue; /* a comment or a blank line */
        int fields = sscanf(start, "%63s %15s %255s %1s", oid, access, pattern, extra);
        if (fields <= 0) continue;
        bool good = fields == 3 && (strcmp(access, "publish") == 0 || strcmp(access, "subscribe") == 0) &&
                    strspn(oid, "0123456789.") == strlen(oid) && strchr(oid, '.');
        if (!good) {
            snprintf(error, error_size, "policies %s:%d: expected \"OID publish|subscribe PATTERN\"", path, number);
            auth_grants_free(grants);
            fclose(file);
            return NULL;
        }
        grant *grown = realloc(grants->items, (grants->count + 1) * sizeof *grown);
        if (!grown) break;
        grants->items = grown;
        grant *item = &grants->items[grants->count++];
        snprintf(item->oid, sizeof item->oid, "%s", oid);
        item->access = strcmp(access, "publish") == 0 ? AUTH_PUBLISH : AUTH_SUBSCRIBE;
        snprintf(item->pattern, sizeof item->pattern, "%s", pattern);
    }
    fclose(file);
    return grants;
}

void auth_grants_free(auth_grants *grants) {
    if (!grants) return;
    free(grants->items);
    free(grants);
}

/* auth_registry.c: the devices allowed to connect, from the registry.json that `tcu-backend devices
 * add|remove` maintains (a JSON array of {"id": ...}; "role": "backend" marks a backend identity),
 * read with cJSON and read again whenever the file changes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "auth.h"

typedef struct entry {
    char id[AUTH_ID_MAX];
    auth_role role;
} entry;

struct auth_registry {
    char path[4096];
    char stamp[128];
    entry *entries;
    size_t count;
};

/* Parses the file into a new array; NULL with `error` set when it is not a registry. */
static entry *parse(const char *path, size_t *count, char *error, size_t error_size) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error, error_size, "registry %s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t length = 0, capacity = 0;
    for (;;) {
        if (length + 4096 + 1 > capacity) {
            capacity = (capacity + 4096) * 2;
            char *grown = realloc(text, capacity);
            if (!grown) break;
            text = grown;
        }
        size_t got = fread(text + length, 1, capacity - length - 1, file);
        length += got;
        if (got == 0) break;
    }
    fclose(file);
    if (!text) {
        snprintf(error, error_size, "registry %s: out of memory", path);
        return NULL;
    }
    text[length] = 0;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsArray(root)) {
        snprintf(error, error_size, "registry %s: not a JSON array of devices", path);
        cJSON_Delete(root);
        return NULL;
    }
    size_t n = (size_t)cJSON_GetArraySize(root);
    entry *entries = calloc(n ? n : 1, sizeof *entries);
    size_t used = 0;
    cJSON *item;
    cJSON_ArrayForEach(item, root) {
        cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        cJSON *role = cJSON_GetObjectItemCaseSensitive(item, "role");
        if (!cJSON_IsString(id) || !auth_device_id_valid(id->valuestring) ||
            (role && !(cJSON_IsString(role) && strcmp(role->valuestring, "backend") == 0))) {
            snprintf(error, error_size, "registry %s: entry %zu has no valid \"id\" or an unknown \"role\"", path,
                     used + 1);
            free(entries);
            cJSON_Delete(root);
            return NULL;
        }
        snprintf(entries[used].id, sizeof entries[used].id, "%s", id->valuestring);
        entries[used].role = role ? AUTH_ROLE_BACKEND : AUTH_ROLE_DEVICE;
        used++;
    }
    cJSON_Delete(root);
    *count = used;
    return entries;
}

auth_registry *auth_registry_load(const char *path, char *error, size_t error_size) {
    auth_registry *registry = calloc(1, sizeof *registry);
    if (!registry || strlen(path) >= sizeof registry->path) {
        snprintf(error, error_size, "registry %s: path too long", path);
        free(registry);
        return NULL;
    }
    strcpy(registry->path, path);
    if (!auth_file_stamp(path, registry->stamp, sizeof registry->stamp) ||
        !(registry->entries = parse(path, &registry->count, error, error_size))) {
        if (!registry->stamp[0]) snprintf(error, error_size, "registry %s: %s", path, strerror(errno));
        free(registry);
        return NULL;
    }
    return registry;
}

bool auth_registry_refresh(auth_registry *registry, char *error, size_t error_size) {
    char stamp[sizeof registry->stamp];
    if (!auth_file_stamp(registry->path, stamp, sizeof stamp)) {
        snprintf(error, error_size, "registry %s: %s (the last one read stays in force)", registry->path,
                 strerror(errno));
        return false;
    }
    if (strcmp(stamp, registry->stamp) == 0) return false;
    size_t count = 0;
    entry *entries = parse(registry->path, &count, error, error_size);
    if (!entries) return false; /* half-written or broken: keep what was in force */
    free(registry->entries);
    registry->entries = entries;
    registry->count = count;
    strcpy(registry->stamp, stamp);
    return true;
}

auth_role auth_registry_role(const auth_registry *registry, const char *device_id) {
    for (size_t i = 0; i < registry->count; i++)
        if (strcmp(registry->entries[i].id, device_id) == 0) return registry->entries[i].role;
    return AUTH_ROLE_NONE;
}

void auth_registry_free(auth_registry *registry) {
    if (!registry) return;
    free(registry->entries);
    free(registry);
}

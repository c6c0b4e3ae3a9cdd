/* tcu_hal_posix.c: tcu_hal.h over POSIX. See tcu_hal_posix.h. */
#define _GNU_SOURCE /* explicit_bzero, memmem, getaddrinfo */
#include "tcu_hal_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "posix_entropy.h"

/* ---- Files ---- */

static uint8_t *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    size_t capacity = 4096, used = 0;
    uint8_t *data = malloc(capacity);
    while (data != NULL) {
        size_t got = fread(data + used, 1, capacity - used, file);
        used += got;
        if (got == 0) break;
        if (used == capacity) {
            if (capacity >= 1 << 20) { free(data); data = NULL; break; } /* no device file is this big */
            uint8_t *bigger = realloc(data, capacity *= 2);
            if (bigger == NULL) { free(data); data = NULL; }
            data = bigger;
        }
    }
    fclose(file);
    *length = used;
    return data;
}

static int base64_value(uint8_t c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Every "CERTIFICATE" block of a PEM file, decoded into set `set`. */
static int load_certificates(tcu_posix_hal *hal, int set, const char *path, char *error, size_t error_size) {
    size_t length = 0;
    uint8_t *pem = read_file(path, &length);
    if (pem == NULL) { snprintf(error, error_size, "%s: cannot read", path); return -1; }
    const char *begin = "-----BEGIN CERTIFICATE-----", *end = "-----END CERTIFICATE-----";
    size_t at = 0;
    while (hal->cert_counts[set] < TCU_POSIX_MAX_CERTS) {
        uint8_t *start = memmem(pem + at, length - at, begin, strlen(begin));
        if (start == NULL) break;
        start += strlen(begin);
        uint8_t *stop = memmem(start, length - (size_t)(start - pem), end, strlen(end));
        if (stop == NULL) break;
        uint8_t *der = malloc((size_t)(stop - start));
        size_t used = 0;
        uint32_t accumulator = 0;
        int bits = 0, bad = 0;
        for (uint8_t *p = start; p < stop && der != NULL; p++) {
            if (*p == '=' || *p == '\n' || *p == '\r' || *p == ' ') continue;
            int value = base64_value(*p);
            if (value < 0) { bad = 1; break; }
            accumulator = (accumulator << 6) | (uint32_t)value;
            bits += 6;
            if (bits >= 8) { bits -= 8; der[used++] = (uint8_t)(accumulator >> bits); }
        }
        if (der == NULL || bad || used == 0) {
            free(der);
            free(pem);
            snprintf(error, error_size, "%s: a certificate is not valid base64", path);
            return -1;
        }
        hal->certs[set][hal->cert_counts[set]] = der;
        hal->cert_lengths[set][hal->cert_counts[set]++] = used;
        at = (size_t)(stop - pem) + strlen(end);
    }
    free(pem);
    if (hal->cert_counts[set] == 0) { snprintf(error, error_size, "%s: no certificate found", path); return -1; }
    return 0;
}

/* ---- Transport ---- */

static int failure_code(int error) {
    switch (error) {
    case ECONNREFUSED: return TCU_HAL_ERR_REFUSED;
    case ECONNRESET: case EPIPE: case ECONNABORTED: return TCU_HAL_ERR_RESET;
    case EHOSTUNREACH: case ENETUNREACH: case EADDRNOTAVAIL: return TCU_HAL_ERR_UNREACHABLE;
    case ETIMEDOUT: return TCU_HAL_ERR_TIMEOUT;
    default: return TCU_HAL_ERR_OTHER;
    }
}

static int connect_next(tcu_posix_hal *hal) {
    while (hal->next_address != NULL) {
        struct addrinfo *address = hal->next_address;
        hal->next_address = address->ai_next;
        int fd = socket(address->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) { hal->last_failure = TCU_HAL_ERR_OTHER; continue; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, address->ai_addr, address->ai_addrlen) == 0) { hal->fd = fd; return TCU_HAL_OK; }
        if (errno == EINPROGRESS) { hal->fd = fd; return TCU_HAL_IN_PROGRESS; }
        hal->last_failure = failure_code(errno);
        close(fd);
    }
    return hal->last_failure;
}

static void transport_close(void *context) {
    tcu_posix_hal *hal = context;
    if (hal->fd >= 0) { close(hal->fd); hal->fd = -1; }
}

static int transport_connect(void *context, const char *host, uint16_t port) {
    tcu_posix_hal *hal = context;
    transport_close(hal);
    if (hal->addresses != NULL) { freeaddrinfo(hal->addresses); hal->addresses = NULL; }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    if (getaddrinfo(host, service, &hints, &hal->addresses) != 0) return TCU_HAL_ERR_NAME;
    hal->next_address = hal->addresses;
    hal->last_failure = TCU_HAL_ERR_OTHER;
    return connect_next(hal);
}

static int transport_poll_connect(void *context) {
    tcu_posix_hal *hal = context;
    if (hal->fd < 0) return hal->last_failure;
    struct pollfd entry = {.fd = hal->fd, .events = POLLOUT};
    if (poll(&entry, 1, 0) == 0) return TCU_HAL_IN_PROGRESS;
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(hal->fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error == 0) return TCU_HAL_OK;
    hal->last_failure = failure_code(error);
    transport_close(hal);
    return connect_next(hal); /* the host's next address, if any */
}

static int32_t transport_send(void *context, const uint8_t *data, size_t length) {
    tcu_posix_hal *hal = context;
    if (hal->fd < 0) return TCU_HAL_ERR_OTHER;
    ssize_t sent = send(hal->fd, data, length, MSG_NOSIGNAL);
    if (sent > 0) return (int32_t)sent;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return TCU_HAL_WOULD_BLOCK;
    return sent < 0 ? failure_code(errno) : TCU_HAL_ERR_OTHER;
}

static int32_t transport_receive(void *context, uint8_t *buffer, size_t capacity) {
    tcu_posix_hal *hal = context;
    if (hal->fd < 0) return TCU_HAL_ERR_OTHER;
    ssize_t received = recv(hal->fd, buffer, capacity, 0);
    if (received > 0) return (int32_t)received;
    if (received == 0) return TCU_HAL_CLOSED;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return TCU_HAL_WOULD_BLOCK;
    return failure_code(errno);
}

static void transport_wait(void *context, int readable, uint32_t timeout_ms) {
    tcu_posix_hal *hal = context;
    if (hal->fd < 0) return;
    struct pollfd entry = {.fd = hal->fd, .events = readable ? POLLIN : POLLOUT};
    poll(&entry, 1, (int)(timeout_ms > 60000 ? 60000 : timeout_ms));
}

/* ---- Key store ---- */

static int keystore_certificate(void *context, int set, size_t index, const uint8_t **der, size_t *length) {
    tcu_posix_hal *hal = context;
    if (set < 0 || set > 2 || index >= hal->cert_counts[set]) return 1;
    *der = hal->certs[set][index];
    *length = hal->cert_lengths[set][index];
    return 0;
}

static int32_t keystore_sign(void *context, int request, int hash, const uint8_t *input, size_t input_length,
                             uint8_t *output, size_t output_capacity) {
    tcu_posix_hal *hal = context;
    switch (request) {
    case TCU_SIGN_ECDSA: return tcu_host_key_sign_ecdsa(hal->key, input, input_length, output, output_capacity);
    case TCU_SIGN_RSA_PKCS1: return tcu_host_key_sign_rsa_pkcs1(hal->key, input, input_length, output, output_capacity);
    case TCU_SIGN_RSA_PSS: return tcu_host_key_sign_rsa_pss(hal->key, input, input_length, hash, output, output_capacity);
    default: return -1;
    }
}

/* Sealed storage as the simulator's file key store does it (posix_keys.c): AES-256-GCM under a
 * key derived from the device key, the binding authenticated. Blobs are interchangeable with it. */
static int32_t seal_result(int status) {
    switch (status) {
    case TCU_HOST_SEAL_ERR_REJECTED: return TCU_SEAL_ERR_REJECTED;
    case TCU_HOST_SEAL_ERR_BUFFER: return TCU_SEAL_ERR_TOO_SMALL;
    default: return status >= 0 ? status : TCU_SEAL_ERR_FAILED;
    }
}

static int32_t keystore_seal(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *plaintext,
                             size_t plaintext_length, uint8_t *output, size_t output_capacity) {
    tcu_posix_hal *hal = context;
    return seal_result(tcu_host_key_seal(hal->key, binding, binding_length, plaintext, plaintext_length, output,
                                         output_capacity));
}

static int32_t keystore_unseal(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *sealed,
                               size_t sealed_length, uint8_t *output, size_t output_capacity) {
    tcu_posix_hal *hal = context;
    return seal_result(
        tcu_host_key_unseal(hal->key, binding, binding_length, sealed, sealed_length, output, output_capacity));
}

/* ---- Clock and entropy ---- */

static int clock_wall_time(void *context, int64_t *unix_seconds) {
    (void)context;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    *unix_seconds = (int64_t)now.tv_sec;
    return 0;
}

static uint64_t clock_monotonic_ms(void *context) {
    (void)context;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

static int entropy_fill(void *context, uint8_t *buffer, size_t length) {
    (void)context;
    size_t filled = 0;
    while (filled < length) {
        ssize_t got = tcu_host_getrandom(buffer + filled, length - filled);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        filled += (size_t)got;
    }
    return 0;
}

/* ---- Persistent store: one file per slot, replaced by rename ---- */

static int slot_path(tcu_posix_hal *hal, int slot, char *path, size_t size) {
    if (hal->state_dir[0] == '\0' || slot < 1 || slot > 4) return -1;
    snprintf(path, size, "%s/slot-%d.bin", hal->state_dir, slot);
    return 0;
}

static int32_t store_read(void *context, int slot, uint8_t *buffer, size_t capacity) {
    char path[600];
    if (slot_path(context, slot, path, sizeof path) != 0) return -2;
    size_t length = 0;
    uint8_t *data = read_file(path, &length);
    if (data == NULL) return errno == ENOENT ? -1 : -2;
    int32_t result = length <= capacity ? (int32_t)length : -2;
    if (result >= 0) memcpy(buffer, data, length);
    free(data);
    return result;
}

/* Replaces `path` with `data` atomically: a temporary file, fsync, rename. */
static int write_file_atomic(const char *path, const uint8_t *data, size_t length, mode_t mode) {
    char temporary[640];
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < length) {
        ssize_t written = write(fd, data + done, length - done);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) { close(fd); unlink(temporary); return -1; }
        done += (size_t)written;
    }
    if (fsync(fd) != 0) { close(fd); unlink(temporary); return -1; }
    close(fd);
    if (rename(temporary, path) != 0) { unlink(temporary); return -1; }
    return 0;
}

static int store_write(void *context, int slot, const uint8_t *data, size_t length) {
    char path[600];
    if (slot_path(context, slot, path, sizeof path) != 0) return -1;
    return write_file_atomic(path, data, length, 0600);
}

static int store_erase(void *context, int slot) {
    char path[600];
    if (slot_path(context, slot, path, sizeof path) != 0) return -1;
    return (unlink(path) == 0 || errno == ENOENT) ? 0 : -1;
}

/* ---- Key store, renewal: KEY.pending and CHAIN.pending beside the current files ---- */

/* The power-cut tests' fault injection (TCU_POSIX_KILL_AT_ENV in tcu_hal_posix.h). */
static void kill_point(const char *point) {
    const char *wanted = getenv(TCU_POSIX_KILL_AT_ENV);
    if (wanted != NULL && strcmp(wanted, point) == 0) {
        fprintf(stderr, "tcu_hal_posix: killed at %s (%s)\n", point, TCU_POSIX_KILL_AT_ENV);
        raise(SIGKILL);
    }
}

static void pending_path(const char *path, const char *suffix, char *out, size_t size) {
    snprintf(out, size, "%s.%s", path, suffix);
}

/* Moves set `set`'s certificates to the retired list (their pointers stay valid until deinit). */
static void retire_certificates(tcu_posix_hal *hal, int set) {
    for (size_t i = 0; i < hal->cert_counts[set]; i++) {
        if (hal->retired_count < sizeof hal->retired / sizeof hal->retired[0])
            hal->retired[hal->retired_count++] = hal->certs[set][i];
        else
            free(hal->certs[set][i]); /* more renewals in one run than anyone makes: the oldest go */
    }
    hal->cert_counts[set] = 0;
}

static int32_t keystore_public_key(void *context, int key, uint8_t *spki, size_t capacity) {
    tcu_posix_hal *hal = context;
    tcu_host_key *chosen = key == TCU_KEY_PENDING ? hal->pending_key : key == TCU_KEY_CURRENT ? hal->key : NULL;
    if (chosen == NULL) return TCU_KEY_ERR_NONE;
    int length = tcu_host_key_public_der(chosen, spki, capacity);
    return length > 0 ? length : -1;
}

static int keystore_generate_key(void *context, int kind) {
    tcu_posix_hal *hal = context;
    if (kind != TCU_KEY_EC_P256) return -1;
    uint8_t pem[1024];
    int length = tcu_host_key_generate_p256_pem(pem, sizeof pem);
    tcu_host_key *key = NULL;
    char path[600], chain[600];
    pending_path(hal->key_path, "pending", path, sizeof path);
    pending_path(hal->chain_path, "pending", chain, sizeof chain);
    int ok = length > 0 && tcu_host_key_load(pem, (size_t)length, &key) == TCU_HOST_KEY_OK;
    if (ok && unlink(chain) != 0 && errno != ENOENT) ok = 0; /* a pending chain was for the old pending key */
    if (ok && write_file_atomic(path, pem, (size_t)length, 0600) != 0) ok = 0;
    explicit_bzero(pem, sizeof pem);
    if (!ok) { tcu_host_key_free(key); return -1; }
    tcu_host_key_free(hal->pending_key);
    hal->pending_key = key;
    retire_certificates(hal, TCU_CERTS_PENDING_CHAIN);
    kill_point("generated-key");
    return 0;
}

static int32_t keystore_sign_pending(void *context, int request, int hash, const uint8_t *input, size_t input_length,
                                     uint8_t *output, size_t output_capacity) {
    tcu_posix_hal *hal = context;
    tcu_host_key *current = hal->key;
    if (hal->pending_key != NULL) hal->key = hal->pending_key;
    int32_t result = keystore_sign(context, request, hash, input, input_length, output, output_capacity);
    hal->key = current;
    return result;
}

/* DER certificates back to back (at most TCU_POSIX_MAX_CERTS), written as a PEM file. The buffer holds
 * what the most certificates can need: the base64 (4 per 3 bytes, a newline per 48) and each one's lines. */
static int write_chain_pem(const char *path, const uint8_t *chain, size_t length) {
    if (length > 1u << 20) return -1;
    size_t capacity = length / 3 * 4 + length / 48 + TCU_POSIX_MAX_CERTS * 80 + 16, used = 0, count = 0;
    char *pem = malloc(capacity);
    if (pem == NULL) return -1;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t at = 0;
    while (at < length) {
        if (++count > TCU_POSIX_MAX_CERTS) { free(pem); return -1; }
        /* One DER element: 0x30, then a short or long length. */
        if (length - at < 2 || chain[at] != 0x30) { free(pem); return -1; }
        size_t header = 2, body = chain[at + 1];
        if (body & 0x80) {
            size_t bytes = body & 0x7F;
            if (bytes == 0 || bytes > 3 || length - at < 2 + bytes) { free(pem); return -1; }
            body = 0;
            for (size_t i = 0; i < bytes; i++) body = body << 8 | chain[at + 2 + i];
            header += bytes;
        }
        size_t total = header + body;
        if (total > length - at) { free(pem); return -1; }
        used += (size_t)snprintf(pem + used, capacity - used, "-----BEGIN CERTIFICATE-----\n");
        for (size_t i = 0; i < total; i += 3) {
            uint32_t word = (uint32_t)chain[at + i] << 16;
            if (i + 1 < total) word |= (uint32_t)chain[at + i + 1] << 8;
            if (i + 2 < total) word |= chain[at + i + 2];
            pem[used++] = alphabet[word >> 18 & 63];
            pem[used++] = alphabet[word >> 12 & 63];
            pem[used++] = i + 1 < total ? alphabet[word >> 6 & 63] : '=';
            pem[used++] = i + 2 < total ? alphabet[word & 63] : '=';
            if ((i / 3 + 1) % 16 == 0 || i + 3 >= total) pem[used++] = '\n';
        }
        used += (size_t)snprintf(pem + used, capacity - used, "-----END CERTIFICATE-----\n");
        at += total;
    }
    int result = write_file_atomic(path, (const uint8_t *)pem, used, 0644);
    free(pem);
    return result;
}

static int keystore_store_pending_chain(void *context, const uint8_t *chain, size_t length) {
    tcu_posix_hal *hal = context;
    char path[600], error[256];
    kill_point("before-store-chain");
    pending_path(hal->chain_path, "pending", path, sizeof path);
    if (chain == NULL || length == 0 || write_chain_pem(path, chain, length) != 0) return -1;
    retire_certificates(hal, TCU_CERTS_PENDING_CHAIN);
    if (load_certificates(hal, TCU_CERTS_PENDING_CHAIN, path, error, sizeof error) != 0) return -1;
    kill_point("stored-chain");
    return 0;
}

/* Copies `from` to `to` (atomically, mode `mode`). */
static int copy_file(const char *from, const char *to, mode_t mode) {
    size_t length = 0;
    uint8_t *data = read_file(from, &length);
    if (data == NULL) return -1;
    int result = write_file_atomic(to, data, length, mode);
    explicit_bzero(data, length);
    free(data);
    return result;
}

/* The second half of a commit: the renames, then the journal's end. Run by keystore_commit and, after a
 * power cut in the middle of one, by init. Each rename is done at most once (the pending file is gone
 * after it), so running it again finishes what was started. */
static int finish_commit(tcu_posix_hal *hal) {
    char journal[600], key[600], chain[600];
    pending_path(hal->key_path, "commit", journal, sizeof journal);
    pending_path(hal->key_path, "pending", key, sizeof key);
    pending_path(hal->chain_path, "pending", chain, sizeof chain);
    if (access(key, F_OK) == 0 && rename(key, hal->key_path) != 0) return -1;
    kill_point("mid-commit");
    if (access(chain, F_OK) == 0 && rename(chain, hal->chain_path) != 0) return -1;
    return unlink(journal) == 0 || errno == ENOENT ? 0 : -1;
}

static int keystore_commit(void *context) {
    tcu_posix_hal *hal = context;
    if (hal->cert_counts[TCU_CERTS_PENDING_CHAIN] == 0) return -1;
    char journal[600], previous_key[600], previous_chain[600];
    pending_path(hal->key_path, "commit", journal, sizeof journal);
    pending_path(hal->key_path, "previous", previous_key, sizeof previous_key);
    pending_path(hal->chain_path, "previous", previous_chain, sizeof previous_chain);
    /* The old pair is kept first: once the journal exists, init rolls forward. */
    if (copy_file(hal->key_path, previous_key, 0600) != 0 || copy_file(hal->chain_path, previous_chain, 0644) != 0)
        return -1;
    if (write_file_atomic(journal, (const uint8_t *)"commit\n", 7, 0600) != 0) return -1;
    if (finish_commit(hal) != 0) return -1;
    retire_certificates(hal, TCU_CERTS_DEVICE_CHAIN);
    memcpy(hal->certs[TCU_CERTS_DEVICE_CHAIN], hal->certs[TCU_CERTS_PENDING_CHAIN], sizeof hal->certs[0]);
    memcpy(hal->cert_lengths[TCU_CERTS_DEVICE_CHAIN], hal->cert_lengths[TCU_CERTS_PENDING_CHAIN],
           sizeof hal->cert_lengths[0]);
    hal->cert_counts[TCU_CERTS_DEVICE_CHAIN] = hal->cert_counts[TCU_CERTS_PENDING_CHAIN];
    hal->cert_counts[TCU_CERTS_PENDING_CHAIN] = 0;
    if (hal->pending_key != NULL) {
        tcu_host_key_free(hal->key);
        hal->key = hal->pending_key;
        hal->pending_key = NULL;
    }
    kill_point("committed");
    return 0;
}

/* At init: finish a commit a power cut interrupted, then load a pending key and chain, if any. */
static int recover_renewal(tcu_posix_hal *hal, char *error, size_t error_size) {
    char journal[600], key[600], chain[600];
    pending_path(hal->key_path, "commit", journal, sizeof journal);
    pending_path(hal->key_path, "pending", key, sizeof key);
    pending_path(hal->chain_path, "pending", chain, sizeof chain);
    if (access(journal, F_OK) == 0 && finish_commit(hal) != 0) {
        snprintf(error, error_size, "%s: cannot finish the interrupted renewal", journal);
        return -1;
    }
    size_t length = 0;
    uint8_t *pem = read_file(key, &length);
    if (pem != NULL) {
        int status = tcu_host_key_load(pem, length, &hal->pending_key);
        explicit_bzero(pem, length);
        free(pem);
        if (status != TCU_HOST_KEY_OK) unlink(key); /* half written before a power cut: generate again */
    }
    if (access(chain, F_OK) == 0 && load_certificates(hal, TCU_CERTS_PENDING_CHAIN, chain, error, error_size) != 0)
        unlink(chain);
    return 0;
}

/* ---- Set-up ---- */

int tcu_posix_hal_init(tcu_posix_hal *hal, tcu_hal *table, const char *chain_file, const char *key_file,
                       const char *trust_file, const char *state_dir, char *error, size_t error_size) {
    memset(hal, 0, sizeof *hal);
    hal->fd = -1;
    snprintf(hal->chain_path, sizeof hal->chain_path, "%s", chain_file);
    snprintf(hal->key_path, sizeof hal->key_path, "%s", key_file);
    if (recover_renewal(hal, error, error_size) != 0) goto fail;
    if (load_certificates(hal, TCU_CERTS_DEVICE_CHAIN, chain_file, error, error_size) != 0) goto fail;
    if (load_certificates(hal, TCU_CERTS_TRUST_ANCHORS, trust_file, error, error_size) != 0) goto fail;

    struct stat info;
    if (stat(key_file, &info) != 0) { snprintf(error, error_size, "%s: device key not found", key_file); goto fail; }
    if (info.st_mode & 077) {
        snprintf(error, error_size, "%s: device key file is accessible by others; run `chmod 600 %s`", key_file, key_file);
        goto fail;
    }
    size_t key_length = 0;
    uint8_t *key_bytes = read_file(key_file, &key_length);
    if (key_bytes == NULL) { snprintf(error, error_size, "%s: cannot read the device key", key_file); goto fail; }
    int status = tcu_host_key_load(key_bytes, key_length, &hal->key);
    explicit_bzero(key_bytes, key_length);
    free(key_bytes);
    if (status != TCU_HOST_KEY_OK) { snprintf(error, error_size, "%s: not a usable private key (%d)", key_file, status); goto fail; }

    if (state_dir != NULL) {
        mkdir(state_dir, 0700);
        snprintf(hal->state_dir, sizeof hal->state_dir, "%s", state_dir);
    }
    *table = (tcu_hal){
        .context = hal,
        .transport_connect = transport_connect, .transport_poll_connect = transport_poll_connect,
        .transport_send = transport_send, .transport_receive = transport_receive,
        .transport_close = transport_close, .transport_wait = transport_wait,
        .keystore_certificate = keystore_certificate, .keystore_sign = keystore_sign,
        .clock_wall_time = clock_wall_time, .clock_monotonic_ms = clock_monotonic_ms,
        .entropy_fill = entropy_fill,
        .store_read = store_read, .store_write = store_write, .store_erase = store_erase,
        .keystore_seal = keystore_seal, .keystore_unseal = keystore_unseal,
        .keystore_public_key = keystore_public_key, .keystore_generate_key = keystore_generate_key,
        .keystore_sign_pending = keystore_sign_pending, .keystore_store_pending_chain = keystore_store_pending_chain,
        .keystore_commit = keystore_commit,
    };
    return 0;
fail:
    tcu_posix_hal_deinit(hal);
    return -1;
}

void tcu_posix_hal_deinit(tcu_posix_hal *hal) {
    transport_close(hal);
    if (hal->addresses != NULL) freeaddrinfo(hal->addresses);
    hal->addresses = NULL;
    for (int set = 0; set < 3; set++)
        for (size_t i = 0; i < hal->cert_counts[set]; i++) free(hal->certs[set][i]);
    memset(hal->cert_counts, 0, sizeof hal->cert_counts);
    for (size_t i = 0; i < hal->retired_count; i++) free(hal->retired[i]);
    hal->retired_count = 0;
    tcu_host_key_free(hal->key);
    hal->key = NULL;
    tcu_host_key_free(hal->pending_key);
    hal->pending_key = NULL;
}

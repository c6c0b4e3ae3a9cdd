/* fuzz_c_api.c: the C API entry points (tculink.h, tculink_lifecycle.h) fed hostile lengths, capacities and
 * values, over the natively compiled core (the host Embedded Swift object, as tcu-c-api-tests-asan links it) and
 * the POSIX HAL with a test PKI. Built by scripts/fuzz with clang -fsanitize=fuzzer,address,undefined; the
 * recipe (fuzz_c_api.build) compiles the core object when stale and makes the PKI once.
 *
 * Nothing waits on the network: a client is only ever stepped towards 127.0.0.1 port 1, where nobody listens
 * (the connection is refused at once); a client with a fuzzed host name is created and freed, never stepped.
 *
 * Input: operations, each a selector byte and its arguments (strings are a length byte and that many bytes).
 * Invariants: every call returns a documented status (TCU_OK, TCU_IN_PROGRESS, TCU_CLOSED where documented,
 * or -TCU_REASON_* of tculink_reasons.h); no call writes past the capacity it was given (canaries after
 * every output buffer) or reports more than it; a backoff's retry time is never before now and never past the
 * longest delay; texts are NUL-terminated and short; nothing leaks (libFuzzer's leak check) and nothing traps
 * (an overflow in the core traps: a crash here). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcu_hal_posix.h"
#include "tculink.h"

static tcu_posix_hal posix;
static tcu_hal hal;

static void fail(const char *what, long long got) {
    fprintf(stderr, "fuzz_c_api: %s (%lld)\n", what, got);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *pki = getenv("TCU_FUZZ_C_API_PKI"); /* made by the recipe (scripts/targets/make-test-pki) */
    if (!pki) pki = ".build-fuzz/c-api-pki";
    char chain[512], key[512], trust[512], error[256], state[] = "/tmp/tcu-fuzz-c-api-XXXXXX";
    snprintf(chain, sizeof chain, "%s/device/chain.pem", pki);
    snprintf(key, sizeof key, "%s/device/key.pem", pki);
    snprintf(trust, sizeof trust, "%s/device/trust.pem", pki);
    if (!mkdtemp(state)) fail("no state folder", 0);
    if (tcu_posix_hal_init(&posix, &hal, chain, key, trust, state, error, sizeof error) != 0) {
        fprintf(stderr, "fuzz_c_api: %s (set TCU_FUZZ_C_API_PKI to a make-test-pki folder)\n", error);
        exit(1);
    }
    return 0;
}

/* ---- The input ---- */

static const uint8_t *input;
static size_t remaining;

static uint64_t take(int bytes) {
    uint64_t value = 0;
    for (int i = 0; i < bytes && remaining; i++, remaining--) value |= (uint64_t)*input++ << (8 * i);
    return value;
}

/* A 32-bit value a caller could pass: 0, small, near a power of two, or anything. */
static uint32_t take_u32(void) {
    switch (take(1) & 3) {
    case 0: return 0;
    case 1: return (uint32_t)take(2);
    case 2: return (1u << (take(1) % 32)) + (uint32_t)(int8_t)take(1);
    default: return (uint32_t)take(4);
    }
}

/* A buffer size the core allocates as given (max_packet_size, outbox_capacity): any 32-bit value, since
 * one above TCULINK_MQTT_SIZE_LIMIT must be refused before anything is allocated (a 4 GiB outbox first
 * tripped libFuzzer's malloc limit here). */
static uint32_t take_allocated_size(void) { return take_u32(); }

static int64_t take_i64(void) {
    switch (take(1) & 3) {
    case 0: return (int64_t)take(4); /* around now */
    case 1: return (int64_t)(take(1) & 1 ? INT64_MAX - (int64_t)take(2) : INT64_MIN + (int64_t)take(2));
    case 2: return -(int64_t)take(4);
    default: return (int64_t)take(8);
    }
}

/* A NUL-terminated string of the input's bytes (any but NUL), in a buffer of exactly its size; NULL sometimes. */
static char *take_string(int allow_null) {
    unsigned length = (unsigned)take(1);
    if (allow_null && length == 255) return NULL;
    if (take(1) == 0xff) length += (unsigned)take(2); /* now and then a long one */
    char *text = malloc(length + 1);
    for (unsigned i = 0; i < length; i++) {
        uint8_t byte = (uint8_t)take(1);
        text[i] = (char)(byte ? byte : 'a');
    }
    text[length] = 0;
    return text;
}

/* ---- Invariants ---- */

/* Every reason of tculink_reasons.h (a new reason is added here too, or the target reports it). */
static const int reasons[] = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 30, 31, 32, 33, 34, 35,
    40, 41, 42, 50, 51, 52, 53, 54, 55, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 80, 81, 82, 83, 84, 85, 86,
    87, 88, 89, 90, 91, 92,
};

/* `status` is TCU_OK, one of the positive values the call documents (`positive`: a bit per value), or
 * -TCU_REASON_* of tculink_reasons.h. */
static void documented(tcu_status status, unsigned positive, const char *call) {
    if (status == TCU_OK) return;
    if (status > 0) {
        if (status < 32 && (positive >> status & 1)) return;
        fprintf(stderr, "fuzz_c_api: %s: ", call);
        fail("a positive status the call does not document", status);
    }
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (status == -reasons[i]) return;
    fprintf(stderr, "fuzz_c_api: %s: ", call);
    fail("a status that names no reason", status);
}

#define CANARY 0xa5
enum { CANARY_BYTES = 32 };

/* A buffer of `capacity` bytes the caller owns, followed by canaries. */
static uint8_t *honest_buffer(size_t capacity) {
    uint8_t *buffer = malloc(capacity + CANARY_BYTES);
    memset(buffer, 0x5a, capacity);
    memset(buffer + capacity, CANARY, CANARY_BYTES);
    return buffer;
}

static void check_canary(const uint8_t *buffer, size_t capacity, const char *call) {
    for (size_t i = 0; i < CANARY_BYTES; i++)
        if (buffer[capacity + i] != CANARY) {
            fprintf(stderr, "fuzz_c_api: %s: ", call);
            fail("wrote past the capacity it was given, at offset", (long long)(capacity + i));
        }
}

static void check_text(const char *text, const char *call) {
    if (!text) fail(call, 0);
    size_t length = strnlen(text, 1024);
    if (length == 0 || length >= 1024) fail("a text empty or longer than 1 KiB", (long long)length);
}

/* ---- The calls ---- */

/* Sends and receives with an honest buffer of a fuzzed size; the counts never exceed it. */
static void send_and_receive(tcu_client *client) {
    size_t capacity = take(1) & 1 ? (size_t)take(2) : (size_t)take(1);
    uint8_t *buffer = honest_buffer(capacity);
    size_t count = 12345;
    int null_buffer = (take(1) & 7) == 0;
    tcu_status status = tcu_client_send(client, null_buffer ? NULL : buffer, capacity, &count);
    documented(status, 1u << TCU_CLOSED, "tcu_client_send");
    if (count > capacity || (status != TCU_OK && count != 0)) fail("tcu_client_send: sent_out", (long long)count);
    count = 12345;
    status = tcu_client_receive(client, null_buffer ? NULL : buffer, capacity, &count);
    documented(status, 1u << TCU_CLOSED, "tcu_client_receive");
    if (count > capacity || (status != TCU_OK && count != 0)) fail("tcu_client_receive: received_out", (long long)count);
    check_canary(buffer, capacity, "tcu_client_receive");
    tcu_connection_info info;
    status = tcu_client_info(client, &info);
    documented(status, 0, "tcu_client_info");
    uint8_t alert = 0;
    documented(tcu_client_error(client, &alert), 0, "tcu_client_error");
    free(buffer);
}

/* A session over a client that is not established: refused, whatever its configuration. */
static void mqtt_over(tcu_client *client) {
    char *client_id = take_string(1), *username = take_string(1);
    tcu_mqtt_config config = {.client_id = client_id, .username = username, .flags = take_u32(),
                              .keep_alive_s = (uint16_t)take(2), .max_in_flight = (uint16_t)take(2),
                              .max_packet_size = take_allocated_size(), .ack_timeout_ms = take_u32(),
                              .ping_timeout_ms = take_u32(), .outbox_capacity = take_allocated_size()};
    tcu_mqtt *mqtt = (tcu_mqtt *)&config; /* any non-NULL value: it must be set to NULL on failure */
    tcu_status status = tcu_mqtt_create(client, &config, &mqtt);
    documented(status, 0, "tcu_mqtt_create");
    if (status == TCU_OK) fail("tcu_mqtt_create: a session over a client that is not established", 0);
    if (mqtt) fail("tcu_mqtt_create: mqtt_out not NULL on failure", status);
    free(client_id);
    free(username);
}

static void client_calls(void) {
    int stepped = take(1) & 1; /* only towards 127.0.0.1:1; else a fuzzed host, never stepped */
    char *host = stepped ? NULL : take_string(1), *server_name = take_string(1);
    tcu_client_config config = {.host = stepped ? "127.0.0.1" : host, .port = stepped ? 1 : (uint16_t)take(2),
                                .server_name = server_name, .flags = take_u32(),
                                .connect_timeout_ms = take_u32(), .handshake_timeout_ms = take_u32(),
                                .acceptance_timeout_ms = take_u32(), .max_fragment_length = (uint16_t)take_u32(),
                                .clock_floor_s = take_i64(), .clock_tolerance_s = take_u32()};
    tcu_client *client = (tcu_client *)&config;
    tcu_status status = tcu_client_create(&hal, &config, &client);
    documented(status, 0, "tcu_client_create");
    if (status != TCU_OK && client) fail("tcu_client_create: client_out not NULL on failure", status);
    if (status == TCU_OK && !client) fail("tcu_client_create: TCU_OK without a client", 0);
    if (client) {
        send_and_receive(client); /* not established: refused */
        if (stepped) {
            /* A refused connection ends within a few steps; no step waits longer than 20 ms. */
            for (int turn = 0; turn < 50; turn++) {
                tcu_wait wait = {0};
                status = tcu_client_step(client, &wait);
                documented(status, 1u << TCU_IN_PROGRESS | 1u << TCU_CLOSED, "tcu_client_step");
                if (status != TCU_IN_PROGRESS) break;
                hal.transport_wait(hal.context, wait.readable, 20);
            }
            send_and_receive(client); /* failed (or still connecting): refused */
        }
        if (take(1) & 1) mqtt_over(client);
        if (take(1) & 1) tcu_client_close(client);
        tcu_client_free(client);
    }
    free(host);
    free(server_name);
}

static void enqueue(void) {
    hal.store_erase(hal.context, TCU_SLOT_MQTT_OUTBOX); /* each call starts from an empty outbox */
    char *topic = take_string(1);
    size_t length = take(1) & 1 ? (size_t)take(2) : (size_t)take(1);
    uint8_t *payload = honest_buffer(length);
    uint32_t capacity = take_allocated_size();
    const uint8_t *given = (take(1) & 7) == 0 ? NULL : payload;
    tcu_status status = tcu_mqtt_enqueue(&hal, capacity, topic, given, length, (int)take(1));
    documented(status, 0, "tcu_mqtt_enqueue");
    int arguments_valid = topic && (given || length == 0);
    if (capacity > TCULINK_MQTT_SIZE_LIMIT && arguments_valid && status != -TCU_REASON_INVALID_CONFIGURATION)
        fail("tcu_mqtt_enqueue: an outbox over TCULINK_MQTT_SIZE_LIMIT not refused as a configuration error", status);
    check_canary(payload, length, "tcu_mqtt_enqueue"); /* an input: never written at all */
    free(payload);
    free(topic);
}

static void csr(void) {
    char *device_id = take_string(1);
    size_t capacity = take(1) & 1 ? (size_t)take(2) % 4096 : (size_t)take(1);
    uint8_t *buffer = honest_buffer(capacity);
    size_t length = 12345;
    int key = take(1) & 3 ? (int)(take(1) & 1) : (int)take(4);
    tcu_status status = tcu_csr_build(&hal, device_id, key, buffer, capacity, &length);
    documented(status, 0, "tcu_csr_build");
    check_canary(buffer, capacity, "tcu_csr_build");
    if (status == TCU_OK && (length > capacity || length < 64)) fail("tcu_csr_build: length_out", (long long)length);
    if (status == TCU_OK && buffer[0] != 0x30) fail("tcu_csr_build: not a DER SEQUENCE", buffer[0]);
    free(buffer);
    free(device_id);
}

static void backoff(void) {
    tcu_backoff state = {.base_ms = take_u32(), .cap_ms = take_u32(), .permanent_delay_ms = take_u32(),
                         .failures = take_u32()};
    tcu_backoff before = state;
    tcu_status failure = (tcu_status)take_u32();
    if (take(1) & 1) failure = -(tcu_status)(take(1) % 100);
    uint64_t now = take(1) & 1 ? take(8) : UINT64_MAX - take(4);
    uint64_t retry_at = 0;
    tcu_status status = tcu_backoff_failed(&state, &hal, failure, now, &retry_at);
    documented(status, 0, "tcu_backoff_failed");
    int permanent = failure < 0 && failure > -256 && tcu_reason_is_permanent(-failure);
    if (status != (permanent ? failure : TCU_OK)) fail("tcu_backoff_failed: status (the POSIX entropy never fails)", status);
    uint64_t cap = before.cap_ms ? before.cap_ms : TCULINK_BACKOFF_CAP_MS;
    uint64_t pause = before.permanent_delay_ms ? before.permanent_delay_ms : TCULINK_BACKOFF_PERMANENT_MS;
    uint64_t longest = cap > pause ? cap : pause;
    uint64_t base = before.base_ms ? before.base_ms : TCULINK_BACKOFF_BASE_MS;
    if (base > longest) longest = base;
    if (retry_at < now) fail("tcu_backoff_failed: a retry before now (wrapped)", (long long)(now - retry_at));
    if (retry_at - now > longest) fail("tcu_backoff_failed: a retry past the longest delay", (long long)(retry_at - now));
    if (state.base_ms != before.base_ms || state.cap_ms != before.cap_ms ||
        state.permanent_delay_ms != before.permanent_delay_ms)
        fail("tcu_backoff_failed: changed the policy", 0);
    if (state.failures < before.failures && before.failures != UINT32_MAX)
        fail("tcu_backoff_failed: the failure count went down", state.failures);
    tcu_backoff_succeeded(&state);
    if (state.failures != 0) fail("tcu_backoff_succeeded: failures", state.failures);
}

static void texts(void) {
    int value = (int)take_u32();
    if (take(1) & 1) value = (int)(0u - (unsigned)value); /* INT_MIN stays itself, without UB */
    check_text(tcu_status_text(value), "tcu_status_text");
    check_text(tcu_reason_text(value), "tcu_reason_text");
    int permanent = tcu_reason_is_permanent(value);
    if (permanent != 0 && permanent != 1) fail("tcu_reason_is_permanent", permanent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input = data;
    remaining = size;
    for (int n = 0; n < 8 && remaining; n++) {
        switch (take(1) % 6) {
        case 0: client_calls(); break;
        case 1: enqueue(); break;
        case 2: csr(); break;
        case 3: backoff(); break;
        case 4: {
            int64_t now = take_i64(), within = take_i64();
            tcu_status due = tcu_renewal_due(&hal, now, within);
            if (due != 0 && due != 1) documented(due < 0 ? due : 99, 0, "tcu_renewal_due");
            break;
        }
        default: texts(); break;
        }
    }
    return 0;
}

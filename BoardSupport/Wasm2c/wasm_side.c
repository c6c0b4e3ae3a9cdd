/* wasm_side.c: the inside of the TCULink wasm module (scripts/targets/build-wasm2c).
 *
 * The module holds the Swift core and wolfSSL. Everything the outside world provides comes in
 * through the imports declared here, one per tcu_hal.h function plus two for the platform
 * (a character out for Embedded Swift's fatal-error text, and entropy for its hash seed).
 * This file turns those imports into a tcu_hal table *inside* the module — its function
 * pointers must be wasm functions — so the core's C API (tcu_client_create and the rest,
 * exported as they are) runs unchanged. Host side: tculink_wasm2c.c.
 *
 * Every HAL is known by a small number (its id), not by a pointer: native pointers do not fit
 * in, or mean anything in, the module's 32-bit address space. The host enters a HAL's id
 * before each call into the module so that wolfSSL's context-free hooks (XTIME, the RNG seed)
 * reach the right clock and entropy source. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcu_hal.h"
#include "tculink.h"

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

/* ---- Imports: the HAL, addressed by id; pointers are addresses in this module's memory ---- */
IMPORT(hal_transport_connect) int32_t import_transport_connect(uint32_t hal, const char *host, uint32_t port);
IMPORT(hal_transport_poll_connect) int32_t import_transport_poll_connect(uint32_t hal);
IMPORT(hal_transport_send) int32_t import_transport_send(uint32_t hal, const uint8_t *data, uint32_t length);
IMPORT(hal_transport_receive) int32_t import_transport_receive(uint32_t hal, uint8_t *buffer, uint32_t capacity);
IMPORT(hal_transport_close) void import_transport_close(uint32_t hal);
IMPORT(hal_transport_wait) void import_transport_wait(uint32_t hal, int32_t readable, uint32_t timeout_ms);
/* The certificate's length, or -1 when there is none at that index. */
IMPORT(hal_keystore_certificate_length) int32_t import_certificate_length(uint32_t hal, int32_t set, uint32_t index);
IMPORT(hal_keystore_certificate_copy) int32_t import_certificate_copy(uint32_t hal, int32_t set, uint32_t index,
                                                                       uint8_t *out, uint32_t capacity);
IMPORT(hal_keystore_sign) int32_t import_keystore_sign(uint32_t hal, int32_t request, int32_t hash,
                                                       const uint8_t *input, uint32_t input_length, uint8_t *output,
                                                       uint32_t output_capacity);
IMPORT(hal_keystore_seal) int32_t import_keystore_seal(uint32_t hal, const uint8_t *binding, uint32_t binding_length,
                                                       const uint8_t *plaintext, uint32_t plaintext_length,
                                                       uint8_t *output, uint32_t output_capacity);
IMPORT(hal_keystore_unseal) int32_t import_keystore_unseal(uint32_t hal, const uint8_t *binding,
                                                           uint32_t binding_length, const uint8_t *sealed,
                                                           uint32_t sealed_length, uint8_t *output,
                                                           uint32_t output_capacity);
IMPORT(hal_clock_wall_time) int32_t import_clock_wall_time(uint32_t hal, int64_t *unix_seconds);
IMPORT(hal_clock_monotonic_ms) uint64_t import_clock_monotonic_ms(uint32_t hal);
IMPORT(hal_entropy_fill) int32_t import_entropy_fill(uint32_t hal, uint8_t *buffer, uint32_t length);
IMPORT(hal_store_read) int32_t import_store_read(uint32_t hal, int32_t slot, uint8_t *buffer, uint32_t capacity);
IMPORT(hal_store_write) int32_t import_store_write(uint32_t hal, int32_t slot, const uint8_t *data, uint32_t length);
IMPORT(hal_store_erase) int32_t import_store_erase(uint32_t hal, int32_t slot);
/* Platform: one character of a fatal-error message; entropy when no HAL has been entered. */
IMPORT(platform_putchar) void import_putchar(int32_t character);
IMPORT(platform_entropy) int32_t import_platform_entropy(uint8_t *buffer, uint32_t length);

/* ---- The HAL table inside the module ---- */
#define TCU_WASM_MAX_HALS 16
/* Per set: a device chain or the trust anchors. As many as the core reads (CHALKeyStore reads
 * indices 0 ..< TCULINK_MAX_CERTIFICATES, tculink_config.h): with fewer, a trust anchor the native
 * core would use was silently dropped. */
#define TCU_WASM_MAX_CERTIFICATES TCULINK_MAX_CERTIFICATES

static uint32_t hal_id(void *context) { return (uint32_t)(uintptr_t)context; }

static int transport_connect(void *c, const char *host, uint16_t port) {
    return import_transport_connect(hal_id(c), host, port);
}
static int transport_poll_connect(void *c) { return import_transport_poll_connect(hal_id(c)); }
static int32_t transport_send(void *c, const uint8_t *data, size_t length) {
    return import_transport_send(hal_id(c), data, (uint32_t)length);
}
static int32_t transport_receive(void *c, uint8_t *buffer, size_t capacity) {
    return import_transport_receive(hal_id(c), buffer, (uint32_t)capacity);
}
static void transport_close(void *c) { import_transport_close(hal_id(c)); }
static void transport_wait(void *c, int readable, uint32_t timeout_ms) {
    import_transport_wait(hal_id(c), readable, timeout_ms);
}

/* tcu_hal.h lets the store hand out pointers it keeps valid for the client's lifetime; the
 * certificates live outside the module, so each is copied in once and kept until the HAL's
 * id is released (tcu_wasm_hal_release). */
static struct {
    uint8_t *der;
    uint32_t length;
} certificates[TCU_WASM_MAX_HALS][2][TCU_WASM_MAX_CERTIFICATES];

static int keystore_certificate(void *c, int set, size_t index, const uint8_t **der, size_t *length) {
    uint32_t hal = hal_id(c);
    if (hal >= TCU_WASM_MAX_HALS || set < 0 || set > 1 || index >= TCU_WASM_MAX_CERTIFICATES) return 1;
    if (!certificates[hal][set][index].der) {
        int32_t size = import_certificate_length(hal, set, (uint32_t)index);
        if (size <= 0) return 1;
        uint8_t *copy = malloc((size_t)size);
        if (!copy) return 1;
        if (import_certificate_copy(hal, set, (uint32_t)index, copy, (uint32_t)size) != size) {
            free(copy);
            return 1;
        }
        certificates[hal][set][index].der = copy;
        certificates[hal][set][index].length = (uint32_t)size;
    }
    *der = certificates[hal][set][index].der;
    *length = certificates[hal][set][index].length;
    return 0;
}

static int32_t keystore_sign(void *c, int request, int hash, const uint8_t *input, size_t input_length, uint8_t *output,
                             size_t output_capacity) {
    return import_keystore_sign(hal_id(c), request, hash, input, (uint32_t)input_length, output,
                                (uint32_t)output_capacity);
}
static int32_t keystore_seal(void *c, const uint8_t *binding, size_t binding_length, const uint8_t *plaintext,
                             size_t plaintext_length, uint8_t *output, size_t output_capacity) {
    return import_keystore_seal(hal_id(c), binding, (uint32_t)binding_length, plaintext, (uint32_t)plaintext_length,
                                output, (uint32_t)output_capacity);
}
static int32_t keystore_unseal(void *c, const uint8_t *binding, size_t binding_length, const uint8_t *sealed,
                               size_t sealed_length, uint8_t *output, size_t output_capacity) {
    return import_keystore_unseal(hal_id(c), binding, (uint32_t)binding_length, sealed, (uint32_t)sealed_length,
                                  output, (uint32_t)output_capacity);
}
static int clock_wall_time(void *c, int64_t *unix_seconds) { return import_clock_wall_time(hal_id(c), unix_seconds); }
static uint64_t clock_monotonic_ms(void *c) { return import_clock_monotonic_ms(hal_id(c)); }
static int entropy_fill(void *c, uint8_t *buffer, size_t length) {
    return import_entropy_fill(hal_id(c), buffer, (uint32_t)length);
}
static int32_t store_read(void *c, int slot, uint8_t *buffer, size_t capacity) {
    return import_store_read(hal_id(c), slot, buffer, (uint32_t)capacity);
}
static int store_write(void *c, int slot, const uint8_t *data, size_t length) {
    return import_store_write(hal_id(c), slot, data, (uint32_t)length);
}
static int store_erase(void *c, int slot) { return import_store_erase(hal_id(c), slot); }

static tcu_hal tables[TCU_WASM_MAX_HALS];

/* The HAL wolfSSL's context-free hooks use: the one whose client the host is driving. */
static uint32_t entered = UINT32_MAX;

/** Makes HAL `hal` the current one (its id, 0 ..< TCU_WASM_MAX_HALS) and returns its table. */
EXPORT(tcu_wasm_hal_enter) const tcu_hal *tcu_wasm_hal_enter(uint32_t hal) {
    if (hal >= TCU_WASM_MAX_HALS) return NULL;
    entered = hal;
    tcu_hal *table = &tables[hal];
    if (!table->transport_connect) {
        *table = (tcu_hal){
            .context = (void *)(uintptr_t)hal,
            .transport_connect = transport_connect,
            .transport_poll_connect = transport_poll_connect,
            .transport_send = transport_send,
            .transport_receive = transport_receive,
            .transport_close = transport_close,
            .transport_wait = transport_wait,
            .keystore_certificate = keystore_certificate,
            .keystore_sign = keystore_sign,
            .clock_wall_time = clock_wall_time,
            .clock_monotonic_ms = clock_monotonic_ms,
            .entropy_fill = entropy_fill,
            .store_read = store_read,
            .store_write = store_write,
            .store_erase = store_erase,
            .keystore_seal = keystore_seal,
            .keystore_unseal = keystore_unseal,
        };
    }
    return table;
}

/** Forgets HAL `hal`'s certificates (after its client is freed). */
EXPORT(tcu_wasm_hal_release) void tcu_wasm_hal_release(uint32_t hal) {
    if (hal >= TCU_WASM_MAX_HALS) return;
    for (int set = 0; set < 2; set++) {
        for (int i = 0; i < TCU_WASM_MAX_CERTIFICATES; i++) {
            free(certificates[hal][set][i].der);
            certificates[hal][set][i].der = NULL;
        }
    }
    if (entered == hal) entered = UINT32_MAX;
}

/** Memory in the module for the host to pass strings, structs and buffers through. */
EXPORT(tcu_wasm_alloc) void *tcu_wasm_alloc(uint32_t size) { return malloc(size ? size : 1); }
EXPORT(tcu_wasm_free) void tcu_wasm_free(void *pointer) { free(pointer); }

/* The host reads tcu_wait and tcu_connection_info out of the module's memory by these
 * offsets (wasm32 layout); tculink_wasm2c.c uses the same numbers. */
_Static_assert(offsetof(tcu_wait, readable) == 0 && offsetof(tcu_wait, until_ms) == 8 && sizeof(tcu_wait) == 16,
               "tcu_wait layout");
_Static_assert(offsetof(tcu_connection_info, protocol_version) == 0 && offsetof(tcu_connection_info, acceptance) == 2 &&
                   offsetof(tcu_connection_info, resumed) == 3 && offsetof(tcu_connection_info, handshake_ms) == 4 &&
                   offsetof(tcu_connection_info, cipher_suite) == 8 && sizeof(tcu_connection_info) == 72,
               "tcu_connection_info layout");
_Static_assert(offsetof(tcu_client_config, host) == 0 && offsetof(tcu_client_config, port) == 4 &&
                   offsetof(tcu_client_config, server_name) == 8 && offsetof(tcu_client_config, flags) == 12 &&
                   offsetof(tcu_client_config, connect_timeout_ms) == 16 &&
                   offsetof(tcu_client_config, handshake_timeout_ms) == 20 &&
                   offsetof(tcu_client_config, acceptance_timeout_ms) == 24 &&
                   offsetof(tcu_client_config, max_fragment_length) == 28 &&
                   offsetof(tcu_client_config, clock_floor_s) == 32 &&
                   offsetof(tcu_client_config, clock_tolerance_s) == 40 && sizeof(tcu_client_config) == 48,
               "tcu_client_config layout");
/* The MQTT part of the API (tcu_mqtt_*): the config is written, the event and the message read by the host. */
_Static_assert(offsetof(tcu_mqtt_config, client_id) == 0 && offsetof(tcu_mqtt_config, username) == 4 &&
                   offsetof(tcu_mqtt_config, flags) == 8 && offsetof(tcu_mqtt_config, keep_alive_s) == 12 &&
                   offsetof(tcu_mqtt_config, max_in_flight) == 14 && offsetof(tcu_mqtt_config, max_packet_size) == 16 &&
                   offsetof(tcu_mqtt_config, ack_timeout_ms) == 20 && offsetof(tcu_mqtt_config, ping_timeout_ms) == 24 &&
                   offsetof(tcu_mqtt_config, outbox_capacity) == 28 && sizeof(tcu_mqtt_config) == 32,
               "tcu_mqtt_config layout");
_Static_assert(offsetof(tcu_mqtt_event, kind) == 0 && offsetof(tcu_mqtt_event, packet_id) == 4 &&
                   offsetof(tcu_mqtt_event, granted_qos) == 6 && offsetof(tcu_mqtt_event, session_present) == 7 &&
                   offsetof(tcu_mqtt_event, wait) == 8 && sizeof(tcu_mqtt_event) == 24,
               "tcu_mqtt_event layout");
_Static_assert(offsetof(tcu_mqtt_message, topic) == 0 && offsetof(tcu_mqtt_message, topic_length) == 4 &&
                   offsetof(tcu_mqtt_message, payload) == 8 && offsetof(tcu_mqtt_message, payload_length) == 12 &&
                   offsetof(tcu_mqtt_message, packet_id) == 16 && offsetof(tcu_mqtt_message, qos) == 18 &&
                   offsetof(tcu_mqtt_message, retain) == 19 && offsetof(tcu_mqtt_message, duplicate) == 20 &&
                   sizeof(tcu_mqtt_message) == 24,
               "tcu_mqtt_message layout");

/* ---- What wolfSSL and Embedded Swift need from the platform ---- */

/* wolfSSL (USER_TIME): calendar time from the entered HAL's clock; 0 when it is not set, which
 * the core handles (it judges validity against the HAL clock itself). */
time_t XTIME(time_t *timer) {
    int64_t now = 0;
    if (entered == UINT32_MAX || import_clock_wall_time(entered, &now) != 0) now = 0;
    if (timer) *timer = (time_t)now;
    return (time_t)now;
}

/* wolfSSL (XTIME_MS): ticket ages in TLS 1.3. */
long long tcu_wasm_xtime_ms(void *unused) {
    (void)unused;
    return entered == UINT32_MAX ? 0 : (long long)import_clock_monotonic_ms(entered);
}

static int fill_entropy(uint8_t *buffer, uint32_t length) {
    if (entered != UINT32_MAX) return import_entropy_fill(entered, buffer, length) == 0 ? 0 : -1;
    return import_platform_entropy(buffer, length) == 0 ? 0 : -1;
}

/* wolfSSL (CUSTOM_RAND_GENERATE_SEED): the DRBG's seed. */
int tcu_wasm_entropy_seed(unsigned char *output, unsigned int size) { return fill_entropy(output, size); }

/* The stack protector the Swift compiler turns on: a canary in front of stack buffers, which
 * live in linear memory here and can be overrun like on any MCU. Randomized once at start. */
uintptr_t __stack_chk_guard = 0x5aa5c33cu;
void __stack_chk_fail(void) { __builtin_trap(); }

/** Called once by the host before anything else. @return 0, or -1 when there is no entropy */
EXPORT(tcu_wasm_start) int tcu_wasm_start(void) {
    uintptr_t guard;
    if (import_platform_entropy((uint8_t *)&guard, sizeof guard) != 0) return -1;
    __stack_chk_guard = guard | 1u; /* never all zero */
    return 0;
}

/* Embedded Swift: the seed of its hash functions. */
void arc4random_buf(void *buffer, size_t length) {
    if (fill_entropy(buffer, (uint32_t)length) != 0) __builtin_trap(); /* no entropy: stop rather than go on predictable */
}

/* Embedded Swift prints a fatal error's message one character at a time. */
int putchar(int character) {
    import_putchar(character);
    return character;
}

/* The core's 128-bit products (multipliedFullWidth) call the compiler's helper, which wasi-libc
 * does not carry. Built from 32-bit halves so that it calls nothing itself. */
static void multiply_64x64(uint64_t a, uint64_t b, uint64_t *low, uint64_t *high) {
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t middle = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *low = (middle << 32) | (p00 & 0xffffffffu);
    *high = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
}

__int128 __multi3(__int128 a, __int128 b) {
    unsigned __int128 ua = (unsigned __int128)a, ub = (unsigned __int128)b;
    uint64_t a_low = (uint64_t)ua, a_high = (uint64_t)(ua >> 64);
    uint64_t b_low = (uint64_t)ub, b_high = (uint64_t)(ub >> 64);
    uint64_t low, high;
    multiply_64x64(a_low, b_low, &low, &high);
    high += a_low * b_high + a_high * b_low;
    return (__int128)(((unsigned __int128)high << 64) | low);
}

/* tculink_wasm2c.c: the C API of tculink.h, unchanged, over the wasm2c translation of the
 * TCULink wasm module (the Swift core and wolfSSL; see wasm_side.c and scripts/targets/build-wasm2c).
 *
 * Firmware links this file, the generated tculink_wasm.c, wabt's wasm-rt-impl.c and its board
 * HAL (tcu_hal.h) exactly as it would link the natively compiled core: same header, same calls.
 * Underneath, each call enters the module; the module's imports land here and go to the
 * caller's tcu_hal table.
 *
 * Two things make this glue more than a list of forwarders:
 * - Addresses. The module sees only its own 32-bit linear memory; strings, structs and buffers
 *   are copied in and out, and native pointers never go in (a HAL is known by a small id).
 * - Byte order. Wasm memory is little-endian. On a big-endian host (the MPC5748G, PowerPC)
 *   wasm2c stores linear memory back to front, so that its loads and stores stay native:
 *   wasm byte address a lives at data[size - 1 - a]. Every access below goes through
 *   byte_at(), which knows this, and multi-byte values are assembled byte by byte.
 *
 * A trap inside the module (an out-of-bounds access, a Swift precondition) cannot be resumed
 * from: the call that trapped fails with -TCU_WASM_REASON_TRAPPED and every later call fails
 * the same way (tcu_status_text names it). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tculink.h"
/* The fuzz target of the imports (Tests/Fuzz/C/fuzz_wasm2c_glue.c) includes this file after declaring a
 * stand-in for the generated module, whose memory it chooses; nothing else defines this. */
#ifndef TCU_WASM2C_FUZZ_MODULE
#include "tculink_wasm.h"
#endif
#include "wasm-rt-impl.h"

#if defined(__BYTE_ORDER__) && ((__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__) != (WABT_BIG_ENDIAN + 0))
#error "WABT_BIG_ENDIAN must be 1 exactly when the host is big-endian (scripts/targets/build-wasm2c sets it)"
#endif

#define TCU_WASM_MAX_HALS 16  /* as in wasm_side.c */
#define TCU_WASM_REASON_TRAPPED 255
#define TRAPPED (-TCU_WASM_REASON_TRAPPED) /* the status of every call after a trap */
#define CHUNK 16384           /* the most one send/receive moves through the module at once */

/* Offsets in the module's memory (wasm32 layout; wasm_side.c asserts the same numbers). */
enum {
    WAIT_READABLE = 0, WAIT_UNTIL = 8, WAIT_SIZE = 16,
    INFO_VERSION = 0, INFO_ACCEPTANCE = 2, INFO_RESUMED = 3, INFO_HANDSHAKE_MS = 4, INFO_SUITE = 8, INFO_SIZE = 72,
    CONFIG_HOST = 0, CONFIG_PORT = 4, CONFIG_SERVER_NAME = 8, CONFIG_FLAGS = 12, CONFIG_CONNECT_MS = 16,
    CONFIG_HANDSHAKE_MS = 20, CONFIG_ACCEPTANCE_MS = 24, CONFIG_MAX_FRAGMENT = 28, CONFIG_CLOCK_FLOOR = 32,
    CONFIG_CLOCK_TOLERANCE = 40, CONFIG_SIZE = 48,
    MQTT_CONFIG_CLIENT_ID = 0, MQTT_CONFIG_USERNAME = 4, MQTT_CONFIG_FLAGS = 8, MQTT_CONFIG_KEEP_ALIVE = 12,
    MQTT_CONFIG_IN_FLIGHT = 14, MQTT_CONFIG_PACKET_SIZE = 16, MQTT_CONFIG_ACK_MS = 20, MQTT_CONFIG_PING_MS = 24,
    MQTT_CONFIG_OUTBOX = 28, MQTT_CONFIG_SIZE = 32,
    EVENT_KIND = 0, EVENT_PACKET_ID = 4, EVENT_GRANTED_QOS = 6, EVENT_SESSION_PRESENT = 7, EVENT_WAIT = 8,
    EVENT_SIZE = 24,
    MESSAGE_TOPIC = 0, MESSAGE_TOPIC_LENGTH = 4, MESSAGE_PAYLOAD = 8, MESSAGE_PAYLOAD_LENGTH = 12,
    MESSAGE_PACKET_ID = 16, MESSAGE_QOS = 18, MESSAGE_RETAIN = 19, MESSAGE_DUPLICATE = 20, MESSAGE_SIZE = 24,
};

struct Z_env_instance_t {
    int unused;
};

static Z_tculink_instance_t module;
static struct Z_env_instance_t environment;
static bool instantiated, started;
static volatile wasm_rt_trap_t trapped; /* nonzero once the module has trapped */
static const tcu_hal *hals[TCU_WASM_MAX_HALS];
static uint32_t entered_hal = UINT32_MAX;

struct tcu_client {
    uint32_t handle;     /* the client inside the module */
    uint32_t hal;        /* its HAL's id */
    uint32_t scratch;    /* WAIT_SIZE + INFO_SIZE + 4 bytes in the module: a wait, an info, an out value */
    uint32_t buffer;     /* CHUNK bytes in the module for send/receive */
    uint32_t sessions;   /* tcu_mqtt sessions over it: they keep its HAL id (their outbox's store) alive */
    bool freed;          /* tcu_client_free came while sessions were open: the last tcu_mqtt_free forgets it */
};

/* ---- The module's memory, seen from outside ---- */

static wasm_rt_memory_t *memory(void) { return Z_tculinkZ_memory(&module); }

static bool in_bounds(uint32_t address, uint32_t length) {
    return (uint64_t)address + length <= memory()->size;
}

static uint8_t *byte_at(uint32_t address) {
    wasm_rt_memory_t *m = memory();
#if WABT_BIG_ENDIAN
    return &m->data[m->size - 1 - address];
#else
    return &m->data[address];
#endif
}

static void copy_in(uint32_t address, const void *source, uint32_t length) {
#if WABT_BIG_ENDIAN
    const uint8_t *bytes = source;
    for (uint32_t i = 0; i < length; i++) *byte_at(address + i) = bytes[i];
#else
    memcpy(byte_at(address), source, length);
#endif
}

static void copy_out(void *destination, uint32_t address, uint32_t length) {
#if WABT_BIG_ENDIAN
    uint8_t *bytes = destination;
    for (uint32_t i = 0; i < length; i++) bytes[i] = *byte_at(address + i);
#else
    memcpy(destination, byte_at(address), length);
#endif
}

static uint64_t load(uint32_t address, int width) {
    uint64_t value = 0;
    for (int i = width - 1; i >= 0; i--) value = value << 8 | *byte_at(address + (uint32_t)i);
    return value;
}

static void store(uint32_t address, uint64_t value, int width) {
    for (int i = 0; i < width; i++, value >>= 8) *byte_at(address + (uint32_t)i) = (uint8_t)value;
}

/* ---- The module's imports: the HAL of the id the module names ---- */

static const tcu_hal *hal_of(uint32_t id) { return id < TCU_WASM_MAX_HALS ? hals[id] : NULL; }

/* Native room for what crosses the boundary; the module never asks for more at once. */
static uint8_t transfer[CHUNK];

u32 Z_envZ_hal_transport_connect(struct Z_env_instance_t *e, u32 id, u32 host_address, u32 port) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    char host[256];
    uint32_t n = 0;
    /* in_bounds(address, n + 1) rather than in_bounds(address + n, 1): the latter wraps at 4 GiB. */
    while (n < sizeof host && in_bounds(host_address, n + 1) && (host[n] = (char)*byte_at(host_address + n))) n++;
    /* No NUL within bounds: fail rather than connect to an unterminated string; no NUL within
     * 255 bytes: fail rather than dial a truncated (so different) host name. */
    if (n == sizeof host) return (u32)TCU_HAL_ERR_NAME;
    if (!in_bounds(host_address, n + 1)) return (u32)TCU_HAL_ERR_OTHER;
    host[n] = 0;
    return hal ? (u32)hal->transport_connect(hal->context, host, (uint16_t)port) : (u32)TCU_HAL_ERR_OTHER;
}

u32 Z_envZ_hal_transport_poll_connect(struct Z_env_instance_t *e, u32 id) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    return hal ? (u32)hal->transport_poll_connect(hal->context) : (u32)TCU_HAL_ERR_OTHER;
}

u32 Z_envZ_hal_transport_send(struct Z_env_instance_t *e, u32 id, u32 data, u32 length) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    if (!hal || !in_bounds(data, length)) return (u32)TCU_HAL_ERR_OTHER;
    if (length > CHUNK) length = CHUNK; /* a partial send is within the contract */
    copy_out(transfer, data, length);
    return (u32)hal->transport_send(hal->context, transfer, length);
}

u32 Z_envZ_hal_transport_receive(struct Z_env_instance_t *e, u32 id, u32 buffer, u32 capacity) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    if (!hal || !in_bounds(buffer, capacity)) return (u32)TCU_HAL_ERR_OTHER;
    if (capacity > CHUNK) capacity = CHUNK;
    int32_t received = hal->transport_receive(hal->context, transfer, capacity);
    /* A HAL that claims more than capacity would make copy_in read past transfer[] and write past
     * the checked range (past linear memory on a little-endian host): refuse it. */
    if (received > 0 && (uint32_t)received > capacity) return (u32)TCU_HAL_ERR_OTHER;
    if (received > 0) copy_in(buffer, transfer, (uint32_t)received);
    return (u32)received;
}

void Z_envZ_hal_transport_close(struct Z_env_instance_t *e, u32 id) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    if (hal) hal->transport_close(hal->context);
}

void Z_envZ_hal_transport_wait(struct Z_env_instance_t *e, u32 id, u32 readable, u32 timeout_ms) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    if (hal) hal->transport_wait(hal->context, (int)readable, timeout_ms);
}

u32 Z_envZ_hal_keystore_certificate_length(struct Z_env_instance_t *e, u32 id, u32 set, u32 index) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    const uint8_t *der = NULL;
    size_t length = 0;
    if (!hal || hal->keystore_certificate(hal->context, (int)set, index, &der, &length) != 0 || !der) return (u32)-1;
    return length > INT32_MAX ? (u32)-1 : (u32)length;
}

u32 Z_envZ_hal_keystore_certificate_copy(struct Z_env_instance_t *e, u32 id, u32 set, u32 index, u32 out,
                                         u32 capacity) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    const uint8_t *der = NULL;
    size_t length = 0;
    if (!hal || hal->keystore_certificate(hal->context, (int)set, index, &der, &length) != 0 || !der) return (u32)-1;
    if (length > capacity || !in_bounds(out, (uint32_t)length)) return (u32)-1;
    copy_in(out, der, (uint32_t)length);
    return (u32)length;
}

u32 Z_envZ_hal_keystore_sign(struct Z_env_instance_t *e, u32 id, u32 request, u32 hash, u32 input, u32 input_length,
                             u32 output, u32 output_capacity) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    uint8_t digest[1024], signature[1024];
    if (!hal || input_length > sizeof digest || !in_bounds(input, input_length) || !in_bounds(output, output_capacity))
        return (u32)-1;
    copy_out(digest, input, input_length);
    uint32_t capacity = output_capacity < sizeof signature ? output_capacity : (uint32_t)sizeof signature;
    int32_t length = hal->keystore_sign(hal->context, (int)request, (int)hash, digest, input_length, signature, capacity);
    if (length > 0 && (uint32_t)length > capacity) return (u32)-1; /* as in transport_receive: never copy more than checked */
    if (length > 0) copy_in(output, signature, (uint32_t)length);
    return (u32)length;
}

/* Sealed storage: the binding, the input and the output pass through host buffers that are
 * zeroed after the call (the plaintext side is a saved session's resumption secret). */
static uint8_t sealed_transfer[CHUNK + TCU_SEAL_OVERHEAD_MAX];

static u32 seal_call(u32 id, int sealing, u32 binding, u32 binding_length, u32 input, u32 input_length, u32 output,
                     u32 output_capacity) {
    const tcu_hal *hal = hal_of(id);
    uint8_t bound[64];
    if (!hal || binding_length == 0 || binding_length > sizeof bound || input_length > CHUNK ||
        !in_bounds(binding, binding_length) || !in_bounds(input, input_length) || !in_bounds(output, output_capacity))
        return (u32)TCU_SEAL_ERR_FAILED;
    copy_out(bound, binding, binding_length);
    copy_out(transfer, input, input_length);
    uint32_t capacity = output_capacity < sizeof sealed_transfer ? output_capacity : (uint32_t)sizeof sealed_transfer;
    int32_t length = sealing ? hal->keystore_seal(hal->context, bound, binding_length, transfer, input_length,
                                                  sealed_transfer, capacity)
                             : hal->keystore_unseal(hal->context, bound, binding_length, transfer, input_length,
                                                    sealed_transfer, capacity);
    if (length > 0 && (uint32_t)length > capacity) length = TCU_SEAL_ERR_FAILED; /* never copy more than checked */
    if (length > 0) copy_in(output, sealed_transfer, (uint32_t)length);
    memset(transfer, 0, input_length);
    memset(sealed_transfer, 0, capacity);
    return (u32)length;
}

u32 Z_envZ_hal_keystore_seal(struct Z_env_instance_t *e, u32 id, u32 binding, u32 binding_length, u32 plaintext,
                             u32 plaintext_length, u32 output, u32 output_capacity) {
    (void)e;
    return seal_call(id, 1, binding, binding_length, plaintext, plaintext_length, output, output_capacity);
}

u32 Z_envZ_hal_keystore_unseal(struct Z_env_instance_t *e, u32 id, u32 binding, u32 binding_length, u32 sealed,
                               u32 sealed_length, u32 output, u32 output_capacity) {
    (void)e;
    return seal_call(id, 0, binding, binding_length, sealed, sealed_length, output, output_capacity);
}

u32 Z_envZ_hal_clock_wall_time(struct Z_env_instance_t *e, u32 id, u32 out) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    int64_t seconds = 0;
    if (!hal || !in_bounds(out, 8)) return 1;
    int status = hal->clock_wall_time(hal->context, &seconds);
    if (status == 0) store(out, (uint64_t)seconds, 8);
    return (u32)status;
}

u64 Z_envZ_hal_clock_monotonic_ms(struct Z_env_instance_t *e, u32 id) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    return hal ? hal->clock_monotonic_ms(hal->context) : 0;
}

static u32 fill_entropy(const tcu_hal *hal, u32 buffer, u32 length) {
    if (!hal || !in_bounds(buffer, length)) return (u32)-1;
    u32 result = 0;
    for (uint32_t done = 0; done < length;) {
        uint32_t part = length - done < CHUNK ? length - done : CHUNK;
        if (hal->entropy_fill(hal->context, transfer, part) != 0) {
            result = (u32)-1; /* still wipe: a partial fill is seed material too */
            break;
        }
        copy_in(buffer + done, transfer, part);
        done += part;
    }
    memset(transfer, 0, sizeof transfer); /* seed material does not linger */
    return result;
}

u32 Z_envZ_hal_entropy_fill(struct Z_env_instance_t *e, u32 id, u32 buffer, u32 length) {
    (void)e;
    return fill_entropy(hal_of(id), buffer, length);
}

/* Entropy before a HAL is named: the HAL of the client being created. */
u32 Z_envZ_platform_entropy(struct Z_env_instance_t *e, u32 buffer, u32 length) {
    (void)e;
    return fill_entropy(hal_of(entered_hal), buffer, length);
}

u32 Z_envZ_hal_store_read(struct Z_env_instance_t *e, u32 id, u32 slot, u32 buffer, u32 capacity) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    if (!hal || !in_bounds(buffer, capacity)) return (u32)-2;
    if (capacity > CHUNK) capacity = CHUNK;
    int32_t length = hal->store_read(hal->context, (int)slot, transfer, capacity);
    if (length > 0 && (uint32_t)length > capacity) return (u32)-2; /* never copy more than checked */
    if (length > 0) copy_in(buffer, transfer, (uint32_t)length);
    return (u32)length;
}

u32 Z_envZ_hal_store_write(struct Z_env_instance_t *e, u32 id, u32 slot, u32 data, u32 length) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    if (!hal || length > CHUNK || !in_bounds(data, length)) return (u32)-1;
    copy_out(transfer, data, length);
    return (u32)hal->store_write(hal->context, (int)slot, transfer, length);
}

u32 Z_envZ_hal_store_erase(struct Z_env_instance_t *e, u32 id, u32 slot) {
    (void)e;
    const tcu_hal *hal = hal_of(id);
    return hal ? (u32)hal->store_erase(hal->context, (int)slot) : (u32)-1;
}

/* ---- Entering the module ---- */

static void ensure_module(void) {
    if (!instantiated) {
        wasm_rt_init();
        Z_tculink_init_module();
        Z_tculink_instantiate(&module, &environment);
        instantiated = true;
    }
}

/* Each call into the module runs under a trap handler: a trap longjmps back here. The handler
 * is set before instantiating, so that a trap there (a data segment's range check) does not
 * longjmp through an unset jmp_buf, or one left by a call that has returned. */
#define ENTER_OR(on_trap)                            \
    do {                                             \
        if (trapped) { on_trap; }                    \
        wasm_rt_trap_t code = wasm_rt_impl_try();    \
        if (code != WASM_RT_TRAP_NONE) {             \
            trapped = code;                          \
            on_trap;                                 \
        }                                            \
        ensure_module();                             \
    } while (0)

static void enter(uint32_t id) {
    entered_hal = id;
    Z_tculinkZ_tcu_wasm_hal_enter(&module, id);
}

static uint32_t module_string(const char *text) {
    size_t length = strlen(text) + 1;
    if (length > 4096) return 0;
    uint32_t address = Z_tculinkZ_tcu_wasm_alloc(&module, (u32)length);
    if (address) copy_in(address, text, (uint32_t)length);
    return address;
}

/* ---- tculink.h ---- */

struct tcu_context {
    uint32_t handle; /* the context inside the module */
};

/* A free HAL id, or TCU_WASM_MAX_HALS. */
static uint32_t free_hal_id(void) {
    uint32_t id = 0;
    while (id < TCU_WASM_MAX_HALS && hals[id]) id++;
    return id;
}

static bool start_module(void) {
    if (!started) {
        if (Z_tculinkZ_tcu_wasm_start(&module) != 0) return false;
        started = true;
    }
    return true;
}

tcu_status tcu_context_create(const tcu_hal *hal, uint32_t flags, tcu_context **context_out) {
    if (context_out) *context_out = NULL;
    if (!hal || !context_out) return -TCU_REASON_INVALID_ARGUMENT; /* as the native core */
    if (tcu_hal_missing_function(hal) != 0) return -TCU_REASON_INVALID_CONFIGURATION;
    volatile uint32_t id = free_hal_id(); /* read again after a trap's longjmp */
    tcu_context *context = id < TCU_WASM_MAX_HALS ? calloc(1, sizeof *context) : NULL;
    if (!context) return -TCU_REASON_OUT_OF_MEMORY; /* no free HAL id or no heap, not a configuration error */
    hals[id] = hal; /* only while the module reads the certificates */
    volatile uint32_t out = 0;
    volatile tcu_status status = -TCU_REASON_OUT_OF_MEMORY;
    ENTER_OR(goto done);
    enter(id);
    if (!start_module()) {
        status = -TCU_REASON_ENTROPY_FAILED;
        goto done;
    }
    out = Z_tculinkZ_tcu_wasm_alloc(&module, 4);
    if (!out) goto done;
    store(out, 0, 4);
    status = (tcu_status)Z_tculinkZ_tcu_context_create(&module, Z_tculinkZ_tcu_wasm_hal_enter(&module, id), flags, out);
    context->handle = status == TCU_OK ? (uint32_t)load(out, 4) : 0;
    Z_tculinkZ_tcu_wasm_free(&module, out);
done:
    /* wolfSSL holds its own copies of the certificates now. Released on every path, the early
     * failures included, so that the module's `entered` does not keep the id freed below.
     * (A trap in here longjmps back to ENTER_OR and comes to done again with `trapped` set.) */
    if (!trapped && instantiated) Z_tculinkZ_tcu_wasm_hal_release(&module, id);
    if (trapped) {
        status = TRAPPED;
        context->handle = 0; /* a trap after the module made it: the context is unusable, report failure */
    }
    hals[id] = NULL;
    if (entered_hal == id) entered_hal = UINT32_MAX;
    if (!context->handle) {
        free(context);
        return status < 0 ? status : -TCU_REASON_OUT_OF_MEMORY;
    }
    *context_out = context;
    return TCU_OK;
}

void tcu_context_free(tcu_context *context) {
    if (!context) return;
    ENTER_OR(goto forget);
    Z_tculinkZ_tcu_context_free(&module, context->handle);
forget:
    free(context);
}

tcu_status tcu_client_create(const tcu_hal *hal, const tcu_client_config *config, tcu_client **client_out) {
    return tcu_client_create_with_context(hal, config, NULL, client_out);
}

tcu_status tcu_client_create_with_context(const tcu_hal *hal, const tcu_client_config *config, tcu_context *context,
                                          tcu_client **client_out) {
    if (client_out) *client_out = NULL;
    if (!hal || !config || !client_out) return -TCU_REASON_INVALID_ARGUMENT; /* as the native core */
    if (!config->host || tcu_hal_missing_function(hal) != 0) return -TCU_REASON_INVALID_CONFIGURATION;
    volatile uint32_t id = free_hal_id(); /* read again after a trap's longjmp */
    tcu_client *client = id < TCU_WASM_MAX_HALS ? calloc(1, sizeof *client) : NULL;
    if (!client) return -TCU_REASON_OUT_OF_MEMORY; /* no free HAL id or no heap, not a configuration error */
    hals[id] = hal;
    client->hal = id;
    volatile uint32_t host = 0, server_name = 0, settings = 0;
    volatile tcu_status status = -TCU_REASON_OUT_OF_MEMORY;
    ENTER_OR(goto failed);
    enter(id);
    if (!start_module()) {
        status = -TCU_REASON_ENTROPY_FAILED;
        goto failed;
    }
    host = module_string(config->host);
    server_name = config->server_name ? module_string(config->server_name) : 0;
    settings = Z_tculinkZ_tcu_wasm_alloc(&module, CONFIG_SIZE);
    client->scratch = Z_tculinkZ_tcu_wasm_alloc(&module, WAIT_SIZE + INFO_SIZE + 4);
    client->buffer = Z_tculinkZ_tcu_wasm_alloc(&module, CHUNK);
    if (!host || (config->server_name && !server_name) || !settings || !client->scratch || !client->buffer) goto failed;
    store(settings + CONFIG_HOST, host, 4);
    store(settings + CONFIG_PORT, config->port, 4); /* uint16_t and its padding */
    store(settings + CONFIG_SERVER_NAME, server_name, 4);
    store(settings + CONFIG_FLAGS, config->flags, 4);
    store(settings + CONFIG_CONNECT_MS, config->connect_timeout_ms, 4);
    store(settings + CONFIG_HANDSHAKE_MS, config->handshake_timeout_ms, 4);
    store(settings + CONFIG_ACCEPTANCE_MS, config->acceptance_timeout_ms, 4);
    store(settings + CONFIG_MAX_FRAGMENT, config->max_fragment_length, 4);
    store(settings + CONFIG_CLOCK_FLOOR, (uint64_t)config->clock_floor_s, 8);
    store(settings + CONFIG_CLOCK_TOLERANCE, config->clock_tolerance_s, 8); /* uint32_t and its padding */
    uint32_t out = client->scratch + WAIT_SIZE + INFO_SIZE;
    store(out, 0, 4);
    uint32_t table = Z_tculinkZ_tcu_wasm_hal_enter(&module, id);
    status = (tcu_status)Z_tculinkZ_tcu_client_create_with_context(&module, table, settings,
                                                                  context ? context->handle : 0, out);
    client->handle = status == TCU_OK ? (uint32_t)load(out, 4) : 0;
    Z_tculinkZ_tcu_wasm_free(&module, host);
    Z_tculinkZ_tcu_wasm_free(&module, server_name);
    Z_tculinkZ_tcu_wasm_free(&module, settings);
    if (client->handle) {
        *client_out = client;
        return TCU_OK;
    }
    if (status >= 0) status = -TCU_REASON_OUT_OF_MEMORY; /* TCU_OK without a client: never, but never success */
    host = server_name = settings = 0;
failed:
    if (trapped) status = TRAPPED;
    if (!trapped) {
        Z_tculinkZ_tcu_wasm_free(&module, host);
        Z_tculinkZ_tcu_wasm_free(&module, server_name);
        Z_tculinkZ_tcu_wasm_free(&module, settings);
        Z_tculinkZ_tcu_wasm_free(&module, client->scratch);
        Z_tculinkZ_tcu_wasm_free(&module, client->buffer);
        Z_tculinkZ_tcu_wasm_hal_release(&module, id);
    }
    hals[id] = NULL;
    if (entered_hal == id) entered_hal = UINT32_MAX; /* else platform_entropy would use whatever HAL gets this id next */
    free(client);
    return status;
}

tcu_status tcu_client_step(tcu_client *client, tcu_wait *wait_out) {
    if (!client) return -TCU_REASON_INVALID_ARGUMENT;
    ENTER_OR(return TRAPPED);
    enter(client->hal);
    /* The core writes the wait only on TCU_IN_PROGRESS, as the native core leaves *wait_out alone
     * otherwise. Start the scratch from the caller's values and copy back only then, so that the
     * caller never gets the scratch's stale or uninitialized bytes (it comes from the module's malloc). */
    if (wait_out) {
        store(client->scratch + WAIT_READABLE, (uint32_t)wait_out->readable, 4);
        store(client->scratch + WAIT_UNTIL, wait_out->until_ms, 8);
    }
    tcu_status status =
        (tcu_status)Z_tculinkZ_tcu_client_step(&module, client->handle, wait_out ? client->scratch : 0);
    if (wait_out && status == TCU_IN_PROGRESS) {
        wait_out->readable = (int)(int32_t)load(client->scratch + WAIT_READABLE, 4);
        wait_out->until_ms = load(client->scratch + WAIT_UNTIL, 8);
    }
    return status;
}

tcu_status tcu_client_error(const tcu_client *client, uint8_t *alert_out) {
    if (alert_out) *alert_out = 255; /* tculink.h: 255 when no alert (0 is close_notify) */
    if (trapped) return TRAPPED;
    if (!client) return -TCU_REASON_INVALID_ARGUMENT; /* as the native core */
    ENTER_OR(return TRAPPED);
    enter(client->hal);
    uint32_t alert = client->scratch + WAIT_SIZE + INFO_SIZE;
    store(alert, 255, 4);
    tcu_status status = (tcu_status)Z_tculinkZ_tcu_client_error(&module, client->handle, alert_out ? alert : 0);
    if (alert_out) *alert_out = (uint8_t)load(alert, 1);
    return status;
}

/* A NUL-terminated text the module made, copied out once (at most 255 characters) into *cache. */
static const char *module_text(char **cache, uint32_t text) {
    if (*cache) return *cache;
    uint32_t length = 0;
    while (length < 255 && in_bounds(text, length + 1) && *byte_at(text + length)) length++; /* no wrap at 4 GiB */
    char *copy = malloc(length + 1);
    if (!copy) return "unknown (no memory for the text)";
    copy_out(copy, text, length);
    copy[length] = 0;
    *cache = copy;
    return copy;
}

const char *tcu_reason_text(int reason_code) {
    static char *texts[256];
    if (reason_code == TCU_WASM_REASON_TRAPPED) return "the TCULink wasm module trapped (a defect; restart the module)";
    volatile int reason = reason_code < 0 || reason_code > 255 ? 0 : reason_code; /* lives across setjmp */
    if (texts[reason]) return texts[reason];
    ENTER_OR(return "unknown reason (the TCULink wasm module trapped)");
    return module_text(&texts[reason], Z_tculinkZ_tcu_reason_text(&module, (u32)reason));
}

const char *tcu_status_text(tcu_status status) {
    static char *texts[TCU_CLOSED + 2]; /* TCU_OK .. TCU_CLOSED, and any other positive value */
    if (status < 0 && status >= -255) return tcu_reason_text(-status); /* as the native core */
    /* lives across setjmp; any other value has the module's "unknown status" */
    volatile tcu_status known = status >= TCU_OK && status <= TCU_CLOSED ? status : TCU_CLOSED + 1;
    if (texts[known]) return texts[known];
    ENTER_OR(return "unknown status (the TCULink wasm module trapped)");
    return module_text(&texts[known], Z_tculinkZ_tcu_status_text(&module, (u32)known));
}

int tcu_reason_is_permanent(int reason_code) {
    volatile int reason = reason_code; /* lives across setjmp */
    ENTER_OR(return 0);
    return (int)Z_tculinkZ_tcu_reason_is_permanent(&module, (u32)reason);
}

tcu_status tcu_client_info(const tcu_client *client, tcu_connection_info *info_out) {
    if (!client || !info_out) return -TCU_REASON_INVALID_ARGUMENT;
    ENTER_OR(return TRAPPED);
    enter(client->hal);
    uint32_t info = client->scratch + WAIT_SIZE;
    tcu_status status = (tcu_status)Z_tculinkZ_tcu_client_info(&module, client->handle, info);
    if (status == TCU_OK) {
        info_out->protocol_version = (uint16_t)load(info + INFO_VERSION, 2);
        info_out->acceptance = (uint8_t)load(info + INFO_ACCEPTANCE, 1);
        info_out->resumed = (uint8_t)load(info + INFO_RESUMED, 1);
        info_out->handshake_ms = (uint32_t)load(info + INFO_HANDSHAKE_MS, 4);
        copy_out(info_out->cipher_suite, info + INFO_SUITE, sizeof info_out->cipher_suite);
        info_out->cipher_suite[sizeof info_out->cipher_suite - 1] = 0;
    }
    return status;
}

tcu_status tcu_client_send(tcu_client *client, const uint8_t *data, size_t length, size_t *sent_out) {
    if (sent_out) *sent_out = 0;
    /* As the native core, which refuses NULL data even for length 0. */
    if (!client || !data || !sent_out) return -TCU_REASON_INVALID_ARGUMENT;
    ENTER_OR(return TRAPPED);
    enter(client->hal);
    uint32_t part = length < CHUNK ? (uint32_t)length : CHUNK; /* the API allows a partial send */
    copy_in(client->buffer, data, part);
    uint32_t out = client->scratch + WAIT_SIZE + INFO_SIZE;
    store(out, 0, 4);
    tcu_status status = (tcu_status)Z_tculinkZ_tcu_client_send(&module, client->handle, client->buffer, part, out);
    uint32_t sent = (uint32_t)load(out, 4);
    /* The count comes from inside the module: never more than was offered. */
    if (status == TCU_OK && sent > part) return -TCU_REASON_INVALID_STATE;
    if (status == TCU_OK) *sent_out = sent;
    return status;
}

tcu_status tcu_client_receive(tcu_client *client, uint8_t *buffer, size_t capacity, size_t *received_out) {
    if (received_out) *received_out = 0;
    /* As the native core, which refuses a NULL buffer even for capacity 0. */
    if (!client || !buffer || !received_out) return -TCU_REASON_INVALID_ARGUMENT;
    ENTER_OR(return TRAPPED);
    enter(client->hal);
    uint32_t room = capacity < CHUNK ? (uint32_t)capacity : CHUNK;
    uint32_t out = client->scratch + WAIT_SIZE + INFO_SIZE;
    store(out, 0, 4);
    tcu_status status = (tcu_status)Z_tculinkZ_tcu_client_receive(&module, client->handle, client->buffer, room, out);
    uint32_t received = (uint32_t)load(out, 4);
    /* The count comes from inside the module: never let it overrun the caller's buffer. */
    if (status == TCU_OK && received > room) return -TCU_REASON_INVALID_STATE;
    if (status == TCU_OK && received > 0) copy_out(buffer, client->buffer, received);
    if (status == TCU_OK) *received_out = received;
    return status;
}

/* After a trap the module cannot close the connection: close the transport from here, so that
 * the socket (an lwIP pcb on the board) does not leak. transport_close is safe to call twice. */
static void close_transport_natively(const tcu_client *client) {
    const tcu_hal *hal = hal_of(client->hal);
    if (hal) hal->transport_close(hal->context);
}

void tcu_client_close(tcu_client *client) {
    if (!client) return;
    ENTER_OR(close_transport_natively(client); return);
    enter(client->hal);
    Z_tculinkZ_tcu_client_close(&module, client->handle);
}

/* The module's side of a client's end: its scratch, its buffer, its HAL id's certificates.
 * Called under the caller's ENTER_OR. */
static void release_client_in_module(const tcu_client *client) {
    Z_tculinkZ_tcu_wasm_free(&module, client->scratch);
    Z_tculinkZ_tcu_wasm_free(&module, client->buffer);
    Z_tculinkZ_tcu_wasm_hal_release(&module, client->hal);
}

/* The native side: the HAL id is free again. */
static void forget_client(tcu_client *client) {
    if (trapped) close_transport_natively(client);
    hals[client->hal] = NULL;
    if (entered_hal == client->hal) entered_hal = UINT32_MAX;
    free(client);
}

/* An MQTT session holds its client (tculink.h: "tcu_mqtt_create keeps client alive until
 * tcu_mqtt_free"): inside the module the session keeps the core's client; here the client's HAL id
 * stays registered until the last session is freed, so that the session's outbox never reaches
 * the store of a HAL that has taken over the id meanwhile. */
void tcu_client_free(tcu_client *client) {
    if (!client) return;
    ENTER_OR(goto forget);
    enter(client->hal);
    Z_tculinkZ_tcu_client_free(&module, client->handle); /* closes; the sessions' references keep it */
    if (client->sessions == 0) release_client_in_module(client);
forget:
    if (client->sessions > 0) {
        client->freed = true;
        return;
    }
    forget_client(client);
}

/* ---- tculink.h: MQTT (tcu_mqtt_*) over an established client ----
 *
 * A session's module memory is allocated once, by tcu_mqtt_create: scratch for an event, a message
 * and a reason, and one buffer of the session's packet size for what a call passes in (a topic or a
 * filter with its NUL, then a payload). What does not fit that buffer could not fit a packet either
 * (the packet adds at least 4 bytes of headers to topic and payload) and is refused with
 * -TCU_REASON_MQTT_PACKET_TOO_LARGE before the module is entered, never cut. (The native core checks
 * the session and the topic first, so for such a call it may name another refusal; and while no
 * session is up it queues an oversize QoS 1 message in the outbox, which this glue refuses.)
 *
 * A received message is copied out of the module (whose memory is stored back to front on a
 * big-endian host) into a native buffer of the packet size, owned by the session: the pointers
 * tcu_mqtt_receive hands out are valid until the next tcu_mqtt_step or tcu_mqtt_free, as tculink.h
 * promises. After a trap every call returns -TCU_WASM_REASON_TRAPPED (a step with kind TCU_MQTT_NONE).
 * The outbox is saved through the store imports above, which move at most CHUNK bytes (16 KiB, the
 * default outbox_capacity): with a larger outbox_capacity, an outbox grown past 16 KiB is not saved. */

/* SCRATCH_OUT: a call's out value (the session's handle, a packet id, a count). */
enum { SCRATCH_EVENT = 0, SCRATCH_MESSAGE = EVENT_SIZE, SCRATCH_OUT = EVENT_SIZE + MESSAGE_SIZE,
       SCRATCH_SIZE = EVENT_SIZE + MESSAGE_SIZE + 4 };

struct tcu_mqtt {
    uint32_t handle;    /* the session inside the module */
    tcu_client *client; /* held until tcu_mqtt_free (its HAL id: the outbox's store) */
    uint32_t hal;       /* the client's HAL id */
    uint32_t scratch;   /* SCRATCH_SIZE bytes in the module */
    uint32_t buffer;    /* `room` bytes in the module: a topic or filter with its NUL, then a payload */
    uint32_t room;      /* the packet size (max_packet_size; 0 = TCULINK_MQTT_MAX_PACKET_SIZE; at least 16, as the
                           core's buffers) */
    uint8_t *received;  /* `room` native bytes: the last message's topic, then its payload */
};

tcu_status tcu_mqtt_create(tcu_client *client, const tcu_mqtt_config *config, tcu_mqtt **mqtt_out) {
    if (mqtt_out) *mqtt_out = NULL;
    if (!client || !config || !mqtt_out) return -TCU_REASON_INVALID_ARGUMENT; /* as the native core */
    if (!config->client_id) return -TCU_REASON_INVALID_CONFIGURATION;
    uint32_t room = config->max_packet_size ? config->max_packet_size : TCULINK_MQTT_MAX_PACKET_SIZE;
    if (room < 16) room = 16;
    tcu_mqtt *volatile mqtt = calloc(1, sizeof *mqtt); /* volatile: GCC cannot tell it survives the longjmp */
    uint8_t *received = mqtt ? malloc(room) : NULL;
    if (!received) {
        free(mqtt);
        return -TCU_REASON_OUT_OF_MEMORY;
    }
    mqtt->client = client;
    mqtt->hal = client->hal;
    mqtt->room = room;
    mqtt->received = received;
    volatile uint32_t client_id = 0, username = 0, settings = 0;
    volatile tcu_status status = -TCU_REASON_INVALID_CONFIGURATION;
    ENTER_OR(goto failed);
    enter(client->hal);
    client_id = module_string(config->client_id);
    username = config->username ? module_string(config->username) : 0;
    if (!client_id || (config->username && !username)) goto failed; /* longer than 4 KiB, or no memory */
    settings = Z_tculinkZ_tcu_wasm_alloc(&module, MQTT_CONFIG_SIZE);
    mqtt->scratch = Z_tculinkZ_tcu_wasm_alloc(&module, SCRATCH_SIZE);
    mqtt->buffer = Z_tculinkZ_tcu_wasm_alloc(&module, mqtt->room);
    if (!settings || !mqtt->scratch || !mqtt->buffer) {
        status = -TCU_REASON_OUT_OF_MEMORY;
        goto failed;
    }
    store(settings + MQTT_CONFIG_CLIENT_ID, client_id, 4);
    store(settings + MQTT_CONFIG_USERNAME, username, 4);
    store(settings + MQTT_CONFIG_FLAGS, config->flags, 4);
    store(settings + MQTT_CONFIG_KEEP_ALIVE, config->keep_alive_s, 2);
    store(settings + MQTT_CONFIG_IN_FLIGHT, config->max_in_flight, 2);
    store(settings + MQTT_CONFIG_PACKET_SIZE, config->max_packet_size, 4);
    store(settings + MQTT_CONFIG_ACK_MS, config->ack_timeout_ms, 4);
    store(settings + MQTT_CONFIG_PING_MS, config->ping_timeout_ms, 4);
    store(settings + MQTT_CONFIG_OUTBOX, config->outbox_capacity, 4);
    uint32_t out = mqtt->scratch + SCRATCH_OUT;
    store(out, 0, 4);
    status = (tcu_status)Z_tculinkZ_tcu_mqtt_create(&module, client->handle, settings, out);
    mqtt->handle = status == TCU_OK ? (uint32_t)load(out, 4) : 0;
    Z_tculinkZ_tcu_wasm_free(&module, client_id); /* the core copies both strings */
    Z_tculinkZ_tcu_wasm_free(&module, username);
    Z_tculinkZ_tcu_wasm_free(&module, settings);
    if (mqtt->handle) {
        client->sessions++;
        *mqtt_out = mqtt;
        return TCU_OK;
    }
    if (status >= 0) status = -TCU_REASON_OUT_OF_MEMORY; /* TCU_OK without a session: never, but never success */
    client_id = username = settings = 0;
failed:
    if (trapped) status = TRAPPED;
    if (!trapped) {
        Z_tculinkZ_tcu_wasm_free(&module, client_id);
        Z_tculinkZ_tcu_wasm_free(&module, username);
        Z_tculinkZ_tcu_wasm_free(&module, settings);
        Z_tculinkZ_tcu_wasm_free(&module, mqtt->scratch);
        Z_tculinkZ_tcu_wasm_free(&module, mqtt->buffer);
    }
    free(mqtt->received);
    free(mqtt);
    return status;
}

tcu_status tcu_mqtt_connect(tcu_mqtt *mqtt) {
    if (!mqtt) return -TCU_REASON_INVALID_ARGUMENT; /* as the native core */
    ENTER_OR(return TRAPPED);
    enter(mqtt->hal);
    return (tcu_status)Z_tculinkZ_tcu_mqtt_connect(&module, mqtt->handle);
}

/* A call's packet id, from the session's out value, for an optional uint16_t *packet_id_out. */
static tcu_status packet_id(const tcu_mqtt *mqtt, tcu_status status, uint16_t *packet_id_out) {
    if (packet_id_out) *packet_id_out = status == TCU_OK ? (uint16_t)load(mqtt->scratch + SCRATCH_OUT, 2) : 0;
    return status;
}

tcu_status tcu_mqtt_publish(tcu_mqtt *mqtt, const char *topic, const uint8_t *payload, size_t length, int qos,
                            int retain, uint16_t *packet_id_out) {
    if (packet_id_out) *packet_id_out = 0;
    if (!mqtt || !topic || (!payload && length)) return -TCU_REASON_INVALID_ARGUMENT; /* as the native core */
    ENTER_OR(return TRAPPED);
    size_t topic_size = strlen(topic) + 1; /* after the setjmp: nothing to keep across a longjmp */
    if (topic_size > mqtt->room || length > mqtt->room - topic_size) return -TCU_REASON_MQTT_PACKET_TOO_LARGE;
    enter(mqtt->hal);
    uint32_t at = mqtt->buffer + (uint32_t)topic_size;
    copy_in(mqtt->buffer, topic, (uint32_t)topic_size);
    if (length) copy_in(at, payload, (uint32_t)length);
    store(mqtt->scratch + SCRATCH_OUT, 0, 4);
    tcu_status status = (tcu_status)Z_tculinkZ_tcu_mqtt_publish(&module, mqtt->handle, mqtt->buffer, payload ? at : 0,
                                                               (u32)length, (u32)qos, (u32)retain,
                                                               mqtt->scratch + SCRATCH_OUT);
    return packet_id(mqtt, status, packet_id_out);
}

tcu_status tcu_mqtt_subscribe(tcu_mqtt *mqtt, const char *filter, int qos, uint16_t *packet_id_out) {
    if (packet_id_out) *packet_id_out = 0;
    if (!mqtt || !filter) return -TCU_REASON_INVALID_ARGUMENT; /* as the native core */
    ENTER_OR(return TRAPPED);
    size_t size = strlen(filter) + 1;
    if (size > mqtt->room) return -TCU_REASON_MQTT_PACKET_TOO_LARGE;
    enter(mqtt->hal);
    copy_in(mqtt->buffer, filter, (uint32_t)size);
    store(mqtt->scratch + SCRATCH_OUT, 0, 4);
    tcu_status status = (tcu_status)Z_tculinkZ_tcu_mqtt_subscribe(&module, mqtt->handle, mqtt->buffer, (u32)qos,
                                                                 mqtt->scratch + SCRATCH_OUT);
    return packet_id(mqtt, status, packet_id_out);
}

tcu_status tcu_mqtt_unsubscribe(tcu_mqtt *mqtt, const char *filter, uint16_t *packet_id_out) {
    if (packet_id_out) *packet_id_out = 0;
    if (!mqtt || !filter) return -TCU_REASON_INVALID_ARGUMENT;
    ENTER_OR(return TRAPPED);
    size_t size = strlen(filter) + 1;
    if (size > mqtt->room) return -TCU_REASON_MQTT_PACKET_TOO_LARGE;
    enter(mqtt->hal);
    copy_in(mqtt->buffer, filter, (uint32_t)size);
    store(mqtt->scratch + SCRATCH_OUT, 0, 4);
    tcu_status status = (tcu_status)Z_tculinkZ_tcu_mqtt_unsubscribe(&module, mqtt->handle, mqtt->buffer,
                                                                   mqtt->scratch + SCRATCH_OUT);
    return packet_id(mqtt, status, packet_id_out);
}

/* What a step reports when there is no session to step (as the native core) or the module trapped. */
static tcu_status mqtt_ended(tcu_mqtt_event *event_out, tcu_status status) {
    if (event_out) memset(event_out, 0, sizeof *event_out); /* kind TCU_MQTT_NONE */
    return status;
}

tcu_status tcu_mqtt_step(tcu_mqtt *mqtt, tcu_mqtt_event *event_out) {
    if (!mqtt) return mqtt_ended(event_out, -TCU_REASON_INVALID_ARGUMENT);
    ENTER_OR(return mqtt_ended(event_out, TRAPPED));
    enter(mqtt->hal);
    uint32_t event = mqtt->scratch + SCRATCH_EVENT;
    tcu_status status = (tcu_status)Z_tculinkZ_tcu_mqtt_step(&module, mqtt->handle, event_out ? event : 0);
    if (event_out) { /* the core writes the whole event, every field, whatever the status */
        memset(event_out, 0, sizeof *event_out);
        event_out->kind = (int)(int32_t)load(event + EVENT_KIND, 4);
        event_out->packet_id = (uint16_t)load(event + EVENT_PACKET_ID, 2);
        event_out->granted_qos = (uint8_t)load(event + EVENT_GRANTED_QOS, 1);
        event_out->session_present = (uint8_t)load(event + EVENT_SESSION_PRESENT, 1);
        event_out->wait.readable = (int)(int32_t)load(event + EVENT_WAIT + WAIT_READABLE, 4);
        event_out->wait.until_ms = load(event + EVENT_WAIT + WAIT_UNTIL, 8);
    }
    return status;
}

tcu_status tcu_mqtt_receive(const tcu_mqtt *mqtt, tcu_mqtt_message *message_out) {
    if (!mqtt || !message_out) return -TCU_REASON_INVALID_ARGUMENT;
    ENTER_OR(return TRAPPED);
    enter(mqtt->hal);
    uint32_t message = mqtt->scratch + SCRATCH_MESSAGE;
    tcu_status status = (tcu_status)Z_tculinkZ_tcu_mqtt_receive(&module, mqtt->handle, message);
    if (status != TCU_OK) return status;
    uint32_t topic = (uint32_t)load(message + MESSAGE_TOPIC, 4);
    uint32_t topic_length = (uint32_t)load(message + MESSAGE_TOPIC_LENGTH, 4);
    uint32_t payload = (uint32_t)load(message + MESSAGE_PAYLOAD, 4);
    uint32_t payload_length = (uint32_t)load(message + MESSAGE_PAYLOAD_LENGTH, 4);
    /* Addresses and counts from inside the module: within its memory and within the native buffer
     * (a received packet is at most `room` bytes, topic and payload included), or nothing. */
    if (topic_length > mqtt->room || payload_length > mqtt->room - topic_length || !in_bounds(topic, topic_length) ||
        !in_bounds(payload, payload_length))
        return -TCU_REASON_INVALID_STATE;
    copy_out(mqtt->received, topic, topic_length);
    copy_out(mqtt->received + topic_length, payload, payload_length);
    memset(message_out, 0, sizeof *message_out);
    message_out->topic = topic ? mqtt->received : NULL;
    message_out->topic_length = topic_length;
    message_out->payload = payload ? mqtt->received + topic_length : NULL;
    message_out->payload_length = payload_length;
    message_out->packet_id = (uint16_t)load(message + MESSAGE_PACKET_ID, 2);
    message_out->qos = (uint8_t)load(message + MESSAGE_QOS, 1);
    message_out->retain = (uint8_t)load(message + MESSAGE_RETAIN, 1);
    message_out->duplicate = (uint8_t)load(message + MESSAGE_DUPLICATE, 1);
    return TCU_OK;
}

tcu_status tcu_mqtt_pending(const tcu_mqtt *mqtt, uint32_t *count_out) {
    if (!mqtt || !count_out) return -TCU_REASON_INVALID_ARGUMENT; /* as the native core */
    ENTER_OR(return TRAPPED);
    enter(mqtt->hal);
    store(mqtt->scratch + SCRATCH_OUT, 0, 4);
    tcu_status status = (tcu_status)Z_tculinkZ_tcu_mqtt_pending(&module, mqtt->handle, mqtt->scratch + SCRATCH_OUT);
    if (status == TCU_OK) *count_out = (uint32_t)load(mqtt->scratch + SCRATCH_OUT, 4);
    return status;
}

/* No session and no client: the HAL gets an id for the call only, as in tcu_context_create. */
tcu_status tcu_mqtt_enqueue(const tcu_hal *hal, uint32_t outbox_capacity, const char *topic, const uint8_t *payload,
                            size_t length, int retain) {
    if (!hal || !topic || (!payload && length)) return -TCU_REASON_INVALID_ARGUMENT; /* as the native core */
    if (tcu_hal_missing_function(hal) != 0) return -TCU_REASON_INVALID_CONFIGURATION;
    size_t topic_size = strlen(topic) + 1;
    size_t capacity = outbox_capacity ? outbox_capacity : TCULINK_MQTT_OUTBOX_CAPACITY; /* the core's default */
    /* Topic and payload alone would take the outbox past its capacity (each record adds more): the
     * core refuses that as full; refused here before copying it into the module. */
    if (topic_size - 1 > capacity || length > capacity - (topic_size - 1) || length > UINT32_MAX - topic_size)
        return -TCU_REASON_MQTT_OUTBOX_FULL;
    volatile uint32_t id = free_hal_id(); /* read again after a trap's longjmp */
    if (id >= TCU_WASM_MAX_HALS) return -TCU_REASON_OUT_OF_MEMORY;
    hals[id] = hal;
    volatile uint32_t text = 0;
    volatile tcu_status result = -TCU_REASON_OUT_OF_MEMORY;
    ENTER_OR(goto done);
    enter(id);
    if (!start_module()) {
        result = -TCU_REASON_ENTROPY_FAILED;
        goto done;
    }
    text = Z_tculinkZ_tcu_wasm_alloc(&module, (u32)(topic_size + length)); /* at most the capacity + 1, < 4 GiB */
    if (!text) goto done;
    copy_in(text, topic, (uint32_t)topic_size);
    if (length) copy_in(text + (uint32_t)topic_size, payload, (uint32_t)length);
    result = (tcu_status)Z_tculinkZ_tcu_mqtt_enqueue(&module, Z_tculinkZ_tcu_wasm_hal_enter(&module, id),
                                                       outbox_capacity, text,
                                                       payload ? text + (uint32_t)topic_size : 0, (u32)length,
                                                       (u32)retain);
done:
    /* A trap in here longjmps back to ENTER_OR and comes to done again with `trapped` set. */
    if (!trapped && instantiated) {
        Z_tculinkZ_tcu_wasm_free(&module, text);
        Z_tculinkZ_tcu_wasm_hal_release(&module, id);
    }
    hals[id] = NULL;
    if (entered_hal == id) entered_hal = UINT32_MAX;
    return trapped ? TRAPPED : result;
}

void tcu_mqtt_disconnect(tcu_mqtt *mqtt) {
    if (!mqtt) return;
    ENTER_OR(close_transport_natively(mqtt->client); return); /* tculink.h: it closes the connection */
    enter(mqtt->hal);
    Z_tculinkZ_tcu_mqtt_disconnect(&module, mqtt->handle);
}

tcu_status tcu_mqtt_error(const tcu_mqtt *mqtt) {
    if (trapped) return TRAPPED;
    if (!mqtt) return -TCU_REASON_INVALID_ARGUMENT; /* as the native core */
    ENTER_OR(return TRAPPED);
    enter(mqtt->hal);
    return (tcu_status)Z_tculinkZ_tcu_mqtt_error(&module, mqtt->handle);
}

void tcu_mqtt_free(tcu_mqtt *mqtt) {
    if (!mqtt) return;
    tcu_client *client = mqtt->client;
    ENTER_OR(goto forget);
    enter(mqtt->hal);
    Z_tculinkZ_tcu_mqtt_free(&module, mqtt->handle); /* and its reference on the core's client */
    Z_tculinkZ_tcu_wasm_free(&module, mqtt->scratch);
    Z_tculinkZ_tcu_wasm_free(&module, mqtt->buffer);
    if (client->freed && client->sessions == 1) release_client_in_module(client);
forget:
    free(mqtt->received);
    free(mqtt);
    if (--client->sessions == 0 && client->freed) forget_client(client);
}

/** The module's linear memory now (it only grows): what the translated core and wolfSSL take
 *  in RAM besides the generated code's own data. Not part of tculink.h; for measurements. */
size_t tcu_wasm2c_linear_memory_bytes(void) { return instantiated ? (size_t)memory()->size : 0; }

/* fuzz_wasm2c_glue.c: the wasm2c glue's HAL imports (BoardSupport/Wasm2c/tculink_wasm2c.c), which copy bytes
 * between the module's linear memory and the caller's tcu_hal, called directly with the addresses and lengths
 * a corrupted (or hostile) module could pass, over a fake HAL whose results come from the input.
 * Built by scripts/fuzz with clang -fsanitize=fuzzer,address,undefined.
 *
 * The glue is compiled into this file over a stand-in for the generated module (TCU_WASM2C_FUZZ_MODULE): the
 * linear memory is a malloc'd buffer of exactly its size (any size, 0 included), so ASan sees any access
 * past it, as it sees the fake HAL's buffers and the glue's own. The memory is laid out as wasm2c lays it
 * out on a big-endian host (the MPC5748G; wasm byte a at data[size - 1 - a]) unless WABT_BIG_ENDIAN=0 is
 * given: that layout is the one with address arithmetic in it.
 *
 * Input: bytes 0-1 the memory's size (+64 KiB when bit 0 of byte 2), byte 2 also seeds its content, bytes 3-4
 * which of the 16 HAL ids are registered; then operations, each a selector byte and its arguments; the fake
 * HAL takes its results (return values, lengths, bytes) from the same stream.
 * Invariants, per call, against a model of the import's contract: the result is the one the contract gives;
 * the memory changes only where the result says the HAL's bytes went, and holds exactly those bytes there
 * (multi-byte values little-endian, as wasm reads them); what the HAL is handed is exactly the module's bytes,
 * at most the length the module gave and never more than the glue's buffer; secrets (sealing, entropy) do not
 * stay in the glue's buffers after the call. */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcu_hal.h"
#include "wasm-rt.h"

/* ---- The stand-in for the generated header (tculink_wasm.h) ---- */
#ifndef WASM_RT_CORE_TYPES_DEFINED
#define WASM_RT_CORE_TYPES_DEFINED
typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
#endif
struct Z_env_instance_t;
typedef struct Z_tculink_instance_t {
    int unused;
} Z_tculink_instance_t;

static wasm_rt_memory_t linear; /* the module's memory, as the harness set it up */

wasm_rt_memory_t *Z_tculinkZ_memory(Z_tculink_instance_t *instance) {
    (void)instance;
    return &linear;
}

/* The module's exports: the tculink.h half of the glue calls them, the harness never calls that half. */
#define NOT_REACHED                                                          \
    {                                                                        \
        fprintf(stderr, "fuzz_wasm2c_glue: the module was entered\n");      \
        abort();                                                             \
    }
void Z_tculink_init_module(void) NOT_REACHED
void Z_tculink_instantiate(Z_tculink_instance_t *i, struct Z_env_instance_t *e) NOT_REACHED
#define EXPORT_U32(name, ...) u32 Z_tculinkZ_##name(Z_tculink_instance_t *i, __VA_ARGS__) NOT_REACHED
#define EXPORT_VOID(name, ...) void Z_tculinkZ_##name(Z_tculink_instance_t *i, __VA_ARGS__) NOT_REACHED
EXPORT_VOID(tcu_client_close, u32 a)
EXPORT_U32(tcu_client_create_with_context, u32 a, u32 b, u32 c, u32 d)
EXPORT_U32(tcu_client_error, u32 a, u32 b)
EXPORT_VOID(tcu_client_free, u32 a)
EXPORT_U32(tcu_client_info, u32 a, u32 b)
EXPORT_U32(tcu_client_receive, u32 a, u32 b, u32 c, u32 d)
EXPORT_U32(tcu_client_send, u32 a, u32 b, u32 c, u32 d)
EXPORT_U32(tcu_client_step, u32 a, u32 b)
EXPORT_U32(tcu_context_create, u32 a, u32 b, u32 c)
EXPORT_VOID(tcu_context_free, u32 a)
EXPORT_U32(tcu_mqtt_connect, u32 a)
EXPORT_U32(tcu_mqtt_create, u32 a, u32 b, u32 c)
EXPORT_VOID(tcu_mqtt_disconnect, u32 a)
EXPORT_U32(tcu_mqtt_enqueue, u32 a, u32 b, u32 c, u32 d, u32 e, u32 f)
EXPORT_U32(tcu_mqtt_error, u32 a)
EXPORT_VOID(tcu_mqtt_free, u32 a)
EXPORT_U32(tcu_mqtt_pending, u32 a, u32 b)
EXPORT_U32(tcu_mqtt_publish, u32 a, u32 b, u32 c, u32 d, u32 e, u32 f, u32 g)
EXPORT_U32(tcu_mqtt_receive, u32 a, u32 b)
EXPORT_U32(tcu_mqtt_step, u32 a, u32 b)
EXPORT_U32(tcu_mqtt_subscribe, u32 a, u32 b, u32 c, u32 d)
EXPORT_U32(tcu_mqtt_unsubscribe, u32 a, u32 b, u32 c)
EXPORT_U32(tcu_reason_is_permanent, u32 a)
EXPORT_U32(tcu_reason_text, u32 a)
EXPORT_U32(tcu_status_text, u32 a)
EXPORT_U32(tcu_wasm_alloc, u32 a)
EXPORT_VOID(tcu_wasm_free, u32 a)
EXPORT_U32(tcu_wasm_hal_enter, u32 a)
EXPORT_VOID(tcu_wasm_hal_release, u32 a)
u32 Z_tculinkZ_tcu_wasm_start(Z_tculink_instance_t *i) NOT_REACHED

/* ---- The glue itself, as firmware compiles it ---- */
#ifndef WABT_BIG_ENDIAN
#define WABT_BIG_ENDIAN 1
#endif
#if WABT_BIG_ENDIAN
/* The glue refuses a layout that differs from the host's byte order; here the layout is only an address
 * mapping the glue must get right (its big-endian paths move single bytes), so the check is lifted. */
#undef __BYTE_ORDER__
#endif
#define TCU_WASM2C_FUZZ_MODULE 1
#include "tculink_wasm2c.c"

/* ---- The model's view of the memory: where wasm byte `address` lives (wasm2c's layout) ---- */

static uint8_t *wasm_byte(uint8_t *data, uint32_t address) {
    return WABT_BIG_ENDIAN ? &data[linear.size - 1 - address] : &data[address];
}

static void fail(const char *what, unsigned long long got, unsigned long long expected) {
    fprintf(stderr, "fuzz_wasm2c_glue: %s (got %llu, expected %llu)\n", what, got, expected);
    abort();
}

/* ---- The input stream: what the module passes and what the HAL answers ---- */

static const uint8_t *input;
static size_t remaining;

static uint32_t take(int bytes) {
    uint32_t value = 0;
    for (int i = 0; i < bytes && remaining; i++, remaining--) value |= (uint32_t)*input++ << (8 * i);
    return value;
}

/* An address a module could pass: anywhere, small, near the memory's end, or near 4 GiB. */
static uint32_t take_address(void) {
    switch (take(1) & 3) {
    case 0: return take(4);
    case 1: return take(2);
    case 2: return linear.size - take(1); /* wraps below 0 for a small memory: intended */
    default: return UINT32_MAX - take(1);
    }
}

/* A length: anywhere, small, up to the memory's end from `address`, or around CHUNK. */
static uint32_t take_length(uint32_t address) {
    switch (take(1) & 3) {
    case 0: return take(4);
    case 1: return take(2);
    case 2: return linear.size - address + (take(1) & 7); /* exact fit, or a few bytes past the end */
    default: return CHUNK - 8 + take(1) % 24;
    }
}

/* A result a HAL could return for a buffer of `capacity`: an error, an honest length, one past the
 * capacity (lying), or anything. */
static int32_t take_result(uint32_t capacity) {
    switch (take(1) & 3) {
    case 0: return -(int32_t)(take(1) % 32);
    case 1: return (int32_t)(take(4) % ((uint64_t)capacity + 1));
    case 2: return (int32_t)(capacity + 1 + take(1));
    default: return (int32_t)take(4);
    }
}

/* ---- The fake HAL: answers from the stream, records what it was given ---- */

static struct {
    int calls;
    const void *context;
    const uint8_t *buffer;  /* the output buffer it was handed (a certificate: the one it handed out) */
    size_t capacity;        /* and its capacity */
    uint8_t written[CHUNK + TCU_SEAL_OVERHEAD_MAX]; /* what it wrote there (the glue wipes some buffers after) */
    uint8_t given[CHUNK + TCU_SEAL_OVERHEAD_MAX]; /* its input bytes (send, sign, seal, store_write) */
    size_t given_length;
    uint8_t binding[64];
    size_t binding_length;
    int32_t result;
    int sealing; /* 1: keystore_seal was called, 0: keystore_unseal */
    char host[300];
    uint16_t port;
    int set;
    size_t index;
    int readable;
    uint32_t timeout;
    int64_t seconds;
    uint64_t monotonic;
    uint8_t *certificate; /* what keystore_certificate handed out (freed after the call) */
} hal_log;

static int contexts[TCU_WASM_MAX_HALS]; /* each id's HAL has its own context */
static tcu_hal tables[TCU_WASM_MAX_HALS];

static void check_context(void *context) {
    if (context != hal_log.context) fail("the HAL of another id was called", 0, 0);
    hal_log.calls++;
}

/* Writes the whole output buffer (ASan checks the glue's capacity was true) and answers. */
static int32_t answer_into(uint8_t *buffer, size_t capacity) {
    hal_log.buffer = buffer;
    hal_log.capacity = capacity;
    uint8_t seed = (uint8_t)take(1);
    for (size_t i = 0; i < capacity; i++) buffer[i] = (uint8_t)(seed + i * 7);
    if (capacity > sizeof hal_log.written) fail("an output buffer larger than any of the glue's", capacity, 0);
    memcpy(hal_log.written, buffer, capacity);
    hal_log.result = take_result((uint32_t)capacity);
    return hal_log.result;
}

static void keep_input(const uint8_t *data, size_t length) {
    if (length > sizeof hal_log.given) fail("the HAL was handed more than any buffer of the glue holds", length, 0);
    memcpy(hal_log.given, data, length); /* reads all of it: ASan checks the length was true */
    hal_log.given_length = length;
}

static int fake_connect(void *context, const char *host, uint16_t port) {
    check_context(context);
    size_t length = strlen(host);
    if (length >= sizeof hal_log.host) fail("host name longer than the glue's buffer", length, 0);
    memcpy(hal_log.host, host, length + 1);
    hal_log.port = port;
    return hal_log.result = take_result(0);
}

static int fake_poll_connect(void *context) {
    check_context(context);
    return hal_log.result = take_result(0);
}

static int32_t fake_send(void *context, const uint8_t *data, size_t length) {
    check_context(context);
    keep_input(data, length);
    return hal_log.result = take_result((uint32_t)length);
}

static int32_t fake_receive(void *context, uint8_t *buffer, size_t capacity) {
    check_context(context);
    return answer_into(buffer, capacity);
}

static void fake_close(void *context) { check_context(context); }

static void fake_wait(void *context, int readable, uint32_t timeout_ms) {
    check_context(context);
    hal_log.readable = readable;
    hal_log.timeout = timeout_ms;
}

static int fake_certificate(void *context, int set, size_t index, const uint8_t **der, size_t *length) {
    check_context(context);
    hal_log.set = set;
    hal_log.index = index;
    int status = (take(1) & 3) == 0 ? (int)take(1) : 0;
    size_t claimed;
    switch (take(1) & 3) {
    case 0: claimed = take(2); break;
    case 1: claimed = take(3); break;                      /* up to 16 MiB */
    case 2: claimed = (size_t)INT32_MAX + take(1); break; /* past what a u32 result can say */
    default: claimed = (size_t)take(4) << 32 | take(4); break;
    }
    /* A store keeps `claimed` bytes; one claiming more than 256 KiB hands out 1 byte, which the glue must then
     * never read (no memory of this harness holds that much). */
    size_t held = claimed <= 256 * 1024 ? claimed : 1;
    hal_log.certificate = malloc(held ? held : 1);
    uint8_t seed = (uint8_t)take(1);
    for (size_t i = 0; i < held; i++) hal_log.certificate[i] = (uint8_t)(seed ^ i);
    *der = (take(1) & 15) == 0 ? NULL : hal_log.certificate;
    *length = claimed;
    hal_log.capacity = claimed;
    hal_log.buffer = *der;
    return hal_log.result = status;
}

static int32_t fake_sign(void *context, int request, int hash, const uint8_t *input_bytes, size_t input_length,
                         uint8_t *output, size_t output_capacity) {
    check_context(context);
    hal_log.set = request;
    hal_log.index = (size_t)hash;
    keep_input(input_bytes, input_length);
    return answer_into(output, output_capacity);
}

static int fake_wall_time(void *context, int64_t *seconds) {
    check_context(context);
    hal_log.seconds = (int64_t)((uint64_t)take(4) << 32 | take(4));
    int status = (take(1) & 1) ? 0 : (int)take(1);
    if (status == 0) *seconds = hal_log.seconds;
    return hal_log.result = status;
}

static uint64_t fake_monotonic(void *context) {
    check_context(context);
    return hal_log.monotonic = (uint64_t)take(4) << 32 | take(4);
}

/* Entropy comes in parts of at most CHUNK: each part's bytes are kept, in order, for the model. */
static uint8_t entropy_given[2 * 65536 + 16];
static size_t entropy_length;
static int32_t entropy_results[16];

static int fake_entropy(void *context, uint8_t *buffer, size_t length) {
    check_context(context);
    if (length > CHUNK) fail("an entropy part larger than the glue's buffer", length, CHUNK);
    int n = hal_log.calls - 1;
    if (n >= 16) fail("more entropy parts than a memory this size needs", (unsigned long long)n, 16);
    uint8_t seed = (uint8_t)take(1);
    for (size_t i = 0; i < length; i++) buffer[i] = (uint8_t)(seed * 13 + i);
    int status = (take(1) & 7) == 0 ? -1 : 0;
    entropy_results[n] = status;
    if (status == 0) {
        if (entropy_length + length > sizeof entropy_given) fail("more entropy than asked for", entropy_length, 0);
        memcpy(entropy_given + entropy_length, buffer, length);
        entropy_length += length;
    }
    return status;
}

static int32_t fake_store_read(void *context, int slot, uint8_t *buffer, size_t capacity) {
    check_context(context);
    hal_log.set = slot;
    return answer_into(buffer, capacity);
}

static int fake_store_write(void *context, int slot, const uint8_t *data, size_t length) {
    check_context(context);
    hal_log.set = slot;
    keep_input(data, length);
    return hal_log.result = take_result(0);
}

static int fake_store_erase(void *context, int slot) {
    check_context(context);
    hal_log.set = slot;
    return hal_log.result = take_result(0);
}

static int32_t fake_seal(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *plaintext,
                         size_t plaintext_length, uint8_t *output, size_t output_capacity) {
    check_context(context);
    hal_log.sealing++;
    if (binding_length > sizeof hal_log.binding) fail("binding longer than 64", binding_length, 64);
    memcpy(hal_log.binding, binding, binding_length);
    hal_log.binding_length = binding_length;
    keep_input(plaintext, plaintext_length);
    return answer_into(output, output_capacity);
}

static int32_t fake_unseal(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *sealed,
                           size_t sealed_length, uint8_t *output, size_t output_capacity) {
    hal_log.sealing--; /* fake_seal counts it back up: 0 for an unseal */
    return fake_seal(context, binding, binding_length, sealed, sealed_length, output, output_capacity);
}

/* ---- The model ---- */

static uint8_t *expected;   /* the memory as it must be after the call */
static uint32_t wanted_id;   /* the id the module named */

static const tcu_hal *registered(uint32_t id) {
    return id < TCU_WASM_MAX_HALS && hals[id] ? hals[id] : NULL;
}

static int fits(uint32_t address, uint64_t length) { return (uint64_t)address + length <= linear.size; }

/* What the module's bytes at `address` are (the memory is unchanged by the call until it writes). */
static void expect_module_bytes(uint32_t address, const uint8_t *bytes, size_t length, const char *what) {
    for (size_t i = 0; i < length; i++)
        if (bytes[i] != *wasm_byte(expected, address + (uint32_t)i)) fail(what, i, length);
}

static void expect_written(uint32_t address, const uint8_t *bytes, size_t length) {
    for (size_t i = 0; i < length; i++) *wasm_byte(expected, address + (uint32_t)i) = bytes[i];
}

static void expect_calls(int calls) {
    if (hal_log.calls != calls) fail("the HAL was called a different number of times", hal_log.calls, calls);
}

static void expect_result(u32 got, u32 wanted, const char *what) {
    if (got != wanted) fail(what, got, wanted);
}

/* A HAL's length result, as the glue hands it to the module: itself, unless it claims more than the buffer
 * (then `refusal`); its bytes at `address` when positive. */
static u32 length_result(uint32_t address, uint32_t capacity, u32 refusal) {
    int32_t length = hal_log.result;
    if (length > 0 && (uint32_t)length > capacity) return refusal;
    if (length > 0) expect_written(address, hal_log.written, (size_t)length);
    return (u32)length;
}

static void all_zero(const uint8_t *bytes, size_t length, const char *what) {
    for (size_t i = 0; i < length; i++)
        if (bytes[i]) fail(what, i, length);
}

static void operate(void) {
    memset(&hal_log, 0, sizeof hal_log);
    entropy_length = 0;
    uint32_t id = take(1) % (TCU_WASM_MAX_HALS + 4); /* some ids past the table */
    wanted_id = id;
    const tcu_hal *hal = registered(id);
    hal_log.context = hal ? hal->context : NULL;
    memcpy(expected, linear.data, linear.size);
    switch (take(1) % 19) {
    case 0: { /* the harness (not the glue) writes bytes into the memory: a host name, a digest ... */
        uint32_t address = take_address(), length = take(1) % 64;
        for (uint32_t i = 0; i < length && fits(address, (uint64_t)i + 1); i++)
            *wasm_byte(linear.data, address + i) = (uint8_t)take(1);
        return;
    }
    case 1: {
        uint32_t address = take_address(), port = take(4);
        u32 got = Z_envZ_hal_transport_connect(&environment, id, address, port);
        /* The host name: up to its NUL, which must come within the memory and within 255 characters. */
        uint32_t n = 0;
        int found = 0, past_end = 0;
        for (; n < 256 && !found && !past_end; n++) {
            if (!fits(address, (uint64_t)n + 1)) past_end = 1;
            else if (*wasm_byte(expected, address + n) == 0) found = 1;
        }
        n--; /* the NUL's (or the end's) offset */
        u32 wanted = found ? (hal ? (u32)hal_log.result : (u32)TCU_HAL_ERR_OTHER)
                           : past_end ? (u32)TCU_HAL_ERR_OTHER : (u32)TCU_HAL_ERR_NAME;
        expect_calls(hal && found);
        if (hal_log.calls) {
            if (strlen(hal_log.host) != n) fail("host name length", strlen(hal_log.host), n);
            expect_module_bytes(address, (const uint8_t *)hal_log.host, n, "host name bytes");
            if (hal_log.port != (uint16_t)port) fail("port", hal_log.port, (uint16_t)port);
        }
        expect_result(got, wanted, "transport_connect result");
        break;
    }
    case 2: {
        u32 got = Z_envZ_hal_transport_poll_connect(&environment, id);
        expect_calls(hal != NULL);
        expect_result(got, hal ? (u32)hal_log.result : (u32)TCU_HAL_ERR_OTHER, "transport_poll_connect result");
        break;
    }
    case 3: {
        uint32_t address = take_address(), length = take_length(address);
        u32 got = Z_envZ_hal_transport_send(&environment, id, address, length);
        int ok = hal && fits(address, length);
        expect_calls(ok);
        if (ok) {
            uint32_t part = length < CHUNK ? length : CHUNK; /* a partial send */
            if (hal_log.given_length != part) fail("send length", hal_log.given_length, part);
            expect_module_bytes(address, hal_log.given, part, "sent bytes");
        }
        expect_result(got, ok ? (u32)hal_log.result : (u32)TCU_HAL_ERR_OTHER, "transport_send result");
        break;
    }
    case 4: {
        uint32_t address = take_address(), capacity = take_length(address);
        u32 got = Z_envZ_hal_transport_receive(&environment, id, address, capacity);
        int ok = hal && fits(address, capacity);
        expect_calls(ok);
        uint32_t room = capacity < CHUNK ? capacity : CHUNK;
        if (ok && hal_log.capacity != room) fail("receive capacity", hal_log.capacity, room);
        expect_result(got, ok ? length_result(address, room, (u32)TCU_HAL_ERR_OTHER) : (u32)TCU_HAL_ERR_OTHER,
                      "transport_receive result");
        break;
    }
    case 5: {
        Z_envZ_hal_transport_close(&environment, id);
        expect_calls(hal != NULL);
        uint32_t readable = take(4), timeout = take(4);
        memset(&hal_log, 0, sizeof hal_log);
        hal_log.context = hal ? hal->context : NULL;
        Z_envZ_hal_transport_wait(&environment, id, readable, timeout);
        expect_calls(hal != NULL);
        if (hal && (hal_log.readable != (int)readable || hal_log.timeout != timeout))
            fail("transport_wait arguments", (unsigned long long)hal_log.readable, readable);
        break;
    }
    case 6:
    case 7: {
        int copy = take(1) & 1;
        uint32_t set = take(1), index = take(2), address = take_address(), capacity = take_length(address);
        u32 got = copy ? Z_envZ_hal_keystore_certificate_copy(&environment, id, set, index, address, capacity)
                       : Z_envZ_hal_keystore_certificate_length(&environment, id, set, index);
        expect_calls(hal != NULL);
        u32 wanted = (u32)-1;
        if (hal && (hal_log.set != (int)set || hal_log.index != index)) fail("certificate set or index", set, index);
        if (hal && hal_log.result == 0 && hal_log.buffer) {
            size_t length = hal_log.capacity;
            if (!copy) wanted = length > INT32_MAX ? (u32)-1 : (u32)length;
            else if (length <= capacity && fits(address, length)) {
                expect_written(address, hal_log.buffer, length);
                wanted = (u32)length;
            }
        }
        free(hal_log.certificate);
        expect_result(got, wanted, copy ? "certificate_copy result" : "certificate_length result");
        break;
    }
    case 8: {
        uint32_t request = take(1), hash = take(1), in = take_address(), in_length = take_length(in);
        if (take(1) & 1) in_length %= 1100; /* around the glue's 1024-byte digest buffer */
        uint32_t out = take_address(), out_capacity = take_length(out);
        u32 got = Z_envZ_hal_keystore_sign(&environment, id, request, hash, in, in_length, out, out_capacity);
        int ok = hal && in_length <= 1024 && fits(in, in_length) && fits(out, out_capacity);
        expect_calls(ok);
        u32 wanted = (u32)-1;
        if (ok) {
            if (hal_log.set != (int)request || hal_log.index != hash) fail("sign request or hash", request, hash);
            if (hal_log.given_length != in_length) fail("sign input length", hal_log.given_length, in_length);
            expect_module_bytes(in, hal_log.given, in_length, "sign input bytes");
            uint32_t capacity = out_capacity < 1024 ? out_capacity : 1024;
            if (hal_log.capacity != capacity) fail("sign capacity", hal_log.capacity, capacity);
            wanted = length_result(out, capacity, (u32)-1);
        }
        expect_result(got, wanted, "keystore_sign result");
        break;
    }
    case 9:
    case 10: {
        int sealing = take(1) & 1;
        uint32_t binding = take_address(), binding_length = take(1) % 80, in = take_address(),
                 in_length = take_length(in), out = take_address(), out_capacity = take_length(out);
        u32 got = sealing
                      ? Z_envZ_hal_keystore_seal(&environment, id, binding, binding_length, in, in_length, out,
                                                 out_capacity)
                      : Z_envZ_hal_keystore_unseal(&environment, id, binding, binding_length, in, in_length, out,
                                                   out_capacity);
        int ok = hal && binding_length > 0 && binding_length <= 64 && in_length <= CHUNK &&
                 fits(binding, binding_length) && fits(in, in_length) && fits(out, out_capacity);
        expect_calls(ok);
        u32 wanted = (u32)TCU_SEAL_ERR_FAILED;
        if (ok) {
            if (hal_log.sealing != sealing) fail("seal and unseal swapped", (unsigned long long)hal_log.sealing, sealing);
            if (hal_log.binding_length != binding_length) fail("binding length", hal_log.binding_length, binding_length);
            expect_module_bytes(binding, hal_log.binding, binding_length, "binding bytes");
            if (hal_log.given_length != in_length) fail("seal input length", hal_log.given_length, in_length);
            expect_module_bytes(in, hal_log.given, in_length, "seal input bytes");
            uint32_t limit = (uint32_t)sizeof sealed_transfer;
            uint32_t capacity = out_capacity < limit ? out_capacity : limit;
            if (hal_log.capacity != capacity) fail("seal capacity", hal_log.capacity, capacity);
            wanted = length_result(out, capacity, (u32)TCU_SEAL_ERR_FAILED);
        }
        expect_result(got, wanted, "keystore_seal/unseal result");
        /* The plaintext side is a session's resumption secret: nothing of it stays in the glue. (The rest of
         * `transfer` may hold what a receive or a store call moved: ciphertext and sealed blobs.) */
        if (ok) all_zero(transfer, in_length, "sealing input left in the glue's buffer");
        all_zero(sealed_transfer, sizeof sealed_transfer, "sealing output left in the glue's buffer");
        break;
    }
    case 11: {
        uint32_t address = take_address();
        u32 got = Z_envZ_hal_clock_wall_time(&environment, id, address);
        int ok = hal && fits(address, 8);
        expect_calls(ok);
        u32 wanted = 1;
        if (ok) {
            wanted = (u32)hal_log.result;
            if (hal_log.result == 0) { /* an i64 as wasm reads it: little-endian */
                uint8_t bytes[8];
                for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)((uint64_t)hal_log.seconds >> (8 * i));
                expect_written(address, bytes, 8);
            }
        }
        expect_result(got, wanted, "clock_wall_time result");
        break;
    }
    case 12: {
        u64 got = Z_envZ_hal_clock_monotonic_ms(&environment, id);
        expect_calls(hal != NULL);
        if (got != (hal ? hal_log.monotonic : 0)) fail("clock_monotonic_ms result", got, hal_log.monotonic);
        break;
    }
    case 13:
    case 14: {
        int platform = take(1) & 1;
        uint32_t address = take_address(), length = take_length(address);
        if (platform) entered_hal = id; /* the HAL of the client being created */
        memset(entropy_results, 0, sizeof entropy_results);
        u32 got = platform ? Z_envZ_platform_entropy(&environment, address, length)
                           : Z_envZ_hal_entropy_fill(&environment, id, address, length);
        entered_hal = UINT32_MAX;
        int ok = hal && fits(address, length);
        u32 wanted = (u32)-1;
        if (ok) {
            uint32_t parts = length / CHUNK + (length % CHUNK != 0), n = 0;
            wanted = 0;
            for (; n < parts; n++)
                if (entropy_results[n] != 0) {
                    wanted = (u32)-1;
                    n++;
                    break;
                }
            expect_calls((int)n);
            expect_written(address, entropy_given, entropy_length); /* the parts filled before a failure */
        } else {
            expect_calls(0);
        }
        expect_result(got, wanted, "entropy result");
        if (ok) all_zero(transfer, sizeof transfer, "entropy left in the glue's buffer"); /* seed material */
        break;
    }
    case 15: {
        uint32_t slot = take(1), address = take_address(), capacity = take_length(address);
        u32 got = Z_envZ_hal_store_read(&environment, id, slot, address, capacity);
        int ok = hal && fits(address, capacity);
        expect_calls(ok);
        uint32_t room = capacity < CHUNK ? capacity : CHUNK;
        if (ok && (hal_log.capacity != room || hal_log.set != (int)slot)) fail("store_read capacity", hal_log.capacity, room);
        expect_result(got, ok ? length_result(address, room, (u32)-2) : (u32)-2, "store_read result");
        break;
    }
    case 16: {
        uint32_t slot = take(1), address = take_address(), length = take_length(address);
        u32 got = Z_envZ_hal_store_write(&environment, id, slot, address, length);
        int ok = hal && length <= CHUNK && fits(address, length);
        expect_calls(ok);
        if (ok) {
            if (hal_log.given_length != length || hal_log.set != (int)slot) fail("store_write length", hal_log.given_length, length);
            expect_module_bytes(address, hal_log.given, length, "stored bytes");
        }
        expect_result(got, ok ? (u32)hal_log.result : (u32)-1, "store_write result");
        break;
    }
    case 17: {
        uint32_t slot = take(1);
        u32 got = Z_envZ_hal_store_erase(&environment, id, slot);
        expect_calls(hal != NULL);
        expect_result(got, hal ? (u32)hal_log.result : (u32)-1, "store_erase result");
        break;
    }
    default: /* 18: several calls in a row share the glue's buffers: what one leaves must not reach the next */
        return;
    }
    if (memcmp(expected, linear.data, linear.size) != 0) {
        size_t at = 0;
        while (expected[at] == linear.data[at]) at++;
        fail("the memory changed where the HAL's result does not go, or not to the HAL's bytes", at, linear.size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input = data;
    remaining = size;
    uint32_t bytes = take(2), flags = take(1), mask = take(2);
    if (flags & 1) bytes += 65536;
    linear.size = bytes;
    linear.pages = bytes / 65536;
    linear.max_pages = 65536;
    linear.data = malloc(bytes); /* exactly: ASan reports any access past it (malloc(0): any access) */
    expected = malloc(bytes ? bytes : 1);
    for (uint32_t i = 0; i < bytes; i++) linear.data[i] = (uint8_t)(i * 31 + (flags >> 1));
    for (uint32_t id = 0; id < TCU_WASM_MAX_HALS; id++) {
        tables[id] = (tcu_hal){
            .context = &contexts[id], .transport_connect = fake_connect, .transport_poll_connect = fake_poll_connect,
            .transport_send = fake_send, .transport_receive = fake_receive, .transport_close = fake_close,
            .transport_wait = fake_wait, .keystore_certificate = fake_certificate, .keystore_sign = fake_sign,
            .clock_wall_time = fake_wall_time, .clock_monotonic_ms = fake_monotonic, .entropy_fill = fake_entropy,
            .store_read = fake_store_read, .store_write = fake_store_write, .store_erase = fake_store_erase,
            .keystore_seal = fake_seal, .keystore_unseal = fake_unseal};
        hals[id] = mask >> id & 1 ? &tables[id] : NULL;
    }
    for (int n = 0; n < 64 && remaining; n++) operate();
    free(linear.data);
    free(expected);
    memset(&linear, 0, sizeof linear);
    return 0;
}

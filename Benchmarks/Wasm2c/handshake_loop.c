/* handshake_loop.c: full mutual-TLS handshakes through tculink.h over the POSIX HAL, for
 * scripts/targets/bench-wasm2c. The same source is linked once with the natively compiled core and once
 * with the wasm2c translation (BoardSupport/Wasm2c), each over wolfSSL built from the same source
 * with the same user_settings.h, so the difference is the translation alone.
 *
 *   handshake_loop HOST PORT SERVERNAME CHAIN KEY TRUST ROUNDS [MAX_FRAGMENT] [--context-per-connection]
 * The clients share one tcu_context, as a reconnecting firmware would (and as the C reference client
 * shares its WOLFSSL_CTX); --context-per-connection gives each its own.
 * Prints: handshakes=… cpu_us_per_handshake=… [peak_process_heap=…] [linear_memory_bytes=…]
 * Built with TCU_COUNT_HEAP (and Benchmarks/CCounting/counting_malloc.c) it also reports the most
 * the process heap grew during one handshake, as ref_client.c does; scripts/bench uses that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "tcu_hal_posix.h"
#include "tculink.h"

#ifdef TCU_WASM2C
size_t tcu_wasm2c_linear_memory_bytes(void);
#endif
#ifdef TCU_COUNT_HEAP
#include "counting_alloc.h"
#endif

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
           usage.ru_stime.tv_usec / 1e6;
}

static int handshake(tcu_hal *hal, const tcu_client_config *config, tcu_context *context) {
    tcu_client *client = NULL;
    if (tcu_client_create_with_context(hal, config, context, &client) != TCU_OK) return 0;
    tcu_status status;
    for (;;) {
        tcu_wait wait = {0};
        status = tcu_client_step(client, &wait);
        if (status != TCU_IN_PROGRESS) break;
        uint64_t now = hal->clock_monotonic_ms(hal->context);
        hal->transport_wait(hal->context, wait.readable, wait.until_ms > now ? (uint32_t)(wait.until_ms - now) : 0);
    }
    tcu_client_close(client);
    tcu_client_free(client);
    return status == TCU_OK;
}

int main(int argc, char **argv) {
    if (argc < 8) {
        fprintf(stderr, "usage: %s HOST PORT SERVERNAME CHAIN KEY TRUST ROUNDS [MAX_FRAGMENT]\n", argv[0]);
        return 2;
    }
    tcu_posix_hal posix;
    tcu_hal hal;
    char error[512];
    if (tcu_posix_hal_init(&posix, &hal, argv[4], argv[5], argv[6], NULL, error, sizeof error) != 0) {
        fprintf(stderr, "%s\n", error);
        return 2;
    }
    int per_connection = 0;
    uint16_t max_fragment = 0;
    for (int i = 8; i < argc; i++) {
        if (strcmp(argv[i], "--context-per-connection") == 0) per_connection = 1;
        else max_fragment = (uint16_t)atoi(argv[i]);
    }
    tcu_client_config config = {.host = argv[1], .port = (uint16_t)atoi(argv[2]), .server_name = argv[3],
                                .max_fragment_length = max_fragment};
    tcu_context *context = NULL;
    tcu_status made = per_connection ? TCU_OK : tcu_context_create(&hal, 0, &context);
    if (made != TCU_OK) {
        fprintf(stderr, "handshake_loop: no context: %s\n", tcu_status_text(made));
        return 1;
    }
    int rounds = atoi(argv[7]), done = 0;
    if (!handshake(&hal, &config, context)) { /* warm-up: first-use allocations, not counted */
        fprintf(stderr, "handshake_loop: the warm-up handshake failed\n");
        return 1;
    }
    double cpu = 0;
    size_t peak = 0;
    for (int i = 0; i < rounds; i++) {
#ifdef TCU_COUNT_HEAP
        size_t base = tcu_process_heap_in_use();
        tcu_process_heap_reset_peak();
#endif
        double start = cpu_seconds();
        done += handshake(&hal, &config, context);
        cpu += cpu_seconds() - start;
#ifdef TCU_COUNT_HEAP
        if (tcu_process_heap_peak() - base > peak) peak = tcu_process_heap_peak() - base;
#endif
    }
    printf("handshakes=%d cpu_us_per_handshake=%.0f", done, done ? cpu * 1e6 / done : 0);
#ifdef TCU_COUNT_HEAP
    printf(" peak_process_heap=%zu", peak);
#endif
#ifdef TCU_WASM2C
    printf(" linear_memory_bytes=%zu", tcu_wasm2c_linear_memory_bytes());
#endif
    printf("\n");
    tcu_context_free(context);
    tcu_posix_hal_deinit(&posix);
    return done == rounds ? 0 : 1;
}

/* native_platform.c: the hooks BoardSupport/Wasm2c/user_settings.h binds wolfSSL to, for the
 * native build of scripts/bench-wasm2c (inside the module, wasm_side.c binds them to the HAL). */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/random.h>
#include <time.h>

int tcu_wasm_entropy_seed(unsigned char *output, unsigned int size) {
    for (size_t done = 0; done < size;) {
        ssize_t n = getrandom(output + done, size - done, 0);
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

time_t XTIME(time_t *timer) { return time(timer); }

long long tcu_wasm_xtime_ms(void *unused) {
    (void)unused;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

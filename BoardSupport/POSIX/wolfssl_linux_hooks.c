/* wolfssl_linux_hooks.c: the platform hooks that the board configurations of wolfSSL expect
 * (USER_TIME's XTIME, XTIME_MS, CUSTOM_RAND_GENERATE_SEED), bound to Linux: for the builds that
 * run a board configuration on a host or under qemu — the POSIX HAL's key signing in the
 * PowerPC wasm2c image (BoardSupport/MPC5748G/user_settings.h) and the native benchmark builds
 * (BoardSupport/Wasm2c/user_settings.h). On the board these are the HSM TRNG and the RTC. */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/random.h>
#include <time.h>

static int linux_seed(unsigned char *output, unsigned int size) {
    for (size_t done = 0; done < size;) {
        ssize_t n = getrandom(output + done, size - done, 0);
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

static long long linux_monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

time_t XTIME(time_t *timer) { return time(timer); }

/* BoardSupport/MPC5748G/user_settings.h's names */
int tcu_mpc_trng_seed(unsigned char *output, unsigned int size) { return linux_seed(output, size); }
long long tcu_mpc_xtime_ms(void *unused) { (void)unused; return linux_monotonic_ms(); }

/* BoardSupport/Wasm2c/user_settings.h's names (inside the module, wasm_side.c binds them to the HAL) */
int tcu_wasm_entropy_seed(unsigned char *output, unsigned int size) { return linux_seed(output, size); }
long long tcu_wasm_xtime_ms(void *unused) { (void)unused; return linux_monotonic_ms(); }

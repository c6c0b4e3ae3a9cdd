/* linux_platform.c: the platform hooks that the board's wolfSSL configuration
 * (BoardSupport/MPC5748G/user_settings.h) expects from the board, bound to Linux, for the
 * wasm2c image run under qemu-ppc (scripts/build-wasm2c). That wolfSSL, outside the module,
 * serves only the POSIX HAL's file key (BoardSupport/POSIX/keys); on the board these hooks are
 * the HSM TRNG and the RTC (BoardSupport/MPC5748G). */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/random.h>
#include <time.h>

int tcu_mpc_trng_seed(unsigned char *output, unsigned int size) {
    for (size_t done = 0; done < size;) {
        ssize_t n = getrandom(output + done, size - done, 0);
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

time_t XTIME(time_t *timer) { return time(timer); }

long long tcu_mpc_xtime_ms(void *unused) {
    (void)unused;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

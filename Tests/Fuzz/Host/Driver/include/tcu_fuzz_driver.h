/* libFuzzer's driver, reached from Swift (tcu-host-fuzz). SwiftPM gives an executable its own entry
 * point, which takes the place of libFuzzer's `main`, so the Swift `main` starts the fuzzer itself. */
#ifndef TCU_FUZZ_DRIVER_H
#define TCU_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/* Runs libFuzzer over `test_one_input` with the command line's options; returns its exit status, or -1
 * in a plain build (no libFuzzer: tcu-host-fuzz is then the replay driver). */
int tcu_fuzz_run_driver(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif

#include "tcu_fuzz_driver.h"

#ifdef TCU_FUZZ_HOST
/* libFuzzer's entry for programs with their own main (LLVM's FuzzerInterface.h), from the archive
 * scripts/fuzz links in (libclang_rt.fuzzer_no_main). */
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif

int tcu_fuzz_run_driver(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size)) {
#ifdef TCU_FUZZ_HOST
    return LLVMFuzzerRunDriver(&argc, &argv, test_one_input);
#else
    (void)argc; (void)argv; (void)test_one_input;
    return -1;
#endif
}

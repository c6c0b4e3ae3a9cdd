/* counting_alloc.h: wolfSSL's allocations counted (wolfSSL_SetAllocators), for benchmarks.
 * Installs malloc/free/realloc wrappers that track bytes in use and the peak. */
#ifndef TCULINK_COUNTING_ALLOC_H
#define TCULINK_COUNTING_ALLOC_H
#include <stddef.h>

/** Routes wolfSSL's heap through the counters. Call before wolfSSL_Init. @return 0 on success */
int tcu_counting_install(void);
/** Sets the peak back to the bytes in use now. */
void tcu_counting_reset_peak(void);
/** Bytes wolfSSL holds now, and the most it held since the last reset. */
size_t tcu_counting_in_use(void);
size_t tcu_counting_peak(void);
#endif

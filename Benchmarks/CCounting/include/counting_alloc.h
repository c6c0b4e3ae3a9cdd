/* counting_alloc.h: heap counters for benchmarks. wolfSSL's allocations (wolfSSL_SetAllocators)
 * and, separately, the whole process's (malloc interposed); each tracks bytes in use and the peak. */
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
/** How many times wolfSSL asked for memory (malloc and realloc). */
size_t tcu_counting_allocations(void);

/* The whole process's heap (counting_malloc.c: malloc, free and friends interposed), so the
 * Swift side's allocations are counted as well as wolfSSL's. */
void tcu_process_heap_reset_peak(void);
size_t tcu_process_heap_in_use(void);
size_t tcu_process_heap_peak(void);
/** How many blocks the process has allocated (malloc, calloc, realloc to a new size, aligned forms). */
size_t tcu_process_allocations(void);
#endif

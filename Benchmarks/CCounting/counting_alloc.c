#include "counting_alloc.h"

#include <malloc.h>
#include <stdlib.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/memory.h>

static size_t in_use, peak, allocations;

static void *counting_malloc(size_t size) {
    void *p = malloc(size);
    allocations++;
    if (p) {
        in_use += malloc_usable_size(p);
        if (in_use > peak) peak = in_use;
    }
    return p;
}

static void counting_free(void *p) {
    if (p) in_use -= malloc_usable_size(p);
    free(p);
}

static void *counting_realloc(void *p, size_t size) {
    size_t old = p ? malloc_usable_size(p) : 0;
    void *q = realloc(p, size);
    allocations++;
    if (q) {
        in_use = in_use - old + malloc_usable_size(q);
        if (in_use > peak) peak = in_use;
    }
    return q;
}

int tcu_counting_install(void) { return wolfSSL_SetAllocators(counting_malloc, counting_free, counting_realloc); }
void tcu_counting_reset_peak(void) { peak = in_use; }
size_t tcu_counting_in_use(void) { return in_use; }
size_t tcu_counting_peak(void) { return peak; }
size_t tcu_counting_allocations(void) { return allocations; }

/* counting_malloc.c: every heap allocation of the process counted, for benchmarks.
 *
 * wolfSSL's allocator hooks (counting_alloc.c) see only wolfSSL's heap. To see the rest (the
 * Swift core's objects, arrays and strings, or the C client's own buffers) this file defines
 * malloc and friends in the executable itself: the dynamic linker binds every library's calls
 * (libswiftCore's included) to the executable's definitions first. They forward to glibc's
 * __libc_* entry points and keep a running total of usable bytes and its peak. Linked only into
 * the benchmark binaries (tcu-bench, ref-client); never into the core or the simulator. */
#define _GNU_SOURCE
#include "counting_alloc.h"

#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);
extern void __libc_free(void *pointer);

static _Atomic size_t in_use, peak, allocations;

static void grow(size_t bytes) {
    atomic_fetch_add(&allocations, 1);
    size_t now = atomic_fetch_add(&in_use, bytes) + bytes;
    size_t seen = atomic_load(&peak);
    while (now > seen && !atomic_compare_exchange_weak(&peak, &seen, now)) {
    }
}

static void *counted(void *pointer) {
    if (pointer) grow(malloc_usable_size(pointer));
    return pointer;
}

void *malloc(size_t size) { return counted(__libc_malloc(size)); }
void *calloc(size_t count, size_t size) { return counted(__libc_calloc(count, size)); }
void *memalign(size_t alignment, size_t size) { return counted(__libc_memalign(alignment, size)); }
void *aligned_alloc(size_t alignment, size_t size) { return counted(__libc_memalign(alignment, size)); }
void *valloc(size_t size) { return counted(__libc_valloc(size)); }
void *pvalloc(size_t size) { return counted(__libc_pvalloc(size)); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *pointer = counted(__libc_memalign(alignment, size));
    if (!pointer) return ENOMEM;
    *out = pointer;
    return 0;
}

void free(void *pointer) {
    if (!pointer) return;
    atomic_fetch_sub(&in_use, malloc_usable_size(pointer));
    __libc_free(pointer);
}

void *realloc(void *pointer, size_t size) {
    size_t old = pointer ? malloc_usable_size(pointer) : 0;
    void *moved = __libc_realloc(pointer, size);
    if (moved) {
        atomic_fetch_sub(&in_use, old);
        grow(malloc_usable_size(moved));
    } else if (pointer && size == 0) {
        atomic_fetch_sub(&in_use, old);  /* glibc freed it */
    }
    return moved;
}

void tcu_process_heap_reset_peak(void) { atomic_store(&peak, atomic_load(&in_use)); }
size_t tcu_process_heap_in_use(void) { return atomic_load(&in_use); }
size_t tcu_process_heap_peak(void) { return atomic_load(&peak); }
size_t tcu_process_allocations(void) { return atomic_load(&allocations); }

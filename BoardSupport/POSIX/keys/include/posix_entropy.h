/* posix_entropy.h: the kernel's entropy for the POSIX HALs (getrandom(2)). */
#ifndef TCULINK_POSIX_ENTROPY_H
#define TCULINK_POSIX_ENTROPY_H
#include <stddef.h>
#include <sys/types.h>

/** Fills buffer with up to length bytes from getrandom(2); returns the count or -1 (errno set). */
ssize_t tcu_host_getrandom(void *buffer, size_t length);
#endif

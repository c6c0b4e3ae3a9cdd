#include "posix_entropy.h"
#include <sys/random.h>

ssize_t tcu_host_getrandom(void *buffer, size_t length) { return getrandom(buffer, length, 0); }

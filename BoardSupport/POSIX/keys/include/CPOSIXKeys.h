/* Private-key operations and entropy over POSIX and wolfCrypt, shared by the Swift host HAL and the C POSIX HAL. */
#include "posix_keys.h"
#include "posix_entropy.h"
#include "pkcs11_keys.h"

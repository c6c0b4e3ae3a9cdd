/* Host-only C helpers for the simulator HAL. */
#include "host_keys.h"
#include "host_entropy.h"

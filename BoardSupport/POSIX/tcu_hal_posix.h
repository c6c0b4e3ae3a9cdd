/**
 * @file tcu_hal_posix.h
 * @brief tcu_hal.h over POSIX: non-blocking TCP sockets, PEM files, a file key (development only),
 * clock_gettime, getrandom, and one file per persistent slot. It lets the core's C API run on a
 * host exactly as firmware would (see firmware_main.c).
 */
#ifndef TCU_HAL_POSIX_H
#define TCU_HAL_POSIX_H

#include <stddef.h>
#include <stdint.h>
#include <netdb.h>

#include "tcu_hal.h"
#include "posix_keys.h"

#define TCU_POSIX_MAX_CERTS 8

typedef struct tcu_posix_hal {
    int fd;
    struct addrinfo *addresses;
    struct addrinfo *next_address;
    int last_failure;
    uint8_t *certs[2][TCU_POSIX_MAX_CERTS]; /* [TCU_CERTS_DEVICE_CHAIN / TCU_CERTS_TRUST_ANCHORS] */
    size_t cert_lengths[2][TCU_POSIX_MAX_CERTS];
    size_t cert_counts[2];
    tcu_host_key *key;
    char state_dir[512];
} tcu_posix_hal;

/** Loads the device files and fills `table` with the POSIX functions.
 *  @param[in] chain_file, key_file, trust_file  PEM files; the key file must be mode 0600
 *  @param[in] state_dir  folder for persistent slots (created 0700), or NULL for none
 *  @param[out] error, error_size  a message when it fails
 *  @return 0, or -1 with `error` set */
int tcu_posix_hal_init(tcu_posix_hal *hal, tcu_hal *table, const char *chain_file, const char *key_file,
                       const char *trust_file, const char *state_dir, char *error, size_t error_size);

/** Closes the socket and frees (and zeroes) what init loaded. */
void tcu_posix_hal_deinit(tcu_posix_hal *hal);

#endif

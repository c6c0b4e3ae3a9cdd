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
    uint8_t *certs[3][TCU_POSIX_MAX_CERTS]; /* [TCU_CERTS_DEVICE_CHAIN / _TRUST_ANCHORS / _PENDING_CHAIN] */
    size_t cert_lengths[3][TCU_POSIX_MAX_CERTS];
    size_t cert_counts[3];
    tcu_host_key *key;
    char state_dir[512];
    /* Renewal: the pending key and chain live beside the current files as KEY.pending and CHAIN.pending;
     * keystore_commit renames them in under a journal (KEY.commit), and init finishes a commit a power
     * cut interrupted. Certificates replaced by a commit are kept until deinit (their pointers stay valid). */
    char chain_path[512];
    char key_path[512];
    tcu_host_key *pending_key;
    uint8_t *retired[2 * TCU_POSIX_MAX_CERTS];
    size_t retired_count;
} tcu_posix_hal;

/** Loads the device files and fills `table` with the POSIX functions.
 *  @param[in] chain_file, key_file, trust_file  PEM files; the key file must be mode 0600
 *  @param[in] state_dir  folder for persistent slots (created 0700), or NULL for none
 *  @param[out] error, error_size  a message when it fails
 *  @return 0, or -1 with `error` set */
int tcu_posix_hal_init(tcu_posix_hal *hal, tcu_hal *table, const char *chain_file, const char *key_file,
                       const char *trust_file, const char *state_dir, char *error, size_t error_size);

/** Fault injection for the power-cut tests: when the environment variable TCU_POSIX_KILL_AT names a
 *  point of the renewal (generated-key, before-store-chain, stored-chain, mid-commit, committed), the
 *  process kills itself there with SIGKILL, as a power cut would stop it: no clean-up runs. */
#define TCU_POSIX_KILL_AT_ENV "TCU_POSIX_KILL_AT"

/** Closes the socket and frees (and zeroes) what init loaded. */
void tcu_posix_hal_deinit(tcu_posix_hal *hal);

#endif

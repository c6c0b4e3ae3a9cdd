/* test_c_lifecycle.c: tculink_lifecycle.h from C, without a peer: backoff, CSRs, the renewal window,
 * and the refusals of the renewal calls. (Renewal against a backend, with power cuts, is driven through
 * the firmware image by Tests/InteropTests/FirmwareLifecycleTests.swift.)
 *
 *   tcu-c-lifecycle-tests DEVICE_DIR CSR_OUT
 *
 * DEVICE_DIR holds chain.pem, key.pem (P-256, mode 0600) and trust.pem, and is written to (a pending
 * key is generated beside key.pem). CSR_OUT receives the current key's CSR (DER) and CSR_OUT.pending
 * the pending key's, for the caller to verify with openssl. Exits non-zero when a check failed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tcu_hal_posix.h"
#include "tculink.h"

static int failing_entropy(void *context, uint8_t *buffer, size_t length) {
    (void)context;
    (void)buffer;
    (void)length;
    return -1;
}

static void backoff_checks(const tcu_hal *hal) {
    tcu_backoff backoff = {.base_ms = 1000, .cap_ms = 8000, .permanent_delay_ms = 3600000};
    const tcu_status refused = TCU_STATUS_FROM_REASON(TCU_REASON_CONNECTION_REFUSED);
    int within = 1, spread = 0;
    uint64_t first = 0;
    for (uint32_t attempt = 1; attempt <= 6; attempt++) {
        uint64_t retry_at = 0;
        tcu_status status = tcu_backoff_failed(&backoff, hal, refused, 1000000, &retry_at);
        uint32_t bound = attempt >= 4 ? 8000 : 1000u << (attempt - 1);
        if (status != TCU_OK || retry_at < 1000000 || retry_at > 1000000 + bound) within = 0;
        if (attempt == 1) first = retry_at;
        else if (retry_at != first) spread = 1;
    }
    CHECK(within, "backoff: each transient retry falls in [now, now + the doubling bound, capped]");
    CHECK(spread, "backoff: the delays are jittered (not all equal)");
    CHECK(backoff.failures == 6, "backoff: counts consecutive failures");

    uint64_t retry_at = 0;
    tcu_status unknown_ca = TCU_STATUS_FROM_REASON(TCU_REASON_UNKNOWN_CA);
    CHECK(tcu_backoff_failed(&backoff, hal, unknown_ca, 5000, &retry_at) == unknown_ca && retry_at == 5000 + 3600000,
          "backoff: a permanent failure is handed back and waits permanent_delay_ms");

    tcu_backoff_succeeded(&backoff);
    CHECK(backoff.failures == 0, "backoff: success resets the count");

    tcu_hal no_entropy = *hal;
    no_entropy.entropy_fill = failing_entropy;
    tcu_backoff fresh = {0};
    tcu_backoff_failed(&fresh, &no_entropy, refused, 0, &retry_at);
    tcu_status status = tcu_backoff_failed(&fresh, &no_entropy, refused, 0, &retry_at);
    CHECK(status == TCU_STATUS_FROM_REASON(TCU_REASON_ENTROPY_FAILED) && retry_at == 2 * TCULINK_BACKOFF_BASE_MS,
          "backoff: without entropy, the whole bound (defaults of tculink_config.h), and the failure is said");
    CHECK(tcu_backoff_failed(NULL, hal, refused, 0, &retry_at) == TCU_STATUS_FROM_REASON(TCU_REASON_INVALID_ARGUMENT),
          "backoff: NULL state refused");
}

static int write_file(const char *path, const uint8_t *data, size_t length) {
    FILE *file = fopen(path, "wb");
    if (file == NULL) return -1;
    size_t written = fwrite(data, 1, length, file);
    return fclose(file) == 0 && written == length ? 0 : -1;
}

static void csr_checks(const tcu_hal *hal, const char *csr_out) {
    uint8_t csr[1024];
    size_t length = 0;
    CHECK(tcu_csr_build(hal, "tcu-0001", TCU_KEY_CURRENT, csr, sizeof csr, &length) == TCU_OK && length > 100 &&
              csr[0] == 0x30,
          "csr: built for the current key");
    CHECK(write_file(csr_out, csr, length) == 0, "csr: written for openssl to verify");
    CHECK(tcu_csr_build(hal, "tcu 0001 \"x\"", TCU_KEY_CURRENT, csr, sizeof csr, &length) ==
              TCU_STATUS_FROM_REASON(TCU_REASON_INVALID_CONFIGURATION),
          "csr: an id that is not a PrintableString is refused");
    CHECK(tcu_csr_build(hal, "tcu-0001", TCU_KEY_CURRENT, csr, 16, &length) ==
              TCU_STATUS_FROM_REASON(TCU_REASON_STORAGE_FAILED),
          "csr: a buffer too small is refused, not overrun");
    CHECK(tcu_csr_build(hal, "tcu-0001", TCU_KEY_PENDING, csr, sizeof csr, &length) ==
              TCU_STATUS_FROM_REASON(TCU_REASON_KEY_STORE_FAILED),
          "csr: no pending key yet");

    uint8_t current[256], pending[256];
    int32_t current_length = hal->keystore_public_key(hal->context, TCU_KEY_CURRENT, current, sizeof current);
    CHECK(hal->keystore_generate_key(hal->context, TCU_KEY_EC_P256) == 0, "rekey: a pending key generated");
    int32_t pending_length = hal->keystore_public_key(hal->context, TCU_KEY_PENDING, pending, sizeof pending);
    CHECK(current_length > 0 && pending_length > 0 &&
              (current_length != pending_length || memcmp(current, pending, (size_t)current_length) != 0),
          "rekey: the pending key differs from the current one");
    char pending_out[600];
    snprintf(pending_out, sizeof pending_out, "%s.pending", csr_out);
    CHECK(tcu_csr_build(hal, "tcu-0001", TCU_KEY_PENDING, csr, sizeof csr, &length) == TCU_OK &&
              write_file(pending_out, csr, length) == 0,
          "csr: built for the pending key (signed by it)");
    CHECK(hal->keystore_commit(hal->context) != 0, "rekey: no commit without a pending chain");

    /* A chain of many tiny elements (each a 2-byte SEQUENCE) needs far more PEM than its DER length
     * suggests: refused (more certificates than the store keeps), nothing written past the buffer. */
    uint8_t tiny[400];
    for (size_t i = 0; i < sizeof tiny; i += 2) { tiny[i] = 0x30; tiny[i + 1] = 0x00; }
    CHECK(hal->keystore_store_pending_chain(hal->context, tiny, sizeof tiny) != 0,
          "rekey: a chain of 200 tiny elements refused, no overflow");
    uint8_t garbage[3] = {0x30, 0x85, 0x01};
    CHECK(hal->keystore_store_pending_chain(hal->context, garbage, sizeof garbage) != 0,
          "rekey: a chain that is not DER refused");
}

static void renewal_checks(const tcu_hal *hal) {
    CHECK(tcu_renewal_due(hal, 0, 0) == 0, "renewal due: not at the epoch");
    CHECK(tcu_renewal_due(hal, 0, INT64_MAX / 2) == 1, "renewal due: within a window reaching past notAfter");

    tcu_hal cannot_renew = *hal;
    cannot_renew.keystore_commit = NULL;
    CHECK(tcu_hal_can_renew(hal) == 1 && tcu_hal_can_renew(&cannot_renew) == 0, "renewal: tcu_hal_can_renew");
    tcu_client_config connection = {.host = "localhost", .port = 1};
    tcu_renewal_config renewal = {.device_id = "tcu-0001"};
    CHECK(tcu_renew(&cannot_renew, &connection, &renewal) == TCU_STATUS_FROM_REASON(TCU_REASON_INVALID_CONFIGURATION),
          "renewal: a HAL without the renewal functions is refused");
    tcu_renewal_config no_id = {0};
    CHECK(tcu_renew(hal, &connection, &no_id) == TCU_STATUS_FROM_REASON(TCU_REASON_INVALID_CONFIGURATION),
          "renewal: no device id is refused");
    CHECK(tcu_renew(hal, &connection, &renewal) == TCU_STATUS_FROM_REASON(TCU_REASON_CONNECTION_REFUSED),
          "renewal: a backend that is not there fails as the connection did");
    CHECK(tcu_forget_session(hal) == TCU_OK, "session: forgetting an empty slot is fine");
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s DEVICE_DIR CSR_OUT\n", argv[0]);
        return 2;
    }
    char chain[512], key[512], trust[512], state[512], error[512];
    snprintf(chain, sizeof chain, "%s/chain.pem", argv[1]);
    snprintf(key, sizeof key, "%s/key.pem", argv[1]);
    snprintf(trust, sizeof trust, "%s/trust.pem", argv[1]);
    snprintf(state, sizeof state, "%s/state", argv[1]);
    tcu_posix_hal posix;
    tcu_hal hal;
    if (tcu_posix_hal_init(&posix, &hal, chain, key, trust, state, error, sizeof error) != 0) {
        fprintf(stderr, "setup: %s\n", error);
        return 2;
    }
    backoff_checks(&hal);
    csr_checks(&hal, argv[2]);
    renewal_checks(&hal);
    tcu_posix_hal_deinit(&posix);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

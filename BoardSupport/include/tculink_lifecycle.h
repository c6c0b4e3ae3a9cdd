/**
 * @file tculink_lifecycle.h
 * @brief What keeps a TCU connected for years, for firmware in C: resumption across reboots, a trusted
 * clock, backoff with jitter, and certificate renewal (CSR, EST, rekey) with a power-safe swap.
 * Included by tculink.h; the same rules of ownership and re-entrancy apply (see there).
 *
 * Resumption and the trusted clock are switched on in tcu_client_config (TCU_FLAG_RESUME,
 * clock_floor_s, clock_tolerance_s); this header adds the calls around them.
 *
 * A firmware's connection loop with all of it:
 * @code
 *   tcu_backoff backoff = {0};                       // defaults: 1 s doubling to 300 s, 1 h after permanent
 *   for (;;) {
 *       tcu_status status = connect_and_run(&hal, &config);   // tcu_client_create/step, MQTT ...
 *       uint64_t retry_at;
 *       if (status >= 0) { tcu_backoff_succeeded(&backoff); retry_at = now; }
 *       else tcu_backoff_failed(&backoff, &hal, status, now, &retry_at);
 *       if (tcu_renewal_due(&hal, now_unix, 30 * 86400) == 1) tcu_renew(&hal, &est_config, &renewal);
 *       sleep_until(retry_at);
 *   }
 * @endcode
 */
#ifndef TCULINK_LIFECYCLE_H
#define TCULINK_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "tcu_hal.h"
#include "tculink_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Resumption (TCU_FLAG_RESUME) ---- */

/** Seals the established client's session (with its ticket) into TCU_SLOT_TLS_SESSION, replacing the one
 *  there. A client made with TCU_FLAG_RESUME does this by itself when it becomes established; call it again
 *  after reading data when the server's ticket came later. Only a full handshake's session is kept (a
 *  resumed one's ticket may not carry the client certificate).
 *  @return TCU_OK; TCU_IN_PROGRESS when there is no ticket yet (or the connection was resumed: the
 *  stored session stays); -TCU_REASON_KEY_STORE_FAILED when the key store cannot seal (the slot is then
 *  emptied: no session is ever kept in clear); -TCU_REASON_STORAGE_FAILED; -TCU_REASON_INVALID_STATE when
 *  not established */
tcu_status tcu_client_save_session(tcu_client *client);

/** Empties TCU_SLOT_TLS_SESSION (the next connection is a full handshake). @return TCU_OK or a failure */
tcu_status tcu_forget_session(const tcu_hal *hal);


/* ---- Backoff: when to try again after a failure ---- */

/* tcu_backoff: see tculink_types.h */

/** A connection failed with `failure` (a negative tcu_status) at `now_ms` (clock_monotonic_ms): when to
 *  try again. Transient failures back off exponentially with full jitter (uniform in [0, bound], from
 *  hal->entropy_fill), so a fleet that lost its backend at once does not come back at once. A permanent
 *  failure (tcu_reason_is_permanent: a certificate or the configuration must change first) waits
 *  permanent_delay_ms.
 *  @param[out] retry_at_ms  the monotonic time to try again at
 *  @return TCU_OK for a transient failure; the failure itself (negative) when it is permanent, for the
 *  caller to report; -TCU_REASON_ENTROPY_FAILED when no jitter could be drawn (retry_at_ms is then the
 *  bound itself, never earlier) */
tcu_status tcu_backoff_failed(tcu_backoff *backoff, const tcu_hal *hal, tcu_status failure, uint64_t now_ms,
                              uint64_t *retry_at_ms);

/** A connection succeeded: the next failure starts from base_ms again. */
void tcu_backoff_succeeded(tcu_backoff *backoff);


/* ---- Renewal: CSR, EST (RFC 7030) simplereenroll, rekey, the power-safe swap ---- */

/** Builds a PKCS#10 CSR for `device_id` (subject CN and serialNumber; keyUsage digitalSignature, extended
 *  key usage clientAuth) over the public half of `key` (TCU_KEY_CURRENT or TCU_KEY_PENDING), signed by it
 *  in the key store (keystore_sign_pending for the pending key).
 *  @param[out] csr, capacity  the DER request; 1024 bytes suffice for P-256, 2048 for RSA-2048
 *  @param[out] length_out     its length
 *  @return TCU_OK, -TCU_REASON_INVALID_CONFIGURATION (an id that is not a PrintableString of 1..64
 *  characters, a key type the profile does not allow), -TCU_REASON_KEY_STORE_FAILED, or
 *  -TCU_REASON_STORAGE_FAILED when `capacity` is too small */
tcu_status tcu_csr_build(const tcu_hal *hal, const char *device_id, int key, uint8_t *csr, size_t capacity,
                         size_t *length_out);

/* tcu_renewal_config: see tculink_types.h */

/** Renews the device certificate with the backend `connection` names (its mutual-TLS port):
 *   1. rekey: keystore_generate_key makes a pending key (the current one stays in use);
 *   2. a CSR, signed by the pending key (or the current one), goes to EST simplereenroll over a
 *      connection made with the current certificate; the answer (certs-only PKCS#7, base64) must hold a
 *      leaf for exactly that key;
 *   3. keystore_store_pending_chain keeps it beside the current chain;
 *   4. a second connection with the pending chain and key must complete the handshake, be accepted,
 *      and answer `proof_path` with 200;
 *   5. keystore_commit swaps it in; the saved TLS session is forgotten (it belongs to the old certificate).
 *  A power cut anywhere leaves a device that connects: before step 5 with the old pair, after it with the
 *  new. Call it again after a reboot to finish a renewal left half done: a pending chain for the pending
 *  (or current) key is proven and committed without asking the CA again.
 *  Blocks, waiting on hal->transport_wait, for at most two timeouts: run it from the network task.
 *  @return TCU_OK when the new certificate is current; -TCU_REASON_INVALID_CONFIGURATION when the HAL
 *  cannot renew (tcu_hal_can_renew) or the configuration is invalid; the connection's failure; or
 *  -TCU_REASON_RENEWAL_REFUSED when the backend refused the request or the new certificate */
tcu_status tcu_renew(const tcu_hal *hal, const tcu_client_config *connection, const tcu_renewal_config *renewal);

/** Whether the current device certificate expires within `within_s` seconds of `now_unix`.
 *  @return 1 (renew), 0 (not yet), or a negative status (no certificate, a malformed one) */
tcu_status tcu_renewal_due(const tcu_hal *hal, int64_t now_unix, int64_t within_s);

#ifdef __cplusplus
}
#endif

#endif /* TCULINK_LIFECYCLE_H */

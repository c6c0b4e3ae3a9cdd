/**
 * @file tculink.h
 * @brief The TCULink client as a C API, for firmware written in C.
 *
 * The functions are implemented in Swift (Sources/TCULink/CAPI, `@_cdecl`) and compiled
 * in Embedded mode, so they link like any C object: no runtime, no threads.
 *
 * Driving it from a super-loop:
 * @code
 *   tcu_client *client = tcu_client_create(&hal, &config, &reason);
 *   for (;;) {
 *       tcu_wait wait;
 *       int status = tcu_client_step(client, &wait);
 *       if (status == TCU_STATUS_ESTABLISHED || status == TCU_STATUS_FAILED) break;
 *       do_other_work();              // or hal.transport_wait(..., wait.readable, until wait.until_ms)
 *   }
 * @endcode
 *
 * Ownership: the client copies host and server name; `hal` (and whatever its context
 * points to) must outlive the client. Free with tcu_client_free().
 * Re-entrancy: a client is used from one thread (or the main loop) at a time; distinct
 * clients are independent. HAL functions must not call back into the client.
 */
#ifndef TCULINK_H
#define TCULINK_H

#include <stddef.h>
#include <stdint.h>

#include "tcu_hal.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "tculink_types.h"
#include "tculink_reasons.h"

/** Creates a client over `hal`. Validates the configuration and loads the key store's certificates.
 *  @param[out] reason_out  on failure, a TCULink reason code (see tcu_reason_text); may be NULL
 *  @return the client, or NULL */
tcu_client *tcu_client_create(const tcu_hal *hal, const tcu_client_config *config, int *reason_out);

/** Loads the key store's certificates into a TLS context once, for many clients: a TCU that reconnects
 *  then skips parsing them again for every connection (scripts/bench: about 3% of a handshake's
 *  instructions, and the context's heap). It holds certificates and the leaf's public key only. Make a new
 *  one after the device certificate changes (renewal).
 *  @param flags  TCU_FLAG_ALLOW_TLS12 as in the clients' configuration (the other flags do not matter here)
 *  @param[out] reason_out  on failure, a TCULink reason code; may be NULL
 *  @return the context, or NULL */
tcu_context *tcu_context_create(const tcu_hal *hal, uint32_t flags, int *reason_out);

/** As tcu_client_create, over `context` (NULL: a context of the client's own). A context made with other
 *  TCU_FLAG_ALLOW_TLS12 than `config` is refused (invalid configuration). */
tcu_client *tcu_client_create_with_context(const tcu_hal *hal, const tcu_client_config *config, tcu_context *context,
                                           int *reason_out);

/** Drops the caller's reference. Clients created over the context keep it alive until they are freed, so
 *  the order of tcu_context_free and tcu_client_free does not matter. NULL is allowed. */
void tcu_context_free(tcu_context *context);

/** Advances the connection as far as it can without waiting.
 *  @param[out] wait_out  what to wait for when the result is TCU_STATUS_WAITING; may be NULL */
int tcu_client_step(tcu_client *client, tcu_wait *wait_out);

/** The reason code (0 = none) of the failure that closed the client.
 *  @param[out] alert_out  the TLS alert the peer sent, or 255 when none; may be NULL */
int tcu_client_error(const tcu_client *client, uint8_t *alert_out);

/** A one-line description of a reason code (TCU_REASON_*), NUL-terminated, static. */
const char *tcu_reason_text(int reason);

/** Whether retrying cannot cure a failure with this reason (a certificate, the trust store or the
 *  configuration must change first): 1 for permanent, 0 for transient or unknown reasons. Firmware
 *  backs off for long on a permanent failure instead of hammering the backend. */
int tcu_reason_is_permanent(int reason);

/** What the handshake negotiated. @return 0, or -1 when not established */
int tcu_client_info(const tcu_client *client, tcu_connection_info *info_out);

/** Sends what it can now. @return bytes taken (>= 0; 0 = try later), or TCU_RESULT_FAILED (see tcu_client_error) */
int32_t tcu_client_send(tcu_client *client, const uint8_t *data, size_t length);

/** Receives what has arrived. @return bytes (> 0), 0 when nothing yet, TCU_HAL_CLOSED (-2) on close_notify,
 *  or TCU_RESULT_FAILED (-1; the reason is in tcu_client_error) */
int32_t tcu_client_receive(tcu_client *client, uint8_t *buffer, size_t capacity);

/** Closes (close_notify when established). Safe to call twice. */
void tcu_client_close(tcu_client *client);

/** Closes if needed and frees the client. NULL is allowed. */
void tcu_client_free(tcu_client *client);

#ifdef __cplusplus
}
#endif

#endif /* TCULINK_H */

/**
 * @file tculink.h
 * @brief The TCULink client as a C API, for firmware written in C.
 *
 * The functions are implemented in Swift (Sources/TCULink/CAPI, `@_cdecl`) and compiled in Embedded mode,
 * so they link like any C object: no runtime, no threads. The same header fronts the wasm2c build of the
 * core (BoardSupport/Wasm2c), for targets no LLVM backend reaches.
 *
 * Driving it from a super-loop:
 * @code
 *   tcu_client *client;
 *   tcu_status status = tcu_client_create(&hal, &config, &client);
 *   while (status >= 0) {
 *       tcu_wait wait;
 *       status = tcu_client_step(client, &wait);
 *       if (status != TCU_IN_PROGRESS) break;     // TCU_OK: established; TCU_CLOSED; or a failure (< 0)
 *       do_other_work();                          // or hal.transport_wait(ctx, wait.readable, until wait.until_ms)
 *   }
 *   if (status < 0) printf("%s\n", tcu_status_text(status));   // tcu_reason_is_permanent(-status): back off long
 * @endcode
 *
 * @section status Results
 * Every function that can fail returns a ::tcu_status (tculink_types.h): TCU_OK (0), TCU_IN_PROGRESS (1) or
 * TCU_CLOSED (2) where the function's documentation says so, or a failure: -TCU_REASON_* (tculink_reasons.h).
 * Results other than the status come through `_out` parameters, which are written on TCU_OK (and as each
 * function says otherwise) and left alone or zeroed on failure, never half-written. A NULL for a pointer
 * parameter the call needs is -TCU_REASON_INVALID_ARGUMENT, and nothing else happens then; values a call
 * does not take (in a configuration, a QoS) have the reasons listed with each function. No function traps
 * or aborts on bad input.
 *
 * @section ownership Ownership and lifetime
 * - The caller owns every struct it passes in (configurations, the HAL table) and every buffer; the API
 *   keeps no pointer to them past the call, except the `tcu_hal` table itself: the table (and whatever its
 *   `context` points to) must stay valid and unchanged until the last client made over it is freed
 *   (tcu_client_free, and tcu_mqtt_free for the sessions over it). tcu_context_create and tcu_mqtt_enqueue
 *   use the table during the call only.
 * - Strings in configurations are copied; they may be freed when the create call returns.
 * - Certificates: the create functions read them through hal.keystore_certificate and copy them (at most
 *   TCULINK_MAX_CERTIFICATES per set).
 * - Objects the API makes (tcu_client, tcu_context, tcu_mqtt) are the caller's until it frees them, each with
 *   its own free function; a free function accepts NULL. Dependent objects hold what they need: a client
 *   keeps its context alive, an MQTT session its client, so any free order is safe. Never use an object
 *   after freeing it.
 * - Pointers the API hands out (tcu_reason_text, tcu_status_text: static strings; tcu_mqtt_message: the
 *   session's receive buffer) are never the caller's to free; their lifetime is documented with each.
 *
 * @section tasks Re-entrancy and tasks
 * - TCULink is not thread-safe and takes no locks. Make every call on a client, on the MQTT sessions over it
 *   and on the context it uses from one task at a time (the network task), or guard them with one mutex.
 * - Distinct clients share wolfSSL's global state (initialized by the first create) and, in the wasm2c
 *   build, one module instance: call the API from one task, or serialize all calls with one mutex. The
 *   exceptions are tcu_reason_text, tcu_status_text and tcu_reason_is_permanent, which touch no state
 *   (native build) and may be called from any task at any time. tcu_backoff_* (tculink_lifecycle.h) touch
 *   only the tcu_backoff they are given.
 * - Never call the API from an interrupt handler: it allocates (at create) and calls the HAL.
 * - The HAL's functions are called only from inside an API call, on the calling task, and must not call
 *   back into the API (tcu_hal.h).
 * - Nothing blocks except hal.transport_wait, which the API calls only where documented (tcu_renew); the
 *   step functions never wait. A task that drives a client waits itself, on hal.transport_wait or an event.
 * - Memory: the create functions allocate (wolfSSL's objects, the MQTT buffers: two of max_packet_size and one
 *   of outbox_capacity); in steady state stepping, sending, receiving and publishing allocate nothing in the
 *   core (wolfSSL may, as its build is configured).
 *
 * @section limits Limits
 * - Tunables and their defaults: tculink_config.h (timeouts, MQTT sizes, TCULINK_MAX_CERTIFICATES
 *   certificates per key-store set, TCULINK_SAVED_SESSION_MAX bytes of saved session).
 * - tcu_client_send and tcu_client_receive move at most INT32_MAX bytes per call (the wasm2c build 16 KiB).
 * - MQTT: a topic or filter is 1..65535 bytes of UTF-8 without NUL; a packet (topic, payload and headers)
 *   fits max_packet_size; QoS 0 and 1 only; at most max_in_flight unanswered QoS 1 publishes and
 *   subscriptions; the outbox holds what fits outbox_capacity.
 * - tcu_connection_info.cipher_suite: 63 characters and a NUL.
 */
#ifndef TCULINK_H
#define TCULINK_H

#include <stddef.h>
#include <stdint.h>

#include "tcu_hal.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "tculink_config.h"
#include "tculink_types.h"
#include "tculink_reasons.h"

/* ---- Creating clients ---- */

/** Creates a client over `hal`: validates the configuration and loads the key store's certificates (its own
 *  TLS context). Nothing goes over the network until the first tcu_client_step().
 *  @param[in]  hal         the board's HAL; every required function set (tcu_hal_missing_function() == 0).
 *                          Not copied: keep it valid until tcu_client_free()
 *  @param[in]  config      what to connect to; copied, may be freed on return
 *  @param[out] client_out  the new client, the caller's to free with tcu_client_free(); NULL on failure
 *  @return TCU_OK; -TCU_REASON_INVALID_ARGUMENT (a NULL pointer); -TCU_REASON_INVALID_CONFIGURATION (an
 *  incomplete HAL, no host, port 0, a max_fragment_length other than 0/512/1024/2048/4096, certificates
 *  that do not parse, a context made for other TLS versions); -TCU_REASON_OUT_OF_MEMORY;
 *  -TCU_REASON_TLS_LIBRARY_ERROR; or another reason the key store cannot be used */
tcu_status tcu_client_create(const tcu_hal *hal, const tcu_client_config *config, tcu_client **client_out);

/** Loads the key store's certificates into a TLS context once, for many clients: a TCU that reconnects
 *  then skips parsing them again for every connection (scripts/bench: about 3% of a handshake's
 *  instructions, and the context's heap). It holds certificates and the leaf's public key only. Make a new
 *  one after the device certificate changes (renewal).
 *  @param[in]  hal          read during the call only (the certificates are copied)
 *  @param[in]  flags        TCU_FLAG_ALLOW_TLS12 as in the clients' configuration (the other flags do not matter)
 *  @param[out] context_out  the new context, the caller's to free with tcu_context_free(); NULL on failure
 *  @return TCU_OK, or a failure as tcu_client_create() */
tcu_status tcu_context_create(const tcu_hal *hal, uint32_t flags, tcu_context **context_out);

/** As tcu_client_create, over `context`.
 *  @param[in] context  made by tcu_context_create() with the same TCU_FLAG_ALLOW_TLS12 as `config` (else
 *                      -TCU_REASON_INVALID_CONFIGURATION); NULL: a context of the client's own. The client
 *                      holds a reference: the caller may free the context at any time. */
tcu_status tcu_client_create_with_context(const tcu_hal *hal, const tcu_client_config *config, tcu_context *context,
                                          tcu_client **client_out);

/** Drops the caller's reference. Clients created over the context keep it alive until they are freed, so
 *  the order of tcu_context_free and tcu_client_free does not matter. NULL is allowed. */
void tcu_context_free(tcu_context *context);


/* ---- Connecting ---- */

/** Advances the connection as far as it can without waiting: TCP connect, handshake, the server's
 *  acceptance of the device certificate. Call it until it returns something other than TCU_IN_PROGRESS;
 *  calling it again after that returns the same status.
 *  @param[in,out] client
 *  @param[out]    wait_out  on TCU_IN_PROGRESS, what to wait for before the next step (written on every
 *                           TCU_IN_PROGRESS, left alone otherwise); may be NULL (then step again soon)
 *  @return TCU_OK: established, send and receive now; TCU_IN_PROGRESS: wait as *wait_out says, step again;
 *  TCU_CLOSED: closed in order (tcu_client_close(), or the server's close_notify); a failure (< 0): the
 *  connection is over, the same status as tcu_client_error() (a certificate refused, a timeout, the
 *  transport...); -TCU_REASON_INVALID_ARGUMENT for a NULL client */
tcu_status tcu_client_step(tcu_client *client, tcu_wait *wait_out);

/** The failure that ended the connection.
 *  @param[in]  client
 *  @param[out] alert_out  the TLS alert the peer sent (RFC 8446 6), or 255 when none; may be NULL
 *  @return the failure (< 0), as tcu_client_step() reported it; TCU_OK when the client has not failed
 *  (also when it was closed in order); -TCU_REASON_INVALID_ARGUMENT for a NULL client (*alert_out 255) */
tcu_status tcu_client_error(const tcu_client *client, uint8_t *alert_out);

/** What the handshake negotiated.
 *  @param[in]  client
 *  @param[out] info_out  written on TCU_OK
 *  @return TCU_OK; -TCU_REASON_INVALID_STATE when the client is not established (or has failed);
 *  -TCU_REASON_INVALID_ARGUMENT for a NULL pointer */
tcu_status tcu_client_info(const tcu_client *client, tcu_connection_info *info_out);


/* ---- Results in words ---- */

/** A one-line description of a status: "ok", "in progress", "closed", or the reason's text for a failure.
 *  NUL-terminated, static: never freed, valid for the program's life. Never NULL. */
const char *tcu_status_text(tcu_status status);

/** A one-line description of a reason code (TCU_REASON_*, or TCU_STATUS_REASON(status)), NUL-terminated,
 *  static. Never NULL: an unknown reason has a text too. */
const char *tcu_reason_text(int reason);

/** Whether retrying cannot cure a failure with this reason (a certificate, the trust store or the
 *  configuration must change first): 1 for permanent, 0 for transient or unknown reasons. Firmware
 *  backs off for long on a permanent failure instead of hammering the backend (tcu_backoff_failed does). */
int tcu_reason_is_permanent(int reason);


/* ---- Application data (after TCU_OK from tcu_client_step) ---- */

/** Sends what it can of `data` now, without waiting.
 *  @param[in,out] client
 *  @param[in]     data, length  the bytes (not NULL, even for length 0); not kept after the call
 *  @param[out]    sent_out      on TCU_OK, how many bytes were taken: 0..length, 0 = the transport is full,
 *                               wait for it to be writable (hal.transport_wait, readable 0) and send the rest
 *                               again; 0 on any other result
 *  @return TCU_OK; TCU_CLOSED when the connection was closed in order (nothing sent); a failure (< 0; the
 *  connection is over, tcu_client_error() says the same), -TCU_REASON_INVALID_STATE when not established;
 *  -TCU_REASON_INVALID_ARGUMENT for a NULL pointer */
tcu_status tcu_client_send(tcu_client *client, const uint8_t *data, size_t length, size_t *sent_out);

/** Receives what has arrived, without waiting.
 *  @param[in,out] client
 *  @param[out]    buffer, capacity  where to put it (not NULL, even for capacity 0); owned by the caller
 *  @param[out]    received_out      on TCU_OK, how many bytes were written: 0 = nothing yet, wait for the
 *                                   transport to be readable; 0 on any other result
 *  @return TCU_OK; TCU_CLOSED once the server closed in order (close_notify, answered) or after
 *  tcu_client_close(); a failure (< 0; the connection is over); -TCU_REASON_INVALID_STATE when not
 *  established; -TCU_REASON_INVALID_ARGUMENT for a NULL pointer */
tcu_status tcu_client_receive(tcu_client *client, uint8_t *buffer, size_t capacity, size_t *received_out);

/** Closes (close_notify when established; the transport in any case). Safe to call twice, and on a
 *  failed client. The client stays allocated: tcu_client_step then reports TCU_CLOSED (or its failure). */
void tcu_client_close(tcu_client *client);

/** Closes if needed and frees the client (an MQTT session over it keeps it until tcu_mqtt_free).
 *  NULL is allowed. */
void tcu_client_free(tcu_client *client);


/* ---- MQTT 3.1.1 over an established client (docs/mqtt.md) ----
 *
 *   tcu_mqtt *mqtt;
 *   tcu_status status = tcu_mqtt_create(client, &mqtt_config, &mqtt);   // client: tcu_client_step gave TCU_OK
 *   if (status == TCU_OK) status = tcu_mqtt_connect(mqtt);
 *   while (status >= 0) {
 *       tcu_mqtt_event event;
 *       status = tcu_mqtt_step(mqtt, &event);
 *       if (status == TCU_IN_PROGRESS) { hal.transport_wait(ctx, event.wait.readable, event.wait.until_ms - now); continue; }
 *       if (status != TCU_OK) break;   // TCU_CLOSED after tcu_mqtt_disconnect, or why the session ended (< 0):
 *                                      // reconnect; the outbox keeps what was not acknowledged
 *       switch (event.kind) {
 *       case TCU_MQTT_CONNECTED: tcu_mqtt_publish(mqtt, "devices/tcu-0001/messages/events/", data, n, 1, 0, NULL); break;
 *       case TCU_MQTT_MESSAGE:   { tcu_mqtt_message m; tcu_mqtt_receive(mqtt, &m); handle(&m); } break;
 *       }
 *   }
 *
 * Calls that send (connect, publish, subscribe, unsubscribe) return a failure when they are refused:
 * -TCU_REASON_MQTT_INVALID_TOPIC, -TCU_REASON_MQTT_PACKET_TOO_LARGE, -TCU_REASON_MQTT_OUTBOX_FULL,
 * -TCU_REASON_MQTT_TOO_MANY_IN_FLIGHT, -TCU_REASON_STORAGE_FAILED ... A refusal of one call leaves the
 * session up; tcu_mqtt_error() (or the next tcu_mqtt_step) tells whether the session has ended.
 * Ownership: a session holds its client until tcu_mqtt_free; the caller still frees the client. The session
 * and its client are one connection: drive both from the same task. */

/** Creates an MQTT session over `client`, which must be established, and reads the outbox in slot
 *  TCU_SLOT_MQTT_OUTBOX of the client's HAL: what a previous run left unacknowledged goes out again after the
 *  next CONNACK. A slot that does not hold an outbox is set aside (overwritten by the next save).
 *  Allocates two buffers of max_packet_size and one of outbox_capacity.
 *  @param[in]  client    established (tcu_client_step returned TCU_OK); held until tcu_mqtt_free
 *  @param[in]  config    copied, may be freed on return
 *  @param[out] mqtt_out  the session, the caller's to free with tcu_mqtt_free(); NULL on failure
 *  @return TCU_OK; -TCU_REASON_INVALID_ARGUMENT (a NULL pointer); -TCU_REASON_INVALID_CONFIGURATION (no
 *  client id, or an empty one); -TCU_REASON_INVALID_STATE (the client is not established); -TCU_REASON_OUT_OF_MEMORY;
 *  -TCU_REASON_STORAGE_FAILED (the store failed reading the outbox) */
tcu_status tcu_mqtt_create(tcu_client *client, const tcu_mqtt_config *config, tcu_mqtt **mqtt_out);

/** Sends CONNECT; tcu_mqtt_step() then reports TCU_MQTT_CONNECTED, or ends the session with the broker's
 *  refusal (-TCU_REASON_MQTT_NOT_AUTHORIZED, ...).
 *  @return TCU_OK, or a failure (-TCU_REASON_INVALID_STATE when already connected or ended) */
tcu_status tcu_mqtt_connect(tcu_mqtt *mqtt);

/** Publishes `length` bytes of `payload` to `topic`.
 *  QoS 1 (qos 1): the message is written to the outbox before it is sent and leaves it with its PUBACK
 *  (TCU_MQTT_PUBLISHED); while no session is up it waits there and goes out after the next CONNACK.
 *  @param[in]  topic          NUL-terminated topic name, no wildcards; not kept
 *  @param[in]  payload        the bytes, not kept (copied into the packet and, QoS 1, the outbox); NULL only
 *                             when length is 0
 *  @param[in]  qos            0 or 1 (2: -TCU_REASON_MQTT_EXACTLY_ONCE_UNSUPPORTED)
 *  @param[in]  retain         0 or 1
 *  @param[out] packet_id_out  the packet id (> 0) of a QoS 1 publish sent, which TCU_MQTT_PUBLISHED will carry;
 *                             0 for QoS 0, or for QoS 1 queued without a session; may be NULL
 *  @return TCU_OK; a failure (nothing was sent or kept) */
tcu_status tcu_mqtt_publish(tcu_mqtt *mqtt, const char *topic, const uint8_t *payload, size_t length, int qos,
                            int retain, uint16_t *packet_id_out);

/** Subscribes to a topic filter.
 *  @param[in]  filter         NUL-terminated, wildcards + and # allowed; not kept
 *  @param[in]  qos            0 or 1
 *  @param[out] packet_id_out  the packet id TCU_MQTT_SUBSCRIBED or TCU_MQTT_SUBSCRIPTION_REFUSED will carry;
 *                             may be NULL
 *  @return TCU_OK or a failure */
tcu_status tcu_mqtt_subscribe(tcu_mqtt *mqtt, const char *filter, int qos, uint16_t *packet_id_out);

/** Unsubscribes from `filter` (NUL-terminated, not kept).
 *  @param[out] packet_id_out  the packet id TCU_MQTT_UNSUBSCRIBED will carry; may be NULL
 *  @return TCU_OK or a failure */
tcu_status tcu_mqtt_unsubscribe(tcu_mqtt *mqtt, const char *filter, uint16_t *packet_id_out);

/** Acknowledges the message handed out last (QoS 1: the application has it now), then handles what arrived
 *  and what is due (PINGREQ, timeouts) without waiting.
 *  @param[out] event_out  the event, every field written on every call (kind TCU_MQTT_NONE unless TCU_OK);
 *                         may be NULL (events are then lost)
 *  @return TCU_OK: an event, in *event_out; TCU_IN_PROGRESS: nothing now, wait as event_out->wait says;
 *  TCU_CLOSED: the session ended in order (tcu_mqtt_disconnect); a failure (< 0): why the session ended
 *  (the broker's refusal, a keep-alive or acknowledgement timeout, the connection's failure).
 *  After the session ended every step returns the same status. -TCU_REASON_INVALID_ARGUMENT for NULL. */
tcu_status tcu_mqtt_step(tcu_mqtt *mqtt, tcu_mqtt_event *event_out);

/** The message of the last TCU_MQTT_MESSAGE event, in place.
 *  @param[out] message_out  pointers into the session's buffer, valid until the next tcu_mqtt_step or
 *                           tcu_mqtt_free (see tcu_mqtt_message)
 *  @return TCU_OK; -TCU_REASON_INVALID_STATE when there is none; -TCU_REASON_INVALID_ARGUMENT for NULL */
tcu_status tcu_mqtt_receive(const tcu_mqtt *mqtt, tcu_mqtt_message *message_out);

/** How many QoS 1 messages the outbox holds (sent and unacknowledged, or queued).
 *  @param[out] count_out  written on TCU_OK
 *  @return TCU_OK or -TCU_REASON_INVALID_ARGUMENT */
tcu_status tcu_mqtt_pending(const tcu_mqtt *mqtt, uint32_t *count_out);

/** Queues a QoS 1 message in the outbox of `hal`'s store without a session (the TCU is offline and has no
 *  client yet); the first session over that store sends it after its CONNACK.
 *  @param[in] hal              read during the call only
 *  @param[in] outbox_capacity  as tcu_mqtt_config.outbox_capacity (0 = TCULINK_MQTT_OUTBOX_CAPACITY): use
 *                              the sessions' value
 *  @param[in] topic, payload, length, retain  as tcu_mqtt_publish; not kept
 *  @return TCU_OK; -TCU_REASON_MQTT_OUTBOX_FULL; -TCU_REASON_MQTT_INVALID_TOPIC; -TCU_REASON_STORAGE_FAILED;
 *  -TCU_REASON_INVALID_ARGUMENT; -TCU_REASON_INVALID_CONFIGURATION (an incomplete HAL) */
tcu_status tcu_mqtt_enqueue(const tcu_hal *hal, uint32_t outbox_capacity, const char *topic, const uint8_t *payload,
                            size_t length, int retain);

/** Sends DISCONNECT and closes the client's connection; the next step returns TCU_CLOSED. NULL is allowed. */
void tcu_mqtt_disconnect(tcu_mqtt *mqtt);

/** The failure that ended the session.
 *  @return the failure (< 0), as tcu_mqtt_step reported it; TCU_OK while the session is up or after an
 *  orderly end; -TCU_REASON_INVALID_ARGUMENT for NULL */
tcu_status tcu_mqtt_error(const tcu_mqtt *mqtt);

/** Frees the session (without sending anything) and its hold on the client. NULL is allowed. */
void tcu_mqtt_free(tcu_mqtt *mqtt);

#ifdef __cplusplus
}
#endif

#include "tculink_lifecycle.h"

#endif /* TCULINK_H */

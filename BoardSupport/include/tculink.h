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

#include "tculink_config.h"
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


/* ---- MQTT 3.1.1 over an established client (docs/mqtt.md) ----
 *
 *   tcu_mqtt *mqtt = tcu_mqtt_create(client, &mqtt_config, &reason);   // client: TCU_STATUS_ESTABLISHED
 *   tcu_mqtt_connect(mqtt);
 *   for (;;) {
 *       tcu_mqtt_event event;
 *       switch (tcu_mqtt_step(mqtt, &event)) {
 *       case TCU_MQTT_CONNECTED: tcu_mqtt_publish(mqtt, "devices/tcu-0001/messages/events/", data, n, 1, 0); break;
 *       case TCU_MQTT_MESSAGE:   { tcu_mqtt_message m; tcu_mqtt_receive(mqtt, &m); handle(&m); } break;
 *       case TCU_MQTT_CLOSED:    goto reconnect;   // event.reason; the outbox keeps what was not acknowledged
 *       case TCU_MQTT_WAITING:   hal.transport_wait(..., event.wait.readable, event.wait.until_ms - now); break;
 *       }
 *   }
 *
 * Calls that send (connect, publish, subscribe, unsubscribe) return a negative TCU reason code when they
 * are refused: -TCU_REASON_MQTT_INVALID_TOPIC, -TCU_REASON_MQTT_PACKET_TOO_LARGE,
 * -TCU_REASON_MQTT_OUTBOX_FULL, -TCU_REASON_STORAGE_FAILED ... A refusal of one call leaves the session up;
 * tcu_mqtt_error() tells whether the session has ended.
 * Ownership: tcu_mqtt_create keeps `client` alive until tcu_mqtt_free; the caller still frees the client. */

/** Creates an MQTT session over `client`, which must be established, and reads the outbox in slot
 *  TCU_SLOT_MQTT_OUTBOX of the client's HAL: what a previous run left unacknowledged goes out again after the
 *  next CONNACK. A slot that does not hold an outbox is set aside (overwritten by the next save).
 *  @param[out] reason_out  on failure, a TCU reason code; may be NULL
 *  @return the session, or NULL (NULL pointers, a client not established, an empty client id) */
tcu_mqtt *tcu_mqtt_create(tcu_client *client, const tcu_mqtt_config *config, int *reason_out);

/** Sends CONNECT; tcu_mqtt_step() then reports TCU_MQTT_CONNECTED or TCU_MQTT_CLOSED with the broker's
 *  refusal (TCU_REASON_MQTT_NOT_AUTHORIZED, ...). @return 0 or a negative reason */
int tcu_mqtt_connect(tcu_mqtt *mqtt);

/** Publishes `length` bytes of `payload` (NULL when length is 0) to the NUL-terminated `topic`.
 *  QoS 1 (qos 1): the message is written to the outbox before it is sent and leaves it with its PUBACK
 *  (TCU_MQTT_PUBLISHED); while no session is up it waits there and goes out after the next CONNACK.
 *  QoS 2 is refused (-TCU_REASON_MQTT_EXACTLY_ONCE_UNSUPPORTED). `retain`: 0 or 1.
 *  @return the packet id (> 0) of a QoS 1 publish sent; 0 for QoS 0, or for QoS 1 queued without a
 *  session; or a negative reason (nothing was sent or kept) */
int32_t tcu_mqtt_publish(tcu_mqtt *mqtt, const char *topic, const uint8_t *payload, size_t length, int qos,
                         int retain);

/** Subscribes to the NUL-terminated topic `filter` (wildcards + and #) with QoS 0 or 1.
 *  @return the packet id TCU_MQTT_SUBSCRIBED or TCU_MQTT_SUBSCRIPTION_REFUSED will carry, or a negative reason */
int32_t tcu_mqtt_subscribe(tcu_mqtt *mqtt, const char *filter, int qos);

/** Unsubscribes from `filter`. @return the packet id TCU_MQTT_UNSUBSCRIBED will carry, or a negative reason */
int32_t tcu_mqtt_unsubscribe(tcu_mqtt *mqtt, const char *filter);

/** Acknowledges the message handed out last (QoS 1: the application has it now), then handles what arrived
 *  and what is due (PINGREQ, timeouts) without waiting.
 *  @param[out] event_out  the event; may be NULL
 *  @return the event's kind (TCU_MQTT_*) */
int tcu_mqtt_step(tcu_mqtt *mqtt, tcu_mqtt_event *event_out);

/** The message of the last TCU_MQTT_MESSAGE event, in place (see tcu_mqtt_message).
 *  @return 0, or -1 when there is none */
int tcu_mqtt_receive(const tcu_mqtt *mqtt, tcu_mqtt_message *message_out);

/** How many QoS 1 messages the outbox holds (sent and unacknowledged, or queued). */
int32_t tcu_mqtt_pending(const tcu_mqtt *mqtt);

/** Queues a QoS 1 message in the outbox of `hal`'s store without a session (the TCU is offline and has no
 *  client yet); the first session over that store sends it after its CONNACK.
 *  @return 0 or a negative reason */
int tcu_mqtt_enqueue(const tcu_hal *hal, uint32_t outbox_capacity, const char *topic, const uint8_t *payload,
                     size_t length, int retain);

/** Sends DISCONNECT and closes the client's connection; the next step reports TCU_MQTT_CLOSED, reason 0. */
void tcu_mqtt_disconnect(tcu_mqtt *mqtt);

/** The reason code (0 = none) of the failure that ended the session. */
int tcu_mqtt_error(const tcu_mqtt *mqtt);

/** Frees the session (without sending anything) and its hold on the client. NULL is allowed. */
void tcu_mqtt_free(tcu_mqtt *mqtt);

#ifdef __cplusplus
}
#endif

#include "tculink_lifecycle.h"

#endif /* TCULINK_H */

/**
 * @file tculink_types.h
 * @brief The types of the TCULink C API (tculink.h), in their own header so that the
 * Swift core that implements the API can import them without the function declarations.
 */
#ifndef TCULINK_TYPES_H
#define TCULINK_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "tculink_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name tcu_status: what every tculink.h function that can fail returns
 *  Zero or positive: it worked (the value says how far). Negative: it failed, and the value is
 *  -TCU_REASON_* (tculink_reasons.h): tcu_status_text(s), or tcu_reason_text(TCU_STATUS_REASON(s)),
 *  describes it. Each function's documentation lists the values it returns; a function never returns
 *  a positive value it does not list. Test `status < 0` for failure, never `status != TCU_OK` alone
 *  where TCU_IN_PROGRESS or TCU_CLOSED may come. */
/**@{*/
typedef int32_t tcu_status;
#define TCU_OK 0          /**< done */
#define TCU_IN_PROGRESS 1 /**< not finished: wait as the call's tcu_wait says, then call again */
#define TCU_CLOSED 2      /**< ended in order (close_notify, DISCONNECT, or by the caller) */
/** The reason code (TCU_REASON_*) of a failed status; 0 when it did not fail. */
#define TCU_STATUS_REASON(status) ((status) < 0 ? -(status) : 0)
/** The status that reports `reason` (TCU_REASON_*). */
#define TCU_STATUS_FROM_REASON(reason) ((tcu_status) - (reason))
/**@}*/

typedef struct tcu_client tcu_client;
typedef struct tcu_context tcu_context;

/** @name tcu_client_config.flags */
/**@{*/
#define TCU_FLAG_ALLOW_TLS12 0x1u         /**< TLS 1.2 as well as 1.3 (default: 1.3 only) */
#define TCU_FLAG_SKIP_VALIDITY_IF_CLOCK_UNSET 0x2u /**< accept validity unjudged when the RTC is not set (default: refuse) */
#define TCU_FLAG_NO_ACCEPTANCE_WAIT 0x4u  /**< TLS 1.3: report established without waiting for the server's proof */
#define TCU_FLAG_RESUME 0x8u /**< resume the session sealed in TCU_SLOT_TLS_SESSION, and seal the new one there once
                                  established (needs the HAL's keystore_seal; see tcu_client_save_session) */
/**@}*/

/** What tcu_client_create() connects to and how. The caller owns it; create copies what it keeps (the
 *  strings too), so it may live on the stack. Zero-initialize it: a 0 field takes the default of
 *  tculink_config.h. */
typedef struct tcu_client_config {
    const char *host;        /**< [in] name or numeric address to connect to, NUL-terminated (copied); required */
    uint16_t port;           /**< [in] TCP port; required (0 is refused) */
    const char *server_name; /**< [in] name the server certificate must carry and SNI announces; NULL = host (copied) */
    uint32_t flags;          /**< [in] TCU_FLAG_* */
    uint32_t connect_timeout_ms;    /**< 0 = TCULINK_CONNECT_TIMEOUT_MS */
    uint32_t handshake_timeout_ms;  /**< 0 = TCULINK_HANDSHAKE_TIMEOUT_MS */
    uint32_t acceptance_timeout_ms; /**< 0 = TCULINK_ACCEPTANCE_TIMEOUT_MS; unused with TCU_FLAG_NO_ACCEPTANCE_WAIT */
    uint16_t max_fragment_length;   /**< 0 = none (16 KiB records); 512, 1024, 2048 or 4096: smaller receive buffers */
    /** The trusted clock: an RTC time before this (Unix seconds) reads as "not set", since the firmware cannot
     *  be older than its build. 0 = TCULINK_CLOCK_FLOOR (tculink_config.h). */
    int64_t clock_floor_s;
    /** The trusted clock: an RTC time more than this many seconds before the last known good time (slot
     *  TCU_SLOT_LAST_KNOWN_GOOD_TIME, recorded at each verified connection) reads as "not set".
     *  0 = TCULINK_CLOCK_TOLERANCE_S */
    uint32_t clock_tolerance_s;
} tcu_client_config;

/** What to wait for before the next step, when a step returned TCU_IN_PROGRESS: the transport becoming
 *  readable (or writable), or the deadline, whichever comes first. Pass both to hal.transport_wait()
 *  (timeout = until_ms - clock_monotonic_ms(), 0 when past), or do other work and step again by then. */
typedef struct tcu_wait {
    int readable;       /**< 1: waiting to read; 0: waiting to write */
    uint64_t until_ms;  /**< deadline, on clock_monotonic_ms() */
} tcu_wait;

/** What the handshake negotiated (tcu_client_info()). */
typedef struct tcu_connection_info {
    uint16_t protocol_version;  /**< 0x0304 TLS 1.3, 0x0303 TLS 1.2 */
    uint8_t acceptance;         /**< 0 TLS 1.2 Finished, 1 session ticket, 2 application data, 3 unconfirmed */
    uint8_t resumed;            /**< 1 when the session was resumed */
    uint32_t handshake_ms;
    char cipher_suite[64];      /**< NUL-terminated */
} tcu_connection_info;


/* ---- MQTT (tcu_mqtt_*) ---- */

typedef struct tcu_mqtt tcu_mqtt;

/** @name tcu_mqtt_config.flags */
/**@{*/
#define TCU_MQTT_FLAG_PERSISTENT_SESSION 0x1u /**< clean session off: the broker keeps subscriptions and QoS 1
                                                   messages while the device is away (needed for DUP resends) */
/**@}*/

/** How tcu_mqtt_create() sets up a session. The caller owns it; create copies what it keeps (the strings
 *  too). Zero-initialize it: a 0 field takes the default of tculink_config.h. */
typedef struct tcu_mqtt_config {
    const char *client_id;     /**< [in] the device id, NUL-terminated, not empty: the certificate's CN for Azure IoT
                                    Hub and AWS IoT Core (copied); required */
    const char *username;      /**< [in] NULL for none; Azure: "{hub}/{device}/?api-version=2021-04-12" (copied) */
    uint32_t flags;            /**< TCU_MQTT_FLAG_* */
    uint16_t keep_alive_s;     /**< 0 = TCULINK_MQTT_KEEP_ALIVE_S; Azure IoT Hub allows at most 1177 */
    uint16_t max_in_flight;    /**< QoS 1 publishes and subscriptions awaiting their answer at once;
                                    0 = TCULINK_MQTT_MAX_IN_FLIGHT */
    uint32_t max_packet_size;  /**< the largest packet sent and received; 0 = TCULINK_MQTT_MAX_PACKET_SIZE. Two
                                    buffers this size are allocated once, by tcu_mqtt_create */
    uint32_t ack_timeout_ms;   /**< how long CONNACK, PUBACK, SUBACK, UNSUBACK may take;
                                    0 = TCULINK_MQTT_ACK_TIMEOUT_MS */
    uint32_t ping_timeout_ms;  /**< how long PINGRESP may take: a dead link is found within keep-alive + this;
                                    0 = TCULINK_MQTT_PING_TIMEOUT_MS */
    uint32_t outbox_capacity;  /**< the most bytes slot TCU_SLOT_MQTT_OUTBOX may take;
                                    0 = TCULINK_MQTT_OUTBOX_CAPACITY. One buffer this size is allocated once */
} tcu_mqtt_config;

/** @name tcu_mqtt_step() events (tcu_mqtt_event.kind), when the step returned TCU_OK */
/**@{*/
#define TCU_MQTT_NONE 0                  /**< no event: the step did not return TCU_OK (see its status) */
#define TCU_MQTT_CONNECTED 1             /**< CONNACK accepted; event.session_present */
#define TCU_MQTT_PUBLISHED 2             /**< the PUBACK of event.packet_id came: the message left the outbox */
#define TCU_MQTT_SUBSCRIBED 3            /**< SUBACK for event.packet_id; event.granted_qos */
#define TCU_MQTT_SUBSCRIPTION_REFUSED 4  /**< SUBACK 0x80 for event.packet_id; the session goes on */
#define TCU_MQTT_UNSUBSCRIBED 5          /**< UNSUBACK for event.packet_id */
#define TCU_MQTT_MESSAGE 6               /**< a message arrived: read it with tcu_mqtt_receive() before the next
                                              step, which acknowledges it (QoS 1) */
/**@}*/

/** What tcu_mqtt_step() reports, written by every step (all fields; those a kind does not use are 0). */
typedef struct tcu_mqtt_event {
    int kind;                /**< TCU_MQTT_*: TCU_MQTT_NONE unless the step returned TCU_OK */
    uint16_t packet_id;      /**< PUBLISHED, SUBSCRIBED, SUBSCRIPTION_REFUSED, UNSUBSCRIBED, MESSAGE (0 for QoS 0) */
    uint8_t granted_qos;     /**< SUBSCRIBED; MESSAGE: the message's QoS */
    uint8_t session_present; /**< CONNECTED: the broker still had the session */
    tcu_wait wait;           /**< when the step returned TCU_IN_PROGRESS: what to wait for, until when */
} tcu_mqtt_event;

/** A message handed out by tcu_mqtt_receive(): pointers into the session's receive buffer (owned by the
 *  session, never by the caller), valid until the next tcu_mqtt_step() or tcu_mqtt_free(). The topic is not
 *  NUL-terminated. */
typedef struct tcu_mqtt_message {
    const uint8_t *topic;
    size_t topic_length;
    const uint8_t *payload;
    size_t payload_length;
    uint16_t packet_id; /**< 0 for QoS 0 */
    uint8_t qos;
    uint8_t retain;
    uint8_t duplicate;
} tcu_mqtt_message;


/* ---- Lifecycle (tculink_lifecycle.h) ---- */

/** The retry state of one connection. Zero it to start; the zero policy fields take the defaults of
 *  tculink_config.h. A plain struct the caller owns: no allocation, any task may keep one. */
typedef struct tcu_backoff {
    uint32_t base_ms;            /**< the first bound; 0 = TCULINK_BACKOFF_BASE_MS */
    uint32_t cap_ms;             /**< the largest bound; 0 = TCULINK_BACKOFF_CAP_MS */
    uint32_t permanent_delay_ms; /**< the pause after a permanent failure; 0 = TCULINK_BACKOFF_PERMANENT_MS */
    uint32_t failures;           /**< consecutive failures so far (read it; the calls below write it) */
} tcu_backoff;

/** What tcu_renew() needs besides the connection's configuration. */
typedef struct tcu_renewal_config {
    const char *device_id;  /**< the certificate's CN (copied) */
    int rekey;              /**< 1: a new TCU_KEY_EC_P256 key generated in the key store; 0: the same key */
    const char *est_path;   /**< NULL = "/.well-known/est/simplereenroll" */
    const char *proof_path; /**< what the handshake with the new certificate GETs, expecting 200;
                                 NULL = "/v1/devices/" device_id (tcu-backend's device record) */
    uint32_t timeout_ms;    /**< each of the two exchanges, connect to last byte; 0 = TCULINK_RENEWAL_TIMEOUT_MS */
} tcu_renewal_config;

#ifdef __cplusplus
}
#endif

#endif /* TCULINK_TYPES_H */

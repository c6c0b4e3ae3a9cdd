/**
 * @file tculink_config.h
 * @brief Every tunable of the TCULink C API with its default, in one place. A zero in a configuration
 * struct's field means "this default". The Swift core imports these values, so C and Swift cannot drift.
 * A board may override one by defining it before including tculink.h (or with -D) when it also rebuilds
 * the core with the same definition.
 *
 * Limits that are not tunable (the protocol's or the API's own) are listed in tculink.h, "Limits".
 */
#ifndef TCULINK_CONFIG_H
#define TCULINK_CONFIG_H

/* ---- Connection (tcu_client_config) ---- */
#ifndef TCULINK_CONNECT_TIMEOUT_MS
#define TCULINK_CONNECT_TIMEOUT_MS 10000u   /**< connect_timeout_ms 0: tcu_client_step's first call until TCP is up */
#endif
#ifndef TCULINK_HANDSHAKE_TIMEOUT_MS
#define TCULINK_HANDSHAKE_TIMEOUT_MS 30000u /**< handshake_timeout_ms 0: TCP up until the handshake is done */
#endif
#ifndef TCULINK_ACCEPTANCE_TIMEOUT_MS
/** acceptance_timeout_ms 0: TLS 1.3, how long after our Finished the server may take to show that it accepted
 *  the device certificate (a session ticket or data) or to refuse it (an alert) */
#define TCULINK_ACCEPTANCE_TIMEOUT_MS 3000u
#endif

/* ---- Key store ---- */
#ifndef TCULINK_MAX_CERTIFICATES
/** The most certificates read from each set of the key store (TCU_CERTS_DEVICE_CHAIN, TCU_CERTS_TRUST_ANCHORS):
 *  indices 0 .. TCULINK_MAX_CERTIFICATES - 1. Certificates past it are ignored, not an error: a 17th trust
 *  anchor is never trusted. */
#define TCULINK_MAX_CERTIFICATES 16
#endif

/* ---- Resumption (TCU_FLAG_RESUME) ---- */
#ifndef TCULINK_SAVED_SESSION_MAX
/** The largest serialized TLS session kept in TCU_SLOT_TLS_SESSION (before sealing; the slot then needs up to
 *  this + TCU_SEAL_OVERHEAD_MAX + 1 bytes). A larger one is not saved. The Swift core's value is
 *  SavedSession.maximumSize; a unit test (ConfigHeaderTests) checks the two agree. */
#define TCULINK_SAVED_SESSION_MAX 8192u
#endif

/* ---- MQTT (tcu_mqtt_config; a 0 field takes these) ---- */
#ifndef TCULINK_MQTT_KEEP_ALIVE_S
#define TCULINK_MQTT_KEEP_ALIVE_S 60u       /**< keep_alive_s: seconds without a packet sent before a PINGREQ */
#endif
#ifndef TCULINK_MQTT_MAX_IN_FLIGHT
#define TCULINK_MQTT_MAX_IN_FLIGHT 8u       /**< max_in_flight: QoS 1 publishes and subscriptions unanswered at once */
#endif
#ifndef TCULINK_MQTT_MAX_PACKET_SIZE
/** max_packet_size: the largest packet sent or received. Two buffers this size are allocated by
 *  tcu_mqtt_create (at least 16 bytes each) */
#define TCULINK_MQTT_MAX_PACKET_SIZE 4096u
#endif
#ifndef TCULINK_MQTT_ACK_TIMEOUT_MS
#define TCULINK_MQTT_ACK_TIMEOUT_MS 10000u  /**< ack_timeout_ms: CONNACK, PUBACK, SUBACK, UNSUBACK may take this long */
#endif
#ifndef TCULINK_MQTT_PING_TIMEOUT_MS
#define TCULINK_MQTT_PING_TIMEOUT_MS 10000u /**< ping_timeout_ms: a dead link is found within keep-alive + this */
#endif
#ifndef TCULINK_MQTT_OUTBOX_CAPACITY
/** outbox_capacity (and tcu_mqtt_enqueue's 0): the most bytes slot TCU_SLOT_MQTT_OUTBOX may take. One buffer
 *  this size is allocated by tcu_mqtt_create */
#define TCULINK_MQTT_OUTBOX_CAPACITY 16384u
#endif
#ifndef TCULINK_MQTT_SIZE_LIMIT
/** The most max_packet_size and outbox_capacity may ask for: a larger value is refused with
 *  TCU_REASON_INVALID_CONFIGURATION instead of allocated (a board heap that cannot hold it would
 *  otherwise fail inside the allocator, which Embedded Swift cannot report as an error) */
#define TCULINK_MQTT_SIZE_LIMIT 1048576u
#endif

/* ---- Trusted clock ---- */
#ifndef TCULINK_CLOCK_FLOOR
/** RTC times before this (Unix seconds; 2026-11-01T00:00:00Z) read as "not set": no firmware is older
 *  than its build. Boards set it from their build date. */
#define TCULINK_CLOCK_FLOOR 1793491200LL
#endif
#ifndef TCULINK_CLOCK_TOLERANCE_S
/** How far (seconds) the RTC may be behind the last known good time before it reads as "not set". */
#define TCULINK_CLOCK_TOLERANCE_S 86400u
#endif

/* ---- Backoff (tcu_backoff) ---- */
#ifndef TCULINK_BACKOFF_BASE_MS
#define TCULINK_BACKOFF_BASE_MS 1000u        /**< the first bound after one failure */
#endif
#ifndef TCULINK_BACKOFF_CAP_MS
#define TCULINK_BACKOFF_CAP_MS 300000u       /**< the bound stops doubling here */
#endif
#ifndef TCULINK_BACKOFF_PERMANENT_MS
#define TCULINK_BACKOFF_PERMANENT_MS 3600000u /**< the pause after a permanent failure */
#endif

/* ---- Renewal (tcu_renew) ---- */
#ifndef TCULINK_RENEWAL_TIMEOUT_MS
#define TCULINK_RENEWAL_TIMEOUT_MS 60000u    /**< each exchange of a renewal, connect to last byte */
#endif
#ifndef TCULINK_RENEWAL_RESPONSE_MAX
#define TCULINK_RENEWAL_RESPONSE_MAX 16384u  /**< the largest HTTP response a renewal reads (EST, proof) */
#endif

#endif /* TCULINK_CONFIG_H */

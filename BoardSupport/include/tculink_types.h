/**
 * @file tculink_types.h
 * @brief The types of the TCULink C API (tculink.h), in their own header so that the
 * Swift core that implements the API can import them without the function declarations.
 */
#ifndef TCULINK_TYPES_H
#define TCULINK_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tcu_client tcu_client;
typedef struct tcu_context tcu_context;

/** @name tcu_client_config.flags */
/**@{*/
#define TCU_FLAG_ALLOW_TLS12 0x1u         /**< TLS 1.2 as well as 1.3 (default: 1.3 only) */
#define TCU_FLAG_SKIP_VALIDITY_IF_CLOCK_UNSET 0x2u /**< accept validity unjudged when the RTC is not set (default: refuse) */
#define TCU_FLAG_NO_ACCEPTANCE_WAIT 0x4u  /**< TLS 1.3: report established without waiting for the server's proof */
/**@}*/

typedef struct tcu_client_config {
    const char *host;        /**< name or numeric address to connect to (copied) */
    uint16_t port;
    const char *server_name; /**< name the server certificate must carry and SNI announces; NULL = host (copied) */
    uint32_t flags;          /**< TCU_FLAG_* */
    uint32_t connect_timeout_ms;    /**< 0 = 10000 */
    uint32_t handshake_timeout_ms;  /**< 0 = 30000 */
    uint32_t acceptance_timeout_ms; /**< 0 = 3000 */
    uint16_t max_fragment_length;   /**< 0 = none (16 KiB records); 512, 1024, 2048 or 4096: smaller receive buffers */
} tcu_client_config;

/** @name tcu_client_step() results */
/**@{*/
#define TCU_STATUS_WAITING 0      /**< call again when the transport is ready or at wait.until_ms */
#define TCU_STATUS_ESTABLISHED 1  /**< send and receive now */
#define TCU_STATUS_CLOSED 2       /**< closed by tcu_client_close() */
#define TCU_STATUS_FAILED (-1)    /**< see tcu_client_error() */
#define TCU_RESULT_FAILED (-1)    /**< tcu_client_send/receive failed; see tcu_client_error() */
/**@}*/

typedef struct tcu_wait {
    int readable;       /**< 1: waiting to read; 0: waiting to write */
    uint64_t until_ms;  /**< deadline, on clock_monotonic_ms() */
} tcu_wait;

typedef struct tcu_connection_info {
    uint16_t protocol_version;  /**< 0x0304 TLS 1.3, 0x0303 TLS 1.2 */
    uint8_t acceptance;         /**< 0 TLS 1.2 Finished, 1 session ticket, 2 application data, 3 unconfirmed */
    uint8_t resumed;            /**< 1 when the session was resumed */
    uint32_t handshake_ms;
    char cipher_suite[64];      /**< NUL-terminated */
} tcu_connection_info;

#ifdef __cplusplus
}
#endif

#endif /* TCULINK_TYPES_H */

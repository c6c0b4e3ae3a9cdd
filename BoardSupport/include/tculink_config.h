/**
 * @file tculink_config.h
 * @brief Every tunable of the TCULink C API with its default, in one place. A zero in a configuration
 * struct's field means "this default". The Swift core imports these values, so C and Swift cannot drift.
 * A board may override one by defining it before including tculink.h (or with -D) when it also rebuilds
 * the core with the same definition.
 */
#ifndef TCULINK_CONFIG_H
#define TCULINK_CONFIG_H

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

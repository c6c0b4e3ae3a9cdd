/* board_internal.h: the HAL functions each board_*.c file contributes to the tcu_hal table, and
 * the record tags. Not for firmware: use tcu_hal_mpc5748g.h. */
#ifndef TCU_MPC_BOARD_INTERNAL_H
#define TCU_MPC_BOARD_INTERNAL_H

#include "tcu_hal_mpc5748g.h"

/* Tags in the identity records. */
#define TCU_MPC_TAG_WRAPPED_KEY 1U
#define TCU_MPC_TAG_DEVICE_CERT 2U /* one record per certificate, leaf first */
#define TCU_MPC_TAG_ANCHOR_CERT 3U
/* Renewal (board_renewal.c): the pending pair beside the current one until keystore_commit, which
 * retags pending -> current and current -> previous in one records commit. */
#define TCU_MPC_TAG_PENDING_KEY 4U   /* wrapped like TCU_MPC_TAG_WRAPPED_KEY */
#define TCU_MPC_TAG_PENDING_CERT 5U  /* one record per certificate, leaf first */
#define TCU_MPC_TAG_PREVIOUS_KEY 6U  /* only after a commit that changed the key */
#define TCU_MPC_TAG_PREVIOUS_CERT 7U /* the chain before the last commit, leaf first */
/* Tags in the store records: the slot number itself (TCU_SLOT_*). */

/* board_transport.c */
void tcu_mpc_transport_init(tcu_mpc5748g *board);
int tcu_mpc_transport_connect(void *context, const char *host, uint16_t port);
int tcu_mpc_transport_poll_connect(void *context);
int32_t tcu_mpc_transport_send(void *context, const uint8_t *data, size_t length);
int32_t tcu_mpc_transport_receive(void *context, uint8_t *buffer, size_t capacity);
void tcu_mpc_transport_close(void *context);
void tcu_mpc_transport_wait(void *context, int readable, uint32_t timeout_ms);

/* board_wrap.c: authenticated encryption by the HSM under the configured scheme. A frame is a
 * word-aligned buffer: its first `aad_area` bytes hold the additional data (GCM authenticates the
 * first `aad_length`, the CMAC all `aad_area`: the caller zeroes the rest and makes the area's
 * content unambiguous), the ciphertext follows. `iv` is 12 random bytes (CBC uses them followed by
 * four zero bytes). CBC needs `length` to be a multiple of 16. */
int tcu_mpc_wrap_check(const tcu_mpc5748g_config *config);
uint8_t tcu_mpc_wrap_version(const tcu_mpc5748g *board); /* 1: GCM, 2: CBC + CMAC */
uint32_t tcu_mpc_wrap_slots(const tcu_mpc5748g *board);  /* the slot field of a blob */
int tcu_mpc_wrap_encrypt(tcu_mpc5748g *board, uint32_t *frame, size_t aad_length, size_t aad_area,
                         const uint32_t *plain, size_t length, const uint32_t iv[3], uint32_t tag[4]);
/* 0; TCU_MPC_ERR_KEY_TAMPERED when the blob does not authenticate (`plain` then all zero); _HSM */
int tcu_mpc_wrap_decrypt(tcu_mpc5748g *board, const uint32_t *frame, size_t aad_length, size_t aad_area, size_t length,
                         const uint32_t iv[3], const uint32_t tag[4], uint32_t *plain);

/* board_keystore.c */
int tcu_mpc_keystore_certificate(void *context, int set, size_t index, const uint8_t **der, size_t *length);
int32_t tcu_mpc_keystore_sign(void *context, int request, int hash, const uint8_t *input, size_t input_length,
                              uint8_t *output, size_t output_capacity);
int32_t tcu_mpc_keystore_sign_pending(void *context, int request, int hash, const uint8_t *input, size_t input_length,
                                      uint8_t *output, size_t output_capacity);
/* For board_renewal.c: a new P-256 key, wrapped and proven to unwrap (nothing stored); the public
 * key of a wrapped blob; whether the blob under `tag` authenticates and unwraps (nothing kept). */
int tcu_mpc_key_create(tcu_mpc5748g *board, uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE],
                       uint8_t blob[TCU_MPC_WRAPPED_KEY_SIZE]);
int tcu_mpc_key_public(const uint8_t *blob, size_t length, uint8_t public_key[TCU_MPC_PUBLIC_KEY_SIZE]);
int tcu_mpc_key_check(tcu_mpc5748g *board, uint8_t tag);

/* board_renewal.c */
int32_t tcu_mpc_keystore_public_key(void *context, int key, uint8_t *spki, size_t capacity);
int tcu_mpc_keystore_generate_key(void *context, int kind);
int tcu_mpc_keystore_store_pending_chain(void *context, const uint8_t *chain, size_t length);
int tcu_mpc_keystore_commit(void *context);

/* board_seal.c */
int32_t tcu_mpc_keystore_seal(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *plaintext,
                              size_t plaintext_length, uint8_t *output, size_t output_capacity);
int32_t tcu_mpc_keystore_unseal(void *context, const uint8_t *binding, size_t binding_length, const uint8_t *sealed,
                                size_t sealed_length, uint8_t *output, size_t output_capacity);

/* board_clock.c */
void tcu_mpc_clock_init(tcu_mpc5748g *board);
void tcu_mpc_clock_release(tcu_mpc5748g *board);
int tcu_mpc_clock_wall_time(void *context, int64_t *unix_seconds);
uint64_t tcu_mpc_clock_monotonic_ms(void *context);

/* board_entropy.c */
int tcu_mpc_entropy_fill(void *context, uint8_t *buffer, size_t length);

/* board_store.c */
int32_t tcu_mpc_store_read(void *context, int slot, uint8_t *buffer, size_t capacity);
int tcu_mpc_store_write(void *context, int slot, const uint8_t *data, size_t length);
int tcu_mpc_store_erase(void *context, int slot);

#endif

/* tcu_hal_mpc5748g.c: the board HAL's set-up: configuration, the table, init and deinit. */
#include <string.h>

#include "board_bytes.h"
#include "board_internal.h"

void tcu_mpc5748g_default_config(tcu_mpc5748g_config *config) {
    memset(config, 0, sizeof *config);
    config->wrap_key = HSM_KEY_1;
    config->wrap_scheme = TCU_MPC_WRAP_GCM;
    config->mac_key = HSM_KEY_2;
    config->store_blocks[0] = (tcu_mpc_flash_block){TCU_MPC_STORE_A_ADDRESS, TCU_MPC_STORE_A_SPACE, TCU_MPC_STORE_A_SELECT};
    config->store_blocks[1] = (tcu_mpc_flash_block){TCU_MPC_STORE_B_ADDRESS, TCU_MPC_STORE_B_SPACE, TCU_MPC_STORE_B_SELECT};
    config->identity_blocks[0] =
        (tcu_mpc_flash_block){TCU_MPC_IDENTITY_A_ADDRESS, TCU_MPC_IDENTITY_A_SPACE, TCU_MPC_IDENTITY_A_SELECT};
    config->identity_blocks[1] =
        (tcu_mpc_flash_block){TCU_MPC_IDENTITY_B_ADDRESS, TCU_MPC_IDENTITY_B_SPACE, TCU_MPC_IDENTITY_B_SELECT};
}

static int wrap_key_valid(hsm_key_id_t key) {
    return (key >= HSM_KEY_1 && key <= HSM_KEY_10) || (key >= HSM_KEY_11 && key <= HSM_KEY_20);
}

int tcu_mpc5748g_init(tcu_mpc5748g *board, tcu_hal *table, const tcu_mpc5748g_config *config) {
    if (board == NULL || table == NULL || config == NULL) return TCU_MPC_ERR_ARGUMENT;
    memset(table, 0, sizeof *table);
    /* Only the non-volatile SHE user slots: RAM_KEY forgets its key at reset, and MASTER_ECU /
     * BOOT_MAC keys must not be used for data. */
    if (config->secure_element == NULL && !wrap_key_valid(config->wrap_key)) return TCU_MPC_ERR_ARGUMENT;
    /* Sealing uses the HSM even with a secure element: its firmware must have the scheme's commands. */
    int checked = tcu_mpc_wrap_check(config);
    if (checked != 0) return checked;
    memset(board, 0, sizeof *board);
    board->config = *config;
    tcu_mpc_transport_init(board);
    tcu_mpc_clock_init(board);
    int status = tcu_mpc_records_open(&board->store, config->store_blocks, (uint8_t *)board->store_image,
                                      sizeof board->store_image);
    if (status == 0)
        status = tcu_mpc_records_open(&board->identity, config->identity_blocks, (uint8_t *)board->identity_image,
                                      sizeof board->identity_image);
    /* The DRBG (nonces of every signature, generated keys) is seeded from the TRNG. */
    if (status == 0) status = wc_InitRng(&board->rng) == 0 ? 0 : TCU_MPC_ERR_ENTROPY;
    if (status != 0) {
        tcu_mpc_clock_release(board);
        tcu_mpc_zero(board, sizeof *board);
        return status;
    }
    board->rng_ready = 1;
    *table = (tcu_hal){
        .context = board,
        .transport_connect = tcu_mpc_transport_connect,
        .transport_poll_connect = tcu_mpc_transport_poll_connect,
        .transport_send = tcu_mpc_transport_send,
        .transport_receive = tcu_mpc_transport_receive,
        .transport_close = tcu_mpc_transport_close,
        .transport_wait = tcu_mpc_transport_wait,
        .keystore_certificate = tcu_mpc_keystore_certificate,
        .keystore_sign = tcu_mpc_keystore_sign,
        .clock_wall_time = tcu_mpc_clock_wall_time,
        .clock_monotonic_ms = tcu_mpc_clock_monotonic_ms,
        .entropy_fill = tcu_mpc_entropy_fill,
        .store_read = tcu_mpc_store_read,
        .store_write = tcu_mpc_store_write,
        .store_erase = tcu_mpc_store_erase,
        .keystore_seal = tcu_mpc_keystore_seal,
        .keystore_unseal = tcu_mpc_keystore_unseal,
        /* Renewal (board_renewal.c). With a secure element keystore_generate_key answers
         * TCU_MPC_ERR_UNSUPPORTED: the certificate is renewed, the key is not. */
        .keystore_public_key = tcu_mpc_keystore_public_key,
        .keystore_generate_key = tcu_mpc_keystore_generate_key,
        .keystore_sign_pending = tcu_mpc_keystore_sign_pending,
        .keystore_store_pending_chain = tcu_mpc_keystore_store_pending_chain,
        .keystore_commit = tcu_mpc_keystore_commit,
    };
    return 0;
}

void tcu_mpc5748g_deinit(tcu_mpc5748g *board) {
    if (board == NULL) return;
    tcu_mpc_transport_close(board);
    if (board->rng_ready) wc_FreeRng(&board->rng);
    tcu_mpc_clock_release(board);
    tcu_mpc_zero(board, sizeof *board);
}

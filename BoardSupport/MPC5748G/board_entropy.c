/* board_entropy.c: entropy from the HSM's TRNG (HSM_DRV_GenerateTRND, 128 bits per command).
 * The same source seeds wolfCrypt's Hash-DRBG (CUSTOM_RAND_GENERATE_SEED in user_settings.h). */
#include <string.h>

#include "board_bytes.h"
#include "board_internal.h"

/* The HSM writes whole 128-bit blocks to a word-aligned buffer; a request that is not a multiple
 * of 16 bytes takes its tail from one more block, which is zeroed afterwards. */
static int trng_fill(uint8_t *buffer, size_t length) {
    uint32_t block[4];
    int status = 0;
    while (length > 0) {
        if (HSM_DRV_GenerateTRND((uint8_t *)block, TCU_MPC_HSM_TIMEOUT_MS) != STATUS_SUCCESS) {
            status = TCU_MPC_ERR_ENTROPY;
            break;
        }
        size_t take = length < sizeof block ? length : sizeof block;
        memcpy(buffer, block, take);
        buffer += take;
        length -= take;
    }
    tcu_mpc_zero(block, sizeof block);
    return status;
}

int tcu_mpc_entropy_fill(void *context, uint8_t *buffer, size_t length) {
    (void)context;
    if (buffer == NULL && length > 0) return TCU_MPC_ERR_ARGUMENT;
    return trng_fill(buffer, length);
}

int tcu_mpc_trng_seed(unsigned char *output, unsigned int size) {
    return trng_fill(output, size) == 0 ? 0 : -1; /* wolfCrypt wants 0 or non-zero */
}

/* status.h (host fake): the S32 SDK's status_t, the codes the board HAL and the fakes use.
 *
 * Values copied from S32_SDK_S32PA_RTM_3.0.3 platform/devices/status.h (as vendored in
 * github.com/h1994st/sec_eth_mpc5748g, SDK/platform/devices/status.h). On the board the SDK's own
 * header is used; this one exists only so the board sources compile unchanged on a host. */
#ifndef STATUS_H
#define STATUS_H

typedef enum {
    STATUS_SUCCESS = 0x000U,
    STATUS_ERROR = 0x001U,
    STATUS_BUSY = 0x002U,
    STATUS_TIMEOUT = 0x003U,
    STATUS_UNSUPPORTED = 0x004U,
    STATUS_SEC_SEQUENCE_ERROR = 0x402U,
    STATUS_SEC_KEY_NOT_AVAILABLE = 0x403U,
    STATUS_SEC_KEY_INVALID = 0x404U,
    STATUS_SEC_KEY_EMPTY = 0x405U,
    STATUS_SEC_KEY_WRITE_PROTECTED = 0x407U,
    STATUS_SEC_KEY_UPDATE_ERROR = 0x408U,
    STATUS_SEC_RNG_SEED = 0x409U,
    STATUS_SEC_INVALID_COMMAND = 0x411U,
    STATUS_SEC_INTERNAL_CMD_ERROR = 0x414U,
    STATUS_SEC_TRNG_ERROR = 0x412U,
    STATUS_SEC_INVALID_ARG = 0x421U,
    STATUS_SEC_TRNG_CLOCK_ERROR = 0x423U,
    STATUS_SEC_INVALID_SIZE = 0x435U,
    STATUS_FLASH_ERROR_ENABLE = 0x901U,
    STATUS_FLASH_ERROR_NO_BLOCK = 0x902U,
    STATUS_FLASH_INPROGRESS = 0x903U
} status_t;

#endif

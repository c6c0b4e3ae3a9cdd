/* tcu_hal_mpc5748g_errors.h: the board HAL's error codes. Each failure has its own code, so a field
 * log says which part failed. HAL functions return them where tcu_hal.h allows a negative error
 * (store_read keeps the contract's -1 empty / -2 error). */
#ifndef TCU_HAL_MPC5748G_ERRORS_H
#define TCU_HAL_MPC5748G_ERRORS_H

#define TCU_MPC_OK 0
#define TCU_MPC_ERR_ARGUMENT (-100)    /**< NULL pointer, bad length, unknown set or slot */
#define TCU_MPC_ERR_UNSUPPORTED (-101) /**< an RSA request: the device key is P-256 (the HSM has no RSA private op) */
#define TCU_MPC_ERR_NO_KEY (-102)      /**< no device key generated or provisioned */
#define TCU_MPC_ERR_KEY_TAMPERED (-103)/**< the wrapped key failed authentication: refused, nothing unwrapped */
#define TCU_MPC_ERR_HSM (-104)         /**< an HSM command failed (empty or wrong-usage key slot, busy, timeout) */
#define TCU_MPC_ERR_FLASH (-105)       /**< a data flash erase/program/verify failed; the old content stays */
#define TCU_MPC_ERR_ENTROPY (-106)     /**< the HSM TRNG failed */
#define TCU_MPC_ERR_CRYPTO (-107)      /**< a wolfCrypt operation failed */
#define TCU_MPC_ERR_TOO_SMALL (-108)   /**< the caller's output buffer is too small */
#define TCU_MPC_ERR_FULL (-109)        /**< the record image has no room */
#define TCU_MPC_ERR_EXISTS (-110)      /**< a device key exists and replacing it was not asked for */
#define TCU_MPC_ERR_FORMAT (-111)      /**< a wrapped key blob of the wrong size or version; a malformed chain */
#define TCU_MPC_ERR_NO_PENDING (-112)  /**< keystore_commit without a pending chain */
#define TCU_MPC_ERR_MISMATCH (-113)    /**< the pending leaf certificate is not for the key it would be used with */
#define TCU_MPC_ERR_HSM_FIRMWARE (-114)/**< init: wrap_scheme TCU_MPC_WRAP_GCM, but the HSM firmware is not SHE+
                                            (0x01010000), which alone has GCM: use TCU_MPC_WRAP_CBC_CMAC */

#endif

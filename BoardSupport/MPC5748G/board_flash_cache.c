/* board_flash_cache.c: see board_flash_cache.h.
 *
 * Data flash is read through plain pointers, and two things on the MPC5748G can answer such a read
 * with bytes from before an erase or program: the flash controller's line buffers (PFLASH PFCRn
 * [BFEN], one per port) and the e200z4's data cache, when the startup code enabled it. NXP's
 * flash_program_erase_mpc5748g example (S32 SDK) clears BFEN in PFCR1 and PFCR2 around its erase and
 * program and restores the registers afterwards; the board does the same, for PFCR4 (the third port)
 * too, since it may run on any core. */
#include "board_flash_cache.h"

#include "board_config.h"
#include "device_registers.h"

/* e200z4 L1 cache control and status register 0 (SPR 1010): enable, invalidate, abort. */
#define L1CSR0 1010
#define L1CSR0_CE 0x1U
#define L1CSR0_CINV 0x2U
#define L1CSR0_CABT 0x4U

void tcu_mpc_flash_buffers_off(tcu_mpc_flash_buffers *saved) {
    saved->pfcr[0] = PFLASH->PFCR1;
    saved->pfcr[1] = PFLASH->PFCR2;
    saved->pfcr[2] = PFLASH->PFCR4;
    PFLASH->PFCR1 = saved->pfcr[0] & ~PFLASH_PFCR1_P0_BFEN_MASK;
    PFLASH->PFCR2 = saved->pfcr[1] & ~PFLASH_PFCR2_P1_BFEN_MASK;
    PFLASH->PFCR4 = saved->pfcr[2] & ~PFLASH_PFCR4_P2_BFEN_MASK;
}

void tcu_mpc_flash_buffers_restore(const tcu_mpc_flash_buffers *saved) {
    PFLASH->PFCR1 = saved->pfcr[0];
    PFLASH->PFCR2 = saved->pfcr[1];
    PFLASH->PFCR4 = saved->pfcr[2];
}

void tcu_mpc_dcache_invalidate(uint32_t address, uint32_t length) {
    (void)address; /* the whole cache: L1CSR0 has no by-address invalidation */
    (void)length;
#if TCU_MPC_DCACHE
    uint32_t control = MFSPR(L1CSR0);
    if ((control & L1CSR0_CE) == 0U) return; /* cache off: nothing held */
    /* As the SDK's startup code does it: set CINV, wait for it to clear, start again if the
     * hardware aborted the invalidation (CABT). Safe only because the SDK's startup leaves the cache
     * in write-through mode, so no line holds data not yet in RAM; see board_config.h. */
    for (;;) {
        MTSPR(L1CSR0, (control & ~L1CSR0_CABT) | L1CSR0_CINV);
        do control = MFSPR(L1CSR0);
        while ((control & L1CSR0_CINV) != 0U);
        if ((control & L1CSR0_CABT) == 0U) return;
    }
#endif
}

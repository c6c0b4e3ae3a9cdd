/* device_registers.h (host fake): the MPC5748G RTC and PFLASH register blocks and the SPR access
 * of s32_core_e200.h, nothing else.
 *
 * Layouts as in S32_SDK_S32PA_RTM_3.0.3 platform/devices/MPC5748G/include/MPC5748G.h (RTC_Type at
 * 0xFFFF0000, PFLASH_Type at 0xFC030000); the real device_registers.h also includes
 * common/s32_core_e200.h, whose MFSPR/MTSPR are inline assembly. On the host the blocks are
 * variables: the test advances the RTC (fake_clock_control.h); the flash fake reads PFLASH and
 * models L1CSR0 (SPR 1010), the e200z4's data cache control (fake_flash.c). */
#ifndef DEVICE_REGISTERS_H
#define DEVICE_REGISTERS_H

#include <stdint.h>

typedef struct {
    volatile uint32_t RTCSUPV;
    volatile uint32_t RTCC;
    volatile uint32_t RTCS;
    volatile uint32_t RTCCNT;
    volatile uint32_t APIVAL;
    volatile uint32_t RTCVAL;
    volatile uint32_t ANLCMP_CNT;
} RTC_Type;

extern RTC_Type fake_rtc_registers;
#define RTC (&fake_rtc_registers)
#define RTC_RTCC_CNTEN_MASK (0x80000000U)

typedef struct {
    volatile uint32_t PFCR1;
    volatile uint32_t PFCR2;
    volatile uint32_t PFCR3;
    volatile uint32_t PFAPR;
    volatile uint32_t PFCRCR;
    volatile uint32_t PFCRDE;
    volatile uint32_t PFCR4;
} PFLASH_Type;

extern PFLASH_Type fake_pflash_registers;
#define PFLASH (&fake_pflash_registers)
#define PFLASH_PFCR1_P0_BFEN_MASK (0x1U)
#define PFLASH_PFCR2_P1_BFEN_MASK (0x1U)
#define PFLASH_PFCR4_P2_BFEN_MASK (0x1U)

uint32_t fake_mfspr(unsigned spr);
void fake_mtspr(unsigned spr, uint32_t value);
#define MFSPR(rn) fake_mfspr(rn)
#define MTSPR(rn, v) fake_mtspr((rn), (v))

#endif

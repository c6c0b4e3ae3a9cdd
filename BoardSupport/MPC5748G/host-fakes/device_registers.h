/* device_registers.h (host fake): the MPC5748G RTC register block, nothing else.
 *
 * Layout as in S32_SDK_S32PA_RTM_3.0.3 platform/devices/MPC5748G/include/MPC5748G.h (RTC_Type at
 * 0xFFFF0000). On the host the block is a variable the test advances (fake_clock_control.h). */
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

#endif

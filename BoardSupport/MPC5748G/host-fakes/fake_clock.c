/* fake_clock.c: the MPC5748G RTC register block (counting, CNTEN set, as the firmware leaves it)
 * and OSIF_GetMilliseconds, both driven by the test. */
#include "device_registers.h"
#include "fake_clock_control.h"
#include "osif.h"

RTC_Type fake_rtc_registers = {.RTCC = RTC_RTCC_CNTEN_MASK};
static uint32_t osif_ms;

void fake_osif_set_ms(uint32_t milliseconds) { osif_ms = milliseconds; }

uint32_t OSIF_GetMilliseconds(void) { return osif_ms; }

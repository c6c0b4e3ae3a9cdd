/* fake_clock_control.h: the test sets the RTC counter (RTC->RTCCNT, also RTC->RTCC directly) and
 * the OSIF millisecond counter. */
#ifndef FAKE_CLOCK_CONTROL_H
#define FAKE_CLOCK_CONTROL_H

#include <stdint.h>

void fake_osif_set_ms(uint32_t milliseconds);

#endif

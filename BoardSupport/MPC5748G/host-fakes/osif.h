/* osif.h (host fake): the S32 SDK OS interface call the board clock uses.
 * Prototype as in S32_SDK_S32PA_RTM_3.0.3 rtos/osif/osif.h (github.com/h1994st/sec_eth_mpc5748g). */
#ifndef OSIF_H
#define OSIF_H

#include <stdint.h>

uint32_t OSIF_GetMilliseconds(void);

#endif

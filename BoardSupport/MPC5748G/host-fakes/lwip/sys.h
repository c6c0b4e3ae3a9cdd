/* lwip/sys.h (host fake): lwIP's OS abstraction. On the board it includes arch/sys_arch.h, where the
 * S32 SDK's FreeRTOS port defines errno as the calling task's thread-local pointer 0 (what lwIP's
 * sockets set); on the host errno is the C library's, which fake_lwip.c sets. */
#ifndef LWIP_HDR_SYS_H
#define LWIP_HDR_SYS_H

#include "lwip/errno.h"

#endif

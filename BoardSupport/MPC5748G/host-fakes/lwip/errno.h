/* lwip/errno.h (host fake): the error numbers lwIP sets errno to. lwIP takes them from the C library
 * (LWIP_ERRNO_STDINCLUDE) or, with LWIP_PROVIDE_ERRNO as the S32 SDK's arch/cc.h sets it, defines
 * them itself (and declares an `extern int errno`, which the SDK's FreeRTOS port replaces with a
 * per-task macro in arch/sys_arch.h: see lwip/sys.h); on the host they are the C library's. */
#ifndef LWIP_HDR_ERRNO_H
#define LWIP_HDR_ERRNO_H

#include <errno.h>

#endif

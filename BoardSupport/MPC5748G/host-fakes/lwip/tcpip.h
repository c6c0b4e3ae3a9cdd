/* lwip/tcpip.h (host fake): core locking is a no-op on the single-threaded host. On the board,
 * LWIP_TCPIP_CORE_LOCKING=1 makes these take lwIP's core mutex. */
#ifndef LWIP_HDR_TCPIP_H
#define LWIP_HDR_TCPIP_H

#define LOCK_TCPIP_CORE()
#define UNLOCK_TCPIP_CORE()

#endif

/* lwip/sockets.h (host fake): the lwIP 2.1 socket calls the board transport uses, mapped onto
 * POSIX sockets by fake_lwip.c. Prototypes as in lwIP 2.1.2 src/include/lwip/sockets.h (the copy in
 * S32_SDK_S32PA_RTM_3.0.3 middleware/tcpip/lwip). Constants (AF_INET, O_NONBLOCK, fd_set, errno
 * values) come from the host's headers, as lwIP takes them from its own on the board. */
#ifndef LWIP_HDR_SOCKETS_H
#define LWIP_HDR_SOCKETS_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "lwip/errno.h" /* as lwIP's own sockets.h includes it */

int lwip_socket(int domain, int type, int protocol);
int lwip_connect(int s, const struct sockaddr *name, socklen_t namelen);
ssize_t lwip_send(int s, const void *dataptr, size_t size, int flags);
ssize_t lwip_recv(int s, void *mem, size_t len, int flags);
int lwip_close(int s);
int lwip_fcntl(int s, int cmd, int val);
int lwip_getsockopt(int s, int level, int optname, void *optval, socklen_t *optlen);
int lwip_select(int maxfdp1, fd_set *readset, fd_set *writeset, fd_set *exceptset, struct timeval *timeout);

#endif

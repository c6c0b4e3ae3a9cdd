/* lwip/err.h (host fake): lwIP 2.1.2's err_t and its codes (src/include/lwip/err.h). */
#ifndef LWIP_HDR_ERR_H
#define LWIP_HDR_ERR_H

#include <stdint.h>

typedef int8_t err_t;
#define ERR_OK 0
#define ERR_MEM (-1)
#define ERR_BUF (-2)
#define ERR_TIMEOUT (-3)
#define ERR_RTE (-4)
#define ERR_INPROGRESS (-5)
#define ERR_VAL (-6)
#define ERR_WOULDBLOCK (-7)
#define ERR_USE (-8)
#define ERR_ALREADY (-9)
#define ERR_ISCONN (-10)
#define ERR_CONN (-11)
#define ERR_IF (-12)
#define ERR_ABRT (-13)
#define ERR_RST (-14)
#define ERR_CLSD (-15)
#define ERR_ARG (-16)

/** lwIP's mapping of err_t to errno (api/err.c, err_to_errno_table). */
int err_to_errno(err_t err);

#endif

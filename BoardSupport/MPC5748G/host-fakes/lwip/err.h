/* lwip/err.h (host fake): lwIP 2.1's err_t and the codes the board transport uses. */
#ifndef LWIP_HDR_ERR_H
#define LWIP_HDR_ERR_H

#include <stdint.h>

typedef int8_t err_t;
#define ERR_OK 0
#define ERR_MEM (-1)
#define ERR_INPROGRESS (-5)
#define ERR_VAL (-6)
#define ERR_ARG (-16)

#endif

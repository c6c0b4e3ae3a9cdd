/* board_wolfssl.h: wolfSSL's configuration first, then the wolfCrypt headers the board uses.
 * On the board (and the cross-built tests) WOLFSSL_USER_SETTINGS selects this folder's
 * user_settings.h; the native host tests use Debian's build, whose options.h must come first. */
#ifndef TCU_MPC_BOARD_WOLFSSL_H
#define TCU_MPC_BOARD_WOLFSSL_H

#ifdef WOLFSSL_USER_SETTINGS
#include <wolfssl/wolfcrypt/settings.h>
#else
#include <wolfssl/options.h>
#endif
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>

#endif

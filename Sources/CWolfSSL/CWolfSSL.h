/* Shim over wolfSSL for Swift.
 * The configuration must come first: every other wolfSSL header reads it. */
#ifndef CWOLFSSL_H
#define CWOLFSSL_H

#ifdef WOLFSSL_USER_SETTINGS
/* A bare-metal build: the configuration is the board's user_settings.h. */
#include <wolfssl/wolfcrypt/settings.h>
#else
/* Debian's libwolfssl: the configuration it was built with. */
#include <wolfssl/options.h>
#endif
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/sha256.h>

#endif

/* Shim over Debian's wolfSSL for Swift.
 * options.h must come first: it carries the configuration the library was
 * built with, and every other wolfSSL header reads it. */
#ifndef CWOLFSSL_H
#define CWOLFSSL_H

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#endif

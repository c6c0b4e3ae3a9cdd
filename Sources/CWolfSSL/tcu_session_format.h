/* Checks a serialized TLS session before wolfSSL decodes it (included by CWolfSSL.h).
 *
 * wolfSSL 5.5's wolfSSL_d2i_SSL_SESSION copies length-prefixed fields into the session's fixed
 * arrays without bounding the lengths: a session id longer than 32 bytes, more than
 * MAX_CHAIN_DEPTH certificates, a certificate over MAX_X509_SIZE, a server id over 20 bytes or a
 * session context over 32 bytes overwrite the heap past the session (found by the saved-session
 * fuzz target: a write past `chain.certs`, then wolfSSL_X509_free on the overwritten pointer).
 * It also reads a 64-bit ticketSeen after checking for 32 bits. The core's saved sessions are
 * sealed (authenticated) by the key store, so only bytes wolfSSL itself wrote should arrive here;
 * this check is what keeps a broken key store, a session written by another wolfSSL build (a
 * firmware update that changes its options) or flash corruption from becoming memory corruption.
 *
 * It walks the fields exactly as wolfSSL 5.5.x reads them for this build's options and answers 1
 * only if every field fits its array and the fields end where the bytes do. Any other wolfSSL
 * version answers 0 (a full handshake): its format must be checked before it is trusted. */
#ifndef TCU_SESSION_FORMAT_H
#define TCU_SESSION_FORMAT_H

/* Sizes of the session's arrays in wolfSSL 5.5 (wolfssl/internal.h, which is not installed). */
#define TCU_WOLFSSL_ID_LEN 32
#define TCU_WOLFSSL_SERVER_ID_LEN 20
#define TCU_WOLFSSL_SECRET_LEN 48
#define TCU_WOLFSSL_TICKET_NONCE_STATIC 8
/* The smallest MAX_X509_SIZE of any 5.5 build: a larger certificate in a session is refused. */
#define TCU_WOLFSSL_MAX_X509_SIZE 2048
#ifdef MAX_CHAIN_DEPTH
#define TCU_WOLFSSL_MAX_CHAIN_DEPTH MAX_CHAIN_DEPTH
#else
#define TCU_WOLFSSL_MAX_CHAIN_DEPTH 9
#endif

/* 1 when wolfSSL_d2i_SSL_SESSION can decode `data` without writing past the session. */
static inline int tcu_wolfssl_session_is_decodable(const unsigned char *data, long length) {
#if defined(HAVE_EXT_CACHE) && LIBWOLFSSL_VERSION_HEX >= 0x05005000 && LIBWOLFSSL_VERSION_HEX < 0x05006000
    long at = 0;
#define TCU_NEED(count) do { if ((long)(count) > length - at) return 0; } while (0)
#define TCU_U8() (data[at++])
#define TCU_U16() (at += 2, (unsigned)(data[at - 2] << 8 | data[at - 1]))
    if (data == 0 || length <= 0) return 0;
    TCU_NEED(1 + 4 + 4 + 1);  /* side, bornOn, timeout, session id length */
    at += 9;
    unsigned session_id = TCU_U8();
    if (session_id > TCU_WOLFSSL_ID_LEN) return 0;
    TCU_NEED(session_id + TCU_WOLFSSL_SECRET_LEN + 1 + 1);  /* id, master secret, haveEMS, alt id flag */
    at += session_id + TCU_WOLFSSL_SECRET_LEN + 1;
    unsigned alt_id = TCU_U8();
    if (alt_id != 0 && alt_id != TCU_WOLFSSL_ID_LEN) return 0;
    TCU_NEED(alt_id);
    at += alt_id;
#ifdef SESSION_CERTS
    TCU_NEED(1);
    unsigned certificates = TCU_U8();
    if (certificates > TCU_WOLFSSL_MAX_CHAIN_DEPTH) return 0;
    for (unsigned index = 0; index < certificates; index++) {
        TCU_NEED(2);
        unsigned certificate = TCU_U16();
        if (certificate > TCU_WOLFSSL_MAX_X509_SIZE) return 0;
        TCU_NEED(certificate);
        at += certificate;
    }
#endif
#if defined(SESSION_CERTS) || (defined(WOLFSSL_TLS13) && defined(HAVE_SESSION_TICKET))
    TCU_NEED(2);  /* protocol version */
    at += 2;
#endif
#if defined(SESSION_CERTS) || !defined(NO_RESUME_SUITE_CHECK) || (defined(WOLFSSL_TLS13) && defined(HAVE_SESSION_TICKET))
    TCU_NEED(2);  /* cipher suite */
    at += 2;
#endif
#ifndef NO_CLIENT_CACHE
    TCU_NEED(2);
    unsigned server_id = TCU_U16();
    if (server_id > TCU_WOLFSSL_SERVER_ID_LEN) return 0;
    TCU_NEED(server_id);
    at += server_id;
#endif
#ifdef OPENSSL_EXTRA
    TCU_NEED(1);
    unsigned context = TCU_U8();
    if (context > TCU_WOLFSSL_ID_LEN) return 0;
    TCU_NEED(context);
    at += context;
#endif
#if defined(OPENSSL_EXTRA) || defined(OPENSSL_EXTRA_X509_SMALL)
    TCU_NEED(1);  /* peerVerifyRet */
    at += 1;
#endif
#ifdef WOLFSSL_TLS13
    TCU_NEED(2);  /* named group */
    at += 2;
#endif
#if defined(HAVE_SESSION_TICKET) || !defined(NO_PSK)
#ifdef WOLFSSL_TLS13
#ifdef WOLFSSL_32BIT_MILLI_TIME
    TCU_NEED(4 + 4 + 1);  /* ticketSeen, ticketAdd, nonce length */
    at += 8;
#else
    TCU_NEED(8 + 4 + 1);
    at += 12;
#endif
    unsigned nonce = TCU_U8();
#ifndef WOLFSSL_TICKET_NONCE_MALLOC
    if (nonce > TCU_WOLFSSL_TICKET_NONCE_STATIC) return 0;
#endif
    TCU_NEED(nonce);
    at += nonce;
#endif
#ifdef WOLFSSL_EARLY_DATA
    TCU_NEED(4);  /* maxEarlyDataSz */
    at += 4;
#endif
#endif
#ifdef HAVE_SESSION_TICKET
    TCU_NEED(2);
    unsigned ticket = TCU_U16();
    TCU_NEED(ticket);
    at += ticket;
#endif
#undef TCU_NEED
#undef TCU_U8
#undef TCU_U16
    return at == length;
#else
    (void)data; (void)length;
    return 0;
#endif
}

#endif

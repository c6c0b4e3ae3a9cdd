import CWolfSSL

/// Builds the wolfSSL client context for a device: verification on, the key store's
/// trust anchors and certificate chain, signing through PK callbacks, I/O through the HAL.
enum WolfSSLContext {
    /// Returns an owned `WOLFSSL_CTX*` (the caller frees it with `wolfSSL_CTX_free`) and which of
    /// `trustAnchors` wolfSSL took. An anchor it refuses (an unknown critical extension, say) is
    /// left out rather than failing the whole trust store; none taken is a configuration error.
    static func make(
        versions: TLSVersionPolicy, certificateChain: [[UInt8]], trustAnchors: [[UInt8]],
        presentCertificate: Bool = true
    ) throws(TCULinkError) -> (context: OpaquePointer, loadedAnchors: [Bool]) {
        let leaf = certificateChain.first.flatMap { X509Certificate(der: $0) }
        if presentCertificate && leaf == nil {
            throw TCULinkError(.invalidConfiguration)  // no device certificate, or unreadable
        }
        guard !trustAnchors.isEmpty else { throw TCULinkError(.invalidConfiguration) }

        let method = versions == .tls13Only ? wolfTLSv1_3_client_method() : wolfSSLv23_client_method()
        guard let context = wolfSSL_CTX_new(method) else { throw TCULinkError(.outOfMemory) }
        var ok = false
        defer { if !ok { wolfSSL_CTX_free(context) } }

        if versions == .tls12OrLater {
            try check(wolfSSL_CTX_SetMinVersion(context, Int32(WOLFSSL_TLSV1_2)))
        }
        // Never wolfSSL's default list: as a client allowed TLS 1.2, Debian's offers anonymous DH,
        // NULL and RC4 suites, and a server with no certificate at all was accepted that way.
        try check(wolfSSL_CTX_set_cipher_list(context, CipherSuites.wolfSSLList(for: versions)))
        // Anchors are loaded whatever the host's clock says; validity is judged
        // against the HAL clock in the verify callback.
        var loadedAnchors: [Bool] = []
        for anchor in trustAnchors {
            let status = anchor.withUnsafeBufferPointer {
                wolfSSL_CTX_load_verify_buffer_ex(
                    context, $0.baseAddress, Int($0.count), Int32(WOLFSSL_FILETYPE_ASN1), 0,
                    UInt32(WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY))
            }
            loadedAnchors.append(status == WOLFSSL_SUCCESS)
        }
        guard loadedAnchors.contains(true) else { throw TCULinkError(.invalidConfiguration) }
        // Debian's wolfSSL (OPENSSL_COMPATIBLE_DEFAULTS) verifies nothing unless told to.
        // Never rely on a default here: a client that skips this accepts any server.
        // Set after the anchors: that build also files each anchor as a "trusted peer", judged
        // by the host's clock when verification is already on (a root valid only by the device
        // clock was refused at load: ServerVerificationTests, future-pki-at-2035).
        wolfSSL_CTX_set_verify(context, Int32(WOLFSSL_VERIFY_PEER), wolfSSLVerifyCallback)

        // Signing goes to the key store. These must be set before the key below is loaded.
        wolfSSL_CTX_SetEccSignCb(context, wolfSSLEccSignCallback)
        wolfSSL_CTX_SetRsaSignCb(context, wolfSSLRsaSignCallback)
        wolfSSL_CTX_SetRsaPssSignCb(context, wolfSSLRsaPssSignCallback)
        // ECDSA signatures from the server are verified through the core (RFC 8446 4.2.3's pairing).
        wolfSSL_CTX_SetEccVerifyCb(context, wolfSSLEccVerifyCallback)

        wolfSSL_CTX_SetIORecv(context, wolfSSLReceiveCallback)
        wolfSSL_CTX_SetIOSend(context, wolfSSLSendCallback)
        guard presentCertificate, let leaf else {
            ok = true
            return (context, loadedAnchors)  // enrollment: no client certificate yet
        }

        // The device chain, as PEM (wolfSSL's chain loader reads concatenated PEM).
        var pem: [UInt8] = []
        for certificate in certificateChain { pem += PEM.encode(certificate) }
        try check(
            pem.withUnsafeBufferPointer {
                wolfSSL_CTX_use_certificate_chain_buffer_format(
                    context, $0.baseAddress, Int($0.count), Int32(WOLFSSL_FILETYPE_PEM))
            })

        // wolfSSL sends no client certificate without a key. With PK callbacks set it
        // accepts the *public* key in its place: the private key is never loaded here.
        try check(
            leaf.subjectPublicKeyInfo.withUnsafeBufferPointer {
                wolfSSL_CTX_use_PrivateKey_buffer(
                    context, $0.baseAddress, Int($0.count), Int32(WOLFSSL_FILETYPE_ASN1))
            })
        ok = true
        return (context, loadedAnchors)
    }

    private static func check(_ status: Int32) throws(TCULinkError) {
        guard status == WOLFSSL_SUCCESS else { throw TCULinkError(.invalidConfiguration, libraryCode: status) }
    }
}

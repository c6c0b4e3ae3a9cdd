import CWolfSSL

/// Offline validation of a server's certificate chain: exactly what the handshake
/// applies (wolfSSL for signatures and the path to a trust anchor, then
/// `ServerCertificatePolicy` for validity at `time`, serverAuth and the name),
/// without a connection. Operators use it to check a backend certificate before a rollout.
public enum ServerChainVerifier {
    /// Returns nil when the chain is accepted, the reason otherwise.
    /// - Parameters:
    ///   - leaf: the server certificate, DER.
    ///   - intermediates: the CA certificates the server sends after its leaf, leaf-side first.
    ///   - trustAnchors: the roots the device trusts.
    public static func verify(
        leaf: [UInt8], intermediates: [[UInt8]], trustAnchors: [[UInt8]],
        policy: ServerCertificatePolicy, at time: WallTime
    ) -> TCULinkError? {
        guard !trustAnchors.isEmpty else { return TCULinkError(.invalidConfiguration) }
        _ = wolfSSL_Init()  // stays initialized (see TLSClient)
        guard let context = wolfSSL_CTX_new(wolfTLSv1_3_client_method()) else { return TCULinkError(.outOfMemory) }
        defer { wolfSSL_CTX_free(context) }
        for anchor in trustAnchors {
            let status = anchor.withUnsafeBufferPointer {
                wolfSSL_CTX_load_verify_buffer_ex(
                    context, $0.baseAddress, Int($0.count), Int32(WOLFSSL_FILETYPE_ASN1), 0,
                    UInt32(WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY))
            }
            guard status == WOLFSSL_SUCCESS else { return TCULinkError(.invalidConfiguration, libraryCode: status) }
        }
        guard let manager = wolfSSL_CTX_GetCertManager(context) else { return TCULinkError(.outOfMemory) }

        // Walk down from the anchors: each intermediate must verify against what is
        // already trusted before it may vouch for the next one.
        var depth = intermediates.count
        for intermediate in intermediates.reversed() {
            if let failure = checkSignature(intermediate, manager: manager, depth: depth) { return failure }
            if let failure = policy.evaluate(intermediate, depth: depth, at: time) { return failure }
            let status = intermediate.withUnsafeBufferPointer {
                wolfSSL_CTX_load_verify_buffer_ex(
                    context, $0.baseAddress, Int($0.count), Int32(WOLFSSL_FILETYPE_ASN1), 0,
                    UInt32(WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY))
            }
            guard status == WOLFSSL_SUCCESS else {
                // Not a CA (basicConstraints), or unreadable.
                return TCULinkError(.certificateMalformed, libraryCode: status, certificateDepth: Int8(clamping: depth))
            }
            depth -= 1
        }
        if let failure = checkSignature(leaf, manager: manager, depth: 0) { return failure }
        return policy.evaluate(leaf, depth: 0, at: time)
    }

    /// wolfSSL's verdict on one certificate, dates set aside (the policy judges them by `time`).
    private static func checkSignature(_ der: [UInt8], manager: OpaquePointer, depth: Int) -> TCULinkError? {
        let status = der.withUnsafeBufferPointer {
            wolfSSL_CertManagerVerifyBuffer(manager, $0.baseAddress, Int($0.count), Int32(WOLFSSL_FILETYPE_ASN1))
        }
        if status == WOLFSSL_SUCCESS || status == wolfCode(ASN_AFTER_DATE_E) || status == wolfCode(ASN_BEFORE_DATE_E) {
            return nil
        }
        return WolfSSLErrors.classifyVerification(status, depth: depth)
    }
}

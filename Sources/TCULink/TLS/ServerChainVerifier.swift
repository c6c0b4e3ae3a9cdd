import CWolfSSL

/// Offline validation of a server's certificate chain: what the handshake does, without a
/// connection. wolfSSL checks each certificate's signature in the order the handshake does
/// (from the top of the chain down to the leaf, each verified CA vouching for the next), then
/// `PathValidator` judges the path exactly as the handshake's verify callback does. Operators
/// use it to check a backend certificate before a rollout; a test asserts that it and the
/// handshake agree on every generated chain.
public enum ServerChainVerifier {
    /// Returns nil when the chain is accepted, the reason otherwise.
    /// - Parameters:
    ///   - leaf: the server certificate, DER.
    ///   - intermediates: the certificates the server sends after its leaf, in that order.
    ///   - trustAnchors: the roots the device trusts.
    public static func verify(
        leaf: [UInt8], intermediates: [[UInt8]], trustAnchors: [[UInt8]],
        policy: ServerCertificatePolicy, at time: WallTime
    ) -> TCULinkError? {
        _ = wolfSSL_Init()  // stays initialized (see TLSContext)
        guard let manager = wolfSSL_CertManagerNew() else { return TCULinkError(.outOfMemory) }
        defer { wolfSSL_CertManagerFree(manager) }
        // As TLSContext: an anchor that the validator or wolfSSL cannot read is left out of both.
        var anchors: [X509Certificate] = []
        for der in trustAnchors {
            guard let anchor = X509Certificate(der: der), load(der, into: manager) == WOLFSSL_SUCCESS else { continue }
            anchors.append(anchor)
        }
        guard !anchors.isEmpty else { return TCULinkError(.invalidConfiguration) }

        let presented = [leaf] + intermediates
        for depth in presented.indices.reversed() {
            let der = presented[depth]
            let status = der.withUnsafeBufferPointer {
                wolfSSL_CertManagerVerifyBuffer(manager, $0.baseAddress, $0.count, Int32(WOLFSSL_FILETYPE_ASN1))
            }
            let isAuthority = depth > 0 && X509Certificate(der: der)?.isCertificateAuthority == true
            if status == WOLFSSL_SUCCESS
                || WolfSSLErrors.isJudgedByValidator(status, depth: depth, certificate: der)
            {
                // Dates (and the leaf's name constraints) are the path validator's. A verified CA vouches
                // for what follows (a date error comes only after the signature verified).
                if isAuthority { _ = load(der, into: manager) }
                continue
            }
            let unverifiedCA = status == wolfCode(ASN_NO_SIGNER_E) || status == wolfCode(ASN_SELF_SIGNED_E)
            if isAuthority && unverifiedCA && tcu_wolfssl_alt_cert_chains() == 1 {
                continue  // as in the handshake: skipped, and never trusted
            }
            return WolfSSLErrors.explain(WolfSSLErrors.classifyVerification(status, depth: depth)) {
                PathValidator.validate(presented: presented, trustAnchors: anchors, policy: policy, at: time)
            }
        }
        return PathValidator.validate(presented: presented, trustAnchors: anchors, policy: policy, at: time)
    }

    /// Loads a CA whatever the host's clock says of it (the device clock is judged by the validator).
    private static func load(_ der: [UInt8], into manager: OpaquePointer) -> Int32 {
        der.withUnsafeBufferPointer {
            wolfSSL_CertManagerLoadCABuffer(manager, $0.baseAddress, $0.count, Int32(WOLFSSL_FILETYPE_ASN1))
        }
    }
}

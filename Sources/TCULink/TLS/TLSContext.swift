import CWolfSSL

/// A device identity loaded into wolfSSL once, for many connections.
///
/// Building a context parses the trust anchors and the device chain; a TCU that reconnects
/// (after a drop, a sleep, a change of cell) can keep one and pass it to each `TLSClient`
/// instead, as a C client keeps its `WOLFSSL_CTX` (measured by scripts/bench). It holds only
/// certificates and the leaf's public key, never the private key. Make a new one after the
/// key store's certificate changes (renewal, re-enrollment).
public final class TLSContext {
    let pointer: OpaquePointer
    let versions: TLSVersionPolicy
    let presentsCertificate: Bool
    /// The key store's trust anchors, DER and parsed: the only roots a server's path may end in.
    let trustAnchorsDER: [[UInt8]]
    let trustAnchors: [X509Certificate]

    /// - Parameters: the key store's `certificateChain` (leaf first) and `trustAnchors`.
    ///   (Not a generic init over the key store: Embedded Swift allows none in a class.)
    public init(
        certificateChain: [[UInt8]], trustAnchors: [[UInt8]], versions: TLSVersionPolicy = .tls13Only,
        presentCertificate: Bool = true
    ) throws(TCULinkError) {
        // wolfSSL stays initialized for the life of the process, as in firmware: a cleanup after
        // each connection would throw away its caches (fixed-point ECC tables) and cost every
        // reconnect several times the CPU (measured by scripts/bench).
        _ = wolfSSL_Init()
        var anchors: [X509Certificate] = []
        for der in trustAnchors {
            guard let anchor = X509Certificate(der: der) else { throw TCULinkError(.invalidConfiguration) }
            anchors.append(anchor)
        }
        self.trustAnchors = anchors
        self.trustAnchorsDER = trustAnchors
        self.pointer = try WolfSSLContext.make(
            versions: versions, certificateChain: certificateChain, trustAnchors: trustAnchors,
            presentCertificate: presentCertificate)
        self.versions = versions
        self.presentsCertificate = presentCertificate
    }

    deinit { wolfSSL_CTX_free(pointer) }
}

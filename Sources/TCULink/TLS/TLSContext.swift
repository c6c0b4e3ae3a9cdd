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
    /// The device chain it was made from, to make a private copy for one connection.
    let certificateChain: [[UInt8]]

    /// - Parameters: the key store's `certificateChain` (leaf first) and `trustAnchors`.
    ///   (Not a generic init over the key store: Embedded Swift allows none in a class.)
    ///
    /// A convenience initializer on purpose, as every throwing initializer of a class in the core: it
    /// throws before the object is allocated. Embedded Swift's runtime does not free an object whose
    /// designated initializer threw (`swift_deallocPartialClassInstance` only destroys its fields):
    /// LeakSanitizer found each refused `tcu_client_create` leaking the objects it had begun.
    public convenience init(
        certificateChain: [[UInt8]], trustAnchors: [[UInt8]], versions: TLSVersionPolicy = .tls13Only,
        presentCertificate: Bool = true
    ) throws(TCULinkError) {
        // wolfSSL stays initialized for the life of the process, as in firmware: a cleanup after
        // each connection would throw away its caches (fixed-point ECC tables) and cost every
        // reconnect several times the CPU (measured by scripts/bench).
        _ = wolfSSL_Init()
        // The validator and wolfSSL must trust the same roots: an anchor either cannot read is left
        // out of both (one odd root in a trust store must not poison the others).
        var readable: [[UInt8]] = []
        var anchors: [X509Certificate] = []
        for der in trustAnchors {
            guard let anchor = X509Certificate(der: der) else { continue }
            readable.append(der)
            anchors.append(anchor)
        }
        guard !readable.isEmpty else { throw TCULinkError(.invalidConfiguration) }
        let made = try WolfSSLContext.make(
            versions: versions, certificateChain: certificateChain, trustAnchors: readable,
            presentCertificate: presentCertificate)
        var loadedDER: [[UInt8]] = []
        var loaded: [X509Certificate] = []
        for index in readable.indices where made.loadedAnchors[index] {
            loadedDER.append(readable[index])
            loaded.append(anchors[index])
        }
        self.init(
            pointer: made.context, versions: versions, presentsCertificate: presentCertificate,
            trustAnchorsDER: loadedDER, trustAnchors: loaded, certificateChain: certificateChain)
    }

    private init(
        pointer: OpaquePointer, versions: TLSVersionPolicy, presentsCertificate: Bool, trustAnchorsDER: [[UInt8]],
        trustAnchors: [X509Certificate], certificateChain: [[UInt8]]
    ) {
        self.pointer = pointer
        self.trustAnchorsDER = trustAnchorsDER
        self.trustAnchors = trustAnchors
        self.versions = versions
        self.presentsCertificate = presentsCertificate
        self.certificateChain = certificateChain
    }

    /// The context for a connection of `configuration`: `shared` when it was made for the same
    /// versions and the same choice of presenting a certificate, else a new one from the key
    /// store's chain and anchors.
    static func forConnection(
        _ configuration: ClientConfiguration, shared: TLSContext?, certificateChain: @autoclosure () -> [[UInt8]],
        trustAnchors: @autoclosure () -> [[UInt8]]
    ) throws(TCULinkError) -> TLSContext {
        let presentCertificate = !configuration.withoutClientCertificate
        guard let shared else {
            return try TLSContext(
                certificateChain: certificateChain(), trustAnchors: trustAnchors(), versions: configuration.versions,
                presentCertificate: presentCertificate)
        }
        guard shared.versions == configuration.versions, shared.presentsCertificate == presentCertificate else {
            throw TCULinkError(.invalidConfiguration)
        }
        return shared
    }

    /// A context of the same identity for one connection alone. Where wolfSSL cannot give a
    /// connection its own certificate store (board builds without its OpenSSL layer), the CAs it
    /// files while verifying one server would otherwise stay in the shared context, and a later
    /// server's leaf could be verified against one of them while the path validator judged
    /// another CA of the same name (found by review): each connection then gets a fresh context.
    func copyForOneConnection() throws(TCULinkError) -> TLSContext {
        try TLSContext(
            certificateChain: certificateChain, trustAnchors: trustAnchorsDER, versions: versions,
            presentCertificate: presentsCertificate)
    }

    deinit { wolfSSL_CTX_free(pointer) }
}

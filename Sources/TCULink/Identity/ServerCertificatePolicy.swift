/// What the device demands of the server's certificate chain, beyond the signatures
/// that wolfSSL checks: validity against the device clock, a serverAuth purpose on
/// the leaf, and a subjectAltName naming the host that was dialled.
///
/// The same policy runs inside the handshake (from wolfSSL's verify callback) and
/// offline (`tcu-sim verify-server`), so both always agree.
public struct ServerCertificatePolicy: Equatable, Sendable {
    /// What to do when the device clock is not set.
    public enum UnsetClockBehaviour: Equatable, Sendable {
        /// Refuse: validity cannot be judged, so the chain is not trusted (default).
        case refuse
        /// Accept without checking validity periods. Only for a device that learns
        /// time from the connection itself and accepts that risk explicitly.
        case skipValidityChecks
    }

    /// The name the leaf must carry in its subjectAltName (DNS name or IPv4 address).
    public var serverName: [UInt8]
    public var unsetClock: UnsetClockBehaviour
    /// RFC 5280 lets a certificate without extendedKeyUsage serve any purpose; we
    /// do not, unless this is set.
    public var allowLeafWithoutExtendedKeyUsage: Bool

    public init(
        serverName: [UInt8],
        unsetClock: UnsetClockBehaviour = .refuse,
        allowLeafWithoutExtendedKeyUsage: Bool = false
    ) {
        self.serverName = serverName
        self.unsetClock = unsetClock
        self.allowLeafWithoutExtendedKeyUsage = allowLeafWithoutExtendedKeyUsage
    }

    /// Judges one certificate of the server's chain (`depth` 0 is the leaf) at `time`.
    /// Returns nil when it passes, the reason otherwise.
    public func evaluate(_ der: [UInt8], depth: Int, at time: WallTime) -> TCULinkError? {
        let depthTag = Int8(clamping: depth)
        guard let certificate = X509Certificate(der: der) else {
            return TCULinkError(.certificateMalformed, certificateDepth: depthTag)
        }
        switch time {
        case .notSet:
            if unsetClock == .refuse { return TCULinkError(.clockNotSet, certificateDepth: depthTag) }
        case .unixSeconds(let now):
            if now < certificate.notBefore { return TCULinkError(.certificateNotYetValid, certificateDepth: depthTag) }
            if now > certificate.notAfter { return TCULinkError(.certificateExpired, certificateDepth: depthTag) }
        }
        guard depth == 0 else {
            // Above the leaf, only CA certificates may vouch for others.
            return certificate.isCertificateAuthority
                ? nil : TCULinkError(.intermediateNotCA, certificateDepth: depthTag)
        }
        if certificate.extendedKeyUsage == nil {
            if !allowLeafWithoutExtendedKeyUsage {
                return TCULinkError(.serverCertificateLacksServerAuth, certificateDepth: 0)
            }
        } else if !certificate.allowsServerAuth {
            return TCULinkError(.serverCertificateLacksServerAuth, certificateDepth: 0)
        }
        if !HostnameMatcher.matches(host: serverName, certificate: certificate) {
            return TCULinkError(.serverNameMismatch, certificateDepth: 0)
        }
        return nil
    }
}

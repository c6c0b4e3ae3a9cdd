/// What the device demands of the server's certificate chain, as configuration:
/// the name the leaf must carry, what an unset clock means, the accepted algorithms.
///
/// `PathValidator` applies it, the same inside the handshake (from wolfSSL's verify
/// callback) and offline (`tcu-sim verify-server`), so both always agree.
public struct ServerCertificatePolicy: Equatable, Sendable {
    /// What to do when the device clock is not set.
    public enum UnsetClockBehaviour: Equatable, Sendable {
        /// Refuse: validity cannot be judged, so the chain is not trusted (default).
        case refuse
        /// Accept without checking validity periods. Only for a device that learns
        /// time from the connection itself and accepts that risk explicitly.
        case skipValidityChecks
    }

    /// The name the leaf must carry in its subjectAltName (DNS name, IPv4 or IPv6 address).
    public var serverName: [UInt8]
    public var unsetClock: UnsetClockBehaviour
    /// RFC 5280 lets a certificate without extendedKeyUsage serve any purpose; we
    /// do not, unless this is set.
    public var allowLeafWithoutExtendedKeyUsage: Bool
    /// Keys and signature algorithms accepted in the chain.
    public var algorithms: AlgorithmPolicy

    public init(
        serverName: [UInt8],
        unsetClock: UnsetClockBehaviour = .refuse,
        allowLeafWithoutExtendedKeyUsage: Bool = false,
        algorithms: AlgorithmPolicy = AlgorithmPolicy()
    ) {
        self.serverName = serverName
        self.unsetClock = unsetClock
        self.allowLeafWithoutExtendedKeyUsage = allowLeafWithoutExtendedKeyUsage
        self.algorithms = algorithms
    }
}

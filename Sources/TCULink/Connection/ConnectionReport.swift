/// What a completed handshake negotiated, for the report a TCU logs.
public struct ConnectionReport: Equatable, Sendable {
    /// "TLSv1.3" or "TLSv1.2".
    public var protocolVersion: String
    /// The IANA-style suite name wolfSSL negotiated, e.g. "TLS_AES_128_GCM_SHA256".
    public var cipherSuite: String
    /// The server's leaf certificate as verified.
    public var serverCertificate: X509Certificate?
    /// From `start` to established, by the HAL's monotonic clock (includes the acceptance wait).
    public var handshakeMilliseconds: UInt64
    public var acceptance: Acceptance
    /// Whether the session was resumed from a ticket.
    public var resumed: Bool
}

/// Where a non-blocking client stands after `step()`.
public enum ClientStatus: Equatable, Sendable {
    case idle
    /// Call `step()` again when the transport is ready for `interest`, or at `until` (monotonic ms).
    case waiting(ReadinessInterest, until: UInt64)
    case established(ConnectionReport)
    case failed(TCULinkError)
    case closed
}

/// What a non-blocking receive came to.
public enum ReceiveResult: Equatable, Sendable {
    case received(Int)
    case wouldBlock
    /// The server closed the TLS session in order (close_notify).
    case closed
}

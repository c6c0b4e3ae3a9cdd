/// What a completed handshake negotiated, for the report a TCU logs.
public struct ConnectionReport: Equatable, Sendable {
    /// The TLS version as on the wire: 0x0304 (TLS 1.3) or 0x0303 (TLS 1.2).
    public var tlsVersion: UInt16
    /// "TLSv1.3" or "TLSv1.2".
    public var protocolVersion: String { tlsVersion == 0x0304 ? "TLSv1.3" : "TLSv1.2" }
    /// The IANA-style suite name wolfSSL negotiated, e.g. "TLS_AES_128_GCM_SHA256".
    public var cipherSuite: String
    /// The server's leaf certificate as verified.
    public var serverCertificate: X509Certificate?
    /// From `start` to established, by the HAL's monotonic clock (includes the acceptance wait).
    public var handshakeMilliseconds: UInt64
    public var acceptance: Acceptance
    /// Whether the session was resumed from a ticket.
    public var resumed: Bool
    /// Bytes on the wire from `start` to established (TLS records, both directions).
    public var handshakeBytesSent: Int = 0
    public var handshakeBytesReceived: Int = 0
    /// The largest plaintext a record may carry on this connection: 16384, or less when the
    /// server agreed to a `maxFragmentLength`.
    public var recordPayloadLimit: Int = 0

    /// Byte-wise: String's own `==` normalizes Unicode, which would pull Unicode tables into firmware.
    public static func == (lhs: ConnectionReport, rhs: ConnectionReport) -> Bool {
        lhs.tlsVersion == rhs.tlsVersion && lhs.cipherSuite.utf8.elementsEqual(rhs.cipherSuite.utf8)
            && lhs.serverCertificate == rhs.serverCertificate && lhs.handshakeMilliseconds == rhs.handshakeMilliseconds
            && lhs.acceptance == rhs.acceptance && lhs.resumed == rhs.resumed
            && lhs.handshakeBytesSent == rhs.handshakeBytesSent
            && lhs.handshakeBytesReceived == rhs.handshakeBytesReceived
            && lhs.recordPayloadLimit == rhs.recordPayloadLimit
    }
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

/// How we know the server accepted the device certificate.
///
/// In TLS 1.3 the client finishes before the server has judged its certificate;
/// a refusal arrives as an alert afterwards. "Connected" is only claimed with proof,
/// or said to be unconfirmed.
public enum Acceptance: Equatable, Sendable {
    /// TLS 1.2: the server's Finished follows its check of our certificate.
    case implicitInTLS12
    /// TLS 1.3: the server sent a NewSessionTicket, which it does only after our Finished.
    case sessionTicket
    /// TLS 1.3: the server sent application data.
    case applicationData
    /// TLS 1.3: the server sent nothing within the acceptance window; a refusal may still come.
    case unconfirmed
}

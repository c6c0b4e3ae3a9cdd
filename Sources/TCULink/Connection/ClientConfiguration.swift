import CTCUHAL

/// Which TLS versions the device may speak.
public enum TLSVersionPolicy: Equatable, Sendable {
    /// TLS 1.3 only (default).
    case tls13Only
    /// TLS 1.3 preferred, TLS 1.2 allowed (for older backends).
    case tls12OrLater
}

/// The largest TLS record the device asks the server to send (RFC 6066 max_fragment_length).
/// Smaller records mean smaller receive buffers on the device, at some cost in bytes on the wire.
public enum MaxFragmentLength: UInt16, Equatable, Sendable {
    case bytes512 = 512
    case bytes1024 = 1024
    case bytes2048 = 2048
    case bytes4096 = 4096

    /// wolfSSL's code for it (WOLFSSL_MFL_2_9 … WOLFSSL_MFL_2_12).
    var wolfSSLCode: UInt8 {
        switch self {
        case .bytes512: return 1
        case .bytes1024: return 2
        case .bytes2048: return 3
        case .bytes4096: return 4
        }
    }
}

/// Everything a `TLSClient` needs besides its HAL.
public struct ClientConfiguration: Sendable {
    /// Host to connect to: a DNS name or a numeric address.
    public var host: String
    public var port: UInt16
    /// The name the server certificate must carry and SNI announces. Defaults to `host`.
    public var serverName: String
    public var versions: TLSVersionPolicy
    public var timeouts: ConnectionTimeouts
    public var unsetClock: ServerCertificatePolicy.UnsetClockBehaviour
    /// Wait for the server's proof of acceptance in TLS 1.3 (see `Acceptance`).
    public var confirmAcceptance: Bool
    /// Connect without a client certificate. Only for first enrollment (EST `simpleenroll`),
    /// before the device has a certificate; the server is verified exactly as always.
    public var withoutClientCertificate: Bool = false
    /// Ask the server for records no larger than this (nil: the protocol's 16 KiB).
    public var maxFragmentLength: MaxFragmentLength? = nil
    /// Keys and signature algorithms accepted in the server's chain (tighten only).
    public var algorithms = AlgorithmPolicy()
    /// Tests only: behave as a wolfSSL build without per-connection certificate stores does.
    var forcePrivateContext = false

    public init(
        host: String,
        port: UInt16,
        serverName: String? = nil,
        versions: TLSVersionPolicy = .tls13Only,
        timeouts: ConnectionTimeouts = .init(),
        unsetClock: ServerCertificatePolicy.UnsetClockBehaviour = .refuse,
        confirmAcceptance: Bool = true
    ) {
        self.host = host
        self.port = port
        self.serverName = serverName ?? host
        self.versions = versions
        self.timeouts = timeouts
        self.unsetClock = unsetClock
        self.confirmAcceptance = confirmAcceptance
    }

    var policy: ServerCertificatePolicy {
        ServerCertificatePolicy(serverName: Array(serverName.utf8), unsetClock: unsetClock, algorithms: algorithms)
    }
}

/// Time limits of a connection, in milliseconds.
public struct ConnectionTimeouts: Equatable, Sendable {
    /// From `start` until the transport is connected.
    public var connect: UInt32
    /// From the transport connecting until the handshake completes.
    public var handshake: UInt32
    /// In TLS 1.3, how long to wait after our Finished for the server to show it
    /// accepted our certificate (a NewSessionTicket or data) or refuse it (an alert).
    public var acceptance: UInt32

    /// The defaults are tculink_config.h's, so that C and Swift cannot drift.
    public init(
        connect: UInt32 = UInt32(TCULINK_CONNECT_TIMEOUT_MS), handshake: UInt32 = UInt32(TCULINK_HANDSHAKE_TIMEOUT_MS),
        acceptance: UInt32 = UInt32(TCULINK_ACCEPTANCE_TIMEOUT_MS)
    ) {
        self.connect = connect
        self.handshake = handshake
        self.acceptance = acceptance
    }
}

/// How a transport operation failed. Mapped one to one onto `TCULinkError.Reason`.
public enum TransportFailure: UInt8, Equatable, Sendable {
    case refused
    case reset
    case unreachable
    case nameResolution
    case timedOut
    case other

    var reason: TCULinkError.Reason {
        switch self {
        case .refused: return .connectionRefused
        case .reset: return .connectionReset
        case .unreachable: return .hostUnreachable
        case .nameResolution: return .nameResolutionFailed
        case .timedOut: return .connectTimeout
        case .other: return .transportFailed
        }
    }
}

/// Where a non-blocking connect stands.
public enum ConnectProgress: Equatable, Sendable {
    case connected
    case inProgress
    case failed(TransportFailure)
}

/// What a non-blocking send or receive came to.
public enum TransportIO: Equatable, Sendable {
    /// This many bytes (more than zero) were sent or received.
    case transferred(Int)
    /// Nothing can move now; call again when the transport is ready.
    case wouldBlock
    /// The peer closed the stream in order (receive only).
    case closed
    case failed(TransportFailure)
}

/// What the connection waits for before its next step.
public enum ReadinessInterest: Equatable, Sendable {
    case readable
    case writable
}

/// A reliable byte stream to the backend (TCP on the host, lwIP on a board).
///
/// Every operation is **non-blocking**: it does what it can at once and answers
/// `.wouldBlock` / `.inProgress` otherwise. The TLS engine calls `send` and
/// `receive` from wolfSSL's I/O callbacks, so they must never wait.
/// Compare coreMQTT's transport interface: `receive` must not answer
/// `.transferred(0)`; no data is `.wouldBlock`, a disconnection is `.closed` or `.failed`.
public protocol Transport {
    /// Starts connecting to `host` (a name or a numeric address) on `port`.
    /// Returns `.connected` if done at once, `.inProgress` to be finished with `pollConnect`.
    mutating func connect(host: String, port: UInt16) -> ConnectProgress
    /// Reports on a connect that answered `.inProgress`. Must not block.
    mutating func pollConnect() -> ConnectProgress
    /// Sends up to `bytes.count` bytes.
    mutating func send(_ bytes: UnsafeRawBufferPointer) -> TransportIO
    /// Receives up to `buffer.count` bytes.
    mutating func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportIO
    /// Closes the stream. Safe to call more than once.
    mutating func close()
    /// Waits until the stream is ready for `interest` or `timeoutMilliseconds` pass.
    /// A board driven by a super-loop may return at once: the caller steps again later.
    mutating func waitUntilReady(_ interest: ReadinessInterest, timeoutMilliseconds: UInt32)
}

/// The life of one mutual-TLS connection, as a pure value: events in, actions out.
///
/// It does no I/O and reads no clock: every event carries `now` (monotonic
/// milliseconds), so each path — timeouts, refusals, alerts, a server that never
/// confirms, the peer closing — is a unit test. `TLSClient.perform` carries out the actions it
/// returns and feeds what each came to back as the next event; what happens on any event is
/// read here alone.
///
/// Every `switch` names every state with no `default`, so a new state forces a
/// review of every event.
struct ConnectionStateMachine: Sendable {
    enum State: Equatable, Sendable {
        case idle
        case connecting(deadline: UInt64)
        case handshaking(deadline: UInt64)
        case confirming(deadline: UInt64)
        case established(Acceptance)
        case closed(TCULinkError?)
    }

    private(set) var state: State
    let timeouts: ConnectionTimeouts
    /// Whether to wait for proof of acceptance in TLS 1.3 (see `Acceptance`).
    let confirmAcceptance: Bool

    init(timeouts: ConnectionTimeouts = ConnectionTimeouts(), confirmAcceptance: Bool = true) {
        self.state = .idle
        self.timeouts = timeouts
        self.confirmAcceptance = confirmAcceptance
    }

    // MARK: - Queries

    var isEstablished: Bool {
        if case .established = state { return true }
        return false
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// The failure that closed the connection, if it closed on one.
    var failure: TCULinkError? {
        if case .closed(let error) = state { return error }
        return nil
    }

    var acceptance: Acceptance? {
        if case .established(let acceptance) = state { return acceptance }
        return nil
    }

    /// Where the connection stands, as the client reports it (`report` once established).
    func status(report: ConnectionReport?) -> ClientStatus {
        switch state {
        case .idle: return .idle
        case .connecting(let deadline): return .waiting(.writable, until: deadline)
        case .handshaking(let deadline), .confirming(let deadline): return .waiting(.readable, until: deadline)
        case .established:
            if let report { return .established(report) }
            return .failed(TCULinkError(.invalidState))
        case .closed(let error):
            if let error { return .failed(error) }
            return .closed
        }
    }

    /// Whether the current phase's deadline has passed. A peer that trickles data keeps wolfSSL
    /// inside one `wolfSSL_connect` call; the I/O callbacks answer "would block" once this is
    /// true, which hands control back, and `tick` then reports the timeout. Nothing waits past its limit.
    func isPastDeadline(now: UInt64) -> Bool {
        switch state {
        case .connecting(let deadline), .handshaking(let deadline), .confirming(let deadline): return now >= deadline
        case .idle, .established, .closed: return false
        }
    }

    // MARK: - Events

    /// The application asks for a connection.
    mutating func start(now: UInt64) -> ConnectionAction {
        switch state {
        case .idle:
            state = .connecting(deadline: now + UInt64(timeouts.connect))
            return .openTransport
        case .connecting, .handshaking, .confirming, .established, .closed:
            return .none
        }
    }

    /// The transport answered a connect or a poll of one.
    mutating func transportConnect(_ progress: ConnectProgress, now: UInt64) -> ConnectionAction {
        switch state {
        case .connecting(let deadline):
            switch progress {
            case .connected:
                state = .handshaking(deadline: now + UInt64(timeouts.handshake))
                return .stepHandshake
            case .inProgress:
                if now >= deadline { return fail(TCULinkError(.connectTimeout)) }
                return .wait(.writable, until: deadline)
            case .failed(let failure):
                return fail(TCULinkError(failure.reason))
            }
        case .idle, .handshaking, .confirming, .established, .closed:
            return .none
        }
    }

    /// wolfSSL took a handshake step.
    mutating func handshakeStepped(_ step: HandshakeStep, now: UInt64) -> ConnectionAction {
        switch state {
        case .handshaking(let deadline):
            switch step {
            case .wantRead:
                if now >= deadline { return fail(TCULinkError(.handshakeTimeout)) }
                return .wait(.readable, until: deadline)
            case .wantWrite:
                if now >= deadline { return fail(TCULinkError(.handshakeTimeout)) }
                return .wait(.writable, until: deadline)
            case .complete(let tls13):
                if !tls13 {
                    // TLS 1.2: the server's Finished came after it judged our certificate.
                    state = .established(.implicitInTLS12)
                    return .reportEstablished(.implicitInTLS12)
                }
                if !confirmAcceptance {
                    state = .established(.unconfirmed)
                    return .reportEstablished(.unconfirmed)
                }
                state = .confirming(deadline: now + UInt64(timeouts.acceptance))
                return .checkAcceptance
            case .failed(let error):
                return fail(error)
            }
        case .idle, .connecting, .confirming, .established, .closed:
            return .none
        }
    }

    /// The engine looked for the server's verdict on our certificate (TLS 1.3).
    mutating func acceptanceChecked(_ step: AcceptanceStep, now: UInt64) -> ConnectionAction {
        switch state {
        case .confirming(let deadline):
            switch step {
            case .pending:
                if now >= deadline {
                    state = .established(.unconfirmed)
                    return .reportEstablished(.unconfirmed)
                }
                return .wait(.readable, until: deadline)
            case .pendingWrite:
                if now >= deadline {
                    state = .established(.unconfirmed)
                    return .reportEstablished(.unconfirmed)
                }
                return .wait(.writable, until: deadline)
            case .confirmed(let acceptance):
                state = .established(acceptance)
                return .reportEstablished(acceptance)
            case .rejected(let error):
                return fail(error)
            }
        case .idle, .connecting, .handshaking, .established, .closed:
            return .none
        }
    }

    /// A wait ended (the transport became ready, or time passed): retry or time out.
    mutating func tick(now: UInt64) -> ConnectionAction {
        switch state {
        case .connecting(let deadline):
            return now >= deadline ? fail(TCULinkError(.connectTimeout)) : .pollTransportConnect
        case .handshaking(let deadline):
            return now >= deadline ? fail(TCULinkError(.handshakeTimeout)) : .stepHandshake
        case .confirming(let deadline):
            if now >= deadline {
                state = .established(.unconfirmed)
                return .reportEstablished(.unconfirmed)
            }
            return .checkAcceptance
        case .idle, .established, .closed:
            return .none
        }
    }

    /// Sending or receiving application data failed, or the peer closed.
    mutating func connectionFailed(_ error: TCULinkError) -> ConnectionAction {
        switch state {
        case .connecting, .handshaking, .confirming, .established:
            return fail(error)
        case .idle, .closed:
            return .none
        }
    }

    /// The peer closed the session in order (close_notify) while established: answer with ours
    /// and close the transport.
    mutating func peerClosed() -> ConnectionAction {
        switch state {
        case .established:
            state = .closed(nil)
            return .shutdownAndClose
        case .idle, .connecting, .handshaking, .confirming, .closed:
            return .none
        }
    }

    /// The application closes the connection.
    mutating func closeRequested() -> ConnectionAction {
        switch state {
        case .idle:
            state = .closed(nil)
            return .none
        case .connecting, .handshaking, .confirming:
            state = .closed(nil)
            return .abortAndClose
        case .established:
            state = .closed(nil)
            return .shutdownAndClose
        case .closed:
            return .none
        }
    }

    private mutating func fail(_ error: TCULinkError) -> ConnectionAction {
        state = .closed(error)
        return .failAndClose(error)
    }
}

/// What the machine asks the engine to do next.
enum ConnectionAction: Equatable, Sendable {
    case none
    case openTransport
    case pollTransportConnect
    /// Wait until the transport is ready for `interest` or the monotonic clock reaches `until`, then `tick`.
    case wait(ReadinessInterest, until: UInt64)
    case stepHandshake
    case checkAcceptance
    case reportEstablished(Acceptance)
    case failAndClose(TCULinkError)
    /// Send close_notify, then close the transport.
    case shutdownAndClose
    /// Close the transport without a TLS goodbye (the handshake never finished).
    case abortAndClose
}

/// The outcome of one `wolfSSL_connect` call.
enum HandshakeStep: Equatable, Sendable {
    case wantRead
    case wantWrite
    case complete(tls13: Bool)
    case failed(TCULinkError)
}

/// What the server has shown of its verdict on our certificate.
enum AcceptanceStep: Equatable, Sendable {
    case pending
    /// Not yet, and our own last flight (the Finished) has not all gone out: the server cannot
    /// answer before it has, so wait until the transport takes more, not for the server.
    case pendingWrite
    case confirmed(Acceptance)
    case rejected(TCULinkError)
}

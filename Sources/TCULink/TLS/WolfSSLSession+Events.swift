/// What each wolfSSL call of the handshake came to, as an event for `ConnectionStateMachine`.
extension WolfSSLSession {
    /// One `wolfSSL_connect` call.
    func handshakeStep(allowing versions: TLSVersionPolicy) -> HandshakeStep {
        switch handshake() {
        case .done:
            if let refusal = refusalOfCompletedHandshake(allowing: versions) { return .failed(refusal) }
            return .complete(tls13: negotiatedTLS13)
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closedByPeer(let code), .failed(let code): return .failed(failure(code))
        }
    }

    /// Belt and braces over wolfSSL's own verdict: a full handshake counts only if the path
    /// validator accepted the server's chain in it (a server with no certificate, or a future
    /// wolfSSL default that skips verification, must not pass), and the server chose a suite
    /// the device offered. A resumed session was authenticated by the full handshake that made it.
    private func refusalOfCompletedHandshake(allowing versions: TLSVersionPolicy) -> TCULinkError? {
        if !resumed && !callbacks.serverChainAccepted {
            return callbacks.verificationFailure ?? TCULinkError(.serverSentNoCertificate)
        }
        let suite = cipherSuiteNumber
        if !CipherSuites.allows(suite, for: versions) {
            return TCULinkError(.cipherSuiteNotAllowed, libraryCode: Int32(suite))
        }
        return nil
    }

    /// Reads once to see whether the server sent a ticket, data, or an alert.
    func acceptanceStep() -> AcceptanceStep {
        let outcome = readAheadOnce()
        switch outcome {
        case .done: return .confirmed(.applicationData)
        case .wantRead, .wantWrite:
            if callbacks.sessionTicketReceived { return .confirmed(.sessionTicket) }
            // Our Finished may still be partly in wolfSSL's output buffer (a slow link took only
            // part of it): then the server is waiting for us, and waiting to read would only run
            // out the clock (it did, on a bandwidth-capped link: FaultInjectionTests).
            return outcome == .wantWrite ? .pendingWrite : .pending
        case .closedByPeer(let code): return .rejected(TCULinkError(.connectionClosed, libraryCode: code))
        case .failed(let code): return .rejected(failure(code))
        }
    }
}

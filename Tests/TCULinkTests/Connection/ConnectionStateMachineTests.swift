import Testing

@testable import TCULink

/// Every state and transition of the connection, driven as plain event sequences.
@Suite struct ConnectionStateMachineTests {
    let timeouts = ConnectionTimeouts(connect: 1_000, handshake: 5_000, acceptance: 500)

    func machine(confirm: Bool = true) -> ConnectionStateMachine {
        ConnectionStateMachine(timeouts: timeouts, confirmAcceptance: confirm)
    }

    /// Brings a machine to the handshaking state at t = 10 (handshake deadline 5_010).
    func handshaking() -> ConnectionStateMachine {
        var state = machine()
        _ = state.start(now: 0)
        _ = state.transportConnect(.connected, now: 10)
        return state
    }

    @Test func startOpensTheTransportOnce() {
        var state = machine()
        #expect(state.start(now: 0) == .openTransport)
        #expect(state.start(now: 1) == .none)
        #expect(state.state == .connecting(deadline: 1_000))
    }

    @Test func connectInProgressWaitsForWritableUntilTheDeadline() {
        var state = machine()
        _ = state.start(now: 0)
        #expect(state.transportConnect(.inProgress, now: 10) == .wait(.writable, until: 1_000))
        #expect(state.tick(now: 500) == .pollTransportConnect)
        #expect(state.transportConnect(.connected, now: 600) == .stepHandshake)
        #expect(state.state == .handshaking(deadline: 5_600))
    }

    @Test func connectTimesOut() {
        var state = machine()
        _ = state.start(now: 0)
        _ = state.transportConnect(.inProgress, now: 10)
        #expect(state.tick(now: 1_000) == .failAndClose(TCULinkError(.connectTimeout)))
        #expect(state.failure == TCULinkError(.connectTimeout))
        #expect(state.isClosed)
    }

    @Test func connectStillInProgressAtTheDeadlineTimesOut() {
        var state = machine()
        _ = state.start(now: 0)
        #expect(state.transportConnect(.inProgress, now: 1_001) == .failAndClose(TCULinkError(.connectTimeout)))
    }

    @Test(arguments: [
        (TransportFailure.refused, TCULinkError.Reason.connectionRefused),
        (.reset, .connectionReset),
        (.unreachable, .hostUnreachable),
        (.nameResolution, .nameResolutionFailed),
        (.timedOut, .connectTimeout),
        (.other, .transportFailed),
    ])
    func transportFailuresMapToTheirReason(failure: TransportFailure, reason: TCULinkError.Reason) {
        var state = machine()
        _ = state.start(now: 0)
        #expect(state.transportConnect(.failed(failure), now: 5) == .failAndClose(TCULinkError(reason)))
        #expect(state.failure?.reason == reason)
    }

    @Test func handshakeWaitsForReadAndWrite() {
        var state = handshaking()
        #expect(state.handshakeStepped(.wantRead, now: 20) == .wait(.readable, until: 5_010))
        #expect(state.tick(now: 30) == .stepHandshake)
        #expect(state.handshakeStepped(.wantWrite, now: 40) == .wait(.writable, until: 5_010))
    }

    @Test func handshakeTimesOutOnTick() {
        var state = handshaking()
        _ = state.handshakeStepped(.wantRead, now: 20)
        #expect(state.tick(now: 5_010) == .failAndClose(TCULinkError(.handshakeTimeout)))
        #expect(state.failure == TCULinkError(.handshakeTimeout))
    }

    @Test func handshakeTimesOutWhenAStepLandsPastTheDeadline() {
        var state = handshaking()
        #expect(state.handshakeStepped(.wantRead, now: 6_000) == .failAndClose(TCULinkError(.handshakeTimeout)))
        state = handshaking()
        #expect(state.handshakeStepped(.wantWrite, now: 6_000) == .failAndClose(TCULinkError(.handshakeTimeout)))
    }

    @Test func tls12CompletionIsEstablishedAtOnce() {
        var state = handshaking()
        #expect(state.handshakeStepped(.complete(tls13: false), now: 50) == .reportEstablished(.implicitInTLS12))
        #expect(state.isEstablished)
        #expect(state.acceptance == .implicitInTLS12)
    }

    @Test func acceptanceWaitsToWriteWhileOurFinishedIsStillGoingOut() {
        var state = handshaking()
        #expect(state.handshakeStepped(.complete(tls13: true), now: 50) == .checkAcceptance)
        #expect(state.acceptanceChecked(.pendingWrite, now: 60) == .wait(.writable, until: 550))
        #expect(state.acceptanceChecked(.pendingWrite, now: 600) == .reportEstablished(.unconfirmed))
    }

    @Test func tls13CompletionWaitsForProofOfAcceptance() {
        var state = handshaking()
        #expect(state.handshakeStepped(.complete(tls13: true), now: 50) == .checkAcceptance)
        #expect(!state.isEstablished)
        #expect(state.acceptanceChecked(.pending, now: 60) == .wait(.readable, until: 550))
        #expect(state.tick(now: 100) == .checkAcceptance)
        #expect(state.acceptanceChecked(.confirmed(.sessionTicket), now: 110) == .reportEstablished(.sessionTicket))
        #expect(state.acceptance == .sessionTicket)
    }

    @Test func tls13ApplicationDataConfirmsAcceptance() {
        var state = handshaking()
        _ = state.handshakeStepped(.complete(tls13: true), now: 50)
        #expect(state.acceptanceChecked(.confirmed(.applicationData), now: 60) == .reportEstablished(.applicationData))
    }

    @Test func tls13RefusalAfterFinishedIsReportedAsTheServersRejection() {
        var state = handshaking()
        _ = state.handshakeStepped(.complete(tls13: true), now: 50)
        let refusal = TCULinkError(.peerRejectedCertificate, alert: .unknownCA)
        #expect(state.acceptanceChecked(.rejected(refusal), now: 60) == .failAndClose(refusal))
        #expect(state.failure == refusal)
        #expect(!state.isEstablished)
    }

    @Test func tls13SilenceEndsUnconfirmedNotFailed() {
        var state = handshaking()
        _ = state.handshakeStepped(.complete(tls13: true), now: 50)
        #expect(state.tick(now: 550) == .reportEstablished(.unconfirmed))
        #expect(state.acceptance == .unconfirmed)

        state = handshaking()
        _ = state.handshakeStepped(.complete(tls13: true), now: 50)
        #expect(state.acceptanceChecked(.pending, now: 600) == .reportEstablished(.unconfirmed))
    }

    @Test func tls13WithoutConfirmationIsUnconfirmed() {
        var state = machine(confirm: false)
        _ = state.start(now: 0)
        _ = state.transportConnect(.connected, now: 1)
        #expect(state.handshakeStepped(.complete(tls13: true), now: 2) == .reportEstablished(.unconfirmed))
    }

    @Test func handshakeFailureCarriesItsReason() {
        var state = handshaking()
        let failure = TCULinkError(.serverNameMismatch, certificateDepth: 0)
        #expect(state.handshakeStepped(.failed(failure), now: 20) == .failAndClose(failure))
        #expect(state.failure?.reason == .serverNameMismatch)
    }

    @Test func closeFromEachState() {
        var idle = machine()
        #expect(idle.closeRequested() == .none)
        #expect(idle.isClosed && idle.failure == nil)

        var connecting = machine()
        _ = connecting.start(now: 0)
        #expect(connecting.closeRequested() == .abortAndClose)

        var shaking = handshaking()
        #expect(shaking.closeRequested() == .abortAndClose)

        var confirming = handshaking()
        _ = confirming.handshakeStepped(.complete(tls13: true), now: 20)
        #expect(confirming.closeRequested() == .abortAndClose)

        var established = handshaking()
        _ = established.handshakeStepped(.complete(tls13: false), now: 20)
        #expect(established.closeRequested() == .shutdownAndClose)
        #expect(established.closeRequested() == .none)
        #expect(established.failure == nil)
    }

    @Test func failureWhileEstablishedClosesWithTheReason() {
        var state = handshaking()
        _ = state.handshakeStepped(.complete(tls13: false), now: 20)
        let reset = TCULinkError(.connectionReset)
        #expect(state.connectionFailed(reset) == .failAndClose(reset))
        #expect(state.failure == reset)
        #expect(state.connectionFailed(reset) == .none)
    }

    @Test func thePeersCloseNotifyIsAnsweredAndClosesCleanly() {
        var state = handshaking()
        _ = state.handshakeStepped(.complete(tls13: false), now: 20)
        #expect(state.peerClosed() == .shutdownAndClose)
        #expect(state.isClosed && state.failure == nil)
        #expect(state.status(report: nil) == .closed)
        #expect(state.peerClosed() == .none)
        var shaking = handshaking()
        #expect(shaking.peerClosed() == .none)  // mid-handshake, a close is a failed step instead
        #expect(!shaking.isClosed)
    }

    @Test func eachPhaseStopsIOAtItsOwnDeadline() {
        var state = machine()
        #expect(!state.isPastDeadline(now: 1_000_000))  // idle: nothing to wait for
        _ = state.start(now: 0)
        #expect(!state.isPastDeadline(now: 999))
        #expect(state.isPastDeadline(now: 1_000))
        #expect(state.status(report: nil) == .waiting(.writable, until: 1_000))
        _ = state.transportConnect(.connected, now: 100)
        #expect(!state.isPastDeadline(now: 1_000))  // the handshake has its own limit
        #expect(state.isPastDeadline(now: 5_100))
        #expect(state.status(report: nil) == .waiting(.readable, until: 5_100))
        _ = state.handshakeStepped(.complete(tls13: false), now: 200)
        #expect(!state.isPastDeadline(now: 1_000_000))
        #expect(state.status(report: nil) == .failed(TCULinkError(.invalidState)))  // established, no report yet
    }

    @Test func eventsOutOfPlaceChangeNothing() {
        var state = machine()
        #expect(state.transportConnect(.connected, now: 0) == .none)
        #expect(state.handshakeStepped(.wantRead, now: 0) == .none)
        #expect(state.acceptanceChecked(.pending, now: 0) == .none)
        #expect(state.tick(now: 0) == .none)
        #expect(state.connectionFailed(TCULinkError(.connectionReset)) == .none)
        #expect(state.state == .idle)

        var established = handshaking()
        _ = established.handshakeStepped(.complete(tls13: false), now: 20)
        #expect(established.tick(now: 99_999) == .none)
        #expect(established.handshakeStepped(.wantRead, now: 30) == .none)
        #expect(established.isEstablished)

        var closed = machine()
        _ = closed.start(now: 0)
        _ = closed.transportConnect(.failed(.refused), now: 1)
        #expect(closed.start(now: 2) == .none)
        #expect(closed.tick(now: 3) == .none)
        #expect(closed.failure?.reason == .connectionRefused)
    }
}

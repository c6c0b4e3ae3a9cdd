import CWolfSSL

/// A mutual-TLS client over wolfSSL, driven through the board's HAL.
///
/// Firmware drives it without threads or blocking: call `step()` from the main loop until it
/// answers `.established` or `.failed`; `.waiting` says what the connection waits for and until
/// when. Hosts may call the blocking `connect()` (TLSClient+Blocking.swift).
///
/// What happens on each event is decided in `ConnectionStateMachine` alone; `perform` carries
/// out its actions, `WolfSSLSession` talks to wolfSSL, and the callback overrides below put the
/// HAL behind wolfSSL.
public final class TLSClient<T: Transport, K: KeyStore, C: Clock>: WolfSSLCallbackTarget {
    public internal(set) var transport: T  // the blocking helpers wait on it
    public private(set) var keyStore: K
    public let clock: C
    public let configuration: ClientConfiguration
    public private(set) var report: ConnectionReport?

    private var machine: ConnectionStateMachine
    private let sharedContext: TLSContext
    private var session: WolfSSLSession?
    /// A saved session to resume; zeroed and dropped once handed to wolfSSL (a resumption secret).
    private var resumption: [UInt8]?
    private var startedAt: UInt64 = 0

    /// - Parameter resumption: a session saved by an earlier connection (`sessionForResumption()`,
    ///   kept in the persistent store across reboots). A session the server no longer accepts
    ///   costs nothing but a full handshake.
    /// - Parameter context: the device identity already loaded (`TLSContext`), shared by
    ///   successive connections; nil builds one for this connection alone. It must have been
    ///   made for the same versions and the same choice of presenting a certificate.
    ///
    /// A convenience initializer, so that a refusal comes before the object exists (see `TLSContext.init`).
    public convenience init(
        configuration: ClientConfiguration, transport: T, keyStore: K, clock: C, resumption: [UInt8]? = nil,
        context: TLSContext? = nil
    ) throws(TCULinkError) {
        guard !configuration.host.isEmpty, !configuration.serverName.isEmpty, configuration.port != 0 else {
            throw TCULinkError(.invalidConfiguration)
        }
        let sharedContext = try TLSContext.forConnection(
            configuration, shared: context, certificateChain: keyStore.certificateChain,
            trustAnchors: keyStore.trustAnchors)
        self.init(
            configuration: configuration, transport: transport, keyStore: keyStore, clock: clock,
            resumption: resumption, sharedContext: sharedContext)
    }

    private init(
        configuration: ClientConfiguration, transport: T, keyStore: K, clock: C, resumption: [UInt8]?,
        sharedContext: TLSContext
    ) {
        self.sharedContext = sharedContext
        self.transport = transport
        self.keyStore = keyStore
        self.clock = clock
        self.configuration = configuration
        self.resumption = resumption
        self.machine = ConnectionStateMachine(
            timeouts: configuration.timeouts, confirmAcceptance: configuration.confirmAcceptance)
    }

    deinit {
        session = nil
        transport.close()
    }

    // MARK: - Events in, actions out

    /// Advances the connection as far as it can without waiting.
    public func step() -> ClientStatus {
        if case .idle = machine.state {
            startedAt = now()
            return perform(machine.start(now: startedAt))
        }
        return perform(machine.tick(now: now()))
    }

    /// Carries out the machine's action and feeds each result back to it, until it asks to wait
    /// or has settled: the one place the connection does anything.
    @discardableResult
    private func perform(_ first: ConnectionAction) -> ClientStatus {
        var action = first
        while true {
            switch action {
            case .none:
                return status
            case .openTransport:
                action = machine.transportConnect(
                    transport.connect(host: configuration.host, port: configuration.port), now: now())
            case .pollTransportConnect:
                action = machine.transportConnect(transport.pollConnect(), now: now())
            case .wait(let interest, let until):
                return .waiting(interest, until: until)
            case .stepHandshake:
                var step: HandshakeStep
                do throws(TCULinkError) {
                    step = try openSession().handshakeStep(allowing: configuration.versions)
                } catch {
                    step = .failed(error)
                }
                action = machine.handshakeStepped(step, now: now())
            case .checkAcceptance:
                let step = session?.acceptanceStep() ?? .rejected(TCULinkError(.invalidState))
                action = machine.acceptanceChecked(step, now: now())
            case .reportEstablished(let acceptance):
                report = ConnectionReport(
                    session: session, acceptance: acceptance, callbacks: self,
                    handshakeMilliseconds: now() - startedAt)
                return status
            case .shutdownAndClose:
                session?.shutdown()
                fallthrough
            case .failAndClose, .abortAndClose:
                session = nil
                transport.close()
                return status
            }
        }
    }

    /// Where the connection stands, without advancing it.
    public var status: ClientStatus { machine.status(report: report) }

    /// Why the connection failed, if it did.
    public var failure: TCULinkError? { machine.failure }

    /// Whether the handshake is done and the connection open: application data may flow.
    public var isEstablished: Bool { machine.isEstablished }

    /// Closes the connection (with close_notify when established). Safe to call twice.
    public func close() { perform(machine.closeRequested()) }

    // MARK: - Application data

    /// Sends what it can of `bytes` now; returns how many were taken (0 = try again later).
    public func send(_ bytes: UnsafeRawBufferPointer) throws(TCULinkError) -> Int {
        guard machine.isEstablished, let session else { throw machine.failure ?? TCULinkError(.invalidState) }
        guard bytes.count > 0 else { return 0 }
        switch session.write(bytes) {
        case .done(let count): return count
        case .wantRead, .wantWrite: return 0
        case .closedByPeer(let code): throw ended(by: TCULinkError(.connectionClosed, libraryCode: code))
        case .failed(let code): throw ended(by: session.failure(code, established: true))
        }
    }

    /// Receives what has arrived, without waiting. After the peer's close_notify (answered with
    /// ours) or `close()`, `.closed`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> ReceiveResult {
        if machine.isClosed && machine.failure == nil { return .closed }
        guard machine.isEstablished, let session else { throw machine.failure ?? TCULinkError(.invalidState) }
        guard buffer.count > 0 else { return .wouldBlock }
        switch session.read(into: buffer) {
        case .done(let count): return .received(count)
        case .wantRead, .wantWrite: return .wouldBlock
        case .closedByPeer:
            perform(machine.peerClosed())
            return .closed
        case .failed(let code): throw ended(by: session.failure(code, established: true))
        }
    }

    private func ended(by error: TCULinkError) -> TCULinkError {
        perform(machine.connectionFailed(error))
        return error
    }

    /// The session to resume next time (with its ticket), serialized; nil when there is none.
    /// In TLS 1.3 the ticket arrives after the handshake: ask after `.sessionTicket` acceptance or a read.
    /// Only a full handshake's session is offered: a server may not carry the client's certificate
    /// into tickets it issues on resumed connections (wolfSSL's does not), so keep the first one.
    public func sessionForResumption() -> [UInt8]? {
        guard report?.resumed != true, machine.isEstablished, let session else { return nil }
        return session.serialized()
    }

    func now() -> UInt64 { clock.monotonicMilliseconds() }

    /// This connection's wolfSSL session, made at the first handshake step.
    private func openSession() throws(TCULinkError) -> WolfSSLSession {
        if let session { return session }
        let made = try WolfSSLSession(
            sharedContext: sharedContext, configuration: configuration, callbacks: self, resumption: &resumption)
        session = made
        return made
    }

    // MARK: - Callback overrides: the HAL behind wolfSSL

    /// The most one wolfSSL call of an established connection reads before it gives control back:
    /// two records of the largest size. wolfSSL reads on while records bring no application data, so
    /// a server that floods empty records or KeyUpdates kept one `receive` from returning, and the
    /// caller's time limit with it (Tests/Hostile, zero-length-appdata-flood, keyupdate-flood). Past
    /// the budget the call answers "would block" and wolfSSL resumes where it stopped next time.
    static var receiveBudget: Int { 2 * (16_384 + 2_048 + 5) }

    override func transportReceive(into buffer: UnsafeMutableRawBufferPointer) -> TransportIO {
        if machine.isPastDeadline(now: now()) { return .wouldBlock }
        if machine.isEstablished && receivedThisCall >= Self.receiveBudget { return .wouldBlock }
        return transport.receive(into: buffer)
    }

    override func transportSend(_ bytes: UnsafeRawBufferPointer) -> TransportIO {
        machine.isPastDeadline(now: now()) ? .wouldBlock : transport.send(bytes)
    }

    override func keyStoreSign(
        _ request: SigningRequest, input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(KeyStoreError) -> Int {
        try keyStore.sign(request, input: input, into: output)
    }

    override func trustVerifiedAuthority(_ der: [UInt8]) { session?.trustVerifiedAuthority(der) }

    override func judgeServerChain(_ presented: [[UInt8]]) -> TCULinkError? {
        PathValidator.validate(
            presented: presented, trustAnchors: sharedContext.trustAnchors, policy: configuration.policy,
            at: clock.wallTime())
    }
}

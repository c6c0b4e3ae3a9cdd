import CWolfSSL

/// A mutual-TLS client over wolfSSL, driven through the board's HAL.
///
/// Firmware drives it without threads or blocking: call `step()` from the main
/// loop until it answers `.established` or `.failed`; `.waiting` says what the
/// connection waits for and until when. Hosts may call the blocking `connect()`.
///
/// The connection's logic lives in `ConnectionStateMachine`; this class only
/// performs the actions the machine returns.
public final class TLSClient<T: Transport, K: KeyStore, C: Clock>: WolfSSLCallbackTarget {
    public private(set) var transport: T
    public private(set) var keyStore: K
    public let clock: C
    public let configuration: ClientConfiguration

    private let policy: ServerCertificatePolicy
    private var machine: ConnectionStateMachine
    private let sharedContext: TLSContext
    /// This connection's own context, where wolfSSL has no per-connection stores (see
    /// `TLSContext.copyForOneConnection`); freed after the session.
    private var privateContext: TLSContext?
    private var context: OpaquePointer { (privateContext ?? sharedContext).pointer }
    private var session: OpaquePointer?
    /// This connection's certificate store (owned by `session` once attached), when wolfSSL has them.
    private var connectionStore: UnsafeMutableRawPointer?
    private var startedAt: UInt64 = 0
    private var pendingAction: ConnectionAction?
    /// Application data that arrived while we looked for the server's verdict.
    private var pendingData: [UInt8] = []
    public private(set) var report: ConnectionReport?
    /// A saved session (from `sessionForResumption()` of an earlier connection) to resume.
    /// Zeroed and dropped once handed to wolfSSL: it holds a resumption secret.
    private var resumption: [UInt8]?

    /// - Parameter resumption: a session saved by an earlier connection (`sessionForResumption()`,
    ///   kept in the persistent store across reboots). A session the server no longer accepts
    ///   costs nothing but a full handshake.
    /// - Parameter context: the device identity already loaded (`TLSContext`), shared by
    ///   successive connections; nil builds one for this connection alone. It must have been
    ///   made for the same versions and the same choice of presenting a certificate.
    public init(
        configuration: ClientConfiguration, transport: T, keyStore: K, clock: C, resumption: [UInt8]? = nil,
        context: TLSContext? = nil
    ) throws(TCULinkError) {
        guard !configuration.host.isEmpty, !configuration.serverName.isEmpty, configuration.port != 0 else {
            throw TCULinkError(.invalidConfiguration)
        }
        if let context {
            guard context.versions == configuration.versions,
                context.presentsCertificate == !configuration.withoutClientCertificate
            else { throw TCULinkError(.invalidConfiguration) }
            self.sharedContext = context
        } else {
            self.sharedContext = try TLSContext(
                certificateChain: keyStore.certificateChain, trustAnchors: keyStore.trustAnchors,
                versions: configuration.versions,
                presentCertificate: !configuration.withoutClientCertificate)
        }
        self.transport = transport
        self.keyStore = keyStore
        self.clock = clock
        self.configuration = configuration
        self.resumption = resumption
        self.policy = configuration.policy
        self.machine = ConnectionStateMachine(
            timeouts: configuration.timeouts, confirmAcceptance: configuration.confirmAcceptance)
    }

    deinit {
        if let session { wolfSSL_free(session) }
        transport.close()
    }

    // MARK: - Driving the connection

    /// Advances the connection as far as it can without waiting.
    public func step() -> ClientStatus {
        var action: ConnectionAction
        if let pending = pendingAction {
            action = pending
            pendingAction = nil
        } else if case .idle = machine.state {
            startedAt = clock.monotonicMilliseconds()
            action = machine.start(now: startedAt)
        } else {
            action = machine.tick(now: clock.monotonicMilliseconds())
        }
        while true {
            switch action {
            case .none:
                return status
            case .openTransport:
                let progress = transport.connect(host: configuration.host, port: configuration.port)
                action = machine.transportConnect(progress, now: clock.monotonicMilliseconds())
            case .pollTransportConnect:
                action = machine.transportConnect(transport.pollConnect(), now: clock.monotonicMilliseconds())
            case .wait(let interest, let until):
                return .waiting(interest, until: until)
            case .stepHandshake:
                let step = handshakeStep()
                action = machine.handshakeStepped(step, now: clock.monotonicMilliseconds())
            case .checkAcceptance:
                let step = acceptanceStep()
                action = machine.acceptanceChecked(step, now: clock.monotonicMilliseconds())
            case .reportEstablished(let acceptance):
                report = makeReport(acceptance)
                return status
            case .failAndClose:
                tearDown(sendCloseNotify: false)
                return status
            case .shutdownAndClose:
                tearDown(sendCloseNotify: true)
                return status
            case .abortAndClose:
                tearDown(sendCloseNotify: false)
                return status
            }
        }
    }

    /// Where the connection stands, without advancing it.
    public var status: ClientStatus {
        switch machine.state {
        case .idle: return .idle
        case .connecting(let deadline):
            return .waiting(.writable, until: deadline)
        case .handshaking(let deadline), .confirming(let deadline):
            return .waiting(.readable, until: deadline)
        case .established:
            if let report { return .established(report) }
            return .failed(TCULinkError(.invalidState))
        case .closed(let error):
            if let error { return .failed(error) }
            return .closed
        }
    }

    /// Connects, waiting on the transport between steps. For hosts and RTOS tasks;
    /// a super-loop firmware calls `step()` instead.
    public func connect() throws(TCULinkError) -> ConnectionReport {
        while true {
            switch step() {
            case .waiting(let interest, let until):
                transport.waitUntilReady(interest, timeoutMilliseconds: remaining(until))
            case .established(let report):
                return report
            case .failed(let error):
                throw error
            case .idle, .closed:
                throw TCULinkError(.invalidState)
            }
        }
    }

    // MARK: - Application data

    /// Sends what it can of `bytes` now; returns how many were taken (0 = try again later).
    public func send(_ bytes: UnsafeRawBufferPointer) throws(TCULinkError) -> Int {
        guard machine.isEstablished, let session else { throw machine.failure ?? TCULinkError(.invalidState) }
        guard bytes.count > 0 else { return 0 }
        let count = Int32(clamping: bytes.count)
        let written = wolfSSL_write(session, bytes.baseAddress, count)
        if written > 0 { return Int(written) }
        let code = wolfSSL_get_error(session, written)
        if code == wolfCode(WOLFSSL_ERROR_WANT_WRITE) || code == wolfCode(WOLFSSL_ERROR_WANT_READ) { return 0 }
        throw failConnection(code)
    }

    /// Receives what has arrived, without waiting.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> ReceiveResult {
        guard machine.isEstablished, let session else { throw machine.failure ?? TCULinkError(.invalidState) }
        guard buffer.count > 0 else { return .wouldBlock }
        if !pendingData.isEmpty {
            let count = min(buffer.count, pendingData.count)
            for index in 0..<count { buffer[index] = pendingData[index] }
            pendingData.removeFirst(count)
            return .received(count)
        }
        let read = wolfSSL_read(session, buffer.baseAddress, Int32(clamping: buffer.count))
        if read > 0 { return .received(Int(read)) }
        let code = wolfSSL_get_error(session, read)
        if code == wolfCode(WOLFSSL_ERROR_WANT_READ) || code == wolfCode(WOLFSSL_ERROR_WANT_WRITE) || code == 0 {
            return .wouldBlock
        }
        if code == wolfCode(WOLFSSL_ERROR_ZERO_RETURN) { return .closed }
        throw failConnection(code)
    }

    /// Sends all of `bytes`, waiting on the transport; fails after `timeoutMilliseconds`.
    public func sendAll(_ bytes: [UInt8], timeoutMilliseconds: UInt32) throws(TCULinkError) {
        let deadline = clock.monotonicMilliseconds() + UInt64(timeoutMilliseconds)
        var offset = 0
        while offset < bytes.count {
            var result: Result<Int, TCULinkError> = .success(0)
            bytes.withUnsafeBytes { raw in
                do throws(TCULinkError) {
                    result = .success(try send(UnsafeRawBufferPointer(rebasing: raw[offset...])))
                } catch {
                    result = .failure(error)
                }
            }
            let sent = try result.get()
            offset += sent
            if sent == 0 {
                if clock.monotonicMilliseconds() >= deadline { throw TCULinkError(.ioTimeout) }
                transport.waitUntilReady(.writable, timeoutMilliseconds: remaining(deadline))
            }
        }
    }

    /// Waits up to `timeoutMilliseconds` for data; `.wouldBlock` means none came in time.
    public func receive(
        into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: UInt32
    ) throws(TCULinkError) -> ReceiveResult {
        let deadline = clock.monotonicMilliseconds() + UInt64(timeoutMilliseconds)
        while true {
            let result = try receive(into: buffer)
            if result != .wouldBlock { return result }
            if clock.monotonicMilliseconds() >= deadline { return .wouldBlock }
            transport.waitUntilReady(.readable, timeoutMilliseconds: remaining(deadline))
        }
    }

    /// Closes the connection (with close_notify when established). Safe to call twice.
    public func close() {
        switch machine.closeRequested() {
        case .shutdownAndClose: tearDown(sendCloseNotify: true)
        case .abortAndClose, .failAndClose: tearDown(sendCloseNotify: false)
        case .none, .openTransport, .pollTransportConnect, .wait, .stepHandshake, .checkAcceptance,
            .reportEstablished:
            break
        }
    }

    /// Why the connection failed, if it did.
    public var failure: TCULinkError? { machine.failure }

    /// The session to resume next time (with its ticket), serialized; nil when there is none.
    /// In TLS 1.3 the ticket arrives after the handshake: ask after `.sessionTicket` acceptance or a read.
    /// Only a full handshake's session is offered: a server may not carry the client's certificate
    /// into tickets it issues on resumed connections (wolfSSL's does not), so keep the first one.
    public func sessionForResumption() -> [UInt8]? {
        guard report?.resumed != true else { return nil }
        guard let session, machine.isEstablished, let saved = wolfSSL_get1_session(session) else { return nil }
        defer { wolfSSL_SESSION_free(saved) }
        guard wolfSSL_SESSION_has_ticket(saved) == 1 else { return nil }
        let length = wolfSSL_i2d_SSL_SESSION(saved, nil)
        guard length > 0, length < 16 * 1024 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return wolfSSL_i2d_SSL_SESSION(saved, &cursor)
        }
        return written == length ? bytes : nil
    }

    // MARK: - Callback overrides: the HAL behind wolfSSL

    override func transportReceive(into buffer: UnsafeMutableRawBufferPointer) -> TransportIO {
        if pastDeadline() { return .wouldBlock }
        return transport.receive(into: buffer)
    }

    override func transportSend(_ bytes: UnsafeRawBufferPointer) -> TransportIO {
        if pastDeadline() { return .wouldBlock }
        return transport.send(bytes)
    }

    /// A peer that trickles data keeps wolfSSL inside one `wolfSSL_connect` call; answering
    /// "would block" once the deadline has passed hands control back, and the state machine
    /// then reports the timeout. Nothing waits past its limit.
    private func pastDeadline() -> Bool {
        switch machine.state {
        case .connecting(let deadline), .handshaking(let deadline), .confirming(let deadline):
            return clock.monotonicMilliseconds() >= deadline
        case .idle, .established, .closed:
            return false
        }
    }

    override func keyStoreSign(
        _ request: SigningRequest, input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(KeyStoreError) -> Int {
        try keyStore.sign(request, input: input, into: output)
    }

    override func trustVerifiedAuthority(_ der: [UInt8]) {
        if let privateContext {
            _ = der.withUnsafeBufferPointer {
                wolfSSL_CTX_load_verify_buffer_ex(
                    privateContext.pointer, $0.baseAddress, $0.count, Int32(WOLFSSL_FILETYPE_ASN1), 0,
                    UInt32(WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY))
            }
        } else if let connectionStore {
            _ = der.withUnsafeBufferPointer {
                tcu_connection_store_add_anchor(connectionStore, $0.baseAddress, $0.count)
            }
        }
    }

    override func judgeServerChain(_ presented: [[UInt8]]) -> TCULinkError? {
        PathValidator.validate(
            presented: presented, trustAnchors: sharedContext.trustAnchors, policy: policy, at: clock.wallTime())
    }

    // MARK: - Actions

    private func handshakeStep() -> HandshakeStep {
        if session == nil {
            do throws(TCULinkError) {
                session = try makeSession()
            } catch {
                return .failed(error)
            }
        }
        guard let session else { return .failed(TCULinkError(.invalidState)) }
        sendBlocked = false
        let result = wolfSSL_connect(session)
        if result == WOLFSSL_SUCCESS {
            if let refusal = refusalOfCompletedHandshake(session) { return .failed(refusal) }
            return .complete(tls13: wolfSSL_GetVersion(session) == Int32(WOLFSSL_TLSV1_3))
        }
        let code = wolfSSL_get_error(session, result)
        // Output still waiting comes first: the peer answers only once it has it. After a partial
        // write wolfSSL 5.5 may report no error at all, and a bandwidth-capped link then sat waiting
        // to read until the handshake limit (FaultInjectionTests): our own send callback knows.
        if code == wolfCode(WOLFSSL_ERROR_WANT_WRITE) || sendBlocked { return .wantWrite }
        if code == wolfCode(WOLFSSL_ERROR_WANT_READ) || code == 0 { return .wantRead }
        return .failed(WolfSSLErrors.classify(code, session: session, target: self))
    }

    /// Belt and braces over wolfSSL's own verdict: a full handshake counts only if the path
    /// validator accepted the server's chain in it (a server with no certificate, or a future
    /// wolfSSL default that skips verification, must not pass), and the server chose a suite
    /// the device offered. A resumed session was authenticated by the full handshake that made it.
    private func refusalOfCompletedHandshake(_ session: OpaquePointer) -> TCULinkError? {
        if wolfSSL_session_reused(session) != 1 && !serverChainAccepted {
            return verificationFailure ?? TCULinkError(.serverSentNoCertificate)
        }
        let suite = UInt16(truncatingIfNeeded: wolfSSL_get_current_cipher_suite(session))
        if !CipherSuites.allows(suite, for: configuration.versions) {
            return TCULinkError(.cipherSuiteNotAllowed, libraryCode: Int32(suite))
        }
        return nil
    }

    /// The cipher suites this connection's ClientHello offered, as sent; empty before it was sent.
    public var offeredCipherSuites: [String] { offeredSuites.map { ClientHelloSuites.name($0) } }

    /// Reads once to see whether the server sent a ticket, data, or an alert.
    private func acceptanceStep() -> AcceptanceStep {
        guard let session else { return .rejected(TCULinkError(.invalidState)) }
        var buffer = [UInt8](repeating: 0, count: 512)
        sendBlocked = false
        let read = buffer.withUnsafeMutableBytes { wolfSSL_read(session, $0.baseAddress, Int32($0.count)) }
        if read > 0 {
            pendingData += buffer[0..<Int(read)]
            return .confirmed(.applicationData)
        }
        let code = wolfSSL_get_error(session, read)
        if sessionTicketReceived
            && (code == wolfCode(WOLFSSL_ERROR_WANT_READ) || code == wolfCode(WOLFSSL_ERROR_WANT_WRITE) || code == 0)
        {
            return .confirmed(.sessionTicket)
        }
        // Our Finished may still be partly in wolfSSL's output buffer (a slow link took only part
        // of it): then the server is waiting for us, and waiting to read would only run out the
        // clock (it did, on a bandwidth-capped link: FaultInjectionTests).
        if code == wolfCode(WOLFSSL_ERROR_WANT_WRITE) || sendBlocked {
            return .pendingWrite
        }
        // No error with no data is "not yet" too.
        if code == wolfCode(WOLFSSL_ERROR_WANT_READ) || code == 0 {
            return .pending
        }
        if code == wolfCode(WOLFSSL_ERROR_ZERO_RETURN) {
            return .rejected(TCULinkError(.connectionClosed, libraryCode: code))
        }
        return .rejected(WolfSSLErrors.classify(code, session: session, target: self))
    }

    private func makeSession() throws(TCULinkError) -> OpaquePointer {
        if tcu_connection_store_supported() == 0 || configuration.forcePrivateContext {
            privateContext = try sharedContext.copyForOneConnection()
        }
        guard let session = wolfSSL_new(context) else { throw TCULinkError(.outOfMemory) }
        do throws(TCULinkError) {
            try isolateCertificateStore(session)
        } catch {
            wolfSSL_free(session)
            throw error
        }
        let me = opaque
        wolfSSL_SetIOReadCtx(session, me)
        wolfSSL_SetIOWriteCtx(session, me)
        wolfSSL_SetCertCbCtx(session, me)
        wolfSSL_SetEccSignCtx(session, me)
        wolfSSL_SetRsaSignCtx(session, me)
        wolfSSL_SetRsaPssSignCtx(session, me)
        _ = wolfSSL_set_SessionTicket_cb(session, wolfSSLSessionTicketCallback, me)
        _ = wolfSSL_UseSessionTicket(session)  // TLS 1.2 tickets (TLS 1.3 has them anyway)
        if var saved = resumption, !saved.isEmpty {
            saved.withUnsafeBufferPointer { buffer in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                if let decoded = wolfSSL_d2i_SSL_SESSION(nil, &cursor, buffer.count) {
                    _ = wolfSSL_set_session(session, decoded)  // copies; an unusable one means a full handshake
                    wolfSSL_SESSION_free(decoded)
                }
            }
            resumption = nil  // first, so that `saved` holds the only reference and is zeroed in place
            SavedSession.zero(&saved)
        }
        if let fragment = configuration.maxFragmentLength {
            let status = wolfSSL_UseMaxFragment(session, fragment.wolfSSLCode)
            guard status == WOLFSSL_SUCCESS else {
                wolfSSL_free(session)
                throw TCULinkError(.invalidConfiguration, libraryCode: status)
            }
            // With small records the server's NewSessionTicket (~1 KB from OpenSSL, which puts the
            // client's certificate in it) spans several records after the handshake. wolfSSL 5.5
            // reassembles a fragmented handshake message only while it keeps its handshake arrays;
            // board builds free them at the end of the handshake, and the ticket then broke the
            // connection (BoardSupport/POSIX/tests/test_c_api.c, "small records", through wasm2c).
            // Kept, they cost ~1 KB and are zeroed when the connection is freed.
            wolfSSL_KeepArrays(session)
        }
        let name = Array(configuration.serverName.utf8)
        if !HostnameMatcher.isIPLiteral(name) {  // RFC 6066: no SNI for addresses
            let status = name.withUnsafeBufferPointer {
                wolfSSL_UseSNI(session, UInt8(WOLFSSL_SNI_HOST_NAME), $0.baseAddress, UInt16($0.count))
            }
            guard status == WOLFSSL_SUCCESS else {
                wolfSSL_free(session)
                throw TCULinkError(.invalidConfiguration, libraryCode: status)
            }
        }
        return session
    }

    /// Gives the connection a certificate store of its own, holding the trust anchors only, so
    /// that the CAs wolfSSL learns from this server's chain leave with the connection instead of
    /// vouching, from the shared context, for a later server that omits them. Where wolfSSL is
    /// built without the stores (board configurations), the path validator alone refuses that
    /// server: it builds paths only from what the server sent and the anchors, and the connection
    /// has a private context (`makeSession`).
    private func isolateCertificateStore(_ session: OpaquePointer) throws(TCULinkError) {
        guard privateContext == nil else { return }  // its context is its own already
        guard let store = tcu_connection_store_new() else { return }
        for anchor in sharedContext.trustAnchorsDER {
            let status = anchor.withUnsafeBufferPointer {
                tcu_connection_store_add_anchor(store, $0.baseAddress, $0.count)
            }
            guard status == WOLFSSL_SUCCESS else {
                tcu_connection_store_free(store)
                throw TCULinkError(.invalidConfiguration, libraryCode: status)
            }
        }
        let status = tcu_connection_store_attach(session, store)
        guard status == WOLFSSL_SUCCESS else {
            tcu_connection_store_free(store)
            throw TCULinkError(.tlsLibraryError, libraryCode: status)
        }
        connectionStore = store
    }

    private func makeReport(_ acceptance: Acceptance) -> ConnectionReport {
        var version: UInt16 = 0
        var suite = ""
        var resumed = false
        var payloadLimit = 0
        if let session {
            payloadLimit = max(0, Int(wolfSSL_GetMaxOutputSize(session)))
            version = wolfSSL_GetVersion(session) == Int32(WOLFSSL_TLSV1_3) ? 0x0304 : 0x0303
            if let name = wolfSSL_get_cipher_name(session) { suite = String(cString: name) }
            resumed = wolfSSL_session_reused(session) == 1
        }
        return ConnectionReport(
            tlsVersion: version, cipherSuite: suite,
            serverCertificate: serverLeaf.flatMap { X509Certificate(der: $0) },
            handshakeMilliseconds: clock.monotonicMilliseconds() - startedAt,
            acceptance: acceptance, resumed: resumed, handshakeBytesSent: bytesSent,
            handshakeBytesReceived: bytesReceived, recordPayloadLimit: payloadLimit)
    }

    private func failConnection(_ code: Int32) -> TCULinkError {
        let error: TCULinkError
        if code == wolfCode(WOLFSSL_ERROR_ZERO_RETURN) {
            error = TCULinkError(.connectionClosed, libraryCode: code)
        } else {
            error = WolfSSLErrors.classify(code, session: session, target: self)
        }
        _ = machine.connectionFailed(error)
        tearDown(sendCloseNotify: false)
        return error
    }

    private func tearDown(sendCloseNotify: Bool) {
        if let session {
            if sendCloseNotify { _ = wolfSSL_shutdown(session) }
            wolfSSL_free(session)
            self.session = nil
            connectionStore = nil  // freed with the session
        }
        privateContext = nil
        transport.close()
    }

    private func remaining(_ deadline: UInt64) -> UInt32 {
        let now = clock.monotonicMilliseconds()
        return deadline > now ? UInt32(clamping: deadline - now) : 0
    }
}

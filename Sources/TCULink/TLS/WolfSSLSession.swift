import CWolfSSL

/// What one call into wolfSSL came to: the one reading of `wolfSSL_get_error` in the core.
enum WolfSSLOutcome: Equatable {
    /// Bytes read or written; for a handshake step, the handshake completed.
    case done(Int)
    /// wolfSSL waits for the transport to deliver more.
    case wantRead
    /// wolfSSL holds output the transport has not taken yet: the peer cannot answer before it has.
    case wantWrite
    /// The peer sent close_notify.
    case closedByPeer(code: Int32)
    case failed(code: Int32)
}

/// The one owner of a connection's `WOLFSSL*`: made with the device identity and the HAL
/// callbacks wired in, freed with the object.
///
/// `TLSClient` decides what to do (through `ConnectionStateMachine`); this class only talks to
/// wolfSSL and says what each call came to.
final class WolfSSLSession {
    private let pointer: OpaquePointer
    /// This connection's own context, where wolfSSL has no per-connection stores (see
    /// `TLSContext.copyForOneConnection`); released after the session is freed.
    private let privateContext: TLSContext?
    /// This connection's certificate store (owned by the session once attached), when wolfSSL has them.
    private let connectionStore: UnsafeMutableRawPointer?
    /// The object wolfSSL's callbacks reach: the client that owns this session and outlives it.
    unowned(unsafe) let callbacks: WolfSSLCallbackTarget
    /// Application data read while the client looked for the server's verdict; `read` serves it first.
    private var readAhead: [UInt8] = []

    /// - Parameter resumption: a saved session to offer; zeroed and set to nil here once wolfSSL
    ///   has its own copy (it holds a resumption secret).
    ///   Convenience, so that it throws before the object exists (see `TLSContext.init`).
    convenience init(
        sharedContext: TLSContext, configuration: ClientConfiguration, callbacks: WolfSSLCallbackTarget,
        resumption: inout [UInt8]?
    ) throws(TCULinkError) {
        let privateContext =
            tcu_connection_store_supported() == 0 || configuration.forcePrivateContext
            ? try sharedContext.copyForOneConnection() : nil
        guard let pointer = wolfSSL_new((privateContext ?? sharedContext).pointer) else {
            throw TCULinkError(.outOfMemory)
        }
        var store: UnsafeMutableRawPointer?
        do throws(TCULinkError) {
            if privateContext == nil { store = try Self.isolateCertificateStore(pointer, anchors: sharedContext) }
            try Self.configure(pointer, configuration, callbacks: callbacks.opaque, resumption: &resumption)
        } catch {
            wolfSSL_free(pointer)  // frees an attached store too
            throw error
        }
        self.init(pointer: pointer, connectionStore: store, privateContext: privateContext, callbacks: callbacks)
    }

    private init(
        pointer: OpaquePointer, connectionStore: UnsafeMutableRawPointer?, privateContext: TLSContext?,
        callbacks: WolfSSLCallbackTarget
    ) {
        self.pointer = pointer
        self.connectionStore = connectionStore
        self.privateContext = privateContext
        self.callbacks = callbacks
    }

    deinit { wolfSSL_free(pointer) }

    // MARK: - Calls

    func handshake() -> WolfSSLOutcome { call { wolfSSL_connect(pointer) } }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> WolfSSLOutcome {
        if !readAhead.isEmpty {
            let count = min(buffer.count, readAhead.count)
            for index in 0..<count { buffer[index] = readAhead[index] }
            readAhead.removeFirst(count)
            return .done(count)
        }
        return call { wolfSSL_read(pointer, buffer.baseAddress, Int32(clamping: buffer.count)) }
    }

    /// Reads once into the session's own buffer, to learn whether the server sent data.
    func readAheadOnce() -> WolfSSLOutcome {
        var buffer = [UInt8](repeating: 0, count: 512)
        let outcome = call { buffer.withUnsafeMutableBytes { wolfSSL_read(pointer, $0.baseAddress, Int32($0.count)) } }
        if case .done(let count) = outcome { readAhead += buffer[0..<count] }
        return outcome
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> WolfSSLOutcome {
        call { wolfSSL_write(pointer, bytes.baseAddress, Int32(clamping: bytes.count)) }
    }

    /// Sends close_notify (once; what the transport does not take now is not waited for).
    func shutdown() { _ = wolfSSL_shutdown(pointer) }

    private func call(_ body: () -> Int32) -> WolfSSLOutcome {
        callbacks.sendBlocked = false
        callbacks.receivedThisCall = 0
        let returned = body()
        if callbacks.protocolViolation == nil, let alert = alertTLS13MakesFatal() {
            callbacks.protocolViolation = TCULinkError(.peerAlert, alert: alert)
        }
        if callbacks.protocolViolation != nil { return .failed(code: returned < 0 ? returned : 0) }
        if returned > 0 { return .done(Int(returned)) }
        let code = wolfSSL_get_error(pointer, returned)
        switch code {
        case wolfCode(WOLFSSL_ERROR_WANT_WRITE):
            return .wantWrite
        case wolfCode(WOLFSSL_ERROR_WANT_READ), 0:
            // No error with no data is "not yet" too. After a partial write wolfSSL 5.5 may report
            // no error at all, and a bandwidth-capped link then sat waiting to read until the
            // handshake limit (FaultInjectionTests): our own send callback knows.
            return callbacks.sendBlocked ? .wantWrite : .wantRead
        case wolfCode(WOLFSSL_ERROR_ZERO_RETURN):
            return .closedByPeer(code: code)
        default:
            return .failed(code: code)
        }
    }

    /// An alert the server sent on a TLS 1.3 connection at warning level that RFC 8446 section 6
    /// makes an error anyway: every alert but close_notify and user_canceled, unknown types
    /// included. wolfSSL 5.5 skips such warnings (up to its limit of 5) and goes on with the
    /// handshake or the data (Tests/Hostile, unknown-warning-alert). Fatal ones it reports itself.
    private func alertTLS13MakesFatal() -> TLSAlert? {
        guard negotiatedTLS13, let last = WolfSSLErrors.lastReceivedAlert(pointer), last.level == 1,
            last.alert.code != 90  // user_canceled
        else { return nil }
        return last.alert
    }

    /// A failed call explained with everything the callbacks and the alert history saw. Once
    /// `established`, a transport the peer closed without close_notify is `connectionClosed`, not a
    /// handshake cut short.
    func failure(_ code: Int32, established: Bool = false) -> TCULinkError {
        let error = WolfSSLErrors.classify(code, session: pointer, target: callbacks)
        guard established, error.reason == .peerClosedDuringHandshake else { return error }
        return TCULinkError(.connectionClosed, libraryCode: error.libraryCode)
    }

    // MARK: - What was negotiated

    var negotiatedTLS13: Bool { wolfSSL_GetVersion(pointer) == Int32(WOLFSSL_TLSV1_3) }
    var resumed: Bool { wolfSSL_session_reused(pointer) == 1 }
    var cipherSuiteNumber: UInt16 { UInt16(truncatingIfNeeded: wolfSSL_get_current_cipher_suite(pointer)) }
    var cipherSuiteName: String { wolfSSL_get_cipher_name(pointer).map { String(cString: $0) } ?? "" }
    var recordPayloadLimit: Int { max(0, Int(wolfSSL_GetMaxOutputSize(pointer))) }

    /// The session with its ticket, serialized; nil when the server sent no ticket.
    func serialized() -> [UInt8]? {
        guard let saved = wolfSSL_get1_session(pointer) else { return nil }
        defer { wolfSSL_SESSION_free(saved) }
        guard wolfSSL_SESSION_has_ticket(saved) == 1 else { return nil }
        return Self.encode(saved)
    }

    /// wolfSSL's serialization of `session` (a `WOLFSSL_SESSION*`); nil when it fails or passes 16 KiB.
    static func encode(_ session: OpaquePointer) -> [UInt8]? {
        let length = wolfSSL_i2d_SSL_SESSION(session, nil)
        guard length > 0, length < 16 * 1024 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return wolfSSL_i2d_SSL_SESSION(session, &cursor)
        }
        return written == length ? bytes : nil
    }

    /// Lends wolfSSL, for this connection only, a CA of the server's chain it verified but set
    /// aside for a date error by the host's clock (see the verify callback).
    func trustVerifiedAuthority(_ der: [UInt8]) {
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

    // MARK: - Making one

    private static func configure(
        _ session: OpaquePointer, _ configuration: ClientConfiguration, callbacks: UnsafeMutableRawPointer,
        resumption: inout [UInt8]?
    ) throws(TCULinkError) {
        wolfSSL_SetIOReadCtx(session, callbacks)
        wolfSSL_SetIOWriteCtx(session, callbacks)
        wolfSSL_SetCertCbCtx(session, callbacks)
        wolfSSL_SetEccSignCtx(session, callbacks)
        wolfSSL_SetEccVerifyCtx(session, callbacks)
        wolfSSL_SetRsaSignCtx(session, callbacks)
        wolfSSL_SetRsaPssSignCtx(session, callbacks)
        _ = wolfSSL_set_SessionTicket_cb(session, wolfSSLSessionTicketCallback, callbacks)
        _ = wolfSSL_UseSessionTicket(session)  // TLS 1.2 tickets (TLS 1.3 has them anyway)
        if var saved = resumption, !saved.isEmpty {
            resumption = nil  // first, so that `saved` holds the only reference and is zeroed in place
            offer(&saved, to: session)
        }
        if let fragment = configuration.maxFragmentLength {
            let status = wolfSSL_UseMaxFragment(session, fragment.wolfSSLCode)
            guard status == WOLFSSL_SUCCESS else { throw TCULinkError(.invalidConfiguration, libraryCode: status) }
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
            guard status == WOLFSSL_SUCCESS else { throw TCULinkError(.invalidConfiguration, libraryCode: status) }
        }
    }

    /// Offers a saved session (wolfSSL's serialization, unsealed) for resumption. wolfSSL decodes
    /// and copies it; bytes it cannot use mean a full handshake. wolfSSL 5.5's decoder trusts the
    /// lengths inside, so the bytes are checked first (`tcu_wolfssl_session_is_decodable`). `saved`
    /// holds a resumption secret and is zeroed here whatever became of it (the saved-session fuzz
    /// target checks both).
    static func offer(_ saved: inout [UInt8], to session: OpaquePointer) {
        saved.withUnsafeBufferPointer { buffer in
            guard tcu_wolfssl_session_is_decodable(buffer.baseAddress, buffer.count) == 1 else { return }
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            if let decoded = wolfSSL_d2i_SSL_SESSION(nil, &cursor, buffer.count) {
                _ = wolfSSL_set_session(session, decoded)  // copies
                wolfSSL_SESSION_free(decoded)
            }
        }
        SavedSession.zero(&saved)
    }

    /// Gives the connection a certificate store of its own, holding the trust anchors only, so
    /// that the CAs wolfSSL learns from this server's chain leave with the connection instead of
    /// vouching, from the shared context, for a later server that omits them. Where wolfSSL is
    /// built without the stores (board configurations), the path validator alone refuses that
    /// server: it builds paths only from what the server sent and the anchors, and the connection
    /// has a private context (see `init`).
    private static func isolateCertificateStore(
        _ session: OpaquePointer, anchors context: TLSContext
    ) throws(TCULinkError) -> UnsafeMutableRawPointer? {
        guard let store = tcu_connection_store_new() else { return nil }
        for anchor in context.trustAnchorsDER {
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
        return store
    }
}

extension ConnectionReport {
    /// What `session` negotiated, with what the callbacks counted on the wire.
    init(
        session: WolfSSLSession?, acceptance: Acceptance, callbacks: WolfSSLCallbackTarget,
        handshakeMilliseconds: UInt64
    ) {
        self.init(
            tlsVersion: session.map { $0.negotiatedTLS13 ? 0x0304 : 0x0303 } ?? 0,
            cipherSuite: session?.cipherSuiteName ?? "",
            serverCertificate: callbacks.serverLeaf.flatMap { X509Certificate(der: $0) },
            handshakeMilliseconds: handshakeMilliseconds, acceptance: acceptance, resumed: session?.resumed ?? false,
            handshakeBytesSent: callbacks.bytesSent, handshakeBytesReceived: callbacks.bytesReceived,
            recordPayloadLimit: session?.recordPayloadLimit ?? 0)
    }
}

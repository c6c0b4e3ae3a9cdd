import CWolfSSL
import Foundation
import TCULink
import TCUPKI

/// The test backend: the mutual-TLS server a TCU meets.
///
/// TLS is wolfSSL's server side (Debian's build): it checks the client chain against the
/// client CA and, natively, the device CA's CRL. The device-specific checks a correct
/// server adds — EKU clientAuth required, an identity in the subject, that identity in
/// the registry — run in Swift in the verify callback, so a refused device gets a TLS
/// alert and the log says which device and why. After the handshake it serves a small
/// HTTP/1.1 API where a device may only use its own id.
///
/// One thread per connection, at most `maxConnections` at once; every read has a time
/// limit and every request a size limit, so a silent or hostile client costs a bounded
/// amount and nothing else waits on it.
public final class BackendServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: UInt16
        public var certificateChainFile: String
        public var keyFile: String
        public var clientCAFile: String
        public var crlFile: String?
        public var handshakeTimeout: Int = 10
        public var idleTimeout: Int = 30
        public var maxConnections: Int = 512
        /// False for the enrollment listener: TLS without a client certificate, where only
        /// EST `cacerts` and `simpleenroll` (authorized by a one-time token) are served.
        public var requireClientCertificate = true

        public init(
            host: String, port: UInt16, certificateChainFile: String, keyFile: String, clientCAFile: String,
            crlFile: String?
        ) {
            self.host = host
            self.port = port
            self.certificateChainFile = certificateChainFile
            self.keyFile = keyFile
            self.clientCAFile = clientCAFile
            self.crlFile = crlFile
        }
    }

    public let configuration: Configuration
    public let registry: DeviceRegistry
    public let telemetry: TelemetryStore
    public let log: BackendLog
    /// The CA that issues device certificates for EST requests; nil disables enrollment.
    public let issuer: PrivatePKI?
    public private(set) var port: UInt16 = 0

    private var listener: Int32 = -1
    private let lock = NSLock()
    private var context: ServerContext
    private var crlModification: Date?
    private let slots: DispatchSemaphore
    private let workers = ConnectionWorkers()
    /// Session tickets sealed by the backend, each tied to its device certificate.
    private let tickets = SessionTickets()
    private var stopped = false

    public init(
        configuration: Configuration, registry: DeviceRegistry, telemetry: TelemetryStore,
        log: BackendLog = BackendLog(),
        issuer: PrivatePKI? = nil
    ) throws {
        self.configuration = configuration
        self.issuer = issuer
        self.registry = registry
        self.telemetry = telemetry
        self.log = log
        self.slots = DispatchSemaphore(value: configuration.maxConnections)
        try BackendServer.checkPrivate(configuration.keyFile)
        self.context = try ServerContext(configuration)
        tickets.install(on: context.pointer)
        self.crlModification = configuration.crlFile.flatMap(BackendServer.modification)
    }

    /// Binds and starts accepting on a background thread. Returns once listening.
    public func start() throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(configuration.host, String(configuration.port), &hints, &list) == 0, let address = list else {
            throw HostError("cannot resolve listen address \(configuration.host)")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard fd >= 0, bind(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0, listen(fd, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw HostError("cannot listen on \(configuration.host):\(configuration.port) (\(reason))")
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        port = withUnsafePointer(to: &bound) { pointer in
            pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        listener = fd
        if configuration.requireClientCertificate {
            log.write(
                "LISTENING \(configuration.host):\(port) client-ca=\(configuration.clientCAFile) crl=\(configuration.crlFile ?? "none")"
            )
        } else {
            log.write(
                "LISTENING \(configuration.host):\(port) enrollment only (no client certificate; EST cacerts and simpleenroll)"
            )
        }
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "tcu-backend-accept"
        thread.start()
    }

    /// Stops accepting. Connections in progress finish within their time limits.
    public func stop() {
        lock.lock()
        stopped = true
        let fd = listener
        listener = -1
        lock.unlock()
        workers.stop()
        if fd >= 0 {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    private func acceptLoop() {
        while true {
            lock.lock()
            let fd = listener
            lock.unlock()
            guard fd >= 0 else { return }
            let connection = accept(fd, nil, nil)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                lock.lock()
                let done = stopped
                lock.unlock()
                if done { return }
                usleep(10_000)
                continue
            }
            guard slots.wait(timeout: .now()) == .success else {
                log.write("BUSY refusing a connection: \(configuration.maxConnections) already open")
                close(connection)
                continue
            }
            let context = currentContext()
            workers.run { [self] in
                serve(connection, context: context)
                slots.signal()
            }
        }
    }

    /// The TLS context, rebuilt when the CRL file changes so a revocation takes effect at once.
    private func currentContext() -> ServerContext {
        lock.lock()
        defer { lock.unlock() }
        if let crl = configuration.crlFile, let modification = BackendServer.modification(crl),
            modification != crlModification
        {
            do {
                context = try ServerContext(configuration)
                tickets.install(on: context.pointer)
                crlModification = modification
                log.write("CRL reloaded from \(crl)")
            } catch {
                log.write("ERROR CRL reload failed, keeping the previous one: \(error)")
            }
        }
        return context
    }

    // MARK: - One connection

    private func serve(_ fd: Int32, context: ServerContext) {
        defer { close(fd) }
        // Non-blocking, with every wait bounded by poll(): a silent client costs one
        // thread for at most the handshake (then idle) time limit.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let handshakeDeadline = BackendServer.now() + Double(configuration.handshakeTimeout)
        guard let session = wolfSSL_new(context.pointer) else {
            log.write("ERROR out of memory for a new connection")
            return
        }
        defer { wolfSSL_free(session) }
        let judge = ClientJudge(registry: registry)
        let unmanaged = Unmanaged.passRetained(judge)
        defer { unmanaged.release() }
        wolfSSL_SetCertCbCtx(session, unmanaged.toOpaque())
        tickets.begin(session, judge: judge)
        defer { tickets.end(session) }
        _ = wolfSSL_set_fd(session, fd)
        let peer = peerAddress(fd)

        var accepted = false
        var code: Int32 = 0
        while true {
            let result = wolfSSL_accept(session)
            if result == WOLFSSL_SUCCESS {
                accepted = true
                break
            }
            code = wolfSSL_get_error(session, result)
            guard code == Int32(WOLFSSL_ERROR_WANT_READ) || code == Int32(WOLFSSL_ERROR_WANT_WRITE) else { break }
            guard BackendServer.wait(fd, forReading: code == Int32(WOLFSSL_ERROR_WANT_READ), until: handshakeDeadline)
            else { break }
        }
        if !accepted {
            let refusal: ClientRefusal
            if let judged = judge.refusal {
                refusal = judged
            } else if code == Int32(WOLFSSL_ERROR_WANT_READ) || code == Int32(WOLFSSL_ERROR_WANT_WRITE) {
                refusal = .handshakeTimeout
            } else if code == NO_PEER_CERT.rawValue {
                refusal = .noClientCertificate
            } else if code == FATAL_ERROR.rawValue, let alert = BackendServer.receivedAlert(session) {
                refusal = .clientAlert(alert)
            } else {
                refusal = .tlsError(code)
            }
            log.write(
                "REFUSED device=\(judge.presentedIdentity ?? "?") peer=\(peer) reason=\(refusal.word): \(refusal.explanation)"
            )
            return
        }
        guard configuration.requireClientCertificate else {
            serveRequests(session, fd: fd, identity: nil, peer: peer)
            _ = wolfSSL_shutdown(session)
            return
        }
        if judge.identity == nil && wolfSSL_session_reused(session) == 1 {
            // A resumed session carries no certificate exchange: judge the certificate the
            // session was established with, again, as it stands now.
            if let refusal = rejudgeResumed(session, judge: judge, context: context) {
                log.write(
                    "REFUSED device=\(judge.presentedIdentity ?? "?") peer=\(peer) reason=\(refusal.word): \(refusal.explanation) (resumed session)"
                )
                return
            }
        }
        guard let identity = judge.identity else {
            log.write(
                "REFUSED device=? peer=\(peer) reason=no-identity: handshake completed without a judged client certificate"
            )
            return
        }
        let version = String(cString: wolfSSL_get_version(session))
        log.write(
            "ACCEPTED device=\(identity) peer=\(peer) \(version) \(String(cString: wolfSSL_get_cipher_name(session)))")
        serveRequests(session, fd: fd, identity: identity, peer: peer)
        _ = wolfSSL_shutdown(session)  // best effort: a close_notify if the socket takes it now
    }

    /// Re-judges a resumed session's client certificate: validity now, the CRL as loaded now,
    /// then EKU, identity and registry as in a full handshake.
    private func rejudgeResumed(_ session: OpaquePointer, judge: ClientJudge, context: ServerContext) -> ClientRefusal?
    {
        var der: [UInt8]
        if let remembered = tickets.certificate(resumedBy: session) {
            der = remembered
        } else if let peer = wolfSSL_get_peer_certificate(session) {
            defer { wolfSSL_X509_free(peer) }
            var length: Int32 = 0
            guard let pointer = wolfSSL_X509_get_der(peer, &length), length > 0 else { return .noIdentity }
            der = Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
        } else {
            return .noClientCertificate  // fail closed: a session whose certificate is unknown is not served
        }
        guard let certificate = X509Certificate(der: der) else { return .noIdentity }
        judge.presentedIdentity = certificate.subject.commonName.map { String(decoding: $0, as: UTF8.self) }
        let now = Int64(Date().timeIntervalSince1970)
        if now > certificate.notAfter { return .expired }
        if now < certificate.notBefore { return .notYetValid }
        if configuration.crlFile != nil, let manager = wolfSSL_CTX_GetCertManager(context.pointer) {
            var copy = der
            let status = copy.withUnsafeMutableBufferPointer {
                wolfSSL_CertManagerCheckCRL(manager, $0.baseAddress, Int32($0.count))
            }
            if status == wolfCodeCRLMissing { return .crlMissing(issuer: ClientJudge.issuerName(certificate)) }
            if status != WOLFSSL_SUCCESS { return status == CRL_CERT_REVOKED.rawValue ? .revoked : .tlsError(status) }
        }
        guard judge.judge(preverify: true, error: 0, depth: 0, der: der, leafDER: der) else {
            return judge.refusal ?? .noIdentity
        }
        return nil
    }

    private func serveRequests(_ session: OpaquePointer, fd: Int32, identity: String?, peer: String) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            switch HTTPRequest.parse(buffer) {
            case .request(let request, let consumed):
                buffer.removeFirst(consumed)
                var response = DeviceAPI.handle(
                    request, identity: identity, telemetry: telemetry, registry: registry, issuer: issuer, log: log)
                response.close = response.close || !request.keepAlive
                guard write(session, fd: fd, response.bytes), !response.close else { return }
                continue
            case .invalid(let status, let reason):
                log.write("BAD-REQUEST device=\(identity ?? "?") status=\(status): \(reason)")
                _ = write(session, fd: fd, HTTPResponse(status: status, json: ["error": reason], close: true).bytes)
                return
            case .incomplete:
                break
            }
            let read = chunk.withUnsafeMutableBytes { wolfSSL_read(session, $0.baseAddress, Int32($0.count)) }
            if read <= 0 {
                let code = wolfSSL_get_error(session, read)
                if code == Int32(WOLFSSL_ERROR_WANT_READ) || code == Int32(WOLFSSL_ERROR_WANT_WRITE) {
                    let deadline = BackendServer.now() + Double(configuration.idleTimeout)
                    if BackendServer.wait(fd, forReading: code == Int32(WOLFSSL_ERROR_WANT_READ), until: deadline) {
                        continue
                    }
                    if !buffer.isEmpty {
                        log.write(
                            "TIMEOUT device=\(identity ?? "?"): request incomplete after \(configuration.idleTimeout) s"
                        )
                        _ = write(
                            session, fd: fd,
                            HTTPResponse(status: 408, json: ["error": "request timeout"], close: true).bytes)
                    }
                } else if code != Int32(WOLFSSL_ERROR_ZERO_RETURN) {
                    // An alert from the device (for example, it refused our certificate) or a reset.
                    log.write("CLOSED device=\(identity ?? "?") wolfSSL \(code)")
                }
                return
            }
            buffer += chunk[0..<Int(read)]
        }
    }

    private func write(_ session: OpaquePointer, fd: Int32, _ bytes: [UInt8]) -> Bool {
        let deadline = BackendServer.now() + Double(configuration.idleTimeout)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                wolfSSL_write(session, $0.baseAddress! + offset, Int32($0.count - offset))
            }
            if written > 0 {
                offset += Int(written)
                continue
            }
            let code = wolfSSL_get_error(session, written)
            guard code == Int32(WOLFSSL_ERROR_WANT_READ) || code == Int32(WOLFSSL_ERROR_WANT_WRITE),
                BackendServer.wait(fd, forReading: code == Int32(WOLFSSL_ERROR_WANT_READ), until: deadline)
            else { return false }
        }
        return true
    }

    /// Waits for the socket until `deadline` (seconds, monotonic); false on timeout or error.
    static func wait(_ fd: Int32, forReading: Bool, until deadline: Double) -> Bool {
        while true {
            let remaining = deadline - now()
            guard remaining > 0 else { return false }
            var entry = pollfd(fd: fd, events: Int16(forReading ? POLLIN : POLLOUT), revents: 0)
            let ready = poll(&entry, 1, Int32(min(remaining * 1000, 60_000)) + 1)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return false }
        }
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private func peerAddress(_ fd: Int32) -> String {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        var host = [CChar](repeating: 0, count: 64)
        var service = [CChar](repeating: 0, count: 16)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, 64, &service, 16, NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        return String(cString: host) + ":" + String(cString: service)
    }

    static func receivedAlert(_ session: OpaquePointer) -> Int32? {
        var history = WOLFSSL_ALERT_HISTORY()
        guard wolfSSL_get_alert_history(session, &history) == WOLFSSL_SUCCESS, history.last_rx.code >= 0 else {
            return nil
        }
        return history.last_rx.code
    }

    static func modification(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    static func checkPrivate(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw HostError("\(path): server key file not found") }
        if info.st_mode & 0o077 != 0 {
            throw HostError("\(path): server key file is accessible by others; run `chmod 600 \(path)`")
        }
    }
}

import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TCUPKI

/// The test backend: the mutual-TLS server a TCU meets.
///
/// SwiftNIO with swift-nio-ssl (BoringSSL), so the device's wolfSSL is tested against an independent TLS
/// stack. Every device chain is judged by `DeviceJudge` — swift-certificates' `Verifier` with the device
/// policies (chain to the client CA, validity, the issuing CA's CRL, EKU clientAuth, key usage, identity)
/// and the registry — from swift-nio-ssl's verification callback, so a refused device gets a TLS alert and
/// the log says which device and why. A resumed session is judged again from its certificate before any
/// request is served. After the handshake it serves a small HTTP/1.1 API (NIO's codec) where a device may
/// only use its own id.
///
/// Event loops (one per core) carry every connection; at most `maxConnections` are open at once; the
/// handshake and every idle period have time limits, every request a size limit, so a silent or hostile
/// client costs a bounded amount and nothing else waits on it.
public final class BackendServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: UInt16
        public var certificateChainFile: String
        public var keyFile: String
        public var clientCAFile: String
        public var crlFile: String?
        public var handshakeTimeout: Int = 10
        public var idleTimeout: Int = 30
        public var maxConnections: Int = 10_000
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
    public let log: Logger
    /// The CA that issues device certificates for EST requests; nil disables enrollment.
    public let issuer: PrivatePKI?

    private let tlsContext: NIOSSLContext
    private let judge: DeviceJudge?
    private let judgementExecutor = ThreadPoolTaskExecutor(pool: NIOThreadPool.singleton)
    private let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    private let listener = NIOLockedValueBox<(any Channel)?>(nil)
    private let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    private let boundPort = NIOLockedValueBox<UInt16>(0)

    public var port: UInt16 { boundPort.withLockedValue { $0 } }

    public init(
        configuration: Configuration, registry: DeviceRegistry, telemetry: TelemetryStore,
        log: Logger = Logger(label: "tcu-backend"), issuer: PrivatePKI? = nil
    ) throws {
        self.configuration = configuration
        self.issuer = issuer
        self.registry = registry
        self.telemetry = telemetry
        self.log = log
        try BackendServer.checkPrivate(configuration.keyFile)
        tlsContext = try BackendTLS.context(configuration)
        if configuration.requireClientCertificate {
            let trust = try DeviceTrust(
                clientCAFile: configuration.clientCAFile, crlPath: configuration.crlFile, log: log)
            judge = DeviceJudge(trust: trust, registry: registry)
        } else {
            judge = nil
        }
    }

    /// Binds and starts accepting. Returns once listening.
    public func start() throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { [log] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptErrorLogger(log: log))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.initialize(channel) }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.bind(host: configuration.host, port: Int(configuration.port)).wait()
        } catch {
            throw HostError("cannot listen on \(configuration.host):\(configuration.port) (\(error))")
        }
        listener.withLockedValue { $0 = channel }
        boundPort.withLockedValue { $0 = UInt16(channel.localAddress?.port ?? 0) }
        let descriptors = BackendServer.descriptorLimit()
        if configuration.maxConnections + 64 > descriptors {
            log.warning(
                "WARNING --max-connections \(configuration.maxConnections) is above what the open-file limit (\(descriptors)) allows; accepts will stall near \(descriptors - 64) connections (raise `ulimit -n`)"
            )
        }
        if configuration.requireClientCertificate {
            log.info(
                "LISTENING \(configuration.host):\(port) client-ca=\(configuration.clientCAFile) crl=\(configuration.crlFile ?? "none")"
            )
        } else {
            log.info(
                "LISTENING \(configuration.host):\(port) enrollment only (no client certificate; EST cacerts and simpleenroll)"
            )
        }
    }

    /// Stops accepting and closes every open connection.
    public func stop() {
        let channel = listener.withLockedValue { channel in
            defer { channel = nil }
            return channel
        }
        try? channel?.close().wait()
        // Close what is open and wait for it, so the port is free for a new server when this returns.
        let open = connections.withLockedValue { Array($0.values) }
        let closed = open.map { connection in
            connection.close().flatMapErrorThrowing { _ in }
        }
        guard let loop = open.first?.eventLoop else { return }
        _ = try? EventLoopFuture.andAllComplete(closed, on: loop).wait()
    }

    /// The pipeline of one connection, network side first.
    private func initialize(_ channel: any Channel) throws {
        let id = ObjectIdentifier(channel)
        let admitted = connections.withLockedValue { open -> Bool in
            guard open.count < configuration.maxConnections else { return false }
            open[id] = channel
            return true
        }
        guard admitted else {
            log.warning("BUSY refusing a connection: \(configuration.maxConnections) already open")
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [connections] _ in connections.withLockedValue { $0[id] = nil } }

        let verification = DeviceVerification()
        let observer = ServerHelloObserver()
        let tls: NIOSSLServerHandler
        if let judge {
            tls = NIOSSLServerHandler(
                context: tlsContext,
                customVerificationCallbackWithMetadata: DeviceVerification.callback(
                    judge: judge, recordingInto: verification, on: judgementExecutor))
        } else {
            tls = NIOSSLServerHandler(context: tlsContext)
        }
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = HTTPRequest.maxHeaderBytes
        decoderLimits.maxHeaderFieldSize = HTTPRequest.maxHeaderBytes
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(observer)
        try operations.addHandler(tls)
        try operations.addHandler(
            DeviceSessionHandler(
                judge: judge, verification: verification, observer: observer, log: log,
                handshakeTimeout: .seconds(Int64(configuration.handshakeTimeout))))
        try operations.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(configuration.idleTimeout))))
        try operations.addHandler(HTTPResponseEncoder())
        try operations.addHandler(
            ByteToMessageHandler(
                HTTPRequestDecoder(
                    leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop,
                    limitConfiguration: decoderLimits)))
        try operations.addHandler(HTTPServerPipelineHandler())
        try operations.addHandler(
            DeviceAPIHandler(
                services: .init(
                    registry: registry, telemetry: telemetry, issuer: issuer, log: log,
                    threadPool: NIOThreadPool.singleton)))
    }

    /// The soft limit on open files, raised to the hard limit first: each connection is a descriptor.
    @discardableResult
    public static func descriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    static func checkPrivate(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw HostError("\(path): server key file not found") }
        if info.st_mode & 0o077 != 0 {
            throw HostError("\(path): server key file is accessible by others; run `chmod 600 \(path)`")
        }
    }
}

/// Logs what stops the listener accepting (NIO backs off and retries by itself): out of descriptors above all.
private final class AcceptErrorLogger: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel
    let log: Logger

    init(log: Logger) { self.log = log }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        log.error("ERROR accept failed (retrying): \(DeviceSessionHandler.describe(error))")
        context.fireErrorCaught(error)
    }
}

import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import NIOTLS

/// What the TLS verification callback learned about one connection's device, for the session handler.
/// Written by the callback's task, read on the connection's event loop.
final class DeviceVerification: Sendable {
    private let box = NIOLockedValueBox<DeviceJudge.Judgement?>(nil)

    var judgement: DeviceJudge.Judgement? {
        get { box.withLockedValue { $0 } }
        set { box.withLockedValue { $0 = newValue } }
    }

    /// The callback swift-nio-ssl calls with the device's chain in a full handshake.
    static func callback(
        judge: DeviceJudge, recordingInto verification: DeviceVerification, on executor: ThreadPoolTaskExecutor
    ) -> NIOSSLCustomVerificationCallbackWithMetadata {
        { certificates, promise in
            let chain = certificates.compactMap { try? $0.toDERBytes() }
            Task(executorPreference: executor) {
                let judgement = await judge.judge(chain: chain)
                verification.judgement = judgement
                promise.succeed(judgement.identity != nil ? .certificateVerified(VerificationMetadata(nil)) : .failed)
            }
        }
    }
}

/// Sent inbound once the device on this connection is accepted (identity nil on the enrollment listener).
struct DeviceAccepted {
    let identity: String?
}

/// The gate between TLS and HTTP for one connection: it logs the outcome of the handshake (ACCEPTED or
/// REFUSED with the reason), enforces the handshake time limit, judges a resumed session again before
/// anything is served, and lets no application data through until the device is accepted.
final class DeviceSessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let judge: DeviceJudge?
    private let verification: DeviceVerification
    private let observer: ServerHelloObserver
    private let log: Logger
    private let handshakeTimeout: TimeAmount
    private var peer = "?"
    private var timer: Scheduled<Void>?
    private enum State { case handshaking, accepted(String?), finished }
    private var state = State.handshaking

    /// `judge` nil: the enrollment listener, where no client certificate is asked for.
    init(
        judge: DeviceJudge?, verification: DeviceVerification, observer: ServerHelloObserver, log: Logger,
        handshakeTimeout: TimeAmount
    ) {
        self.judge = judge
        self.verification = verification
        self.observer = observer
        self.log = log
        self.handshakeTimeout = handshakeTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimer(context)
        context.fireChannelActive()
    }

    private func startTimer(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        if let address = context.channel.remoteAddress, let ip = address.ipAddress, let port = address.port {
            peer = address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: handshakeTimeout) {
            let (handler, context) = loopBound.value
            guard case .handshaking = handler.state else { return }
            handler.refuse(context, .handshakeTimeout, presented: handler.verification.judgement?.presented)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent,
            case .handshaking = state
        else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        timer?.cancel()
        guard let judge else {
            state = .accepted(nil)
            context.fireUserInboundEventTriggered(DeviceAccepted(identity: nil))
            return
        }
        var judgement: DeviceJudge.Judgement
        var resumed = false
        if let judged = verification.judgement {
            judgement = judged
        } else {
            // No certificate was exchanged: a resumed session. Judge the certificate it was made with, now.
            resumed = true
            let leaf = (try? context.pipeline.syncOperations.nioSSL_peerCertificate())?.flatMap {
                try? $0.toDERBytes()
            }
            judgement =
                leaf.map { judge.rejudge(resumedLeaf: $0) } ?? DeviceJudge.Judgement(refusal: .noClientCertificate)
        }
        guard let identity = judgement.identity, judgement.refusal == nil else {
            refuse(context, judgement.refusal ?? .noIdentity, presented: judgement.presented, resumed: resumed)
            return
        }
        let version = (try? context.pipeline.syncOperations.nioSSL_tlsVersion()).flatMap { $0 }
        let suite = observer.cipherSuite.map(BackendTLS.name(ofSuite:)) ?? "?"
        log.info("ACCEPTED device=\(identity) peer=\(peer) \(Self.name(version)) \(suite)\(resumed ? " resumed" : "")")
        state = .accepted(identity)
        context.fireUserInboundEventTriggered(DeviceAccepted(identity: identity))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .accepted = state else { return }  // nothing reaches the API before the device is accepted
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch state {
        case .handshaking:
            let judged = verification.judgement
            refuse(context, judged?.refusal ?? Self.refusal(for: error), presented: judged?.presented)
        case .accepted(let identity):
            if case NIOSSLError.uncleanShutdown = error {
            } else {
                log.info("CLOSED device=\(identity ?? "?") peer=\(peer): \(Self.describe(error))")
            }
            state = .finished
            context.close(promise: nil)
        case .finished:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        if case .handshaking = state {
            refuse(context, Self.closedDuringHandshake, presented: verification.judgement?.presented)
        }
        context.fireChannelInactive()
    }

    /// The one REFUSED line, then the connection ends. `presented`: the CN the leaf claims, if any was seen.
    private func refuse(
        _ context: ChannelHandlerContext, _ refusal: ClientRefusal, presented: String?, resumed: Bool = false
    ) {
        timer?.cancel()
        state = .finished
        log.notice(
            "REFUSED device=\(presented ?? "?") peer=\(peer) reason=\(refusal.word): \(refusal.explanation)\(resumed ? " (resumed session)" : "")"
        )
        context.close(promise: nil)
    }

    static let closedDuringHandshake = ClientRefusal.tlsError("the client closed the connection during the handshake")

    // MARK: - Naming what went wrong

    static func name(_ version: TLSVersion?) -> String {
        switch version {
        case .tlsv13: return "TLSv1.3"
        case .tlsv12: return "TLSv1.2"
        case .tlsv11: return "TLSv1.1"
        case .tlsv1: return "TLSv1"
        case nil: return "?"
        }
    }

    /// An error in a few words: BoringSSL's reason name, or the OS's words for a socket error.
    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) + " (errno \(io.errnoCode))" }
        return reasonName(error) ?? "\(error)"
    }

    /// BoringSSL's reason name (e.g. `NO_SHARED_CIPHER`) from a handshake error.
    static func reasonName(_ error: Error) -> String? {
        let text = "\(error)"
        guard let range = text.range(of: "OPENSSL_internal:") else { return nil }
        let rest = text[range.upperBound...]
        return String(rest.prefix { $0.isUppercase || $0.isNumber || $0 == "_" })
    }

    static func refusal(for error: Error) -> ClientRefusal {
        if case NIOSSLError.uncleanShutdown = error { return closedDuringHandshake }
        guard let reason = reasonName(error) else { return .tlsError("\(error)") }
        if reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE" { return .noClientCertificate }
        for prefix in ["SSLV3_ALERT_", "TLSV1_ALERT_"] where reason.hasPrefix(prefix) {
            let name = reason.dropFirst(prefix.count).lowercased()
            return .clientAlert(code: alertCodes[name] ?? -1, name: name)
        }
        if reason == "TLSV1_UNRECOGNIZED_NAME" { return .clientAlert(code: 112, name: "unrecognized_name") }
        return .tlsError(reason)
    }

    private static let alertCodes: [String: Int] = [
        "close_notify": 0, "unexpected_message": 10, "bad_record_mac": 20, "record_overflow": 22,
        "handshake_failure": 40, "bad_certificate": 42, "unsupported_certificate": 43, "certificate_revoked": 44,
        "certificate_expired": 45, "certificate_unknown": 46, "illegal_parameter": 47, "unknown_ca": 48,
        "access_denied": 49, "decode_error": 50, "decrypt_error": 51, "protocol_version": 70,
        "insufficient_security": 71, "internal_error": 80, "inappropriate_fallback": 86, "user_cancelled": 90,
        "missing_extension": 109, "unsupported_extension": 110, "unrecognized_name": 112,
        "bad_certificate_status_response": 113, "unknown_psk_identity": 115, "certificate_required": 116,
        "no_application_protocol": 120,
    ]
}

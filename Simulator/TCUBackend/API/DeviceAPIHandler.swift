import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import TCUPKI

/// Serves the device API on one accepted connection: collects each request within its limits (head 16 KiB
/// by the decoder, body 64 KiB here), runs it on the thread pool (the registry and telemetry write files,
/// EST signs), and writes the response. Requests on one connection are answered in order.
final class DeviceAPIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    struct Services: Sendable {
        let registry: DeviceRegistry
        let telemetry: TelemetryStore
        let issuer: PrivatePKI?
        let log: Logger
        let threadPool: NIOThreadPool
    }

    private let services: Services
    private var identity: String?
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// Set once the response to an oversized or refused request is sent: the rest is ignored, then closed.
    private var discarding = false

    init(services: Services) { self.services = services }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let accepted = event as? DeviceAccepted {
            identity = accepted.identity
        } else if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            if head != nil {
                services.log.warning("TIMEOUT device=\(identity ?? "?"): request incomplete after the idle time limit")
                respond(context, HTTPResponse(status: 408, json: ["error": "request timeout"], close: true))
            } else {
                context.close(promise: nil)
            }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !discarding else { return }
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            if requestHead.headers.contains(name: "Transfer-Encoding") {
                refuse(context, status: 501, "Transfer-Encoding is not supported; send Content-Length")
                return
            }
            if let length = requestHead.headers.first(name: "Content-Length").flatMap(Int.init),
                length > HTTPRequest.maxBodyBytes
            {
                refuse(context, status: 413, "body larger than 64 KiB")
                return
            }
            head = requestHead
            body.clear()
        case .body(var chunk):
            guard body.readableBytes + chunk.readableBytes <= HTTPRequest.maxBodyBytes else {
                refuse(context, status: 413, "body larger than 64 KiB")
                return
            }
            body.writeBuffer(&chunk)
        case .end:
            guard let requestHead = head else { return }
            head = nil
            let request = HTTPRequest(
                method: requestHead.method.rawValue, path: requestHead.uri,
                headers: requestHead.headers.map { ($0.name, $0.value) }, body: Data(body.readableBytesView),
                keepAlive: requestHead.isKeepAlive)
            let services = self.services
            let identity = self.identity
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            services.threadPool.runIfActive(eventLoop: context.eventLoop) {
                DeviceAPI.handle(
                    request, identity: identity, telemetry: services.telemetry, registry: services.registry,
                    issuer: services.issuer, log: services.log)
            }.whenComplete { result in
                let (handler, context) = loopBound.value
                var response =
                    (try? result.get()) ?? HTTPResponse(status: 500, json: ["error": "internal error"], close: true)
                response.close = response.close || !request.keepAlive
                handler.respond(context, response)
            }
        }
    }

    /// A request NIO's parser refused (malformed line, bare LF, duplicate Content-Length, head over 16 KiB).
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let status = parserError == .headerOverflow ? 431 : 400
        services.log.warning("BAD-REQUEST device=\(identity ?? "?") status=\(status): \(parserError)")
        guard !discarding else { return }
        discarding = true
        respond(
            context, HTTPResponse(status: status, json: ["error": "malformed request: \(parserError)"], close: true))
    }

    private func refuse(_ context: ChannelHandlerContext, status: Int, _ reason: String) {
        services.log.warning("BAD-REQUEST device=\(identity ?? "?") status=\(status): \(reason)")
        discarding = true
        respond(context, HTTPResponse(status: status, json: ["error": reason], close: true))
    }

    private func respond(_ context: ChannelHandlerContext, _ response: HTTPResponse) {
        let bytes = response.body
        var headers = HTTPHeaders(response.headers)
        headers.add(name: "Content-Length", value: String(bytes.count))
        if response.close { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(
                .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status), headers: headers))
            ),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if response.close {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

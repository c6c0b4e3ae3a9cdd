import NIOCore

/// Reads the ServerHello this backend sends (the bytes on the wire, before BoringSSL's view of them):
/// the version and cipher suite negotiated, for the log, and how many HelloRetryRequests came first.
///
/// It sits on the network side of the TLS handler, looks only at plaintext handshake records at the
/// start of the connection, and stops looking once it has seen a ServerHello (or 20 KiB).
final class ServerHelloObserver: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private(set) var cipherSuite: UInt16?
    private(set) var isTLS13 = false
    private(set) var helloRetryRequests = 0
    private var pending: [UInt8] = []
    private var done = false

    /// SHA-256("HelloRetryRequest"): the ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3).
    private static let helloRetryRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if !done {
            let buffer = unwrapOutboundIn(data)
            pending += buffer.readableBytesView
            scan()
        }
        context.write(data, promise: promise)
    }

    private func scan() {
        while !done, pending.count >= 5 {
            let length = Int(pending[3]) << 8 | Int(pending[4])
            guard pending.count >= 5 + length else { break }
            if pending[0] == 22, length >= 4, pending[5] == 2 { read(serverHello: pending[9..<(5 + length)]) }
            pending.removeFirst(5 + length)
        }
        if pending.count > 20_480 { done = true }
        if done { pending = [] }
    }

    private func read(serverHello body: ArraySlice<UInt8>) {
        var cursor = body.startIndex + 2  // legacy_version
        guard body.count >= 38 else { return }
        let random = Array(body[cursor..<(cursor + 32)])
        cursor += 32
        let sessionIDLength = Int(body[cursor])
        cursor += 1 + sessionIDLength
        guard cursor + 3 <= body.endIndex else { return }
        let suite = UInt16(body[cursor]) << 8 | UInt16(body[cursor + 1])
        cursor += 3  // suite, compression
        if random == Self.helloRetryRandom {
            helloRetryRequests += 1
            return
        }
        cipherSuite = suite
        if cursor + 2 <= body.endIndex {
            var extensionCursor = cursor + 2
            while extensionCursor + 4 <= body.endIndex {
                let type = UInt16(body[extensionCursor]) << 8 | UInt16(body[extensionCursor + 1])
                let length = Int(body[extensionCursor + 2]) << 8 | Int(body[extensionCursor + 3])
                if type == 0x002B, length == 2, extensionCursor + 6 <= body.endIndex {
                    isTLS13 = body[extensionCursor + 4] == 3 && body[extensionCursor + 5] == 4
                }
                extensionCursor += 4 + length
            }
        }
        done = true
    }
}

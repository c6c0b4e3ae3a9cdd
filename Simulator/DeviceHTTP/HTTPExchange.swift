import Foundation
import HostSupport
import TCULink

/// The device side of the backend's HTTP/1.1 API over an established `TLSClient`: one request
/// writer and one response reader for tcu-sim, the fleet and the tests.
public enum HTTPExchange {
    /// A complete response.
    public struct Response: Sendable {
        public var status: Int
        public var reason: String
        public var body: String
        /// The response as received, head and body.
        public var text: String
    }

    /// The largest response read; a longer one is refused rather than buffered without end.
    public static let maxResponseBytes = 256 * 1024

    /// Sends one request (with `Content-Length` when there is a body; `json` is a body sent as
    /// `application/json`) and reads the response.
    public static func perform<T: Transport, K: KeyStore, C: Clock>(
        _ client: TLSClient<T, K, C>, method: String, path: String, host: String, headers: [(String, String)] = [],
        body: String? = nil, json: String? = nil, timeoutMilliseconds: UInt32 = 10_000
    ) throws -> Response {
        try send(
            client, method: method, path: path, host: host,
            headers: headers + (json == nil ? [] : [("Content-Type", "application/json")]), body: json ?? body,
            timeoutMilliseconds: timeoutMilliseconds)
        return try receive(client, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Sends one request without reading the response.
    public static func send<T: Transport, K: KeyStore, C: Clock>(
        _ client: TLSClient<T, K, C>, method: String, path: String, host: String, headers: [(String, String)] = [],
        body: String? = nil, timeoutMilliseconds: UInt32 = 10_000
    ) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: tcu-sim\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.utf8.count)\r\n" }
        try client.sendAll(Array((head + "\r\n" + (body ?? "")).utf8), timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Reads one response: until its `Content-Length` is in. The connection's own errors
    /// (`TCULinkError`: a timeout, a close) are thrown as they are.
    public static func receive<T: Transport, K: KeyStore, C: Clock>(
        _ client: TLSClient<T, K, C>, timeoutMilliseconds: UInt32 = 10_000
    ) throws -> Response {
        var reader = Reader()
        return try reader.read(client, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Reads a response, keeping what came so far for a caller that wants it after a failure.
    public struct Reader {
        public private(set) var received: [UInt8] = []

        public init() {}

        public mutating func read<T: Transport, K: KeyStore, C: Clock>(
            _ client: TLSClient<T, K, C>, timeoutMilliseconds: UInt32
        ) throws -> Response {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                if let response = HTTPExchange.parse(received) { return response }
                guard received.count <= HTTPExchange.maxResponseBytes else {
                    throw HostError("the backend's response is larger than \(HTTPExchange.maxResponseBytes) bytes")
                }
                let result = try chunk.withUnsafeMutableBytes { raw throws(TCULinkError) in
                    try client.receive(into: raw, timeoutMilliseconds: timeoutMilliseconds)
                }
                switch result {
                case .received(let count): received += chunk[0..<count]
                case .wouldBlock: throw TCULinkError(.ioTimeout)
                case .closed: throw TCULinkError(.connectionClosed)
                }
            }
        }
    }

    /// A complete response at the front of `bytes`, or nil when more is needed.
    static func parse(_ bytes: [UInt8]) -> Response? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
            let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) })
        else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            return Response(status: 0, reason: "malformed response", body: head, text: head)
        }
        var length = 0
        for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        guard bytes.count >= end + 4 + length else { return nil }
        return Response(
            status: status, reason: statusLine.count > 2 ? String(statusLine[2]) : "",
            body: String(decoding: bytes[(end + 4)..<(end + 4 + length)], as: UTF8.self),
            text: String(decoding: bytes[0..<(end + 4 + length)], as: UTF8.self))
    }
}

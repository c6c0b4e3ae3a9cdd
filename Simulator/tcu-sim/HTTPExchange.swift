import Foundation
import TCULink

/// One HTTP/1.1 request and its response over an established TLS client: the device
/// side of the backend's API (`POST /v1/devices/{id}/telemetry`, `GET /v1/devices/{id}`).
struct HTTPExchange {
    struct Response {
        var status: Int
        var reason: String
        var body: String
    }

    static func perform<T: Transport, K: KeyStore, C: Clock>(
        _ client: TLSClient<T, K, C>, method: String, path: String, host: String, json: String? = nil,
        timeoutMilliseconds: UInt32 = 10_000
    ) throws -> Response {
        let body = Array((json ?? "").utf8)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: tcu-sim\r\n"
        if json != nil { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        try client.sendAll(Array(head.utf8) + body, timeoutMilliseconds: timeoutMilliseconds)
        return try receive(client, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Reads one response.
    static func receive<T: Transport, K: KeyStore, C: Clock>(
        _ client: TLSClient<T, K, C>, timeoutMilliseconds: UInt32 = 10_000
    ) throws -> Response {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let response = parse(received) { return response }
            guard received.count < 256 * 1024 else { throw TCULinkError(.tlsLibraryError) }
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

    /// A complete response at the front of `bytes`, or nil when more is needed.
    static func parse(_ bytes: [UInt8]) -> Response? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
            let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator })
        else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            return Response(status: 0, reason: "malformed response", body: head)
        }
        var length = 0
        for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        guard bytes.count >= end + 4 + length else { return nil }
        return Response(
            status: status, reason: statusLine.count > 2 ? String(statusLine[2]) : "",
            body: String(decoding: bytes[(end + 4)..<(end + 4 + length)], as: UTF8.self))
    }
}

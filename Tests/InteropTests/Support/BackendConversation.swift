import Foundation
import HostHAL
import TCULink

/// A device connected to a backend on localhost (`anonymous`: without a client certificate, as
/// first enrollment is), the handshake done.
func connectedDevice(_ port: UInt16, store: FileKeyStore, anonymous: Bool = false) throws -> TLSClient<
    POSIXSocketTransport, FileKeyStore, SystemClock
> {
    var configuration = ClientConfiguration(host: "localhost", port: port)
    configuration.withoutClientCertificate = anonymous
    let client = try TLSClient(
        configuration: configuration, transport: POSIXSocketTransport(), keyStore: store, clock: SystemClock())
    _ = try client.connect()
    return client
}

/// Reads one HTTP/1.1 response from an established connection: until its Content-Length is in,
/// the peer closes, or nothing more comes within `timeoutMilliseconds`. One reader for every test
/// that speaks to the backend.
/// - Parameter errorsEndTheReply: a receive failure ends the reply (what came so far is returned)
///   instead of being thrown; for tests of hostile or closing peers.
func readHTTPResponse<T: Transport, K: KeyStore, C: Clock>(
    _ client: TLSClient<T, K, C>, timeoutMilliseconds: UInt32, errorsEndTheReply: Bool = false
) throws -> String {
    var reply: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let result: ReceiveResult
        do {
            result = try buffer.withUnsafeMutableBytes { raw throws(TCULinkError) in
                try client.receive(into: raw, timeoutMilliseconds: timeoutMilliseconds)
            }
        } catch {
            if errorsEndTheReply { break }
            throw error
        }
        guard case .received(let count) = result else { break }
        reply += buffer[0..<count]
        let text = String(decoding: reply, as: UTF8.self)
        if let end = text.range(of: "\r\n\r\n"),
            let line = text[..<end.lowerBound].split(separator: "\r\n").first(where: {
                $0.lowercased().hasPrefix("content-length:")
            }),
            let length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)),
            reply.count >= text.utf8.distance(from: text.startIndex, to: end.upperBound) + length
        {
            break
        }
    }
    return String(decoding: reply, as: UTF8.self)
}

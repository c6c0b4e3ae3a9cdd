import DeviceHTTP
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

/// Reads one HTTP/1.1 response from an established connection, as text: `HTTPExchange`'s reader.
/// - Parameter errorsEndTheReply: a receive failure, a close or silence ends the reply (what came
///   so far is returned) instead of being thrown; for tests of hostile or closing peers.
func readHTTPResponse<T: Transport, K: KeyStore, C: Clock>(
    _ client: TLSClient<T, K, C>, timeoutMilliseconds: UInt32, errorsEndTheReply: Bool = false
) throws -> String {
    var reader = HTTPExchange.Reader()
    do {
        return try reader.read(client, timeoutMilliseconds: timeoutMilliseconds).text
    } catch {
        guard errorsEndTheReply else { throw error }
        return String(decoding: reader.received, as: UTF8.self)
    }
}

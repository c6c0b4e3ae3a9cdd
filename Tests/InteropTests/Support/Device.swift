import Foundation
import HostHAL
import TCULink

typealias HostClient = TLSClient<POSIXSocketTransport, CountingKeyStore, SimulatedClock>

/// The file key store, counting the signatures it makes (proof that signing went through the HAL).
struct CountingKeyStore: KeyStore {
    var inner: FileKeyStore
    final class Counter: @unchecked Sendable { var signatures = 0 }
    let counter = Counter()

    var certificateChain: [[UInt8]] { inner.certificateChain }
    var trustAnchors: [[UInt8]] { inner.trustAnchors }

    mutating func sign(
        _ request: SigningRequest, input: UnsafeRawBufferPointer, into signature: UnsafeMutableRawBufferPointer
    ) throws(KeyStoreError) -> Int {
        counter.signatures += 1
        return try inner.sign(request, input: input, into: signature)
    }

    func seal(_ plaintext: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        try inner.seal(plaintext, binding: binding)
    }

    func unseal(_ sealed: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        try inner.unseal(sealed, binding: binding)
    }
}

/// A device from the test PKI, connecting to 127.0.0.1 (or `host`) with the given board clock.
func makeClient(
    device: String = "device", trust: String? = nil, port: UInt16, host: String = "localhost",
    serverName: String? = nil, versions: TLSVersionPolicy = .tls13Only,
    clock: SimulatedClock.Setting = .offset(0), handshakeTimeout: UInt32 = 10_000
) throws -> HostClient {
    let folder = TestPKI.directory + "/" + device
    let store = try FileKeyStore(
        chainFile: folder + "/chain.pem", keyFile: folder + "/key.pem",
        trustFile: trust.map { TestPKI.directory + "/" + $0 } ?? folder + "/trust.pem")
    let configuration = ClientConfiguration(
        host: host, port: port, serverName: serverName, versions: versions,
        timeouts: .init(connect: 5_000, handshake: handshakeTimeout, acceptance: 2_000))
    return try TLSClient(
        configuration: configuration, transport: POSIXSocketTransport(), keyStore: CountingKeyStore(inner: store),
        clock: SimulatedClock(clock))
}

/// Connects and returns the failure, or nil when connected.
func connectionFailure(_ client: HostClient) -> TCULinkError? {
    do {
        _ = try client.connect()
        return nil
    } catch {
        return error
    }
}

/// Sends a line and returns the server's reply (s_server -rev reverses it).
func exchange<T: Transport, K: KeyStore, C: Clock>(_ client: TLSClient<T, K, C>, _ text: String) throws -> String {
    try client.sendAll(Array((text + "\n").utf8), timeoutMilliseconds: 5_000)
    var buffer = [UInt8](repeating: 0, count: 4096)
    var reply: [UInt8] = []
    while !reply.contains(UInt8(ascii: "\n")) {
        let result = try buffer.withUnsafeMutableBytes { raw throws(TCULinkError) in
            try client.receive(into: raw, timeoutMilliseconds: 5_000)
        }
        guard case .received(let count) = result else { break }
        reply += buffer[0..<count]
    }
    return String(decoding: reply, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

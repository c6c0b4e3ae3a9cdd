import Foundation
import HostHAL
import TCULink
import Testing

/// Session resumption across restarts: the session (with its ticket) kept in the persistent
/// store, used by a new client (a new process, as far as the core can tell).
@Suite(.serialized) struct ResumptionTests {
    let pki = TestPKI.directory

    func client(_ port: UInt16, resumption: [UInt8]?) throws -> TLSClient<
        POSIXSocketTransport, FileKeyStore, SystemClock
    > {
        try TLSClient(
            configuration: ClientConfiguration(host: "localhost", port: port), transport: POSIXSocketTransport(),
            keyStore: try FileKeyStore(deviceDirectory: pki + "/device"), clock: SystemClock(), resumption: resumption)
    }

    func stateStore() throws -> FilePersistentStore {
        try FilePersistentStore(directory: NSTemporaryDirectory() + "tculink-state-\(UUID().uuidString)")
    }

    @Test func resumesAfterARestartWithFewerBytesAgainstOpenSSL() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        var store = try stateStore()
        let device = try FileKeyStore(deviceDirectory: pki + "/device")
        #expect(SavedSession.load(from: store, keyStore: device) == .empty)

        let first = try client(server.port, resumption: nil)
        let full = try first.connect()
        #expect(!full.resumed)
        let session = try #require(first.sessionForResumption())
        try SavedSession.save(session, to: &store, keyStore: device)
        first.close()

        let second = try client(server.port, resumption: SavedSession.load(from: store, keyStore: device).bytes)
        let resumed = try second.connect()
        #expect(resumed.resumed)
        #expect(resumed.serverCertificate == nil)  // no certificate exchange in a resumed TLS 1.3 handshake
        #expect(try exchange(second, "again") == "niaga")
        second.close()
        let fullBytes = full.handshakeBytesSent + full.handshakeBytesReceived
        let resumedBytes = resumed.handshakeBytesSent + resumed.handshakeBytesReceived
        #expect(resumedBytes < fullBytes, "resumed \(resumedBytes) vs full \(fullBytes)")
        print("resumption against openssl s_server: full \(fullBytes) bytes, resumed \(resumedBytes) bytes")
    }

    @Test func anUnusableSessionFallsBackToAFullHandshake() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        for garbage in [[UInt8](repeating: 0x30, count: 40), [0x30, 0x82, 0xFF, 0xFF], []] {
            let connection = try client(server.port, resumption: garbage)
            let report = try connection.connect()
            #expect(!report.resumed)
            connection.close()
        }
        // A session from another server: accepted by none, a full handshake.
        let other = try OpenSSLServer(pki: pki)
        defer { other.stop() }
        let donor = try client(other.port, resumption: nil)
        _ = try donor.connect()
        let foreign = donor.sessionForResumption()
        donor.close()
        let connection = try client(server.port, resumption: foreign)
        #expect(try !connection.connect().resumed)
        connection.close()
    }

    @Test func theBackendRejudgesAResumedSession() throws {
        let backend = try RunningBackend(openSSLPKI: pki, registered: ["tcu-0001"])
        let first = try client(backend.port, resumption: nil)
        _ = try first.connect()
        // BoringSSL sends its TLS 1.3 ticket with its first write: take the session after an exchange.
        try first.sendAll(
            Array("GET /v1/devices/tcu-0001 HTTP/1.1\r\nHost: x\r\n\r\n".utf8), timeoutMilliseconds: 5_000)
        #expect(try readHTTPResponse(first, timeoutMilliseconds: 5_000).hasPrefix("HTTP/1.1 200"))
        let session = try #require(first.sessionForResumption())
        first.close()

        let resumed = try client(backend.port, resumption: session)
        #expect(try resumed.connect().resumed)
        try resumed.sendAll(
            Array("GET /v1/devices/tcu-0001 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8),
            timeoutMilliseconds: 5_000)
        var buffer = [UInt8](repeating: 0, count: 2048)
        let result = try buffer.withUnsafeMutableBytes { raw throws(TCULinkError) in
            try resumed.receive(into: raw, timeoutMilliseconds: 5_000)
        }
        guard case .received(let count) = result else { Issue.record("no answer"); return }
        #expect(String(decoding: buffer[0..<count], as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        resumed.close()
        #expect(backend.waitForLine("ACCEPTED", "device=tcu-0001") != nil)

        // Removed from the registry: a resumed session is refused like a full handshake would be.
        try backend.server.registry.remove("tcu-0001")
        let refused = try client(backend.port, resumption: session)
        _ = try? refused.connect()
        var probe = [UInt8](repeating: 0, count: 64)
        _ = try? probe.withUnsafeMutableBytes { raw throws(TCULinkError) in
            try refused.receive(into: raw, timeoutMilliseconds: 2_000)
        }
        #expect(
            backend.waitForLine("REFUSED", "reason=unregistered", "(resumed session)") != nil,
            "\(backend.recorder.lines)")
    }
}

import Foundation
import HostHAL
import TCUBackend
import TCULink
import TestSupport
import Testing

/// tcu-backend against `openssl s_client`, with device certificates made by OpenSSL:
/// an independent client, and an independent CA.
@Suite(.serialized) struct BackendInteropTests {
    let pki = TestPKI.directory

    func sClient(
        _ port: UInt16, device: String?,
        request: String = "GET /v1/devices/tcu-0001 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    ) -> CommandResult {
        var arguments = [
            "s_client", "-connect", "127.0.0.1:\(port)", "-quiet", "-CAfile", pki + "/root.pem", "-verify_return_error",
        ]
        if let device { arguments += ["-cert", pki + "/\(device)/chain.pem", "-key", pki + "/\(device)/key.pem"] }
        return run("/usr/bin/openssl", arguments, input: request, timeout: 15)
    }

    @Test func anOpenSSLMadeDeviceIsAcceptedOnceRegistered() throws {
        let backend = try RunningBackend(openSSLPKI: pki, registered: [])
        let before = sClient(backend.port, device: "device")
        #expect(!before.output.contains("HTTP/1.1 200"))
        #expect(backend.waitForLine("REFUSED", "device=tcu-0001", "reason=unregistered") != nil)

        try backend.server.registry.add("tcu-0001")
        let telemetry = #"{"speed_kmh":88}"#
        let post = sClient(
            backend.port, device: "device",
            request:
                "POST /v1/devices/tcu-0001/telemetry HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(telemetry.utf8.count)\r\nConnection: close\r\n\r\n\(telemetry)"
        )
        #expect(post.output.contains("HTTP/1.1 202 Accepted"), "\(post.output)")
        #expect(backend.waitForLine("ACCEPTED", "device=tcu-0001") != nil)
        #expect(try backend.server.telemetry.count(device: "tcu-0001") == 1)
        let get = sClient(backend.port, device: "device")
        #expect(get.output.contains("HTTP/1.1 200 OK") && get.output.contains("\"telemetry_count\":1"), "\(get.output)")
    }

    @Test(arguments: [
        ("device-expired", "tcu-0003", "expired"),
        ("device-serverauth", "tcu-0004", "not-client-auth"),
        ("device-revoked", "tcu-0005", "revoked"),
        ("device-rogue", "tcu-0666", "unknown-ca"),
    ])
    func badOpenSSLMadeDevicesAreRefusedWithTheirReason(device: String, id: String, reason: String) throws {
        let backend = try RunningBackend(openSSLPKI: pki, registered: ["tcu-0003", "tcu-0004", "tcu-0005", "tcu-0666"])
        let result = sClient(backend.port, device: device)
        #expect(!result.output.contains("HTTP/1.1"))
        let line = backend.waitForLine("REFUSED", "reason=\(reason)")
        #expect(line != nil, "log: \(backend.recorder.lines)")
        #expect(line?.contains("device=\(id)") == true, "\(line ?? "")")
    }

    @Test func aClientWithoutACertificateIsRefused() throws {
        let backend = try RunningBackend(openSSLPKI: pki, registered: ["tcu-0001"])
        let result = sClient(backend.port, device: nil)
        #expect(!result.output.contains("HTTP/1.1"))
        #expect(backend.waitForLine("REFUSED", "reason=no-client-certificate") != nil)
    }
}

/// The simulated TCU (the core over the host HAL) against tcu-backend: the API rules
/// and a backend that keeps serving when clients misbehave.
@Suite(.serialized) struct BackendAPITests {
    let pki = TestPKI.directory

    func connected(
        _ backend: RunningBackend, device: String = "device", serverName: String = "localhost",
        confirmAcceptance: Bool = true
    ) throws -> TLSClient<POSIXSocketTransport, FileKeyStore, SystemClock> {
        let client = try TLSClient(
            configuration: ClientConfiguration(
                host: "127.0.0.1", port: backend.port, serverName: serverName, confirmAcceptance: confirmAcceptance),
            transport: POSIXSocketTransport(), keyStore: try FileKeyStore(deviceDirectory: pki + "/" + device),
            clock: SystemClock())
        _ = try client.connect()
        return client
    }

    func request(_ client: TLSClient<POSIXSocketTransport, FileKeyStore, SystemClock>, _ raw: String) throws -> String {
        try client.sendAll(Array(raw.utf8), timeoutMilliseconds: 5_000)
        return try readHTTPResponse(client, timeoutMilliseconds: 3_000, errorsEndTheReply: true)
    }

    @Test func theDeviceAPIFollowsItsRules() throws {
        let backend = try RunningBackend(openSSLPKI: pki, registered: ["tcu-0001", "tcu-0002"])
        let client = try connected(backend)
        defer { client.close() }
        let accepted = try request(
            client, "POST /v1/devices/tcu-0001/telemetry HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{\"a\":1.5}")
        #expect(accepted.hasPrefix("HTTP/1.1 202"), "\(accepted)")
        let record = try request(client, "GET /v1/devices/tcu-0001 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(record.hasPrefix("HTTP/1.1 200") && record.contains("\"telemetry_count\":1"), "\(record)")
        let forbidden = try request(
            client, "POST /v1/devices/tcu-0002/telemetry HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        #expect(forbidden.hasPrefix("HTTP/1.1 403"), "\(forbidden)")
        let notJSON = try request(
            client, "POST /v1/devices/tcu-0001/telemetry HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(notJSON.hasPrefix("HTTP/1.1 400"), "\(notJSON)")
        let missing = try request(client, "GET /v2/anything HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(missing.hasPrefix("HTTP/1.1 404"), "\(missing)")
        let wrongMethod = try request(client, "DELETE /v1/devices/tcu-0001 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(wrongMethod.hasPrefix("HTTP/1.1 405"), "\(wrongMethod)")
        #expect(try backend.server.telemetry.count(device: "tcu-0001") == 1)
        #expect(try backend.server.telemetry.count(device: "tcu-0002") == 0)
    }

    @Test func malformedAndOversizedRequestsGet4xxNotACrash() throws {
        let backend = try RunningBackend(openSSLPKI: pki, registered: ["tcu-0001"])
        let garbage = try connected(backend)
        #expect(try request(garbage, "NOT HTTP AT ALL\r\n\r\n").hasPrefix("HTTP/1.1 400"))
        garbage.close()
        let huge = try connected(backend)
        #expect(
            try request(huge, "POST /v1/devices/tcu-0001/telemetry HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n")
                .hasPrefix("HTTP/1.1 413"))
        huge.close()
        let chunked = try connected(backend)
        #expect(
            try request(chunked, "POST /v1/devices/tcu-0001/telemetry HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
                .hasPrefix("HTTP/1.1 501"))
        chunked.close()
        // Still serving.
        let after = try connected(backend)
        #expect(try request(after, "GET /v1/devices/tcu-0001 HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 200"))
        after.close()
    }

    @Test func silentAndGarbageClientsDoNotStopOthers() throws {
        let backend = try RunningBackend(openSSLPKI: pki, registered: ["tcu-0001"], handshakeTimeout: 1)
        // A client that connects and says nothing, and one that sends junk.
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let junk = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer {
            close(silent)
            close(junk)
        }
        for fd in [silent, junk] {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = backend.port.bigEndian
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            #expect(status == 0)
        }
        let bytes = Array("GET / HTTP/1.1\r\nHost: plain-http-to-a-tls-port\r\n\r\n".utf8)
        _ = send(junk, bytes, bytes.count, Int32(MSG_NOSIGNAL))

        // Meanwhile a good device is served at once (not waiting for a ticket as proof of acceptance: BoringSSL
        // sends its TLS 1.3 ticket with its first write, so the reply is the proof here).
        let started = Date()
        let client = try connected(backend, confirmAcceptance: false)
        #expect(try request(client, "GET /v1/devices/tcu-0001 HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 200"))
        client.close()
        #expect(Date().timeIntervalSince(started) < 1)

        // The first at once, the second after 1 s.
        #expect(backend.waitForLine("REFUSED", "reason=tls-error") != nil, "\(backend.recorder.lines)")
        #expect(backend.waitForLine("REFUSED", "reason=handshake-timeout") != nil, "\(backend.recorder.lines)")
    }

    @Test func theDeviceRefusesABackendForAnotherName() throws {
        let backend = try RunningBackend(openSSLPKI: pki, registered: ["tcu-0001"])
        #expect(throws: TCULinkError(.serverNameMismatch)) {
            _ = try connected(backend, serverName: "telemetry.example.net")
        }
        #expect(backend.waitForLine("REFUSED", "reason=client-alert") != nil, "\(backend.recorder.lines)")
    }

    @Test func registryManagement() throws {
        let folder = NSTemporaryDirectory() + "tculink-registry-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let registry = DeviceRegistry(path: folder + "/registry.json")
        #expect(try registry.list().isEmpty)
        try registry.add("tcu-1", note: "test bench")
        try registry.add("tcu-2")
        #expect(throws: HostError.self) { try registry.add("tcu-1") }
        #expect(try registry.list().map(\.id) == ["tcu-1", "tcu-2"])
        #expect(registry.device("tcu-1")?.note == "test bench")
        try registry.remove("tcu-1")
        #expect(registry.device("tcu-1") == nil)
        #expect(throws: HostError.self) { try registry.remove("tcu-1") }
        FileManager.default.createFile(atPath: folder + "/broken.json", contents: Data("{not json".utf8))
        #expect(throws: HostError.self) { _ = try DeviceRegistry(path: folder + "/broken.json").list() }
    }
}

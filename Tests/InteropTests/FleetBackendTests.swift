import Foundation
import HostHAL
import HostSupport
import TCUBackend
import TCULink
import TCUPKI
import Testing

/// tcu-backend over a PKI made by tcu-pki, with many devices at once.
@Suite(.serialized) struct FleetBackendTests {
    static let deviceCount = 40
    static let folder = NSTemporaryDirectory() + "tculink-fleet-\(getpid())"
    static let pki: PrivatePKI = {
        let pki = try! PrivatePKI.create(at: folder)
        for index in 0..<deviceCount {
            try! pki.issueDevice(
                id: String(format: "fleet-%03d", index), outputDirectory: folder + String(format: "/fleet-%03d", index))
        }
        try! pki.issueDevice(
            id: "future", outputDirectory: folder + "/future", validFrom: Date().addingTimeInterval(30 * 86_400))
        return pki
    }()

    func backend() throws -> RunningBackend {
        let dir = Self.pki.directory
        return try RunningBackend(
            certificateChain: dir + "/server.pem", key: dir + "/server.key", clientCA: dir + "/device-ca.pem",
            crl: dir + "/crl.pem",
            registered: (0..<Self.deviceCount).map { String(format: "fleet-%03d", $0) } + ["future"])
    }

    @Test func manyDevicesAtOnceEachStoredExactlyOnce() throws {
        let backend = try backend()
        let port = backend.port
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: Self.deviceCount) { index in
            let id = String(format: "fleet-%03d", index)
            do {
                let client = try TLSClient(
                    configuration: ClientConfiguration(host: "127.0.0.1", port: port, serverName: "localhost"),
                    transport: POSIXSocketTransport(),
                    keyStore: try FileKeyStore(deviceDirectory: Self.folder + "/" + id),
                    clock: SystemClock())
                _ = try client.connect()
                let body = "{\"device\":\"\(id)\",\"seq\":1}"
                try client.sendAll(
                    Array(
                        "POST /v1/devices/\(id)/telemetry HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                            .utf8),
                    timeoutMilliseconds: 10_000)
                var buffer = [UInt8](repeating: 0, count: 1024)
                var reply: [UInt8] = []
                while true {
                    let result = try buffer.withUnsafeMutableBytes { raw throws(TCULinkError) in
                        try client.receive(into: raw, timeoutMilliseconds: 10_000)
                    }
                    guard case .received(let count) = result else { break }
                    reply += buffer[0..<count]
                }
                client.close()
                results.record(id, String(decoding: reply, as: UTF8.self).hasPrefix("HTTP/1.1 202"))
            } catch {
                results.record(id, false)
            }
        }
        #expect(results.accepted == Self.deviceCount, "\(results.failed)")
        for index in 0..<Self.deviceCount {
            #expect(try backend.server.telemetry.count(device: String(format: "fleet-%03d", index)) == 1)
        }
    }

    @Test func aNotYetValidDeviceIsRefused() throws {
        let backend = try backend()
        let client = try TLSClient(
            configuration: ClientConfiguration(host: "127.0.0.1", port: backend.port, serverName: "localhost"),
            transport: POSIXSocketTransport(), keyStore: try FileKeyStore(deviceDirectory: Self.folder + "/future"),
            clock: SystemClock())
        // swift-nio-ssl's custom verification ends every refusal with certificate_unknown (46): the device
        // learns that it was refused, the backend's log says why.
        #expect(throws: TCULinkError(.peerRejectedCertificate, alert: .certificateUnknown)) { _ = try client.connect() }
        #expect(
            backend.waitForLine("REFUSED", "device=future", "reason=not-yet-valid") != nil, "\(backend.recorder.lines)")
    }
}

final class Results: Sendable {
    private let outcomes = Locked<(accepted: Int, failed: [String])>((0, []))
    var accepted: Int { outcomes.withLock { $0.accepted } }
    var failed: [String] { outcomes.withLock { $0.failed } }

    func record(_ id: String, _ ok: Bool) {
        outcomes.withLock { if ok { $0.accepted += 1 } else { $0.failed.append(id) } }
    }
}

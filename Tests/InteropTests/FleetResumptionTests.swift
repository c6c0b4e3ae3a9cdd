import Foundation
import TCUBackend
import TCUFleet
import TCUPKI
import Testing

/// A fleet resuming against tcu-backend: every resumption must still be re-judged, and none may be
/// refused for want of the certificate it was first accepted with. Before the backend sealed its
/// own tickets (SessionTickets), wolfSSL's session cache evicted that link under load and most
/// resumptions of a 40-device fleet were refused (fail closed) and repeated as full handshakes.
@Suite(.serialized) struct FleetResumptionTests {
    @Test func resumptionsUnderFleetLoadAreNotRefused() throws {
        let folder = NSTemporaryDirectory() + "tculink-resume-fleet-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pki = try PrivatePKI.create(at: folder)
        let folders = try (1...40).map { index -> String in
            let id = String(format: "resume-%03d", index)
            try pki.issueDevice(id: id, outputDirectory: folder + "/fleet/" + id)
            return folder + "/fleet/" + id
        }
        let registry = DeviceRegistry(path: folder + "/registry.json")
        for path in folders { try registry.add(URL(fileURLWithPath: path).lastPathComponent) }
        let server = try BackendServer(
            configuration: .init(
                host: "127.0.0.1", port: 0, certificateChainFile: folder + "/server.pem",
                keyFile: folder + "/server.key",
                clientCAFile: folder + "/device-ca.pem", crlFile: folder + "/crl.pem"),
            registry: registry, telemetry: try TelemetryStore(directory: folder + "/telemetry"),
            log: BackendLog(sink: { _ in }))
        try server.start()
        defer { server.stop() }

        var configuration = FleetRun.Configuration(
            host: "127.0.0.1", port: server.port, serverName: "localhost", deviceFolders: folders, duration: 5)
        configuration.interval = 50
        let summary = FleetRun(configuration: configuration).run()

        #expect(summary.resumedHandshakes > summary.fullHandshakes, "\(summary)")
        #expect(summary.resumptionsRefused == 0, "\(summary)")
        #expect(summary.failures.isEmpty, "\(summary.failures)")
    }
}

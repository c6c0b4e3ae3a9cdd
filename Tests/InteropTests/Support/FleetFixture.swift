import Foundation
import HostSupport
import InMemoryLogging
import Logging
import TCUBackend
import TCUPKI

/// A private PKI with `count` registered devices (PREFIX-001 …), their folders, and the
/// backend's registry and telemetry store: what the fleet tests run against.
struct FleetFixture {
    let folder: String
    let deviceFolders: [String]
    let registry: DeviceRegistry
    let telemetry: TelemetryStore

    init(prefix: String, count: Int) throws {
        folder = NSTemporaryDirectory() + "tculink-\(prefix)-\(UUID().uuidString)"
        let pki = try PrivatePKI.create(at: folder)
        let root = folder
        deviceFolders = try (1...count).map { index -> String in
            let id = String(format: "\(prefix)-%03d", index)
            try pki.issueDevice(id: id, outputDirectory: root + "/fleet/" + id)
            return root + "/fleet/" + id
        }
        registry = DeviceRegistry(path: folder + "/registry.json")
        for path in deviceFolders { try registry.add(URL(fileURLWithPath: path).lastPathComponent) }
        telemetry = try TelemetryStore(directory: folder + "/telemetry")
    }

    var deviceIDs: [String] { deviceFolders.map { URL(fileURLWithPath: $0).lastPathComponent } }

    /// A started backend for this PKI (port 0: any free port), logging nowhere.
    func startBackend(port: UInt16 = 0) throws -> BackendServer {
        let server = try BackendServer(
            configuration: .init(
                host: "127.0.0.1", port: port, certificateChainFile: folder + "/server.pem",
                keyFile: folder + "/server.key", clientCAFile: folder + "/device-ca.pem", crlFile: folder + "/crl.pem"),
            registry: registry, telemetry: telemetry,
            log: Logger(label: "tcu-backend") { _ in SwiftLogNoOpLogHandler() })
        try server.start()
        return server
    }

    /// A started backend on a port that can be taken again after a restart (`restartablePort`);
    /// tried again on another when one is taken between the probe and the bind.
    func startRestartableBackend() throws -> BackendServer {
        var lastError: Error?
        for _ in 0..<50 {
            do { return try startBackend(port: try restartablePort()) } catch { lastError = error }
        }
        throw lastError!
    }

    /// Starts the backend again on `port`, retrying for up to five seconds while the port is still
    /// held (a closing connection of the stopped backend).
    func restartBackend(port: UInt16) throws -> BackendServer {
        let deadline = Date().addingTimeInterval(5)
        while true {
            do { return try startBackend(port: port) } catch {
                if Date() > deadline { throw error }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }
}

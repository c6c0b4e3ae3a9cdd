import Foundation
import TCUBackend

/// The test backend in this process, on a free port, over a PKI folder's files.
final class RunningBackend {
    let server: BackendServer
    let log = BackendLog(sink: { _ in })
    let folder: String

    var port: UInt16 { server.port }

    init(
        certificateChain: String, key: String, clientCA: String, crl: String?, registered: [String],
        handshakeTimeout: Int = 10, idleTimeout: Int = 30
    ) throws {
        folder = NSTemporaryDirectory() + "tculink-backend-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let registry = DeviceRegistry(path: folder + "/registry.json")
        for id in registered { try registry.add(id) }
        var configuration = BackendServer.Configuration(
            host: "127.0.0.1", port: 0, certificateChainFile: certificateChain, keyFile: key, clientCAFile: clientCA,
            crlFile: crl)
        configuration.handshakeTimeout = handshakeTimeout
        configuration.idleTimeout = idleTimeout
        server = try BackendServer(
            configuration: configuration, registry: registry,
            telemetry: try TelemetryStore(directory: folder + "/telemetry"), log: log)
        try server.start()
    }

    /// The backend over the OpenSSL-made test PKI: its server chain, the root as client CA, the root's CRL.
    convenience init(openSSLPKI pki: String, registered: [String], handshakeTimeout: Int = 10) throws {
        try self.init(
            certificateChain: pki + "/server/good.pem", key: pki + "/server/good.key", clientCA: pki + "/root.pem",
            crl: pki + "/crl.pem", registered: registered, handshakeTimeout: handshakeTimeout)
    }

    /// Waits (up to 3 s) for a log line containing every fragment.
    func waitForLine(_ fragments: String...) -> String? {
        for _ in 0..<150 {
            if let line = log.lines.first(where: { line in fragments.allSatisfy { line.contains($0) } }) { return line }
            usleep(20_000)
        }
        return nil
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

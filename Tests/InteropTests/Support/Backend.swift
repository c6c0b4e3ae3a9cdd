import Foundation
import HostSupport
import InMemoryLogging
import Logging
import TCUBackend
import TCUPKI

/// The test backend in this process, on a free port, over a PKI folder's files.
final class RunningBackend {
    let server: BackendServer
    /// The enrollment listener (no client certificate), when the backend issues certificates.
    private(set) var enrollment: BackendServer?
    /// What the backend logged (`waitForLine`).
    let recorder = InMemoryLogHandler()
    let folder: String

    var port: UInt16 { server.port }

    init(
        certificateChain: String, key: String, clientCA: String, crl: String?, registered: [String],
        handshakeTimeout: Int = 10, idleTimeout: Int = 30, issuer: PrivatePKI? = nil
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
        let telemetry = try TelemetryStore(directory: folder + "/telemetry")
        let log = Logger(label: "tcu-backend") { [recorder] _ in recorder }
        server = try BackendServer(
            configuration: configuration, registry: registry, telemetry: telemetry, log: log, issuer: issuer)
        try server.start()
        if issuer != nil {
            var enrollmentConfiguration = configuration
            enrollmentConfiguration.requireClientCertificate = false
            enrollment = try BackendServer(
                configuration: enrollmentConfiguration, registry: registry, telemetry: telemetry, log: log,
                issuer: issuer)
            try enrollment?.start()
        }
    }

    /// The backend over a PKI made by tcu-pki, issuing certificates (EST) on a second, enrollment listener.
    convenience init(issuingFrom pki: PrivatePKI, registered: [String]) throws {
        let dir = pki.directory
        try self.init(
            certificateChain: dir + "/server.pem", key: dir + "/server.key", clientCA: dir + "/device-ca.pem",
            crl: dir + "/crl.pem", registered: registered, issuer: pki)
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
            if let line = recorder.lines.first(where: { line in fragments.allSatisfy { line.contains($0) } }) {
                return line
            }
            usleep(20_000)
        }
        return nil
    }

    deinit {
        server.stop()
        enrollment?.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

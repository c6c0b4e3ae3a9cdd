import ArgumentParser
import Crypto
import DeviceHTTP
import Foundation
import HostHAL
import HostSupport
import InMemoryLogging
import Logging
import TCUBackend
import TCULink
import TCUPKI

/// `tcu-sim demo`: the whole story on defaults, in a temporary folder. A PKI, a
/// registry with devices, the backend, then one good TCU and every refusal a correct
/// server (and device) must make — each as one line. Exits 0 only if every outcome
/// was the expected one.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the self-contained demo: PKI, backend, simulated TCUs; every outcome checked.")

    @Flag(name: .customLong("keep"), help: "Keep the temporary folder (PKI, registry, telemetry, backend log).")
    var keep = false

    func run() throws {
        let work = NSTemporaryDirectory() + "tculink-demo-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { if !keep { try? FileManager.default.removeItem(atPath: work) } }
        let pkiPath = work + "/pki"
        let devices = work + "/devices"

        print("== PKI: root CA, device CA, backend certificate (tcu-pki init) in \(pkiPath)")
        let pki = try PrivatePKI.create(at: pkiPath)
        let issued: [(String, PrivatePKI.DeviceProfile, Bool)] = [
            ("tcu-0001", .client, true), ("tcu-0002", .client, true), ("tcu-wrong-eku", .serverAuthOnly, true),
            ("tcu-revoked", .client, true), ("tcu-unregistered", .client, false),
        ]
        let registry = DeviceRegistry(path: pkiPath + "/registry.json")
        for (id, profile, register) in issued {
            try pki.issueDevice(id: id, outputDirectory: devices + "/" + id, profile: profile)
            if register { try registry.add(id) }
        }
        try pki.revoke(id: "tcu-revoked")
        print(
            "== Devices issued: \(issued.map(\.0).joined(separator: ", ")); registered all but tcu-unregistered; tcu-revoked revoked"
        )

        let recorder = InMemoryLogHandler()  // the demo reads what the backend said
        let log = Logger(label: "tcu-backend") { _ in recorder }
        let backend = try BackendServer(
            configuration: .init(
                host: "127.0.0.1", port: 0, certificateChainFile: pkiPath + "/server.pem",
                keyFile: pkiPath + "/server.key",
                clientCAFile: pkiPath + "/device-ca.pem", crlFile: pkiPath + "/crl.pem"),
            registry: registry, telemetry: try TelemetryStore(directory: pkiPath + "/telemetry"), log: log, issuer: pki)
        try backend.start()
        defer { backend.stop() }
        var enrollmentConfiguration = backend.configuration
        enrollmentConfiguration.requireClientCertificate = false
        let enrollment = try BackendServer(
            configuration: enrollmentConfiguration, registry: registry, telemetry: backend.telemetry, log: log,
            issuer: pki)
        try enrollment.start()
        defer { enrollment.stop() }
        print(
            "== Backend listening on 127.0.0.1:\(backend.port) (mutual TLS, registry, CRL), enrollment (EST) on 127.0.0.1:\(enrollment.port)"
        )
        print("== Outcomes")

        var failures = 0
        func outcome(_ ok: Bool, _ what: String, _ detail: String) {
            print("  \(ok ? "✓" : "✗") \(what.padding(toLength: 64, withPad: " ", startingAt: 0)) \(detail)")
            if !ok { failures += 1 }
        }
        func backendLine(for id: String, after mark: Int) -> String {
            for _ in 0..<100 {
                if let line = recorder.lines.dropFirst(mark).first(where: { $0.contains("device=\(id) ") }) {
                    return line
                }
                usleep(20_000)
            }
            return "(no backend log line)"
        }
        func client(_ id: String, serverName: String = "localhost") throws -> TLSClient<
            POSIXSocketTransport, FileKeyStore, SystemClock
        > {
            try TLSClient(
                configuration: ClientConfiguration(host: "127.0.0.1", port: backend.port, serverName: serverName),
                transport: POSIXSocketTransport(), keyStore: try FileKeyStore(deviceDirectory: devices + "/" + id),
                clock: SystemClock())
        }

        // 1. The good TCU: handshake, then telemetry accepted.
        do {
            let tcu = try client("tcu-0001")
            let connection = try tcu.connect()
            let response = try HTTPExchange.perform(
                tcu, method: "POST", path: "/v1/devices/tcu-0001/telemetry", host: "localhost",
                json: #"{"speed_kmh":42,"battery_v":12.6}"#)
            tcu.close()
            outcome(
                response.status == 202, "tcu-0001: mutual TLS and telemetry accepted",
                "\(connection.protocolVersion), \(connection.handshakeMilliseconds) ms, backend: \(response.status) \(response.body)"
            )
        } catch {
            outcome(false, "tcu-0001: mutual TLS and telemetry accepted", Describe.error(error))
        }

        // 2. A new device enrolls: key made on the device, a CSR, EST simpleenroll with a one-time token.
        do {
            let folder = devices + "/tcu-0003"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let key = P256.Signing.PrivateKey()
            guard
                FileManager.default.createFile(
                    atPath: folder + "/key.pem", contents: Data(key.pemRepresentation.utf8),
                    attributes: [.posixPermissions: 0o600])
            else { throw HostError("cannot write the demo key") }
            try registry.add("tcu-0003")
            let secret = "demo-\(UUID().uuidString)"
            try registry.setEnrollmentToken("tcu-0003", token: secret)
            var store = try FileKeyStore(keyOnly: folder + "/key.pem", trustFile: pkiPath + "/root.pem")
            var configuration = ClientConfiguration(host: "127.0.0.1", port: enrollment.port, serverName: "localhost")
            configuration.withoutClientCertificate = true
            let anonymous = try TLSClient(
                configuration: configuration, transport: POSIXSocketTransport(), keyStore: store, clock: SystemClock())
            _ = try anonymous.connect()
            let chain = try EST.request(
                anonymous, keyStore: &store, id: "tcu-0003", path: "/.well-known/est/simpleenroll", host: "localhost",
                basicAuth: "tcu-0003:\(secret)")
            anonymous.close()
            try SecureFile.write(EST.pem(chain), to: folder + "/chain.pem", mode: 0o644)
            try SecureFile.write(
                try Data(contentsOf: URL(fileURLWithPath: pkiPath + "/root.pem")), to: folder + "/trust.pem",
                mode: 0o644)
            let tcu = try client("tcu-0003")
            _ = try tcu.connect()
            let response = try HTTPExchange.perform(
                tcu, method: "POST", path: "/v1/devices/tcu-0003/telemetry", host: "localhost",
                json: #"{"first_boot":true}"#)
            tcu.close()
            outcome(
                response.status == 202 && !registry.enrollmentTokenMatches("tcu-0003", token: secret),
                "tcu-0003: enrolled (EST, one-time token), then accepted",
                "backend: \(backendLine(for: "tcu-0003", after: 0))")
        } catch {
            outcome(false, "tcu-0003: enrolled (EST, one-time token), then accepted", Describe.error(error))
        }

        // 3–5. Devices the backend must refuse, each for its own reason.
        for (id, what, reason) in [
            ("tcu-wrong-eku", "EKU serverAuth-only certificate: refused", "not-client-auth"),
            ("tcu-revoked", "a revoked device: refused", "revoked"),
            ("tcu-unregistered", "a valid but unregistered device: refused", "unregistered"),
        ] {
            let mark = recorder.lines.count
            var deviceSaw = "connected"
            do {
                let tcu = try client(id)
                _ = try tcu.connect()
                tcu.close()
            } catch {
                deviceSaw = Describe.error(error)
            }
            let line = backendLine(for: id, after: mark)
            outcome(
                deviceSaw.hasPrefix("peerRejectedCertificate") && line.contains("reason=\(reason)"), "\(id): \(what)",
                "backend: \(line)")
        }

        // 6. A device writing to another device's path.
        do {
            let tcu = try client("tcu-0001")
            _ = try tcu.connect()
            let response = try HTTPExchange.perform(
                tcu, method: "POST", path: "/v1/devices/tcu-0002/telemetry", host: "localhost",
                json: #"{"speed_kmh":1}"#)
            tcu.close()
            outcome(
                response.status == 403, "tcu-0001 writing to tcu-0002's path: forbidden",
                "backend: \(response.status) \(response.body)")
        } catch {
            outcome(false, "tcu-0001 writing to tcu-0002's path: forbidden", Describe.error(error))
        }

        // 7. The device refusing a backend whose certificate does not carry the name it dialled.
        do {
            let tcu = try client("tcu-0002", serverName: "telemetry.example.net")
            _ = try tcu.connect()
            tcu.close()
            outcome(false, "tcu-0002 dialling telemetry.example.net: refuses the backend", "it connected")
        } catch {
            outcome(
                (error as? TCULinkError)?.reason == .serverNameMismatch,
                "tcu-0002 dialling telemetry.example.net: refuses the backend", "device: " + Describe.error(error))
        }

        let stored = (try? backend.telemetry.count(device: "tcu-0001")) ?? -1
        outcome(stored == 1, "telemetry stored exactly once", "tcu-0001 has \(stored) message(s) on disk")

        // 8–12. The same fleet over MQTT, through mosquitto with the TCULink plugin.
        try DemoMQTTStory(pki: pki, pkiPath: pkiPath, devices: devices, registry: registry, outcome: outcome).run()

        if keep { print("== Kept \(work)") }
        if failures > 0 {
            print("demo: \(failures) outcome(s) not as expected")
            throw ExitCode(1)
        }
        print("demo: every outcome as expected")
    }
}

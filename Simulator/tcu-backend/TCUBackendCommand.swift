import ArgumentParser
import Foundation
import Logging
import TCUBackend
import TCUPKI

/// tcu-backend: the mutual-TLS test backend a TCU meets.
@main
struct TCUBackendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcu-backend",
        abstract: "The mTLS test backend: device registry, per-device authorization, revocation.",
        subcommands: [Serve.self, Broker.self, Devices.self]
    )
}

func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("tcu-backend: \(message)\n".utf8))
    return ExitCode(2)
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the device API over mutual TLS.",
        discussion: """
            With --pki DIR (a folder made by `tcu-pki init`), the defaults are: --cert-chain DIR/server.pem, \
            --key DIR/server.key, --client-ca DIR/device-ca.pem, --crl DIR/crl.pem, --registry DIR/registry.json, \
            --data DIR/telemetry. Each refusal is logged as one line naming the device and the reason.
            """)

    @Option(help: "Address and port to listen on (port 0: any free port, printed at start).") var listen =
        "127.0.0.1:8443"
    @Option(help: "A PKI folder made by tcu-pki init (sets the defaults below).") var pki: String?
    @Option(name: .customLong("cert-chain"), help: "The backend's certificate chain (PEM).") var certChain: String?
    @Option(help: "The backend's private key (PEM, mode 0600).") var key: String?
    @Option(name: .customLong("client-ca"), help: "CA certificates device chains must lead to (PEM).") var clientCA:
        String?
    @Option(help: "A CRL of the client CA (PEM); reloaded when the file changes.") var crl: String?
    @Option(help: "The device registry (JSON, managed by `tcu-backend devices`).") var registry: String?
    @Option(help: "Folder for accepted telemetry (one JSON Lines file per device).") var data: String?
    @Option(
        name: .customLong("enroll-listen"),
        help: "Also listen here for first enrollment (EST simpleenroll, no client certificate). Needs --pki.")
    var enrollListen: String?
    @Option(name: .customLong("handshake-timeout"), help: "Seconds a client has to finish the handshake.")
    var handshakeTimeout = 10
    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may stay idle.") var idleTimeout = 30
    @Option(name: .customLong("max-connections"), help: "Connections open at once; more are closed at accept.")
    var maxConnections = 10_000

    func run() throws {
        let base = pki.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        guard let certChain = certChain ?? base.map({ $0 + "server.pem" }),
            let key = key ?? base.map({ $0 + "server.key" }),
            let clientCA = clientCA ?? base.map({ $0 + "device-ca.pem" }),
            let registryPath = registry ?? base.map({ $0 + "registry.json" })
        else { throw fail("give --pki DIR, or --cert-chain, --key, --client-ca and --registry") }
        let crlPath = crl ?? base.map { $0 + "crl.pem" }
        let dataPath = data ?? base.map { $0 + "telemetry" } ?? "telemetry"
        func address(_ text: String, _ option: String) throws -> (String, UInt16) {
            guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
                throw fail("\(option) must be HOST:PORT")
            }
            return (String(text[..<colon]), port)
        }
        let (host, port) = try address(listen, "--listen")
        var configuration = BackendServer.Configuration(
            host: host, port: port, certificateChainFile: certChain, keyFile: key, clientCAFile: clientCA,
            crlFile: crlPath)
        configuration.handshakeTimeout = handshakeTimeout
        configuration.idleTimeout = idleTimeout
        configuration.maxConnections = maxConnections
        var servers: [BackendServer] = []
        do {
            // With a PKI folder holding the device CA's key, the backend also issues certificates (EST).
            let issuer = try pki.flatMap { dir in
                FileManager.default.fileExists(atPath: dir + "/device-ca.key") ? try PrivatePKI(directory: dir) : nil
            }
            let registry = DeviceRegistry(path: registryPath)
            let telemetry = try TelemetryStore(directory: dataPath)
            LoggingSystem.bootstrap(LogLinePrinter.init)
            let log = Logger(label: "tcu-backend")
            servers.append(
                try BackendServer(
                    configuration: configuration, registry: registry, telemetry: telemetry, log: log, issuer: issuer))
            if let enrollListen {
                guard issuer != nil else { throw fail("--enroll-listen needs --pki DIR with the device CA's key") }
                var enrollment = configuration
                (enrollment.host, enrollment.port) = try address(enrollListen, "--enroll-listen")
                enrollment.requireClientCertificate = false
                servers.append(
                    try BackendServer(
                        configuration: enrollment, registry: registry, telemetry: telemetry, log: log, issuer: issuer))
            }
            for server in servers { try server.start() }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail("\(error)")
        }
        signal(SIGPIPE, SIG_IGN)  // a device that hangs up mid-write is an error to log, not the end of the process
        // Serve until terminated (the event loops run on their own threads).
        while true { sleep(3600) }
    }
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the device registry.", subcommands: [Add.self, Remove.self, List.self])

    struct RegistryOption: ParsableArguments {
        @Option(help: "The registry file.") var registry: String?
        @Option(help: "A PKI folder: the registry is DIR/registry.json.") var pki: String?
        func path() throws -> String {
            if let registry { return registry }
            if let pki { return pki + "/registry.json" }
            throw fail("give --registry FILE or --pki DIR")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a device by the identity (CN) in its certificate.")
        @OptionGroup var options: RegistryOption
        @Argument(help: "The device id.") var id: String
        @Option(help: "A note kept with the device.") var note: String?
        @Flag(help: "A backend identity, not a device: the broker plugin lets it read every device's telemetry.")
        var backend = false
        @Option(
            name: .customLong("enroll-token-file"),
            help: "A file holding a one-time enrollment token (16+ characters) for EST simpleenroll.")
        var enrollTokenFile: String?
        func run() throws {
            do {
                let registry = DeviceRegistry(path: try options.path())
                try registry.add(id, note: note, role: backend ? "backend" : nil)
                if let enrollTokenFile {
                    guard let data = FileManager.default.contents(atPath: enrollTokenFile) else {
                        throw fail("\(enrollTokenFile): not found")
                    }
                    try registry.setEnrollmentToken(
                        id, token: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    )
                }
            } catch let error as ExitCode { throw error } catch { throw fail("\(error)") }
            print(
                "registered \(id)" + (backend ? " as a backend identity" : "")
                    + (enrollTokenFile != nil ? " with a one-time enrollment token" : ""))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a device from the registry.")
        @OptionGroup var options: RegistryOption
        @Argument(help: "The device id.") var id: String
        func run() throws {
            do { try DeviceRegistry(path: try options.path()).remove(id) } catch let error as ExitCode {
                throw error
            } catch { throw fail("\(error)") }
            print("removed \(id)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered devices.")
        @OptionGroup var options: RegistryOption
        func run() throws {
            let devices: [DeviceRegistry.Device]
            do { devices = try DeviceRegistry(path: try options.path()).list() } catch let error as ExitCode {
                throw error
            } catch { throw fail("\(error)") }
            for device in devices { print(device.id + (device.note.map { "  \($0)" } ?? "")) }
        }
    }
}

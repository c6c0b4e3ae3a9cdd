import Foundation
import TestSupport

/// mosquitto from Debian as the device's MQTT peer: TLS 1.3 on a free loopback port, a client
/// certificate required and chaining to the test PKI's root, the certificate's CN as the username
/// (as a fleet's broker is set up), no anonymous clients. Started per test, killed at the end.
final class MosquittoBroker {
    /// tculink-mosquitto-auth's options (Simulator/MosquittoAuth): with it, the plugin decides who
    /// connects and what each may publish and subscribe to, instead of `use_identity_as_username`.
    struct AuthPlugin {
        var registry: String
        var crl: String? = nil
        var crlIssuer: String? = nil
        var policies: String? = nil
        var hubHost: String? = nil

        /// The plugin built with AddressSanitizer and UBSan (scripts/targets/build-mosquitto-auth); mosquitto
        /// runs with libasan preloaded, and a finding stops the broker.
        static let library = TestPKI.repository.appendingPathComponent(
            ".build-mosquitto/asan/tculink_mosquitto_auth.so"
        ).path

        var configuration: String {
            var lines = ["plugin \(Self.library)", "plugin_opt_registry \(registry)"]
            if let crl { lines.append("plugin_opt_crl \(crl)") }
            if let crlIssuer { lines.append("plugin_opt_crl_issuer \(crlIssuer)") }
            if let policies { lines.append("plugin_opt_policies \(policies)") }
            if let hubHost { lines.append("plugin_opt_hub_host \(hubHost)") }
            return lines.joined(separator: "\n")
        }
    }

    let port: UInt16
    let folder: String
    let plugin: AuthPlugin?
    private var process: ChildProcess?

    /// - Parameter persistent: keep sessions and queued messages in a database across a restart (`stop()`, `start()`).
    init(pki: String = TestPKI.directory, persistent: Bool = false, plugin: AuthPlugin? = nil) throws {
        port = try restartablePort()
        folder = NSTemporaryDirectory() + "tculink-mosquitto-\(UUID().uuidString)"
        self.plugin = plugin
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let identity = plugin.map { $0.configuration } ?? "use_identity_as_username true"
        let configuration = """
            per_listener_settings false
            # The tests run as root; mosquitto would otherwise switch to its own user and lose the keys.
            user root
            persistence \(persistent)
            persistence_location \(folder)/
            autosave_interval 1
            log_dest stdout
            log_dest file \(folder)/broker.log
            log_type error
            log_type warning
            log_type notice
            log_type information
            log_type subscribe
            listener \(port) 127.0.0.1
            cafile \(pki)/root.pem
            certfile \(pki)/server/good.pem
            keyfile \(pki)/server/good.key
            require_certificate true
            \(identity)
            tls_version tlsv1.3
            allow_anonymous false

            """
        try configuration.write(toFile: folder + "/mosquitto.conf", atomically: true, encoding: .utf8)
        try start()
    }

    func start() throws {
        var command = ["/usr/sbin/mosquitto", "-c", folder + "/mosquitto.conf"]
        if plugin != nil {  // the sanitizers' runtime first, for the plugin built with them
            command =
                [
                    "LD_PRELOAD=" + sanitizerRuntime(), "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1",
                    "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1",
                ] + command
            command.insert("/usr/bin/env", at: 0)
        }
        let process = try ChildProcess(command[0], Array(command.dropFirst()), logFile: folder + "/mosquitto.log")
        self.process = process
        do {
            try waitUntilListening(port)
        } catch {
            process.stop()
            throw error
        }
    }

    /// Stops the broker at once (SIGKILL): the device sees its connection drop.
    func kill() { process?.stop() }

    /// Stops the broker as an operator would (SIGTERM): it saves its database first.
    func stop() {
        guard let process else { return }
        Glibc.kill(process.pid, SIGTERM)
        _ = process.wait(timeout: 10)
        self.process = nil
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the broker: a silent peer, its sockets still open.
    func freeze(_ frozen: Bool) {
        if let pid = process?.pid { Glibc.kill(pid, frozen ? SIGSTOP : SIGCONT) }
    }

    /// What the broker logged (its file log: written line by line, unlike its buffered stdout).
    var log: String { (try? String(contentsOfFile: folder + "/broker.log", encoding: .utf8)) ?? "" }

    /// What mosquitto printed to stdout and stderr (a refusal to start, a sanitizer's report).
    var output: String { process?.output ?? "" }

    /// `mosquitto_sub` / `mosquitto_pub` with a device certificate of the test PKI: the independent
    /// MQTT client the device's messages are checked with.
    func clientArguments(device: String = "device-rsa", pki: String = TestPKI.directory) -> [String] {
        [
            "-h", "localhost", "-p", "\(port)", "--cafile", pki + "/root.pem", "--cert", pki + "/\(device)/chain.pem",
            "--key", pki + "/\(device)/key.pem",
        ]
    }

    deinit {
        freeze(false)
        kill()
    }
}

/// libasan of the C compiler the plugin was built with.
private func sanitizerRuntime() -> String {
    let result = run("/usr/bin/cc", ["-print-file-name=libasan.so"])
    return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
}

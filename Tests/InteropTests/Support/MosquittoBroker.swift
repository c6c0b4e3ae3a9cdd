import Foundation
import TestSupport

/// mosquitto from Debian as the device's MQTT peer: TLS 1.3 on a free loopback port, a client
/// certificate required and chaining to the test PKI's root, the certificate's CN as the username
/// (as a fleet's broker is set up), no anonymous clients. Started per test, killed at the end.
final class MosquittoBroker {
    let port: UInt16
    let folder: String
    private var process: ChildProcess?

    /// - Parameter persistent: keep sessions and queued messages in a database across a restart (`stop()`, `start()`).
    init(pki: String = TestPKI.directory, persistent: Bool = false) throws {
        port = try restartablePort()
        folder = NSTemporaryDirectory() + "tculink-mosquitto-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let configuration = """
            per_listener_settings false
            # The tests run as root; mosquitto would otherwise switch to its own user and lose the keys.
            user root
            persistence \(persistent)
            persistence_location \(folder)/
            autosave_interval 1
            log_dest stdout
            log_type error
            log_type warning
            log_type notice
            listener \(port) 127.0.0.1
            cafile \(pki)/root.pem
            certfile \(pki)/server/good.pem
            keyfile \(pki)/server/good.key
            require_certificate true
            use_identity_as_username true
            tls_version tlsv1.3
            allow_anonymous false

            """
        try configuration.write(toFile: folder + "/mosquitto.conf", atomically: true, encoding: .utf8)
        try start()
    }

    func start() throws {
        let process = try ChildProcess(
            "/usr/sbin/mosquitto", ["-c", folder + "/mosquitto.conf"], logFile: folder + "/mosquitto.log")
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

    var log: String { process?.output ?? "" }

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

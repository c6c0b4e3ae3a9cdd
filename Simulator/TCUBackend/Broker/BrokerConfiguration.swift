import Foundation
import HostSupport

/// mosquitto set up for a PKI made by `tcu-pki init`, with tculink-mosquitto-auth
/// (Simulator/MosquittoAuth) deciding who may connect and what each may publish and subscribe to:
/// what `tcu-backend broker` runs and `tcu-sim demo` starts.
///
/// mosquitto verifies the device chain (root and device CA); the plugin takes the device id from the
/// certificate, checks the registry and the CRL (both re-read when they change), and keeps each device
/// to its own topics. The files are written into `folder` (the config, the CA bundle, the broker's log
/// and its persistence database).
public struct BrokerConfiguration: Sendable {
    public var pki: String
    public var host = "127.0.0.1"
    public var port: UInt16 = 8883
    /// The plugin's shared object (scripts/targets/build-mosquitto-auth).
    public var plugin: String
    /// Azure IoT Hub mode: the username must be `{hubHost}/{device id}/?api-version=...`.
    public var hubHost: String?
    /// Policy OID grants (`OID publish|subscribe PATTERN` per line).
    public var policies: String?

    public init(pki: String, plugin: String) {
        self.pki = pki
        self.plugin = plugin
    }

    public var registry: String { pki + "/registry.json" }

    /// The plugin where the repository's build puts it, seen from a tool in `.build/<config>/`; nil when
    /// it is not built.
    public static func builtPlugin(besideExecutable executable: String = CommandLine.arguments[0]) -> String? {
        let relative = ".build-mosquitto/tculink_mosquitto_auth.so"
        if let given = ProcessInfo.processInfo.environment["TCULINK_MOSQUITTO_AUTH"] { return given }
        // The repository that holds the tool's build folder: a few levels up from .build/<triple>/<config>/.
        var folder = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = folder.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        let here = FileManager.default.currentDirectoryPath + "/" + relative
        return FileManager.default.fileExists(atPath: here) ? here : nil
    }

    /// Writes the configuration into `folder` and returns its path. An empty registry is created when
    /// there is none (every device is then refused until `tcu-backend devices add`); any other missing
    /// file is named in the error.
    public func write(into folder: String) throws -> String {
        let required = [
            ("the root CA", pki + "/root.pem"), ("the device CA", pki + "/device-ca.pem"),
            ("the broker's certificate", pki + "/server.pem"), ("the broker's key", pki + "/server.key"),
            ("the CRL", pki + "/crl.pem"), ("the plugin", plugin),
        ]
        for (what, path) in required + (policies.map { [("the policy file", $0)] } ?? [])
        where !FileManager.default.fileExists(atPath: path) {
            throw HostError("\(what) is missing: \(path)")
        }
        if !FileManager.default.fileExists(atPath: registry) {
            try Data("[]\n".utf8).write(to: URL(fileURLWithPath: registry))
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Devices send their leaf and the device CA; mosquitto trusts the root and, for chains without it, the device CA.
        let bundle =
            try Data(contentsOf: URL(fileURLWithPath: pki + "/root.pem"))
            + Data(contentsOf: URL(fileURLWithPath: pki + "/device-ca.pem"))
        try bundle.write(to: URL(fileURLWithPath: folder + "/ca-bundle.pem"))
        var lines = [
            "# Written by tcu-backend broker for the PKI in \(pki).",
            "per_listener_settings false",
            "persistence true",
            "persistence_location \(folder)/",
            "log_dest stdout",
            "log_dest file \(folder)/broker.log",
            "log_type error", "log_type warning", "log_type notice", "log_type information", "log_type subscribe",
            "listener \(port) \(host)",
            "cafile \(folder)/ca-bundle.pem",
            "certfile \(pki)/server.pem",
            "keyfile \(pki)/server.key",
            "require_certificate true",
            "tls_version tlsv1.3",
            "allow_anonymous false",
            // The backend must not lose telemetry while it is busy: mosquitto's default drops QoS 1 messages
            // for a client past 1,000 queued (measured: 20,302 of 64,049 with 10,000 devices publishing).
            "max_queued_messages 0",
            "plugin \(plugin)",
            "plugin_opt_registry \(registry)",
            "plugin_opt_crl \(pki)/crl.pem",
            "plugin_opt_crl_issuer \(pki)/device-ca.pem",
        ]
        // As root, mosquitto would switch to its own user and lose the 0600 key.
        if geteuid() == 0 { lines.insert("user root", at: 1) }
        if let policies { lines.append("plugin_opt_policies \(policies)") }
        if let hubHost { lines.append("plugin_opt_hub_host \(hubHost)") }
        let path = folder + "/mosquitto.conf"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

import ArgumentParser
import Foundation
import HostHAL
import TCUBackend
import TCUFleet
import TCULink
import TCUPKI

/// `tcu-sim fleet`: N simulated TCUs, each with its own identity, against a backend.
struct Fleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a fleet of simulated TCUs (own identities, backoff, resumption, faults) and summarize.",
        discussion: """
            Devices fleet-0001… are issued from --pki DIR (made by tcu-pki init) into DIR/fleet and registered in \
            DIR/registry.json, the registry `tcu-backend serve --pki DIR` reads. Telemetry stored by that backend \
            (DIR/telemetry) is audited: exit 0 only when every acknowledged message is stored exactly once and \
            every device connected at least once. With --mqtt, --backend is an MQTT broker (`tcu-backend broker \
            --pki DIR`): the devices publish QoS 1 telemetry to devices/{id}/messages/events/, a backend identity \
            (fleet-backend, registered as a backend) subscribes to all of it, and the audit checks that every \
            message the broker acknowledged reached it (QoS 1 duplicates counted apart).
            """)

    @Option(help: "PKI folder made by tcu-pki init.") var pki: String
    @Option(help: "Number of devices.") var devices: Int = 10
    @Option(help: "Backend HOST:PORT.") var backend: String
    @Option(name: .customLong("server-name"), help: "Name the backend certificate must carry.") var serverName =
        "localhost"
    @Option(help: "Seconds to run.") var duration: Double = 10
    @Option(help: "Milliseconds between two messages of one device.") var interval: UInt32 = 200
    @Option(name: .customLong("fault"), help: "Inject a link fault on every device (repeatable), as for connect.")
    var faultSpecs: [String] = []
    @Option(help: "Write the summary as JSON here.") var json: String?
    @Flag(help: "Talk MQTT to a broker (tcu-backend broker) instead of HTTP to tcu-backend serve.") var mqtt = false
    @Option(
        name: .customLong("event-loops"),
        help:
            "With --mqtt: drive the devices from this many threads (non-blocking steps, sockets polled), not one each.")
    var eventLoops: Int?

    func run() throws {
        guard let colon = backend.lastIndex(of: ":"), let port = UInt16(backend[backend.index(after: colon)...]) else {
            throw ValidationError("--backend must be HOST:PORT")
        }
        let faults = try faultSpecs.map { spec -> TransportFault in
            guard let fault = TransportFault(spec) else { throw ValidationError("--fault \(spec) is not a fault") }
            return fault
        }
        let folders = try FleetDevices.prepare(pki: pki, count: devices)
        var configuration = FleetRun.Configuration(
            host: String(backend[..<colon]), port: port, serverName: serverName, deviceFolders: folders,
            duration: duration)
        configuration.faults = faults
        configuration.interval = interval
        if mqtt { return try runMQTT(configuration) }
        let fleet = FleetRun(configuration: configuration)
        startProgressLine(what: "telemetry") { fleet.progress }
        let summary = fleet.run()
        FileHandle.standardError.write(Data("\n".utf8))
        let ids = folders.map { URL(fileURLWithPath: $0).lastPathComponent }
        let audit = FleetAudit.audit(summary, telemetryDirectory: pki + "/telemetry", devices: ids)
        print(FleetReport.text(summary, audit: audit))
        if let json { try FleetReport.json(summary, audit: audit).write(to: URL(fileURLWithPath: json)) }
        if !audit.lost.isEmpty || !audit.duplicated.isEmpty || !summary.stuckDevices.isEmpty { throw ExitCode(1) }
    }
}

extension Fleet {
    /// The fleet over MQTT: devices publish, the backend identity subscribes, the audit compares.
    func runMQTT(_ fleetConfiguration: FleetRun.Configuration) throws {
        let backendFolder = try FleetDevices.prepareBackendIdentity(pki: pki)
        raiseOpenFileLimit()  // a socket per device
        var configuration = MQTTFleetRun.Configuration(fleet: fleetConfiguration, backendFolder: backendFolder)
        configuration.eventLoops = eventLoops
        let fleet = MQTTFleetRun(configuration: configuration)
        let started = Date()
        startProgressLine(what: "QoS 1") { fleet.progress }
        let (summary, audit) = fleet.run()
        FileHandle.standardError.write(Data("\n".utf8))
        let stored = FleetAudit.Result(stored: audit.received, lost: audit.lost, duplicated: [])
        let seconds = Date().timeIntervalSince(started)
        let peakResident = Self.peakResidentBytes()
        let handshakes = summary.fullHandshakes + summary.resumedHandshakes
        print(
            FleetReport.text(summary, audit: stored, storedBy: "received by the backend")
                + "\nQoS 1 duplicates:   \(audit.duplicates) (a resend after a lost PUBACK; allowed, counted apart)"
                + String(
                    format: "\nmemory:             peak RSS %.1f MB for %d devices (%.1f KB per device), %@",
                    Double(peakResident) / 1_048_576, summary.devices,
                    Double(peakResident) / 1024 / Double(max(1, summary.devices)),
                    eventLoops.map { "\($0) event-loop thread(s)" } ?? "a thread per device")
                + String(
                    format: "\nrates:              %.0f handshakes/s, %.0f messages acknowledged/s over %.0f s",
                    Double(handshakes) / seconds, Double(summary.telemetryAcknowledged) / seconds, seconds))
        if let json {
            var report =
                try JSONSerialization.jsonObject(with: FleetReport.json(summary, audit: stored)) as? [String: Any]
            report?["qos1_duplicates"] = audit.duplicates
            report?["transport"] = "mqtt"
            report?["peak_rss_bytes"] = peakResident
            report?["event_loops"] = eventLoops ?? 0
            report?["handshakes_per_second"] = Double(handshakes) / seconds
            try JSONSerialization.data(withJSONObject: report ?? [:], options: [.prettyPrinted, .sortedKeys]).write(
                to: URL(fileURLWithPath: json))
        }
        if !audit.lost.isEmpty || !summary.stuckDevices.isEmpty { throw ExitCode(1) }
    }
}

extension Fleet {
    /// A line on stderr, rewritten every second while the run lasts: handshakes, messages, failures.
    func startProgressLine(what: String, _ progress: @escaping @Sendable () -> FleetRun.Summary) {
        let duration = duration
        Thread {
            let start = Date()
            while Date().timeIntervalSince(start) < duration {
                sleep(1)
                let p = progress()
                FileHandle.standardError.write(
                    Data(
                        String(
                            format: "\r[%3.0fs] handshakes %d full / %d resumed, %@ %d/%d acknowledged, failures %d   ",
                            Date().timeIntervalSince(start), p.fullHandshakes, p.resumedHandshakes, what,
                            p.telemetryAcknowledged, p.telemetrySent, p.failures.values.reduce(0, +)
                        ).utf8))
            }
        }.start()
    }

    /// The highest resident set size of this process so far (VmHWM).
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Up to the hard limit: thousands of devices need thousands of sockets.
    func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Issues and registers the fleet's identities (once; later runs reuse them).
enum FleetDevices {
    static func prepare(pki path: String, count: Int) throws -> [String] {
        let pki = try PrivatePKI(directory: path)
        let registry = DeviceRegistry(path: path + "/registry.json")
        let devices = (1...max(1, count)).map { index in
            let id = String(format: "fleet-%04d", index)
            return (id: id, outputDirectory: path + "/fleet/" + id)
        }
        // In one update of issued.json and of the registry each: thousands of devices in seconds.
        try pki.issueDevices(
            devices.filter { !FileManager.default.fileExists(atPath: $0.outputDirectory + "/chain.pem") })
        try registry.addMissing(devices.map(\.id), note: "tcu-sim fleet")
        return devices.map(\.outputDirectory)
    }

    /// The backend's own identity for the MQTT fleet: registered with the backend role, so the broker
    /// plugin lets it read every device's telemetry.
    static func prepareBackendIdentity(pki path: String) throws -> String {
        let folder = path + "/fleet/fleet-backend"
        if !FileManager.default.fileExists(atPath: folder + "/chain.pem") {
            try PrivatePKI(directory: path).issueDevice(id: "fleet-backend", outputDirectory: folder)
        }
        let registry = DeviceRegistry(path: path + "/registry.json")
        if registry.device("fleet-backend") == nil {
            try registry.add("fleet-backend", note: "tcu-sim fleet --mqtt", role: "backend")
        }
        return folder
    }
}

enum FleetReport {
    static func text(_ s: FleetRun.Summary, audit: FleetAudit.Result, storedBy: String = "stored") -> String {
        let failures = s.failures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return """
            devices:            \(s.devices) (\(s.stuckDevices.count) never connected)
            handshakes:         \(s.fullHandshakes) full, \(s.resumedHandshakes) resumed (\(s.resumptionsRefused) resumptions refused by the backend, then full)
            handshake latency:  p50 \(s.percentile(0.5)) ms, p95 \(s.percentile(0.95)) ms, p99 \(s.percentile(0.99)) ms
            telemetry:          \(s.telemetrySent) sent, \(s.telemetryAcknowledged) acknowledged, \(audit.stored) \(storedBy)
            lost / duplicated:  \(audit.lost.count) / \(audit.duplicated.count)
            failures:           \(failures.isEmpty ? "none" : failures)
            """
    }

    /// `tcu-sim fleet --json`: the summary as scripts read it (keys in snake_case).
    struct Report: Encodable {
        var devices, fullHandshakes, resumedHandshakes, telemetrySent, telemetryAcknowledged: Int
        var telemetryStored, telemetryLost, telemetryDuplicated, resumptionsRefused: Int
        var failures: [String: Int]
        var stuckDevices: [String]
        var handshakeMs: [String: UInt64]
    }

    static func json(_ s: FleetRun.Summary, audit: FleetAudit.Result) throws -> Data {
        let report = Report(
            devices: s.devices, fullHandshakes: s.fullHandshakes, resumedHandshakes: s.resumedHandshakes,
            telemetrySent: s.telemetrySent, telemetryAcknowledged: s.telemetryAcknowledged,
            telemetryStored: audit.stored, telemetryLost: audit.lost.count,
            telemetryDuplicated: audit.duplicated.count, resumptionsRefused: s.resumptionsRefused,
            failures: s.failures, stuckDevices: s.stuckDevices,
            handshakeMs: ["p50": s.percentile(0.5), "p95": s.percentile(0.95), "p99": s.percentile(0.99)])
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(report)
    }
}

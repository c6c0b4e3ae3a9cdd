import DeviceHTTP
import Foundation
import HostHAL
import HostSupport
import TCULink

/// A fleet of simulated TCUs, each with its own identity, each on its own thread: connect
/// (resuming when it can), post numbered telemetry, and on failure back off with jitter.
public final class FleetRun: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: UInt16
        public var serverName: String
        /// One folder per device (chain.pem, key.pem, trust.pem).
        public var deviceFolders: [String]
        public var duration: TimeInterval
        /// Pause between messages of one device, milliseconds.
        public var interval: UInt32 = 200
        public var faults: [TransportFault] = []
        public var policy = ReconnectionPolicy(base: 200, cap: 5_000, permanentFailureDelay: 10_000)

        public init(host: String, port: UInt16, serverName: String, deviceFolders: [String], duration: TimeInterval) {
            self.host = host
            self.port = port
            self.serverName = serverName
            self.deviceFolders = deviceFolders
            self.duration = duration
        }
    }

    /// What the fleet did. `acknowledged` lists every (device, seq) the backend answered 202 for.
    public struct Summary: Sendable {
        public var devices = 0
        public var fullHandshakes = 0
        public var resumedHandshakes = 0
        public var telemetrySent = 0
        public var telemetryAcknowledged = 0
        public var failures: [String: Int] = [:]
        /// Resumption attempts the backend turned down, each followed at once by a full handshake.
        public var resumptionsRefused = 0
        public var handshakeMilliseconds: [UInt64] = []
        public var acknowledged: [String: [Int]] = [:]
        /// Devices that never completed a connection in the run.
        public var stuckDevices: [String] = []

        public func percentile(_ p: Double) -> UInt64 {
            guard !handshakeMilliseconds.isEmpty else { return 0 }
            let sorted = handshakeMilliseconds.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
        }
    }

    public let configuration: Configuration
    private let summary = Locked(Summary())

    public init(configuration: Configuration) { self.configuration = configuration }

    /// A snapshot, for a progress line.
    public var progress: Summary { summary.withLock { $0 } }

    /// Runs every device until the duration is over; returns the summary.
    public func run() -> Summary {
        let group = DispatchGroup()
        let deadline = Date().addingTimeInterval(configuration.duration)
        record { $0.devices = configuration.deviceFolders.count }
        for folder in configuration.deviceFolders {
            startFleetThread(in: group) { [self] in device(folder, until: deadline) }
        }
        group.wait()
        return progress
    }

    private func lastAcknowledged(_ id: String) -> Int {
        summary.withLock { $0.acknowledged[id]?.last ?? 0 }
    }

    private func record(_ body: (inout Summary) -> Void) {
        summary.withLock { body(&$0) }
    }

    private func device(_ folder: String, until deadline: Date) {
        let id = URL(fileURLWithPath: folder).lastPathComponent
        var reconnector = Reconnector(policy: configuration.policy)
        var entropy = OSEntropy()
        var saved = MemorySessionStore()  // the device's session, sealed as a TCU keeps it at rest
        var sequence = 0
        var connectedOnce = false
        let keyStore: FileKeyStore
        do {
            keyStore = try FileKeyStore(deviceDirectory: folder)
        } catch {
            record {
                $0.failures["key-store", default: 0] += 1; $0.stuckDevices.append(id)
            }
            return
        }
        // Spread the start: a fleet powering up at once must not arrive at once.
        usleep(UInt32((entropy.randomWord() ?? 0) % 500) * 1000)
        while Date() < deadline {
            do {
                let client = try TLSClient(
                    configuration: ClientConfiguration(
                        host: configuration.host, port: configuration.port, serverName: configuration.serverName,
                        timeouts: .init(connect: 3_000, handshake: 5_000, acceptance: 1_000)),
                    transport: FaultyTransport(POSIXSocketTransport(), faults: configuration.faults),
                    keyStore: keyStore,
                    clock: SystemClock(), resumption: SavedSession.load(from: saved, keyStore: keyStore).bytes)
                let report = try client.connect()
                connectedOnce = true
                reconnector.succeeded()
                record {
                    if report.resumed { $0.resumedHandshakes += 1 } else { $0.fullHandshakes += 1 }
                    $0.handshakeMilliseconds.append(report.handshakeMilliseconds)
                }
                // A few messages per connection, then close (as a TCU on a metered link would).
                for _ in 0..<3 where Date() < deadline {
                    sequence += 1
                    let body = "{\"device\":\"\(id)\",\"seq\":\(sequence)}"
                    record { $0.telemetrySent += 1 }
                    let response = try HTTPExchange.perform(
                        client, method: "POST", path: "/v1/devices/\(id)/telemetry", host: configuration.serverName,
                        json: body, timeoutMilliseconds: 5_000)
                    guard response.status == 202 else { throw TelemetryRefused(status: response.status) }
                    let acknowledgedSequence = sequence
                    record {
                        $0.telemetryAcknowledged += 1
                        $0.acknowledged[id, default: []].append(acknowledgedSequence)
                    }
                    usleep(configuration.interval * 1000)
                }
                // The session is saved after the exchange, not at connect: a server may send its ticket with
                // its first write (BoringSSL's TLS 1.3 servers defer it until then), not with the handshake.
                if var session = client.sessionForResumption() {
                    try? SavedSession.save(session, to: &saved, keyStore: keyStore)
                    SavedSession.zero(&session)
                }
                client.close()
            } catch {
                // A session that ends in a failure is not offered again: the next attempt is a full handshake,
                // at once (the backend refused the resumption, not the device).
                if saved.record != nil, sequence == lastAcknowledged(id) {
                    saved.record = nil
                    record { $0.resumptionsRefused += 1 }
                    continue
                }
                saved.record = nil
                let reason =
                    (error as? TCULinkError).map { "\($0.reason)" }
                    ?? (error as? TelemetryRefused).map { "http-\($0.status)" } ?? "\(error)"
                record { $0.failures[reason, default: 0] += 1 }
                let now = SystemClock.monotonicNow()
                let random = entropy.randomWord() ?? 0
                let decision =
                    (error as? TCULinkError).map { reconnector.failed($0, now: now, random: random) }
                    ?? reconnector.failedTransiently(now: now, random: random)
                switch decision {
                case .retry(let at), .pause(let at, _):
                    let wait = min(at > now ? at - now : 0, UInt64(max(0, deadline.timeIntervalSinceNow * 1000)))
                    usleep(UInt32(min(wait, 60_000)) * 1000)
                }
            }
        }
        if !connectedOnce { record { $0.stuckDevices.append(id) } }
    }
}

/// The backend answered a telemetry message with another status than 202 Accepted.
struct TelemetryRefused: Error {
    let status: Int
}

/// One device's persistent session slot, in memory (the fleet's devices do not outlive the run).
struct MemorySessionStore: PersistentStore {
    var record: [UInt8]? = nil

    func read(_ slot: PersistentSlot, into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int? {
        guard slot == .tlsSession, let record else { return nil }
        guard record.count <= buffer.count else { throw TCULinkError(.storageFailed) }
        record.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return record.count
    }

    mutating func write(_ slot: PersistentSlot, _ bytes: UnsafeRawBufferPointer) throws(TCULinkError) {
        guard slot == .tlsSession else { throw TCULinkError(.storageFailed) }
        record = Array(bytes)
    }

    mutating func erase(_ slot: PersistentSlot) throws(TCULinkError) {
        if slot == .tlsSession { record = nil }
    }
}

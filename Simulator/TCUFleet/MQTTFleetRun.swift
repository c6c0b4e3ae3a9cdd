import Foundation
import HostHAL
import HostSupport
import TCULink

extension FleetRun {
    /// What a device reports to the fleet's summary.
    public enum Event: Sendable {
        case handshake(resumed: Bool, milliseconds: UInt64)
        case sent
        case acknowledged(String, Int)
        case failure(String)
    }
}

/// The fleet against an MQTT broker (mosquitto with tculink-mosquitto-auth): each device on its own
/// thread connects over mutual TLS (resuming when it can), keeps one MQTT session, publishes numbered
/// QoS 1 telemetry to `devices/{id}/messages/events/`, and after a failure backs off with jitter and
/// reconnects, its outbox resent. A backend identity subscribed to every device's telemetry counts what
/// arrives; the audit checks every acknowledged message arrived, counting QoS 1's duplicates apart.
public final class MQTTFleetRun: Sendable {
    public struct Configuration: Sendable {
        public var fleet: FleetRun.Configuration
        /// The backend identity's folder (its certificate is registered with the backend role).
        public var backendFolder: String
        /// Drive the devices from this many event-loop threads (the core's non-blocking steps, sockets polled)
        /// instead of a thread per device: what lets thousands run on two cores.
        public var eventLoops: Int?

        public init(fleet: FleetRun.Configuration, backendFolder: String) {
            self.fleet = fleet
            self.backendFolder = backendFolder
        }
    }

    public struct Audit: Sendable {
        /// Distinct messages the backend received.
        public var received = 0
        /// "device#seq" acknowledged by the broker but never received by the backend.
        public var lost: [String] = []
        /// Messages the backend received more than once (QoS 1 allows it after a resend).
        public var duplicates = 0
    }

    typealias Session = MQTTClient<FaultyTransport<POSIXSocketTransport>, FileKeyStore, SystemClock, VolatileStore>

    public let configuration: Configuration
    private let summary = Locked(FleetRun.Summary())
    /// What the backend received: "device#seq" → times.
    private let received = Locked([String: Int]())

    public init(configuration: Configuration) { self.configuration = configuration }

    public var progress: FleetRun.Summary { summary.withLock { $0 } }

    /// Runs the backend subscriber and every device until the duration is over (then waits up to 3 s for
    /// what is in flight); returns the summary and the audit.
    public func run() -> (FleetRun.Summary, Audit) {
        let fleet = configuration.fleet
        let deadline = Date().addingTimeInterval(fleet.duration)
        summary.withLock { $0.devices = fleet.deviceFolders.count }
        let subscribed = DispatchSemaphore(value: 0)
        let backend = DispatchGroup()
        startFleetThread(in: backend) { [self] in
            backendSubscriber(until: deadline.addingTimeInterval(3), subscribed: subscribed)
        }
        guard subscribed.wait(timeout: .now() + 10) == .success else {
            summary.withLock { $0.failures["backend-subscriber", default: 0] += 1 }
            return (progress, Audit())
        }
        let group = DispatchGroup()
        if let loops = configuration.eventLoops {
            runLoops(max(1, loops), deadline: deadline, group: group)
        } else {
            for folder in fleet.deviceFolders {
                startFleetThread(in: group) { [self] in device(folder, until: deadline) }
            }
        }
        group.wait()
        backend.wait()
        return (progress, audit())
    }

    /// Records what a device did (the loop-driven ones report through this).
    func record(_ event: FleetRun.Event) {
        summary.withLock {
            switch event {
            case .handshake(let resumed, let milliseconds):
                if resumed { $0.resumedHandshakes += 1 } else { $0.fullHandshakes += 1 }
                $0.handshakeMilliseconds.append(milliseconds)
            case .sent: $0.telemetrySent += 1
            case .acknowledged(let id, let sequence):
                $0.telemetryAcknowledged += 1
                $0.acknowledged[id, default: []].append(sequence)
            case .failure(let reason): $0.failures[reason, default: 0] += 1
            }
        }
    }

    /// The devices split over `loops` threads; each polls its devices' sockets and steps those that
    /// are ready or due. Start times are spread so the fleet does not arrive at once.
    private func runLoops(_ loops: Int, deadline: Date, group: DispatchGroup) {
        let fleet = configuration.fleet
        let now = SystemClock.monotonicNow()
        let end = now + UInt64(max(0, deadline.timeIntervalSinceNow) * 1000)
        // Arrivals no faster than ~100 a second (what a broker here handshakes: measured with 10,000
        // devices), within the first half of the run.
        let ramp = UInt64(min(fleet.duration * 1000 / 2, Double(fleet.deviceFolders.count) * 10))
        var entropy = OSEntropy()
        var shares = [[LoopDevice]](repeating: [], count: loops)
        for (index, folder) in fleet.deviceFolders.enumerated() {
            let start = now + (ramp == 0 ? 0 : UInt64(entropy.randomWord() ?? 0) % ramp)
            guard let device = try? LoopDevice(folder: folder, startAt: start, policy: fleet.policy) else {
                record(.failure("key-store"))
                continue
            }
            shares[index % loops].append(device)
        }
        for share in shares {
            startFleetThread(in: group) { [self] in runLoop(share, end: end) }
        }
    }

    private func runLoop(_ devices: [LoopDevice], end: UInt64) {
        let fleet = configuration.fleet
        var descriptors: [pollfd] = []
        var owners: [Int] = []
        var ready = [Bool](repeating: false, count: devices.count)
        while devices.contains(where: { !$0.finished }) {
            let now = SystemClock.monotonicNow()
            descriptors.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
            var wake = now + 100
            for (index, device) in devices.enumerated() where !device.finished {
                if let interest = device.interest, device.socket.descriptor >= 0 {
                    let events = Int16(interest == .readable ? POLLIN : POLLOUT)
                    descriptors.append(pollfd(fd: device.socket.descriptor, events: events, revents: 0))
                    owners.append(index)
                }
                wake = min(wake, device.wakeAt)
            }
            _ = poll(&descriptors, nfds_t(descriptors.count), Int32(wake > now ? min(wake - now, 100) : 0))
            for index in ready.indices { ready[index] = false }
            for (slot, owner) in owners.enumerated() where descriptors[slot].revents != 0 { ready[owner] = true }
            let after = SystemClock.monotonicNow()
            for (index, device) in devices.enumerated()
            where !device.finished && (ready[index] || after >= device.wakeAt) {
                device.step(now: after, deadline: end, configuration: fleet, record: record)
            }
        }
        for device in devices where !device.connectedOnce { summary.withLock { $0.stuckDevices.append(device.id) } }
    }

    private func audit() -> Audit {
        let received = self.received.withLock { $0 }
        var audit = Audit()
        audit.received = received.count
        audit.duplicates = received.values.reduce(0) { $0 + max(0, $1 - 1) }
        for (device, sequences) in progress.acknowledged {
            for sequence in sequences where received["\(device)#\(sequence)"] == nil {
                audit.lost.append("\(device)#\(sequence)")
            }
        }
        return audit
    }

    private func connect(
        _ keyStore: FileKeyStore, id: String, resumption: [UInt8]?, store: VolatileStore, faults: [TransportFault]
    )
        throws(TCULinkError) -> Session
    {
        let fleet = configuration.fleet
        let tls = try TLSClient(
            configuration: ClientConfiguration(
                host: fleet.host, port: fleet.port, serverName: fleet.serverName,
                timeouts: .init(connect: 3_000, handshake: 5_000, acceptance: 1_000)),
            transport: FaultyTransport(POSIXSocketTransport(), faults: faults), keyStore: keyStore,
            clock: SystemClock(), resumption: resumption)
        let report = try tls.connect()
        summary.withLock {
            if report.resumed { $0.resumedHandshakes += 1 } else { $0.fullHandshakes += 1 }
            $0.handshakeMilliseconds.append(report.handshakeMilliseconds)
        }
        // A persistent session: what the broker holds for the device survives a reconnect.
        let mqtt = try MQTTClient(
            connection: tls,
            configuration: .init(
                clientID: id, cleanSession: false, keepAliveSeconds: 30, acknowledgementTimeout: 5_000),
            store: store)
        try mqtt.start()
        let event = mqtt.nextEvent(timeoutMilliseconds: 5_000)
        guard case .connected = event else {
            if case .closed(let error?) = event { throw error }
            throw TCULinkError(.mqttAcknowledgementTimeout)
        }
        return mqtt
    }

    private func backendSubscriber(until end: Date, subscribed: DispatchSemaphore) {
        let id = URL(fileURLWithPath: configuration.backendFolder).lastPathComponent
        do {
            let keyStore = try FileKeyStore(deviceDirectory: configuration.backendFolder)
            let mqtt = try connect(keyStore, id: id, resumption: nil, store: VolatileStore(), faults: [])
            _ = try mqtt.subscribe(filter: "devices/+/messages/events/#", qos: .atLeastOnce)
            guard case .subscribed = mqtt.nextEvent(timeoutMilliseconds: 5_000) else { return }
            subscribed.signal()
            while Date() < end {
                switch mqtt.nextEvent(timeoutMilliseconds: 500) {
                case .message:
                    let key = mqtt.withMessage { _, payload in Self.key(payload) } ?? nil
                    if let key { received.withLock { $0[key, default: 0] += 1 } }
                case .closed(let error):
                    summary.withLock {
                        $0.failures["backend-\(error.map { "\($0.reason)" } ?? "closed")", default: 0] += 1
                    }
                    return
                default: continue
                }
            }
            mqtt.disconnect()
        } catch {
            summary.withLock { $0.failures["backend-subscriber", default: 0] += 1 }
        }
    }

    /// "device#seq" from a message `{"device":"…","seq":N}`.
    private static func key(_ payload: UnsafeRawBufferPointer) -> String? {
        struct Telemetry: Decodable {
            var device: String
            var seq: Int
        }
        guard let telemetry = try? JSONDecoder().decode(Telemetry.self, from: Data(payload)) else { return nil }
        return "\(telemetry.device)#\(telemetry.seq)"
    }

    private func device(_ folder: String, until deadline: Date) {
        let fleet = configuration.fleet
        let id = URL(fileURLWithPath: folder).lastPathComponent
        var reconnector = Reconnector(policy: fleet.policy)
        var entropy = OSEntropy()
        var resumption: [UInt8]?
        var store = VolatileStore()  // the outbox, carried from one session to the next
        var sequenceOf: [UInt16: Int] = [:]  // packet id → the message's sequence number, until its PUBACK
        var sequence = 0
        var connectedOnce = false
        guard let keyStore = try? FileKeyStore(deviceDirectory: folder) else {
            summary.withLock {
                $0.failures["key-store", default: 0] += 1
                $0.stuckDevices.append(id)
            }
            return
        }
        usleep(UInt32((entropy.randomWord() ?? 0) % 500) * 1000)  // a fleet powering up must not arrive at once
        while Date() < deadline {
            var session: Session?
            do throws(TCULinkError) {
                let mqtt = try connect(keyStore, id: id, resumption: resumption, store: store, faults: fleet.faults)
                session = mqtt
                if resumption == nil { resumption = mqtt.connection.sessionForResumption() }
                connectedOnce = true
                reconnector.succeeded()
                var nextPublish = Date()
                while true {
                    if Date() >= deadline, mqtt.outbox.isEmpty { break }
                    // After the run, 3 s for the last PUBACKs; what is still unacknowledged stays so.
                    if Date() >= deadline.addingTimeInterval(3) { break }
                    if Date() >= nextPublish, Date() < deadline {
                        sequence += 1
                        let body = "{\"device\":\"\(id)\",\"seq\":\(sequence)}"
                        let packet = try mqtt.publishQoS1(topic: "devices/\(id)/messages/events/", text: body)
                        sequenceOf[packet] = sequence
                        summary.withLock { $0.telemetrySent += 1 }
                        nextPublish = Date().addingTimeInterval(Double(fleet.interval) / 1000)
                    }
                    let wait = UInt32(max(1, min(500, nextPublish.timeIntervalSinceNow * 1000)))
                    switch mqtt.nextEvent(timeoutMilliseconds: wait) {
                    case .published(let packet):
                        if let acknowledged = sequenceOf.removeValue(forKey: packet) {
                            summary.withLock {
                                $0.telemetryAcknowledged += 1
                                $0.acknowledged[id, default: []].append(acknowledged)
                            }
                        }
                    case .closed(let error):
                        throw error ?? TCULinkError(.connectionClosed)
                    default: continue
                    }
                }
                store = mqtt.store
                mqtt.disconnect()
                break
            } catch {
                if let session {  // its outbox goes to the next session
                    store = session.store
                    session.connection.close()
                }
                summary.withLock { $0.failures["\(error.reason)", default: 0] += 1 }
                let now = SystemClock.monotonicNow()
                switch reconnector.failed(error, now: now, random: entropy.randomWord() ?? 0) {
                case .retry(let at), .pause(let at, _):
                    let wait = min(at > now ? at - now : 0, UInt64(max(0, deadline.timeIntervalSinceNow * 1000)))
                    usleep(UInt32(min(wait, 60_000)) * 1000)
                }
            }
        }
        if !connectedOnce { summary.withLock { $0.stuckDevices.append(id) } }
    }
}

import Foundation
import HostHAL
import TCULink

/// One simulated TCU driven by an event loop instead of a thread: the core's non-blocking steps
/// (`TLSClient.step`, `MQTTClient.step`) say what to wait for and until when, and the loop steps
/// the device again when its socket is ready or its time has come. Nothing here blocks, except a
/// send the socket cannot take at once (loopback: never in practice).
/// Sendable only to be handed to its loop thread, which alone touches it from then on.
final class LoopDevice: @unchecked Sendable {
    typealias TLS = TLSClient<LoopTransport, FileKeyStore, SystemClock>
    typealias Session = MQTTClient<LoopTransport, FileKeyStore, SystemClock, VolatileStore>

    let id: String
    let keyStore: FileKeyStore
    let socket = SocketSlot()
    private(set) var interest: ReadinessInterest?
    /// When to step again without the socket (monotonic ms).
    private(set) var wakeAt: UInt64
    private(set) var finished = false

    private var tls: TLS?
    private var mqtt: Session?
    private var connected = false
    private var store = VolatileStore()  // the outbox, from one session to the next
    private var resumption: [UInt8]?
    private var reconnector: Reconnector
    private var entropy = OSEntropy()
    private var sequence = 0
    private var sequenceOf: [UInt16: Int] = [:]
    private var nextPublish: UInt64 = 0
    private(set) var connectedOnce = false

    init(folder: String, startAt: UInt64, policy: ReconnectionPolicy) throws {
        id = URL(fileURLWithPath: folder).lastPathComponent
        keyStore = try FileKeyStore(deviceDirectory: folder)
        wakeAt = startAt
        reconnector = Reconnector(policy: policy)
    }

    /// Advances the device as far as it can now; `record` takes what the fleet counts.
    func step(
        now: UInt64, deadline: UInt64, configuration: FleetRun.Configuration, record: (FleetRun.Event) -> Void
    ) {
        if finished { return }
        guard let tls else {
            if now >= deadline {
                finished = true
                return
            }
            guard now >= wakeAt else { return }
            open(configuration)
            if self.tls != nil { step(now: now, deadline: deadline, configuration: configuration, record: record) }
            return
        }
        guard let mqtt else {
            switch tls.step() {
            case .waiting(let wanted, let until):
                interest = wanted
                wakeAt = until
            case .idle:
                interest = nil
                wakeAt = now + 10
            case .established(let report):
                record(.handshake(resumed: report.resumed, milliseconds: report.handshakeMilliseconds))
                do throws(TCULinkError) {
                    let session = try MQTTClient(
                        connection: tls,
                        configuration: .init(
                            clientID: id, cleanSession: false, keepAliveSeconds: 60, acknowledgementTimeout: 30_000),
                        store: store)
                    self.mqtt = session
                    try session.start()
                    step(now: now, deadline: deadline, configuration: configuration, record: record)
                } catch {
                    fail(error, now: now, record: record)
                }
            case .failed(let error): fail(error, now: now, record: record)
            case .closed: fail(TCULinkError(.connectionClosed), now: now, record: record)
            }
            return
        }
        while true {
            if connected, now >= nextPublish, now < deadline {
                sequence += 1
                let body = "{\"device\":\"\(id)\",\"seq\":\(sequence)}"
                do throws(TCULinkError) {
                    let packet = try mqtt.publishQoS1(topic: "devices/\(id)/messages/events/", text: body)
                    sequenceOf[packet] = sequence
                    record(.sent)
                } catch {
                    fail(error, now: now, record: record)
                    return
                }
                nextPublish = now + UInt64(configuration.interval)
            }
            if now >= deadline, mqtt.outbox.isEmpty || now >= deadline + 3_000 {
                mqtt.disconnect()
                self.mqtt = nil
                self.tls = nil
                finished = true
                return
            }
            switch mqtt.step() {
            case .waiting(let wanted, let until):
                interest = wanted
                wakeAt = connected && now < deadline ? min(until, nextPublish) : min(until, deadline + 3_000)
                return
            case .connected:
                connected = true
                connectedOnce = true
                reconnector.succeeded()
                if resumption == nil { resumption = tls.sessionForResumption() }
                nextPublish = now + UInt64((entropy.randomWord() ?? 0) % max(1, configuration.interval))
            case .published(let packet):
                if let acknowledged = sequenceOf.removeValue(forKey: packet) { record(.acknowledged(id, acknowledged)) }
            case .closed(let error):
                fail(error ?? TCULinkError(.connectionClosed), now: now, record: record)
                return
            case .subscribed, .subscriptionRefused, .unsubscribed, .message:
                continue
            }
        }
    }

    private func open(_ configuration: FleetRun.Configuration) {
        do throws(TCULinkError) {
            tls = try TLSClient(
                configuration: ClientConfiguration(
                    host: configuration.host, port: configuration.port, serverName: configuration.serverName,
                    // Thousands of devices share one broker's handshakes: a patient budget.
                    timeouts: .init(connect: 30_000, handshake: 60_000, acceptance: 5_000)),
                transport: LoopTransport(slot: socket), keyStore: keyStore, clock: SystemClock(),
                resumption: resumption)
        } catch {
            wakeAt += 1_000
        }
    }

    private func fail(_ error: TCULinkError, now: UInt64, record: (FleetRun.Event) -> Void) {
        if let mqtt { store = mqtt.store }
        tls?.close()
        tls = nil
        mqtt = nil
        connected = false
        interest = nil
        record(.failure("\(error.reason)"))
        switch reconnector.failed(error, now: now, random: entropy.randomWord() ?? 0) {
        case .retry(let at), .pause(let at, _): wakeAt = at
        }
    }
}

import ArgumentParser
import Foundation
import HostHAL
import HostSupport
import TCULink

/// `tcu-sim mqtt publish|subscribe`: the core's MQTT client over mutual TLS against a broker
/// (mosquitto, Azure IoT Hub with `--azure-hub`, AWS IoT Core).
typealias DeviceMQTT = MQTTClient<FaultyTransport<POSIXSocketTransport>, FileKeyStore, SystemClock, MQTTStateStore>

/// `--state DIR` keeps the outbox in files; without it, in memory for this run.
struct MQTTStateStore: PersistentStore {
    var file: FilePersistentStore?
    var memory = VolatileStore()

    func read(_ slot: PersistentSlot, into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int? {
        if let file { return try file.read(slot, into: buffer) }
        return try memory.read(slot, into: buffer)
    }

    mutating func write(_ slot: PersistentSlot, _ bytes: UnsafeRawBufferPointer) throws(TCULinkError) {
        if var file {
            try file.write(slot, bytes)
            self.file = file
        } else {
            try memory.write(slot, bytes)
        }
    }

    mutating func erase(_ slot: PersistentSlot) throws(TCULinkError) {
        if var file {
            try file.erase(slot)
            self.file = file
        } else {
            try memory.erase(slot)
        }
    }
}

struct MQTT: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "MQTT 3.1.1 over mutual TLS: publish or subscribe as the device.",
        subcommands: [Publish.self, Subscribe.self])

    struct Options: ParsableArguments {
        @Option(help: "The broker, HOST:PORT (8883 when no port is given).") var broker: String
        @OptionGroup var device: DeviceOptions
        @Option(name: .customLong("server-name"), help: "Name the broker's certificate must carry (default: HOST).")
        var serverName: String?
        @Option(name: .customLong("azure-hub"), help: "Azure IoT Hub host name: its username and session rules.")
        var azureHub: String?
        @Option(name: .customLong("client-id"), help: "MQTT client id (default: the certificate's CN).")
        var clientID: String?
        @Option(name: .customLong("keep-alive"), help: "Keep-alive, seconds.") var keepAlive: UInt16 = 60
        @Option(name: .customLong("timeout"), help: "How long to wait for each answer, milliseconds.")
        var timeout: UInt32 = 10_000
        @Option(
            help:
                "Folder for the device's state: the outbox of unacknowledged QoS 1 publishes, resent after a restart (default: kept in memory for this run)."
        )
        var state: String?
        @Option(
            name: .customLong("fault"),
            help:
                "Inject a link fault into every connection (repeatable), as for connect: latency:MS, bandwidth:BYTES_PER_S, drop:N, reset:N, silent:N, corrupt:N."
        )
        var faultSpecs: [String] = []
        @Option(
            help:
                "Reconnect up to this many times when a connection fails or a session ends: capped exponential backoff with full jitter, TLS session resumption, the outbox resent."
        )
        var retries: Int = 0

        func faults() throws -> [TransportFault] {
            try faultSpecs.map { spec in
                guard let fault = TransportFault(spec) else {
                    throw ValidationError(
                        "--fault \(spec): expected latency:MS, bandwidth:BPS, drop:N, reset:N, silent:N or corrupt:N")
                }
                return fault
            }
        }

        func store() throws -> MQTTStateStore {
            MQTTStateStore(
                file: try state.map { directory throws(HostError) in try FilePersistentStore(directory: directory) })
        }

        /// Connects TLS (resuming `resumption` when given), then MQTT over `store`; prints one line per
        /// step. Throws the core's error when either fails.
        func connect(store: MQTTStateStore, resumption: [UInt8]? = nil) throws -> DeviceMQTT {
            let parts = broker.split(separator: ":", maxSplits: 1)
            let host = String(parts[0])
            guard let port = parts.count == 2 ? UInt16(parts[1]) : 8883 else {
                throw ValidationError("--broker HOST:PORT: \(broker) has no valid port")
            }
            let keyStore = try device.keyStore()
            let commonName =
                keyStore.certificateChain.first.flatMap { X509Certificate(der: $0) }?.subject.commonName
                .map { String(decoding: $0, as: UTF8.self) } ?? ""
            let id = clientID ?? commonName
            var settings =
                azureHub.map { AzureIoTHub.configuration(hub: $0, deviceID: id, keepAliveSeconds: keepAlive) }
                ?? MQTTConfiguration(clientID: id, keepAliveSeconds: keepAlive)
            settings.acknowledgementTimeout = timeout
            let tls = try TLSClient(
                configuration: ClientConfiguration(host: host, port: port, serverName: serverName ?? azureHub ?? host),
                transport: FaultyTransport(POSIXSocketTransport(), faults: try faults()), keyStore: keyStore,
                clock: SystemClock(), resumption: resumption)
            let report = try tls.connect()
            print("tls:         \(report.protocolVersion), \(report.cipherSuite)\(report.resumed ? ", resumed" : "")")
            let mqtt = try MQTTClient(connection: tls, configuration: settings, store: store)
            if mqtt.outboxWasUnreadable { print("warning:     the outbox in --state was unreadable: set aside") }
            try mqtt.start()
            let event = mqtt.nextEvent(timeoutMilliseconds: timeout)
            guard case .connected(let sessionPresent) = event else {
                if case .closed(let error?) = event { throw error }
                throw TCULinkError(.mqttAcknowledgementTimeout)  // no CONNACK in time
            }
            print("mqtt:        connected as \(id) (session present: \(sessionPresent))")
            if mqtt.resentAfterConnect > 0 {
                print("outbox:      \(mqtt.resentAfterConnect) unacknowledged message(s) sent again")
            }
            if mqtt.sentFromQueue > 0 { print("outbox:      \(mqtt.sentFromQueue) queued message(s) sent") }
            return mqtt
        }

        /// Connects once, without retrying: the core's refusal as one line, exit 1.
        func connect() throws -> DeviceMQTT {
            do {
                return try connect(store: try store())
            } catch let error as TCULinkError {
                print("FAILED: \(Describe.error(error))")
                throw ExitCode(1)
            }
        }

        /// A refusal of the core's (a bad topic, a packet too large) as one line, exit 1.
        static func reporting(_ body: () throws -> Void) throws {
            do { try body() } catch let error as TCULinkError {
                print("FAILED: \(Describe.error(error))")
                throw ExitCode(1)
            }
        }

        static func failure(_ event: MQTTEvent, _ mqtt: DeviceMQTT) -> ExitCode {
            switch event {
            case .closed(let error?): print("FAILED: \(Describe.error(error))")
            case .waiting: print("FAILED: no answer in time")
            default: print("FAILED: unexpected \(event)")
            }
            return ExitCode(1)
        }
    }

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish messages and wait for their PUBACKs (QoS 1), reconnecting with --retries.")
        @OptionGroup var options: Options
        @Option(help: "Topic (default with --azure-hub: the device's telemetry topic).") var topic: String?
        @Option(help: "The message; {n} is replaced by its sequence number (1, 2, ...).") var message: String
        @Option(help: "0 or 1 (2 is refused, as by Azure and AWS).") var qos: UInt8 = 1
        @Option(help: "How many messages to publish.") var count: Int = 1
        @Option(help: "Milliseconds between two messages.") var interval: UInt32 = 0

        func run() throws { try Options.reporting(publish) }

        func publish() throws {
            guard let qos = MQTTQoS(rawValue: qos) else { throw ValidationError("--qos 0 or 1") }
            guard count >= 1 else { throw ValidationError("--count: at least 1") }
            let link = ReconnectingLink(options: options)
            var mqtt = try link.connectFirst()
            let topic = self.topic ?? AzureIoTHub.telemetryTopic(deviceID: mqtt.configuration.clientID)
            var published = 0
            var bytes = 0
            while published < count || !mqtt.outbox.isEmpty {
                if published < count {
                    let text = message.replacingOccurrences(of: "{n}", with: "\(published + 1)")
                    // With no session (it dropped) a QoS 1 message waits in the outbox for the next CONNACK.
                    do {
                        _ = try Array(text.utf8).withUnsafeBytes { raw in
                            try mqtt.publish(topic: topic, payload: raw, qos: qos)
                        }
                    } catch let error as TCULinkError where mqtt.failure != nil {
                        // The link failed while sending: a QoS 1 message is in the outbox already.
                        mqtt = try link.reconnect(after: error, replacing: mqtt)
                    }
                    published += 1
                    bytes += text.utf8.count
                    if qos == .atMostOnce { continue }
                }
                // Wait for PUBACKs until the next message is due (or, after the last, until the outbox is empty).
                let wait = published < count ? Double(interval) / 1000 : Double(options.timeout) / 1000
                var until = Date().addingTimeInterval(wait)
                while !mqtt.outbox.isEmpty || published < count {
                    let left = UInt32(max(0, until.timeIntervalSinceNow * 1000))
                    let event = mqtt.nextEvent(timeoutMilliseconds: left)
                    if case .closed(let error) = event {
                        mqtt = try link.reconnect(after: error ?? TCULinkError(.connectionClosed), replacing: mqtt)
                        until = Date().addingTimeInterval(wait)
                        continue
                    }
                    if case .waiting = event {
                        guard published == count else { break }  // time for the next message
                        throw Options.failure(event, mqtt)  // the last PUBACK did not come
                    }
                }
            }
            let acknowledged = qos == .atLeastOnce ? ", acknowledged" : ""
            if count == 1 {
                print("published:   \(bytes) bytes to \(topic) (QoS \(qos.rawValue)\(acknowledged))")
            } else {
                print(
                    "published:   \(count) messages, \(bytes) bytes, to \(topic) (QoS \(qos.rawValue)\(acknowledged); \(link.reconnects) reconnect(s))"
                )
            }
            mqtt.disconnect()
        }
    }

    struct Subscribe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subscribe and print the messages that arrive.")
        @OptionGroup var options: Options
        @Option(help: "Topic filter (default with --azure-hub: the device's cloud-to-device messages).")
        var topic: String?
        @Option(help: "Stop after this many messages.") var count: Int = 1
        @Option(help: "0 or 1.") var qos: UInt8 = 1

        func run() throws { try Options.reporting(subscribe) }

        func subscribe() throws {
            let mqtt = try options.connect()
            let filter = topic ?? AzureIoTHub.cloudToDeviceFilter(deviceID: mqtt.configuration.clientID)
            guard let qos = MQTTQoS(rawValue: qos) else { throw ValidationError("--qos 0 or 1") }
            let id = try mqtt.subscribe(filter: filter, qos: qos)
            var received = 0
            while received < count {
                let event = mqtt.nextEvent(timeoutMilliseconds: UInt32(options.keepAlive) * 3_000)
                switch event {
                case .subscribed(id, let granted): print("subscribed:  \(filter) (QoS \(granted.rawValue))")
                case .subscriptionRefused: throw Options.failure(.closed(TCULinkError(.mqttSubscriptionRefused)), mqtt)
                case .message:
                    received += 1
                    mqtt.withMessage { topic, payload in
                        print(
                            "message:     \(String(decoding: topic, as: UTF8.self)) \(String(decoding: payload, as: UTF8.self))"
                        )
                    }
                case .waiting: continue
                default: throw Options.failure(event, mqtt)
                }
            }
            _ = mqtt.step()  // acknowledges the last message
            mqtt.disconnect()
        }
    }
}

/// The device's link to the broker across failures: each connection over the `--fault`s, a failed
/// one retried after the core's `Reconnector` (capped exponential backoff, full jitter), resuming
/// the first full handshake's TLS session, with the outbox carried from one session to the next.
final class ReconnectingLink {
    let options: MQTT.Options
    private var reconnector = Reconnector(policy: ReconnectionPolicy(base: 500, cap: 8_000, permanentFailureDelay: 0))
    private var entropy = OSEntropy()
    private var resumption: [UInt8]?
    private(set) var reconnects = 0

    init(options: MQTT.Options) { self.options = options }

    /// The first connection, retried as `--retries` allows.
    func connectFirst() throws -> DeviceMQTT {
        try connect(store: try options.store(), after: nil)
    }

    /// A new session after `error` ended `old`: its outbox (in `old.store`) goes out again after CONNACK.
    func reconnect(after error: TCULinkError, replacing old: DeviceMQTT) throws -> DeviceMQTT {
        try connect(store: old.store, after: error)
    }

    private func connect(store: MQTTStateStore, after error: TCULinkError?) throws -> DeviceMQTT {
        var failure = error
        while true {
            if let failure {
                let now = SystemClock().monotonicMilliseconds()
                let decision = reconnector.failed(failure, now: now, random: entropy.randomWord() ?? 0)
                guard reconnector.failures <= options.retries, case .retry(let at) = decision else {
                    print("FAILED: \(Describe.error(failure))")
                    throw ExitCode(1)
                }
                print("retry:       \(failure.reason) (attempt \(reconnector.failures), in \(at - now) ms)")
                Thread.sleep(forTimeInterval: Double(at - now) / 1000)
                reconnects += 1
            }
            do {
                let mqtt = try options.connect(store: store, resumption: resumption)
                if resumption == nil { resumption = mqtt.connection.sessionForResumption() }
                reconnector.succeeded()
                return mqtt
            } catch let error as TCULinkError {
                failure = error
            }
        }
    }
}

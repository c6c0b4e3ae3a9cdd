import ArgumentParser
import Foundation
import HostHAL
import HostSupport
import TCULink

/// `tcu-sim mqtt publish|subscribe`: the core's MQTT client over mutual TLS against a broker
/// (mosquitto, Azure IoT Hub with `--azure-hub`, AWS IoT Core).
typealias DeviceMQTT = MQTTClient<POSIXSocketTransport, FileKeyStore, SystemClock, MQTTStateStore>

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

        /// Connects TLS, then MQTT; prints one line per step.
        func connect() throws -> DeviceMQTT {
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
                transport: POSIXSocketTransport(), keyStore: keyStore, clock: SystemClock())
            do {
                let report = try tls.connect()
                print("tls:         \(report.protocolVersion), \(report.cipherSuite)")
            } catch {
                print("FAILED: \(Describe.error(error))")
                throw ExitCode(1)
            }
            let store = MQTTStateStore(
                file: try state.map { directory throws(HostError) in
                    try FilePersistentStore(directory: directory)
                })
            let mqtt = try MQTTClient(connection: tls, configuration: settings, store: store)
            if mqtt.outboxWasUnreadable { print("warning:     the outbox in --state was unreadable: set aside") }
            try mqtt.start()
            let event = mqtt.nextEvent(timeoutMilliseconds: timeout)
            guard case .connected(let sessionPresent) = event else { throw Self.failure(event, mqtt) }
            print("mqtt:        connected as \(id) (session present: \(sessionPresent))")
            if mqtt.resentAfterConnect > 0 {
                print("outbox:      \(mqtt.resentAfterConnect) unacknowledged message(s) sent again")
            }
            return mqtt
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
            abstract: "Publish one message and wait for its PUBACK (QoS 1).")
        @OptionGroup var options: Options
        @Option(help: "Topic (default with --azure-hub: the device's telemetry topic).") var topic: String?
        @Option(help: "The message.") var message: String
        @Option(help: "0 or 1 (2 is refused, as by Azure and AWS).") var qos: UInt8 = 1

        func run() throws { try Options.reporting(publish) }

        func publish() throws {
            let mqtt = try options.connect()
            let topic = self.topic ?? AzureIoTHub.telemetryTopic(deviceID: mqtt.configuration.clientID)
            guard let qos = MQTTQoS(rawValue: qos) else { throw ValidationError("--qos 0 or 1") }
            let id = try Array(message.utf8).withUnsafeBytes { raw in
                try mqtt.publish(topic: topic, payload: raw, qos: qos)
            }
            if qos == .atLeastOnce {
                let event = mqtt.nextEvent(timeoutMilliseconds: options.timeout)
                guard event == .published(packetID: id) else { throw Options.failure(event, mqtt) }
            }
            print(
                "published:   \(message.utf8.count) bytes to \(topic) (QoS \(qos.rawValue)\(qos == .atLeastOnce ? ", acknowledged" : ""))"
            )
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

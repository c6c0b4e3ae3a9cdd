import Foundation
import HostHAL
import TCULink
import TestSupport
import Testing

/// The core's MQTT client against mosquitto (Debian's 2.0), with mosquitto_sub and mosquitto_pub
/// as independent clients: what the device sends arrives byte-exact, what is sent to it arrives,
/// and a dead or silent broker ends the session with its own error in bounded time.
@Suite(.serialized) struct MQTTInteropTests {
    typealias DeviceMQTT = MQTTClient<POSIXSocketTransport, CountingKeyStore, SimulatedClock, FilePersistentStore>

    /// tcu-0001 (the test PKI's `device`) connected over mutual TLS 1.3 and MQTT.
    func connectedDevice(
        _ broker: MosquittoBroker, keepAlive: UInt16 = 30, pingTimeout: UInt32 = 5_000, packetSize: Int = 4096,
        state: String? = nil, cleanSession: Bool = true
    ) throws -> DeviceMQTT {
        let tls = try makeClient(port: broker.port)
        _ = try tls.connect()
        let mqtt = try MQTTClient(
            connection: tls,
            configuration: .init(
                clientID: "tcu-0001", cleanSession: cleanSession, keepAliveSeconds: keepAlive,
                maximumPacketSize: packetSize, pingResponseTimeout: pingTimeout),
            store: try FilePersistentStore(directory: state ?? broker.folder + "/device-state"))
        try mqtt.start()
        let event = mqtt.nextEvent(timeoutMilliseconds: 5_000)
        guard case .connected = event else {
            throw HostError("MQTT did not connect: \(event); broker log: \(broker.log)")
        }
        return mqtt
    }

    @Test func telemetryArrivesByteExactAtAnIndependentSubscriber() throws {
        let broker = try MosquittoBroker()
        let mqtt = try connectedDevice(broker)
        // Every byte value, and JSON: a retained QoS 1 message, so the subscriber gets it whenever it subscribes.
        let payload = Array("{\"speed_kmh\":42}".utf8) + (0...255).map { UInt8($0) }
        let topic = "devices/tcu-0001/messages/events/"
        let id = try payload.withUnsafeBytes { raw in
            try mqtt.publish(topic: topic, payload: raw, qos: .atLeastOnce, retain: true)
        }
        #expect(id != 0)
        #expect(mqtt.nextEvent(timeoutMilliseconds: 5_000) == .published(packetID: id))

        let received = broker.folder + "/received"  // the payload as mosquitto_sub wrote it, raw (-N)
        let subscriber = try ChildProcess(
            "/usr/bin/mosquitto_sub", broker.clientArguments() + ["-t", topic, "-C", "1", "-N", "-W", "10"],
            logFile: received)
        #expect(subscriber.wait(timeout: 15) == 0)
        #expect(FileManager.default.contents(atPath: received) == Data(payload))
        mqtt.disconnect()
        #expect(mqtt.step() == .closed(nil))
    }

    @Test func aMessageForTheDeviceArrivesWithItsTopic() throws {
        let broker = try MosquittoBroker()
        let mqtt = try connectedDevice(broker)
        let filter = "devices/tcu-0001/messages/devicebound/#"
        let id = try mqtt.subscribe(filter: filter, qos: .atLeastOnce)
        #expect(mqtt.nextEvent(timeoutMilliseconds: 5_000) == .subscribed(packetID: id, granted: .atLeastOnce))

        let publisher = run(
            "/usr/bin/mosquitto_pub",
            broker.clientArguments() + [
                "-t", "devices/tcu-0001/messages/devicebound/unlock", "-m", "door=1", "-q", "1",
            ])
        #expect(publisher.status == 0, "\(publisher.output)")
        guard case .message(let message) = mqtt.nextEvent(timeoutMilliseconds: 5_000) else {
            Issue.record("no message; broker log: \(broker.log)")
            return
        }
        #expect(message.qos == .atLeastOnce)
        let (topic, payload) = try #require(
            mqtt.withMessage { topic, payload in
                (String(decoding: topic, as: UTF8.self), String(decoding: payload, as: UTF8.self))
            })
        #expect(topic == "devices/tcu-0001/messages/devicebound/unlock")
        #expect(payload == "door=1")
        // The next step acknowledges it (the application has taken it) and finds nothing more.
        guard case .waiting = mqtt.step() else {
            Issue.record("expected to wait")
            return
        }
        #expect(mqtt.withMessage { _, _ in true } == nil)
    }

    @Test func aPacketLargerThanTheBufferIsRefusedAndTheSessionGoesOn() throws {
        let broker = try MosquittoBroker()
        let mqtt = try connectedDevice(broker, packetSize: 512)
        let large = [UInt8](repeating: 0x41, count: 600)
        #expect(throws: TCULinkError(.mqttPacketTooLarge)) {
            try large.withUnsafeBytes { raw in
                try mqtt.publish(topic: "devices/tcu-0001/messages/events/", payload: raw, qos: .atLeastOnce)
            }
        }
        let small = [UInt8](repeating: 0x42, count: 100)
        let id = try small.withUnsafeBytes { raw in
            try mqtt.publish(topic: "devices/tcu-0001/messages/events/", payload: raw, qos: .atLeastOnce)
        }
        #expect(mqtt.nextEvent(timeoutMilliseconds: 5_000) == .published(packetID: id))

        // One larger than the receive buffer, from the broker: the session ends with that reason, untruncated.
        _ = try mqtt.subscribe(filter: "devices/tcu-0001/messages/devicebound/#", qos: .atMostOnce)
        guard case .subscribed = mqtt.nextEvent(timeoutMilliseconds: 5_000) else {
            Issue.record("not subscribed")
            return
        }
        let publisher = run(
            "/usr/bin/mosquitto_pub",
            broker.clientArguments() + [
                "-t", "devices/tcu-0001/messages/devicebound/big", "-m", String(repeating: "x", count: 2_000),
            ])
        #expect(publisher.status == 0, "\(publisher.output)")
        #expect(mqtt.nextEvent(timeoutMilliseconds: 5_000) == .closed(TCULinkError(.mqttPacketTooLarge)))
    }

    @Test func aKilledBrokerEndsTheSessionAtOnce() throws {
        let broker = try MosquittoBroker()
        let mqtt = try connectedDevice(broker)
        let started = Date()
        broker.kill()
        let event = mqtt.nextEvent(timeoutMilliseconds: 5_000)
        guard case .closed(let error) = event, let error else {
            Issue.record("expected a failure, got \(event)")
            return
        }
        #expect([.connectionClosed, .connectionReset].contains(error.reason), "\(error.reason)")
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func aSilentBrokerIsFoundDeadWithinKeepAliveAndThePingBound() throws {
        let broker = try MosquittoBroker()
        let mqtt = try connectedDevice(broker, keepAlive: 2, pingTimeout: 1_000)
        let started = Date()
        broker.freeze(true)  // its sockets stay open: no FIN, no RST, as with a pulled cable upstream
        defer { broker.freeze(false) }
        let event = mqtt.nextEvent(timeoutMilliseconds: 10_000)
        let elapsed = Date().timeIntervalSince(started)
        #expect(event == .closed(TCULinkError(.mqttKeepAliveTimeout)))
        #expect(elapsed >= 2.5 && elapsed < 4.5, "\(elapsed) s")  // keep-alive 2 s + PINGRESP bound 1 s
    }

    @Test func tcuSimPublishesAndReportsRefusalsInOneLine() throws {
        let broker = try MosquittoBroker()
        let device = [
            "--broker", "127.0.0.1:\(broker.port)", "--server-name", "localhost", "--device",
            TestPKI.directory + "/device",
        ]
        let published = run(tcuSimPath, ["mqtt", "publish"] + device + ["--message", "{\"speed_kmh\":7}"])
        #expect(published.status == 0, "\(published.output)")
        #expect(
            published.output.contains(
                "published:   15 bytes to devices/tcu-0001/messages/events/ (QoS 1, acknowledged)"))
        let refused = run(tcuSimPath, ["mqtt", "publish"] + device + ["--message", "x", "--topic", "a/#"])
        #expect(refused.status == 1)
        #expect(refused.output.contains("FAILED: mqttInvalidTopic"), "\(refused.output)")
    }

    /// tcu-sim over a link that resets every connection after 3,000 bytes received: it reconnects
    /// with backoff, resumes the TLS session, resends the outbox, and every message arrives.
    @Test func tcuSimReconnectsThroughLinkResetsAndLosesNothing() throws {
        let broker = try MosquittoBroker()
        let topic = "devices/tcu-0001/messages/events/"
        let audit = broker.clientArguments() + ["-c", "-i", "audit", "-q", "1", "-t", topic]
        #expect(run("/usr/bin/mosquitto_sub", audit + ["-E"]).status == 0)
        let result = run(
            tcuSimPath,
            [
                "mqtt", "publish", "--broker", "127.0.0.1:\(broker.port)", "--server-name", "localhost", "--device",
                TestPKI.directory + "/device", "--message", "{\"seq\":{n}}", "--count", "12", "--interval", "50",
                "--fault", "reset:3000", "--retries", "20",
            ], timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("published:   12 messages"), "\(result.output)")
        #expect(result.output.contains("retry:       connectionReset"), "\(result.output)")
        #expect(result.output.contains(", resumed"), "\(result.output)")  // the reconnects resumed the TLS session

        let drained = run("/usr/bin/mosquitto_sub", audit + ["-W", "3"], timeout: 10)
        let lines = drained.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("{") }
        #expect(Set(lines) == Set((1...12).map { "{\"seq\":\($0)}" }), "\(drained.output)")
        #expect(lines.count <= 24)  // duplicates only as QoS 1 allows
    }

    @Test func aDeviceRestartedWithUnacknowledgedPublishesResendsThemAndLosesNone() throws {
        let broker = try MosquittoBroker()
        let topic = "devices/tcu-0001/messages/events/"
        // An auditor with a persistent session: the broker keeps every message for it while it is away.
        let audit = broker.clientArguments() + ["-c", "-i", "audit", "-q", "1", "-t", topic]
        let registered = run("/usr/bin/mosquitto_sub", audit + ["-E"])
        #expect(registered.status == 0, "\(registered.output)")

        let state = broker.folder + "/tcu-0001-state"
        let first = try connectedDevice(broker, state: state, cleanSession: false)
        for sequence in 1...5 {
            try Array("{\"seq\":\(sequence)}".utf8).withUnsafeBytes { raw in
                _ = try first.publish(topic: topic, payload: raw, qos: .atLeastOnce)
            }
        }
        #expect(first.outbox.messages.count == 5)
        first.connection.close()  // the TCU loses power before it reads a single PUBACK

        let restarted = try connectedDevice(broker, state: state, cleanSession: false)
        #expect(restarted.resentAfterConnect == 5)
        var acknowledged = 0
        while acknowledged < 5 {
            guard case .published = restarted.nextEvent(timeoutMilliseconds: 5_000) else { break }
            acknowledged += 1
        }
        #expect(acknowledged == 5)
        #expect(restarted.outbox.messages.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: state + "/mqtt-outbox.bin"))  // erased once empty
        restarted.disconnect()

        let drained = run("/usr/bin/mosquitto_sub", audit + ["-W", "3"], timeout: 10)
        let lines = drained.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("{") }
        // Every message arrived; duplicates only as QoS 1 allows (the first sends and the DUP resends).
        #expect(Set(lines) == Set((1...5).map { "{\"seq\":\($0)}" }), "\(drained.output)")
        #expect(lines.count <= 10)
    }

    @Test func publishesMadeWhileTheBrokerIsDownAreDeliveredOnceItIsBack() throws {
        let broker = try MosquittoBroker(persistent: true)
        let topic = "devices/tcu-0001/messages/events/"
        let audit = broker.clientArguments() + ["-c", "-i", "audit", "-q", "1", "-t", topic]
        #expect(run("/usr/bin/mosquitto_sub", audit + ["-E"]).status == 0)

        let state = broker.folder + "/tcu-0001-state"
        let before = try connectedDevice(broker, state: state, cleanSession: false)
        broker.stop()  // the broker goes away (saving its sessions)
        guard case .closed(let error) = before.nextEvent(timeoutMilliseconds: 5_000), error != nil else {
            Issue.record("the device did not see the broker go")
            return
        }
        for sequence in 1...3 {  // the vehicle keeps driving: its telemetry waits in the outbox
            let id = try Array("{\"offline\":\(sequence)}".utf8).withUnsafeBytes { raw in
                try before.publish(topic: topic, payload: raw, qos: .atLeastOnce)
            }
            #expect(id == 0)  // queued, not sent
        }
        #expect(before.outbox.messages.count == 3)
        // One that no packet buffer could carry is refused, not kept to block the outbox forever.
        #expect(throws: TCULinkError(.mqttPacketTooLarge)) {
            try [UInt8](repeating: 0x41, count: 5_000).withUnsafeBytes { raw in
                try before.publish(topic: topic, payload: raw, qos: .atLeastOnce)
            }
        }
        #expect(before.outbox.messages.count == 3)

        try broker.start()
        let after = try connectedDevice(broker, state: state, cleanSession: false)
        #expect(after.sentFromQueue == 3 && after.resentAfterConnect == 0)
        var acknowledged = 0
        while acknowledged < 3, case .published = after.nextEvent(timeoutMilliseconds: 5_000) { acknowledged += 1 }
        #expect(acknowledged == 3)
        #expect(after.outbox.messages.isEmpty)
        after.disconnect()

        let drained = run("/usr/bin/mosquitto_sub", audit + ["-W", "3"], timeout: 10)
        let lines = drained.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("{") }
        #expect(lines == (1...3).map { "{\"offline\":\($0)}" }, "\(drained.output)")  // exactly once, in order
    }
}

/// A store whose writes fail while `full` is set, as a full disk or a worn-out flash sector does.
final class StoreFault: @unchecked Sendable { var full = false }

struct FaultyStore: PersistentStore {
    var inner = VolatileStore()
    let fault: StoreFault

    func read(_ slot: PersistentSlot, into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int? {
        try inner.read(slot, into: buffer)
    }

    mutating func write(_ slot: PersistentSlot, _ bytes: UnsafeRawBufferPointer) throws(TCULinkError) {
        if fault.full { throw TCULinkError(.storageFailed) }
        try inner.write(slot, bytes)
    }

    mutating func erase(_ slot: PersistentSlot) throws(TCULinkError) { try inner.erase(slot) }
}

extension MQTTInteropTests {
    /// A QoS 1 publish the store cannot keep is refused before anything is sent: it would not
    /// survive a reboot. The outbox stays as it was and the session goes on.
    @Test func aPublishTheStoreCannotKeepIsRefusedAndNothingIsSent() throws {
        let broker = try MosquittoBroker()
        let tls = try makeClient(port: broker.port)
        _ = try tls.connect()
        let fault = StoreFault()
        let mqtt = try MQTTClient(
            connection: tls, configuration: .init(clientID: "tcu-0001"), store: FaultyStore(fault: fault))
        try mqtt.start()
        guard case .connected = mqtt.nextEvent(timeoutMilliseconds: 5_000) else {
            Issue.record("not connected; broker log: \(broker.log)")
            return
        }
        let topic = "devices/tcu-0001/messages/events/"
        let subscriber = try ChildProcess(
            "/usr/bin/mosquitto_sub", broker.clientArguments() + ["-t", topic, "-C", "1", "-W", "10"],
            logFile: broker.folder + "/received")
        Thread.sleep(forTimeInterval: 0.5)  // subscribed before anything is published

        fault.full = true
        #expect(throws: TCULinkError(.storageFailed)) {
            try Array("lost?".utf8).withUnsafeBytes { raw in
                try mqtt.publish(topic: topic, payload: raw, qos: .atLeastOnce)
            }
        }
        #expect(mqtt.outbox.isEmpty && mqtt.failure == nil)

        fault.full = false
        let id = try Array("kept".utf8).withUnsafeBytes { raw in
            try mqtt.publish(topic: topic, payload: raw, qos: .atLeastOnce)
        }
        #expect(mqtt.nextEvent(timeoutMilliseconds: 5_000) == .published(packetID: id))
        #expect(subscriber.wait(timeout: 15) == 0)
        // The subscriber's first message is the one that was kept: the refused one never left the device.
        #expect(
            String(decoding: FileManager.default.contents(atPath: broker.folder + "/received") ?? Data(), as: UTF8.self)
                == "kept\n")
        mqtt.disconnect()
    }
}

extension MQTTInteropTests {
    /// BoardSupport/POSIX/tests/test_c_mqtt.c: tcu_mqtt_* driven from C (the core in Embedded mode,
    /// the C POSIX HAL), with its own assertions, against mosquitto; then what it published is
    /// read back with mosquitto_sub. The `-asan` build (ASan, LeakSanitizer, UBSan) has no malloc counter.
    @Test(arguments: ["tcu-c-mqtt-tests", "tcu-c-mqtt-tests-asan"])
    func theCAPIDrivesMQTTFromC(_ program: String) throws {
        #expect(HostFirmwareTests.image.status == 0, "\(HostFirmwareTests.image.output)")
        let broker = try MosquittoBroker()
        let state = broker.folder + "/c-device-state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let tests = TestPKI.repository.appendingPathComponent(".build-firmware/\(program)").path
        let result = run(tests, [TestPKI.directory, "\(broker.port)", state], timeout: 120)
        #expect(result.status == 0, "\(result.output)\nbroker log: \(broker.log)")
        #expect(result.output.contains(" passed, 0 failed"), "\(result.output)")
        #expect(!result.output.contains("Sanitizer") && !result.output.contains("runtime error"), "\(result.output)")
        if !program.hasSuffix("-asan") {
            #expect(result.output.contains("core and HAL 0,"), "\(result.output)")
        }

        let retained = run(
            "/usr/bin/mosquitto_sub",
            broker.clientArguments() + ["-t", "devices/tcu-0001/messages/events/", "-C", "1", "-W", "5"])
        #expect(retained.output == "{\"from\":\"c-api\"}\n", "\(retained.output)")
    }
}

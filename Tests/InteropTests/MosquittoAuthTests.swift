import Foundation
import HostHAL
import TCUBackend
import TCULink
import TCUPKI
import TestSupport
import Testing

/// tculink-mosquitto-auth (Simulator/MosquittoAuth) loaded into Debian's mosquitto, built with
/// AddressSanitizer and UBSan: who may connect (registry, CN = client id, CRL, Azure's username), what
/// each may publish and subscribe to, and what happens when the registry or the CRL changes while
/// devices are connected. The device side is the core's MQTT client; mosquitto_sub/mosquitto_pub are
/// the backend and the other devices.
@Suite(.serialized) struct MosquittoAuthTests {
    typealias PluginMQTT = MQTTClient<POSIXSocketTransport, FileKeyStore, SimulatedClock, VolatileStore>

    static let plugin = BuiltArtefact.check(
        [".build-mosquitto/tculink_mosquitto_auth.so", ".build-mosquitto/asan/tculink_mosquitto_auth.so"],
        builtBy: "scripts/targets/build-mosquitto-auth")
    let pki = TestPKI.directory
    let work: String

    init() throws {
        work = NSTemporaryDirectory() + "tculink-auth-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    /// A registry made by the backend's own registry code (what `tcu-backend devices add [--backend]` runs).
    func writeRegistry(_ devices: [String], backends: [String] = []) throws -> String {
        let path = work + "/registry.json"
        let registry = DeviceRegistry(path: path)
        for id in devices { try registry.add(id) }
        for id in backends { try registry.add(id, role: "backend") }
        return path
    }

    /// The device in `folder` (chain.pem, key.pem) connected over TLS, CONNECT sent: the session and
    /// the broker's first answer.
    func session(
        _ broker: MosquittoBroker, folder: String, clientID: String, username: String? = nil,
        resumption: [UInt8]? = nil
    ) throws -> (PluginMQTT, MQTTEvent) {
        let keyStore = try FileKeyStore(
            chainFile: folder + "/chain.pem", keyFile: folder + "/key.pem", trustFile: pki + "/root.pem")
        let tls = try TLSClient(
            configuration: ClientConfiguration(
                host: "localhost", port: broker.port,
                timeouts: .init(connect: 5_000, handshake: 10_000, acceptance: 2_000)),
            transport: POSIXSocketTransport(), keyStore: keyStore, clock: SimulatedClock(.offset(0)),
            resumption: resumption)
        _ = try tls.connect()
        let mqtt = try MQTTClient(
            connection: tls,
            configuration: .init(clientID: clientID, username: username, keepAliveSeconds: 30),
            store: VolatileStore())
        try mqtt.start()
        return (mqtt, mqtt.nextEvent(timeoutMilliseconds: 5_000))
    }

    func connected(_ broker: MosquittoBroker, device: String, id: String) throws -> PluginMQTT {
        try connected(broker, folder: pki + "/" + device, id: id)
    }

    func connected(_ broker: MosquittoBroker, folder: String, id: String) throws -> PluginMQTT {
        let (mqtt, event) = try session(broker, folder: folder, clientID: id)
        guard case .connected = event else {
            throw HostError("\(id) did not connect: \(event); broker log: \(broker.log)")
        }
        return mqtt
    }

    /// Waits (up to 5 s) for a line of the broker's log containing `text`.
    func logLine(_ broker: MosquittoBroker, _ text: String) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if broker.log.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    @Test func thePluginIsBuilt() {
        #expect(Self.plugin.status == 0, "\(Self.plugin.output)")
    }

    @Test func aRegisteredDeviceTalksToTheBackendAndNobodyElse() throws {
        let registry = try writeRegistry(["tcu-0001"], backends: ["tcu-0006"])
        let broker = try MosquittoBroker(plugin: .init(registry: registry))
        // The backend (its own certificate, marked backend in the registry) reads every device's telemetry.
        let backendArguments = broker.clientArguments(device: "device-chained") + ["-i", "tcu-0006"]
        let telemetry = try ChildProcess(
            "/usr/bin/mosquitto_sub", backendArguments + ["-t", "devices/+/messages/events/#", "-C", "1", "-W", "10"],
            logFile: work + "/telemetry")
        #expect(logLine(broker, "ACCEPTED device=tcu-0006"))
        #expect(broker.log.contains("role=backend"))
        #expect(logLine(broker, "tcu-0006 0 devices/+/messages/events/#"))  // subscribed before anything is sent

        let device = try connected(broker, device: "device", id: "tcu-0001")
        let command = try device.subscribe(filter: "devices/tcu-0001/messages/devicebound/#", qos: .atLeastOnce)
        #expect(device.nextEvent(timeoutMilliseconds: 5_000) == .subscribed(packetID: command, granted: .atLeastOnce))
        let id = try Array("{\"speed_kmh\":42}".utf8).withUnsafeBytes { raw in
            try device.publish(topic: "devices/tcu-0001/messages/events/", payload: raw, qos: .atLeastOnce)
        }
        #expect(device.nextEvent(timeoutMilliseconds: 5_000) == .published(packetID: id))
        #expect(telemetry.wait(timeout: 15) == 0)
        #expect(telemetry.output == "{\"speed_kmh\":42}\n", "\(broker.log)")

        // A cloud-to-device command from the backend reaches the device.
        let sent = run(
            "/usr/bin/mosquitto_pub",
            backendArguments + ["-t", "devices/tcu-0001/messages/devicebound/unlock", "-m", "door=1", "-q", "1"])
        #expect(sent.status == 0, "\(sent.output)")
        guard case .message = device.nextEvent(timeoutMilliseconds: 5_000) else {
            Issue.record("no command; broker log: \(broker.log)")
            return
        }
        #expect(device.withMessage { _, payload in String(decoding: payload, as: UTF8.self) } == "door=1")
        device.disconnect()
        #expect(!broker.output.contains("Sanitizer"), "\(broker.output)")
    }

    @Test func eachRefusalIsNotAuthorizedAndLoggedWithItsReason() throws {
        let registry = try writeRegistry(["tcu-0001", "tcu-0005"])
        let broker = try MosquittoBroker(
            plugin: .init(registry: registry, crl: pki + "/crl.pem", crlIssuer: pki + "/root.pem"))
        let cases: [(device: String, clientID: String, line: String)] = [
            ("device-rsa", "tcu-0002", "REFUSED device=tcu-0002 peer=127.0.0.1 reason=unregistered"),
            ("device", "tcu-0002", "REFUSED device=tcu-0001 peer=127.0.0.1 reason=client-id-mismatch"),
            ("device-revoked", "tcu-0005", "REFUSED device=tcu-0005 peer=127.0.0.1 reason=revoked"),
        ]
        for refusal in cases {
            let (_, event) = try session(broker, folder: pki + "/" + refusal.device, clientID: refusal.clientID)
            #expect(event == .closed(TCULinkError(.mqttNotAuthorized)), "\(refusal.device): \(event)")
            #expect(logLine(broker, refusal.line), "\(refusal.line) not in \(broker.log)")
        }
        // mosquitto_pub as the independent client: the same refusal, CONNACK 5.
        let outsider = run(
            "/usr/bin/mosquitto_pub",
            broker.clientArguments(device: "device-rsa") + ["-i", "tcu-0002", "-t", "x", "-m", "x"])
        #expect(outsider.status != 0 && outsider.output.contains("not authori"), "\(outsider.output)")
        _ = try connected(broker, device: "device", id: "tcu-0001")  // and the registered one is let in
        #expect(!broker.output.contains("Sanitizer"), "\(broker.output)")
    }

    @Test func aForeignSubscribeIsRefusedInItsSubackAndAForeignPublishIsDropped() throws {
        let registry = try writeRegistry(["tcu-0001", "tcu-0002"], backends: ["tcu-0006"])
        let broker = try MosquittoBroker(plugin: .init(registry: registry))
        let device = try connected(broker, device: "device", id: "tcu-0001")
        for filter in ["devices/tcu-0002/messages/devicebound/#", "devices/+/messages/events/#", "#"] {
            let id = try device.subscribe(filter: filter, qos: .atLeastOnce)
            #expect(device.nextEvent(timeoutMilliseconds: 5_000) == .subscriptionRefused(packetID: id), "\(filter)")
            #expect(logLine(broker, "DENIED device=tcu-0001 subscribe \(filter)"))
        }
        // The session goes on: its own topics are granted.
        let own = try device.subscribe(filter: "devices/tcu-0001/messages/devicebound/#", qos: .atLeastOnce)
        #expect(device.nextEvent(timeoutMilliseconds: 5_000) == .subscribed(packetID: own, granted: .atLeastOnce))

        let telemetry = try ChildProcess(
            "/usr/bin/mosquitto_sub",
            broker.clientArguments(device: "device-chained") + [
                "-i", "tcu-0006", "-t", "devices/+/messages/events/#", "-C", "1", "-W", "10", "-v",
            ], logFile: work + "/telemetry")
        #expect(logLine(broker, "tcu-0006 0 devices/+/messages/events/#"))  // subscribed before anything is sent
        // MQTT 3.1.1 has no way to refuse a PUBLISH: the broker acknowledges it and drops it.
        for (topic, text) in [
            ("devices/tcu-0002/messages/events/", "forged"), ("devices/tcu-0001/messages/events/", "own"),
        ] {
            let id = try Array(text.utf8).withUnsafeBytes { raw in
                try device.publish(topic: topic, payload: raw, qos: .atLeastOnce)
            }
            #expect(device.nextEvent(timeoutMilliseconds: 5_000) == .published(packetID: id))
        }
        #expect(telemetry.wait(timeout: 15) == 0)
        #expect(telemetry.output == "devices/tcu-0001/messages/events/ own\n", "\(telemetry.output)")
        #expect(broker.log.contains("DENIED device=tcu-0001 publish devices/tcu-0002/messages/events/"))
        #expect(!broker.output.contains("Sanitizer"), "\(broker.output)")
    }

    @Test func aDeviceRevokedWhileConnectedIsDisconnectedWithinTwoSeconds() throws {
        // A CA database of our own, so that revoking does not touch the shared test PKI.
        let ca = work + "/ca"
        try FileManager.default.copyItem(atPath: pki + "/ca", toPath: ca)
        let crl = work + "/crl.pem"
        try FileManager.default.copyItem(atPath: pki + "/crl.pem", toPath: crl)
        let registry = try writeRegistry(["tcu-0001"])
        let broker = try MosquittoBroker(plugin: .init(registry: registry, crl: crl, crlIssuer: pki + "/root.pem"))
        let device = try connected(broker, device: "device", id: "tcu-0001")
        let ticket = device.connection.sessionForResumption()

        let openssl = { (arguments: [String]) -> CommandResult in
            run("/usr/bin/env", ["CA_DIR=\(ca)/root", "openssl", "ca", "-config", ca + "/openssl.cnf"] + arguments)
        }
        let keys = ["-cert", pki + "/ca/root.pem", "-keyfile", pki + "/ca/root.key"]
        let revoked = openssl(["-revoke", pki + "/device/chain.pem"] + keys)
        #expect(revoked.status == 0, "\(revoked.output)")
        let generated = openssl(["-gencrl", "-out", crl + ".new"] + keys)
        #expect(generated.status == 0, "\(generated.output)")
        let started = Date()
        #expect(rename(crl + ".new", crl) == 0)

        let event = device.nextEvent(timeoutMilliseconds: 5_000)
        let elapsed = Date().timeIntervalSince(started)
        guard case .closed(let error?) = event else {
            Issue.record("still connected: \(event); broker log: \(broker.log)")
            return
        }
        #expect([.connectionClosed, .connectionReset].contains(error.reason), "\(error)")
        #expect(elapsed < 2, "\(elapsed) s")
        #expect(logLine(broker, "DISCONNECTED device=tcu-0001 reason=revoked"))
        // And it stays out when it comes back, also resuming its TLS session (mosquitto then has no
        // certificate for it: the plugin judges the identity it remembers).
        let (_, again) = try session(broker, folder: pki + "/device", clientID: "tcu-0001")
        #expect(again == .closed(TCULinkError(.mqttNotAuthorized)))
        let (resumed, answer) = try session(
            broker, folder: pki + "/device", clientID: "tcu-0001", resumption: try #require(ticket))
        #expect(resumed.connection.report?.resumed == true)
        #expect(answer == .closed(TCULinkError(.mqttNotAuthorized)))
        #expect(!broker.output.contains("Sanitizer"), "\(broker.output)")
    }

    @Test func aDeviceRemovedFromTheRegistryIsDisconnected() throws {
        let registry = try writeRegistry(["tcu-0001", "tcu-0002"])
        let broker = try MosquittoBroker(plugin: .init(registry: registry))
        let removed = try connected(broker, device: "device", id: "tcu-0001")
        let staying = try connected(broker, device: "device-rsa", id: "tcu-0002")
        try DeviceRegistry(path: registry).remove("tcu-0001")  // what `tcu-backend devices remove tcu-0001` runs
        guard case .closed = removed.nextEvent(timeoutMilliseconds: 5_000) else {
            Issue.record("tcu-0001 still connected; broker log: \(broker.log)")
            return
        }
        #expect(logLine(broker, "DISCONNECTED device=tcu-0001 reason=unregistered"))
        guard case .waiting = staying.nextEvent(timeoutMilliseconds: 1_500) else {
            Issue.record("tcu-0002 lost its session")
            return
        }
    }

    /// A certificate's policy OID grants topics from the policy file: the seed's "access control
    /// rather than blindly accept any cert from your root CA", by what the CA wrote into the certificate.
    @Test func aPolicyOIDGrantsItsTopicsAndNoOtherCertificateGetsThem() throws {
        let oid = "1.3.6.1.4.1.55555.1.1"
        let folder = work + "/tcu-0007"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let extensions = """
            basicConstraints = critical, CA:false
            keyUsage = critical, digitalSignature
            extendedKeyUsage = clientAuth
            certificatePolicies = \(oid)

            """
        try extensions.write(toFile: folder + "/ext.cnf", atomically: true, encoding: .utf8)
        for step in [
            ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", folder + "/key.pem"],
            [
                "req", "-new", "-key", folder + "/key.pem", "-subj", "/CN=tcu-0007/serialNumber=tcu-0007",
                "-out", folder + "/csr.pem",
            ],
            [
                "x509", "-req", "-in", folder + "/csr.pem", "-CA", pki + "/ca/root.pem", "-CAkey", pki + "/ca/root.key",
                "-set_serial", "4242", "-days", "30", "-extfile", folder + "/ext.cnf", "-out", folder + "/chain.pem",
            ],
        ] {
            let made = run("/usr/bin/openssl", step)
            #expect(made.status == 0, "\(made.output)")
        }
        chmod(folder + "/key.pem", 0o600)
        let policies = work + "/policies.conf"
        try """
        # OID                       access      pattern ({id}: the device id)
        \(oid)    publish     devices/{id}/diagnostics/#
        \(oid)    subscribe   devices/{id}/diagnostics/#

        """.write(toFile: policies, atomically: true, encoding: .utf8)
        let registry = try writeRegistry(["tcu-0001", "tcu-0007"])
        let broker = try MosquittoBroker(plugin: .init(registry: registry, policies: policies))

        let diagnostics = try connected(broker, folder: folder, id: "tcu-0007")
        let id = try diagnostics.subscribe(filter: "devices/tcu-0007/diagnostics/#", qos: .atLeastOnce)
        #expect(diagnostics.nextEvent(timeoutMilliseconds: 5_000) == .subscribed(packetID: id, granted: .atLeastOnce))
        _ = try Array("dtc=P0420".utf8).withUnsafeBytes { raw in
            try diagnostics.publish(topic: "devices/tcu-0007/diagnostics/obd", payload: raw, qos: .atMostOnce)
        }
        guard case .message = diagnostics.nextEvent(timeoutMilliseconds: 5_000) else {
            Issue.record("the granted topic did not come back; broker log: \(broker.log)")
            return
        }
        #expect(diagnostics.withMessage { _, payload in String(decoding: payload, as: UTF8.self) } == "dtc=P0420")

        let plain = try connected(broker, device: "device", id: "tcu-0001")  // no policy OID in its certificate
        let refused = try plain.subscribe(filter: "devices/tcu-0001/diagnostics/#", qos: .atLeastOnce)
        #expect(plain.nextEvent(timeoutMilliseconds: 5_000) == .subscriptionRefused(packetID: refused))
        #expect(!broker.output.contains("Sanitizer"), "\(broker.output)")
    }

    @Test func inAzureModeTheUsernameMustBeTheHubs() throws {
        let registry = try writeRegistry(["tcu-0001"])
        let hub = "fleet.azure-devices.net"
        let broker = try MosquittoBroker(plugin: .init(registry: registry, hubHost: hub))
        let (_, wrong) = try session(broker, folder: pki + "/device", clientID: "tcu-0001", username: "tcu-0001")
        #expect(wrong == .closed(TCULinkError(.mqttNotAuthorized)))
        #expect(logLine(broker, "REFUSED device=tcu-0001 peer=127.0.0.1 reason=username-mismatch"))
        let azure = AzureIoTHub.configuration(hub: hub, deviceID: "tcu-0001")
        let (mqtt, right) = try session(broker, folder: pki + "/device", clientID: "tcu-0001", username: azure.username)
        guard case .connected = right else {
            Issue.record("\(right); broker log: \(broker.log)")
            return
        }
        mqtt.disconnect()
    }

    @Test func aMissingRegistryStopsTheBrokerNamingTheFile() throws {
        let missing = work + "/no-such-registry.json"
        let configuration = work + "/bad.conf"
        try """
        listener \(try freePort()) 127.0.0.1
        allow_anonymous false
        plugin \(MosquittoBroker.AuthPlugin.library)
        plugin_opt_registry \(missing)

        """.write(toFile: configuration, atomically: true, encoding: .utf8)
        let result = run(
            "/usr/bin/env",
            [
                "LD_PRELOAD="
                    + run("/usr/bin/cc", ["-print-file-name=libasan.so"]).output.trimmingCharacters(
                        in: .whitespacesAndNewlines), "ASAN_OPTIONS=detect_leaks=0", "/usr/sbin/mosquitto", "-c",
                configuration,
            ],
            timeout: 10)
        #expect(result.status != 0)
        #expect(result.output.contains("cannot start: registry \(missing)"), "\(result.output)")
    }
}

extension MosquittoAuthTests {
    /// The one command a user runs: `tcu-backend broker --pki DIR` for a folder made by tcu-pki.
    @Test func tcuBackendBrokerRunsMosquittoForATcuPKIFolder() throws {
        let folder = work + "/pki"
        let pki = try PrivatePKI.create(at: folder)
        try pki.issueDevice(id: "tcu-0100", outputDirectory: work + "/tcu-0100")
        try pki.issueDevice(id: "tcu-0101", outputDirectory: work + "/tcu-0101")
        try DeviceRegistry(path: folder + "/registry.json").add("tcu-0100")
        let port = try restartablePort()
        let bin = URL(fileURLWithPath: tcuSimPath).deletingLastPathComponent().path
        let broker = try ChildProcess(
            "/usr/bin/env",
            [
                "TCULINK_MOSQUITTO_AUTH=" + MosquittoBroker.AuthPlugin.library,
                "LD_PRELOAD="
                    + run("/usr/bin/cc", ["-print-file-name=libasan.so"]).output.trimmingCharacters(
                        in: .whitespacesAndNewlines), "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1",
                bin + "/tcu-backend", "broker", "--pki", folder, "--listen", "127.0.0.1:\(port)",
            ], logFile: work + "/broker.out")
        defer { broker.stop() }
        try waitUntilListening(port)
        let client = { (id: String) in
            [
                "-h", "localhost", "-p", "\(port)", "--cafile", folder + "/root.pem", "--cert",
                self.work + "/\(id)/chain.pem", "--key", self.work + "/\(id)/key.pem", "-i", id, "-q", "1",
                "-t", "devices/\(id)/messages/events/", "-m", "{}",
            ]
        }
        let registered = run("/usr/bin/mosquitto_pub", client("tcu-0100"))
        #expect(registered.status == 0, "\(registered.output)\n\(broker.output)")
        let unregistered = run("/usr/bin/mosquitto_pub", client("tcu-0101"))
        #expect(unregistered.status != 0 && unregistered.output.contains("not authori"), "\(unregistered.output)")
        let log = (try? String(contentsOfFile: folder + "/broker/broker.log", encoding: .utf8)) ?? ""
        #expect(log.contains("REFUSED device=tcu-0101 peer=127.0.0.1 reason=unregistered"), "\(log)")
    }
}

extension MosquittoAuthTests {
    /// mosquitto for a tcu-pki folder, as `tcu-backend broker` configures it, with the sanitizer build of the plugin.
    func brokerForPKI(_ folder: String) throws -> (ChildProcess, UInt16) {
        var configuration = BrokerConfiguration(pki: folder, plugin: MosquittoBroker.AuthPlugin.library)
        configuration.port = try restartablePort()
        let path = try configuration.write(into: folder + "/broker")
        let broker = try ChildProcess(
            "/usr/bin/env",
            [
                "LD_PRELOAD="
                    + run("/usr/bin/cc", ["-print-file-name=libasan.so"]).output.trimmingCharacters(
                        in: .whitespacesAndNewlines), "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1",
                "/usr/sbin/mosquitto", "-c", path,
            ], logFile: work + "/broker.out")
        try waitUntilListening(configuration.port)
        return (broker, configuration.port)
    }

    /// `tcu-sim fleet --mqtt`: every message the broker acknowledged reaches the backend identity, also
    /// when every connection is reset after 3,300 bytes (reconnects with backoff, resumption, resends),
    /// and with the devices driven by two event-loop threads instead of a thread each.
    @Test(arguments: [[String](), ["--fault", "reset:3300"], ["--event-loops", "2", "--devices", "60"]])
    func aFleetOverMQTTLosesNothing(options: [String]) throws {
        let folder = work + "/pki"
        _ = try PrivatePKI.create(at: folder)
        let (broker, port) = try brokerForPKI(folder)
        defer { broker.stop() }
        let report = work + "/fleet.json"
        let result = run(
            tcuSimPath,
            [
                "fleet", "--mqtt", "--pki", folder, "--devices", "12", "--duration", "6", "--backend",
                "127.0.0.1:\(port)", "--json", report,
            ] + options, timeout: 120)  // a later --devices overrides the first
        #expect(result.status == 0, "\(result.output)")
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any]
        #expect(json?["telemetry_lost"] as? Int == 0, "\(result.output)")
        #expect((json?["telemetry_acknowledged"] as? Int ?? 0) > 12, "\(result.output)")
        #expect((json?["stuck_devices"] as? [String])?.isEmpty == true, "\(result.output)")
        if options.contains("--event-loops") {  // 60 devices on 2 threads, each device heard from
            #expect(json?["event_loops"] as? Int == 2 && json?["devices"] as? Int == 60, "\(result.output)")
            #expect((json?["telemetry_acknowledged"] as? Int ?? 0) > 60, "\(result.output)")
        } else if !options.isEmpty {  // the faults did happen, and the devices came back resuming their sessions
            #expect(result.output.contains("connectionReset"), "\(result.output)")
            #expect((json?["resumed_handshakes"] as? Int ?? 0) > 0, "\(result.output)")
        }
        #expect(!broker.output.contains("Sanitizer"), "\(broker.output)")
    }
}

extension MosquittoAuthTests {
    /// A certificate whose subject names two devices (CN tcu-0008, serialNumber tcu-9999), and one with
    /// no CN at all, are refused, each for its reason.
    @Test(arguments: [
        ("/CN=tcu-0008/serialNumber=tcu-9999", "reason=serial-number-mismatch"),
        ("/O=TCULink Test/serialNumber=tcu-0008", "reason=no-identity"),
    ])
    func aSubjectThatDoesNotNameOneDeviceIsRefused(subject: String, reason: String) throws {
        let folder = work + "/odd-subject"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "extendedKeyUsage = clientAuth\nkeyUsage = critical, digitalSignature\n".write(
            toFile: folder + "/ext.cnf", atomically: true, encoding: .utf8)
        for step in [
            ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", folder + "/key.pem"],
            ["req", "-new", "-key", folder + "/key.pem", "-subj", subject, "-out", folder + "/csr.pem"],
            [
                "x509", "-req", "-in", folder + "/csr.pem", "-CA", pki + "/ca/root.pem", "-CAkey", pki + "/ca/root.key",
                "-set_serial", "4343", "-days", "30", "-extfile", folder + "/ext.cnf", "-out", folder + "/chain.pem",
            ],
        ] {
            let made = run("/usr/bin/openssl", step)
            #expect(made.status == 0, "\(made.output)")
        }
        chmod(folder + "/key.pem", 0o600)
        let registry = try writeRegistry(["tcu-0008", "tcu-9999"])
        let broker = try MosquittoBroker(plugin: .init(registry: registry))
        let (_, event) = try session(broker, folder: folder, clientID: "tcu-0008")
        #expect(event == .closed(TCULinkError(.mqttNotAuthorized)))
        #expect(logLine(broker, reason), "\(broker.log)")
    }

}

import Foundation
import HostHAL
import HostSupport
import TCUBackend
import TCULink
import TCUPKI

/// The demo's MQTT part: mosquitto with the TCULink plugin (`tcu-backend broker`'s configuration) for the
/// demo's PKI, the core's MQTT client as the TCUs and as the backend (its own certificate, marked backend in
/// the registry); each outcome checked, the broker's own log line shown.
struct DemoMQTTStory {
    typealias Session = MQTTClient<POSIXSocketTransport, FileKeyStore, SystemClock, VolatileStore>

    let pki: PrivatePKI
    let pkiPath: String
    let devices: String
    let registry: DeviceRegistry
    let outcome: (Bool, String, String) -> Void

    func run() throws {
        guard let plugin = BrokerConfiguration.builtPlugin() else {
            print(
                "== MQTT: not run: the broker plugin is not built (scripts/demo builds it: scripts/targets/build-mosquitto-auth)"
            )
            outcome(false, "MQTT story", "the plugin is missing")
            return
        }
        for (id, backend) in [("fleet-backend", true), ("tcu-0004", false)] {
            try pki.issueDevice(id: id, outputDirectory: devices + "/" + id)
            try registry.add(id, role: backend ? "backend" : nil)
        }
        var configuration = BrokerConfiguration(pki: pkiPath, plugin: plugin)
        configuration.port = try Self.freePort()
        let folder = pkiPath + "/broker"
        let path = try configuration.write(into: folder)
        let broker = try Self.spawn("/usr/sbin/mosquitto", ["-c", path])
        defer { Self.stop(broker) }
        guard Self.waitUntilListening(configuration.port) else {
            outcome(false, "MQTT broker started", "mosquitto did not listen; see \(folder)/broker.log")
            return
        }
        print(
            "== MQTT broker: mosquitto on 127.0.0.1:\(configuration.port), TLS 1.3, the TCULink plugin (registry, CRL, per-device topics)"
        )
        let log = folder + "/broker.log"
        func brokerLine(_ text: String) -> String {
            for _ in 0..<100 {
                let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                if let line = lines.last(where: { $0.contains(text) }) {
                    return String(line.drop { $0 != " " }.dropFirst())  // without mosquitto's timestamp
                }
                usleep(20_000)
            }
            return "(no broker log line)"
        }
        func session(_ id: String) throws -> (Session, MQTTEvent) {
            let tls = try TLSClient(
                configuration: ClientConfiguration(
                    host: "127.0.0.1", port: configuration.port, serverName: "localhost"),
                transport: POSIXSocketTransport(), keyStore: try FileKeyStore(deviceDirectory: devices + "/" + id),
                clock: SystemClock())
            _ = try tls.connect()
            let mqtt = try MQTTClient(connection: tls, configuration: .init(clientID: id), store: VolatileStore())
            try mqtt.start()
            return (mqtt, mqtt.nextEvent(timeoutMilliseconds: 5_000))
        }
        func connected(_ id: String) throws -> Session {
            let (mqtt, event) = try session(id)
            guard case .connected = event else { throw HostError("\(id) was not let in: \(event)") }
            return mqtt
        }
        func message(_ mqtt: Session) -> (topic: String, payload: String)? {
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                if case .message = mqtt.nextEvent(timeoutMilliseconds: 1_000) {
                    return mqtt.withMessage { topic, payload in
                        (String(decoding: topic, as: UTF8.self), String(decoding: payload, as: UTF8.self))
                    }
                }
            }
            return nil
        }
        func subscribe(_ mqtt: Session, _ filter: String) -> MQTTEvent {
            guard (try? mqtt.subscribe(filter: filter, qos: .atLeastOnce)) != nil else { return .closed(nil) }
            return mqtt.nextEvent(timeoutMilliseconds: 5_000)
        }

        // 1, 2. Telemetry up, a command down, through the broker.
        let what1 = "tcu-0001 → broker → backend: telemetry over MQTT (QoS 1)"
        let what2 = "backend → broker → tcu-0001: a command (cloud-to-device)"
        do {
            let backend = try connected("fleet-backend")
            guard case .subscribed = subscribe(backend, "devices/+/messages/events/#") else {
                throw HostError("the backend's subscription was refused")
            }
            let tcu = try connected("tcu-0001")
            guard case .subscribed = subscribe(tcu, "devices/tcu-0001/messages/devicebound/#") else {
                throw HostError("the device's subscription was refused")
            }
            let reading = #"{"speed_kmh":42,"battery_v":12.6}"#
            let id = try Array(reading.utf8).withUnsafeBytes { raw in
                try tcu.publish(topic: "devices/tcu-0001/messages/events/", payload: raw, qos: .atLeastOnce)
            }
            let acknowledged = tcu.nextEvent(timeoutMilliseconds: 5_000) == .published(packetID: id)
            let received = message(backend)
            outcome(
                acknowledged && received?.payload == reading, what1,
                "backend received \(received.map { "\($0.payload) on \($0.topic)" } ?? "nothing")")
            _ = try Array("unlock".utf8).withUnsafeBytes { raw in
                try backend.publish(
                    topic: "devices/tcu-0001/messages/devicebound/doors", payload: raw, qos: .atLeastOnce)
            }
            let command = message(tcu)
            outcome(command?.payload == "unlock", what2, "tcu-0001 received \(command?.payload ?? "nothing")")
            tcu.disconnect()
            backend.disconnect()
        } catch {
            outcome(false, what1 + " / " + what2, Describe.error(error))
        }

        // 3. Another TCU subscribing to tcu-0001's commands.
        let what3 = "tcu-0002 subscribing to tcu-0001's commands: refused"
        do {
            let other = try connected("tcu-0002")
            let answer = subscribe(other, "devices/tcu-0001/messages/devicebound/#")
            if case .subscriptionRefused = answer {
                outcome(true, what3, "SUBACK 0x80; broker: \(brokerLine("DENIED device=tcu-0002"))")
            } else {
                outcome(false, what3, "\(answer)")
            }
            other.disconnect()
        } catch {
            outcome(false, what3, Describe.error(error))
        }

        // 4. A validly signed TCU that is not in the registry.
        let what4 = "tcu-unregistered (valid certificate): refused at CONNECT"
        do {
            let (_, event) = try session("tcu-unregistered")
            outcome(
                event == .closed(TCULinkError(.mqttNotAuthorized)), what4,
                "CONNACK 5; broker: \(brokerLine("REFUSED device=tcu-unregistered"))")
        } catch {
            outcome(false, what4, Describe.error(error))
        }

        // 5. A TCU revoked while it is connected.
        let what5 = "tcu-0004 revoked while connected: disconnected"
        do {
            let tcu = try connected("tcu-0004")
            let started = Date()
            _ = try pki.revoke(id: "tcu-0004")  // writes a fresh CRL; the plugin reads it on its next tick
            let event = tcu.nextEvent(timeoutMilliseconds: 5_000)
            let seconds = Date().timeIntervalSince(started)
            guard case .closed = event else { throw HostError("still connected after 5 s: \(event)") }
            outcome(
                seconds < 2, what5,
                String(format: "after %.1f s; broker: ", seconds) + brokerLine("DISCONNECTED device=tcu-0004"))
        } catch {
            outcome(false, what5, Describe.error(error))
        }
    }

    /// Starts a program with its output discarded. posix_spawn and waitpid, not Foundation's Process:
    /// under a parent that blocks SIGCHLD (a test runner) Process.waitUntilExit never returns.
    static func spawn(_ executable: String, _ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Signals as a fresh process has them: a parent that blocks or ignores some (a test runner blocks
        // SIGTERM in its threads) must not pass that on, or the broker could not be stopped.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard status == 0 else { throw HostError("cannot start \(executable): \(String(cString: strerror(status)))") }
        return pid
    }

    /// SIGTERM, then SIGKILL after 5 s; reaped either way.
    static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<100 {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }

    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw HostError("no free port") }
        return UInt16(bigEndian: address.sin_port)
    }

    static func waitUntilListening(_ port: UInt16) -> Bool {
        for _ in 0..<200 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(fd)
            if connected { return true }
            usleep(50_000)
        }
        return false
    }
}

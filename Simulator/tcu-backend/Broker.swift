import ArgumentParser
import Foundation
import TCUBackend

#if canImport(Glibc)
    import Glibc
#endif

/// `tcu-backend broker`: mosquitto for a tcu-pki folder, with tculink-mosquitto-auth, in one command.
struct Broker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Run mosquitto (MQTT over mutual TLS 1.3) for a tcu-pki folder, with the TCULink authorization plugin.",
        discussion: """
            Writes DIR/broker/mosquitto.conf (trust: DIR/root.pem and DIR/device-ca.pem; the broker's certificate: \
            DIR/server.pem; the registry: DIR/registry.json, created empty when missing; the CRL: DIR/crl.pem, \
            re-read when it changes) and runs mosquitto in the foreground. Build the plugin first: \
            scripts/targets/build-mosquitto-auth.
            """)

    @Option(help: "A PKI folder made by tcu-pki init.") var pki: String
    @Option(help: "Address and port to listen on.") var listen = "127.0.0.1:8883"
    @Option(
        name: .customLong("hub-host"),
        help: "Azure IoT Hub mode: the username must be HOST/{device id}/?api-version=...")
    var hubHost: String?
    @Option(help: "Policy OID grants: lines of \"OID publish|subscribe PATTERN\" ({id} is the device id).")
    var policies: String?
    @Option(help: "The plugin (default: .build-mosquitto/tculink_mosquitto_auth.so of this repository).")
    var plugin: String?
    @Flag(help: "Write the configuration and print its path, without starting mosquitto.") var configOnly = false

    func run() throws {
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]) else {
            throw fail("--listen must be HOST:PORT")
        }
        guard let plugin = plugin ?? BrokerConfiguration.builtPlugin() else {
            throw fail("the plugin is not built: run scripts/targets/build-mosquitto-auth (or give --plugin)")
        }
        var configuration = BrokerConfiguration(pki: pki, plugin: plugin)
        configuration.host = String(listen[..<colon])
        configuration.port = port
        configuration.hubHost = hubHost
        configuration.policies = policies
        let path: String
        do {
            path = try configuration.write(into: pki + "/broker")
        } catch {
            throw fail("\(error)")
        }
        if configOnly {
            print(path)
            return
        }
        let mosquitto = "/usr/sbin/mosquitto"
        guard FileManager.default.isExecutableFile(atPath: mosquitto) else {
            throw fail("\(mosquitto) not found: apt-get install mosquitto")
        }
        // A socket per device: up to the hard limit, which mosquitto inherits.
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        print("tcu-backend broker: mosquitto on \(listen) with \(path)")
        fflush(nil)  // every stream: what was printed comes before mosquitto's output
        // mosquitto takes this process's place: signals (Ctrl-C, SIGHUP) go to it directly.
        let arguments = [mosquitto, "-c", path]
        var pointers = arguments.map { strdup($0) } + [nil]
        execv(mosquitto, &pointers)
        throw fail("cannot run \(mosquitto): \(String(cString: strerror(errno)))")
    }
}

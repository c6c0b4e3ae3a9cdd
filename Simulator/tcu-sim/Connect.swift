import ArgumentParser
import Foundation
import HostHAL
import TCULink

/// `tcu-sim connect`: one mutual-TLS handshake, optionally one message and its reply.
struct Connect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connect to a backend with mutual TLS and print a report.",
        discussion: """
            Exit status 0 when the handshake (and the exchange, with --send) succeeded; otherwise \
            a one-line reason and status 1 (2 for a usage or file problem).
            """
    )

    @Option(help: "Backend host name or address.")
    var host: String

    @Option(help: "Backend port.")
    var port: UInt16

    @Option(name: .customLong("server-name"), help: "Name the server certificate must carry (default: --host).")
    var serverName: String?

    @OptionGroup var device: DeviceOptions

    @Option(help: "Send this text (plus a newline) once connected, and print the reply.")
    var send: String?

    @Option(help: "Post this JSON object as telemetry (POST /v1/devices/ID/telemetry) and print the backend's answer.")
    var telemetry: String?

    @Option(name: .customLong("device-id"), help: "The id in the API path (default: the CN of the device certificate).")
    var deviceID: String?

    @Flag(name: .customLong("tls12"), help: "Allow TLS 1.2 as well as TLS 1.3.")
    var allowTLS12 = false

    @Option(name: .customLong("timeout-ms"), help: "Handshake time limit, milliseconds.")
    var timeoutMilliseconds: UInt32 = 30_000

    @Option(name: .customLong("clock-at"), help: "Simulate the board's RTC at this Unix time (validity is judged against it).")
    var clockAt: Int64?

    @Flag(name: .customLong("clock-unset"), help: "Simulate a board whose RTC is not set.")
    var clockUnset = false

    func run() throws {
        do {
            if device.usesToken {
                let keyStore = try device.tokenKeyStore()
                printError("tcu-sim: signing on the PKCS#11 token (the key is non-extractable)")
                try perform(keyStore)
            } else {
                let keyStore = try device.keyStore()
                printError("tcu-sim: using the development file key store (the key is in a file; production keys stay in secure hardware)")
                try perform(keyStore)
            }
        } catch let error as HostError {
            printError("tcu-sim: \(error)")
            throw ExitCode(2)
        }
    }

    func perform<K: KeyStore>(_ keyStore: K) throws {
        let setting: SimulatedClock.Setting =
            clockUnset ? .notSet : clockAt.map { .fixed($0) } ?? .offset(0)
        let configuration = ClientConfiguration(
            host: host, port: port, serverName: serverName,
            versions: allowTLS12 ? .tls12OrLater : .tls13Only,
            timeouts: .init(connect: min(10_000, timeoutMilliseconds), handshake: timeoutMilliseconds))

        let client: TLSClient<POSIXSocketTransport, K, SimulatedClock>
        do {
            client = try TLSClient(
                configuration: configuration, transport: POSIXSocketTransport(), keyStore: keyStore,
                clock: SimulatedClock(setting))
        } catch {
            printError("tcu-sim: refused: \(Describe.error(error))")
            throw ExitCode(2)
        }
        do {
            let report = try client.connect()
            print(Describe.report(report, host: host, port: port))
            if let send {
                try client.sendAll(Array((send + "\n").utf8), timeoutMilliseconds: timeoutMilliseconds)
                var buffer = [UInt8](repeating: 0, count: 16 * 1024)
                let result = try buffer.withUnsafeMutableBytes { raw throws(TCULinkError) in
                    try client.receive(into: raw, timeoutMilliseconds: timeoutMilliseconds)
                }
                switch result {
                case .received(let count):
                    let text = String(decoding: buffer[0..<count], as: UTF8.self)
                    print("reply:       \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
                case .wouldBlock:
                    throw TCULinkError(.ioTimeout)
                case .closed:
                    throw TCULinkError(.connectionClosed)
                }
            }
            if let telemetry {
                let id = deviceID ?? keyStore.certificateChain.first.flatMap { X509Certificate(der: $0) }?.subject.commonName
                    .map { String(decoding: $0, as: UTF8.self) } ?? ""
                let response = try HTTPExchange.perform(
                    client, method: "POST", path: "/v1/devices/\(id)/telemetry", host: serverName ?? host, json: telemetry,
                    timeoutMilliseconds: timeoutMilliseconds)
                print("telemetry:   \(response.status) \(response.reason) \(response.body)")
                guard (200..<300).contains(response.status) else {
                    print("FAILED: backend answered \(response.status) \(response.reason): \(response.body)")
                    client.close()
                    throw ExitCode(1)
                }
            }
            client.close()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            print("FAILED: \(Describe.error(error))")
            throw ExitCode(1)
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

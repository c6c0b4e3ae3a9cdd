import ArgumentParser
import DeviceHTTP
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

    @Option(
        help:
            "Folder for the device's persistent state: the TLS session (to resume after a restart) and the last known good time."
    )
    var state: String?

    @Option(help: "Retry a failed connection up to this many times, with capped exponential backoff and full jitter.")
    var retries: Int = 0

    @Option(
        name: .customLong("fault"),
        help:
            "Inject a link fault (repeatable): latency:MS, bandwidth:BYTES_PER_S, drop:N, reset:N, silent:N, corrupt:N (N = bytes received)."
    )
    var faultSpecs: [String] = []

    @Option(
        name: .customLong("renew-within"),
        help: "Renew (EST simplereenroll) after connecting when the certificate expires within this many days.")
    var renewWithin: Int?

    @Flag(name: .customLong("tls12"), help: "Allow TLS 1.2 as well as TLS 1.3.")
    var allowTLS12 = false

    @Option(
        name: .customLong("max-fragment"),
        help: "Ask the server for records of at most this many bytes (512, 1024, 2048 or 4096).")
    var maxFragment: UInt16?

    @Option(name: .customLong("timeout-ms"), help: "Handshake time limit, milliseconds.")
    var timeoutMilliseconds: UInt32 = 30_000

    @Option(
        name: .customLong("clock-at"),
        help: "Simulate the board's RTC at this Unix time (validity is judged against it).")
    var clockAt: Int64?

    @Flag(name: .customLong("clock-unset"), help: "Simulate a board whose RTC is not set.")
    var clockUnset = false

    @Flag(help: "Also print the cipher suites the ClientHello offered, as sent.")
    var verbose = false

    func run() throws {
        do {
            let chainPath = device.certChain ?? device.device.map { $0 + "/chain.pem" }
            let trustPath = device.trust ?? device.device.map { $0 + "/trust.pem" }
            if device.usesToken {
                var keyStore = try device.tokenKeyStore()
                printError("tcu-sim: signing on the PKCS#11 token (the key is non-extractable)")
                try perform(keyStore)
                if let chainPath, renewalDue(keyStore) {
                    try RenewalFailure.wrap {
                        try Renewal.renew(
                            &keyStore, host: host, port: port, serverName: serverName, chainPath: chainPath
                        ) { newChain in
                            let (token, label) = try device.token.open()
                            return try PKCS11KeyStore(
                                token: token, keyLabel: label, chainFile: newChain, trustFile: trustPath)
                        }
                    }
                }
            } else {
                var keyStore = try device.keyStore()
                printError(
                    "tcu-sim: using the development file key store (the key is in a file; production keys stay in secure hardware)"
                )
                try perform(keyStore)
                if let chainPath, let trustPath, renewalDue(keyStore) {
                    let keyPath = device.key ?? device.device.map { $0 + "/key.pem" } ?? ""
                    try RenewalFailure.wrap {
                        try Renewal.renew(
                            &keyStore, host: host, port: port, serverName: serverName, chainPath: chainPath
                        ) { newChain in
                            try FileKeyStore(chainFile: newChain, keyFile: keyPath, trustFile: trustPath)
                        }
                    }
                }
            }
        } catch let error as RenewalFailure {
            print("FAILED: renewal: \(error.underlying)")
            throw ExitCode(1)
        } catch let error as HostError {
            printError("tcu-sim: \(error)")
            throw ExitCode(2)
        }
    }

    /// True when --renew-within is set and the device certificate expires inside that window.
    func renewalDue<K: KeyStore>(_ keyStore: K) -> Bool {
        guard let renewWithin, let leaf = keyStore.certificateChain.first.flatMap({ X509Certificate(der: $0) }) else {
            return false
        }
        let left = leaf.notAfter - Int64(Date().timeIntervalSince1970)
        if left < Int64(renewWithin) * 86_400 {
            print(
                "renewal:     certificate expires in \(left / 86_400) day(s), within --renew-within \(renewWithin); renewing"
            )
            return true
        }
        return false
    }

    func perform<K: KeyStore>(_ keyStore: K) throws {
        let setting: SimulatedClock.Setting =
            clockUnset ? .notSet : clockAt.map { .fixed($0) } ?? .offset(0)
        var configuration = ClientConfiguration(
            host: host, port: port, serverName: serverName,
            versions: allowTLS12 ? .tls12OrLater : .tls13Only,
            timeouts: .init(connect: min(10_000, timeoutMilliseconds), handshake: timeoutMilliseconds))
        if let maxFragment {
            guard let fragment = MaxFragmentLength(rawValue: maxFragment) else {
                throw ValidationError("--max-fragment must be 512, 1024, 2048 or 4096")
            }
            configuration.maxFragmentLength = fragment
        }

        var store: FilePersistentStore? = nil
        if let state {
            do { store = try FilePersistentStore(directory: state) } catch {
                printError("tcu-sim: \(error)")
                throw ExitCode(2)
            }
        }
        // The board's clock, with the defined behaviour when it cannot be trusted (docs/architecture.md).
        let clock = TrustedClock(
            base: SimulatedClock(setting), lastKnownGood: store.flatMap { LastKnownGoodTime.load(from: $0) })
        var reconnector = Reconnector(policy: ReconnectionPolicy(base: 500, cap: 8_000, permanentFailureDelay: 0))
        var entropy = OSEntropy()
        var attempt = 0
        var faults: [TransportFault] = []
        for spec in faultSpecs {
            guard let fault = TransportFault(spec) else {
                printError(
                    "tcu-sim: --fault \(spec): expected latency:MS, bandwidth:BPS, drop:N, reset:N, silent:N or corrupt:N"
                )
                throw ExitCode(2)
            }
            faults.append(fault)
        }
        // The saved session is a credential: it is kept sealed by the key store for this device
        // identity. One that does not unseal here (another device's, altered) is not used.
        let saved = store.map { SavedSession.load(from: $0, keyStore: keyStore) } ?? .empty
        if let note = saved.note { print("session:     \(note)") }
        typealias Client = TLSClient<FaultyTransport<POSIXSocketTransport>, K, TrustedClock<SimulatedClock>>
        var connected: (Client, ConnectionReport)? = nil
        while connected == nil {
            let candidate: Client
            do {
                candidate = try TLSClient(
                    configuration: configuration, transport: FaultyTransport(POSIXSocketTransport(), faults: faults),
                    keyStore: keyStore,
                    clock: clock, resumption: saved.bytes)
            } catch {
                printError("tcu-sim: refused: \(Describe.error(error))")
                throw ExitCode(2)
            }
            do {
                connected = (candidate, try candidate.connect())
            } catch {
                attempt += 1
                let decision = reconnector.failed(
                    error, now: clock.monotonicMilliseconds(), random: entropy.randomWord() ?? 0)
                guard attempt <= retries, case .retry(let at) = decision else {
                    if case .pause(_, let reason) = decision, attempt <= retries {
                        print("retry:       not retrying: \(reason) will not cure itself")
                    }
                    if verbose { print("offered:     \(candidate.offeredCipherSuites.joined(separator: ":"))") }
                    print("FAILED: \(Describe.error(error))")
                    throw ExitCode(1)
                }
                let wait = at > clock.monotonicMilliseconds() ? at - clock.monotonicMilliseconds() : 0
                print("retry:       attempt \(attempt) failed (\(error.reason)); next in \(wait) ms")
                usleep(UInt32(min(wait, 60_000)) * 1000)
            }
        }
        guard let (client, report) = connected else { throw ExitCode(1) }
        if var store, case .unixSeconds(let now) = clock.wallTime() {
            // A verified connection at this time: the clock was plausible, remember it.
            try? LastKnownGoodTime.record(now, to: &store)
        }
        do {
            print(Describe.report(report, host: host, port: port))
            if verbose { print("offered:     \(client.offeredCipherSuites.joined(separator: ":"))") }
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
                let id =
                    deviceID ?? keyStore.certificateChain.first.flatMap { X509Certificate(der: $0) }?.subject.commonName
                    .map { String(decoding: $0, as: UTF8.self) } ?? ""
                let response = try HTTPExchange.perform(
                    client, method: "POST", path: "/v1/devices/\(id)/telemetry", host: serverName ?? host,
                    json: telemetry,
                    timeoutMilliseconds: timeoutMilliseconds)
                print("telemetry:   \(response.status) \(response.reason) \(response.body)")
                guard (200..<300).contains(response.status) else {
                    print("FAILED: backend answered \(response.status) \(response.reason): \(response.body)")
                    client.close()
                    throw ExitCode(1)
                }
            }
            if var store, var session = client.sessionForResumption() {
                do { try SavedSession.save(session, to: &store, keyStore: keyStore) } catch {
                    printError("tcu-sim: could not save the TLS session: \(error.summary)")
                }
                SavedSession.zero(&session)
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

/// A renewal that failed after a successful connection: the old certificate stays in use.
struct RenewalFailure: Error {
    let underlying: String

    static func wrap(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as TCULinkError {
            throw RenewalFailure(underlying: Describe.linkError(error))
        } catch {
            throw RenewalFailure(underlying: "\(error)")
        }
    }
}

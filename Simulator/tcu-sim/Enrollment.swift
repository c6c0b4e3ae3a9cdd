import ArgumentParser
import DeviceHTTP
import Foundation
import HostHAL
import TCULink
import TCUPKI

/// EST (RFC 7030) from the device side: first enrollment with a one-time token, renewal
/// with the current certificate. The key never moves: the request is signed by the key store.
enum EST {
    /// Sends the device's CSR to `path` and returns the issued chain (leaf first).
    static func request<K: KeyStore>(
        _ client: TLSClient<POSIXSocketTransport, K, SystemClock>, keyStore: inout K, id: String, path: String,
        host: String, basicAuth: String?
    ) throws -> [[UInt8]] {
        let csr = try CertificateRequestBuilder.build(deviceID: id, keyStore: &keyStore)
        var headers = [("Content-Type", "application/pkcs10"), ("Content-Transfer-Encoding", "base64")]
        if let basicAuth { headers.append(("Authorization", "Basic \(Data(basicAuth.utf8).base64EncodedString())")) }
        let response = try HTTPExchange.perform(
            client, method: "POST", path: path, host: host, headers: headers,
            body: Data(csr).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed]))
        guard response.status == 200 else {
            throw HostError("the backend refused: \(response.status) \(response.reason) \(response.body)")
        }
        guard let der = Data(base64Encoded: response.body, options: .ignoreUnknownCharacters),
            let chain = PKCS7Certificates.parse(Array(der)),
            let leaf = chain.first.flatMap({ X509Certificate(der: $0) })
        else { throw HostError("the backend's answer is not a certs-only PKCS#7") }
        guard leaf.subjectPublicKeyInfo == (try? keyStore.publicKey()) else {
            throw HostError("the issued certificate is not for this device's key")
        }
        return chain
    }

    static func pem(_ chain: [[UInt8]]) -> Data {
        Data(chain.flatMap { PEM.encode($0) })
    }
}

/// `tcu-sim enroll`: first enrollment over TLS without a client certificate, authorized by a one-time token.
struct Enroll: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "First enrollment (EST simpleenroll): get a certificate for the device key with a one-time token.",
        discussion: "The token comes from TCU_ENROLL_TOKEN or --token-file. Writes OUT/chain.pem and OUT/trust.pem.")

    @Option(help: "Backend host.") var host: String
    @Option(help: "The backend's enrollment port (tcu-backend serve --enroll-listen).") var port: UInt16
    @Option(name: .customLong("server-name"), help: "Name the backend certificate must carry (default: --host).")
    var serverName: String?
    @Option(help: "The device id.") var id: String
    @Option(help: "Trust anchors for the backend's certificate (PEM).") var trust: String
    @Option(help: "Folder for chain.pem and trust.pem.") var out: String
    @Option(name: .customLong("token-file"), help: "File holding the one-time enrollment token.") var tokenFile: String?
    @Option(help: "Development key file (PEM, mode 0600).") var key: String?
    @OptionGroup var token: TokenOptions

    func run() throws {
        try reportingEnrollmentFailures {
            let secret = try enrollmentToken()
            let chain: [[UInt8]]
            if self.token.module != nil {
                let (opened, label) = try self.token.open()
                var store = try PKCS11KeyStore(token: opened, keyLabel: label, chainFile: nil, trustFile: trust)
                chain = try enroll(&store, secret: secret)
            } else if let key {
                var store = try FileKeyStore(keyOnly: key, trustFile: trust)
                chain = try enroll(&store, secret: secret)
            } else {
                throw HostError("give --key FILE, or --pkcs11-module/--token/--key-label")
            }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try SecureFile.write(EST.pem(chain), to: out + "/chain.pem", mode: 0o644)
            try SecureFile.write(try Data(contentsOf: URL(fileURLWithPath: trust)), to: out + "/trust.pem", mode: 0o644)
            let leaf = X509Certificate(der: chain[0])
            print(
                "enrolled:    \(id), certificate valid until \(Date(timeIntervalSince1970: TimeInterval(leaf?.notAfter ?? 0))); chain in \(out)/chain.pem"
            )
        }
    }

    func enrollmentToken() throws -> String {
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw HostError("\(tokenFile): not found")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let value = ProcessInfo.processInfo.environment["TCU_ENROLL_TOKEN"], !value.isEmpty { return value }
        throw HostError("no enrollment token: set TCU_ENROLL_TOKEN or give --token-file FILE")
    }

    func enroll<K: KeyStore>(_ store: inout K, secret: String) throws -> [[UInt8]] {
        var configuration = ClientConfiguration(host: host, port: port, serverName: serverName)
        configuration.withoutClientCertificate = true
        let client = try TLSClient(
            configuration: configuration, transport: POSIXSocketTransport(), keyStore: store, clock: SystemClock())
        defer { client.close() }
        _ = try client.connect()
        return try EST.request(
            client, keyStore: &store, id: id, path: "/.well-known/est/simpleenroll", host: serverName ?? host,
            basicAuth: "\(id):\(secret)")
    }
}

/// `tcu-sim renew`: renewal over mutual TLS with the current certificate (same key), then a safe swap.
struct Renew: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Renew the device certificate (EST simplereenroll) and swap it in only after a handshake with it succeeded.",
        discussion: """
            The new chain is written beside the old one, proven by a mutual-TLS handshake with the backend, \
            then the old chain is kept as chain.pem.old and the new one replaces chain.pem by rename: a power \
            cut at any point leaves a working chain.pem.
            """)

    @Option(help: "Backend host.") var host: String
    @Option(help: "Backend mutual-TLS port.") var port: UInt16
    @Option(name: .customLong("server-name"), help: "Name the backend certificate must carry (default: --host).")
    var serverName: String?
    @OptionGroup var device: DeviceOptions

    func run() throws {
        try reportingEnrollmentFailures {
            let chainPath = device.certChain ?? (device.device.map { $0 + "/chain.pem" } ?? "")
            guard !chainPath.isEmpty else { throw HostError("give --device DIR or --cert-chain FILE") }
            if device.usesToken {
                var store = try device.tokenKeyStore()
                try renew(&store, chainPath: chainPath) { newChain throws in
                    let (token, label) = try device.token.open()
                    return try PKCS11KeyStore(
                        token: token, keyLabel: label, chainFile: newChain,
                        trustFile: device.trust ?? device.device.map { $0 + "/trust.pem" })
                }
            } else {
                var store = try device.keyStore()
                let keyPath = device.key ?? (device.device.map { $0 + "/key.pem" } ?? "")
                let trustPath = device.trust ?? (device.device.map { $0 + "/trust.pem" } ?? "")
                try renew(&store, chainPath: chainPath) { newChain throws in
                    try FileKeyStore(chainFile: newChain, keyFile: keyPath, trustFile: trustPath)
                }
            }
        }
    }

    func renew<K: KeyStore>(_ store: inout K, chainPath: String, storeWithNewChain: (String) throws -> K) throws {
        try Renewal.renew(
            &store, host: host, port: port, serverName: serverName, chainPath: chainPath,
            storeWithNewChain: storeWithNewChain)
    }
}

/// Renewal with a proven swap, shared by `tcu-sim renew` and `tcu-sim connect --renew-within`.
enum Renewal {
    static func renew<K: KeyStore>(
        _ store: inout K, host: String, port: UInt16, serverName: String?, chainPath: String,
        storeWithNewChain: (String) throws -> K
    ) throws {
        guard let leaf = store.certificateChain.first.flatMap({ X509Certificate(der: $0) }),
            let idBytes = leaf.subject.commonName
        else { throw HostError("\(chainPath): no device certificate to renew") }
        let id = String(decoding: idBytes, as: UTF8.self)
        let name = serverName ?? host

        let client = try TLSClient(
            configuration: ClientConfiguration(host: host, port: port, serverName: serverName),
            transport: POSIXSocketTransport(),
            keyStore: store, clock: SystemClock())
        _ = try client.connect()
        let chain = try EST.request(
            client, keyStore: &store, id: id, path: "/.well-known/est/simplereenroll", host: name, basicAuth: nil)
        client.close()

        // 1. Write the new chain beside the old one.
        let pending = chainPath + ".new"
        try SecureFile.write(EST.pem(chain), to: pending, mode: 0o644)
        // 2. Prove it: a mutual-TLS handshake and a request with the new certificate.
        let proof = try TLSClient(
            configuration: ClientConfiguration(host: host, port: port, serverName: serverName),
            transport: POSIXSocketTransport(),
            keyStore: try storeWithNewChain(pending), clock: SystemClock())
        _ = try proof.connect()
        let answer = try HTTPExchange.perform(proof, method: "GET", path: "/v1/devices/\(id)", host: name)
        proof.close()
        guard answer.status == 200 else {
            throw HostError(
                "the backend did not accept the new certificate (\(answer.status)); the old one stays in use")
        }
        // 3. Swap: keep the old chain, then replace chain.pem in one rename.
        try SecureFile.write(try Data(contentsOf: URL(fileURLWithPath: chainPath)), to: chainPath + ".old", mode: 0o644)
        guard rename(pending, chainPath) == 0 else { throw HostError("\(chainPath): cannot swap in the new chain") }
        let newLeaf = X509Certificate(der: chain[0])
        print(
            "renewed:     \(id), new certificate valid until \(Date(timeIntervalSince1970: TimeInterval(newLeaf?.notAfter ?? 0))) (old chain kept as \(chainPath).old)"
        )
    }
}

/// Runs an enrollment command's body: a refusal or failure is printed as one `FAILED:` line and
/// exits 1 (other errors, such as bad arguments, pass through).
func reportingEnrollmentFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as HostError {
        print("FAILED: \(error)")
        throw ExitCode(1)
    } catch let error as TCULinkError {
        print("FAILED: \(Describe.linkError(error))")
        throw ExitCode(1)
    }
}

import Foundation
import HostHAL
import HostSupport
import Synchronization
import TCUBackend
import TCULink
import TCUPKI
import TestSupport
import Testing

/// The defects a review of the backend's lasting parts found (issue 14), each shown with the
/// concurrency or the setup that exposed it: concurrent EST issuance losing serials, a one-time
/// token used twice, a root + device-CA client bundle refusing every device, device ids sharing a
/// telemetry file, and a PIN file readable by others.
@Suite(.serialized) struct BackendRaceTests {
    typealias Client = TLSClient<POSIXSocketTransport, FileKeyStore, SystemClock>

    // MARK: - Concurrent issuance

    @Test func concurrentIssuanceRecordsEverySerial() throws {
        let folder = NSTemporaryDirectory() + "tculink-est-race-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pki = try PrivatePKI.create(at: folder + "/pki")
        let ids = (1...20).map { String(format: "race-%03d", $0) }
        for id in ids { try pki.issueDevice(id: id, outputDirectory: folder + "/" + id) }
        let backend = try RunningBackend(issuingFrom: pki, registered: ids)
        let enrollPort = try #require(backend.enrollment?.port)

        // Per device: one simpleenroll with its one-time token, two simplereenroll over mutual TLS.
        struct Job {
            let id: String
            let kind: Int  // 0: enroll, 1-2: renew
        }
        var jobs: [Job] = []
        var tokens: [String: String] = [:]
        for id in ids {
            let token = "token-\(id)-\(UUID().uuidString)"
            try backend.server.registry.setEnrollmentToken(id, token: token)
            tokens[id] = token
            jobs += [Job(id: id, kind: 0), Job(id: id, kind: 1), Job(id: id, kind: 2)]
        }
        let jobList = jobs
        let clearTokens = tokens
        let mutualPort = backend.port

        let responses = try Self.concurrently(jobs.count) { index in
            let job = jobList[index]
            let deviceFolder = folder + "/" + job.id
            if job.kind == 0 {
                var store = try FileKeyStore(keyOnly: deviceFolder + "/key.pem", trustFile: folder + "/pki/root.pem")
                let csr = try CertificateRequestBuilder.build(deviceID: job.id, keyStore: &store)
                let client = try Self.client(enrollPort, store: store, anonymous: true)
                return (client, csr, "/.well-known/est/simpleenroll", "\(job.id):\(clearTokens[job.id]!)")
            }
            var store = try FileKeyStore(deviceDirectory: deviceFolder)
            let csr = try CertificateRequestBuilder.build(deviceID: job.id, keyStore: &store)
            let client = try Self.client(mutualPort, store: store, anonymous: false)
            return (client, csr, "/.well-known/est/simplereenroll", nil)
        }

        var delivered: [(id: String, serial: String)] = []
        for (index, response) in responses.enumerated() {
            #expect(response.hasPrefix("HTTP/1.1 200"), "\(jobs[index].id): \(response.prefix(200))")
            for serial in Self.deliveredSerials(response) { delivered.append((jobs[index].id, serial)) }
        }
        #expect(delivered.count == jobs.count)

        // issued.json is valid JSON and records every delivered serial.
        let issued = try pki.issuedDevices()
        let recorded = Set(issued.map { Self.normalized($0.serial) })
        for (id, serial) in delivered {
            #expect(recorded.contains(serial), "\(id): serial \(serial) delivered but not in issued.json")
        }
        #expect(issued.count == ids.count + delivered.count)
        // No temporary or stray file is left beside it.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder + "/pki").filter {
            $0.contains(".tmp-")
        }
        #expect(leftovers.isEmpty, "\(leftovers)")

        // Each delivered certificate can be revoked, and ends up on the CRL's list.
        for (id, serial) in delivered {
            #expect(throws: Never.self, "\(id) \(serial)") { try pki.revoke(serial: Self.bytes(serial)) }
        }
        let revoked = Set(try pki.issuedDevices().filter { $0.revokedAt != nil }.map { Self.normalized($0.serial) })
        #expect(Set(delivered.map(\.serial)).isSubset(of: revoked))
    }

    // MARK: - One-time token

    @Test func aOneTimeTokenIssuesOneCertificate() throws {
        let folder = NSTemporaryDirectory() + "tculink-token-race-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pki = try PrivatePKI.create(at: folder + "/pki")
        // A key to build the requests with (the CSR's identity is what the token authorizes, not the key's cert).
        try pki.issueDevice(id: "key-donor", outputDirectory: folder + "/donor")
        let backend = try RunningBackend(issuingFrom: pki, registered: ["tcu-race"])
        let enrollPort = try #require(backend.enrollment?.port)
        let token = "one-time-\(UUID().uuidString)"
        try backend.server.registry.setEnrollmentToken("tcu-race", token: token)

        let count = 8
        let responses = try Self.concurrently(count, staggerMicroseconds: 2_000) { _ in
            var store = try FileKeyStore(keyOnly: folder + "/donor/key.pem", trustFile: folder + "/pki/root.pem")
            let csr = try CertificateRequestBuilder.build(deviceID: "tcu-race", keyStore: &store)
            let client = try Self.client(enrollPort, store: store, anonymous: true)
            return (client, csr, "/.well-known/est/simpleenroll", "tcu-race:\(token)")
        }
        let issued = responses.filter { $0.hasPrefix("HTTP/1.1 200") }
        let refused = responses.filter { $0.hasPrefix("HTTP/1.1 401") }
        #expect(issued.count == 1, "\(responses.map { $0.prefix(40) })")
        #expect(refused.count == count - 1, "\(responses.map { $0.prefix(40) })")
        #expect(try pki.issuedDevices().filter { $0.id == "tcu-race" }.count == 1)
        #expect(!backend.server.registry.enrollmentTokenMatches("tcu-race", token: token))
        // Each refusal is logged with its reason: the token was gone, or a concurrent request took it.
        _ = backend.waitForLine("ENROLLED", "device=tcu-race")
        usleep(100_000)
        let lines = backend.recorder.lines
        #expect(lines.filter { $0.hasPrefix("ENROLLED device=tcu-race") }.count == 1, "\(lines)")
        let refusals = lines.filter {
            $0.hasPrefix("ENROLL-REFUSED device=tcu-race")
                && ($0.contains("reason=token-used") || $0.contains("reason=bad-token"))
        }
        #expect(refusals.count == count - 1, "\(lines)")
    }

    // MARK: - Root + device CA with the device CA's CRL only

    @Test func aRootAndDeviceCABundleChecksTheLeafIssuersCRL() throws {
        let folder = NSTemporaryDirectory() + "tculink-bundle-crl-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pki = try PrivatePKI.create(at: folder + "/pki")
        try pki.issueDevice(id: "tcu-good", outputDirectory: folder + "/good")
        try pki.issueDevice(id: "tcu-revoked", outputDirectory: folder + "/revoked")
        try pki.revoke(id: "tcu-revoked")
        let dir = pki.directory
        let bundle = folder + "/client-ca.pem"
        let rootAndDeviceCA =
            try SecureFile.read(dir + "/root.pem", what: "root") + SecureFile.read(dir + "/device-ca.pem", what: "CA")
        try SecureFile.writePublic(rootAndDeviceCA, to: bundle)

        let backend = try RunningBackend(
            certificateChain: dir + "/server.pem", key: dir + "/server.key", clientCA: bundle, crl: dir + "/crl.pem",
            registered: ["tcu-good", "tcu-revoked"])
        let good = Result { try Self.client(backend.port, store: FileKeyStore(deviceDirectory: folder + "/good")) }
        #expect((try? good.get()) != nil, "\(good)")
        #expect(backend.waitForLine("ACCEPTED device=tcu-good") != nil, "\(backend.recorder.lines)")
        #expect(throws: (any Error).self) {
            try Self.client(backend.port, store: FileKeyStore(deviceDirectory: folder + "/revoked"))
        }
        #expect(backend.waitForLine("REFUSED device=tcu-revoked", "reason=revoked") != nil, "\(backend.recorder.lines)")

        // A CRL from another trusted CA only (the OpenSSL test PKI's root): the leaf's issuer has none, and the
        // refusal names it.
        let strictBundle = folder + "/client-ca-strict.pem"
        try SecureFile.writePublic(
            rootAndDeviceCA + SecureFile.read(TestPKI.directory + "/root.pem", what: "root"), to: strictBundle)
        let strict = try RunningBackend(
            certificateChain: dir + "/server.pem", key: dir + "/server.key", clientCA: strictBundle,
            crl: TestPKI.directory + "/crl.pem", registered: ["tcu-good"])
        #expect(throws: (any Error).self) {
            try Self.client(strict.port, store: FileKeyStore(deviceDirectory: folder + "/good"))
        }
        #expect(
            strict.waitForLine("REFUSED device=tcu-good", "reason=crl-missing", "issuer=\"TCULink Device CA\"") != nil,
            "\(strict.recorder.lines)")
    }

    // MARK: - Device ids

    @Test func deviceIDsAreRefusedNotRenamed() throws {
        let folder = NSTemporaryDirectory() + "tculink-ids-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let registry = DeviceRegistry(path: folder + "/registry.json")
        for bad in ["a/b", "../x", "", "a b", "é", "-a", String(repeating: "x", count: 65)] {
            #expect(throws: HostError.self, "\(bad)") { try registry.add(bad) }
        }
        try registry.add("a_b")
        try registry.add("a.b-C9")
        #expect(try registry.list().map(\.id) == ["a.b-C9", "a_b"])

        // The command line says why.
        let bin = URL(fileURLWithPath: tcuSimPath).deletingLastPathComponent().path
        let refused = run(bin + "/tcu-backend", ["devices", "add", "--registry", folder + "/registry.json", "a/b"])
        #expect(refused.status != 0 && refused.output.contains("not allowed"), "\(refused.output)")

        // The telemetry store refuses an id outside the rule instead of mapping it onto another's file.
        let telemetry = try TelemetryStore(directory: folder + "/telemetry")
        #expect(try telemetry.append(device: "a_b", json: Data(#"{"n":1}"#.utf8)) == 1)
        #expect(throws: TelemetryStore.UnsafeID.self) { try telemetry.append(device: "a/b", json: Data("{}".utf8)) }
        #expect(throws: TelemetryStore.UnsafeID.self) { try telemetry.count(device: "a/b") }
        #expect(try telemetry.count(device: "a_b") == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/telemetry") == ["a_b.jsonl"])
    }

    // MARK: - PIN file

    @Test func aPINFileReadableByOthersIsRefused() throws {
        let folder = NSTemporaryDirectory() + "tculink-pin-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let pinFile = folder + "/pin.txt"
        FileManager.default.createFile(
            atPath: pinFile, contents: Data("1234\n".utf8), attributes: [.posixPermissions: 0o644])
        do {
            _ = try PKCS11Token.pin(file: pinFile)
            Issue.record("a 0644 PIN file was read")
        } catch {
            #expect(error.description.contains("mode 644") && error.description.contains("chmod 600 \(pinFile)"))
        }
        // tcu-sim says the same and exits 2 (the PIN is read before the token is opened).
        let bin = URL(fileURLWithPath: tcuSimPath).deletingLastPathComponent().path
        let refused = run(
            bin + "/tcu-sim",
            ["keygen", "--pkcs11-module", SoftHSM.module, "--token", "none", "--key-label", "k", "--pin-file", pinFile])
        #expect(refused.status == 2 && refused.output.contains("chmod 600"), "\(refused.output)")

        chmod(pinFile, 0o600)
        #expect(try PKCS11Token.pin(file: pinFile) == "1234")
    }

    // MARK: - Helpers

    /// Prepares `count` requests (each connected, its handshake done) on their own threads, then sends them
    /// all at once (or `staggerMicroseconds` apart) and returns each response, in order.
    static func concurrently(
        _ count: Int, staggerMicroseconds: UInt32 = 0,
        prepare: @escaping @Sendable (Int) throws -> (Client, [UInt8], String, String?)
    ) throws -> [String] {
        final class Results: Sendable {
            let responses = Locked<[Int: String]>([:])
            let ready = Atomic<Int>(0)
            let go = DispatchSemaphore(value: 0)
        }
        let results = Results()
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let prepared = Result { try prepare(index) }
                results.ready.add(1, ordering: .releasing)
                results.go.wait()
                if staggerMicroseconds > 0 { usleep(staggerMicroseconds * UInt32(index)) }
                let response: String
                switch prepared {
                case .success(let (client, csr, path, basic)):
                    response = (try? post(client, path, csr: csr, basic: basic)) ?? "FAILED: no response"
                case .failure(let error): response = "FAILED: \(error)"
                }
                results.responses.withLock { $0[index] = response }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        // Wait until every client is connected, then release them together.
        for _ in 0..<6000 {
            if results.ready.load(ordering: .acquiring) == count { break }
            usleep(10_000)
        }
        for _ in 0..<count { results.go.signal() }
        #expect(group.wait(timeout: .now() + 120) == .success)
        let responses = results.responses.withLock { $0 }
        return (0..<count).map { responses[$0] ?? "FAILED: unfinished" }
    }

    static func client(_ port: UInt16, store: FileKeyStore, anonymous: Bool = false) throws -> Client {
        try connectedDevice(port, store: store, anonymous: anonymous)
    }

    static func post(_ client: Client, _ path: String, csr: [UInt8], basic: String?) throws -> String {
        let body = Data(csr).base64EncodedString()
        var head =
            "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/pkcs10\r\nContent-Length: \(body.utf8.count)\r\n"
        if let basic { head += "Authorization: Basic \(Data(basic.utf8).base64EncodedString())\r\n" }
        try client.sendAll(Array((head + "\r\n" + body).utf8), timeoutMilliseconds: 30_000)
        defer { client.close() }
        return try readHTTPResponse(client, timeoutMilliseconds: 30_000)
    }

    /// The leaf serial (normalized hex) of a 200 EST response's certs-only PKCS#7.
    static func deliveredSerials(_ response: String) -> [String] {
        guard response.hasPrefix("HTTP/1.1 200"),
            let body = response.split(separator: "\r\n\r\n", maxSplits: 1).last,
            let der = Data(base64Encoded: String(body), options: .ignoreUnknownCharacters),
            let leaf = PKCS7Certificates.parse(Array(der))?.first.flatMap({ X509Certificate(der: $0) })
        else { return [] }
        return [normalized(hex(leaf.serialNumber))]
    }

    /// Hex without leading zero bytes, as `PrivatePKI.revoke(serial:)` compares.
    static func normalized(_ serial: String) -> String {
        var text = Substring(serial)
        while text.hasPrefix("00") { text = text.dropFirst(2) }
        return String(text)
    }

    static func bytes(_ hexText: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hexText.startIndex
        while index < hexText.endIndex {
            let next = hexText.index(index, offsetBy: 2)
            result.append(UInt8(hexText[index..<next], radix: 16)!)
            index = next
        }
        return result
    }
}

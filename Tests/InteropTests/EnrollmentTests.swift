import Foundation
import HostHAL
import TCUBackend
import TCULink
import TCUPKI
import TestSupport
import Testing

/// The whole life of a device key on SoftHSM2: generate on the token, enroll (EST, one-time
/// token), connect, renew, connect with the new certificate; and the refusals on the way.
@Suite(.serialized) struct EnrollmentTests {
    var bin: String { URL(fileURLWithPath: tcuSimPath).deletingLastPathComponent().path }

    func tokenArguments(_ label: String, key: String) -> [String] {
        ["--pkcs11-module", SoftHSM.module, "--token", label, "--key-label", key]
    }

    @Test func aFullLifeCycleOnSoftHSM2() throws {
        let folder = NSTemporaryDirectory() + "tculink-life-\(UUID().uuidString)"
        let pki = try PrivatePKI.create(at: folder + "/pki")
        let backend = try RunningBackend(issuingFrom: pki, registered: ["tcu-5000"])
        let enrollPort = try #require(backend.enrollment?.port)
        let secret = "one-time-\(UUID().uuidString)"
        try backend.server.registry.setEnrollmentToken("tcu-5000", token: secret)
        FileManager.default.createFile(
            atPath: folder + "/token.txt", contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
        let token = SoftHSM.token("lc-\(UUID().uuidString.prefix(8))")
        let keyArgs = tokenArguments(token, key: "device")

        // Generate on the token.
        let keygen = run(bin + "/tcu-sim", ["keygen"] + keyArgs)
        #expect(keygen.status == 0 && keygen.output.contains("extractable: no"), "\(keygen.output)")

        // Enroll with the one-time token over TLS without a client certificate.
        let enrollArgs =
            [
                "enroll", "--host", "localhost", "--port", "\(enrollPort)", "--id", "tcu-5000", "--trust",
                folder + "/pki/root.pem",
                "--out", folder + "/device", "--token-file", folder + "/token.txt",
            ] + keyArgs
        let enroll = run(bin + "/tcu-sim", enrollArgs)
        #expect(enroll.status == 0 && enroll.output.contains("enrolled:"), "\(enroll.output)")
        #expect(backend.waitForLine("ENROLLED", "device=tcu-5000") != nil)
        // The token is used up.
        let again = run(bin + "/tcu-sim", enrollArgs)
        #expect(again.status == 1 && again.output.contains("401"), "\(again.output)")
        #expect(backend.waitForLine("ENROLL-REFUSED", "reason=bad-token") != nil)

        // Connect with the enrolled certificate, the key signing on the token.
        let device = ["--cert-chain", folder + "/device/chain.pem", "--trust", folder + "/device/trust.pem"] + keyArgs
        let first = run(
            bin + "/tcu-sim",
            ["connect", "--host", "localhost", "--port", "\(backend.port)", "--telemetry", #"{"n":1}"#] + device)
        #expect(first.status == 0 && first.output.contains("202"), "\(first.output)")
        let oldLeaf = try #require(TestCertificates.leaf(folder + "/device/chain.pem"))

        // Renew, proven by a handshake, swapped in by rename.
        let renew = run(bin + "/tcu-sim", ["renew", "--host", "localhost", "--port", "\(backend.port)"] + device)
        #expect(renew.status == 0 && renew.output.contains("renewed:"), "\(renew.output)")
        #expect(backend.waitForLine("RENEWED", "device=tcu-5000") != nil)
        let newLeaf = try #require(TestCertificates.leaf(folder + "/device/chain.pem"))
        #expect(newLeaf.serialNumber != oldLeaf.serialNumber)
        #expect(TestCertificates.leaf(folder + "/device/chain.pem.old")?.serialNumber == oldLeaf.serialNumber)
        #expect(!FileManager.default.fileExists(atPath: folder + "/device/chain.pem.new"))

        // Connect with the new certificate; then retire the old one (revocation) and see it refused.
        let second = run(
            bin + "/tcu-sim",
            ["connect", "--host", "localhost", "--port", "\(backend.port)", "--telemetry", #"{"n":2}"#] + device)
        #expect(second.status == 0, "\(second.output)")
        #expect(try backend.server.telemetry.count(device: "tcu-5000") == 2)
        try pki.revoke(serial: oldLeaf.serialNumber)
        let old = ["--cert-chain", folder + "/device/chain.pem.old", "--trust", folder + "/device/trust.pem"] + keyArgs
        let refused = run(bin + "/tcu-sim", ["connect", "--host", "localhost", "--port", "\(backend.port)"] + old)
        #expect(refused.status == 1 && refused.output.contains("certificate_unknown"), "\(refused.output)")
        #expect(backend.waitForLine("REFUSED", "device=tcu-5000", "reason=revoked") != nil, "\(backend.recorder.lines)")
        let third = run(bin + "/tcu-sim", ["connect", "--host", "localhost", "--port", "\(backend.port)"] + device)
        #expect(third.status == 0, "\(third.output)")
    }

    @Test func connectRenewsInsideTheWindowOnly() throws {
        let folder = NSTemporaryDirectory() + "tculink-window-\(UUID().uuidString)"
        let pki = try PrivatePKI.create(at: folder + "/pki")
        try pki.issueDevice(id: "tcu-7000", outputDirectory: folder + "/device", days: 5)
        let backend = try RunningBackend(issuingFrom: pki, registered: ["tcu-7000"])
        let arguments = [
            "connect", "--host", "localhost", "--port", "\(backend.port)", "--device", folder + "/device",
            "--renew-within", "30",
        ]
        let first = run(bin + "/tcu-sim", arguments)
        #expect(first.status == 0 && first.output.contains("renewed:"), "\(first.output)")
        let leaf = try #require(TestCertificates.leaf(folder + "/device/chain.pem"))
        #expect(leaf.notAfter - Int64(Date().timeIntervalSince1970) > 300 * 86_400)
        let second = run(bin + "/tcu-sim", arguments)
        #expect(second.status == 0 && !second.output.contains("renewed:"), "\(second.output)")
    }

    @Test func enrollmentRefusals() throws {
        let folder = NSTemporaryDirectory() + "tculink-refuse-\(UUID().uuidString)"
        let pki = try PrivatePKI.create(at: folder + "/pki")
        try pki.issueDevice(id: "tcu-6000", outputDirectory: folder + "/tcu-6000")
        let backend = try RunningBackend(issuingFrom: pki, registered: ["tcu-6000", "tcu-6001"])
        let enrollPort = try #require(backend.enrollment?.port)
        try backend.server.registry.setEnrollmentToken("tcu-6001", token: "token-for-6001-only")

        // A CSR for a foreign identity, with tcu-6001's valid token.
        var other = try FileKeyStore(keyOnly: folder + "/tcu-6000/key.pem", trustFile: folder + "/pki/root.pem")
        let foreign = try CertificateRequestBuilder.build(deviceID: "tcu-9999", keyStore: &other)
        let anonymous = try client(enrollPort, store: other, anonymous: true)
        let refused = try post(
            anonymous, "/.well-known/est/simpleenroll", csr: foreign, basic: "tcu-6001:token-for-6001-only")
        #expect(refused.hasPrefix("HTTP/1.1 400") && refused.contains("tcu-9999"), "\(refused)")
        #expect(
            backend.waitForLine("ENROLL-REFUSED", "device=tcu-6001", "reason=identity-mismatch") != nil,
            "\(backend.recorder.lines)")
        // The token is not used up by a refused request.
        #expect(backend.server.registry.enrollmentTokenMatches("tcu-6001", token: "token-for-6001-only"))

        // No credentials; renewal without a certificate; the device API on the enrollment listener.
        let bare = try client(enrollPort, store: other, anonymous: true)
        #expect(try post(bare, "/.well-known/est/simpleenroll", csr: foreign, basic: nil).hasPrefix("HTTP/1.1 401"))
        let noCert = try client(enrollPort, store: other, anonymous: true)
        #expect(try post(noCert, "/.well-known/est/simplereenroll", csr: foreign, basic: nil).hasPrefix("HTTP/1.1 403"))

        // Renewal for another identity, over mutual TLS as tcu-6000.
        var current = try FileKeyStore(deviceDirectory: folder + "/tcu-6000")
        let renewal = try CertificateRequestBuilder.build(deviceID: "tcu-6001", keyStore: &current)
        let mtls = try client(backend.port, store: current, anonymous: false)
        let stolen = try post(mtls, "/.well-known/est/simplereenroll", csr: renewal, basic: nil)
        #expect(stolen.hasPrefix("HTTP/1.1 400"), "\(stolen)")
        #expect(backend.waitForLine("ENROLL-REFUSED", "device=tcu-6000", "reason=identity-mismatch") != nil)

        // cacerts: the device CA and the root, as certs-only PKCS#7.
        let cacerts = try client(enrollPort, store: other, anonymous: true)
        try cacerts.sendAll(
            Array("GET /.well-known/est/cacerts HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8), timeoutMilliseconds: 5_000)
        let response = try readResponse(cacerts)
        let body = String(response.split(separator: "\r\n\r\n", maxSplits: 1).last ?? "")
        let certificates = Data(base64Encoded: body, options: .ignoreUnknownCharacters).flatMap {
            PKCS7Certificates.parse(Array($0))
        }
        #expect(certificates?.count == 2, "\(response)")
    }

    func client(_ port: UInt16, store: FileKeyStore, anonymous: Bool) throws -> TLSClient<
        POSIXSocketTransport, FileKeyStore, SystemClock
    > {
        try connectedDevice(port, store: store, anonymous: anonymous)
    }

    func post(
        _ client: TLSClient<POSIXSocketTransport, FileKeyStore, SystemClock>, _ path: String, csr: [UInt8],
        basic: String?
    ) throws -> String {
        let body = Data(csr).base64EncodedString()
        var head =
            "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/pkcs10\r\nContent-Length: \(body.utf8.count)\r\n"
        if let basic { head += "Authorization: Basic \(Data(basic.utf8).base64EncodedString())\r\n" }
        try client.sendAll(Array((head + "\r\n" + body).utf8), timeoutMilliseconds: 5_000)
        defer { client.close() }
        return try readResponse(client)
    }

    func readResponse(_ client: TLSClient<POSIXSocketTransport, FileKeyStore, SystemClock>) throws -> String {
        try readHTTPResponse(client, timeoutMilliseconds: 2_000)
    }
}

enum TestCertificates {
    static func leaf(_ path: String) -> X509Certificate? {
        FileManager.default.contents(atPath: path).flatMap { PEM.decodeAll(Array($0))?.first }.flatMap {
            X509Certificate(der: $0)
        }
    }
}

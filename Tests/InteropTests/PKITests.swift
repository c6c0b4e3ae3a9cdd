import Foundation
import TCUPKI
import TestSupport
import Testing

/// tcu-pki's PKI, checked by OpenSSL as the independent verifier, and lint's findings.
@Suite(.serialized) struct PKITests {
    static let folder = NSTemporaryDirectory() + "tculink-pki-\(getpid())"
    static let pki: PrivatePKI = {
        let pki = try! PrivatePKI.create(at: folder)
        try! pki.issueDevice(id: "tcu-0100", outputDirectory: folder + "/tcu-0100", policies: ["1.3.6.1.4.1.55555.7"])
        try! pki.issueDevice(id: "tcu-0101", outputDirectory: folder + "/tcu-0101", keyType: .rsa2048)
        try! pki.issueDevice(id: "tcu-0102", outputDirectory: folder + "/tcu-0102")
        try! pki.issueDevice(id: "tcu-0103", outputDirectory: folder + "/tcu-0103", profile: .serverAuthOnly)
        try! pki.revoke(id: "tcu-0102")
        return pki
    }()

    var dir: String { Self.pki.directory }

    func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
    }

    func openssl(_ arguments: [String]) -> CommandResult { run("/usr/bin/openssl", arguments) }

    @Test func keysAre0600AndCertificatesPublic() {
        for key in ["root.key", "device-ca.key", "server.key", "tcu-0100/key.pem", "tcu-0101/key.pem"] {
            #expect(mode(dir + "/" + key) == 0o600, "\(key)")
        }
        for certificate in ["root.pem", "device-ca.pem", "server.pem", "crl.pem", "tcu-0100/chain.pem"] {
            #expect(mode(dir + "/" + certificate) == 0o644, "\(certificate)")
        }
    }

    @Test func initRefusesToOverwriteAPKI() {
        #expect(throws: HostError.self) { try PrivatePKI.create(at: dir) }
    }

    @Test func openSSLVerifiesTheChainsAndTheProfiles() {
        let device = openssl([
            "verify", "-CAfile", dir + "/root.pem", "-untrusted", dir + "/device-ca.pem", "-purpose", "sslclient",
            dir + "/tcu-0100/chain.pem",
        ])
        #expect(device.status == 0, "\(device.output)")
        let server = openssl(["verify", "-CAfile", dir + "/root.pem", "-purpose", "sslserver", dir + "/server.pem"])
        #expect(server.status == 0, "\(server.output)")
        let text = openssl(["x509", "-in", dir + "/tcu-0100/chain.pem", "-noout", "-text"]).output
        #expect(text.contains("CN = tcu-0100") && text.contains("serialNumber = tcu-0100"))
        #expect(text.contains("TLS Web Client Authentication"))
        #expect(text.contains("Digital Signature"))
        #expect(text.contains("Policy: 1.3.6.1.4.1.55555.7"))
        #expect(!text.contains("DNS:"))
        let serverText = openssl(["x509", "-in", dir + "/server.pem", "-noout", "-text"]).output
        #expect(serverText.contains("DNS:localhost") && serverText.contains("IP Address:127.0.0.1"))
        #expect(
            openssl(["x509", "-in", dir + "/tcu-0101/chain.pem", "-noout", "-text"]).output.contains(
                "Public-Key: (2048 bit)"))
    }

    @Test func theCRLIsSignedByTheDeviceCAAndRevokesOnlyTheRevoked() {
        let crl = openssl(["crl", "-in", dir + "/crl.pem", "-CAfile", dir + "/device-ca.pem", "-noout"])
        #expect(crl.output.contains("verify OK"), "\(crl.output)")
        let check = [
            "verify", "-crl_check", "-CRLfile", dir + "/crl.pem", "-CAfile", dir + "/root.pem", "-untrusted",
            dir + "/device-ca.pem",
        ]
        let revoked = openssl(check + [dir + "/tcu-0102/chain.pem"])
        #expect(revoked.status != 0 && revoked.output.contains("certificate revoked"), "\(revoked.output)")
        #expect(openssl(check + [dir + "/tcu-0100/chain.pem"]).status == 0)
        #expect(throws: HostError.self) { try Self.pki.revoke(id: "never-issued") }
    }

    @Test func issueRefusesBadIdsAndDays() {
        #expect(throws: HostError.self) { try Self.pki.issueDevice(id: "../escape", outputDirectory: dir + "/x") }
        #expect(throws: HostError.self) { try Self.pki.issueDevice(id: "", outputDirectory: dir + "/x") }
        #expect(throws: HostError.self) { try Self.pki.issueDevice(id: "ok", outputDirectory: dir + "/x", days: 0) }
    }

    @Test func lintFindingsOnGoodAndBadCertificates() throws {
        func lint(_ path: String, _ role: CertificateLint.Role) -> [CertificateLint.Finding] {
            CertificateLint.lint(Array(FileManager.default.contents(atPath: path)!), as: role)
        }
        func failures(_ findings: [CertificateLint.Finding]) -> [String] {
            findings.filter { $0.severity == .error }.map(\.message)
        }
        let openSSL = TestPKI.directory
        #expect(failures(lint(dir + "/tcu-0100/chain.pem", .client)).isEmpty)
        #expect(failures(lint(openSSL + "/device/chain.pem", .client)).isEmpty)
        #expect(failures(lint(openSSL + "/device-rsa/chain.pem", .client)).isEmpty)
        #expect(failures(lint(dir + "/server.pem", .server)).isEmpty)
        #expect(failures(lint(openSSL + "/server/good.leaf.pem", .server)).isEmpty)

        #expect(
            failures(lint(dir + "/tcu-0103/chain.pem", .client)).contains {
                $0.contains("lacks clientAuth (it is a server certificate)")
            })
        #expect(failures(lint(openSSL + "/server/good.leaf.pem", .client)).contains { $0.contains("lacks clientAuth") })
        #expect(failures(lint(dir + "/tcu-0100/chain.pem", .server)).contains { $0.contains("lacks serverAuth") })
        #expect(failures(lint(dir + "/tcu-0100/chain.pem", .server)).contains { $0.contains("no subjectAltName") })
        #expect(
            failures(lint(openSSL + "/server/clientonly.leaf.pem", .server)).contains {
                $0.contains("lacks serverAuth")
            })
        #expect(failures(lint(openSSL + "/server/expired.leaf.pem", .server)).contains { $0.hasPrefix("expired") })
        #expect(failures(lint(openSSL + "/device-expired/chain.pem", .client)).contains { $0.hasPrefix("expired") })
        #expect(failures(lint(openSSL + "/server-ca.pem", .server)).contains { $0.contains("CA:true") })
        #expect(failures(lint(openSSL + "/server-ca.pem", .server)).contains { $0.contains("no extendedKeyUsage") })
        #expect(
            lint(openSSL + "/server/good.leaf.pem", .client).contains {
                $0.severity == .warning && $0.message.contains("dNSName")
            })
        #expect(failures(CertificateLint.lint(Array("not a certificate".utf8), as: .client)).count == 1)
        #expect(
            failures(
                CertificateLint.lint(
                    Array("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8), as: .client)) == [
                    "the certificate is malformed and cannot be parsed"
                ])
    }
}

/// The three tools as an operator runs them.
@Suite(.serialized) struct ToolCommandTests {
    var bin: String { URL(fileURLWithPath: tcuSimPath).deletingLastPathComponent().path }

    @Test func tcuSimDemoPassesEveryOutcome() {
        let result = run(bin + "/tcu-sim", ["demo"], timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("demo: every outcome as expected"))
        for line in [
            "reason=not-client-auth", "reason=revoked", "reason=unregistered", "403", "serverNameMismatch", "202",
        ] {
            #expect(result.output.contains(line), "\(line)")
        }
    }

    @Test func pkiAndBackendCommandLines() throws {
        let folder = NSTemporaryDirectory() + "tculink-tools-\(UUID().uuidString)"
        #expect(run(bin + "/tcu-pki", ["init", "--dir", folder]).status == 0)
        #expect(run(bin + "/tcu-pki", ["init", "--dir", folder]).status == 2)  // refuses to overwrite
        // A folder that cannot be made: one sentence with the system's reason, never a Foundation dump.
        let impossible = run(bin + "/tcu-pki", ["init", "--dir", "/proc/tculink-no-such/pki"])
        #expect(impossible.status == 2)
        #expect(impossible.output.contains("cannot create /proc/tculink-no-such/pki: No such file or directory"))
        #expect(!impossible.output.contains("NSCocoaErrorDomain"), "\(impossible.output)")
        #expect(
            run(bin + "/tcu-pki", ["issue-device", "--dir", folder, "--id", "tcu-7", "--out", folder + "/tcu-7"]).status
                == 0)
        #expect(
            run(bin + "/tcu-pki", ["issue-device", "--dir", folder, "--id", "bad id", "--out", folder + "/x"]).status
                == 2)
        #expect(
            run(bin + "/tcu-pki", ["issue-device", "--dir", folder + "/none", "--id", "a", "--out", folder + "/x"])
                .output.contains("tcu-pki init"))
        let lint = run(bin + "/tcu-pki", ["lint", folder + "/tcu-7/chain.pem", "--as", "client"])
        #expect(lint.status == 0 && lint.output.contains("fits the TLS client profile"), "\(lint.output)")
        #expect(run(bin + "/tcu-pki", ["lint", folder + "/tcu-7/chain.pem", "--as", "server"]).status == 1)
        #expect(run(bin + "/tcu-pki", ["lint", folder + "/missing.pem", "--as", "server"]).status == 2)
        #expect(run(bin + "/tcu-pki", ["revoke", "--dir", folder, "--id", "tcu-7"]).status == 0)

        #expect(run(bin + "/tcu-backend", ["devices", "add", "--pki", folder, "tcu-7"]).status == 0)
        #expect(run(bin + "/tcu-backend", ["devices", "add", "--pki", folder, "tcu-7"]).status == 2)
        #expect(run(bin + "/tcu-backend", ["devices", "list", "--pki", folder]).output.contains("tcu-7"))
        #expect(run(bin + "/tcu-backend", ["devices", "remove", "--pki", folder, "tcu-7"]).status == 0)
        #expect(!run(bin + "/tcu-backend", ["devices", "list", "--pki", folder]).output.contains("tcu-7"))
        chmod(folder + "/server.key", 0o644)
        let serve = run(bin + "/tcu-backend", ["serve", "--pki", folder, "--listen", "127.0.0.1:0"], timeout: 10)
        #expect(serve.status == 2 && serve.output.contains("chmod 600"), "\(serve.output)")
    }
}

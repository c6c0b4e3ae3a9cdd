import Foundation
import TestSupport
import Testing

/// `tcu-sim` as an operator runs it: exit status and the one-line reasons.
@Suite(.serialized) struct TCUSimCommandTests {
    let pki = TestPKI.directory

    @Test func connectReportsTheHandshakeAndTheReply() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        let result = run(
            tcuSimPath,
            [
                "connect", "--host", "localhost", "--port", "\(server.port)", "--device", pki + "/device", "--send",
                "hello",
            ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("protocol:    TLSv1.3"))
        #expect(result.output.contains("server:      CN=good server"))
        #expect(result.output.contains("handshake:"))
        #expect(result.output.contains("reply:       olleh"))
        #expect(result.output.contains("development file key store"))
    }

    @Test func connectWithSeparateFilesAndServerName() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        let result = run(
            tcuSimPath,
            [
                "connect", "--host", "127.0.0.1", "--port", "\(server.port)", "--server-name", "localhost",
                "--cert-chain", pki + "/device-rsa/chain.pem", "--key", pki + "/device-rsa/key.pem", "--trust",
                pki + "/root.pem",
            ])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func connectRefusalsEachHaveTheirOwnLine() throws {
        let cases: [(String, String, String)] = [
            ("server/wrongname.leaf.pem", "server/wrongname.key", "serverNameMismatch"),
            ("server/expired.leaf.pem", "server/expired.key", "certificateExpired"),
            ("server/clientonly.leaf.pem", "server/clientonly.key", "serverCertificateLacksServerAuth"),
        ]
        for (certificate, key, reason) in cases {
            let server = try OpenSSLServer(pki: pki, certificate: certificate, key: key)
            defer { server.stop() }
            let result = run(
                tcuSimPath, ["connect", "--host", "localhost", "--port", "\(server.port)", "--device", pki + "/device"])
            #expect(result.status == 1)
            #expect(result.output.contains("FAILED: \(reason)"), "\(result.output)")
        }
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        let rogue = run(
            tcuSimPath,
            ["connect", "--host", "localhost", "--port", "\(server.port)", "--device", pki + "/device-rogue"])
        #expect(rogue.status == 1)
        #expect(rogue.output.contains("FAILED: peerRejectedCertificate"), "\(rogue.output)")
        #expect(rogue.output.contains("alert"))
    }

    @Test func badFilesExitWithStatus2AndSaySo() throws {
        let folder = NSTemporaryDirectory() + "tculink-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["chain.pem", "key.pem", "trust.pem"] {
            try FileManager.default.copyItem(atPath: pki + "/device/" + name, toPath: folder + "/" + name)
        }
        chmod(folder + "/key.pem", 0o640)
        let result = run(tcuSimPath, ["connect", "--host", "localhost", "--port", "1", "--device", folder])
        #expect(result.status == 2)
        #expect(result.output.contains("accessible by others"))
        let missing = run(tcuSimPath, ["connect", "--host", "localhost", "--port", "1"])
        #expect(missing.status == 2)
        #expect(missing.output.contains("--device"))
    }

    @Test func verifyServerOffline() {
        func verify(_ leaf: String, name: String = "localhost", at: String? = nil) -> CommandResult {
            var arguments = [
                "verify-server", "--trust", pki + "/root.pem", "--intermediates", pki + "/server-ca.pem", "--leaf",
                pki + "/" + leaf, "--name", name,
            ]
            if let at { arguments += ["--at", at] }
            return run(tcuSimPath, arguments)
        }
        let good = verify("server/good.leaf.pem")
        #expect(good.status == 0 && good.output.contains("ACCEPTED"), "\(good.output)")
        #expect(verify("server/good.pem").status == 0)  // chain in one file
        let expired = verify("server/expired.leaf.pem")
        #expect(expired.status == 1 && expired.output.contains("certificateExpired"))
        #expect(verify("server/expired.leaf.pem", at: "1590000000").status == 1)  // the CA did not exist yet
        #expect(verify("server/good.leaf.pem", at: "4102444800").output.contains("certificateExpired"))
        #expect(verify("server/good.leaf.pem", name: "other.example").output.contains("serverNameMismatch"))
        #expect(verify("server/clientonly.leaf.pem").output.contains("serverCertificateLacksServerAuth"))
        #expect(verify("server/rogue.pem").output.contains("unknownCA"))
        #expect(verify("server/nonexistent.pem").status == 2)
    }
}

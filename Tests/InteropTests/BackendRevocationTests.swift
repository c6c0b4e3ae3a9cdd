import Foundation
import TCUBackend
import TestSupport
import Testing

/// The backend's CRL rules (docs/backend.md, "Revocation: whose CRL counts"), with CRLs made by OpenSSL:
/// a stale CRL refuses rather than vouches, a CRL from a CA the backend does not trust is not used at all,
/// and one file may hold the CRLs of several CAs.
@Suite(.serialized) struct BackendRevocationTests {
    let pki = TestPKI.directory

    func sClient(_ port: UInt16, device: String) -> CommandResult {
        run(
            "/usr/bin/openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(port)", "-quiet", "-CAfile", pki + "/root.pem",
                "-cert", pki + "/\(device)/chain.pem", "-key", pki + "/\(device)/key.pem",
            ], input: "GET /v1/devices/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout: 15)
    }

    func backend(clientCA: String, crl: String, registered: [String]) throws -> RunningBackend {
        try RunningBackend(
            certificateChain: pki + "/server/good.pem", key: pki + "/server/good.key", clientCA: clientCA, crl: crl,
            registered: registered)
    }

    @Test func aCRLPastItsNextUpdateRefusesInsteadOfVouching() throws {
        let backend = try backend(clientCA: pki + "/root.pem", crl: pki + "/crl-expired.pem", registered: ["tcu-0001"])
        #expect(!sClient(backend.port, device: "device").output.contains("HTTP/1.1"))
        let line = backend.waitForLine("REFUSED", "device=tcu-0001", "reason=crl-expired")
        #expect(line?.contains("issuer=\"root\"") == true, "\(backend.recorder.lines)")
    }

    @Test func aCRLFromACAOutsideTheClientCAFileIsRefusedAtStart() throws {
        #expect {
            _ = try backend(clientCA: pki + "/root.pem", crl: pki + "/crl-rogue.pem", registered: [])
        } throws: { error in
            "\(error)".contains("not signed by any certificate of the client-CA file")
        }
    }

    @Test func oneFileMayHoldTheCRLsOfSeveralCAs() throws {
        let bundle = NSTemporaryDirectory() + "tculink-client-ca-\(UUID().uuidString).pem"
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        let root = try String(contentsOfFile: pki + "/root.pem", encoding: .utf8)
        let deviceCA = try String(contentsOfFile: pki + "/ca/device-ca.pem", encoding: .utf8)
        try (root + deviceCA).write(toFile: bundle, atomically: true, encoding: .utf8)
        let backend = try backend(clientCA: bundle, crl: pki + "/crl-both.pem", registered: ["tcu-0005", "tcu-0006"])
        // tcu-0006 is issued by the device CA (checked against the device CA's CRL), tcu-0005 by the root.
        #expect(sClient(backend.port, device: "device-chained").output.contains("HTTP/1.1 403"))
        #expect(backend.waitForLine("ACCEPTED", "device=tcu-0006") != nil, "\(backend.recorder.lines)")
        #expect(!sClient(backend.port, device: "device-revoked").output.contains("HTTP/1.1"))
        #expect(backend.waitForLine("REFUSED", "device=tcu-0005", "reason=revoked") != nil, "\(backend.recorder.lines)")
    }
}

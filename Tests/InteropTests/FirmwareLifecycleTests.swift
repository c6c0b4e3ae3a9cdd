import Foundation
import TCULink
import TCUPKI
import TestSupport
import Testing

/// The host firmware image (BoardSupport/POSIX/firmware_main.c) through a TCU's life, all through the C
/// API: boot, resume a sealed session, publish over MQTT, renew its certificate with a new key, and a
/// power cut (SIGKILL, no clean-up) at every step of the renewal, after which it still connects.
@Suite(.serialized) struct FirmwareLifecycleTests {
    var image: String {
        let lines = HostFirmwareTests.image.output.split(separator: "\n")
        return TestPKI.repository.appendingPathComponent(String(lines.last ?? "")).path
    }

    func request(_ id: String) -> String {
        "GET /v1/devices/\(id) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    }

    /// Runs the image; `killAt` arms the POSIX HAL's power cut (TCU_POSIX_KILL_AT) at that point.
    func firmware(_ options: [String], port: UInt16, device: String, message: String, killAt: String? = nil)
        -> CommandResult
    {
        let files = [device + "/chain.pem", device + "/key.pem", device + "/trust.pem"]
        let arguments = options + ["localhost", "\(port)", "localhost"] + files + [message]
        if let killAt { return run("/usr/bin/env", ["TCU_POSIX_KILL_AT=\(killAt)", image] + arguments, timeout: 60) }
        return run(image, arguments, timeout: 60)
    }

    /// A private PKI in a temporary folder with `id` issued into FOLDER/device, and a backend that issues (EST).
    func issuingBackend(device id: String) throws -> (folder: String, backend: RunningBackend) {
        let folder = NSTemporaryDirectory() + "tculink-fw-\(id)-\(UUID().uuidString)"
        let pki = try PrivatePKI.create(at: folder + "/pki")
        try pki.issueDevice(id: id, outputDirectory: folder + "/device")
        return (folder, try RunningBackend(issuingFrom: pki, registered: [id]))
    }

    @Test func resumesAcrossRebootsAndPublishesOverMQTT() throws {
        #expect(HostFirmwareTests.image.status == 0, "\(HostFirmwareTests.image.output)")
        let pki = TestPKI.directory
        let backend = try RunningBackend(openSSLPKI: pki, registered: ["tcu-0001"])
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let state = NSTemporaryDirectory() + "tculink-fw-state-\(UUID().uuidString)"
        let options = ["--state", state, "--mqtt", "\(broker.port)", "--client-id", "tcu-0001"]

        let boot = firmware(options, port: backend.port, device: pki + "/device", message: request("tcu-0001"))
        #expect(boot.status == 0, "\(boot.output)")
        #expect(boot.output.contains("resumed no") && boot.output.contains("reply: HTTP/1.1 200 OK"), "\(boot.output)")
        #expect(boot.output.contains("PUBACK for packet"), "\(boot.output)")
        // The session is kept sealed (never in clear), and the verified time is remembered.
        let slot = try Data(contentsOf: URL(fileURLWithPath: state + "/slot-1.bin"))
        #expect(slot.first == SavedSession.formatVersion && slot.count > 64)
        let attributes = try FileManager.default.attributesOfItem(atPath: state + "/slot-1.bin")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(FileManager.default.fileExists(atPath: state + "/slot-2.bin"))

        // A reboot: a new process, the same state folder.
        let reboot = firmware(options, port: backend.port, device: pki + "/device", message: request("tcu-0001"))
        #expect(reboot.status == 0 && reboot.output.contains("resumed yes"), "\(reboot.output)")
        #expect(reboot.output.contains("PUBACK for packet"), "\(reboot.output)")
    }

    @Test func backsOffWithJitterThenGivesUp() throws {
        // A port nothing listens on: every attempt is refused, a transient failure.
        let port = try freePort()
        let pki = TestPKI.directory
        let result = firmware(["--attempts", "3"], port: port, device: pki + "/device", message: "x")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.components(separatedBy: "retry in").count - 1 == 2, "\(result.output)")
        #expect(result.output.contains("connection refused"), "\(result.output)")
    }

    @Test func renewsWithANewKeyAndSurvivesAPowerCutAtEveryStep() throws {
        let (folder, backend) = try issuingBackend(device: "tcu-7000")
        let device = folder + "/device"
        let state = ["--state", folder + "/state"]
        func renewals() -> Int { backend.recorder.lines.filter { $0.contains("RENEWED device=tcu-7000") }.count }
        func connects() -> CommandResult {
            firmware(state, port: backend.port, device: device, message: request("tcu-7000"))
        }
        #expect(connects().status == 0)

        // Each step of the renewal, cut short by SIGKILL; after each, the device boots and connects.
        // (Asked of the CA: before-store-chain and stored-chain each got a certificate issued.)
        var issued = 0
        for (point, asksTheCA) in [
            ("generated-key", false), ("before-store-chain", true), ("stored-chain", true), ("mid-commit", false),
            ("committed", true),
        ] {
            let leafBefore = try #require(TestCertificates.leaf(device + "/chain.pem"))
            let cut = firmware(
                state + ["--renew", "tcu-7000", "--rekey"], port: backend.port, device: device,
                message: request("tcu-7000"), killAt: point)
            #expect(cut.status == 128 + 9 && cut.output.contains("killed at \(point)"), "\(point): \(cut.output)")
            if asksTheCA { issued += 1 }
            #expect(renewals() == issued, "\(point): \(backend.recorder.lines)")
            let after = connects()
            #expect(after.status == 0 && after.output.contains("200 OK"), "after a cut at \(point): \(after.output)")
            // The key and the chain in use belong together, whichever pair it is.
            let leaf = try #require(TestCertificates.leaf(device + "/chain.pem"))
            let key = run("/usr/bin/openssl", ["pkey", "-in", device + "/key.pem", "-pubout", "-outform", "DER"])
            #expect(key.status == 0, "\(key.output)")
            if point == "mid-commit" || point == "committed" {
                #expect(leaf.serialNumber != leafBefore.serialNumber, "\(point): the commit was finished at boot")
            } else {
                #expect(leaf.serialNumber == leafBefore.serialNumber, "\(point): the old pair stays until proven")
            }
        }
        // The journal is gone; the old pair is kept beside the new one.
        #expect(!FileManager.default.fileExists(atPath: device + "/key.pem.commit"))
        #expect(FileManager.default.fileExists(atPath: device + "/key.pem.previous"))

        // A whole renewal without a cut: a new key (mode 0600) and a new certificate, in use at once.
        let oldKey = try Data(contentsOf: URL(fileURLWithPath: device + "/key.pem"))
        let oldLeaf = try #require(TestCertificates.leaf(device + "/chain.pem"))
        let renew = firmware(
            state + ["--renew", "tcu-7000", "--rekey"], port: backend.port, device: device,
            message: request("tcu-7000"))
        #expect(renew.status == 0 && renew.output.contains("renewed with a new key"), "\(renew.output)")
        #expect(renew.output.contains("reply: HTTP/1.1 200 OK"), "\(renew.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: device + "/key.pem")) != oldKey)
        let attributes = try FileManager.default.attributesOfItem(atPath: device + "/key.pem")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let newLeaf = try #require(TestCertificates.leaf(device + "/chain.pem"))
        #expect(newLeaf.serialNumber != oldLeaf.serialNumber)
        // OpenSSL, an independent reader, agrees the certificate is for the key in the key file.
        let certificateKey = run(
            "/bin/sh", ["-c", "openssl x509 -in '\(device)/chain.pem' -noout -pubkey | openssl sha256"])
        let fileKey = run("/bin/sh", ["-c", "openssl pkey -in '\(device)/key.pem' -pubout | openssl sha256"])
        #expect(certificateKey.status == 0 && certificateKey.output == fileKey.output, "\(certificateKey.output)")
    }

    /// BoardSupport/POSIX/tests/test_c_lifecycle.c: backoff, CSRs and the renewal refusals from C; its two
    /// CSRs (current key, pending key) verified by OpenSSL, an independent reader.
    @Test(arguments: ["tcu-c-lifecycle-tests", "tcu-c-lifecycle-tests-asan"])
    func theCLifecycleProgramPassesAndOpenSSLVerifiesItsRequests(_ name: String) throws {
        let folder = NSTemporaryDirectory() + "tculink-fw-lifecycle-\(UUID().uuidString)"
        let pki = try PrivatePKI.create(at: folder + "/pki")
        try pki.issueDevice(id: "tcu-0001", outputDirectory: folder + "/device")
        let program = TestPKI.repository.appendingPathComponent(".build-firmware/" + name).path
        let result = run(program, [folder + "/device", folder + "/csr.der"], timeout: 60)
        #expect(result.status == 0 && result.output.contains(" passed, 0 failed"), "\(result.output)")
        #expect(!result.output.contains("Sanitizer") && !result.output.contains("runtime error"), "\(result.output)")
        for csr in [folder + "/csr.der", folder + "/csr.der.pending"] {
            let verified = run(
                "/usr/bin/openssl", ["req", "-inform", "DER", "-in", csr, "-verify", "-noout", "-subject"])
            #expect(verified.status == 0 && verified.output.contains("verify OK"), "\(csr): \(verified.output)")
            #expect(verified.output.contains("CN = tcu-0001, serialNumber = tcu-0001"), "\(verified.output)")
        }
        let current = run(
            "/usr/bin/openssl", ["req", "-inform", "DER", "-in", folder + "/csr.der", "-noout", "-pubkey"])
        let pending = run(
            "/usr/bin/openssl", ["req", "-inform", "DER", "-in", folder + "/csr.der.pending", "-noout", "-pubkey"])
        #expect(current.status == 0 && pending.status == 0 && current.output != pending.output)
    }

    @Test func aRefusedRenewalKeepsTheOldCertificate() throws {
        let (folder, backend) = try issuingBackend(device: "tcu-7001")
        let device = folder + "/device"
        let before = try Data(contentsOf: URL(fileURLWithPath: device + "/chain.pem"))
        // The backend issues only for the identity that asks: a CSR for another id is refused (403).
        let refused = firmware(
            ["--renew", "tcu-9999"], port: backend.port, device: device, message: request("tcu-7001"))
        #expect(refused.status == 1, "\(refused.output)")
        #expect(
            refused.output.contains("renewal FAILED: the backend refused the certificate renewal"), "\(refused.output)")
        #expect(refused.output.contains("reply: HTTP/1.1 200 OK"), "the old certificate still works: \(refused.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: device + "/chain.pem")) == before)
        #expect(!FileManager.default.fileExists(atPath: device + "/chain.pem.pending"))
    }
}

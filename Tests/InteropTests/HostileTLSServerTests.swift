import Foundation
import TCUPKI
import TestSupport
import Testing

/// The device against a scripted hostile TLS server (Tests/Hostile/hostile_tls_server.py, on the
/// `cryptography` package): malformed and out-of-order handshake messages, oversized records, an
/// alert storm, a HelloRetryRequest loop, renegotiation in TLS 1.2, KeyUpdate and empty-record
/// floods, a CertificateVerify scheme that does not fit the key, a ServerHello choosing what the device
/// never offered. Each case must end in its own error (reason and wolfSSL code) within the time
/// limit, with bounded memory (README there: what each sends, the RFC rule, the answer required).
@Suite(.serialized) struct HostileTLSServerTests {
    let pki: String
    let device: String

    init() throws {
        let folder = NSTemporaryDirectory() + "tculink-hostile-\(UUID().uuidString)"
        let made = try PrivatePKI.create(at: folder + "/pki")
        try made.issueDevice(id: "tcu-hostile", outputDirectory: folder + "/tcu-hostile")
        pki = folder + "/pki"
        device = folder + "/tcu-hostile"
    }

    static let cases = [
        "control-tls13", "control-tls12", "serverhello-truncated", "handshake-length-16m",
        "serverhello-extensions-overrun", "serverhello-key-share-garbage", "encrypted-extensions-garbage",
        "certificate-before-serverhello", "finished-before-certificate", "encrypted-extensions-twice",
        "keyupdate-before-finished", "record-overflow-ciphertext", "record-overflow-plaintext", "alert-storm",
        "unknown-warning-alert", "hrr-twice", "hrr-same-group", "serverhello-unoffered-suite",
        "serverhello-unoffered-group", "serverhello-group-without-share", "cv-label-p384", "cv-sha1",
        "keyupdate-flood", "keyupdate-bad-value", "zero-length-handshake-records", "zero-length-protected-handshake",
        "zero-length-appdata-flood", "tls12-hello-request", "tls12-unsolicited-serverhello",
        "tls12-downgrade-sentinel",
    ]

    /// The host firmware image offers TLS 1.3 only and waits a fixed 10 s for a reply: the TLS 1.2 and
    /// flood cases are the simulator's alone (`runs_on_firmware` in the script).
    static let firmwareCases = cases.filter {
        !$0.hasPrefix("tls12-") && !$0.hasSuffix("-flood") && $0 != "control-tls12"
    }

    static let firmwareImage = BuiltArtefact.check(
        [".build-firmware/tcu-firmware"], builtBy: "scripts/targets/build-host-firmware")

    func hostile(_ device: [String], _ name: String) -> CommandResult {
        let script = TestPKI.repository.appendingPathComponent("Tests/Hostile/hostile_tls_server.py").path
        // Each case is bounded by the script (a few seconds; the device is killed at 8 s).
        return run(
            "/usr/bin/env",
            ["python3", script, "--pki", pki, "--device", self.device, "--case", name] + device, timeout: 60)
    }

    @Test(arguments: cases)
    func theDeviceEndsInItsOwnError(_ name: String) {
        let result = hostile(["--tcu-sim", tcuSimPath], name)
        #expect(result.status == 0 && result.output.contains("CASE \(name) PASS"), "\(result.output)")
    }

    @Test(arguments: firmwareCases)
    func theFirmwareImageEndsInItsOwnError(_ name: String) throws {
        try #require(Self.firmwareImage.status == 0, "\(Self.firmwareImage.output)")
        let image = TestPKI.repository.appendingPathComponent(".build-firmware/tcu-firmware").path
        let result = hostile(["--firmware", image], name)
        #expect(result.status == 0 && result.output.contains("CASE firmware:\(name) PASS"), "\(result.output)")
    }

    @Test func everyCaseOfTheScriptIsRunHere() {
        let script = TestPKI.repository.appendingPathComponent("Tests/Hostile/hostile_tls_server.py").path
        let listed = run("/usr/bin/env", ["python3", script, "--list"])
        let names = listed.output.split(separator: "\n").compactMap { line -> String? in
            line.hasPrefix(" ") ? nil : line.split(separator: " ").first.map(String.init)
        }
        #expect(listed.status == 0 && Set(names) == Set(Self.cases), "\(listed.output)")
    }
}

import Foundation
import TestSupport
import Testing

/// The host "firmware" image: the core compiled in Embedded Swift mode, linked with the C
/// POSIX HAL and a C super-loop through tculink.h, against openssl s_server and tcu-backend.
@Suite(.serialized) struct HostFirmwareTests {
    static let image = BuiltArtefact.check(
        [
            ".build-firmware/tcu-c-api-tests", ".build-firmware/tcu-c-mqtt-tests",
            ".build-firmware/tcu-c-lifecycle-tests", ".build-firmware/tcu-c-api-tests-asan",
            ".build-firmware/tcu-c-lifecycle-tests-asan", ".build-firmware/tcu-c-mqtt-tests-asan",
            ".build-firmware/tcu-firmware",
        ],
        builtBy: "scripts/targets/build-host-firmware")
    let pki = TestPKI.directory

    var imagePath: String {
        let lines = Self.image.output.split(separator: "\n")
        return TestPKI.repository.appendingPathComponent(String(lines.last ?? "")).path
    }

    func firmware(_ port: UInt16, device: String = "device", serverName: String = "localhost", message: String)
        -> CommandResult
    {
        let folder = pki + "/" + device
        return run(
            imagePath,
            [
                "localhost", "\(port)", serverName, folder + "/chain.pem", folder + "/key.pem", folder + "/trust.pem",
                message,
            ], timeout: 30)
    }

    @Test func theImageIsBuiltFromTheCurrentSources() {
        #expect(Self.image.status == 0, "\(Self.image.output)")
    }

    @Test func completesAHandshakeAndARequestAgainstOpenSSL() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        // Through the script an integrator runs: it builds the image, then runs it.
        let folder = pki + "/device"
        let result = run(
            "/bin/bash",
            [
                TestPKI.repository.appendingPathComponent("scripts/targets/run-host-firmware").path, "localhost",
                "\(server.port)", "localhost",
                folder + "/chain.pem", folder + "/key.pem", folder + "/trust.pem", "hello from firmware\n",
            ], timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("established TLS 1.3"))
        #expect(result.output.contains("reply: erawmrif morf olleh"))
    }

    @Test func reportsRefusalsThroughTheCAPI() throws {
        let server = try OpenSSLServer(pki: pki, certificate: "server/wrongname.leaf.pem", key: "server/wrongname.key")
        defer { server.stop() }
        let mismatch = firmware(server.port, message: "x\n")
        #expect(mismatch.status == 1 && mismatch.output.contains("does not name the host"), "\(mismatch.output)")

        let strict = try OpenSSLServer(pki: pki)
        defer { strict.stop() }
        let rogue = firmware(strict.port, device: "device-rogue", message: "x\n")
        #expect(rogue.status == 1 && rogue.output.contains("server rejected the device certificate"), "\(rogue.output)")
    }

    @Test func postsTelemetryToTheBackend() throws {
        let backend = try RunningBackend(openSSLPKI: pki, registered: ["tcu-0001"])
        let body = #"{"from":"firmware"}"#
        let result = firmware(
            backend.port,
            message:
                "POST /v1/devices/tcu-0001/telemetry HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("reply: HTTP/1.1 202 Accepted"))
        #expect(try backend.server.telemetry.count(device: "tcu-0001") == 1)
    }

    /// BoardSupport/POSIX/tests/test_c_api.c: the C API driven from C, with its own assertions.
    /// The program as built, and built again under ASan (LeakSanitizer on every tcu_*_free path) and UBSan,
    /// which abort at the first finding.
    @Test(arguments: ["tcu-c-api-tests", "tcu-c-api-tests-asan"]) func theCTestProgramPasses(_ program: String) throws {
        let good = try OpenSSLServer(pki: pki)
        defer { good.stop() }
        let wrongName = try OpenSSLServer(
            pki: pki, certificate: "server/wrongname.leaf.pem", key: "server/wrongname.key")
        defer { wrongName.stop() }
        let tests = URL(fileURLWithPath: imagePath).deletingLastPathComponent().appendingPathComponent(program).path
        let result = run(tests, [pki, "\(good.port)", "\(wrongName.port)"], timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(" passed, 0 failed"), "\(result.output)")
        #expect(!result.output.contains("FAILED"))
        #expect(!result.output.contains("Sanitizer") && !result.output.contains("runtime error"), "\(result.output)")
    }

    @Test func refusesAnUnsafeKeyFile() throws {
        let folder = NSTemporaryDirectory() + "tculink-fw-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["chain.pem", "key.pem", "trust.pem"] {
            try FileManager.default.copyItem(atPath: pki + "/device/" + name, toPath: folder + "/" + name)
        }
        chmod(folder + "/key.pem", 0o644)
        let result = run(
            imagePath,
            ["localhost", "1", "localhost", folder + "/chain.pem", folder + "/key.pem", folder + "/trust.pem"])
        #expect(result.status == 2 && result.output.contains("chmod 600"), "\(result.output)")
    }
}

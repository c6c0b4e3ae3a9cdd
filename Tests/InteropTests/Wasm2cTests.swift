import Foundation
import TestSupport
import Testing

/// The Swift core (with wolfSSL) compiled to a wasm module, translated to C by wasm2c and built
/// with the hand-written glue (BoardSupport/Wasm2c) — natively and as 32-bit big-endian PowerPC
/// under qemu-ppc — driven through the unchanged tculink.h by the POSIX HAL.
@Suite(.serialized) struct Wasm2cTests {
    static let build = BuiltArtefact.check(
        [
            ".build-wasm2c/host/tcu-firmware-wasm2c", ".build-wasm2c/host/tcu-c-api-tests-wasm2c",
            ".build-wasm2c/host/tcu-c-mqtt-tests-wasm2c", ".build-wasm2c/powerpc/tcu-firmware-wasm2c",
            ".build-wasm2c/powerpc/tcu-c-api-tests-wasm2c", ".build-wasm2c/powerpc/tcu-c-mqtt-tests-wasm2c",
            ".build-wasm2c/host/tcu-c-api-tests-wasm2c-asan", ".build-wasm2c/host/tcu-c-mqtt-tests-wasm2c-asan",
        ], builtBy: "scripts/targets/build-wasm2c")
    /// Each C test program as built for each target, and the host's built again under ASan (LeakSanitizer on every
    /// tcu_*_free path of the glue) and UBSan, which abort at the first finding.
    static let builds = [("host", ""), ("powerpc", ""), ("host", "-asan")]
    let pki = TestPKI.directory
    let out = TestPKI.repository.appendingPathComponent(".build-wasm2c").path

    /// Runs a program of the build; PowerPC ones under qemu-ppc.
    func execute(_ target: String, _ program: String, _ arguments: [String], timeout: TimeInterval = 60)
        -> CommandResult
    {
        let path = out + "/" + target + "/" + program
        if target == "powerpc" {
            return run("/usr/bin/qemu-ppc", ["-L", "/usr/powerpc-linux-gnu", path] + arguments, timeout: timeout)
        }
        return run(path, arguments, timeout: timeout)
    }

    func device(_ name: String = "device") -> [String] {
        [pki + "/" + name + "/chain.pem", pki + "/" + name + "/key.pem", pki + "/" + name + "/trust.pem"]
    }

    @Test func buildsForTheHostAndForBigEndianPowerPC() throws {
        #expect(Self.build.status == 0, "\(Self.build.output)")
        let header = try [UInt8](
            Data(contentsOf: URL(fileURLWithPath: out + "/powerpc/tcu-firmware-wasm2c")).prefix(20))
        #expect(header.starts(with: [0x7f, 0x45, 0x4c, 0x46]))  // ELF
        #expect(header[4] == 1 && header[5] == 2, "32-bit, big-endian")
    }

    @Test(arguments: ["host", "powerpc"]) func completesAHandshakeAndARequestAgainstOpenSSL(target: String) throws {
        try #require(Self.build.status == 0)
        let server = try OpenSSLServer(pki: pki)  // -Verify 1 -verify_return_error: mutual TLS
        defer { server.stop() }
        let result = execute(
            target, "tcu-firmware-wasm2c",
            ["localhost", "\(server.port)", "localhost"] + device()
                + ["hello from wasm2c\n"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("established TLS 1.3"), "\(result.output)")
        #expect(result.output.contains("reply: c2msaw morf olleh"), "\(result.output)")
    }

    @Test func theRunScriptCompletesAHandshakeUnderQemu() throws {
        try #require(Self.build.status == 0)
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        let script = TestPKI.repository.appendingPathComponent("scripts/targets/run-wasm2c-ppc").path
        let result = run(
            "/bin/bash", [script, "localhost", "\(server.port)", "localhost"] + device() + ["ppc\n"], timeout: 300)
        #expect(result.status == 0 && result.output.contains("reply: cpp"), "\(result.output)")
    }

    @Test(arguments: ["host", "powerpc"]) func postsTelemetryToTheBackend(target: String) throws {
        try #require(Self.build.status == 0)
        let backend = try RunningBackend(openSSLPKI: pki, registered: ["tcu-0001"])
        let body = #"{"from":"wasm2c-\#(target)"}"#
        let result = execute(
            target, "tcu-firmware-wasm2c",
            ["localhost", "\(backend.port)", "localhost"] + device()
                + [
                    "POST /v1/devices/tcu-0001/telemetry HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("reply: HTTP/1.1 202 Accepted"), "\(result.output)")
        #expect(try backend.server.telemetry.count(device: "tcu-0001") == 1)
    }

    @Test(arguments: ["host", "powerpc"]) func refusalsComeThroughTheGlue(target: String) throws {
        try #require(Self.build.status == 0)
        let wrongName = try OpenSSLServer(
            pki: pki, certificate: "server/wrongname.leaf.pem", key: "server/wrongname.key")
        defer { wrongName.stop() }
        let mismatch = execute(
            target, "tcu-firmware-wasm2c", ["localhost", "\(wrongName.port)", "localhost"] + device() + ["x\n"])
        #expect(mismatch.status == 1 && mismatch.output.contains("does not name the host"), "\(mismatch.output)")

        let strict = try OpenSSLServer(pki: pki)
        defer { strict.stop() }
        let rogue = execute(
            target, "tcu-firmware-wasm2c",
            ["localhost", "\(strict.port)", "localhost"] + device("device-rogue") + ["x\n"])
        #expect(rogue.status == 1 && rogue.output.contains("server rejected the device certificate"), "\(rogue.output)")
    }

    /// BoardSupport/POSIX/tests/test_c_api.c, unchanged, linked with the glue instead of the
    /// natively compiled core: success, refusals both ways, a dying transport, a silent server,
    /// nobody listening, misuse.
    @Test(arguments: Self.builds) func theCTestProgramPasses(target: String, variant: String) throws {
        try #require(Self.build.status == 0)
        let good = try OpenSSLServer(pki: pki)
        defer { good.stop() }
        let wrongName = try OpenSSLServer(
            pki: pki, certificate: "server/wrongname.leaf.pem", key: "server/wrongname.key")
        defer { wrongName.stop() }
        let result = execute(
            target, "tcu-c-api-tests-wasm2c" + variant, [pki, "\(good.port)", "\(wrongName.port)"], timeout: 180)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(" passed, 0 failed"), "\(result.output)")
        #expect(!result.output.contains("Sanitizer") && !result.output.contains("runtime error"), "\(result.output)")
    }

    /// BoardSupport/POSIX/tests/test_c_mqtt.c, unchanged, over the glue: tcu_mqtt_* against mosquitto (a
    /// persistent session, QoS 1 both ways, every byte value, refusals, the outbox queued without a client).
    /// Each run gets a broker of its own: the program relies on the session it makes itself.
    @Test(arguments: Self.builds) func theCMQTTTestProgramPasses(target: String, variant: String) throws {
        try #require(Self.build.status == 0)
        let broker = try MosquittoBroker(pki: pki)
        defer { broker.kill() }
        let state = broker.folder + "/c-device-state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let result = execute(target, "tcu-c-mqtt-tests-wasm2c" + variant, [pki, "\(broker.port)", state], timeout: 180)
        #expect(result.status == 0, "\(result.output)\nbroker log: \(broker.log)")
        #expect(result.output.contains(" passed, 0 failed"), "\(result.output)")
        #expect(!result.output.contains("Sanitizer") && !result.output.contains("runtime error"), "\(result.output)")

        let retained = run(
            "/usr/bin/mosquitto_sub",
            broker.clientArguments(pki: pki) + ["-t", "devices/tcu-0001/messages/events/", "-C", "1", "-W", "5"])
        #expect(retained.output == "{\"from\":\"c-api\"}\n", "\(retained.output)")
    }
}

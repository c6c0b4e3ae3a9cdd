import Foundation
import Logging
import TCUPKI

@testable import TCUBackend

/// What every host target works against, made once per process in a temporary folder: a private PKI
/// (`PrivatePKI.create`, as `tcu-pki init` makes it), a registry with device `tcu-1` and its pending
/// enrollment token, and a telemetry store.
enum HostFixture {
    static let deviceID = "tcu-1"
    /// The token the seeds' `Authorization: Basic` header carries (`tcu-1:` + this, base64).
    static let token = "fuzz-enrollment-token-0001"

    struct World {
        let directory: String
        let pki: PrivatePKI
        let registry: DeviceRegistry
        let telemetry: TelemetryStore
        let log: Logger
    }

    static let world: World = {
        let directory = NSTemporaryDirectory() + "tcu-host-fuzz-\(getpid())"
        do {
            try? FileManager.default.removeItem(atPath: directory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let pki = try PrivatePKI.create(at: directory + "/pki")
            let registry = DeviceRegistry(path: directory + "/registry.json")
            try registry.add(deviceID)
            try registry.setEnrollmentToken(deviceID, token: token)
            let telemetry = try TelemetryStore(directory: directory + "/telemetry")
            atexit { try? FileManager.default.removeItem(atPath: HostFixture.world.directory) }
            return World(
                directory: directory, pki: pki, registry: registry, telemetry: telemetry,
                log: Logger(label: "tcu-host-fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
        } catch {
            fatalError("host fuzz fixture: \(error)")
        }
    }()

    /// An HTTP request written as text: `METHOD PATH`, header lines, a blank line, the body. A header
    /// `X-Identity: ID` stands for the device the TLS layer authenticated (none without it).
    static func request(_ data: Data) -> (request: HTTPRequest, identity: String?)? {
        let bytes = [UInt8](data)
        let separator = bytes.indices.first { index in
            index + 1 < bytes.count && bytes[index] == 0x0A && bytes[index + 1] == 0x0A
        }
        let headEnd = separator ?? bytes.count
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self).split(separator: "\n").map(String.init)
        guard let requestLine = head.first else { return nil }
        let words = requestLine.split(separator: " ", maxSplits: 1).map(String.init)
        guard words.count == 2, words[1].hasPrefix("/") else { return nil }
        var headers: [(String, String)] = []
        var identity: String? = nil
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "X-Identity" { identity = value } else { headers.append((name, value)) }
        }
        let body = separator.map { Data(bytes[($0 + 2)...]) } ?? Data()
        return (HTTPRequest(method: words[0], path: words[1], headers: headers, body: body, keepAlive: true), identity)
    }
}

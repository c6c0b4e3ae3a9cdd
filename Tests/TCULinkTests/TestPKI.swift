import Foundation
import TCULink

/// A PKI made by the OpenSSL command line (scripts/make-test-pki) in a temporary
/// folder, once per test process.
enum TestPKI {
    static let directory: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let folder = NSTemporaryDirectory() + "tculink-unit-pki-\(getpid())"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("scripts/make-test-pki").path, folder]
        process.standardOutput = FileHandle.nullDevice
        try! process.run()
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "make-test-pki failed")
        return folder
    }()

    static func certificates(_ relativePath: String) -> [[UInt8]] {
        let data = FileManager.default.contents(atPath: directory + "/" + relativePath)!
        return PEM.decodeAll(Array(data))!
    }

    static func certificate(_ relativePath: String) -> [UInt8] { certificates(relativePath)[0] }
}

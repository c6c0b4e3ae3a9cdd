import Foundation

/// A PKI made by the OpenSSL command line (scripts/make-test-pki), once per test process.
enum TestPKI {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let directory: String = {
        let folder = NSTemporaryDirectory() + "tculink-interop-pki-\(getpid())"
        let result = run("/bin/bash", [repository.appendingPathComponent("scripts/make-test-pki").path, folder])
        precondition(result.status == 0, "make-test-pki failed: \(result.output)")
        return folder
    }()
}

struct CommandResult {
    let status: Int32
    let output: String
}

/// Runs a program to completion (killed after `timeout` seconds) and returns its exit status and output.
@discardableResult
func run(_ executable: String, _ arguments: [String], input: String? = nil, timeout: TimeInterval = 60) -> CommandResult
{
    let logFile = NSTemporaryDirectory() + "tculink-run-\(UUID().uuidString).log"
    defer { try? FileManager.default.removeItem(atPath: logFile) }
    do {
        let child = try ChildProcess(executable, arguments, logFile: logFile)
        if let input { child.send(Array(input.utf8)) }
        let status = child.wait(timeout: timeout)
        return CommandResult(status: status, output: child.output)
    } catch {
        return CommandResult(status: -1, output: "\(error)")
    }
}

/// The tcu-sim executable built beside this test bundle.
var tcuSimPath: String {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [bundle, bundle.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("tcu-sim").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return TestPKI.repository.appendingPathComponent(".build/debug/tcu-sim").path
}

import Foundation

public struct CommandResult: Sendable {
    public let status: Int32
    public let output: String

    public init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }
}

/// Runs a program to completion (killed after `timeout` seconds) and returns its exit status and output.
@discardableResult
public func run(_ executable: String, _ arguments: [String], input: String? = nil, timeout: TimeInterval = 60)
    -> CommandResult
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

/// The repository this test code is in.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A PKI made by the OpenSSL command line (scripts/targets/make-test-pki) in a temporary folder; its
/// certificates have fixed dates (valid 2025-2049, the expired ones 2020-2021).
public func makeTestPKI(named name: String) -> String {
    let folder = NSTemporaryDirectory() + "tculink-\(name)-pki-\(getpid())"
    let result = run(
        "/bin/bash", [repositoryRoot.appendingPathComponent("scripts/targets/make-test-pki").path, folder])
    precondition(result.status == 0, "make-test-pki failed: \(result.output)")
    return folder
}

import Foundation
import TCULink
import TestSupport

/// The server chains of scripts/targets/make-path-test-chains (one per rule of the path validator),
/// made by the OpenSSL command line once per test process.
enum PathTestChains {
    static let directory: String = {
        let folder = NSTemporaryDirectory() + "tculink-path-chains-\(getpid())"
        let result = run(
            "/bin/bash",
            [TestPKI.repository.appendingPathComponent("scripts/targets/make-path-test-chains").path, folder],
            timeout: 300)
        precondition(result.status == 0, "make-path-test-chains failed: \(result.output)")
        return folder
    }()

    struct Case: CustomStringConvertible {
        let name: String
        let serverName: String
        /// The device clock; nil means the host's "now".
        let time: Int64?
        /// nil: the chain must be accepted.
        let expected: TCULinkError.Reason?
        let depth: Int8

        var folder: String { PathTestChains.directory + "/" + name }
        var hasIntermediates: Bool { FileManager.default.fileExists(atPath: folder + "/sent.pem") }
        var description: String { name }

        func certificates(_ file: String) -> [[UInt8]] {
            PEM.decodeAll(Array(FileManager.default.contents(atPath: folder + "/" + file)!))!
        }
    }

    static let cases: [Case] = {
        let text = try! String(contentsOfFile: directory + "/cases.txt", encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            return Case(
                name: fields[0], serverName: fields[1], time: fields[2] == "now" ? nil : Int64(fields[2])!,
                expected: fields[3] == "accept" ? nil : reason(named: fields[3]), depth: Int8(fields[4])!)
        }
    }()

    /// The reason a case names, by its Swift case name.
    static func reason(named name: String) -> TCULinkError.Reason {
        for raw in UInt8.min...UInt8.max {
            if let reason = TCULinkError.Reason(rawValue: raw), "\(reason)" == name { return reason }
        }
        preconditionFailure("cases.txt names an unknown reason: \(name)")
    }
}

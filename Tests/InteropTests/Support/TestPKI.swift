import Foundation
import TestSupport

/// A PKI made by the OpenSSL command line (scripts/targets/make-test-pki), once per test process.
enum TestPKI {
    static let repository = repositoryRoot

    static let directory = makeTestPKI(named: "interop")
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

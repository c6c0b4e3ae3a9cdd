import Foundation
import TCULink
import TestSupport

/// A PKI made by the OpenSSL command line (scripts/targets/make-test-pki) in a temporary
/// folder, once per test process.
enum TestPKI {
    static let directory = makeTestPKI(named: "unit")

    /// The time every unit test judges certificates at: within the validity of make-test-pki's
    /// certificates (2025-2049), after the expired ones (2020-2021), on any day the tests run.
    static let referenceTime = WallTime.unixSeconds(1_780_272_000)  // 2026-06-01T00:00:00Z

    static func certificates(_ relativePath: String) -> [[UInt8]] {
        let data = FileManager.default.contents(atPath: directory + "/" + relativePath)!
        return PEM.decodeAll(Array(data))!
    }

    static func certificate(_ relativePath: String) -> [UInt8] { certificates(relativePath)[0] }
}

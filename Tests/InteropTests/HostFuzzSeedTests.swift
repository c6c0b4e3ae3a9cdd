import Foundation
import TestSupport
import Testing

/// The host fuzz targets' seeds and regression inputs (Tests/Fuzz/corpus/TARGET), replayed by
/// `tcu-host-fuzz` as every `swift build` makes it (a driver that runs a target once per file): each
/// input keeps its target's invariants (Tests/Fuzz/Host/Targets). `scripts/fuzz` runs the same targets
/// coverage-guided.
@Suite struct HostFuzzSeedTests {
    var driver: String {
        URL(fileURLWithPath: tcuSimPath).deletingLastPathComponent().appendingPathComponent("tcu-host-fuzz").path
    }

    @Test(arguments: ["backend-request", "pki-csr", "registry-json"])
    func everySeedKeepsItsInvariants(_ target: String) throws {
        let folder = TestPKI.repository.appendingPathComponent("Tests/Fuzz/corpus/\(target)").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { folder + "/" + $0 }
        #expect(files.count >= 4)
        let result = run("/usr/bin/env", ["TCU_FUZZ_TARGET=\(target)", driver] + files, timeout: 120)
        #expect(
            result.status == 0 && result.output.contains("\(files.count) inputs, no invariant broken"),
            "\(result.output)")
    }
}

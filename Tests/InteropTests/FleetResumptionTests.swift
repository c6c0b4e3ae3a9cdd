import Foundation
import TCUBackend
import TCUFleet
import TCUPKI
import TestSupport
import Testing

/// A fleet resuming against tcu-backend: every resumption must still be re-judged, and none may be
/// refused for want of the certificate it was first accepted with. (Under the wolfSSL backend, its
/// session cache evicted that link under load and most resumptions were refused; BoringSSL's tickets
/// carry the certificate. BoringSSL sends them with its first write: the fleet saves sessions after
/// its exchange, and before it did, this test saw 0 resumptions.)
@Suite(.serialized) struct FleetResumptionTests {
    @Test func resumptionsUnderFleetLoadAreNotRefused() throws {
        let fleetPKI = try FleetFixture(prefix: "resume", count: 40)
        defer { try? FileManager.default.removeItem(atPath: fleetPKI.folder) }
        let server = try fleetPKI.startBackend()
        defer { server.stop() }

        var configuration = FleetRun.Configuration(
            host: "127.0.0.1", port: server.port, serverName: "localhost", deviceFolders: fleetPKI.deviceFolders,
            duration: 5)
        configuration.interval = 50
        let summary = FleetRun(configuration: configuration).run()

        #expect(summary.resumedHandshakes > summary.fullHandshakes, "\(summary)")
        #expect(summary.resumptionsRefused == 0, "\(summary)")
        #expect(summary.failures.isEmpty, "\(summary.failures)")
    }
}

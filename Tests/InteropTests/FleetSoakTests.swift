import Foundation
import HostHAL
import TCUBackend
import TCUFleet
import TCULink
import TCUPKI
import TestSupport
import Testing

/// A bounded soak: a fleet against tcu-backend, the backend restarted in the middle, some
/// devices on a slow link. No acknowledged telemetry may be lost or stored twice, and no
/// device may be left stuck.
@Suite(.serialized) struct FleetSoakTests {
    @Test func fleetSurvivesABackendRestartWithoutLosingTelemetry() throws {
        let fleetPKI = try FleetFixture(prefix: "soak", count: 40)
        let folders = fleetPKI.deviceFolders
        let first = try fleetPKI.startRestartableBackend()
        let port = first.port

        var configuration = FleetRun.Configuration(
            host: "127.0.0.1", port: port, serverName: "localhost", deviceFolders: folders, duration: 12)
        configuration.interval = 100
        let fleet = FleetRun(configuration: configuration)
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        Thread {
            result.summary = fleet.run()
            done.signal()
        }.start()

        Thread.sleep(forTimeInterval: 5)
        let beforeRestart = fleet.progress.telemetryAcknowledged
        first.stop()
        Thread.sleep(forTimeInterval: 1)
        let second = try fleetPKI.restartBackend(port: port)
        defer { second.stop() }
        #expect(done.wait(timeout: .now() + 60) == .success)  // bounded: the run ends by itself
        let summary = try #require(result.summary)

        let audit = FleetAudit.audit(
            summary, telemetryDirectory: fleetPKI.folder + "/telemetry", devices: fleetPKI.deviceIDs)
        print(
            "soak: \(summary.devices) devices, \(summary.fullHandshakes) full + \(summary.resumedHandshakes) resumed handshakes, \(summary.telemetryAcknowledged) acknowledged, \(audit.stored) stored, failures \(summary.failures)"
        )
        #expect(beforeRestart > 0)
        #expect(summary.telemetryAcknowledged > beforeRestart)  // the fleet came back after the restart
        #expect(audit.lost.isEmpty, "lost: \(audit.lost.prefix(10))")
        #expect(audit.duplicated.isEmpty, "duplicated: \(audit.duplicated.prefix(10))")
        #expect(audit.stored >= summary.telemetryAcknowledged)
        #expect(summary.stuckDevices.isEmpty, "stuck: \(summary.stuckDevices)")
        #expect(!(summary.failures.isEmpty))  // the restart was felt, and survived
    }
}

final class ResultBox: @unchecked Sendable {
    var summary: FleetRun.Summary?
}

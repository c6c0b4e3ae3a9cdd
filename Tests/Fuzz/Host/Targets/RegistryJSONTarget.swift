import Foundation
import TCUPKI

@testable import TCUBackend

/// The device registry's file (`registry.json`), as a damaged disk or a careless hand leaves it.
///
/// Invariants: reading it either fails with the registry's own error (`HostError`, naming the file) or
/// gives devices whose ids all follow `DeviceID.rule` (they name telemetry files and broker topics) and
/// are unique; each of them is what a lookup by its id finds.
enum FuzzRegistryJSON {
    /// libFuzzer runs one input at a time, on one thread.
    nonisolated(unsafe) static var round = 0

    static func run(_ data: Data) {
        round += 1
        let path = HostFixture.world.directory + "/registry-fuzz-\(round % 2).json"
        guard FileManager.default.createFile(atPath: path, contents: data) else { fatalError("cannot write \(path)") }
        let registry = DeviceRegistry(path: path)
        let devices: [DeviceRegistry.Device]
        do {
            devices = try registry.list()
        } catch let error as HostError {
            precondition(error.description.hasPrefix(path), "an error that does not name the file: \(error)")
            precondition(registry.device("tcu-1") == nil, "a registry that does not read still finds a device")
            return
        } catch {
            preconditionFailure("an error that is not the registry's: \(error)")
        }
        precondition(Set(devices.map(\.id)).count == devices.count, "an id registered twice was accepted")
        for device in devices {
            precondition(DeviceID.isValid(device.id), "accepted the id \(String(reflecting: device.id))")
            precondition(registry.device(device.id) == device, "a lookup found another entry")
        }
    }
}

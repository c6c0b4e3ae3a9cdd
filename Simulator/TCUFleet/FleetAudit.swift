import Foundation

/// Checks what the fleet was told against what the backend stored: every acknowledged
/// message must be on disk exactly once.
public enum FleetAudit {
    public struct Result: Sendable {
        public var stored = 0
        /// "device#seq" acknowledged with 202 but not on disk.
        public var lost: [String] = []
        /// "device#seq" on disk more than once.
        public var duplicated: [String] = []

        public init(stored: Int = 0, lost: [String] = [], duplicated: [String] = []) {
            self.stored = stored
            self.lost = lost
            self.duplicated = duplicated
        }
    }

    /// Reads `directory/<device>.jsonl` (tcu-backend's telemetry store) for each device.
    public static func audit(_ summary: FleetRun.Summary, telemetryDirectory directory: String, devices: [String])
        -> Result
    {
        var result = Result()
        let decoder = JSONDecoder()
        for device in devices {
            var seen: [Int: Int] = [:]
            if let data = FileManager.default.contents(atPath: directory + "/" + device + ".jsonl") {
                for line in data.split(separator: 0x0A) {
                    guard let seq = try? decoder.decode(Telemetry.self, from: Data(line)).seq else { continue }
                    seen[seq, default: 0] += 1
                    result.stored += 1
                }
            }
            for seq in summary.acknowledged[device] ?? [] where seen[seq] == nil {
                result.lost.append("\(device)#\(seq)")
            }
            for (seq, count) in seen where count > 1 { result.duplicated.append("\(device)#\(seq)") }
        }
        return result
    }

    /// What the audit reads of a stored message: the fleet numbers each one per device.
    private struct Telemetry: Decodable {
        var seq: Int
    }
}

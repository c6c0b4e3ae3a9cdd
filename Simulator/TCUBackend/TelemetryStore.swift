import Foundation
import HostSupport
import TCUPKI

/// Accepted telemetry, one JSON Lines file per device in a folder. Each accepted
/// message is appended (and synced) exactly once before the backend answers 202.
/// The file is `ID.jsonl`, for ids that follow `DeviceID.rule` only: any other id is refused,
/// never mapped to a "safe" name (a mapping would let `a/b` and `a_b` share one file).
public final class TelemetryStore: Sendable {
    /// An id outside `DeviceID.rule`: no file is named after it.
    public struct UnsafeID: Error, CustomStringConvertible {
        public let id: String
        public var description: String {
            "device id \"\(id)\" cannot name a telemetry file: ids must be \(DeviceID.rule)"
        }
    }

    public let directory: String
    /// Messages per device, read from its file once; the lock also keeps appends whole.
    private let counts = Locked<[String: Int]>([:])

    public init(directory: String) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw HostError("\(directory): cannot create the telemetry folder (\(error.localizedDescription))")
        }
    }

    /// Appends one message; returns the device's message count after it.
    public func append(device: String, json: Data) throws -> Int {
        try counts.withLock { counts throws in try append(device: device, json: json, counts: &counts) }
    }

    private func append(device: String, json: Data, counts: inout [String: Int]) throws -> Int {
        let path = try file(device)
        let before = try count(device, &counts)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HostError("\(path): cannot open (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        // One line per message: JSON with its newlines removed, then "\n".
        var line = Data(json.filter { $0 != 0x0A && $0 != 0x0D })
        line.append(0x0A)
        let size = lseek(fd, 0, SEEK_END)
        let ok =
            line.withUnsafeBytes { raw in Glibc.write(fd, raw.baseAddress, raw.count) == raw.count } && fsync(fd) == 0
        guard ok else {
            let reason = String(cString: strerror(errno))
            _ = ftruncate(fd, size)  // a full disk must not leave half a line
            throw HostError("\(path): cannot store telemetry (\(reason))")
        }
        let count = before + 1
        counts[device] = count
        return count
    }

    public func count(device: String) throws -> Int {
        try counts.withLock { counts throws in try count(device, &counts) }
    }

    private func count(_ device: String, _ counts: inout [String: Int]) throws -> Int {
        if let count = counts[device] { return count }
        guard let data = FileManager.default.contents(atPath: try file(device)) else { return 0 }
        let count = data.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        counts[device] = count
        return count
    }

    private func file(_ device: String) throws(UnsafeID) -> String {
        // Ids are checked at registration; a registry edited by hand (or written before the rule) is refused here.
        guard DeviceID.isValid(device) else { throw UnsafeID(id: device) }
        return directory + "/" + device + ".jsonl"
    }
}

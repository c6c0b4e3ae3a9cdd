import Crypto
import Foundation
import HostSupport
import TCUPKI

/// The devices the backend knows, in a JSON file managed by `tcu-backend devices add|remove|list`.
///
/// A device is known by the identity in its certificate (subject CN). Devices whose
/// certificates come from another CA (OpenSSL, a commercial CA) are registered the same
/// way, as long as that CA is in the backend's client-CA file. The file is re-read when
/// it changes, so devices can be added while the backend runs.
///
/// Ids follow `DeviceID.rule` (they name telemetry files): others are refused, never renamed.
/// Every change is a read-modify-write of the file under `FileLock` (`registry.json.lock`),
/// so the backend consuming a token and `tcu-backend devices add` in another process cannot
/// lose each other's change.
public final class DeviceRegistry: Sendable {
    public struct Device: Codable, Equatable, Sendable {
        public var id: String
        public var note: String?
        public var addedAt: Int64
        /// SHA-256 (hex) of the one-time enrollment token, while one is pending. The token itself is never stored.
        public var enrollTokenSHA256: String?
        /// "backend" for a backend identity (the broker plugin lets it read all telemetry and write commands);
        /// absent for a device.
        public var role: String?
    }

    public let path: String
    private struct Cache {
        var devices: [String: Device] = [:]
        /// The file's identity when last read: inode (every save renames a new file in), size, mtime.
        var modification: String?
    }
    private let cache = Locked(Cache())

    public init(path: String) { self.path = path }

    /// The registered device with this id, if any.
    public func device(_ id: String) -> Device? {
        cache.withLock { cache in
            reloadIfChanged(&cache)
            return cache.devices[id]
        }
    }

    public func list() throws -> [Device] {
        try load().sorted { $0.id < $1.id }
    }

    /// Registers every id not yet registered, in one update of the file (a fleet of thousands).
    public func addMissing(_ ids: [String], note: String? = nil) throws {
        for id in ids where !DeviceID.isValid(id) {
            throw HostError("device id \"\(id)\" is not allowed (refused, not renamed): use \(DeviceID.rule)")
        }
        try modify { devices in
            let known = Set(devices.map(\.id))
            let now = Int64(Date().timeIntervalSince1970)
            for id in ids where !known.contains(id) {
                devices.append(Device(id: id, note: note, addedAt: now, enrollTokenSHA256: nil, role: nil))
            }
        }
    }

    public func add(_ id: String, note: String? = nil, role: String? = nil) throws {
        guard DeviceID.isValid(id) else {
            throw HostError("device id \"\(id)\" is not allowed (refused, not renamed): use \(DeviceID.rule)")
        }
        try modify { devices in
            guard !devices.contains(where: { $0.id == id }) else {
                throw HostError("device \(id) is already registered")
            }
            devices.append(
                Device(
                    id: id, note: note, addedAt: Int64(Date().timeIntervalSince1970), enrollTokenSHA256: nil, role: role
                ))
        }
    }

    /// Sets (or replaces) the device's one-time enrollment token.
    public func setEnrollmentToken(_ id: String, token: String) throws {
        guard token.utf8.count >= 16 else { throw HostError("an enrollment token must be at least 16 characters") }
        try modify { devices in
            guard let index = devices.firstIndex(where: { $0.id == id }) else {
                throw HostError("device \(id) is not registered")
            }
            devices[index].enrollTokenSHA256 = DeviceRegistry.digest(token)
        }
    }

    /// True when `token` is the device's pending enrollment token (a look, not a use: see `consumeEnrollmentToken`).
    public func enrollmentTokenMatches(_ id: String, token: String) -> Bool {
        DeviceRegistry.same(device(id)?.enrollTokenSHA256, DeviceRegistry.digest(token))
    }

    /// Uses up the device's enrollment token if `token` is it: the check and the removal happen under the
    /// registry's lock on the file as it is now, and the removal is on disk before this returns. Of any number
    /// of concurrent calls (threads or processes) with the same token, exactly one returns true.
    public func consumeEnrollmentToken(_ id: String, token: String) throws -> Bool {
        let digest = DeviceRegistry.digest(token)
        var consumed = false
        try modify { devices in
            guard let index = devices.firstIndex(where: { $0.id == id }),
                DeviceRegistry.same(devices[index].enrollTokenSHA256, digest)
            else { return }
            devices[index].enrollTokenSHA256 = nil
            consumed = true
        }
        return consumed
    }

    /// Gives back a token consumed for an issuance that then failed (the CA could not sign or record),
    /// unless another token was set for the device in the meantime.
    public func restoreEnrollmentToken(_ id: String, token: String) throws {
        try modify { devices in
            guard let index = devices.firstIndex(where: { $0.id == id }), devices[index].enrollTokenSHA256 == nil
            else { return }
            devices[index].enrollTokenSHA256 = DeviceRegistry.digest(token)
        }
    }

    /// Constant-time comparison of two digests.
    private static func same(_ expected: String?, _ actual: String) -> Bool {
        guard let expected else { return false }
        return expected.utf8.count == actual.utf8.count
            && zip(expected.utf8, actual.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func digest(_ token: String) -> String {
        hex(SHA256.hash(data: Data(token.utf8)))
    }

    public func remove(_ id: String) throws {
        try modify { devices in
            guard devices.contains(where: { $0.id == id }) else {
                throw HostError("device \(id) is not registered")
            }
            devices.removeAll { $0.id == id }
        }
    }

    /// Reads the file, lets `change` edit the devices, and writes them back, all under the registry's file lock.
    /// Nothing is written when `change` throws.
    private func modify(_ change: (inout [Device]) throws -> Void) throws {
        try FileLock.withLock(path) {
            var devices = try load()
            let before = devices
            try change(&devices)
            if devices != before { try save(devices) }
        }
    }

    private func load() throws -> [Device] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HostError("\(path): cannot read the registry")
        }
        let devices: [Device]
        do {
            devices = try JSONDecoder().decode([Device].self, from: data)
        } catch {
            throw HostError("\(path): the registry is not valid JSON (\(error))")
        }
        // A hand-edited or damaged file must not name a device the tools would refuse to add: an id
        // outside the rule would name telemetry files and broker topics, and a duplicate id would make
        // the device's token and role depend on which entry a lookup met first (registry-json fuzz target).
        var seen = Set<String>()
        for device in devices {
            guard DeviceID.isValid(device.id) else {
                throw HostError(
                    "\(path): device id \(String(reflecting: device.id)) is not allowed: ids must be \(DeviceID.rule)")
            }
            guard seen.insert(device.id).inserted else {
                throw HostError("\(path): device \(String(reflecting: device.id)) is registered twice")
            }
        }
        return devices
    }

    private func save(_ devices: [Device]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try SecureFile.write(try encoder.encode(devices.sorted { $0.id < $1.id }), to: path, mode: 0o644)
        invalidate()
    }

    /// Forgets the cached devices, so the next lookup reads the file (after this process changed it).
    private func invalidate() {
        cache.withLock { $0.modification = nil }
    }

    private func reloadIfChanged(_ cache: inout Cache) {
        var info = stat()
        let modification: String? =
            stat(path, &info) == 0
            ? "\(info.st_ino)/\(info.st_size)/\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)" : nil
        guard modification != cache.modification || modification == nil else { return }
        cache.modification = modification
        var map: [String: Device] = [:]
        for device in (try? load()) ?? [] { map[device.id] = device }
        cache.devices = map
    }
}

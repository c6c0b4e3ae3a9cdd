import Foundation
import TCULink

/// The HAL persistent store as one file per slot in a folder, mode 0600.
///
/// A write goes to a temporary file that is synced and renamed over the old one,
/// so a crash leaves the old record or the new one, never half of either.
public struct FilePersistentStore: PersistentStore {
    public let directory: String

    public init(directory: String) throws(HostError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw HostError("\(directory): cannot create the state folder (\(error.localizedDescription))")
        }
    }

    func path(_ slot: PersistentSlot) -> String {
        let name: String
        switch slot {
        case .tlsSession: name = "tls-session.bin"
        case .lastKnownGoodTime: name = "last-known-good-time.bin"
        case .enrollmentState: name = "enrollment-state.bin"
        case .mqttOutbox: name = "mqtt-outbox.bin"
        }
        return directory + "/" + name
    }

    public func read(_ slot: PersistentSlot, into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int? {
        guard let data = FileManager.default.contents(atPath: path(slot)) else { return nil }
        guard data.count <= buffer.count else { throw TCULinkError(.storageFailed) }
        data.copyBytes(to: buffer.bindMemory(to: UInt8.self), count: data.count)
        return data.count
    }

    public mutating func write(_ slot: PersistentSlot, _ bytes: UnsafeRawBufferPointer) throws(TCULinkError) {
        let target = path(slot)
        let temporary = target + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TCULinkError(.storageFailed) }
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                close(fd)
                unlink(temporary)
                throw TCULinkError(.storageFailed)  // e.g. a full disk: the old record stays
            }
            offset += written
        }
        guard fsync(fd) == 0 else {
            close(fd)
            unlink(temporary)
            throw TCULinkError(.storageFailed)
        }
        close(fd)
        guard rename(temporary, target) == 0 else {
            unlink(temporary)
            throw TCULinkError(.storageFailed)
        }
    }

    public mutating func erase(_ slot: PersistentSlot) throws(TCULinkError) {
        if unlink(path(slot)) != 0 && errno != ENOENT { throw TCULinkError(.storageFailed) }
    }
}

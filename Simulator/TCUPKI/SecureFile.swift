import Foundation

/// Writes files for the PKI: private keys 0600, everything else 0644, atomically.
public enum SecureFile {
    public static func writePrivate(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path, mode: 0o600)
    }

    public static func writePublic(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path, mode: 0o644)
    }

    /// Writes to a temporary file created with `mode` (never wider, even for a moment), syncs it, then renames it
    /// over `path` and syncs the folder. The temporary name is unique (mkstemp in the same folder), so concurrent
    /// writers never share or truncate each other's temporary file; the last rename wins whole. Callers that
    /// read, change and rewrite a file hold `FileLock` around all three.
    public static func write(_ data: Data, to path: String, mode: mode_t) throws {
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }  // created 0600
        guard fd >= 0 else { throw HostError("\(path): cannot write (\(String(cString: strerror(errno))))") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let temporary = String(
            decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fchmod(fd, mode)  // 0600 → mode; never wider than asked
        var offset = 0
        let failed: Bool = data.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return true
                }
                offset += written
            }
            return fsync(fd) != 0
        }
        close(fd)
        if failed {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw HostError("\(path): write failed (\(reason)); the previous file is unchanged")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw HostError("\(path): cannot replace (\(reason))")
        }
        // The rename itself is durable only once the folder is synced.
        let folder = (path as NSString).deletingLastPathComponent
        let directory = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    public static func read(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HostError("\(path): \(what) not found")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// An exclusive lock for a read-modify-write of one file: `flock` on `FILE.lock` beside it, held while `body` runs.
/// Each call opens its own descriptor, and flock locks on separate open descriptors exclude each other, so this
/// serializes threads of one process and separate processes (the backend issuing while `tcu-pki revoke` runs) alike.
/// Not reentrant: do not nest two locks on the same file.
public enum FileLock {
    public static func withLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw HostError("\(lockPath): cannot open the lock file (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }  // closing releases the lock
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw HostError("\(lockPath): cannot lock (\(String(cString: strerror(errno))))")
            }
        }
        return try body()
    }
}

import Foundation

/// Writes files for the PKI: private keys 0600, everything else 0644, atomically.
public enum SecureFile {
    public static func writePrivate(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path, mode: 0o600)
    }

    public static func writePublic(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path, mode: 0o644)
    }

    /// Writes to a temporary file created with `mode` (never wider, even for a moment), then renames it.
    public static func write(_ data: Data, to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw PKIError("\(path): cannot write (\(String(cString: strerror(errno))))") }
        fchmod(fd, mode)  // the umask may have narrowed it; never widened
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
            throw PKIError("\(path): write failed (\(reason)); the previous file is unchanged")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw PKIError("\(path): cannot replace (\(String(cString: strerror(errno))))")
        }
    }

    public static func read(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PKIError("\(path): \(what) not found")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A PKI problem with a message that says what to fix.
public struct PKIError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

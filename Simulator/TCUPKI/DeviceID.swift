import Foundation

/// The device identities the tools accept: 1-64 ASCII letters, digits, '-', '_' and '.', starting with a letter
/// or digit. An id names files (telemetry, device folders) and appears in URL paths, so anything else is refused,
/// never rewritten: rewriting would let two ids (`a/b`, `a_b`) share one file.
public enum DeviceID {
    public static let rule = "1-64 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit"

    public static func isValid(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...64).contains(bytes.count), let first = bytes.first, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    /// Throws unless `id` follows the rule, saying which id and what the rule is.
    public static func check(_ id: String) throws {
        guard isValid(id) else { throw HostError("device id \"\(id)\" is not allowed: use \(rule)") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

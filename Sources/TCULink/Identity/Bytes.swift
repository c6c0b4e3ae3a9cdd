/// Byte-level helpers shared by the core's readers and writers of text formats (PEM, HTTP for EST),
/// which work on UTF-8 bytes rather than Strings.
enum Bytes {
    /// A string literal's UTF-8 bytes.
    static func of(_ text: StaticString) -> [UInt8] {
        text.withUTF8Buffer { Array($0) }
    }

    /// Where `needle` first occurs in `haystack` at or after `start`; nil when it does not.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            var matched = true
            for offset in 0..<needle.count where haystack[index + offset] != needle[offset] {
                matched = false
                break
            }
            if matched { return index }
            index += 1
        }
        return nil
    }
}

/// Whether a telemetry body is JSON as RFC 8259 defines it, before the backend stores it as it came for
/// consumers that read strictly. Foundation's readers are lenient: `JSONDecoder` took `06`, `JSONSerialization`
/// takes `[1,]` (both found by the backend-request fuzz target, whose oracle is a grammar of its own).
///
/// One pass over the bytes, no recursion: the nesting is a stack of open containers, bounded by
/// `maximumDepth` (RFC 8259 9 lets a parser limit it), so a 64 KiB body of `[[[[` cannot exhaust a thread's stack.
enum JSONText {
    static let maximumDepth = 512

    private enum Expecting { case value, valueOrClose, key, keyOrClose, colon, commaOrClose }

    /// One JSON text (RFC 8259), valid UTF-8, whose value is an object nested at most `maximumDepth` deep.
    static func isObject(_ body: [UInt8]) -> Bool {
        guard String(validating: body, as: UTF8.self) != nil else { return false }
        var reader = Reader(body)
        reader.skipSpace()
        guard reader.peek == UInt8(ascii: "{") else { return false }
        var open: [UInt8] = []  // the closing byte of each open container
        var expecting = Expecting.value
        while true {
            reader.skipSpace()
            guard let byte = reader.peek else { return false }
            switch expecting {
            case .value, .valueOrClose:
                if expecting == .valueOrClose && byte == UInt8(ascii: "]") {
                    reader.advance()
                    open.removeLast()
                    expecting = .commaOrClose
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    guard open.count < maximumDepth else { return false }
                    reader.advance()
                    open.append(byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                    expecting = byte == UInt8(ascii: "{") ? .keyOrClose : .valueOrClose
                    continue
                } else {
                    guard reader.scalar() else { return false }
                    expecting = .commaOrClose
                }
            case .key, .keyOrClose:
                if expecting == .keyOrClose && byte == UInt8(ascii: "}") {
                    reader.advance()
                    open.removeLast()
                    expecting = .commaOrClose
                } else {
                    guard reader.string() else { return false }
                    expecting = .colon
                    continue
                }
            case .colon:
                guard byte == UInt8(ascii: ":") else { return false }
                reader.advance()
                expecting = .value
                continue
            case .commaOrClose:
                guard let close = open.last else { return false }
                if byte == UInt8(ascii: ",") {
                    reader.advance()
                    expecting = close == UInt8(ascii: "}") ? .key : .value
                    continue
                }
                guard byte == close else { return false }
                reader.advance()
                open.removeLast()
            }
            if open.isEmpty {  // the object closed: only white space may follow
                reader.skipSpace()
                return reader.peek == nil
            }
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var at = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var peek: UInt8? { at < bytes.count ? bytes[at] : nil }
        mutating func advance() { at += 1 }

        mutating func skipSpace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { at += 1 }
        }

        /// A string, number, true, false or null.
        mutating func scalar() -> Bool {
            switch peek {
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return word("true")
            case UInt8(ascii: "f"): return word("false")
            case UInt8(ascii: "n"): return word("null")
            default: return number()
            }
        }

        mutating func word(_ text: StaticString) -> Bool {
            let length = text.utf8CodeUnitCount
            guard at + length <= bytes.count else { return false }
            for offset in 0..<length where bytes[at + offset] != text.utf8Start[offset] { return false }
            at += length
            return true
        }

        mutating func string() -> Bool {
            guard peek == UInt8(ascii: "\"") else { return false }
            at += 1
            while let byte = peek {
                at += 1
                if byte == UInt8(ascii: "\"") { return true }
                if byte < 0x20 { return false }  // control characters only escaped
                guard byte == UInt8(ascii: "\\") else { continue }
                guard let escape = peek else { return false }
                at += 1
                if escape == UInt8(ascii: "u") {
                    guard at + 4 <= bytes.count, bytes[at..<(at + 4)].allSatisfy(\.isHexDigit) else { return false }
                    at += 4
                } else if !"\"\\/bfnrt".utf8.contains(escape) {
                    return false
                }
            }
            return false
        }

        mutating func number() -> Bool {
            if peek == UInt8(ascii: "-") { at += 1 }
            guard let first = peek, first.isDigit else { return false }
            at += 1
            if first != UInt8(ascii: "0") { digits() }  // no leading zeros
            if peek == UInt8(ascii: ".") {
                at += 1
                guard digits() > 0 else { return false }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                at += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { at += 1 }
                guard digits() > 0 else { return false }
            }
            return true
        }

        @discardableResult
        mutating func digits() -> Int {
            let start = at
            while let byte = peek, byte.isDigit { at += 1 }
            return at - start
        }
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    fileprivate var isHexDigit: Bool {
        isDigit || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "f"))
            || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "F"))
    }
}

/// RFC 8259's grammar, written out as the oracle for the telemetry invariant: recursive descent, where the
/// backend's `JSONText` is one loop over a stack, so the two must agree (differential). Answers whether `bytes`
/// is valid UTF-8 and one JSON text whose value is an object nested at most 512 deep (the backend's limit).
struct StrictJSON {
    private let bytes: [UInt8]
    private var at = 0
    private var depth = 0

    static func isObject(_ bytes: [UInt8]) -> Bool {
        // Valid UTF-8 exactly when decoding with replacement changes nothing.
        guard Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes else { return false }
        var reader = StrictJSON(bytes: bytes)
        reader.skipSpace()
        guard reader.peek == UInt8(ascii: "{"), reader.value() else { return false }
        reader.skipSpace()
        return reader.at == bytes.count
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { at += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        at += 1
        return true
    }

    private mutating func literal(_ text: String) -> Bool {
        for byte in text.utf8 where !take(byte) { return false }
        return true
    }

    private mutating func value() -> Bool {
        skipSpace()
        guard let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "{"): return container(close: UInt8(ascii: "}"), keyed: true)
        case UInt8(ascii: "["): return container(close: UInt8(ascii: "]"), keyed: false)
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    private mutating func container(close: UInt8, keyed: Bool) -> Bool {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 512 else { return false }
        at += 1
        skipSpace()
        if take(close) { return true }
        while true {
            if keyed {
                skipSpace()
                guard string() else { return false }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return false }
            }
            guard value() else { return false }
            skipSpace()
            if take(close) { return true }
            guard take(UInt8(ascii: ",")) else { return false }
        }
    }

    private mutating func string() -> Bool {
        guard take(UInt8(ascii: "\"")) else { return false }
        while let byte = peek {
            at += 1
            switch byte {
            case UInt8(ascii: "\""): return true
            case UInt8(ascii: "\\"):
                guard let escaped = peek else { return false }
                at += 1
                if escaped == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        guard let hex = peek, isHexDigit(hex) else { return false }
                        at += 1
                    }
                } else if !Array("\"\\/bfnrt".utf8).contains(escaped) {
                    return false
                }
            case 0x00..<0x20: return false  // control characters must be escaped
            default: break
            }
        }
        return false
    }

    private mutating func number() -> Bool {
        _ = take(UInt8(ascii: "-"))
        if take(UInt8(ascii: "0")) {
            // no leading zeros: "0" alone, then a fraction or exponent
        } else {
            guard let first = peek, (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first) else { return false }
            digits()
        }
        if take(UInt8(ascii: ".")) {
            guard digits() else { return false }
        }
        if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard digits() else { return false }
        }
        return true
    }

    @discardableResult
    private mutating func digits() -> Bool {
        let start = at
        while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { at += 1 }
        return at > start
    }

    private func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}

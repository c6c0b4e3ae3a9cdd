/// Reads PEM ("-----BEGIN CERTIFICATE-----") into DER, without Foundation.
public enum PEM {
    /// Every block labelled `label` in `text`, decoded. Input that is already DER
    /// (starts with a SEQUENCE tag) is returned as one block, so callers accept both.
    public static func decodeAll(_ text: [UInt8], label: StaticString = "CERTIFICATE") -> [[UInt8]]? {
        if text.first == DERTag.sequence { return [text] }
        let begin = Array("-----BEGIN ".utf8) + Bytes.of(label) + Array("-----".utf8)
        let end = Array("-----END ".utf8) + Bytes.of(label) + Array("-----".utf8)
        var blocks: [[UInt8]] = []
        var index = 0
        while let start = Bytes.find(begin, in: text, from: index) {
            let bodyStart = start + begin.count
            guard let stop = Bytes.find(end, in: text, from: bodyStart) else { return nil }
            guard let der = Base64.decode(text[bodyStart..<stop]) else { return nil }
            blocks.append(der)
            index = stop + end.count
        }
        return blocks
    }

    /// One PEM block with `label` around `der`, lines of 64 characters.
    public static func encode(_ der: [UInt8], label: StaticString = "CERTIFICATE") -> [UInt8] {
        var out = Array("-----BEGIN ".utf8) + Bytes.of(label) + Array("-----\n".utf8)
        let body = Base64.encode(der)
        var column = 0
        for character in body {
            out.append(character)
            column += 1
            if column == 64 {
                out.append(UInt8(ascii: "\n"))
                column = 0
            }
        }
        if column != 0 { out.append(UInt8(ascii: "\n")) }
        out += Array("-----END ".utf8) + Bytes.of(label) + Array("-----\n".utf8)
        return out
    }
}

/// RFC 4648 base64, skipping whitespace when decoding.
enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index < input.count {
            let b0 = UInt32(input[index])
            let b1 = index + 1 < input.count ? UInt32(input[index + 1]) : 0
            let b2 = index + 2 < input.count ? UInt32(input[index + 2]) : 0
            let triple = (b0 << 16) | (b1 << 8) | b2
            out.append(alphabet[Int((triple >> 18) & 0x3F)])
            out.append(alphabet[Int((triple >> 12) & 0x3F)])
            out.append(index + 1 < input.count ? alphabet[Int((triple >> 6) & 0x3F)] : UInt8(ascii: "="))
            out.append(index + 2 < input.count ? alphabet[Int(triple & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return out
    }

    static func decode(_ input: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for character in input {
            let value: UInt32
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(character - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(character - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): continue
            default: return nil
            }
            guard padding == 0 else { return nil }  // data after padding
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((accumulator >> UInt32(bits)) & 0xFF))
            }
        }
        guard padding <= 2 else { return nil }
        return out
    }
}

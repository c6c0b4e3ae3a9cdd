/// An X.500 name as a list of attributes in order (RDNs flattened).
public struct DistinguishedName: Equatable, Sendable {
    public struct Attribute: Equatable, Sendable {
        /// OID content bytes.
        public let type: [UInt8]
        /// The value's bytes as encoded (UTF8String, PrintableString, IA5String…).
        public let value: [UInt8]
    }

    public let attributes: [Attribute]

    init?(reader: DERReader) {
        var rdns = reader
        var attributes: [Attribute] = []
        while !rdns.isAtEnd {
            guard let set = rdns.read(tag: DERTag.set) else { return nil }
            var setReader = rdns.reader(over: set)
            while !setReader.isAtEnd {
                guard let pair = setReader.read(tag: DERTag.sequence) else { return nil }
                var pairReader = setReader.reader(over: pair)
                guard let type = pairReader.read(tag: DERTag.objectIdentifier),
                    let value = pairReader.readElement()
                else { return nil }
                attributes.append(
                    Attribute(type: Array(pairReader.content(of: type)), value: Array(pairReader.content(of: value))))
            }
        }
        self.attributes = attributes
    }

    /// The first value of an attribute type (for example `OID.commonName`).
    public func first(_ type: [UInt8]) -> [UInt8]? {
        for attribute in attributes where attribute.type == type { return attribute.value }
        return nil
    }

    public var commonName: [UInt8]? { first(OID.commonName) }
    public var serialNumber: [UInt8]? { first(OID.serialNumber) }

    /// `CN=device-42, O=Fleet` style text, for reports and logs. Values come from certificates a peer
    /// sent, so control characters are escaped (`printable`): a hostile name cannot end a log line,
    /// forge the next one or send escape sequences to an operator's terminal.
    public var text: String {
        var result = ""
        for attribute in attributes {
            if !result.isEmpty { result += ", " }
            result += DistinguishedName.shortName(attribute.type)
            result += "="
            result += DistinguishedName.printable(attribute.value)
        }
        return result
    }

    /// `value` (UTF-8; invalid sequences become U+FFFD) with C0 controls, DEL, C1 controls and the
    /// backslash written as `\xNN` and `\\`.
    static func printable(_ value: [UInt8]) -> String {
        var result = ""
        for scalar in String(decoding: value, as: UTF8.self).unicodeScalars {
            let code = scalar.value
            if code == 0x5C {
                result += "\\\\"
            } else if code < 0x20 || (code >= 0x7F && code < 0xA0) {
                let digits: StaticString = "0123456789ABCDEF"
                result += "\\x"
                result.unicodeScalars.append(Unicode.Scalar(digits.utf8Start[Int(code >> 4)]))
                result.unicodeScalars.append(Unicode.Scalar(digits.utf8Start[Int(code & 0xF)]))
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func shortName(_ type: [UInt8]) -> String {
        if type == OID.commonName { return "CN" }
        if type == OID.serialNumber { return "serialNumber" }
        if type == OID.country { return "C" }
        if type == OID.locality { return "L" }
        if type == OID.stateOrProvince { return "ST" }
        if type == OID.organization { return "O" }
        if type == OID.organizationalUnit { return "OU" }
        return ObjectIdentifierText.dotted(type)
    }
}

/// Dotted-decimal text of an OID's content bytes.
enum ObjectIdentifierText {
    static func dotted(_ bytes: [UInt8]) -> String {
        guard let first = bytes.first else { return "" }
        var parts: [UInt64] = [UInt64(first / 40), UInt64(first % 40)]
        var value: UInt64 = 0
        for byte in bytes.dropFirst() {
            value = (value << 7) | UInt64(byte & 0x7F)
            if byte & 0x80 == 0 {
                parts.append(value)
                value = 0
            }
        }
        var text = ""
        for part in parts {
            if !text.isEmpty { text += "." }
            text += String(part)
        }
        return text
    }
}

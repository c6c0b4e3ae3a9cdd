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

    /// `CN=device-42, O=Fleet` style text, for reports and logs.
    public var text: String {
        var result = ""
        for attribute in attributes {
            if !result.isEmpty { result += ", " }
            result += DistinguishedName.shortName(attribute.type)
            result += "="
            result += String(decoding: attribute.value, as: UTF8.self)
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

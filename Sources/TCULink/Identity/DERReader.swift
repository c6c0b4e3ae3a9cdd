/// A minimal, bounds-checked reader of DER (X.690) for the certificate fields the core needs.
///
/// It never traps on hostile input: every read checks lengths and answers nil.
/// Only definite lengths up to 4 bytes are accepted, as DER requires for anything a TCU will see.
struct DERReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.position = 0
        self.end = bytes.count
    }

    private init(bytes: [UInt8], start: Int, end: Int) {
        self.bytes = bytes
        self.position = start
        self.end = end
    }

    var isAtEnd: Bool { position >= end }

    /// One TLV element: its tag, where its content lies, and where the whole element lies.
    struct Element {
        let tag: UInt8
        let contentStart: Int
        let contentEnd: Int
        let elementStart: Int
    }

    func peekTag() -> UInt8? {
        position < end ? bytes[position] : nil
    }

    /// Reads the next element, whatever its tag.
    mutating func readElement() -> Element? {
        guard end - position >= 2 else { return nil }
        let start = position
        let tag = bytes[position]
        // Multi-byte tags (low 5 bits all set) are not used in certificates.
        guard tag & 0x1F != 0x1F else { return nil }
        var index = position + 1
        let first = bytes[index]
        index += 1
        // Lengths are accumulated in 64 bits and compared with what is left, never added to an
        // index: on a 32-bit board (and in the wasm2c build) a length near 2^32 must be refused,
        // not overflow `Int` and trap.
        var length: UInt64 = 0
        if first < 0x80 {
            length = UInt64(first)
        } else {
            let count = Int(first & 0x7F)
            guard count >= 1, count <= 4, count <= end - index else { return nil }
            // DER: the shortest form. No leading zero byte, and the long form only from 128.
            guard bytes[index] != 0 else { return nil }
            for _ in 0..<count {
                length = (length << 8) | UInt64(bytes[index])
                index += 1
            }
            guard length >= 0x80 else { return nil }
        }
        guard length <= UInt64(end - index) else { return nil }
        let contentLength = Int(length)
        position = index + contentLength
        return Element(tag: tag, contentStart: index, contentEnd: index + contentLength, elementStart: start)
    }

    /// Reads the next element and insists on `tag`.
    mutating func read(tag: UInt8) -> Element? {
        guard peekTag() == tag else { return nil }
        return readElement()
    }

    /// A reader over the content of a constructed element.
    func reader(over element: Element) -> DERReader {
        DERReader(bytes: bytes, start: element.contentStart, end: element.contentEnd)
    }

    func content(of element: Element) -> ArraySlice<UInt8> {
        bytes[element.contentStart..<element.contentEnd]
    }

    func encoding(of element: Element) -> ArraySlice<UInt8> {
        bytes[element.elementStart..<element.contentEnd]
    }
}

/// DER tags used in X.509.
enum DERTag {
    static let boolean: UInt8 = 0x01
    static let integer: UInt8 = 0x02
    static let bitString: UInt8 = 0x03
    static let octetString: UInt8 = 0x04
    static let null: UInt8 = 0x05
    static let objectIdentifier: UInt8 = 0x06
    static let utf8String: UInt8 = 0x0C
    static let printableString: UInt8 = 0x13
    static let ia5String: UInt8 = 0x16
    static let utcTime: UInt8 = 0x17
    static let generalizedTime: UInt8 = 0x18
    static let sequence: UInt8 = 0x30
    static let set: UInt8 = 0x31
    /// `[0]` constructed: the certificate version and the extensions wrapper's neighbours.
    static let contextConstructed0: UInt8 = 0xA0
    static let contextConstructed3: UInt8 = 0xA3
}

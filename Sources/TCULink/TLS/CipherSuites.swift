/// The cipher suites the device offers, and the only ones it accepts the server choosing.
///
/// TLS 1.3: the three AEAD suites of RFC 8446 §9.1 (AES-GCM and ChaCha20-Poly1305). TLS 1.2,
/// when allowed: ECDHE with an ECDSA or RSA server key and an AEAD cipher (RFC 5289, RFC 7905),
/// nothing else: no static RSA key exchange (no forward secrecy), no CBC, and never the
/// anonymous, NULL, export or RC4 suites wolfSSL compiles in.
enum CipherSuites {
    static let tls13: [(name: StaticString, code: UInt16)] = [
        ("TLS13-AES128-GCM-SHA256", 0x1301),
        ("TLS13-AES256-GCM-SHA384", 0x1302),
        ("TLS13-CHACHA20-POLY1305-SHA256", 0x1303),
    ]
    static let tls12: [(name: StaticString, code: UInt16)] = [
        ("ECDHE-ECDSA-AES128-GCM-SHA256", 0xC02B),
        ("ECDHE-RSA-AES128-GCM-SHA256", 0xC02F),
        ("ECDHE-ECDSA-AES256-GCM-SHA384", 0xC02C),
        ("ECDHE-RSA-AES256-GCM-SHA384", 0xC030),
        ("ECDHE-ECDSA-CHACHA20-POLY1305", 0xCCA9),
        ("ECDHE-RSA-CHACHA20-POLY1305", 0xCCA8),
    ]

    /// The list in wolfSSL's syntax, NUL-terminated.
    static func wolfSSLList(for versions: TLSVersionPolicy) -> [CChar] {
        var text: [UInt8] = []
        for suite in suites(for: versions) {
            if !text.isEmpty { text.append(UInt8(ascii: ":")) }
            suite.name.withUTF8Buffer { text += $0 }
        }
        text.append(0)
        return text.map { CChar(bitPattern: $0) }
    }

    static func suites(for versions: TLSVersionPolicy) -> [(name: StaticString, code: UInt16)] {
        versions == .tls13Only ? tls13 : tls13 + tls12
    }

    /// True when the IANA code point is one the device offers for these versions.
    static func allows(_ code: UInt16, for versions: TLSVersionPolicy) -> Bool {
        for suite in suites(for: versions) where suite.code == code { return true }
        return false
    }
}

/// The cipher suites a ClientHello offers, read from the first record the client sends (the
/// device's own bytes, so a test or a field engineer sees what went on the wire).
enum ClientHelloSuites {
    /// The suite code points, in order; nil when `record` does not start with a whole ClientHello's
    /// fixed part (RFC 8446 §4.1.2: record header, handshake header, version, random, session id).
    static func parse(_ record: UnsafeRawBufferPointer) -> [UInt16]? {
        guard record.count >= 5 + 4 + 2 + 32 + 1, record[0] == 22, record[5] == 1 else { return nil }
        var offset = 5 + 4 + 2 + 32
        let sessionIDLength = Int(record[offset])
        offset += 1 + sessionIDLength
        guard record.count >= offset + 2 else { return nil }
        let length = Int(record[offset]) << 8 | Int(record[offset + 1])
        offset += 2
        guard length % 2 == 0, record.count >= offset + length else { return nil }
        var suites: [UInt16] = []
        for index in stride(from: offset, to: offset + length, by: 2) {
            suites.append(UInt16(record[index]) << 8 | UInt16(record[index + 1]))
        }
        return suites
    }

    /// A suite's name as the device knows it, or its code point in hex.
    static func name(_ code: UInt16) -> String {
        for suite in CipherSuites.tls13 + CipherSuites.tls12 where suite.code == code {
            return suite.name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        }
        if code == 0x00FF { return "EMPTY_RENEGOTIATION_INFO_SCSV" }
        // ASCII bytes, not Characters: Character pulls the grapheme machinery into firmware (issue 18).
        let digits = Array("0123456789ABCDEF".utf8)
        var text: [UInt8] = Array("0x".utf8)
        for shift in [12, 8, 4, 0] { text.append(digits[Int((code >> UInt16(shift)) & 0xF)]) }
        return String(decoding: text, as: UTF8.self)
    }
}

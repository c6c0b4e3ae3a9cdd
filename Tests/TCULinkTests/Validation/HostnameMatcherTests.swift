import Testing

@testable import TCULink

@Suite struct HostnameMatcherTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func wildcardRules() {
        func match(_ pattern: String, _ host: String) -> Bool {
            HostnameMatcher.matchesDNS(pattern: bytes(pattern), host: bytes(host))
        }
        #expect(match("*.example.com", "a.example.com"))
        #expect(!match("*.example.com", "example.com"))
        #expect(!match("*.example.com", "a.b.example.com"))
        #expect(!match("*.com", "example.com"))
        #expect(!match("a*.example.com", "ab.example.com"))
        #expect(match("example.com", "example.com"))
    }

    @Test func ipv4OnlyInCanonicalDottedQuad() {
        #expect(HostnameMatcher.parseIPAddress(bytes("10.0.0.1")) == [10, 0, 0, 1])
        #expect(HostnameMatcher.parseIPAddress(bytes("0.0.0.0")) == [0, 0, 0, 0])
        for text in ["256.0.0.1", "1.2.3", "192.0.2.010", "01.2.3.4", "1.2.3.4.5", "1..2.3", "1.2.3.", "0x7f.0.0.1"] {
            #expect(HostnameMatcher.parseIPAddress(bytes(text)) == nil, "\(text)")
        }
        // Numeric-looking names are addresses (no SNI, never matched as DNS names), canonical or not.
        #expect(HostnameMatcher.isIPLiteral(bytes("192.0.2.010")))
        #expect(HostnameMatcher.isIPLiteral(bytes("127.1")))
        #expect(!HostnameMatcher.isIPLiteral(bytes("localhost")))
        #expect(!HostnameMatcher.isIPLiteral(bytes("a1.example.com")))
    }

    @Test func ipv6InRFC4291TextForms() {
        let loopback: [UInt8] = [UInt8](repeating: 0, count: 15) + [1]
        #expect(HostnameMatcher.parseIPAddress(bytes("::1")) == loopback)
        #expect(HostnameMatcher.parseIPAddress(bytes("[::1]")) == loopback)
        #expect(HostnameMatcher.parseIPAddress(bytes("0:0:0:0:0:0:0:1")) == loopback)
        #expect(HostnameMatcher.parseIPAddress(bytes("::")) == [UInt8](repeating: 0, count: 16))
        #expect(
            HostnameMatcher.parseIPAddress(bytes("2001:DB8::8:800:200C:417A"))
                == [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0x08, 0x08, 0x00, 0x20, 0x0C, 0x41, 0x7A])
        #expect(
            HostnameMatcher.parseIPAddress(bytes("::ffff:192.0.2.1"))
                == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 1])
        for text in [
            "1:::2", "1::2::3", "12345::1", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "fe80::1%eth0", "[::1", ":1",
        ] {
            #expect(HostnameMatcher.parseIPAddress(bytes(text)) == nil, "\(text)")
        }
    }
}

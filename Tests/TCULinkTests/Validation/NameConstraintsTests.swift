import Testing

@testable import TCULink

/// dNSName and iPAddress subtrees as RFC 5280 §4.2.1.10 defines them: label by label, never
/// as string suffixes; a wildcard judged by every name it could stand for.
@Suite struct NameConstraintsTests {
    func name(_ text: String) -> [UInt8] { DNSName.normalizedSubjectName(Array(text.utf8))! }
    func subtree(_ text: String) -> [UInt8] { DNSName.normalizedConstraint(Array(text.utf8))! }

    @Test func aSubtreeIsItsApexAndEverythingBelowOnLabelBoundaries() {
        #expect(DNSName.isWithin(name: name("example.com"), subtree: subtree("example.com")))
        #expect(DNSName.isWithin(name: name("a.b.example.com"), subtree: subtree("example.com")))
        #expect(!DNSName.isWithin(name: name("attackerexample.com"), subtree: subtree("example.com")))
        #expect(!DNSName.isWithin(name: name("example.com.evil.net"), subtree: subtree("example.com")))
        #expect(DNSName.isWithin(name: name("WWW.Example.COM."), subtree: subtree("example.com")))
        // A leading dot is not a DNS name: such a constraint is malformed (the chain fails).
        #expect(DNSName.normalizedConstraint(Array(".example.com".utf8)) == nil)
        #expect(DNSName.isWithin(name: name("anything.net"), subtree: subtree("")))
    }

    @Test func wildcardsAreJudgedByEveryNameTheyStandFor() {
        // Permitted: every expansion must be inside.
        #expect(DNSName.isWithin(name: name("*.example.com"), subtree: subtree("example.com")))
        #expect(!DNSName.isWithin(name: name("*.example.com"), subtree: subtree("a.example.com")))
        // Excluded: any expansion inside is enough to refuse.
        #expect(DNSName.mayOverlap(name: name("*.example.com"), subtree: subtree("bad.example.com")))
        #expect(DNSName.mayOverlap(name: name("*.example.com"), subtree: subtree("example.com")))
        #expect(!DNSName.mayOverlap(name: name("*.example.com"), subtree: subtree("x.bad.example.com")))
        #expect(!DNSName.mayOverlap(name: name("*.example.com"), subtree: subtree("other.net")))
    }

    @Test func malformedNamesAreRefused() {
        for bad in ["", ".", "a..b", "*.com", "a.*.com", "w*.example.com", "exa mple.com", "*", "foo_bar.example.com"] {
            #expect(DNSName.normalizedSubjectName(Array(bad.utf8)) == nil, "\(bad)")
        }
        #expect(DNSName.normalizedConstraint(Array("*.example.com".utf8)) == nil)
    }

    @Test func ipRangesCompareUnderTheirMask() {
        let tenSlash8: [UInt8] = [10, 0, 0, 0, 255, 0, 0, 0]
        #expect(IPAddressRange.contains(tenSlash8, [10, 1, 2, 3]))
        #expect(!IPAddressRange.contains(tenSlash8, [11, 0, 0, 1]))
        #expect(!IPAddressRange.contains(tenSlash8, [UInt8](repeating: 0, count: 16)))  // no IPv6 in an IPv4 range
        #expect(IPAddressRange.maskIsContiguous(tenSlash8))
        #expect(!IPAddressRange.maskIsContiguous([10, 0, 0, 0, 255, 0, 255, 0]))
    }

    @Test func evaluatesPermittedAndExcludedTogether() throws {
        // NameConstraints ::= SEQUENCE { [0] { SEQUENCE { [2] "example.com" } }, [1] { SEQUENCE { [7] 10/8 } } }
        let permitted: [UInt8] = [0x30, 0x0D, 0x82, 0x0B] + Array("example.com".utf8)
        let excluded: [UInt8] = [0x30, 0x0A, 0x87, 0x08, 10, 0, 0, 0, 255, 0, 0, 0]
        let value: [UInt8] =
            [0x30, UInt8(4 + permitted.count + excluded.count), 0xA0, UInt8(permitted.count)] + permitted
            + [0xA1, UInt8(excluded.count)] + excluded
        let constraints = try #require(NameConstraints(extensionValue: DERReader(value)))
        #expect(NameConstraints(extensionValue: DERReader([0x30, 0x00])) == nil)  // neither subtree: malformed
        #expect(NameConstraints(extensionValue: DERReader([0x30, 0x02, 0xA0, 0x00])) == nil)  // an empty one too
        #expect(constraints.evaluate(dnsNames: [Array("a.example.com".utf8)], ipAddresses: []) == .allowed)
        #expect(constraints.evaluate(dnsNames: [Array("a.example.net".utf8)], ipAddresses: []) == .violated)
        #expect(constraints.evaluate(dnsNames: [], ipAddresses: [[10, 9, 9, 9]]) == .violated)
        // The IP subtree is excluded-only: other addresses stay allowed.
        #expect(constraints.evaluate(dnsNames: [], ipAddresses: [[192, 0, 2, 1]]) == .allowed)
        // An rfc822Name subtree cannot be evaluated: the verdict is never "allowed".
        let email: [UInt8] = [0x30, 0x0D, 0xA0, 0x0B, 0x30, 0x09, 0x81, 0x07] + Array("a@b.com".utf8)
        let unsupported = try #require(NameConstraints(extensionValue: DERReader(email)))
        #expect(unsupported.evaluate(dnsNames: [], ipAddresses: []) == .cannotEvaluate)
    }
}

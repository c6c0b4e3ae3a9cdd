import Testing

@testable import TCULink

@Suite struct X509CertificateTests {
    @Test func readsAServerLeafMadeByOpenSSL() throws {
        let certificate = try #require(X509Certificate(der: TestPKI.certificate("server/good.leaf.pem")))
        #expect(certificate.dnsNames == [Array("localhost".utf8)])
        #expect(certificate.ipAddresses == [[127, 0, 0, 1]])
        #expect(certificate.allowsServerAuth)
        #expect(!certificate.allowsClientAuth)
        #expect(certificate.publicKey == .ecP256)
        #expect(!certificate.isCertificateAuthority)
        #expect(certificate.keyUsage == 0x8000)  // digitalSignature only
        #expect(certificate.subject.commonName == Array("good server".utf8))
        #expect(certificate.issuer.commonName == Array("Server CA".utf8))
        #expect(certificate.notBefore == 1_735_689_600)  // 2025-01-01T00:00:00Z, as make-test-pki fixes it
        #expect(certificate.notAfter == 2_524_607_999)  // 2049-12-31T23:59:59Z (UTCTime)
    }

    @Test func readsADeviceCertificate() throws {
        let certificate = try #require(X509Certificate(der: TestPKI.certificate("device-rsa/chain.pem")))
        #expect(certificate.publicKey == .rsa(bits: 2048))
        #expect(certificate.allowsClientAuth)
        #expect(!certificate.allowsServerAuth)
        #expect(certificate.subject.serialNumber == Array("tcu-0002".utf8))
        #expect(certificate.dnsNames.isEmpty && !certificate.hasSubjectAltName)
    }

    @Test func readsACAAndItsDates() throws {
        let certificate = try #require(X509Certificate(der: TestPKI.certificate("server/expired.leaf.pem")))
        #expect(certificate.notBefore == 1_577_836_800)  // 2020-01-01T00:00:00Z
        #expect(certificate.notAfter == 1_609_459_200)  // 2021-01-01T00:00:00Z
        let ca = try #require(X509Certificate(der: TestPKI.certificate("server-ca.pem")))
        #expect(ca.isCertificateAuthority)
        #expect(ca.extendedKeyUsage == nil)
    }

    @Test func refusesEveryTruncationWithoutTrapping() {
        let der = TestPKI.certificate("server/good.leaf.pem")
        for length in 0..<der.count {
            #expect(X509Certificate(der: Array(der[0..<length])) == nil)
        }
        #expect(X509Certificate(der: der + [0]) == nil)  // trailing garbage
    }

    @Test func survivesCorruptedBytes() {
        let der = TestPKI.certificate("server/good.leaf.pem")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var corrupted = der
            for _ in 0..<3 {
                corrupted[Int.random(in: 0..<corrupted.count, using: &generator)] = UInt8.random(
                    in: 0...255, using: &generator)
            }
            _ = X509Certificate(der: corrupted)  // must return, parsed or nil, never trap
        }
    }

    @Test func calendarTimes() {
        #expect(CalendarTime.parseUTCTime(ArraySlice("700101000000Z".utf8)) == 0)
        #expect(CalendarTime.parseUTCTime(ArraySlice("491231235959Z".utf8)) == 2_524_607_999)
        #expect(CalendarTime.parseGeneralizedTime(ArraySlice("20380119031408Z".utf8)) == 2_147_483_648)
        #expect(CalendarTime.parseGeneralizedTime(ArraySlice("20000229120000Z".utf8)) == 951_825_600)
        #expect(CalendarTime.parseUTCTime(ArraySlice("701301000000Z".utf8)) == nil)
        #expect(CalendarTime.parseUTCTime(ArraySlice("7001010000Z".utf8)) == nil)
        #expect(CalendarTime.parseGeneralizedTime(ArraySlice("20000229120000+0100".utf8)) == nil)
    }

    @Test func pemRoundTripAndRefusals() throws {
        let chain = TestPKI.certificates("server/good.pem")
        #expect(chain.count == 2)
        let again = try #require(PEM.decodeAll(PEM.encode(chain[0]) + PEM.encode(chain[1])))
        #expect(again == chain)
        #expect(PEM.decodeAll(chain[0]) == [chain[0]])  // DER passes through
        #expect(PEM.decodeAll(Array("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".utf8)) == nil)
        #expect(PEM.decodeAll(Array("-----BEGIN CERTIFICATE-----\nAAAA\n".utf8)) == nil)
        #expect(PEM.decodeAll(Array("no certificate here".utf8)) == [])
    }

    @Test func distinguishedNameText() throws {
        let certificate = try #require(X509Certificate(der: TestPKI.certificate("device/chain.pem")))
        #expect(certificate.subject.text.contains("CN=tcu-0001"))
        #expect(certificate.subject.text.contains("serialNumber=tcu-0001"))
        #expect(ObjectIdentifierText.dotted(OID.serverAuth) == "1.3.6.1.5.5.7.3.1")
    }
}

/// A name's text reaches logs and terminals: what a hostile server puts in its certificate must not
/// end a line, forge the next one or drive the terminal.
@Suite struct DistinguishedNameTextTests {
    @Test func controlCharactersAndBackslashesAreEscaped() throws {
        let value: [UInt8] = Array("evil\nACCEPTED device=x\u{1B}[2J\u{9B}a\\b".utf8)
        let name = try #require(
            DistinguishedName(
                reader: DERReader(
                    DERBuilder.tlv(
                        DERTag.set,
                        DERBuilder.sequence(
                            DERBuilder.tlv(DERTag.objectIdentifier, OID.commonName),
                            DERBuilder.tlv(DERTag.utf8String, value))))))
        #expect(name.text == #"CN=evil\x0AACCEPTED device=x\x1B[2J\x9Ba\\b"#)
        #expect(name.commonName == value)  // the value itself is untouched
        #expect(DistinguishedName.printable(Array("Zürich, O=Fleet".utf8)) == "Zürich, O=Fleet")
    }
}

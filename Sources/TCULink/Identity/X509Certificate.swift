/// The fields of an X.509 certificate that identity checks need, read from DER.
///
/// This is not a verifier: signatures and chain building are wolfSSL's job.
/// It gives the core its own view of validity, key purposes, names and the public
/// key, so that policy (what a server or device certificate must carry) is Swift
/// code that runs the same in a handshake, offline, and on a board.
public struct X509Certificate: Equatable, Sendable {
    /// The certificate as given.
    public let der: [UInt8]
    /// The serial number's content bytes (big-endian, as encoded).
    public let serialNumber: [UInt8]
    public let notBefore: Int64
    public let notAfter: Int64
    public let subject: DistinguishedName
    public let issuer: DistinguishedName
    /// The whole `SubjectPublicKeyInfo`, DER.
    public let subjectPublicKeyInfo: [UInt8]
    public let publicKey: PublicKeyKind
    /// The `extendedKeyUsage` purposes as OID content bytes; nil when the extension is absent.
    public let extendedKeyUsage: [[UInt8]]?
    /// `keyUsage` bits as in RFC 5280 (bit 0 = digitalSignature is 0x80 of the first byte); nil when absent.
    public let keyUsage: UInt16?
    public let isCertificateAuthority: Bool
    public let hasSubjectAltName: Bool
    /// `subjectAltName` dNSName entries, as written (IA5 bytes).
    public let dnsNames: [[UInt8]]
    /// `subjectAltName` iPAddress entries (4 or 16 bytes).
    public let ipAddresses: [[UInt8]]

    public enum PublicKeyKind: Equatable, Sendable {
        case ecP256
        case ecP384
        case ecOtherCurve
        case rsa(bits: Int)
        case other
    }

    /// Parses one DER certificate; nil when it is not well-formed enough to judge.
    public init?(der: [UInt8]) {
        var outer = DERReader(der)
        guard let certificate = outer.read(tag: DERTag.sequence), outer.isAtEnd else { return nil }
        var certificateReader = outer.reader(over: certificate)
        guard let tbs = certificateReader.read(tag: DERTag.sequence) else { return nil }
        var fields = certificateReader.reader(over: tbs)

        if fields.peekTag() == DERTag.contextConstructed0 { _ = fields.readElement() }  // version
        guard let serial = fields.read(tag: DERTag.integer),
            fields.read(tag: DERTag.sequence) != nil,  // signature algorithm
            let issuerElement = fields.read(tag: DERTag.sequence),
            let validity = fields.read(tag: DERTag.sequence),
            let subjectElement = fields.read(tag: DERTag.sequence),
            let spki = fields.read(tag: DERTag.sequence)
        else { return nil }

        var validityReader = fields.reader(over: validity)
        guard let notBefore = X509Certificate.readTime(&validityReader),
            let notAfter = X509Certificate.readTime(&validityReader),
            let issuer = DistinguishedName(reader: fields.reader(over: issuerElement)),
            let subject = DistinguishedName(reader: fields.reader(over: subjectElement))
        else { return nil }

        self.der = der
        self.serialNumber = Array(fields.content(of: serial))
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.issuer = issuer
        self.subject = subject
        self.subjectPublicKeyInfo = Array(fields.encoding(of: spki))
        self.publicKey = X509Certificate.publicKeyKind(fields.reader(over: spki))

        var extendedKeyUsage: [[UInt8]]? = nil
        var keyUsage: UInt16? = nil
        var isCA = false
        var hasSAN = false
        var dnsNames: [[UInt8]] = []
        var ipAddresses: [[UInt8]] = []

        // Skip issuerUniqueID [1] and subjectUniqueID [2], then read extensions [3].
        while let tag = fields.peekTag(), tag != DERTag.contextConstructed3 {
            guard fields.readElement() != nil else { return nil }
        }
        if let wrapper = fields.read(tag: DERTag.contextConstructed3) {
            var wrapperReader = fields.reader(over: wrapper)
            guard let list = wrapperReader.read(tag: DERTag.sequence) else { return nil }
            var extensions = wrapperReader.reader(over: list)
            while !extensions.isAtEnd {
                guard let ext = extensions.read(tag: DERTag.sequence) else { return nil }
                var extReader = extensions.reader(over: ext)
                guard let oidElement = extReader.read(tag: DERTag.objectIdentifier) else { return nil }
                if extReader.peekTag() == DERTag.boolean { _ = extReader.readElement() }  // critical
                guard let value = extReader.read(tag: DERTag.octetString) else { return nil }
                let oid = Array(extReader.content(of: oidElement))
                let valueReader = extReader.reader(over: value)
                if oid == OID.extendedKeyUsage {
                    guard let purposes = X509Certificate.readOIDSequence(valueReader) else { return nil }
                    extendedKeyUsage = purposes
                } else if oid == OID.keyUsage {
                    guard let bits = X509Certificate.readKeyUsage(valueReader) else { return nil }
                    keyUsage = bits
                } else if oid == OID.basicConstraints {
                    var reader = valueReader
                    guard let sequence = reader.read(tag: DERTag.sequence) else { return nil }
                    var inner = reader.reader(over: sequence)
                    if let flag = inner.read(tag: DERTag.boolean) {
                        isCA = inner.content(of: flag).first.map { $0 != 0 } ?? false
                    }
                } else if oid == OID.subjectAltName {
                    hasSAN = true
                    var reader = valueReader
                    guard let sequence = reader.read(tag: DERTag.sequence) else { return nil }
                    var names = reader.reader(over: sequence)
                    while !names.isAtEnd {
                        guard let name = names.readElement() else { return nil }
                        switch name.tag {
                        case 0x82: dnsNames.append(Array(names.content(of: name)))  // [2] dNSName
                        case 0x87: ipAddresses.append(Array(names.content(of: name)))  // [7] iPAddress
                        default: break
                        }
                    }
                }
            }
        }
        self.extendedKeyUsage = extendedKeyUsage
        self.keyUsage = keyUsage
        self.isCertificateAuthority = isCA
        self.hasSubjectAltName = hasSAN
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
    }

    /// True when the certificate lists `purpose` in its extendedKeyUsage.
    public func hasExtendedKeyUsage(_ purpose: [UInt8]) -> Bool {
        guard let purposes = extendedKeyUsage else { return false }
        for candidate in purposes where candidate == purpose { return true }
        return false
    }

    public var allowsServerAuth: Bool { hasExtendedKeyUsage(OID.serverAuth) }
    public var allowsClientAuth: Bool { hasExtendedKeyUsage(OID.clientAuth) }

    // MARK: - Field readers

    private static func readTime(_ reader: inout DERReader) -> Int64? {
        guard let element = reader.readElement() else { return nil }
        let text = reader.content(of: element)
        switch element.tag {
        case DERTag.utcTime: return CalendarTime.parseUTCTime(text)
        case DERTag.generalizedTime: return CalendarTime.parseGeneralizedTime(text)
        default: return nil
        }
    }

    private static func readOIDSequence(_ valueReader: DERReader) -> [[UInt8]]? {
        var reader = valueReader
        guard let sequence = reader.read(tag: DERTag.sequence) else { return nil }
        var items = reader.reader(over: sequence)
        var result: [[UInt8]] = []
        while !items.isAtEnd {
            guard let oid = items.read(tag: DERTag.objectIdentifier) else { return nil }
            result.append(Array(items.content(of: oid)))
        }
        return result
    }

    private static func readKeyUsage(_ valueReader: DERReader) -> UInt16? {
        var reader = valueReader
        guard let bitString = reader.read(tag: DERTag.bitString) else { return nil }
        let content = reader.content(of: bitString)
        // First content byte is the count of unused bits; up to two bytes of flags follow.
        guard content.count >= 1 else { return nil }
        let start = content.startIndex
        var value: UInt16 = 0
        if content.count >= 2 { value = UInt16(content[start + 1]) << 8 }
        if content.count >= 3 { value |= UInt16(content[start + 2]) }
        return value
    }

    /// The kind of key in a SubjectPublicKeyInfo (DER).
    public static func publicKeyKind(subjectPublicKeyInfo spki: [UInt8]) -> PublicKeyKind {
        var reader = DERReader(spki)
        guard let sequence = reader.read(tag: DERTag.sequence) else { return .other }
        return publicKeyKind(reader.reader(over: sequence))
    }

    private static func publicKeyKind(_ spkiReader: DERReader) -> PublicKeyKind {
        var reader = spkiReader
        guard let algorithm = reader.read(tag: DERTag.sequence) else { return .other }
        var algorithmReader = reader.reader(over: algorithm)
        guard let oidElement = algorithmReader.read(tag: DERTag.objectIdentifier) else { return .other }
        let oid = Array(algorithmReader.content(of: oidElement))
        if oid == OID.ecPublicKey {
            guard let curveElement = algorithmReader.read(tag: DERTag.objectIdentifier) else { return .ecOtherCurve }
            let curve = Array(algorithmReader.content(of: curveElement))
            if curve == OID.prime256v1 { return .ecP256 }
            if curve == OID.secp384r1 { return .ecP384 }
            return .ecOtherCurve
        }
        if oid == OID.rsaEncryption {
            guard let bits = reader.read(tag: DERTag.bitString) else { return .rsa(bits: 0) }
            let content = reader.content(of: bits)
            guard content.count > 1 else { return .rsa(bits: 0) }
            var keyReader = DERReader(Array(content.dropFirst()))
            guard let sequence = keyReader.read(tag: DERTag.sequence) else { return .rsa(bits: 0) }
            var fields = keyReader.reader(over: sequence)
            guard let modulus = fields.read(tag: DERTag.integer) else { return .rsa(bits: 0) }
            var bytes = fields.content(of: modulus)
            while let first = bytes.first, first == 0 { bytes = bytes.dropFirst() }
            guard let top = bytes.first else { return .rsa(bits: 0) }
            return .rsa(bits: (bytes.count - 1) * 8 + (8 - top.leadingZeroBitCount))
        }
        return .other
    }
}

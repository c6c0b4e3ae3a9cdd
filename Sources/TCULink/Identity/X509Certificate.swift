/// The fields of an X.509 certificate that identity checks and path validation need, read from DER.
///
/// This does not verify signatures: wolfSSL does, and `PathValidator` applies RFC 5280's
/// rules to what is read here. It gives the core its own view of validity, constraints,
/// key purposes, names and keys, so that policy is Swift code that runs the same in a
/// handshake, offline, and on a board. Anything that is not well-formed DER, or breaks a
/// structural rule of RFC 5280 (a duplicated extension, inner and outer signature algorithms
/// that differ), makes the initializer fail.
public struct X509Certificate: Equatable, Sendable {
    /// The certificate as given.
    public let der: [UInt8]
    /// 1, 2 or 3.
    public let version: Int
    /// The serial number's content bytes (big-endian, as encoded).
    public let serialNumber: [UInt8]
    /// RFC 5280 §4.1.2.2: positive, at most 20 octets. (Some roots in use have serial 0: an anchor
    /// is trusted by configuration and is not held to it.)
    public var hasConformingSerialNumber: Bool { X509Certificate.isValidSerial(serialNumber[...]) }
    /// How the issuer signed this certificate.
    public let signatureAlgorithm: SignatureAlgorithm
    public let notBefore: Int64
    public let notAfter: Int64
    public let subject: DistinguishedName
    public let issuer: DistinguishedName
    /// The subject and issuer Names exactly as encoded: the path is chained on these bytes.
    public let subjectEncoding: [UInt8]
    public let issuerEncoding: [UInt8]
    /// The whole `SubjectPublicKeyInfo`, DER.
    public let subjectPublicKeyInfo: [UInt8]
    public let publicKey: PublicKeyKind
    /// The `extendedKeyUsage` purposes as OID content bytes; nil when the extension is absent.
    public let extendedKeyUsage: [[UInt8]]?
    /// `keyUsage` bits as in RFC 5280 (bit 0 = digitalSignature is 0x80 of the first byte); nil when absent.
    public let keyUsage: UInt16?
    /// basicConstraints is present.
    public let hasBasicConstraints: Bool
    /// basicConstraints is marked critical (RFC 5280 §4.2.1.9 requires it in CA certificates).
    public let basicConstraintsCritical: Bool
    public let isCertificateAuthority: Bool
    /// basicConstraints' pathLenConstraint; nil when absent (no limit).
    public let pathLengthConstraint: Int?
    public let subjectKeyIdentifier: [UInt8]?
    /// authorityKeyIdentifier's keyIdentifier.
    public let authorityKeyIdentifier: [UInt8]?
    public let nameConstraints: NameConstraints?
    /// nameConstraints is marked critical (RFC 5280 §4.2.1.10 requires it).
    public let nameConstraintsCritical: Bool
    /// The OID of the first critical extension the core does not process; nil when there is none.
    public let unsupportedCriticalExtension: [UInt8]?
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

    /// keyUsage bits (RFC 5280 §4.2.1.3), as in `keyUsage`.
    public enum KeyUsageBit {
        public static let digitalSignature: UInt16 = 0x8000
        public static let keyCertSign: UInt16 = 0x0400
    }

    /// Subject and issuer are the same name (RFC 5280 §6.1: "self-issued").
    public var isSelfIssued: Bool { subjectEncoding == issuerEncoding }

    /// Parses one DER certificate; nil when it is not well-formed enough to judge.
    public init?(der: [UInt8]) {
        var outer = DERReader(der)
        guard let certificate = outer.read(tag: DERTag.sequence), outer.isAtEnd else { return nil }
        var certificateReader = outer.reader(over: certificate)
        guard let tbs = certificateReader.read(tag: DERTag.sequence),
            let outerAlgorithm = certificateReader.read(tag: DERTag.sequence),
            certificateReader.read(tag: DERTag.bitString) != nil, certificateReader.isAtEnd
        else { return nil }
        var fields = certificateReader.reader(over: tbs)

        var version = 1
        if fields.peekTag() == DERTag.contextConstructed0 {
            guard let wrapper = fields.readElement() else { return nil }
            var versionReader = fields.reader(over: wrapper)
            guard let number = versionReader.read(tag: DERTag.integer), versionReader.isAtEnd,
                let value = versionReader.content(of: number).first, versionReader.content(of: number).count == 1,
                value <= 2
            else { return nil }
            version = Int(value) + 1
        }
        guard let serial = fields.read(tag: DERTag.integer),
            let innerAlgorithm = fields.read(tag: DERTag.sequence),
            let issuerElement = fields.read(tag: DERTag.sequence),
            let validity = fields.read(tag: DERTag.sequence),
            let subjectElement = fields.read(tag: DERTag.sequence),
            let spki = fields.read(tag: DERTag.sequence)
        else { return nil }
        // RFC 5280 §4.1.1.2: the signed and the unsigned algorithm identifiers must be the same.
        guard Array(fields.encoding(of: innerAlgorithm)) == Array(certificateReader.encoding(of: outerAlgorithm))
        else { return nil }

        var validityReader = fields.reader(over: validity)
        guard let notBefore = X509Certificate.readTime(&validityReader),
            let notAfter = X509Certificate.readTime(&validityReader), validityReader.isAtEnd,
            let issuer = DistinguishedName(reader: fields.reader(over: issuerElement)),
            let subject = DistinguishedName(reader: fields.reader(over: subjectElement))
        else { return nil }

        self.der = der
        self.version = version
        self.serialNumber = Array(fields.content(of: serial))
        self.signatureAlgorithm = SignatureAlgorithm.read(certificateReader.reader(over: outerAlgorithm))
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.issuer = issuer
        self.subject = subject
        self.issuerEncoding = Array(fields.encoding(of: issuerElement))
        self.subjectEncoding = Array(fields.encoding(of: subjectElement))
        self.subjectPublicKeyInfo = Array(fields.encoding(of: spki))
        self.publicKey = X509Certificate.publicKeyKind(fields.reader(over: spki))

        // Skip issuerUniqueID [1] and subjectUniqueID [2], then read extensions [3] (v3 only).
        while let tag = fields.peekTag(), tag != DERTag.contextConstructed3 {
            guard tag == 0x81 || tag == 0xA1 || tag == 0x82 || tag == 0xA2, fields.readElement() != nil else {
                return nil
            }
        }
        var extensions = CertificateExtensions()
        if let wrapper = fields.read(tag: DERTag.contextConstructed3) {
            guard version == 3 else { return nil }
            var wrapperReader = fields.reader(over: wrapper)
            guard let list = wrapperReader.read(tag: DERTag.sequence), wrapperReader.isAtEnd,
                extensions.read(wrapperReader.reader(over: list))
            else { return nil }
        }
        guard fields.isAtEnd else { return nil }
        self.extendedKeyUsage = extensions.extendedKeyUsage
        self.keyUsage = extensions.keyUsage
        self.hasBasicConstraints = extensions.hasBasicConstraints
        self.basicConstraintsCritical = extensions.basicConstraintsCritical
        self.nameConstraintsCritical = extensions.nameConstraintsCritical
        self.isCertificateAuthority = extensions.isCertificateAuthority
        self.pathLengthConstraint = extensions.pathLengthConstraint
        self.subjectKeyIdentifier = extensions.subjectKeyIdentifier
        self.authorityKeyIdentifier = extensions.authorityKeyIdentifier
        self.nameConstraints = extensions.nameConstraints
        self.unsupportedCriticalExtension = extensions.unsupportedCriticalExtension
        self.hasSubjectAltName = extensions.hasSubjectAltName
        self.dnsNames = extensions.dnsNames
        self.ipAddresses = extensions.ipAddresses
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

    /// RFC 5280 §4.1.2.2: a positive integer of at most 20 octets, minimally encoded.
    private static func isValidSerial(_ content: ArraySlice<UInt8>) -> Bool {
        guard let first = content.first, content.count <= 20 || (content.count == 21 && first == 0) else {
            return false
        }
        if first & 0x80 != 0 { return false }  // negative
        if content.count > 1 && first == 0 && content[content.startIndex + 1] & 0x80 == 0 { return false }  // padded
        for byte in content where byte != 0 { return true }
        return false  // zero
    }

    private static func readTime(_ reader: inout DERReader) -> Int64? {
        guard let element = reader.readElement() else { return nil }
        let text = reader.content(of: element)
        switch element.tag {
        case DERTag.utcTime: return CalendarTime.parseUTCTime(text)
        case DERTag.generalizedTime: return CalendarTime.parseGeneralizedTime(text)
        default: return nil
        }
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

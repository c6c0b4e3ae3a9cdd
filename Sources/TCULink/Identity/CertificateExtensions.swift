/// The v3 extensions of a certificate that path validation reads (RFC 5280 §4.2).
///
/// An extension the core does not process is skipped when non-critical and recorded
/// when critical, so the validator can refuse it (RFC 5280 §4.2: "A certificate-using
/// system MUST reject the certificate if it encounters a critical extension it does not
/// recognize"). certificatePolicies is recognized: the device validates with the initial
/// policy set anyPolicy and never requires an explicit policy, so its content cannot change
/// the verdict. policyConstraints, policyMappings and inhibitAnyPolicy are not processed, so
/// a critical one is refused.
struct CertificateExtensions {
    var extendedKeyUsage: [[UInt8]]? = nil
    var keyUsage: UInt16? = nil
    var hasBasicConstraints = false
    var basicConstraintsCritical = false
    var nameConstraintsCritical = false
    var isCertificateAuthority = false
    var pathLengthConstraint: Int? = nil
    var subjectKeyIdentifier: [UInt8]? = nil
    var authorityKeyIdentifier: [UInt8]? = nil
    var nameConstraints: NameConstraints? = nil
    var unsupportedCriticalExtension: [UInt8]? = nil
    var hasSubjectAltName = false
    var dnsNames: [[UInt8]] = []
    var ipAddresses: [[UInt8]] = []

    /// Reads the `Extensions` SEQUENCE's content; false when it is malformed or repeats an extension.
    mutating func read(_ list: DERReader) -> Bool {
        var extensions = list
        var seen: [[UInt8]] = []
        guard !extensions.isAtEnd else { return false }  // SIZE (1..MAX)
        while !extensions.isAtEnd {
            guard let element = extensions.read(tag: DERTag.sequence) else { return false }
            var fields = extensions.reader(over: element)
            guard let oidElement = fields.read(tag: DERTag.objectIdentifier) else { return false }
            var critical = false
            if let flag = fields.read(tag: DERTag.boolean) {
                let content = fields.content(of: flag)
                guard content.count == 1 else { return false }
                critical = content.first != 0
            }
            guard let value = fields.read(tag: DERTag.octetString), fields.isAtEnd else { return false }
            let oid = Array(fields.content(of: oidElement))
            for earlier in seen where earlier == oid { return false }  // RFC 5280 §4.2: at most one instance
            seen.append(oid)
            guard readOne(oid, critical: critical, value: fields.reader(over: value)) else { return false }
        }
        return true
    }

    private mutating func readOne(_ oid: [UInt8], critical: Bool, value: DERReader) -> Bool {
        if oid == OID.basicConstraints {
            basicConstraintsCritical = critical
            return readBasicConstraints(value)
        }
        if oid == OID.keyUsage { return readKeyUsage(value) }
        if oid == OID.extendedKeyUsage { return readExtendedKeyUsage(value) }
        if oid == OID.subjectAltName { return readSubjectAltName(value) }
        if oid == OID.nameConstraints {
            guard let constraints = NameConstraints(extensionValue: value) else { return false }
            nameConstraints = constraints
            nameConstraintsCritical = critical
            return true
        }
        if oid == OID.subjectKeyIdentifier {
            var reader = value
            guard let identifier = reader.read(tag: DERTag.octetString), reader.isAtEnd else { return false }
            subjectKeyIdentifier = Array(reader.content(of: identifier))
            return true
        }
        if oid == OID.authorityKeyIdentifier { return readAuthorityKeyIdentifier(value) }
        if oid == OID.certificatePolicies { return true }
        if critical && unsupportedCriticalExtension == nil { unsupportedCriticalExtension = oid }
        return true
    }

    private mutating func readBasicConstraints(_ value: DERReader) -> Bool {
        var reader = value
        guard let sequence = reader.read(tag: DERTag.sequence), reader.isAtEnd else { return false }
        var fields = reader.reader(over: sequence)
        hasBasicConstraints = true
        if let flag = fields.read(tag: DERTag.boolean) {
            guard fields.content(of: flag).count == 1 else { return false }
            isCertificateAuthority = fields.content(of: flag).first != 0
        }
        if let length = fields.read(tag: DERTag.integer) {
            let bytes = fields.content(of: length)
            // A small non-negative INTEGER; anything larger is as good as "no limit" but is refused as odd.
            guard bytes.count >= 1, bytes.count <= 2, let first = bytes.first, first & 0x80 == 0 else { return false }
            var number = 0
            for byte in bytes { number = number << 8 | Int(byte) }
            pathLengthConstraint = number
        }
        return fields.isAtEnd
    }

    private mutating func readKeyUsage(_ value: DERReader) -> Bool {
        var reader = value
        guard let bitString = reader.read(tag: DERTag.bitString), reader.isAtEnd else { return false }
        let content = Array(reader.content(of: bitString))
        // First content byte: the count of unused bits; up to two bytes of flags follow.
        guard content.count >= 2, content.count <= 3, content[0] < 8 else { return false }
        var bits = UInt16(content[1]) << 8
        if content.count == 3 { bits |= UInt16(content[2]) }
        keyUsage = bits
        return true
    }

    private mutating func readExtendedKeyUsage(_ value: DERReader) -> Bool {
        var reader = value
        guard let sequence = reader.read(tag: DERTag.sequence), reader.isAtEnd else { return false }
        var items = reader.reader(over: sequence)
        var purposes: [[UInt8]] = []
        while !items.isAtEnd {
            guard let oid = items.read(tag: DERTag.objectIdentifier) else { return false }
            purposes.append(Array(items.content(of: oid)))
        }
        guard !purposes.isEmpty else { return false }
        extendedKeyUsage = purposes
        return true
    }

    private mutating func readSubjectAltName(_ value: DERReader) -> Bool {
        var reader = value
        guard let sequence = reader.read(tag: DERTag.sequence), reader.isAtEnd else { return false }
        var names = reader.reader(over: sequence)
        hasSubjectAltName = true
        while !names.isAtEnd {
            guard let name = names.readElement() else { return false }
            switch name.tag {
            case 0x82: dnsNames.append(Array(names.content(of: name)))  // [2] dNSName
            case 0x87:  // [7] iPAddress
                let address = Array(names.content(of: name))
                guard address.count == 4 || address.count == 16 else { return false }
                ipAddresses.append(address)
            default: break  // other forms name no host; no dNSName or iPAddress constraint covers them
            }
        }
        return true
    }

    private mutating func readAuthorityKeyIdentifier(_ value: DERReader) -> Bool {
        var reader = value
        guard let sequence = reader.read(tag: DERTag.sequence), reader.isAtEnd else { return false }
        var fields = reader.reader(over: sequence)
        if fields.peekTag() == 0x80, let identifier = fields.readElement() {  // [0] keyIdentifier
            authorityKeyIdentifier = Array(fields.content(of: identifier))
        }
        while !fields.isAtEnd {  // [1] authorityCertIssuer, [2] authorityCertSerialNumber
            guard fields.readElement() != nil else { return false }
        }
        return true
    }
}

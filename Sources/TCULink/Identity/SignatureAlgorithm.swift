/// The algorithm a certificate's issuer signed it with (RFC 5280 §4.1.1.2), as far as
/// the device's algorithm policy needs to know it.
public enum SignatureAlgorithm: Equatable, Sendable {
    case rsaPKCS1(SignatureHash)
    /// RSASSA-PSS (RFC 4055); the hash named in its parameters.
    case rsaPSS(SignatureHash)
    case ecdsa(SignatureHash)
    /// Anything else (Ed25519, DSA, GOST, …): not accepted in a server's chain.
    case unknown

    /// The hash under a signature. MD5 and SHA-1 are named so that they can be refused by name.
    public enum SignatureHash: Equatable, Sendable {
        case md5, sha1, sha224, sha256, sha384, sha512
    }

    public var hash: SignatureHash? {
        switch self {
        case .rsaPKCS1(let hash), .rsaPSS(let hash), .ecdsa(let hash): return hash
        case .unknown: return nil
        }
    }

    /// Reads an `AlgorithmIdentifier` (the content of its SEQUENCE).
    static func read(_ algorithmIdentifier: DERReader) -> SignatureAlgorithm {
        var reader = algorithmIdentifier
        guard let oidElement = reader.read(tag: DERTag.objectIdentifier) else { return .unknown }
        let oid = Array(reader.content(of: oidElement))
        if oid.count == 9, Array(oid[0..<8]) == OID.pkcs1Prefix {
            switch oid[8] {
            case 0x04: return .rsaPKCS1(.md5)
            case 0x05: return .rsaPKCS1(.sha1)
            case 0x0B: return .rsaPKCS1(.sha256)
            case 0x0C: return .rsaPKCS1(.sha384)
            case 0x0D: return .rsaPKCS1(.sha512)
            case 0x0E: return .rsaPKCS1(.sha224)
            case 0x0A: return readPSSParameters(reader)
            default: return .unknown
            }
        }
        if oid == OID.ecdsaWithSHA1 { return .ecdsa(.sha1) }
        if oid.count == 8, Array(oid[0..<7]) == OID.ecdsaWithSHA2Prefix {
            switch oid[7] {
            case 0x01: return .ecdsa(.sha224)
            case 0x02: return .ecdsa(.sha256)
            case 0x03: return .ecdsa(.sha384)
            case 0x04: return .ecdsa(.sha512)
            default: return .unknown
            }
        }
        return .unknown
    }

    /// RSASSA-PSS-params: `[0] hashAlgorithm` defaults to SHA-1 when absent (RFC 4055 §3.1).
    private static func readPSSParameters(_ afterOID: DERReader) -> SignatureAlgorithm {
        var reader = afterOID
        guard let parameters = reader.read(tag: DERTag.sequence) else { return .unknown }
        var fields = reader.reader(over: parameters)
        guard fields.peekTag() == DERTag.contextConstructed0 else { return .rsaPSS(.sha1) }
        guard let wrapper = fields.readElement() else { return .unknown }
        var hashReader = fields.reader(over: wrapper)
        guard let hashAlgorithm = hashReader.read(tag: DERTag.sequence) else { return .unknown }
        var oidReader = hashReader.reader(over: hashAlgorithm)
        guard let oidElement = oidReader.read(tag: DERTag.objectIdentifier) else { return .unknown }
        let oid = Array(oidReader.content(of: oidElement))
        if oid == OID.sha1 { return .rsaPSS(.sha1) }
        guard oid.count == 9, Array(oid[0..<8]) == OID.nistHashPrefix else { return .unknown }
        switch oid[8] {
        case 0x01: return .rsaPSS(.sha256)
        case 0x02: return .rsaPSS(.sha384)
        case 0x03: return .rsaPSS(.sha512)
        case 0x04: return .rsaPSS(.sha224)
        default: return .unknown
        }
    }
}

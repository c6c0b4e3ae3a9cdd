/// A certs-only PKCS#7 / CMS SignedData (RFC 5652 "degenerate" form): how EST (RFC 7030)
/// carries certificates, in `cacerts`, `simpleenroll` and `simplereenroll` responses.
public enum PKCS7Certificates {
    /// Wraps DER certificates into a certs-only ContentInfo.
    public static func build(_ certificates: [[UInt8]]) -> [UInt8] {
        let signedData = DERBuilder.sequence(
            DERBuilder.integer(1),
            DERBuilder.tlv(DERTag.set, []),  // digestAlgorithms: none
            DERBuilder.sequence(DERBuilder.tlv(DERTag.objectIdentifier, OID.pkcs7Data)),
            DERBuilder.tlv(DERTag.contextConstructed0, certificates.flatMap { $0 }),
            DERBuilder.tlv(DERTag.set, []))  // signerInfos: none
        return DERBuilder.sequence(
            DERBuilder.tlv(DERTag.objectIdentifier, OID.pkcs7SignedData),
            DERBuilder.tlv(DERTag.contextConstructed0, signedData))
    }

    /// The certificates of a certs-only ContentInfo, in order; nil when it is not one.
    public static func parse(_ der: [UInt8]) -> [[UInt8]]? {
        var outer = DERReader(der)
        guard let contentInfo = outer.read(tag: DERTag.sequence) else { return nil }
        var info = outer.reader(over: contentInfo)
        guard let type = info.read(tag: DERTag.objectIdentifier), Array(info.content(of: type)) == OID.pkcs7SignedData,
            let explicit = info.read(tag: DERTag.contextConstructed0)
        else { return nil }
        var wrapper = info.reader(over: explicit)
        guard let signedData = wrapper.read(tag: DERTag.sequence) else { return nil }
        var fields = wrapper.reader(over: signedData)
        guard fields.read(tag: DERTag.integer) != nil, fields.read(tag: DERTag.set) != nil,
            fields.read(tag: DERTag.sequence) != nil, let list = fields.read(tag: DERTag.contextConstructed0)
        else { return nil }
        var certificates = fields.reader(over: list)
        var result: [[UInt8]] = []
        while !certificates.isAtEnd {
            guard let certificate = certificates.read(tag: DERTag.sequence) else { return nil }
            result.append(Array(certificates.encoding(of: certificate)))
        }
        return result
    }
}

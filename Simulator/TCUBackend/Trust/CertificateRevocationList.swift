import Foundation
import SwiftASN1
import X509

/// One CRL (RFC 5280 §5), read with swift-asn1: its issuer, its validity and the serials it revokes.
///
/// Only complete, direct CRLs are used. A CRL that a verifier would have to scope or combine — a delta CRL, an
/// issuing distribution point, an indirect CRL (entries naming another issuer), or any other critical extension
/// — is refused when loaded (RFC 5280 §5.2: a CRL with an unrecognized critical extension must not be used),
/// so no device is judged against a list that means less than it seems to.
struct CertificateRevocationList: Sendable {
    let issuer: DistinguishedName
    let thisUpdate: Date
    let nextUpdate: Date?
    /// Revoked serial numbers, leading zero bytes removed.
    let revokedSerials: Set<[UInt8]>
    let signatureAlgorithm: Certificate.SignatureAlgorithm
    /// The DER of tbsCertList: what the signature covers.
    let signedBytes: [UInt8]
    let signature: [UInt8]

    struct Unusable: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    init(derEncoded der: [UInt8]) throws {
        let root = try DER.parse(der)
        let outer = try Self.children(root, "CertificateList")
        guard outer.count == 3 else { throw Unusable("CertificateList has \(outer.count) elements, not 3") }
        let tbsNode = outer[0]
        var tbs = try Self.children(tbsNode, "tbsCertList")[...]
        // version INTEGER OPTIONAL: v2 (1) when present; only v2 CRLs may carry extensions.
        var version = 0
        if let first = tbs.first, first.identifier == .integer {
            version = try Int(derEncoded: first)
            guard version == 1 else { throw Unusable("CRL version \(version + 1) (only v1 and v2 exist)") }
            tbs = tbs.dropFirst()
        }
        guard tbs.count >= 3 else { throw Unusable("tbsCertList is truncated") }
        let innerAlgorithm = try Self.algorithmOID(tbs.removeFirst())
        issuer = try DistinguishedName(derEncoded: tbs.removeFirst())
        thisUpdate = try Self.time(tbs.removeFirst())
        if let next = tbs.first, next.identifier == .utcTime || next.identifier == .generalizedTime {
            nextUpdate = try Self.time(next)
            tbs = tbs.dropFirst()
        } else {
            nextUpdate = nil
        }
        var serials = Set<[UInt8]>()
        if let list = tbs.first, list.identifier == .sequence {
            for entry in try Self.children(list, "revokedCertificates") {
                let fields = try Self.children(entry, "revoked entry")
                guard fields.count >= 2, fields.count <= 3 else { throw Unusable("a revoked entry is malformed") }
                let serial = try ArraySlice<UInt8>(derEncoded: fields[0])
                _ = try Self.time(fields[1])
                if fields.count == 3 {
                    guard version == 1 else { throw Unusable("a v1 CRL entry carries extensions") }
                    try Self.checkExtensions(fields[2], understood: [Self.reasonCode, Self.invalidityDate])
                }
                serials.insert(Self.normalized(serial))
            }
            tbs = tbs.dropFirst()
        }
        if let extensions = tbs.first {
            guard extensions.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific),
                version == 1
            else { throw Unusable("unexpected field after the revoked certificates") }
            guard case .constructed(let wrapped) = extensions.content, let inner = Array(wrapped).first else {
                throw Unusable("crlExtensions is malformed")
            }
            try Self.checkExtensions(inner, understood: [Self.authorityKeyIdentifier, Self.crlNumber])
            tbs = tbs.dropFirst()
        }
        guard tbs.isEmpty else { throw Unusable("tbsCertList has trailing fields") }
        revokedSerials = serials

        let outerAlgorithm = try Self.algorithmOID(outer[1])
        guard outerAlgorithm == innerAlgorithm else {
            throw Unusable("the signature algorithm inside the CRL differs from the one outside (RFC 5280 §5.1.1.2)")
        }
        guard let algorithm = Self.signatureAlgorithms[outerAlgorithm] else {
            throw Unusable(
                "signature algorithm \(outerAlgorithm) is not accepted (SHA-1 and unknown algorithms are not)")
        }
        signatureAlgorithm = algorithm
        let bits = try ASN1BitString(derEncoded: outer[2])
        guard bits.paddingBits == 0 else { throw Unusable("the signature BIT STRING has unused bits") }
        signature = Array(bits.bytes)
        signedBytes = Array(tbsNode.encodedBytes)
    }

    /// True when `issuerCertificate`'s key made this CRL's signature.
    func isSigned(by issuerCertificate: Certificate) -> Bool {
        issuerCertificate.subject == issuer
            && issuerCertificate.publicKey.isValidSignature(
                signature, for: signedBytes, signatureAlgorithm: signatureAlgorithm)
    }

    func revokes(_ serial: Certificate.SerialNumber) -> Bool {
        revokedSerials.contains(Self.normalized(serial.bytes))
    }

    // MARK: - Reading

    private static let authorityKeyIdentifier: ASN1ObjectIdentifier = [2, 5, 29, 35]
    private static let crlNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]
    private static let reasonCode: ASN1ObjectIdentifier = [2, 5, 29, 21]
    private static let invalidityDate: ASN1ObjectIdentifier = [2, 5, 29, 24]
    private static let names: [ASN1ObjectIdentifier: String] = [
        [2, 5, 29, 27]: "deltaCRLIndicator (delta CRLs are not supported)",
        [2, 5, 29, 28]: "issuingDistributionPoint (a partitioned CRL is not supported)",
        [2, 5, 29, 29]: "certificateIssuer (indirect CRLs are not supported)",
    ]

    private static let signatureAlgorithms: [ASN1ObjectIdentifier: Certificate.SignatureAlgorithm] = [
        [1, 2, 840, 10045, 4, 3, 2]: .ecdsaWithSHA256,
        [1, 2, 840, 10045, 4, 3, 3]: .ecdsaWithSHA384,
        [1, 2, 840, 10045, 4, 3, 4]: .ecdsaWithSHA512,
        [1, 2, 840, 113549, 1, 1, 11]: .sha256WithRSAEncryption,
        [1, 2, 840, 113549, 1, 1, 12]: .sha384WithRSAEncryption,
        [1, 2, 840, 113549, 1, 1, 13]: .sha512WithRSAEncryption,
        [1, 3, 101, 112]: .ed25519,
    ]

    private static func children(_ node: ASN1Node, _ what: String) throws -> [ASN1Node] {
        guard node.identifier == .sequence, case .constructed(let nodes) = node.content else {
            throw Unusable("\(what) is not a SEQUENCE")
        }
        return Array(nodes)
    }

    private static func algorithmOID(_ node: ASN1Node) throws -> ASN1ObjectIdentifier {
        let fields = try children(node, "AlgorithmIdentifier")
        guard let oid = fields.first else { throw Unusable("empty AlgorithmIdentifier") }
        return try ASN1ObjectIdentifier(derEncoded: oid)
    }

    /// Entries: any critical extension outside `understood` makes the CRL unusable, named.
    private static func checkExtensions(_ node: ASN1Node, understood: [ASN1ObjectIdentifier]) throws {
        for item in try children(node, "Extensions") {
            let fields = try children(item, "Extension")
            guard fields.count == 2 || fields.count == 3 else { throw Unusable("an extension is malformed") }
            let oid = try ASN1ObjectIdentifier(derEncoded: fields[0])
            let critical = fields.count == 3 ? try Bool(derEncoded: fields[1]) : false
            if critical && !understood.contains(oid) {
                throw Unusable("critical extension \(names[oid] ?? oid.description) is not understood")
            }
            if names[oid] != nil && !understood.contains(oid) {
                throw Unusable("extension \(names[oid]!) changes what the CRL covers")
            }
        }
    }

    private static func time(_ node: ASN1Node) throws -> Date {
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        if node.identifier == .utcTime {
            let time = try UTCTime(derEncoded: node)
            (components.year, components.month, components.day) = (time.year, time.month, time.day)
            (components.hour, components.minute, components.second) = (time.hours, time.minutes, time.seconds)
        } else if node.identifier == .generalizedTime {
            let time = try GeneralizedTime(derEncoded: node)
            (components.year, components.month, components.day) = (time.year, time.month, time.day)
            (components.hour, components.minute, components.second) = (time.hours, time.minutes, time.seconds)
        } else {
            throw Unusable("a time is neither UTCTime nor GeneralizedTime")
        }
        guard let date = Calendar(identifier: .gregorian).date(from: components) else {
            throw Unusable("a time is out of range")
        }
        return date
    }

    private static func normalized(_ serial: some Collection<UInt8>) -> [UInt8] {
        Array(serial.drop { $0 == 0 })
    }
}

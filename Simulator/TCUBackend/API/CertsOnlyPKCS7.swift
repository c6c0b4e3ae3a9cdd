import SwiftASN1

/// EST's response body (RFC 7030 §4.1.3, §4.2.3): a certs-only CMS SignedData (RFC 5652 §5) holding
/// `certificates` in the order given (the issued certificate first), with no content and no signers.
enum CertsOnlyPKCS7 {
    static func build(_ certificates: [[UInt8]]) throws -> [UInt8] {
        let explicitZero = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { contentInfo in
            try contentInfo.serialize(ASN1ObjectIdentifier(elements: [1, 2, 840, 113549, 1, 7, 2]))  // signedData
            try contentInfo.appendConstructedNode(identifier: explicitZero) { content in
                try content.appendConstructedNode(identifier: .sequence) { signedData in
                    try signedData.serialize(1)  // version
                    try signedData.appendConstructedNode(identifier: .set) { _ in }  // digestAlgorithms
                    try signedData.appendConstructedNode(identifier: .sequence) { encapsulated in
                        try encapsulated.serialize(ASN1ObjectIdentifier(elements: [1, 2, 840, 113549, 1, 7, 1]))
                    }
                    try signedData.appendConstructedNode(identifier: explicitZero) { set in  // [0] IMPLICIT SET OF
                        for certificate in certificates { set.serializeRawBytes(certificate) }
                    }
                    try signedData.appendConstructedNode(identifier: .set) { _ in }  // signerInfos
                }
            }
        }
        return serializer.serializedBytes
    }
}

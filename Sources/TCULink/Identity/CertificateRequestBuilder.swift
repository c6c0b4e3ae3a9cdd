import CWolfSSL

/// Builds a PKCS#10 certificate signing request (RFC 2986) for the device, signed
/// through the key store: the private key never leaves it.
///
/// The request carries the device profile of docs/certificate-profiles.md: subject
/// CN and serialNumber = the device id, and an extensionRequest for keyUsage
/// digitalSignature (critical) and extendedKeyUsage clientAuth. The CA decides what
/// it issues; the request says what the device asks for.
public enum CertificateRequestBuilder {
    /// Returns the CSR, DER. The id must be a PrintableString (letters, digits, space, ' ( ) + , - . / : = ?),
    /// as X.520 requires of serialNumber.
    public static func build<K: KeyStore>(deviceID: String, keyStore: inout K) throws(TCULinkError) -> [UInt8] {
        let id = Array(deviceID.utf8)
        guard !id.isEmpty, id.count <= 64, id.allSatisfy(isPrintable) else { throw TCULinkError(.invalidConfiguration) }
        let spki: [UInt8]
        do {
            spki = try keyStore.publicKey()
        } catch {
            throw TCULinkError(.keyStoreFailed)
        }
        let isRSA: Bool
        switch X509Certificate.publicKeyKind(subjectPublicKeyInfo: spki) {
        case .ecP256: isRSA = false
        case .rsa(let bits) where bits >= 2048: isRSA = true
        case .ecP384, .ecOtherCurve, .rsa, .other: throw TCULinkError(.invalidConfiguration)
        }

        let subject = DERBuilder.sequence(
            DERBuilder.tlv(
                DERTag.set,
                DERBuilder.sequence(
                    DERBuilder.tlv(DERTag.objectIdentifier, OID.commonName), DERBuilder.tlv(DERTag.utf8String, id))),
            DERBuilder.tlv(
                DERTag.set,
                DERBuilder.sequence(
                    DERBuilder.tlv(DERTag.objectIdentifier, OID.serialNumber),
                    DERBuilder.tlv(DERTag.printableString, id))))
        let keyUsage = DERBuilder.sequence(
            DERBuilder.tlv(DERTag.objectIdentifier, OID.keyUsage), DERBuilder.tlv(DERTag.boolean, [0xFF]),
            DERBuilder.tlv(DERTag.octetString, DERBuilder.tlv(DERTag.bitString, [0x07, 0x80])))  // digitalSignature
        let extendedKeyUsage = DERBuilder.sequence(
            DERBuilder.tlv(DERTag.objectIdentifier, OID.extendedKeyUsage),
            DERBuilder.tlv(
                DERTag.octetString, DERBuilder.sequence(DERBuilder.tlv(DERTag.objectIdentifier, OID.clientAuth))))
        let extensionRequest = DERBuilder.sequence(
            DERBuilder.tlv(DERTag.objectIdentifier, OID.extensionRequest),
            DERBuilder.tlv(DERTag.set, DERBuilder.sequence(keyUsage, extendedKeyUsage)))
        let info = DERBuilder.sequence(
            DERBuilder.integer(0), subject, spki, DERBuilder.tlv(0xA0, extensionRequest))

        var digest = [UInt8](repeating: 0, count: 32)
        let status = info.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                wc_Sha256Hash(input.baseAddress, UInt32(input.count), output.baseAddress)
            }
        }
        guard status == 0 else { throw TCULinkError(.tlsLibraryError, libraryCode: status) }

        let toSign = isRSA ? sha256DigestInfoPrefix + digest : digest
        var signature = [UInt8](repeating: 0, count: 512)
        var length = -1
        toSign.withUnsafeBytes { input in
            signature.withUnsafeMutableBytes { output in
                do throws(KeyStoreError) {
                    length = try keyStore.sign(isRSA ? .rsaPKCS1v15 : .ecdsa, input: input, into: output)
                } catch {
                    length = -1
                }
            }
        }
        guard length > 0, length <= signature.count else { throw TCULinkError(.keyStoreFailed) }
        let algorithm =
            isRSA
            ? DERBuilder.sequence(
                DERBuilder.tlv(DERTag.objectIdentifier, OID.sha256WithRSA), DERBuilder.tlv(DERTag.null, []))
            : DERBuilder.sequence(DERBuilder.tlv(DERTag.objectIdentifier, OID.ecdsaWithSHA256))
        return DERBuilder.sequence(
            info, algorithm, DERBuilder.tlv(DERTag.bitString, [0] + Array(signature[0..<length])))
    }

    /// DER DigestInfo for SHA-256, before the 32 digest bytes (RFC 8017 §9.2).
    static let sha256DigestInfoPrefix: [UInt8] = [
        0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
        0x20,
    ]

    private static func isPrintable(_ character: UInt8) -> Bool {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: " "), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "+"),
            UInt8(ascii: ","),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "="),
            UInt8(ascii: "?"):
            return true
        default:
            return false
        }
    }
}

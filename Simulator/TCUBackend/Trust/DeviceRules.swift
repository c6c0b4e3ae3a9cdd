import Foundation
import SwiftASN1
import TCUPKI
import X509

/// The rules a device certificate is held to, beyond RFC 5280's path rules (docs/certificate-profiles.md):
/// each returns the refusal it finds, or nil. Used by the chain policies of a full handshake and, on their
/// own, to judge the leaf of a resumed session again.
enum DeviceRules {
    static func validity(_ certificate: Certificate, at now: Date) -> ClientRefusal? {
        if now > certificate.notValidAfter { return .expired }
        if now < certificate.notValidBefore { return .notYetValid }
        return nil
    }

    /// Revocation of `certificate` by its issuer's CRL. The leaf's issuer must have published one; a CA
    /// certificate whose issuer has none here (the device CA under a root that publishes none) is accepted,
    /// as OpenSSL's `-crl_check` and mosquitto do.
    static func revocation(
        _ certificate: Certificate, isLeaf: Bool, crls: [DistinguishedName: CertificateRevocationList], at now: Date
    ) -> ClientRefusal? {
        guard let crl = crls[certificate.issuer] else {
            return isLeaf ? .crlMissing(issuer: displayName(certificate.issuer)) : nil
        }
        if let next = crl.nextUpdate, now > next { return .crlExpired(issuer: displayName(certificate.issuer)) }
        if crl.revokes(certificate.serialNumber) { return .revoked }
        return nil
    }

    /// The device profile: EKU clientAuth required, a key for signatures, not a CA.
    static func deviceProfile(_ leaf: Certificate) -> ClientRefusal? {
        guard let usages = try? leaf.extensions.extendedKeyUsage, usages.contains(.clientAuth) else {
            return .notClientAuth
        }
        if let constraints = try? leaf.extensions.basicConstraints, case .isCertificateAuthority = constraints {
            return .wrongKeyUsage("a CA certificate (basicConstraints cA) is presented as a device certificate")
        }
        if let usage = try? leaf.extensions.keyUsage {
            guard usage.digitalSignature else {
                return .wrongKeyUsage("keyUsage lacks digitalSignature, which signing the handshake needs")
            }
            if usage.keyCertSign { return .wrongKeyUsage("keyUsage keyCertSign: a CA key presented as a device's") }
        }
        return nil
    }

    /// RFC 5280 §4.2.1.3 for the CA certificates of the path, which swift-certificates does not enforce.
    static func issuerProfile(_ ca: Certificate) -> ClientRefusal? {
        if let usage = try? ca.extensions.keyUsage, !usage.keyCertSign {
            return .invalidChain("CA \"\(displayName(ca.subject))\" has keyUsage without keyCertSign")
        }
        return nil
    }

    /// The device id: the subject's one CN, equal to serialNumber when that is present, and a safe id
    /// (`DeviceID`); nil when there is none.
    static func identity(_ leaf: Certificate) -> String? {
        let names = attributes(leaf.subject, .RDNAttributeType.commonName)
        let serials = attributes(leaf.subject, [2, 5, 4, 5])
        guard names.count == 1, let id = names.first, DeviceID.isValid(id), serials.count <= 1,
            serials.first == nil || serials.first == id
        else { return nil }
        return id
    }

    /// The CN for the log (the whole name when there is none).
    static func displayName(_ name: DistinguishedName) -> String {
        attributes(name, .RDNAttributeType.commonName).first ?? name.description
    }

    private static func attributes(_ name: DistinguishedName, _ type: ASN1ObjectIdentifier) -> [String] {
        name.flatMap { $0 }.filter { $0.type == type }.map { String($0.value) ?? "\($0.value)" }
    }
}

import Foundation
import TCULink

/// Checks a certificate against the TLS client (device) or server profile, finding by finding.
///
/// The profiles are those of docs/certificate-profiles.md: a device certificate carries
/// EKU clientAuth, keyUsage digitalSignature and its identity in CN / serialNumber, and
/// no dNSName; a server certificate carries EKU serverAuth and a SAN naming the host.
public enum CertificateLint {
    public enum Role: String, CaseIterable, Sendable { case client, server }

    public struct Finding: Equatable, Sendable {
        public enum Severity: String, Sendable { case pass = "PASS", warning = "WARN", error = "FAIL" }
        public let severity: Severity
        public let message: String
    }

    /// Findings for the first certificate in `data` (PEM or DER).
    public static func lint(_ data: [UInt8], as role: Role, at now: Int64 = Int64(Date().timeIntervalSince1970))
        -> [Finding]
    {
        guard let blocks = PEM.decodeAll(data), let first = blocks.first else {
            return [Finding(severity: .error, message: "no certificate found (expected PEM or DER)")]
        }
        guard let certificate = X509Certificate(der: first) else {
            return [Finding(severity: .error, message: "the certificate is malformed and cannot be parsed")]
        }
        var findings: [Finding] = []
        func pass(_ message: String) { findings.append(Finding(severity: .pass, message: message)) }
        func warn(_ message: String) { findings.append(Finding(severity: .warning, message: message)) }
        func fail(_ message: String) { findings.append(Finding(severity: .error, message: message)) }

        // basicConstraints
        if certificate.isCertificateAuthority {
            fail("basicConstraints says CA:true: a CA certificate must not be used as a TLS \(role.rawValue) leaf")
        } else {
            pass("not a CA certificate")
        }

        // extendedKeyUsage
        let purpose = role == .client ? "clientAuth" : "serverAuth"
        let has = role == .client ? certificate.allowsClientAuth : certificate.allowsServerAuth
        if certificate.extendedKeyUsage == nil {
            fail("no extendedKeyUsage: \(purpose) is required (RFC 5280 would allow any purpose; TCULink does not)")
        } else if has {
            pass("extendedKeyUsage includes \(purpose)")
        } else {
            let other = role == .client ? certificate.allowsServerAuth : certificate.allowsClientAuth
            fail(
                "extendedKeyUsage lacks \(purpose)"
                    + (other ? " (it is a \(role == .client ? "server" : "client") certificate)" : ""))
        }

        // keyUsage
        if let keyUsage = certificate.keyUsage {
            if keyUsage & 0x8000 != 0 {
                pass("keyUsage includes digitalSignature")
            } else {
                fail("keyUsage lacks digitalSignature, needed to sign the TLS handshake")
            }
            if keyUsage & 0x0400 != 0 { fail("keyUsage includes keyCertSign on a leaf") }
        } else {
            warn("no keyUsage extension (digitalSignature expected)")
        }

        // names
        switch role {
        case .client:
            // As tcu-backend maps it: the identity is the CN; a serialNumber, if present, must agree.
            let commonName = certificate.subject.commonName
            let serial = certificate.subject.serialNumber
            if commonName == nil || commonName?.isEmpty == true {
                fail(
                    "subject has no CN: the backend has no device identity to map"
                        + (serial != nil ? " (serialNumber alone is not used)" : ""))
            } else if let serial, serial != commonName {
                fail("subject CN and serialNumber differ: the backend refuses an ambiguous identity")
            } else {
                pass("device identity in subject: " + certificate.subject.text)
            }
            if !certificate.dnsNames.isEmpty {
                warn(
                    "subjectAltName has dNSName entries: a device is not a host name, and a server must not treat them as identity"
                )
            }
        case .server:
            if !certificate.hasSubjectAltName {
                fail("no subjectAltName: clients match the host name against the SAN, not the CN")
            } else if certificate.dnsNames.isEmpty && certificate.ipAddresses.isEmpty {
                fail("subjectAltName has no dNSName or iPAddress")
            } else {
                let names =
                    certificate.dnsNames.map { String(decoding: $0, as: UTF8.self) }
                    + certificate.ipAddresses.map { $0.map(String.init).joined(separator: ".") }
                pass("subjectAltName names " + names.joined(separator: ", "))
            }
        }

        // validity
        if now < certificate.notBefore {
            fail("not yet valid (notBefore \(Date(timeIntervalSince1970: TimeInterval(certificate.notBefore))))")
        } else if now > certificate.notAfter {
            fail("expired (notAfter \(Date(timeIntervalSince1970: TimeInterval(certificate.notAfter))))")
        } else {
            let daysLeft = (certificate.notAfter - now) / 86_400
            pass("valid now, \(daysLeft) days left")
        }
        if role == .server && certificate.notAfter - certificate.notBefore > 398 * 86_400 {
            warn("validity longer than 398 days (public CAs may not issue this; fine for a private backend)")
        }

        // key
        switch certificate.publicKey {
        case .ecP256: pass("key: ECDSA P-256")
        case .ecP384: pass("key: ECDSA P-384")
        case .ecOtherCurve: warn("key: an elliptic curve other than P-256/P-384; check the peer supports it")
        case .rsa(let bits):
            if bits < 2048 {
                fail("key: RSA-\(bits) is too short (2048 bits minimum)")
            } else {
                pass("key: RSA-\(bits)")
            }
        case .other: warn("key: an algorithm TCULink does not sign with (ECDSA or RSA expected)")
        }
        return findings
    }

    public static func passed(_ findings: [Finding]) -> Bool {
        !findings.contains { $0.severity == .error }
    }
}

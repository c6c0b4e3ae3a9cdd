import CWolfSSL
import TCULink

/// Why the backend refused a device, for its log. Each has its own reason word.
public enum ClientRefusal: Equatable, Sendable {
    case noClientCertificate
    case unknownCA
    case expired
    case notYetValid
    case revoked
    /// A CRL is configured, but none was loaded from the CA that issued the device's certificate (named).
    case crlMissing(issuer: String)
    case notClientAuth
    case noIdentity
    case unregistered
    case handshakeTimeout
    /// The device sent an alert: it refused us (our certificate, our name) or gave up.
    case clientAlert(Int32)
    case tlsError(Int32)

    public var word: String {
        switch self {
        case .noClientCertificate: return "no-client-certificate"
        case .unknownCA: return "unknown-ca"
        case .expired: return "expired"
        case .notYetValid: return "not-yet-valid"
        case .revoked: return "revoked"
        case .crlMissing: return "crl-missing"
        case .notClientAuth: return "not-client-auth"
        case .noIdentity: return "no-identity"
        case .unregistered: return "unregistered"
        case .handshakeTimeout: return "handshake-timeout"
        case .clientAlert: return "client-alert"
        case .tlsError: return "tls-error"
        }
    }

    public var explanation: String {
        switch self {
        case .noClientCertificate: return "the client sent no certificate; mutual TLS is required"
        case .unknownCA: return "the certificate does not chain to the client CA"
        case .expired: return "the certificate has expired"
        case .notYetValid: return "the certificate is not yet valid"
        case .revoked: return "the certificate is revoked (on the device CA's CRL)"
        case .crlMissing(let issuer):
            return
                "issuer=\"\(issuer)\": the backend has no CRL from the CA that issued this certificate; add that CA's CRL to --crl"
        case .notClientAuth:
            return "the certificate's extendedKeyUsage lacks clientAuth (a server certificate used as a client one?)"
        case .noIdentity:
            return "the certificate's subject has no CN to identify the device (or CN and serialNumber differ)"
        case .unregistered: return "the certificate is valid but its identity is not in the device registry"
        case .handshakeTimeout: return "the client did not complete the handshake in time"
        case .clientAlert(let alert):
            return
                "the client ended the handshake with alert \(alert) (\(TLSAlert(code: UInt8(clamping: alert)).name)); it may have refused the backend's certificate"
        case .tlsError(let code): return "the TLS handshake failed (wolfSSL \(code))"
        }
    }

    /// wolfSSL's verdict on one client certificate (OpenSSL's X509_V_ERR numbers on
    /// Debian's build, wolfSSL's own codes otherwise).
    static func fromVerifyError(_ code: Int32) -> ClientRefusal {
        switch code {
        case 2, 18, 19, 20, 21, wolfCodeNoSigner: return .unknownCA
        case 10, 14, wolfCodeAfterDate: return .expired
        case 9, 13, wolfCodeBeforeDate: return .notYetValid
        case 23, wolfCodeRevoked: return .revoked
        case 26, wolfCodeExtKeyUsage: return .notClientAuth
        default: return .tlsError(code)
        }
    }
}

let wolfCodeNoSigner = Int32(ASN_NO_SIGNER_E)
let wolfCodeAfterDate = Int32(ASN_AFTER_DATE_E)
let wolfCodeBeforeDate = Int32(ASN_BEFORE_DATE_E)
let wolfCodeRevoked = CRL_CERT_REVOKED.rawValue
let wolfCodeCRLMissing = CRL_MISSING.rawValue
let wolfCodeExtKeyUsage = EXTKEYUSE_AUTH_E.rawValue

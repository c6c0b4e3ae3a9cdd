/// Why the backend refused a device, for its log. Each has its own reason word.
public enum ClientRefusal: Equatable, Sendable {
    case noClientCertificate
    case unknownCA
    case expired
    case notYetValid
    case revoked
    /// A CRL is configured, but none was loaded from the CA that issued the device's certificate (named).
    case crlMissing(issuer: String)
    /// The CRL of the named CA is past its nextUpdate: revocation cannot be judged.
    case crlExpired(issuer: String)
    case notClientAuth
    /// keyUsage present without digitalSignature, or a CA certificate used as a device's.
    case wrongKeyUsage(String)
    case noIdentity
    case unregistered
    /// The chain broke an RFC 5280 rule the other reasons do not name (swift-certificates' words).
    case invalidChain(String)
    case handshakeTimeout
    /// The device sent an alert: it refused us (our certificate, our name) or gave up.
    case clientAlert(code: Int, name: String)
    /// The handshake failed for a TLS reason (BoringSSL's name for it).
    case tlsError(String)

    public var word: String {
        switch self {
        case .noClientCertificate: return "no-client-certificate"
        case .unknownCA: return "unknown-ca"
        case .expired: return "expired"
        case .notYetValid: return "not-yet-valid"
        case .revoked: return "revoked"
        case .crlMissing: return "crl-missing"
        case .crlExpired: return "crl-expired"
        case .notClientAuth: return "not-client-auth"
        case .wrongKeyUsage: return "key-usage"
        case .noIdentity: return "no-identity"
        case .unregistered: return "unregistered"
        case .invalidChain: return "invalid-chain"
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
        case .revoked: return "the certificate is revoked (on its issuer's CRL)"
        case .crlMissing(let issuer):
            return
                "issuer=\"\(issuer)\": the backend has no CRL from the CA that issued this certificate; add that CA's CRL to --crl"
        case .crlExpired(let issuer):
            return "issuer=\"\(issuer)\": that CA's CRL is past its nextUpdate; publish a fresh one"
        case .notClientAuth:
            return "the certificate's extendedKeyUsage lacks clientAuth (a server certificate used as a client one?)"
        case .wrongKeyUsage(let detail): return detail
        case .noIdentity:
            return "the certificate's subject has no usable CN to identify the device (or CN and serialNumber differ)"
        case .unregistered: return "the certificate is valid but its identity is not in the device registry"
        case .invalidChain(let detail): return "the chain breaks RFC 5280: \(detail)"
        case .handshakeTimeout: return "the client did not complete the handshake in time"
        case .clientAlert(let code, let name):
            return
                "the client ended the handshake with alert \(code) (\(name)); it may have refused the backend's certificate"
        case .tlsError(let detail): return "the TLS handshake failed (\(detail))"
        }
    }
}

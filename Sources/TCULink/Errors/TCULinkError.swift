/// Why a connection failed, in terms a field engineer can act on.
///
/// Every failure the core reports is one of these. `reason` says which side
/// refused what; `alert` carries the TLS alert the peer sent, when it sent one;
/// `libraryCode` keeps wolfSSL's own number for the log, never as the only word.
/// Two errors are equal when their reason and alert are equal, which keeps tests simple.
public struct TCULinkError: Error, Equatable, Sendable {
    public var reason: Reason
    /// The alert the peer sent, if the failure came as an alert.
    public var alert: TLSAlert?
    /// wolfSSL's error number behind this failure, 0 when there is none.
    public var libraryCode: Int32
    /// Position in the server's chain (0 = leaf) of the certificate at fault, -1 when not about a certificate.
    public var certificateDepth: Int8

    public init(_ reason: Reason, alert: TLSAlert? = nil, libraryCode: Int32 = 0, certificateDepth: Int8 = -1) {
        self.reason = reason
        self.alert = alert
        self.libraryCode = libraryCode
        self.certificateDepth = certificateDepth
    }

    public static func == (lhs: TCULinkError, rhs: TCULinkError) -> Bool {
        lhs.reason == rhs.reason && lhs.alert == rhs.alert
    }

    /// One line a person can read: the reason, and the peer's alert if any.
    public var summary: StaticString { reason.summary }

    /// The taxonomy. Add cases at the end; raw values are part of the C API.
    public enum Reason: UInt8, Equatable, Sendable {
        // Our verdict on the server's certificate chain.
        case unknownCA = 1
        case certificateExpired = 2
        case certificateNotYetValid = 3
        case clockNotSet = 4
        case serverNameMismatch = 5
        case serverCertificateLacksServerAuth = 6
        case certificateSignatureInvalid = 7
        case certificateMalformed = 8
        case serverSentNoCertificate = 9
        case intermediateNotCA = 10
        case pathLengthExceeded = 11
        case issuerNotAllowedToSign = 12
        case nameConstraintViolated = 13
        case nameConstraintUnsupported = 14
        case weakSignatureAlgorithm = 15
        case weakKey = 16
        case unsupportedCriticalExtension = 17
        case serverKeyUsageForbidsSigning = 18
        case intermediateLacksServerAuth = 19
        // The peer's verdict on us, or other alerts it sent.
        case peerRejectedCertificate = 20
        case peerAlert = 21
        case peerClosedDuringHandshake = 22
        // Negotiation.
        case protocolVersionMismatch = 30
        case noSharedCipherSuite = 31
        case handshakeFailed = 32
        case recordIntegrityFailed = 33
        case cipherSuiteNotAllowed = 34
        // Time limits.
        case connectTimeout = 40
        case handshakeTimeout = 41
        case ioTimeout = 42
        // Transport.
        case connectionRefused = 50
        case connectionReset = 51
        case hostUnreachable = 52
        case nameResolutionFailed = 53
        case connectionClosed = 54
        case transportFailed = 55
        // Our own side.
        case keyStoreFailed = 60
        case keyDoesNotMatchCertificate = 61
        case invalidConfiguration = 62
        case invalidState = 63
        case tlsLibraryError = 64
        case outOfMemory = 65
        case entropyFailed = 66
        case storageFailed = 67
        // More verdicts on the server's certificate chain.
        case serverCertificateIsCA = 70

        /// A one-line human description.
        public var summary: StaticString {
            switch self {
            case .unknownCA: return "server certificate does not chain to a trusted CA"
            case .certificateExpired: return "server certificate has expired (by the device clock)"
            case .certificateNotYetValid: return "server certificate is not yet valid (by the device clock)"
            case .clockNotSet: return "device clock is not set, so certificate validity cannot be judged"
            case .serverNameMismatch: return "server certificate does not name the host that was dialled"
            case .serverCertificateLacksServerAuth: return "server certificate lacks extendedKeyUsage serverAuth"
            case .certificateSignatureInvalid: return "a signature in the server's certificate chain does not verify"
            case .certificateMalformed: return "a certificate in the server's chain is not well-formed DER X.509"
            case .serverSentNoCertificate: return "server did not authenticate with a verified certificate"
            case .intermediateNotCA: return "a certificate above the server leaf is not a CA certificate"
            case .pathLengthExceeded: return "the server's chain is longer than a CA's pathLenConstraint allows"
            case .issuerNotAllowedToSign: return "a CA in the server's chain lacks keyUsage keyCertSign"
            case .nameConstraintViolated: return "a name in the server's chain is outside a CA's name constraints"
            case .nameConstraintUnsupported:
                return "a CA in the server's chain has a name constraint the device cannot evaluate"
            case .weakSignatureAlgorithm:
                return "a certificate in the server's chain is signed with a weak or unknown algorithm (MD5, SHA-1)"
            case .weakKey:
                return "a key in the server's chain is too weak or of a refused kind (RSA < 2048, EC not P-256/384)"
            case .unsupportedCriticalExtension:
                return "a certificate in the server's chain has a critical extension the device does not process"
            case .serverKeyUsageForbidsSigning: return "server certificate's keyUsage lacks digitalSignature"
            case .intermediateLacksServerAuth:
                return "a CA in the server's chain restricts extendedKeyUsage to purposes other than serverAuth"
            case .peerRejectedCertificate: return "server rejected the device certificate"
            case .peerAlert: return "server ended the handshake with an alert"
            case .peerClosedDuringHandshake: return "server closed the connection during the handshake"
            case .protocolVersionMismatch: return "no TLS version in common with the server"
            case .noSharedCipherSuite: return "no cipher suite or signature scheme in common with the server"
            case .handshakeFailed: return "TLS handshake failed"
            case .recordIntegrityFailed: return "a TLS record failed its integrity check (data corrupted on the link?)"
            case .cipherSuiteNotAllowed: return "the server chose a cipher suite the device does not offer"
            case .connectTimeout: return "timed out connecting to the server"
            case .handshakeTimeout: return "timed out during the TLS handshake"
            case .ioTimeout: return "timed out waiting for the server"
            case .connectionRefused: return "connection refused by the server host"
            case .connectionReset: return "connection reset by the peer"
            case .hostUnreachable: return "server host unreachable"
            case .nameResolutionFailed: return "server host name could not be resolved"
            case .connectionClosed: return "connection closed by the server"
            case .transportFailed: return "transport failed"
            case .keyStoreFailed: return "key store could not sign with the device key"
            case .keyDoesNotMatchCertificate: return "device private key does not match the device certificate"
            case .invalidConfiguration: return "invalid configuration"
            case .invalidState: return "operation not valid in the connection's current state"
            case .tlsLibraryError: return "TLS library error"
            case .outOfMemory: return "out of memory"
            case .entropyFailed: return "entropy source failed"
            case .storageFailed: return "persistent store failed"
            case .serverCertificateIsCA:
                return "server certificate is a CA certificate (cA or keyCertSign), not a server's"
            }
        }

        /// Failures that retrying will not cure without someone changing something
        /// (a certificate, the trust store, the configuration).
        public var isPermanent: Bool {
            switch self {
            case .unknownCA, .certificateExpired, .certificateNotYetValid, .serverNameMismatch,
                .serverCertificateLacksServerAuth, .certificateSignatureInvalid, .certificateMalformed,
                .serverSentNoCertificate, .intermediateNotCA, .pathLengthExceeded, .issuerNotAllowedToSign,
                .nameConstraintViolated, .nameConstraintUnsupported, .weakSignatureAlgorithm, .weakKey,
                .unsupportedCriticalExtension, .serverKeyUsageForbidsSigning, .intermediateLacksServerAuth,
                .peerRejectedCertificate, .protocolVersionMismatch, .noSharedCipherSuite, .cipherSuiteNotAllowed,
                .keyDoesNotMatchCertificate, .invalidConfiguration, .serverCertificateIsCA:
                return true
            case .clockNotSet, .peerAlert, .peerClosedDuringHandshake, .handshakeFailed, .recordIntegrityFailed,
                .connectTimeout,
                .handshakeTimeout, .ioTimeout, .connectionRefused, .connectionReset, .hostUnreachable,
                .nameResolutionFailed, .connectionClosed, .transportFailed, .keyStoreFailed, .invalidState,
                .tlsLibraryError, .outOfMemory, .entropyFailed, .storageFailed:
                return false
            }
        }
    }
}

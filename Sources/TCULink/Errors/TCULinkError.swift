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
    /// What the key store said, when the failure was its (`keyStoreFailed`): the HAL's own detail.
    public var keyStoreError: KeyStoreError? = nil

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

    /// The taxonomy: a reason is a stable number (part of the C API, `TCU_REASON_*` in
    /// BoardSupport/include/tculink_reasons.h) with a name, a one-line summary and whether
    /// retrying can cure it. A struct rather than an enum (as swift-certificates' error codes),
    /// so that a reason added in a later release does not break a client's `switch`.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt8

        private init(_ rawValue: UInt8) { self.rawValue = rawValue }

        /// The reason with this number; nil for a number no release has given out.
        public init?(rawValue: UInt8) {
            guard Reason.entry(rawValue) != nil else { return nil }
            self.rawValue = rawValue
        }

        // Our verdict on the server's certificate chain.
        public static let unknownCA = Reason(1)
        public static let certificateExpired = Reason(2)
        public static let certificateNotYetValid = Reason(3)
        public static let clockNotSet = Reason(4)
        public static let serverNameMismatch = Reason(5)
        public static let serverCertificateLacksServerAuth = Reason(6)
        public static let certificateSignatureInvalid = Reason(7)
        public static let certificateMalformed = Reason(8)
        public static let serverSentNoCertificate = Reason(9)
        public static let intermediateNotCA = Reason(10)
        public static let pathLengthExceeded = Reason(11)
        public static let issuerNotAllowedToSign = Reason(12)
        public static let nameConstraintViolated = Reason(13)
        public static let nameConstraintUnsupported = Reason(14)
        public static let weakSignatureAlgorithm = Reason(15)
        public static let weakKey = Reason(16)
        public static let unsupportedCriticalExtension = Reason(17)
        public static let serverKeyUsageForbidsSigning = Reason(18)
        public static let intermediateLacksServerAuth = Reason(19)

        // The peer's verdict on us, or other alerts it sent.
        public static let peerRejectedCertificate = Reason(20)
        public static let peerAlert = Reason(21)
        public static let peerClosedDuringHandshake = Reason(22)

        // Negotiation.
        public static let protocolVersionMismatch = Reason(30)
        public static let noSharedCipherSuite = Reason(31)
        public static let handshakeFailed = Reason(32)
        public static let recordIntegrityFailed = Reason(33)
        public static let cipherSuiteNotAllowed = Reason(34)
        /// The server's TLS 1.3 CertificateVerify names a scheme its key cannot sign with (RFC 8446 4.2.3).
        public static let signatureSchemeMismatch = Reason(35)

        // Time limits.
        public static let connectTimeout = Reason(40)
        public static let handshakeTimeout = Reason(41)
        public static let ioTimeout = Reason(42)

        // Transport.
        public static let connectionRefused = Reason(50)
        public static let connectionReset = Reason(51)
        public static let hostUnreachable = Reason(52)
        public static let nameResolutionFailed = Reason(53)
        public static let connectionClosed = Reason(54)
        public static let transportFailed = Reason(55)

        // Our own side.
        public static let keyStoreFailed = Reason(60)
        public static let keyDoesNotMatchCertificate = Reason(61)
        public static let invalidConfiguration = Reason(62)
        public static let invalidState = Reason(63)
        public static let tlsLibraryError = Reason(64)
        public static let outOfMemory = Reason(65)
        public static let entropyFailed = Reason(66)
        public static let storageFailed = Reason(67)
        public static let renewalRefused = Reason(68)
        /// A C API call given a NULL pointer it needs, or a value outside the ones it takes.
        public static let invalidArgument = Reason(69)

        // More verdicts on the server's certificate chain.
        public static let serverCertificateIsCA = Reason(70)

        // MQTT over the TLS connection.
        public static let mqttNotAuthorized = Reason(80)
        public static let mqttIdentifierRejected = Reason(81)
        public static let mqttServerUnavailable = Reason(82)
        public static let mqttMalformedPacket = Reason(83)
        public static let mqttPacketTooLarge = Reason(84)
        public static let mqttKeepAliveTimeout = Reason(85)
        public static let mqttAcknowledgementTimeout = Reason(86)
        public static let mqttSubscriptionRefused = Reason(87)
        public static let mqttExactlyOnceUnsupported = Reason(88)
        public static let mqttInvalidTopic = Reason(89)
        public static let mqttUnexpectedPacket = Reason(90)
        public static let mqttTooManyInFlight = Reason(91)
        public static let mqttOutboxFull = Reason(92)

        /// The name in code and logs (`unknownCA`).
        public var name: StaticString { Reason.entry(rawValue)?.name ?? "unknownReason" }

        /// A one-line human description.
        public var summary: StaticString { Reason.entry(rawValue)?.summary ?? "unknown reason" }

        /// Failures that retrying will not cure without someone changing something
        /// (a certificate, the trust store, the configuration).
        public var isPermanent: Bool { Reason.entry(rawValue)?.permanent ?? false }

        public var description: String { name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } }

        /// Every reason given out so far, in number order.
        public static var all: [Reason] {
            var reasons: [Reason] = []
            for raw in UInt8.min...UInt8.max where entry(raw) != nil { reasons.append(Reason(raw)) }
            return reasons
        }

        private struct Entry {
            let name: StaticString
            let summary: StaticString
            let permanent: Bool
        }

        /// One place for each reason's words. Numbers are never reused; add new ones at the end of a group's range.
        private static func entry(_ rawValue: UInt8) -> Entry? {
            switch rawValue {
            case 1:
                return Entry(
                    name: "unknownCA", summary: "server certificate does not chain to a trusted CA", permanent: true)
            case 2:
                return Entry(
                    name: "certificateExpired", summary: "server certificate has expired (by the device clock)",
                    permanent: true)
            case 3:
                return Entry(
                    name: "certificateNotYetValid",
                    summary: "server certificate is not yet valid (by the device clock)", permanent: true)
            case 4:
                return Entry(
                    name: "clockNotSet", summary: "device clock is not set, so certificate validity cannot be judged",
                    permanent: false)
            case 5:
                return Entry(
                    name: "serverNameMismatch", summary: "server certificate does not name the host that was dialled",
                    permanent: true)
            case 6:
                return Entry(
                    name: "serverCertificateLacksServerAuth",
                    summary: "server certificate lacks extendedKeyUsage serverAuth", permanent: true)
            case 7:
                return Entry(
                    name: "certificateSignatureInvalid",
                    summary: "a signature in the server's certificate chain does not verify", permanent: true)
            case 8:
                return Entry(
                    name: "certificateMalformed",
                    summary: "a certificate in the server's chain is not well-formed DER X.509", permanent: true)
            case 9:
                return Entry(
                    name: "serverSentNoCertificate", summary: "server did not authenticate with a verified certificate",
                    permanent: true)
            case 10:
                return Entry(
                    name: "intermediateNotCA", summary: "a certificate above the server leaf is not a CA certificate",
                    permanent: true)
            case 11:
                return Entry(
                    name: "pathLengthExceeded",
                    summary: "the server's chain is longer than a CA's pathLenConstraint allows", permanent: true)
            case 12:
                return Entry(
                    name: "issuerNotAllowedToSign", summary: "a CA in the server's chain lacks keyUsage keyCertSign",
                    permanent: true)
            case 13:
                return Entry(
                    name: "nameConstraintViolated",
                    summary: "a name in the server's chain is outside a CA's name constraints", permanent: true)
            case 14:
                return Entry(
                    name: "nameConstraintUnsupported",
                    summary: "a CA in the server's chain has a name constraint the device cannot evaluate",
                    permanent: true)
            case 15:
                return Entry(
                    name: "weakSignatureAlgorithm",
                    summary:
                        "a certificate in the server's chain is signed with a weak or unknown algorithm (MD5, SHA-1)",
                    permanent: true)
            case 16:
                return Entry(
                    name: "weakKey",
                    summary:
                        "a key in the server's chain is too weak or of a refused kind (RSA < 2048, EC not P-256/384)",
                    permanent: true)
            case 17:
                return Entry(
                    name: "unsupportedCriticalExtension",
                    summary: "a certificate in the server's chain has a critical extension the device does not process",
                    permanent: true)
            case 18:
                return Entry(
                    name: "serverKeyUsageForbidsSigning",
                    summary: "server certificate's keyUsage lacks digitalSignature", permanent: true)
            case 19:
                return Entry(
                    name: "intermediateLacksServerAuth",
                    summary: "a CA in the server's chain restricts extendedKeyUsage to purposes other than serverAuth",
                    permanent: true)
            case 20:
                return Entry(
                    name: "peerRejectedCertificate", summary: "server rejected the device certificate", permanent: true)
            case 21:
                return Entry(name: "peerAlert", summary: "server ended the handshake with an alert", permanent: false)
            case 22:
                return Entry(
                    name: "peerClosedDuringHandshake", summary: "server closed the connection during the handshake",
                    permanent: false)
            case 30:
                return Entry(
                    name: "protocolVersionMismatch", summary: "no TLS version in common with the server",
                    permanent: true)
            case 31:
                return Entry(
                    name: "noSharedCipherSuite",
                    summary: "no cipher suite or signature scheme in common with the server", permanent: true)
            case 32: return Entry(name: "handshakeFailed", summary: "TLS handshake failed", permanent: false)
            case 33:
                return Entry(
                    name: "recordIntegrityFailed",
                    summary: "a TLS record failed its integrity check (data corrupted on the link?)", permanent: false)
            case 34:
                return Entry(
                    name: "cipherSuiteNotAllowed", summary: "the server chose a cipher suite the device does not offer",
                    permanent: true)
            case 35:
                return Entry(
                    name: "signatureSchemeMismatch",
                    summary: "the server signed the handshake with a scheme its key's curve does not allow",
                    permanent: true)
            case 40:
                return Entry(name: "connectTimeout", summary: "timed out connecting to the server", permanent: false)
            case 41:
                return Entry(name: "handshakeTimeout", summary: "timed out during the TLS handshake", permanent: false)
            case 42: return Entry(name: "ioTimeout", summary: "timed out waiting for the server", permanent: false)
            case 50:
                return Entry(
                    name: "connectionRefused", summary: "connection refused by the server host", permanent: false)
            case 51: return Entry(name: "connectionReset", summary: "connection reset by the peer", permanent: false)
            case 52: return Entry(name: "hostUnreachable", summary: "server host unreachable", permanent: false)
            case 53:
                return Entry(
                    name: "nameResolutionFailed", summary: "server host name could not be resolved", permanent: false)
            case 54:
                return Entry(name: "connectionClosed", summary: "connection closed by the server", permanent: false)
            case 55: return Entry(name: "transportFailed", summary: "transport failed", permanent: false)
            case 60:
                return Entry(
                    name: "keyStoreFailed", summary: "key store could not sign with the device key", permanent: false)
            case 61:
                return Entry(
                    name: "keyDoesNotMatchCertificate",
                    summary: "device private key does not match the device certificate", permanent: true)
            case 62: return Entry(name: "invalidConfiguration", summary: "invalid configuration", permanent: true)
            case 63:
                return Entry(
                    name: "invalidState", summary: "operation not valid in the connection's current state",
                    permanent: false)
            case 64: return Entry(name: "tlsLibraryError", summary: "TLS library error", permanent: false)
            case 65: return Entry(name: "outOfMemory", summary: "out of memory", permanent: false)
            case 66: return Entry(name: "entropyFailed", summary: "entropy source failed", permanent: false)
            case 67: return Entry(name: "storageFailed", summary: "persistent store failed", permanent: false)
            case 68:
                return Entry(
                    name: "renewalRefused",
                    summary: "the backend refused the certificate renewal, or did not accept the new certificate",
                    permanent: false)
            case 69:
                return Entry(
                    name: "invalidArgument",
                    summary: "invalid argument (a NULL pointer or a value the call does not take)",
                    permanent: true)
            case 70:
                return Entry(
                    name: "serverCertificateIsCA",
                    summary: "server certificate is a CA certificate (cA or keyCertSign), not a server's",
                    permanent: true)
            case 80:
                return Entry(
                    name: "mqttNotAuthorized",
                    summary: "MQTT broker refused the connection: not authorized (CONNACK 4 or 5)", permanent: true)
            case 81:
                return Entry(
                    name: "mqttIdentifierRejected",
                    summary: "MQTT broker refused the protocol level or the client id (CONNACK 1 or 2)", permanent: true
                )
            case 82:
                return Entry(
                    name: "mqttServerUnavailable", summary: "MQTT broker unavailable (CONNACK 3)", permanent: false)
            case 83:
                return Entry(
                    name: "mqttMalformedPacket", summary: "MQTT broker sent bytes that are not an MQTT 3.1.1 packet",
                    permanent: false)
            case 84:
                return Entry(
                    name: "mqttPacketTooLarge", summary: "MQTT packet larger than the buffer configured for it",
                    permanent: true)
            case 85:
                return Entry(
                    name: "mqttKeepAliveTimeout", summary: "MQTT broker did not answer PINGREQ in time: link dead",
                    permanent: false)
            case 86:
                return Entry(
                    name: "mqttAcknowledgementTimeout",
                    summary: "MQTT broker did not acknowledge a packet in time", permanent: false)
            case 87:
                return Entry(
                    name: "mqttSubscriptionRefused", summary: "MQTT broker refused a subscription (SUBACK 0x80)",
                    permanent: true)
            case 88:
                return Entry(
                    name: "mqttExactlyOnceUnsupported",
                    summary: "MQTT QoS 2 (exactly once) is not supported (nor by Azure or AWS)",
                    permanent: true)
            case 89:
                return Entry(
                    name: "mqttInvalidTopic", summary: "MQTT topic name or filter breaks the topic rules",
                    permanent: true)
            case 90:
                return Entry(
                    name: "mqttUnexpectedPacket", summary: "MQTT broker sent a packet out of sequence",
                    permanent: false)
            case 91:
                return Entry(
                    name: "mqttTooManyInFlight",
                    summary: "too many MQTT publishes awaiting acknowledgement: try again after one", permanent: false)
            case 92:
                return Entry(
                    name: "mqttOutboxFull",
                    summary: "the MQTT outbox is full of unacknowledged messages: publish refused, none dropped",
                    permanent: false)
            default: return nil
            }
        }
    }
}

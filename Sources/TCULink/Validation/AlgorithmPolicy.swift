/// Which keys and signature algorithms the device accepts anywhere in a server's chain.
///
/// The defaults follow the CA/Browser Forum Baseline Requirements §6.1.5 and §7.1.3.2:
/// RSA keys of at least 2048 bits, EC keys on P-256 or P-384, signatures with SHA-256,
/// SHA-384 or SHA-512 (never MD5, SHA-1 or SHA-224). A fleet may tighten them (a larger
/// RSA minimum, P-384 refused); it cannot loosen them: a smaller RSA minimum is raised
/// to the default.
public struct AlgorithmPolicy: Equatable, Sendable {
    public static let defaultMinimumRSABits = 2048

    /// The smallest RSA modulus accepted, in bits.
    public let minimumRSABits: Int
    /// EC keys on P-384 are accepted (P-256 always is).
    public let acceptsP384: Bool

    public init(minimumRSABits: Int = AlgorithmPolicy.defaultMinimumRSABits, acceptsP384: Bool = true) {
        self.minimumRSABits = max(minimumRSABits, AlgorithmPolicy.defaultMinimumRSABits)
        self.acceptsP384 = acceptsP384
    }

    /// True when a certificate's public key is acceptable.
    public func accepts(_ key: X509Certificate.PublicKeyKind) -> Bool {
        switch key {
        case .ecP256: return true
        case .ecP384: return acceptsP384
        case .rsa(let bits): return bits >= minimumRSABits
        case .ecOtherCurve, .other: return false
        }
    }

    /// True when a signature on a certificate is acceptable.
    public func accepts(_ algorithm: SignatureAlgorithm) -> Bool {
        switch algorithm.hash {
        case .sha256, .sha384, .sha512: return true
        case .md5, .sha1, .sha224, nil: return false
        }
    }
}

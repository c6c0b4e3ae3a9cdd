import NIOCore
import NIOSSL

/// The backend's TLS (swift-nio-ssl over BoringSSL: a stack independent of the device's wolfSSL).
///
/// - Versions: TLS 1.2 and 1.3. TLS 1.3's suites are BoringSSL's three AEAD ones; in TLS 1.2 only ECDHE
///   with AES-GCM or ChaCha20-Poly1305 (forward secrecy and AEAD, as the device offers).
/// - Client signatures: no SHA-1 or SHA-224 scheme is advertised in the CertificateRequest or accepted in a
///   CertificateVerify; BoringSSL also holds a TLS 1.3 ECDSA signature to the curve its label names.
/// - Client certificates are required; the chain is judged by `DeviceJudge`, not by BoringSSL.
enum BackendTLS {
    static let tls12CipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    static let clientSignatureSchemes: [SignatureAlgorithm] = [
        .ecdsaSecp256R1Sha256, .ecdsaSecp384R1Sha384, .ecdsaSecp521R1Sha512, .ed25519,
        .rsaPssRsaeSha256, .rsaPssRsaeSha384, .rsaPssRsaeSha512,
        .rsaPkcs1Sha256, .rsaPkcs1Sha384, .rsaPkcs1Sha512,  // TLS 1.2 only; BoringSSL drops them in 1.3
    ]

    /// Key exchange groups. BoringSSL picks the first group in the *client's* order that it supports, and
    /// wolfSSL clients list P-521 and P-384 before P-256 while sending a P-256 key share: with P-384 here,
    /// every wolfSSL device got P-384 — a HelloRetryRequest, an extra round trip and BoringSSL's slow generic
    /// P-384 code (half the backend's accept rate, measured with `perf`). P-256 and X25519 only.
    static let groups: [NIOTLSCurve] = [.secp256r1, .x25519]

    /// IANA names of the suites this server can negotiate, for the log.
    static func name(ofSuite value: UInt16) -> String {
        switch value {
        case 0x1301: return "TLS_AES_128_GCM_SHA256"
        case 0x1302: return "TLS_AES_256_GCM_SHA384"
        case 0x1303: return "TLS_CHACHA20_POLY1305_SHA256"
        case 0xC02B: return "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        case 0xC02C: return "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        case 0xCCA9: return "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        case 0xC02F: return "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        case 0xC030: return "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        case 0xCCA8: return "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        default: return "suite 0x" + String(value, radix: 16)
        }
    }

    static func context(_ configuration: BackendServer.Configuration) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(configuration.certificateChainFile)
        } catch {
            throw HostError("\(configuration.certificateChainFile): not a usable PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw HostError("\(configuration.certificateChainFile): holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: configuration.keyFile, format: .pem)
        } catch {
            throw HostError("\(configuration.keyFile): not a usable PEM private key (\(error))")
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        tls.cipherSuiteValues = tls12CipherSuites
        tls.verifySignatureAlgorithms = clientSignatureSchemes
        tls.curves = groups
        tls.renegotiationSupport = .none
        if configuration.requireClientCertificate {
            // SSL_VERIFY_PEER | FAIL_IF_NO_PEER_CERT; the chain itself goes to the custom callback.
            tls.certificateVerification = .noHostnameVerification
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(configuration.clientCAFile))
            } catch {
                throw HostError("\(configuration.clientCAFile): not a usable PEM file of client CA certificates")
            }
        } else {
            tls.certificateVerification = .none  // the enrollment listener asks for no certificate
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw HostError("cannot make the TLS context: \(error)")
        }
    }
}

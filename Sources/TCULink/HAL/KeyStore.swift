/// A hash algorithm named in a signing request.
public enum HashAlgorithm: UInt8, Equatable, Sendable {
    case sha256
    case sha384
    case sha512

    public var digestLength: Int {
        switch self {
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }
}

/// What the TLS handshake asks the key store to sign.
public enum SigningRequest: Equatable, Sendable {
    /// ECDSA over a digest; the answer is a DER `ECDSA-Sig-Value`.
    case ecdsa
    /// RSASSA-PKCS1-v1_5 over a DER `DigestInfo` (TLS 1.2); the answer is the raw signature.
    case rsaPKCS1v15
    /// RSASSA-PSS over a digest, MGF1 with the same hash, salt length = digest length (TLS 1.3).
    case rsaPSS(HashAlgorithm)
}

/// A key type the key store can generate.
public enum KeyKind: UInt8, Equatable, Sendable {
    case ecP256 = 1
    case rsa2048 = 2
}

/// Why a key store could not do what was asked.
public enum KeyStoreError: Error, Equatable, Sendable {
    case keyUnavailable
    case unsupportedRequest
    case bufferTooSmall
    case signingFailed(Int32)
    /// A sealed blob did not authenticate: sealed by another device, for another certificate
    /// (another binding), altered, or in a format this store does not know.
    case sealedDataRejected
}

/// Secure storage for the device identity. The private key never leaves it.
///
/// A board implements this over its HSM or secure element; the host has a
/// development file store and a PKCS#11 one. The TLS engine asks only for
/// certificates and for signatures: there is no way to read the key.
public protocol KeyStore {
    /// The device certificate chain, DER, leaf first, intermediates after (no root).
    var certificateChain: [[UInt8]] { get }
    /// The trust anchors (root CA certificates, DER) the server's chain must lead to.
    var trustAnchors: [[UInt8]] { get }
    /// Signs `input` with the device key as `request` says, writing into `signature`.
    /// Returns the signature's length. Must not keep `input` or leak the key in an error.
    mutating func sign(
        _ request: SigningRequest,
        input: UnsafeRawBufferPointer,
        into signature: UnsafeMutableRawBufferPointer
    ) throws(KeyStoreError) -> Int
    /// The device key's public half (SubjectPublicKeyInfo, DER), for a certificate request.
    /// The default reads it from the device certificate.
    func publicKey() throws(KeyStoreError) -> [UInt8]
    /// Generates a new device key inside the store, replacing the old one only once
    /// the caller stores a certificate for it (stores that cannot, throw `.unsupportedRequest`).
    /// Returns the new key's SubjectPublicKeyInfo. The private key never leaves the store.
    mutating func generateKey(_ kind: KeyKind) throws(KeyStoreError) -> [UInt8]

    /// Seals `plaintext` (a secret the device keeps at rest, e.g. a TLS session with its
    /// resumption secret) so that only this key store, for this `binding`, can open it again.
    ///
    /// Must: encrypt and authenticate with a key that is this device's own and stays inside the
    /// store (AES-GCM under an HSM slot, a token's secret key, or a key derived from the device
    /// key), authenticate `binding` with the data without storing it (so a blob sealed for
    /// another device identity does not open), use a fresh IV per call, zero its own copies of
    /// the plaintext. May assume `binding` is short (the core passes the SHA-256 of the device
    /// leaf certificate, 32 bytes) and `plaintext` is at most `SavedSession.maximumSize` bytes.
    /// Returns the sealed blob (IV, ciphertext, tag, and whatever format bytes the store needs;
    /// at most `plaintext.count + sealOverhead` bytes).
    ///
    /// The default throws `.unsupportedRequest`: a store that cannot seal keeps no secret at
    /// rest, so `SavedSession` then saves no session and resumes none (fail closed; every
    /// connection is a full handshake).
    func seal(_ plaintext: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8]

    /// Opens a blob made by `seal` with the same `binding`. Returns the plaintext, which the
    /// caller zeroes after use. Throws `.sealedDataRejected` when the blob does not
    /// authenticate (another device, another binding, one altered bit, unknown format) and
    /// never returns partial plaintext; `.unsupportedRequest` by default (see `seal`).
    func unseal(_ sealed: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8]
}

/// The most a sealed blob may add to its plaintext (format, IV, tag), for every key store.
public let sealOverhead = 64

extension KeyStore {
    public func publicKey() throws(KeyStoreError) -> [UInt8] {
        guard let leaf = certificateChain.first, let certificate = X509Certificate(der: leaf) else {
            throw .keyUnavailable
        }
        return certificate.subjectPublicKeyInfo
    }

    public mutating func generateKey(_ kind: KeyKind) throws(KeyStoreError) -> [UInt8] {
        throw .unsupportedRequest
    }

    public func seal(_ plaintext: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        throw .unsupportedRequest
    }

    public func unseal(_ sealed: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        throw .unsupportedRequest
    }
}

/// One call of a C seal or unseal function (the C HAL's, a token's, the host key's), which all
/// take the binding, the input and an output buffer: the output's first `result` bytes, or the
/// negative code. The output buffer is zeroed before it is released, whatever the function wrote.
public enum SealedBlobCall {
    public typealias Function = (
        _ binding: UnsafePointer<UInt8>?, _ bindingLength: Int, _ input: UnsafePointer<UInt8>?, _ inputLength: Int,
        _ output: UnsafeMutablePointer<UInt8>?, _ capacity: Int
    ) -> Int32

    public static func run(
        _ input: [UInt8], binding: [UInt8], capacity: Int, _ function: Function
    ) -> (bytes: [UInt8], result: Int32) {
        var output = [UInt8](repeating: 0, count: capacity)
        let result = input.withUnsafeBufferPointer { inputBuffer in
            binding.withUnsafeBufferPointer { bindingBuffer in
                output.withUnsafeMutableBufferPointer { outputBuffer in
                    function(
                        bindingBuffer.baseAddress, bindingBuffer.count, inputBuffer.baseAddress, inputBuffer.count,
                        outputBuffer.baseAddress, outputBuffer.count)
                }
            }
        }
        let bytes = result > 0 && Int(result) <= capacity ? Array(output[0..<Int(result)]) : []
        SavedSession.zero(&output)
        return (bytes, result > 0 && Int(result) > capacity ? -1 : result)
    }
}

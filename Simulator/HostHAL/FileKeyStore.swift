import CPOSIXKeys
import Foundation
import TCULink

/// The key store over files: a PEM/DER chain, PEM/DER trust anchors, and a private key file.
///
/// **For development only.** The key sits in a file and in this process's memory;
/// a production TCU keeps it in an HSM, a secure element or a PKCS#11 token and
/// only asks it for signatures, as this type's interface already does.
/// Like ssh, it refuses a key file that group or others can read.
public struct FileKeyStore: KeyStore {
    public let certificateChain: [[UInt8]]
    public let trustAnchors: [[UInt8]]
    private let key: HostKey

    public init(chainFile: String, keyFile: String, trustFile: String) throws(HostError) {
        let chain = try FileKeyStore.certificates(in: chainFile, what: "device certificate chain")
        let anchors = try FileKeyStore.certificates(in: trustFile, what: "trust anchors")
        try FileKeyStore.checkPrivate(keyFile)
        var keyBytes = try FileKeyStore.read(keyFile, what: "device key")
        defer { keyBytes.resetBytes(in: 0..<keyBytes.count) }  // zero the encoded key once decoded
        let key = try HostKey(keyBytes, file: keyFile)

        guard let leaf = X509Certificate(der: chain[0]) else {
            throw HostError("\(chainFile): the first certificate could not be parsed")
        }
        guard key.subjectPublicKeyInfo == leaf.subjectPublicKeyInfo else {
            throw HostError(
                "\(keyFile): the private key does not match the device certificate in \(chainFile) (\(TCULinkError.Reason.keyDoesNotMatchCertificate.summary))"
            )
        }
        self.certificateChain = chain
        self.trustAnchors = anchors
        self.key = key
    }

    /// A key alone, before any certificate exists (to build a certificate request, or to
    /// enroll over TLS without a client certificate, trusting `trustFile`).
    public init(keyOnly keyFile: String, trustFile: String? = nil) throws(HostError) {
        try FileKeyStore.checkPrivate(keyFile)
        var keyBytes = try FileKeyStore.read(keyFile, what: "device key")
        defer { keyBytes.resetBytes(in: 0..<keyBytes.count) }
        self.key = try HostKey(keyBytes, file: keyFile)
        self.certificateChain = []
        self.trustAnchors =
            try trustFile.map { path throws(HostError) in try FileKeyStore.certificates(in: path, what: "trust anchors")
            } ?? []
    }

    public func publicKey() throws(KeyStoreError) -> [UInt8] { key.subjectPublicKeyInfo }

    /// The conventional files of a device folder: `chain.pem`, `key.pem`, `trust.pem`.
    public init(deviceDirectory: String) throws(HostError) {
        let base = deviceDirectory.hasSuffix("/") ? deviceDirectory : deviceDirectory + "/"
        try self.init(chainFile: base + "chain.pem", keyFile: base + "key.pem", trustFile: base + "trust.pem")
    }

    public mutating func sign(
        _ request: SigningRequest, input: UnsafeRawBufferPointer, into signature: UnsafeMutableRawBufferPointer
    ) throws(KeyStoreError) -> Int {
        try key.sign(request, input: input, into: signature)
    }

    /// AES-256-GCM under a key derived from the device private key (HKDF-SHA256 with a fixed
    /// info string; zeroed after each call), a random 96-bit IV from getrandom, `binding` as
    /// additional data. Same format as the C POSIX HAL's `keystore_seal`.
    public func seal(_ plaintext: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        try key.seal(plaintext, binding: binding)
    }

    public func unseal(_ sealed: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        try key.unseal(sealed, binding: binding)
    }

    // MARK: - Files

    static func read(_ path: String, what: String) throws(HostError) -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw HostError("\(path): \(what) file not found") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HostError("\(path): \(what) file cannot be read")
        }
        return data
    }

    public static func certificates(in path: String, what: String) throws(HostError) -> [[UInt8]] {
        let data = try read(path, what: what)
        guard let blocks = PEM.decodeAll(Array(data)), !blocks.isEmpty else {
            throw HostError("\(path): no certificate found in the \(what) file (expected PEM or DER)")
        }
        for (index, block) in blocks.enumerated() where X509Certificate(der: block) == nil {
            throw HostError("\(path): certificate #\(index + 1) of the \(what) is malformed")
        }
        return blocks
    }

    /// Refuses a private key file that group or others may read (as ssh does).
    static func checkPrivate(_ path: String) throws(HostError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw HostError("\(path): device key file not found") }
        if info.st_mode & 0o077 != 0 {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw HostError(
                "\(path): device key file is accessible by others (mode \(mode)); run `chmod 600 \(path)`")
        }
    }
}

/// A private key decoded by wolfCrypt, owned and zeroed on release.
final class HostKey {
    private let handle: OpaquePointer
    let subjectPublicKeyInfo: [UInt8]

    init(_ bytes: Data, file: String) throws(HostError) {
        var handle: OpaquePointer?
        let status = bytes.withUnsafeBytes { raw in
            tcu_host_key_load(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &handle)
        }
        guard status == Int32(TCU_HOST_KEY_OK), let handle else {
            switch status {
            case Int32(TCU_HOST_KEY_ERR_ENCRYPTED):
                throw HostError("\(file): the device key is encrypted; the file key store needs an unencrypted key")
            case Int32(TCU_HOST_KEY_ERR_UNSUPPORTED):
                throw HostError("\(file): not a readable EC or RSA private key (corrupt, or another key type)")
            default:
                throw HostError("\(file): not a readable private key (PEM or DER)")
            }
        }
        self.handle = handle
        var spki = [UInt8](repeating: 0, count: 1024)
        let length = spki.withUnsafeMutableBufferPointer { tcu_host_key_public_der(handle, $0.baseAddress, $0.count) }
        guard length > 0 else {
            tcu_host_key_free(handle)
            throw HostError("\(file): cannot derive the public key")
        }
        self.subjectPublicKeyInfo = Array(spki[0..<Int(length)])
    }

    deinit { tcu_host_key_free(handle) }

    func seal(_ plaintext: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        let handle = self.handle
        let (sealed, result) = SealedBlobCall.run(plaintext, binding: binding, capacity: plaintext.count + sealOverhead)
        {
            tcu_host_key_seal(handle, $0, $1, $2, $3, $4, $5)
        }
        guard result > 0 else { throw HostKey.sealFailure(result) }
        return sealed
    }

    func unseal(_ sealed: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        let handle = self.handle
        let (plaintext, result) = SealedBlobCall.run(sealed, binding: binding, capacity: sealed.count) {
            tcu_host_key_unseal(handle, $0, $1, $2, $3, $4, $5)
        }
        guard result >= 0 else { throw HostKey.sealFailure(result) }
        return plaintext
    }

    static func sealFailure(_ code: Int32) -> KeyStoreError {
        switch code {
        case Int32(TCU_HOST_SEAL_ERR_REJECTED): return .sealedDataRejected
        case Int32(TCU_HOST_SEAL_ERR_BUFFER): return .bufferTooSmall
        default: return .keyUnavailable
        }
    }

    func sign(
        _ request: SigningRequest, input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(KeyStoreError) -> Int {
        let inBytes = input.bindMemory(to: UInt8.self)
        let outBytes = output.bindMemory(to: UInt8.self)
        let result: Int32
        switch request {
        case .ecdsa:
            result = tcu_host_key_sign_ecdsa(
                handle, inBytes.baseAddress, inBytes.count, outBytes.baseAddress, outBytes.count)
        case .rsaPKCS1v15:
            result = tcu_host_key_sign_rsa_pkcs1(
                handle, inBytes.baseAddress, inBytes.count, outBytes.baseAddress, outBytes.count)
        case .rsaPSS(let hash):
            let code: Int32
            switch hash {
            case .sha256: code = Int32(TCU_KEY_HASH_SHA256)
            case .sha384: code = Int32(TCU_KEY_HASH_SHA384)
            case .sha512: code = Int32(TCU_KEY_HASH_SHA512)
            }
            result = tcu_host_key_sign_rsa_pss(
                handle, inBytes.baseAddress, inBytes.count, code, outBytes.baseAddress, outBytes.count)
        }
        guard result > 0 else { throw .signingFailed(result) }
        return Int(result)
    }
}

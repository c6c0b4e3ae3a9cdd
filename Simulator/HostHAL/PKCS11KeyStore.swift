import CPOSIXKeys
import Foundation
import TCULink

/// The key store on a PKCS#11 token (SoftHSM2 here; an HSM or secure element's module
/// in production). The key is generated on the token, sensitive and non-extractable;
/// signatures are made on the token. ECDSA P-256.
public final class PKCS11Token {
    let handle: OpaquePointer

    /// Opens the token. The PIN is used once and not kept.
    public init(module: String, tokenLabel: String, pin: String) throws(HostError) {
        var handle: OpaquePointer?
        var error = [CChar](repeating: 0, count: 512)
        guard tcu_p11_open(module, tokenLabel, pin, &handle, &error, error.count) == 0, let handle else {
            throw HostError(
                String(decoding: error.prefix(while: { $0 != 0 }).map(UInt8.init(bitPattern:)), as: UTF8.self))
        }
        self.handle = handle
    }

    deinit { tcu_p11_close(handle) }

    /// Generates a P-256 key pair labelled `keyLabel` on the token; returns its SubjectPublicKeyInfo.
    public func generateKey(label: String) throws(HostError) -> [UInt8] {
        try call { tcu_p11_generate_p256(handle, label, $0, $1) }
        return try publicKey()
    }

    /// Selects the key labelled `keyLabel`.
    public func selectKey(label: String) throws(HostError) {
        try call { tcu_p11_find_key(handle, label, $0, $1) }
    }

    public func publicKey() throws(HostError) -> [UInt8] {
        var spki = [UInt8](repeating: 0, count: 128)
        let length = spki.withUnsafeMutableBufferPointer { tcu_p11_public_key(handle, $0.baseAddress, $0.count) }
        guard length > 0 else { throw HostError("PKCS#11: no key selected") }
        return Array(spki[0..<Int(length)])
    }

    /// The selected private key's CKA_EXTRACTABLE and CKA_SENSITIVE.
    public func keyFlags() -> (extractable: Bool, sensitive: Bool)? {
        var extractable: Int32 = 1
        var sensitive: Int32 = 0
        guard tcu_p11_key_flags(handle, &extractable, &sensitive) == 0 else { return nil }
        return (extractable != 0, sensitive != 0)
    }

    func sign(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int32 {
        tcu_p11_sign_ecdsa(
            handle, input.bindMemory(to: UInt8.self).baseAddress, input.count,
            output.bindMemory(to: UInt8.self).baseAddress, output.count)
    }

    /// Seals with CKM_AES_GCM under the token's AES-256 secret key `sealLabel` (created on first
    /// seal: sensitive, non-extractable, a token object; it never leaves the token).
    func seal(_ plaintext: [UInt8], binding: [UInt8], sealLabel: String) throws(KeyStoreError) -> [UInt8] {
        let handle = self.handle
        let (sealed, result) = SealedBlobCall.run(plaintext, binding: binding, capacity: plaintext.count + sealOverhead)
        {
            tcu_p11_seal(handle, sealLabel, $0, $1, $2, $3, $4, $5)
        }
        guard result > 0 else { throw PKCS11Token.sealFailure(result) }
        return sealed
    }

    func unseal(_ sealed: [UInt8], binding: [UInt8], sealLabel: String) throws(KeyStoreError) -> [UInt8] {
        let handle = self.handle
        let (plaintext, result) = SealedBlobCall.run(sealed, binding: binding, capacity: sealed.count) {
            tcu_p11_unseal(handle, sealLabel, $0, $1, $2, $3, $4, $5)
        }
        guard result >= 0 else { throw PKCS11Token.sealFailure(result) }
        return plaintext
    }

    /// CKA_EXTRACTABLE and CKA_SENSITIVE of the sealing key `sealLabel`, or nil when there is none.
    public func sealKeyFlags(sealLabel: String) -> (extractable: Bool, sensitive: Bool)? {
        var extractable: Int32 = 1
        var sensitive: Int32 = 0
        guard tcu_p11_seal_key_flags(handle, sealLabel, &extractable, &sensitive) == 0 else { return nil }
        return (extractable != 0, sensitive != 0)
    }

    static func sealFailure(_ code: Int32) -> KeyStoreError {
        switch code {
        case Int32(TCU_P11_SEAL_ERR_REJECTED): return .sealedDataRejected
        case Int32(TCU_P11_SEAL_ERR_TOO_SMALL): return .bufferTooSmall
        default: return .keyUnavailable
        }
    }

    private func call(_ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws(HostError) {
        var error = [CChar](repeating: 0, count: 512)
        let status = error.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        guard status == 0 else {
            throw HostError(
                String(decoding: error.prefix(while: { $0 != 0 }).map(UInt8.init(bitPattern:)), as: UTF8.self))
        }
    }

    /// The PIN from TCU_PKCS11_PIN or a file (never from the command line in clear). Like a key file, a PIN
    /// file that group or others may read (or write) is refused, with the command that fixes it.
    public static func pin(file: String?) throws(HostError) -> String {
        if let file {
            var info = stat()
            guard stat(file, &info) == 0 else { throw HostError("\(file): PIN file not found") }
            if info.st_mode & 0o077 != 0 {
                let mode = String(info.st_mode & 0o777, radix: 8)
                throw HostError("\(file): PIN file is accessible by others (mode \(mode)); run `chmod 600 \(file)`")
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw HostError("\(file): PIN file not readable")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let pin = ProcessInfo.processInfo.environment["TCU_PKCS11_PIN"], !pin.isEmpty { return pin }
        throw HostError("no PKCS#11 PIN: set TCU_PKCS11_PIN or give --pin-file FILE")
    }
}

/// `KeyStore` over a PKCS#11 token key, with the certificate chain and trust anchors from files
/// (they are public; the token holds only the key).
public struct PKCS11KeyStore: KeyStore {
    public let token: PKCS11Token
    public let keyLabel: String
    public let certificateChain: [[UInt8]]
    public let trustAnchors: [[UInt8]]

    /// For connecting: the chain's leaf must match the token key.
    public init(token: PKCS11Token, keyLabel: String, chainFile: String?, trustFile: String?) throws(HostError) {
        try token.selectKey(label: keyLabel)
        self.token = token
        self.keyLabel = keyLabel
        self.certificateChain =
            try chainFile.map { path throws(HostError) in
                try FileKeyStore.certificates(in: path, what: "device certificate chain")
            } ?? []
        self.trustAnchors =
            try trustFile.map { path throws(HostError) in try FileKeyStore.certificates(in: path, what: "trust anchors")
            } ?? []
        if let leaf = certificateChain.first {
            guard X509Certificate(der: leaf)?.subjectPublicKeyInfo == (try token.publicKey()) else {
                throw HostError("the certificate in \(chainFile ?? "?") is not for the token key \"\(keyLabel)\"")
            }
        }
    }

    public func publicKey() throws(KeyStoreError) -> [UInt8] {
        do { return try token.publicKey() } catch { throw .keyUnavailable }
    }

    /// The HAL's key generation: a new P-256 pair on the token under "<label>-next", selected
    /// for signing from now on. The caller swaps labels once a certificate for it is stored.
    public mutating func generateKey(_ kind: KeyKind) throws(KeyStoreError) -> [UInt8] {
        guard kind == .ecP256 else { throw .unsupportedRequest }
        do { return try token.generateKey(label: keyLabel + "-next") } catch { throw .keyUnavailable }
    }

    /// The label of the token's sealing key: the device key's label with "-seal".
    public var sealLabel: String { keyLabel + "-seal" }

    /// Sealed storage on the token: AES-256-GCM under the secret key `sealLabel`, made on the
    /// token at the first seal and used only there.
    public func seal(_ plaintext: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        try token.seal(plaintext, binding: binding, sealLabel: sealLabel)
    }

    public func unseal(_ sealed: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
        try token.unseal(sealed, binding: binding, sealLabel: sealLabel)
    }

    public mutating func sign(
        _ request: SigningRequest, input: UnsafeRawBufferPointer, into signature: UnsafeMutableRawBufferPointer
    ) throws(KeyStoreError) -> Int {
        guard request == .ecdsa else { throw .unsupportedRequest }
        let length = token.sign(input, into: signature)
        guard length > 0 else { throw .signingFailed(length) }
        return Int(length)
    }
}

import CTCUHAL
import CWolfSSL

/// Keeps the TLS session (with its ticket) in the persistent store, so a TCU resumes after
/// a reboot instead of paying for a full handshake (two signatures and a certificate chain
/// over a metered cellular link).
///
/// A saved session holds a resumption secret: whoever has it resumes *as this device* without
/// its private key. So it is a credential and is kept only sealed by the key store
/// (`KeyStore.seal`), bound to the device identity: the SHA-256 of the device leaf certificate
/// is the binding, authenticated with the data. A session copied to another device, kept
/// across a certificate change, or altered does not unseal, and the next connection is a full
/// handshake. A key store that cannot seal gets no session saved and none resumed.
///
/// Slot format: `version (1) = 2 | the key store's sealed blob`. Version 1 was the clear
/// serialized session of earlier releases; it is never read again (a full handshake replaces it).
public enum SavedSession {
    /// Upper bound of a saved session (TCULINK_SAVED_SESSION_MAX); wolfSSL's serialized sessions are well below it.
    public static let maximumSize = Int(TCULINK_SAVED_SESSION_MAX)
    /// The slot's format version.
    public static let formatVersion: UInt8 = 2

    /// What `load` found in the slot.
    public enum Loaded: Equatable, Sendable {
        /// A session that unsealed for this device: resume with it.
        case session([UInt8])
        /// Nothing saved.
        case empty
        /// A saved session that did not unseal for this device (another device's, saved for
        /// another certificate, or altered): a full handshake.
        case notUnsealed
        /// The key store cannot seal, so no session is kept or resumed.
        case sealingUnsupported
        /// The slot could not be read, is in an unknown format, or the key store failed.
        case unusable

        /// The session to resume with, or nil.
        public var bytes: [UInt8]? {
            if case .session(let bytes) = self { return bytes }
            return nil
        }

        /// One line for the user when a saved session was there but is not used; nil otherwise.
        public var note: StaticString? {
            switch self {
            case .session, .empty: return nil
            case .notUnsealed: return "saved session did not unseal for this device: full handshake"
            case .sealingUnsupported: return "the key store cannot seal: no session is kept, full handshake"
            case .unusable: return "saved session unusable: full handshake"
            }
        }
    }

    /// The device identity a session is sealed for: SHA-256 of the device leaf certificate (DER).
    /// Nil without a certificate (then nothing is saved or resumed).
    public static func binding<K: KeyStore>(for keyStore: K) -> [UInt8]? {
        guard let leaf = keyStore.certificateChain.first, !leaf.isEmpty else { return nil }
        var digest = [UInt8](repeating: 0, count: 32)
        let status = leaf.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                wc_Sha256Hash(input.baseAddress, UInt32(input.count), output.baseAddress)
            }
        }
        return status == 0 ? digest : nil
    }

    /// The saved session, unsealed by `keyStore` for its device identity.
    public static func load<P: PersistentStore, K: KeyStore>(from store: P, keyStore: K) -> Loaded {
        var buffer = [UInt8](repeating: 0, count: 1 + maximumSize + sealOverhead)
        var length: Int? = nil
        var readFailed = false
        buffer.withUnsafeMutableBytes { raw in
            do throws(TCULinkError) {
                length = try store.read(.tlsSession, into: raw)
            } catch {
                readFailed = true
            }
        }
        if readFailed { return .unusable }
        guard let length, length > 0 else { return .empty }
        guard buffer[0] == formatVersion, length > 1 else { return .unusable }
        guard let binding = binding(for: keyStore) else { return .notUnsealed }
        do throws(KeyStoreError) {
            let session = try keyStore.unseal(Array(buffer[1..<length]), binding: binding)
            guard !session.isEmpty, session.count <= maximumSize else { return .notUnsealed }
            return .session(session)
        } catch {
            switch error {
            case .unsupportedRequest: return .sealingUnsupported
            case .sealedDataRejected: return .notUnsealed
            default: return .unusable
            }
        }
    }

    /// Seals `session` for the device identity and replaces the saved one. When the key store
    /// cannot seal, the slot is emptied (no clear session is ever written) and this throws
    /// `.keyStoreFailed`. The caller zeroes its own `session` bytes.
    public static func save<P: PersistentStore, K: KeyStore>(
        _ session: [UInt8], to store: inout P, keyStore: K
    ) throws(TCULinkError) {
        guard !session.isEmpty, session.count <= maximumSize else { throw TCULinkError(.storageFailed) }
        var record: [UInt8]
        do throws(KeyStoreError) {
            guard let binding = binding(for: keyStore) else { throw KeyStoreError.keyUnavailable }
            let sealed = try keyStore.seal(session, binding: binding)
            guard !sealed.isEmpty, sealed.count <= session.count + sealOverhead else {
                throw KeyStoreError.bufferTooSmall
            }
            record = [formatVersion]
            record.append(contentsOf: sealed)
        } catch {
            try? store.erase(.tlsSession)  // an older session must not outlive the one it replaces
            throw TCULinkError(.keyStoreFailed)
        }
        var failure: TCULinkError? = nil
        record.withUnsafeBytes { raw in
            do throws(TCULinkError) {
                try store.write(.tlsSession, raw)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Overwrites `bytes` with zeros in place (for plaintext session bytes once used).
    public static func zero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices { buffer[index] = 0 }
        }
    }
}

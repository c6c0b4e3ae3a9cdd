/// Keeps the TLS session (with its ticket) in the persistent store, so a TCU resumes after
/// a reboot instead of paying for a full handshake (two signatures and a certificate chain
/// over a metered cellular link).
public enum SavedSession {
    /// Upper bound of a saved session; wolfSSL's serialized sessions are well below it.
    public static let maximumSize = 8 * 1024

    /// The saved session, or nil when the slot is empty or unreadable.
    public static func load<P: PersistentStore>(from store: P) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: maximumSize)
        var length: Int? = nil
        buffer.withUnsafeMutableBytes { raw in
            do throws(TCULinkError) {
                length = try store.read(.tlsSession, into: raw)
            } catch {
                length = nil
            }
        }
        guard let length, length > 0 else { return nil }
        return Array(buffer[0..<length])
    }

    /// Replaces the saved session.
    public static func save<P: PersistentStore>(_ session: [UInt8], to store: inout P) throws(TCULinkError) {
        guard session.count <= maximumSize else { throw TCULinkError(.storageFailed) }
        var failure: TCULinkError? = nil
        session.withUnsafeBytes { raw in
            do throws(TCULinkError) {
                try store.write(.tlsSession, raw)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }
}

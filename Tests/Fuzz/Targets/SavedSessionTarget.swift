import CWolfSSL

#if canImport(Glibc)
    import Glibc
#endif

/// The saved-session decoder: `SavedSession.load` over any slot content (flash a power cut, wear or
/// an attacker with the board's flash leaves), then the core's resume step (`WolfSSLSession.offer`:
/// wolfSSL's session decoder) over what unsealed.
///
/// The input is the slot. The key store here does not encrypt: its first sealed byte says what its
/// `unseal` does ('S' opens to the rest, 'R' rejects, 'U' cannot seal, anything else fails), so the
/// fuzzer reaches every answer and the decoder behind it. Invariants: `load` answers exactly as the
/// slot format says (`version 2 | sealed blob`, bounded sizes); a session it hands out is the bytes
/// that unsealed, non-empty and within `SavedSession.maximumSize`; the check in front of wolfSSL's
/// decoder (`tcu_wolfssl_session_is_decodable`) passes what wolfSSL itself serializes, and with it
/// ASan sees no overflow in the decoder; after the resume step the caller's copy of the session (a
/// resumption secret) is all zeros.
enum FuzzSavedSession {
    struct MarkerKeyStore: KeyStore {
        let certificateChain: [[UInt8]]
        var trustAnchors: [[UInt8]] { [] }

        mutating func sign(
            _ request: SigningRequest, input: UnsafeRawBufferPointer, into signature: UnsafeMutableRawBufferPointer
        ) throws(KeyStoreError) -> Int { throw .unsupportedRequest }

        func unseal(_ sealed: [UInt8], binding: [UInt8]) throws(KeyStoreError) -> [UInt8] {
            precondition(binding == FuzzSavedSession.fixture.binding, "unsealed for another identity")
            switch sealed.first {
            case UInt8(ascii: "S"): return Array(sealed.dropFirst())
            case UInt8(ascii: "R"): throw .sealedDataRejected
            case UInt8(ascii: "U"): throw .unsupportedRequest
            default: throw .keyUnavailable
            }
        }
    }

    struct Fixture {
        let keyStore: MarkerKeyStore
        let binding: [UInt8]
        let context: OpaquePointer
    }

    /// The device certificate is the path-validator fixture's leaf; one wolfSSL client context.
    static let fixture: Fixture = {
        guard let base = getenv("TCU_FUZZ_DATA").map({ String(cString: $0) }),
            let leaf = FuzzPathValidator.read(base + "/path-validator/leaf.der")
        else { fatalError("set TCU_FUZZ_DATA to Tests/Fuzz/data (scripts/fuzz does)") }
        let keyStore = MarkerKeyStore(certificateChain: [leaf])
        guard let binding = SavedSession.binding(for: keyStore), wolfSSL_Init() == WOLFSSL_SUCCESS,
            let context = wolfSSL_CTX_new(wolfTLS_client_method())
        else { fatalError("fixture: no binding or no wolfSSL context") }
        return Fixture(keyStore: keyStore, binding: binding, context: context)
    }()

    static func run(_ input: UnsafeRawBufferPointer) {
        let fixture = self.fixture
        let slot = Array(input)
        var store = VolatileStore()
        if !slot.isEmpty {
            var refused = false
            slot.withUnsafeBytes { raw in
                do throws(TCULinkError) { try store.write(.tlsSession, raw) } catch { refused = true }
            }
            precondition(!refused, "the volatile store refused a write")
        }
        let loaded = SavedSession.load(from: store, keyStore: fixture.keyStore)
        precondition(loaded == expected(slot), "load answered \(loaded) for a slot of \(slot.count) bytes")

        guard case .session(var session) = loaded else { return }
        guard let connection = wolfSSL_new(fixture.context) else { preconditionFailure("wolfSSL_new") }
        defer { wolfSSL_free(connection) }
        if isDecodable(session) { checkRoundTrip(session) }
        WolfSSLSession.offer(&session, to: connection)
        precondition(session.allSatisfy { $0 == 0 }, "the resumption secret was not zeroed")
    }

    /// The check is not stricter than wolfSSL: a session wolfSSL decodes and serializes again is
    /// decodable (or the check would cost every TCU its resumption).
    static func checkRoundTrip(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let decoded = wolfSSL_d2i_SSL_SESSION(nil, &cursor, buffer.count) else { return }
            defer { wolfSSL_SESSION_free(decoded) }
            guard let again = WolfSSLSession.encode(decoded) else { return }
            precondition(isDecodable(again), "wolfSSL's own serialization of a decoded session is refused")
        }
    }

    static func isDecodable(_ session: [UInt8]) -> Bool {
        session.withUnsafeBufferPointer { tcu_wolfssl_session_is_decodable($0.baseAddress, $0.count) == 1 }
    }

    /// What the slot format says `load` must answer.
    static func expected(_ slot: [UInt8]) -> SavedSession.Loaded {
        let capacity = 1 + SavedSession.maximumSize + sealOverhead
        if slot.isEmpty { return .empty }
        if slot.count > capacity || slot[0] != SavedSession.formatVersion || slot.count == 1 { return .unusable }
        switch slot[1] {
        case UInt8(ascii: "S"):
            let session = Array(slot.dropFirst(2))
            return session.isEmpty || session.count > SavedSession.maximumSize ? .notUnsealed : .session(session)
        case UInt8(ascii: "R"): return .notUnsealed
        case UInt8(ascii: "U"): return .sealingUnsupported
        default: return .unusable
        }
    }
}

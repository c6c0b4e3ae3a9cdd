import CWolfSSL
import Foundation
import Testing

/// The check in front of wolfSSL's session decoder (Sources/CWolfSSL/tcu_session_format.h): wolfSSL
/// 5.5 copies the lengths inside a serialized session into fixed arrays unchecked, so the core
/// decodes only sessions whose every field fits. The inputs are the saved-session fuzz target's seeds.
@Suite struct SavedSessionFormatTests {
    /// A seed's session bytes (the seeds are slots: format version, the marker 'S', the session).
    func session(_ name: String) throws -> [UInt8] {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fuzz/corpus/saved-session").standardizedFileURL
        return Array(try Data(contentsOf: corpus.appendingPathComponent(name)).dropFirst(2))
    }

    func decodable(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { tcu_wolfssl_session_is_decodable($0.baseAddress, $0.count) == 1 }
    }

    @Test(arguments: ["tls13-session", "tls12-session"])
    func sessionsWolfSSLWroteAreDecodable(_ name: String) throws {
        #expect(decodable(try session(name)))
    }

    /// The fuzz target's crash (125 certificates announced, the first of 14,725 bytes, for a session
    /// with room for 9 of 2,048) and libFuzzer's minimized form of it (an 85-byte session id for 32).
    @Test(arguments: ["overflow-chain-count", "overflow-session-id"])
    func fieldsLongerThanTheSessionHoldsAreRefused(_ name: String) throws {
        #expect(!decodable(try session(name)))
    }

    @Test func eachOverlongFieldIsRefused() throws {
        let good = try session("tls13-session")
        var longSessionID = good
        longSessionID[9] = 33  // the session id's length, past the 32 bytes wolfSSL keeps
        #expect(!decodable(longSessionID))
        var trailing = good
        trailing.append(0)  // the fields must end where the bytes do
        #expect(!decodable(trailing))
        #expect(!decodable(Array(good.dropLast())))
        #expect(!decodable([]))
    }
}

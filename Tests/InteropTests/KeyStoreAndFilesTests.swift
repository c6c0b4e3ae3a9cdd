import Foundation
import HostHAL
import TCULink
import TestSupport
import Testing

/// The host key store and state files: bad input gets a clear, specific error.
@Suite(.serialized) struct KeyStoreAndFilesTests {
    let pki = TestPKI.directory

    func scratch() throws -> String {
        let folder = NSTemporaryDirectory() + "tculink-files-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The key store's error message, or nil when it loaded.
    func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as HostError {
            return error.description
        } catch {
            return "unexpected error type: \(error)"
        }
    }

    @Test func refusesAKeyFileOthersCanRead() throws {
        let folder = try scratch()
        let key = folder + "/key.pem"
        try FileManager.default.copyItem(atPath: pki + "/device/key.pem", toPath: key)
        chmod(key, 0o644)
        let text = message {
            _ = try FileKeyStore(chainFile: pki + "/device/chain.pem", keyFile: key, trustFile: pki + "/root.pem")
        }
        #expect(text?.contains("chmod 600") == true)
        chmod(key, 0o600)
        #expect(
            message {
                _ = try FileKeyStore(chainFile: pki + "/device/chain.pem", keyFile: key, trustFile: pki + "/root.pem")
            } == nil)
    }

    @Test func refusesAKeyThatDoesNotMatchTheCertificate() {
        let text = message {
            _ = try FileKeyStore(
                chainFile: pki + "/device/chain.pem", keyFile: pki + "/device-rsa/key.pem", trustFile: pki + "/root.pem"
            )
        }
        #expect(text?.contains("does not match") == true)
    }

    @Test func refusesEncryptedAndMalformedKeys() throws {
        let folder = try scratch()
        let encrypted = folder + "/encrypted.pem"
        let result = run(
            "/usr/bin/openssl",
            ["pkey", "-in", pki + "/device/key.pem", "-aes256", "-passout", "pass:secret", "-out", encrypted])
        #expect(result.status == 0)
        chmod(encrypted, 0o600)
        #expect(
            message {
                _ = try FileKeyStore(
                    chainFile: pki + "/device/chain.pem", keyFile: encrypted, trustFile: pki + "/root.pem")
            }?.contains("encrypted") == true)

        let garbage = folder + "/garbage.pem"
        _ = FileManager.default.createFile(
            atPath: garbage,
            contents: Data("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n".utf8),
            attributes: [.posixPermissions: 0o600])
        #expect(
            message {
                _ = try FileKeyStore(
                    chainFile: pki + "/device/chain.pem", keyFile: garbage, trustFile: pki + "/root.pem")
            }?.contains("not a readable") == true)
    }

    @Test func refusesMissingAndMalformedCertificates() throws {
        let folder = try scratch()
        let bad = folder + "/bad.pem"
        _ = FileManager.default.createFile(
            atPath: bad, contents: Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8))
        #expect(
            message {
                _ = try FileKeyStore(chainFile: bad, keyFile: pki + "/device/key.pem", trustFile: pki + "/root.pem")
            }?.contains("malformed") == true)
        #expect(
            message {
                _ = try FileKeyStore(
                    chainFile: folder + "/none.pem", keyFile: pki + "/device/key.pem", trustFile: pki + "/root.pem")
            }?.contains("not found") == true)
        let empty = folder + "/empty.pem"
        _ = FileManager.default.createFile(atPath: empty, contents: Data("hello".utf8))
        #expect(
            message {
                _ = try FileKeyStore(
                    chainFile: pki + "/device/chain.pem", keyFile: pki + "/device/key.pem", trustFile: empty)
            }?.contains("no certificate") == true)
    }

    @Test func persistentStoreWritesAtomicallyWithMode0600() throws {
        var store = try FilePersistentStore(directory: try scratch() + "/state")
        #expect(read(store, .tlsSession) == .success(nil))
        let record: [UInt8] = [1, 2, 3, 4, 5]
        #expect(write(&store, .tlsSession, record) == nil)
        #expect(read(store, .tlsSession) == .success(record))
        let attributes = try FileManager.default.attributesOfItem(atPath: store.directory + "/tls-session.bin")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: store.directory + "/tls-session.bin.tmp"))
        // Never truncated silently.
        #expect(read(store, .tlsSession, capacity: 2) == .failure(TCULinkError(.storageFailed)))
        #expect(erase(&store, .tlsSession) == nil)
        #expect(erase(&store, .tlsSession) == nil)  // erasing an empty slot is fine
        #expect(read(store, .tlsSession) == .success(nil))
    }

    @Test func persistentStoreKeepsTheOldRecordWhenAWriteFails() throws {
        var store = try FilePersistentStore(directory: try scratch() + "/state")
        #expect(write(&store, .lastKnownGoodTime, [9, 9]) == nil)
        chmod(store.directory, 0o500)  // the folder refuses new files, as a full disk would
        defer { chmod(store.directory, 0o700) }
        if getuid() == 0 {
            // root ignores permission bits; use a name that cannot be created instead.
            try FileManager.default.createDirectory(
                atPath: store.directory + "/last-known-good-time.bin.tmp", withIntermediateDirectories: false)
        }
        #expect(write(&store, .lastKnownGoodTime, [1, 2, 3]) == TCULinkError(.storageFailed))
        #expect(read(store, .lastKnownGoodTime) == .success([9, 9]))
    }

    func read(_ store: FilePersistentStore, _ slot: PersistentSlot, capacity: Int = 64) -> Result<
        [UInt8]?, TCULinkError
    > {
        var buffer = [UInt8](repeating: 0, count: capacity)
        var result: Result<[UInt8]?, TCULinkError> = .success(nil)
        buffer.withUnsafeMutableBytes { raw in
            do throws(TCULinkError) {
                let count = try store.read(slot, into: raw)
                result = .success(count.map { Array(raw.bindMemory(to: UInt8.self)[0..<$0]) })
            } catch {
                result = .failure(error)
            }
        }
        return result
    }

    func write(_ store: inout FilePersistentStore, _ slot: PersistentSlot, _ bytes: [UInt8]) -> TCULinkError? {
        var failure: TCULinkError?
        bytes.withUnsafeBytes { raw in
            do throws(TCULinkError) { try store.write(slot, raw) } catch { failure = error }
        }
        return failure
    }

    func erase(_ store: inout FilePersistentStore, _ slot: PersistentSlot) -> TCULinkError? {
        do throws(TCULinkError) {
            try store.erase(slot)
            return nil
        } catch {
            return error
        }
    }

    func fill(_ entropy: inout OSEntropy) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes { raw in
            do throws(TCULinkError) { try entropy.fill(raw) } catch {
                raw.initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
        return bytes
    }

    @Test func osEntropyIsNotConstant() {
        var entropy = OSEntropy()
        let first = fill(&entropy)
        let second = fill(&entropy)
        #expect(first != second)
        #expect(first != [UInt8](repeating: 0, count: 32))
    }
}

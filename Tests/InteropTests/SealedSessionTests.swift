import Foundation
import HostHAL
import TCULink
import TestSupport
import Testing

/// A saved TLS session is a credential (its resumption secret lets the holder resume as the
/// device), so it is kept only sealed by the key store and bound to the device identity
/// (issue 13, item 4). Before sealing, a session copied from device A's state folder into
/// device B's resumed as A.
@Suite(.serialized) struct SealedSessionTests {
    let pki = TestPKI.directory

    func client<K: KeyStore>(_ port: UInt16, _ keyStore: K, resumption: [UInt8]?) throws -> TLSClient<
        POSIXSocketTransport, K, SystemClock
    > {
        try TLSClient(
            configuration: ClientConfiguration(host: "localhost", port: port), transport: POSIXSocketTransport(),
            keyStore: keyStore, clock: SystemClock(), resumption: resumption)
    }

    func stateFolder() -> String { NSTemporaryDirectory() + "tculink-sealed-\(UUID().uuidString)" }

    func sessionFile(_ folder: String) -> String { folder + "/tls-session.bin" }

    /// A full handshake that saves its session (sealed) into `folder`; returns the clear session.
    func connectAndSave<K: KeyStore>(_ port: UInt16, _ keyStore: K, into folder: String) throws -> [UInt8] {
        var store = try FilePersistentStore(directory: folder)
        let first = try client(port, keyStore, resumption: nil)
        #expect(try !first.connect().resumed)
        let session = try #require(first.sessionForResumption())
        try SavedSession.save(session, to: &store, keyStore: keyStore)
        first.close()
        return session
    }

    /// Connects with what `folder` holds; returns whether it resumed and the key store's verdict.
    func connectWithSaved<K: KeyStore>(_ port: UInt16, _ keyStore: K, from folder: String) throws -> (
        resumed: Bool, loaded: SavedSession.Loaded, peerName: String
    ) {
        let store = try FilePersistentStore(directory: folder)
        let loaded = SavedSession.load(from: store, keyStore: keyStore)
        let connection = try client(port, keyStore, resumption: loaded.bytes)
        let report = try connection.connect()
        let reply = try exchange(connection, "who")
        connection.close()
        return (report.resumed, loaded, reply)
    }

    func copy(_ from: String, to folder: String) throws {
        _ = try FilePersistentStore(directory: folder)
        try? FileManager.default.removeItem(atPath: sessionFile(folder))
        try FileManager.default.copyItem(atPath: sessionFile(from), toPath: sessionFile(folder))
    }

    @Test func aSessionCopiedToAnotherDeviceDoesNotResumeAsTheFirst() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        let deviceA = try FileKeyStore(deviceDirectory: pki + "/device")  // tcu-0001, P-256
        let deviceB = try FileKeyStore(deviceDirectory: pki + "/device-rsa")  // tcu-0002, RSA-2048
        let folderA = stateFolder()
        let folderB = stateFolder()
        let clear = try connectAndSave(server.port, deviceA, into: folderA)

        // At rest: not the clear session, mode 0600.
        let file = try #require(FileManager.default.contents(atPath: sessionFile(folderA)))
        #expect(Array(file).first == SavedSession.formatVersion)
        #expect(Data(file).range(of: Data(clear)) == nil, "the clear session is in the file")
        #expect(Data(file).range(of: Data(clear.prefix(32))) == nil)
        let mode = try FileManager.default.attributesOfItem(atPath: sessionFile(folderA))[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // A's state copied into B's folder: B does not unseal it and makes a full handshake as B.
        try copy(folderA, to: folderB)
        let onB = try connectWithSaved(server.port, deviceB, from: folderB)
        #expect(onB.loaded == .notUnsealed)
        #expect(onB.loaded.note.map { "\($0)" } == "saved session did not unseal for this device: full handshake")
        #expect(!onB.resumed)
        #expect(onB.peerName == "ohw")

        // A itself still resumes with its own sealed session.
        let onA = try connectWithSaved(server.port, deviceA, from: folderA)
        #expect(onA.loaded.bytes == clear)
        #expect(onA.resumed)
    }

    @Test func everyAlteredByteIsRefused() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        let device = try FileKeyStore(deviceDirectory: pki + "/device")
        let folder = stateFolder()
        _ = try connectAndSave(server.port, device, into: folder)
        let original = try #require(FileManager.default.contents(atPath: sessionFile(folder)))

        // One flipped byte in the middle, against openssl s_server: a full handshake.
        var flipped = original
        flipped[flipped.count / 2] ^= 0x01
        try flipped.write(to: URL(fileURLWithPath: sessionFile(folder)))
        let altered = try connectWithSaved(server.port, device, from: folder)
        #expect(altered.loaded == .notUnsealed)
        #expect(!altered.resumed)

        // Every position, offline: no altered blob unseals (the version byte gives .unusable).
        let binding = try #require(SavedSession.binding(for: device))
        let blob = Array(original.dropFirst())
        for index in blob.indices {
            var changed = blob
            changed[index] ^= 0x80
            #expect(throws: KeyStoreError.sealedDataRejected) { _ = try device.unseal(changed, binding: binding) }
        }
        #expect(try device.unseal(blob, binding: binding).count == blob.count - 29)
    }

    @Test func theFileKeyStoreBindsTheCertificateAndTheKey() throws {
        let device = try FileKeyStore(deviceDirectory: pki + "/device")
        let other = try FileKeyStore(deviceDirectory: pki + "/device-chained")
        let secret = Array("resumption secret".utf8)
        let binding = try #require(SavedSession.binding(for: device))
        let sealed = try device.seal(secret, binding: binding)
        #expect(try device.unseal(sealed, binding: binding) == secret)
        // Same key, another certificate's binding: refused. Another key, same binding: refused.
        var anotherBinding = binding
        anotherBinding[0] ^= 1
        #expect(throws: KeyStoreError.sealedDataRejected) { _ = try device.unseal(sealed, binding: anotherBinding) }
        #expect(throws: KeyStoreError.sealedDataRejected) { _ = try other.unseal(sealed, binding: binding) }
        // A fresh IV per seal: the same secret never seals to the same bytes.
        #expect(try device.seal(secret, binding: binding) != sealed)
        // The C POSIX HAL's format is the same (both call posix_keys.c): checked in test_c_api.c.
    }

    @Test func thePKCS11KeyStoreSealsOnTheToken() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        // Both tokens exist before either is opened: SoftHSM2 lists the slots once per process load.
        let labelA = SoftHSM.token("seal-a-\(UUID().uuidString.prefix(8))")
        let labelB = SoftHSM.token("seal-b-\(UUID().uuidString.prefix(8))")
        let deviceA = try tokenDevice(labelA, id: "tcu-0001")
        let deviceB = try tokenDevice(labelB, id: "tcu-0002")
        let folderA = stateFolder()
        let folderB = stateFolder()
        let clear = try connectAndSave(server.port, deviceA, into: folderA)

        // The sealing key is on the token: non-extractable and sensitive.
        let flags = try #require(deviceA.token.sealKeyFlags(sealLabel: deviceA.sealLabel))
        #expect(!flags.extractable && flags.sensitive)
        let file = try #require(FileManager.default.contents(atPath: sessionFile(folderA)))
        #expect(Data(file).range(of: Data(clear)) == nil)

        try copy(folderA, to: folderB)
        let onB = try connectWithSaved(server.port, deviceB, from: folderB)
        #expect(onB.loaded == .notUnsealed)
        #expect(!onB.resumed)

        var flipped = file
        flipped[flipped.count - 3] ^= 0x04
        let folderC = stateFolder()
        _ = try FilePersistentStore(directory: folderC)
        try flipped.write(to: URL(fileURLWithPath: sessionFile(folderC)))
        let altered = try connectWithSaved(server.port, deviceA, from: folderC)
        #expect(altered.loaded == .notUnsealed)
        #expect(!altered.resumed)

        let onA = try connectWithSaved(server.port, deviceA, from: folderA)
        #expect(onA.loaded.bytes == clear)
        #expect(onA.resumed)
    }

    /// A P-256 key generated on a fresh SoftHSM2 token, certified by the test PKI's root.
    func tokenDevice(_ label: String, id: String) throws -> PKCS11KeyStore {
        let token = try PKCS11Token(module: SoftHSM.module, tokenLabel: label, pin: SoftHSM.pin)
        _ = try token.generateKey(label: "device")
        var store = try PKCS11KeyStore(token: token, keyLabel: "device", chainFile: nil, trustFile: nil)
        let request: [UInt8]
        do { request = try CertificateRequestBuilder.build(deviceID: id, keyStore: &store) } catch { throw error }
        let requestFile = SoftHSM.folder + "/\(label).csr"
        try Data(PEM.encode(request, label: "CERTIFICATE REQUEST")).write(to: URL(fileURLWithPath: requestFile))
        let leaf = SoftHSM.folder + "/\(label).pem"
        let sign = run(
            "/usr/bin/openssl",
            [
                "x509", "-req", "-in", requestFile, "-CA", pki + "/ca/root.pem", "-CAkey", pki + "/ca/root.key",
                "-days", "30", "-copy_extensions", "copy", "-set_serial", "\(Int.random(in: 1000...999_999))",
                "-out", leaf,
            ])
        #expect(sign.status == 0, "\(sign.output)")
        return try PKCS11KeyStore(token: token, keyLabel: "device", chainFile: leaf, trustFile: pki + "/root.pem")
    }
}

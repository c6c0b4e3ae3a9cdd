import Foundation
import HostHAL
import TCULink
import TCUPKI
import TestSupport
import Testing

/// A SoftHSM2 token in a temporary folder, shared by this process's tests.
enum SoftHSM {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"
    static let pin = "5678"
    static let folder: String = {
        let folder = NSTemporaryDirectory() + "tculink-softhsm-\(getpid())"
        try! FileManager.default.createDirectory(atPath: folder + "/tokens", withIntermediateDirectories: true)
        let conf = folder + "/softhsm2.conf"
        FileManager.default.createFile(
            atPath: conf,
            contents: Data(
                "directories.tokendir = \(folder)/tokens\nobjectstore.backend = file\nlog.level = ERROR\n".utf8))
        setenv("SOFTHSM2_CONF", conf, 1)  // read by SoftHSM2 in this process and by children
        setenv("TCU_PKCS11_PIN", pin, 1)
        return folder
    }()

    /// Initializes a fresh token; returns its label.
    static func token(_ label: String) -> String {
        _ = folder
        let result = run(
            "/usr/bin/softhsm2-util", ["--init-token", "--free", "--label", label, "--so-pin", "1234", "--pin", pin])
        precondition(result.status == 0, result.output)
        return label
    }
}

/// Keys that never leave secure storage: generation on a PKCS#11 token, a CSR built by the
/// core, issuance for it, and mutual TLS signed on the token.
@Suite(.serialized) struct KeyLifecycleTests {
    let openSSLPKI = TestPKI.directory

    func csr<K: KeyStore>(_ id: String, _ store: inout K) throws -> [UInt8] {
        do { return try CertificateRequestBuilder.build(deviceID: id, keyStore: &store) } catch { throw error }
    }

    func write(_ bytes: [UInt8], _ name: String) -> String {
        let path = SoftHSM.folder + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test func aTokenKeyIsNonExtractableAndSignsTheHandshake() throws {
        let label = SoftHSM.token("life-\(UUID().uuidString.prefix(8))")
        let token = try PKCS11Token(module: SoftHSM.module, tokenLabel: label, pin: SoftHSM.pin)
        let spki = try token.generateKey(label: "device")
        #expect(X509Certificate.publicKeyKind(subjectPublicKeyInfo: spki) == .ecP256)
        let flags = try #require(token.keyFlags())
        #expect(!flags.extractable && flags.sensitive)
        #expect(throws: HostError.self) { _ = try token.generateKey(label: "device") }  // no silent overwrite

        // Generation through the HAL protocol: a second pair, on the token, never the same key.
        var halStore = try PKCS11KeyStore(token: token, keyLabel: "device", chainFile: nil, trustFile: nil)
        let next = try halStore.generateKey(.ecP256)
        #expect(next != spki && X509Certificate.publicKeyKind(subjectPublicKeyInfo: next) == .ecP256)
        #expect(throws: KeyStoreError.unsupportedRequest) { _ = try halStore.generateKey(.rsa2048) }
        try token.selectKey(label: "device")

        // The core's CSR, checked by OpenSSL.
        var store = try PKCS11KeyStore(token: token, keyLabel: "device", chainFile: nil, trustFile: nil)
        let request = try csr("tcu-0001", &store)
        let requestFile = write(PEM.encode(request, label: "CERTIFICATE REQUEST"), "\(label).csr")
        let verify = run("/usr/bin/openssl", ["req", "-in", requestFile, "-verify", "-noout", "-subject"])
        #expect(verify.status == 0 && verify.output.contains("verify OK"), "\(verify.output)")
        #expect(verify.output.contains("CN = tcu-0001") && verify.output.contains("serialNumber = tcu-0001"))

        // Issued by OpenSSL's CA (the test PKI's root) for that request, then used against s_server and tcu-backend.
        let leaf = SoftHSM.folder + "/\(label).pem"
        let sign = run(
            "/usr/bin/openssl",
            [
                "x509", "-req", "-in", requestFile, "-CA", openSSLPKI + "/ca/root.pem", "-CAkey",
                openSSLPKI + "/ca/root.key",
                "-days", "30", "-copy_extensions", "copy", "-set_serial", "777", "-out", leaf,
            ])
        #expect(sign.status == 0, "\(sign.output)")
        var signedStore = try PKCS11KeyStore(
            token: token, keyLabel: "device", chainFile: leaf, trustFile: openSSLPKI + "/root.pem")
        _ = signedStore

        let server = try OpenSSLServer(pki: openSSLPKI)
        defer { server.stop() }
        let client = try TLSClient(
            configuration: ClientConfiguration(host: "localhost", port: server.port), transport: POSIXSocketTransport(),
            keyStore: signedStore, clock: SystemClock())
        #expect(try client.connect().acceptance == .sessionTicket)
        #expect(try exchange(client, "hsm") == "msh")
        client.close()

        let backend = try RunningBackend(openSSLPKI: openSSLPKI, registered: ["tcu-0001"])
        signedStore = try PKCS11KeyStore(
            token: token, keyLabel: "device", chainFile: leaf, trustFile: openSSLPKI + "/root.pem")
        let toBackend = try TLSClient(
            configuration: ClientConfiguration(host: "localhost", port: backend.port),
            transport: POSIXSocketTransport(),
            keyStore: signedStore, clock: SystemClock())
        _ = try toBackend.connect()
        toBackend.close()
        #expect(backend.waitForLine("ACCEPTED", "device=tcu-0001") != nil)
    }

    @Test func tokenProblemsHaveClearMessages() throws {
        let label = SoftHSM.token("errs-\(UUID().uuidString.prefix(8))")
        #expect(throws: HostError.self) { _ = try PKCS11Token(module: SoftHSM.module, tokenLabel: label, pin: "0000") }
        do {
            _ = try PKCS11Token(module: SoftHSM.module, tokenLabel: label, pin: "0000")
        } catch {
            #expect(error.description.contains("wrong PIN"), "\(error)")
            #expect(!error.description.contains("0000"))  // never the PIN itself
        }
        do {
            _ = try PKCS11Token(module: SoftHSM.module, tokenLabel: "no-such-token", pin: SoftHSM.pin)
        } catch {
            #expect(error.description.contains("no token labelled"), "\(error)")
        }
        do {
            _ = try PKCS11Token(module: "/nonexistent/module.so", tokenLabel: label, pin: SoftHSM.pin)
        } catch {
            #expect(error.description.contains("cannot load module"), "\(error)")
        }
        let token = try PKCS11Token(module: SoftHSM.module, tokenLabel: label, pin: SoftHSM.pin)
        do {
            try token.selectKey(label: "absent")
        } catch {
            #expect(error.description.contains("no key pair labelled"), "\(error)")
        }
    }

    @Test func theCoreCSRWithFileKeysVerifies() throws {
        for device in ["device", "device-rsa"] {
            var store = try FileKeyStore(keyOnly: openSSLPKI + "/\(device)/key.pem")
            let request = try csr("tcu-file-1", &store)
            let file = write(PEM.encode(request, label: "CERTIFICATE REQUEST"), "\(device).csr")
            let verify = run("/usr/bin/openssl", ["req", "-in", file, "-verify", "-noout", "-text"])
            #expect(verify.status == 0 && verify.output.contains("verify OK"), "\(verify.output)")
            #expect(
                verify.output.contains("TLS Web Client Authentication") && verify.output.contains("Digital Signature"))
        }
        var store = try FileKeyStore(keyOnly: openSSLPKI + "/device/key.pem")
        #expect(throws: TCULinkError(.invalidConfiguration)) {
            _ = try CertificateRequestBuilder.build(deviceID: "bad_id", keyStore: &store)
        }
        #expect(throws: TCULinkError(.invalidConfiguration)) {
            _ = try CertificateRequestBuilder.build(deviceID: "", keyStore: &store)
        }
    }

    @Test func theCAIssuesOnlyWhatTheCredentialAuthorizes() throws {
        let folder = NSTemporaryDirectory() + "tculink-enroll-\(UUID().uuidString)"
        let pki = try PrivatePKI.create(at: folder)
        var store = try FileKeyStore(keyOnly: openSSLPKI + "/device/key.pem")
        let request = PEM.encode(try csr("tcu-0042", &store), label: "CERTIFICATE REQUEST")

        let chain = try pki.issueDevice(request: request, authorizedID: "tcu-0042")
        let leaf = try #require(PEM.decodeAll(Array(chain.utf8))?.first.flatMap { X509Certificate(der: $0) })
        #expect(leaf.subject.commonName == Array("tcu-0042".utf8) && leaf.allowsClientAuth && !leaf.allowsServerAuth)
        #expect(leaf.subjectPublicKeyInfo == (try store.publicKey()))

        #expect(throws: PrivatePKI.RequestRefusal.identityMismatch(requested: "tcu-0042", authorized: "tcu-0043")) {
            _ = try pki.issueDevice(request: request, authorizedID: "tcu-0043")
        }
        var tampered = try #require(PEM.decodeAll(request, label: "CERTIFICATE REQUEST")?.first)
        tampered[tampered.count - 40] ^= 0x01  // inside the signature
        #expect(throws: PrivatePKI.RequestRefusal.badSignature) {
            _ = try pki.issueDevice(request: tampered, authorizedID: "tcu-0042")
        }
        #expect(throws: PrivatePKI.RequestRefusal.malformed) {
            _ = try pki.issueDevice(request: Array("junk".utf8), authorizedID: "tcu-0042")
        }

        // Requests made by OpenSSL that ask for too much.
        for (extensions, refusal) in [
            ("extendedKeyUsage=serverAuth", PrivatePKI.RequestRefusal.asksForServerAuth),
            ("basicConstraints=critical,CA:true", PrivatePKI.RequestRefusal.asksForCA),
        ] {
            let file = folder + "/greedy.csr"
            let made = run(
                "/usr/bin/openssl",
                [
                    "req", "-new", "-key", openSSLPKI + "/device/key.pem", "-subj", "/CN=tcu-0042", "-addext",
                    extensions, "-out", file,
                ])
            #expect(made.status == 0, "\(made.output)")
            let bytes = Array(FileManager.default.contents(atPath: file) ?? Data())
            #expect(throws: refusal) { _ = try pki.issueDevice(request: bytes, authorizedID: "tcu-0042") }
        }
    }
}

import CWolfSSL
import Foundation
import HostHAL
import Testing

@testable import TCULink

/// The device's verdict on servers, in real handshakes against `openssl s_server` (an
/// independent TLS stack) and offline: one generated chain per rule of the path validator,
/// the TLS 1.2 suites, and a shared context that must not remember intermediates.
@Suite(.serialized) struct ServerVerificationTests {
    let pki = TestPKI.directory

    typealias Client = TLSClient<POSIXSocketTransport, FileKeyStore, SimulatedClock>

    /// The good P-256 device, trusting `anchor` (a PEM file), with the device clock at `time` (nil: now).
    func client(
        port: UInt16, serverName: String = "localhost", anchor: String? = nil, time: Int64? = nil,
        versions: TLSVersionPolicy = .tls13Only, context: TLSContext? = nil, privateContext: Bool = false
    ) throws -> Client {
        let keyStore = try FileKeyStore(
            chainFile: pki + "/device/chain.pem", keyFile: pki + "/device/key.pem",
            trustFile: anchor ?? pki + "/device/trust.pem")
        var configuration = ClientConfiguration(
            host: "127.0.0.1", port: port, serverName: serverName, versions: versions)
        configuration.timeouts.handshake = 10_000
        configuration.forcePrivateContext = privateContext
        return try TLSClient(
            configuration: configuration, transport: POSIXSocketTransport(), keyStore: keyStore,
            clock: SimulatedClock(time.map { .fixed($0) } ?? .offset(0)), context: context)
    }

    func handshakeFailure(_ client: Client) -> TCULinkError? {
        defer { client.close() }
        do {
            _ = try client.connect()
            return nil
        } catch {
            return error
        }
    }

    // MARK: - One chain per rule: the handshake and verify-server agree, and both say what the rule says

    @Test(arguments: PathTestChains.cases)
    func handshakeAndOfflineVerifierGiveTheRulesVerdict(_ chain: PathTestChains.Case) throws {
        let now = Int64(Date().timeIntervalSince1970)
        let presented = chain.certificates("chain.pem")
        let offline = ServerChainVerifier.verify(
            leaf: presented[0], intermediates: Array(presented.dropFirst()),
            trustAnchors: chain.certificates("anchor.pem"),
            policy: ServerCertificatePolicy(serverName: Array(chain.serverName.utf8)),
            at: .unixSeconds(chain.time ?? now))
        #expect(offline?.reason == chain.expected, "offline: \(offline.map { "\($0.reason)" } ?? "accepted")")
        if chain.expected != nil { #expect(offline?.certificateDepth == chain.depth, "offline depth") }

        let server = try OpenSSLServer(
            pki: chain.folder, certificate: "leaf.pem", key: "key.pem",
            chain: chain.hasIntermediates ? "sent.pem" : nil,
            arguments: ["-tls1_3", "-cipher", "DEFAULT:@SECLEVEL=0"],  // let it serve SHA-1 and RSA-1024 chains
            clientCA: pki + "/root.pem")
        defer { server.stop() }
        let handshake = handshakeFailure(
            try client(
                port: server.port, serverName: chain.serverName, anchor: chain.folder + "/anchor.pem",
                time: chain.time))
        #expect(handshake?.reason == chain.expected, "handshake: \(handshake.map { "\($0)" } ?? "accepted")")
        #expect(handshake?.reason == offline?.reason, "the handshake and verify-server disagree")
        if chain.expected != nil { #expect(handshake?.certificateDepth == chain.depth, "handshake depth") }
    }

    // MARK: - Cipher suites

    @Test func anAnonymousTLS12ServerIsRefusedWithANamedReason() throws {
        let server = try OpenSSLServer(
            pki: pki, certificate: "server/good.leaf.pem", key: "server/good.key", chain: nil,
            arguments: ["-nocert", "-tls1_2", "-cipher", "ADH-AES128-SHA:@SECLEVEL=0"], requireClientCertificate: false)
        defer { server.stop() }
        let connection = try client(port: server.port, versions: .tls12OrLater)
        let failure = handshakeFailure(connection)
        #expect(failure?.reason == .noSharedCipherSuite, "got \(failure.map { "\($0)" } ?? "accepted")")
        #expect(failure?.alert == .handshakeFailure)
        // What the ClientHello carried on the wire: the nine AEAD suites with forward secrecy, nothing else
        // (the renegotiation SCSV aside).
        let offered = connection.offeredCipherSuites.filter { $0 != "EMPTY_RENEGOTIATION_INFO_SCSV" }
        print("offered by the device with TLS 1.2 allowed: \(offered.joined(separator: ":"))")
        #expect(offered.count == 9, "\(offered)")
        for suite in offered {
            #expect(suite.hasPrefix("TLS13-") || suite.hasPrefix("ECDHE-"), "offered \(suite)")
            #expect(suite.contains("GCM") || suite.contains("CHACHA20"), "offered \(suite)")
        }
    }

    /// Belt and braces: were wolfSSL ever to offer an anonymous suite again (a new default),
    /// a full handshake with no verified server certificate is still refused.
    @Test func aHandshakeWithoutAVerifiedServerCertificateIsRefused() throws {
        let server = try OpenSSLServer(
            pki: pki, certificate: "server/good.leaf.pem", key: "server/good.key", chain: nil,
            arguments: ["-nocert", "-tls1_2", "-cipher", "ADH-AES128-SHA:@SECLEVEL=0"], requireClientCertificate: false)
        defer { server.stop() }
        let keyStore = try FileKeyStore(deviceDirectory: pki + "/device")
        let context = try TLSContext(
            certificateChain: keyStore.certificateChain, trustAnchors: keyStore.trustAnchors, versions: .tls12OrLater)
        #expect(wolfSSL_CTX_set_cipher_list(context.pointer, "ADH-AES128-SHA") == WOLFSSL_SUCCESS)
        #expect(wolfSSL_CTX_allow_anon_cipher(context.pointer) == WOLFSSL_SUCCESS)
        let failure = handshakeFailure(try client(port: server.port, versions: .tls12OrLater, context: context))
        #expect(failure?.reason == .serverSentNoCertificate, "got \(failure.map { "\($0)" } ?? "accepted")")
    }

    /// And a suite the device does not offer is refused even when wolfSSL negotiated it.
    @Test func aSuiteOutsideTheDevicesListIsRefused() throws {
        let server = try OpenSSLServer(pki: pki, arguments: ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"])
        defer { server.stop() }
        let keyStore = try FileKeyStore(deviceDirectory: pki + "/device")
        let context = try TLSContext(
            certificateChain: keyStore.certificateChain, trustAnchors: keyStore.trustAnchors, versions: .tls12OrLater)
        #expect(wolfSSL_CTX_set_cipher_list(context.pointer, "ECDHE-ECDSA-AES128-SHA") == WOLFSSL_SUCCESS)
        let failure = handshakeFailure(try client(port: server.port, versions: .tls12OrLater, context: context))
        #expect(failure?.reason == .cipherSuiteNotAllowed, "got \(failure.map { "\($0.reason)" } ?? "accepted")")
    }

    @Test func tls12NegotiatesAnAEADSuiteWithForwardSecrecy() throws {
        let server = try OpenSSLServer(pki: pki, arguments: ["-tls1_2"])
        defer { server.stop() }
        let connection = try client(port: server.port, versions: .tls12OrLater)
        defer { connection.close() }
        let report = try connection.connect()
        #expect(report.protocolVersion == "TLSv1.2")
        #expect(report.cipherSuite.hasPrefix("ECDHE-") && report.cipherSuite.contains("GCM"), "\(report.cipherSuite)")
    }

    // MARK: - A shared context remembers nothing between servers

    @Test func aSharedContextDoesNotLendAnIntermediateToTheNextServer() throws {
        let keyStore = try FileKeyStore(deviceDirectory: pki + "/device")
        let context = try TLSContext(certificateChain: keyStore.certificateChain, trustAnchors: keyStore.trustAnchors)
        let complete = try OpenSSLServer(pki: pki)  // sends leaf + Server CA
        defer { complete.stop() }
        let first = try client(port: complete.port, context: context)
        _ = try first.connect()
        first.close()

        let incomplete = try OpenSSLServer(pki: pki, chain: nil)  // the same leaf, without its CA
        defer { incomplete.stop() }
        let failure = handshakeFailure(try client(port: incomplete.port, context: context))
        #expect(failure?.reason == .unknownCA, "got \(failure.map { "\($0.reason)" } ?? "accepted")")

        // And the first server still works on the same context afterwards.
        let again = try client(port: complete.port, context: context)
        _ = try again.connect()
        again.close()
    }
}

/// The same verdicts where wolfSSL has no per-connection certificate stores (board builds): each
/// connection then verifies in a private copy of the shared context.
@Suite(.serialized) struct PrivateContextVerificationTests {
    let pki = TestPKI.directory

    /// The handshake's verdict, the connection forced onto a private copy of `context`.
    func connect(_ port: UInt16, context: TLSContext, time: Int64? = nil, anchor: String? = nil) throws -> TCULinkError?
    {
        let shared = ServerVerificationTests()
        return shared.handshakeFailure(
            try shared.client(port: port, anchor: anchor, time: time, context: context, privateContext: true))
    }

    @Test func aSharedContextLendsNothingThroughPrivateCopies() throws {
        let keyStore = try FileKeyStore(deviceDirectory: pki + "/device")
        let context = try TLSContext(certificateChain: keyStore.certificateChain, trustAnchors: keyStore.trustAnchors)
        let complete = try OpenSSLServer(pki: pki)
        defer { complete.stop() }
        #expect(try connect(complete.port, context: context) == nil)
        let incomplete = try OpenSSLServer(pki: pki, chain: nil)
        defer { incomplete.stop() }
        #expect(try connect(incomplete.port, context: context)?.reason == .unknownCA)
        #expect(try connect(complete.port, context: context) == nil)
    }

    @Test func aPKIValidOnlyByTheDeviceClockStillValidates() throws {
        let chain = try #require(PathTestChains.cases.first { $0.name == "future-pki-at-2035" })
        let server = try OpenSSLServer(
            pki: chain.folder, certificate: "leaf.pem", key: "key.pem", chain: "sent.pem", clientCA: pki + "/root.pem")
        defer { server.stop() }
        let keyStore = try FileKeyStore(
            chainFile: pki + "/device/chain.pem", keyFile: pki + "/device/key.pem",
            trustFile: chain.folder + "/anchor.pem")
        let context = try TLSContext(certificateChain: keyStore.certificateChain, trustAnchors: keyStore.trustAnchors)
        #expect(
            try connect(server.port, context: context, time: chain.time, anchor: chain.folder + "/anchor.pem") == nil)
    }
}

import HostHAL
import TCULink
import Testing

/// A device identity loaded once for several connections (`TLSContext`), and smaller records
/// (`maxFragmentLength`), against `openssl s_server`.
@Suite(.serialized) struct ContextAndFragmentTests {
    let folder = TestPKI.directory + "/device"

    func keyStore() throws -> FileKeyStore {
        try FileKeyStore(
            chainFile: folder + "/chain.pem", keyFile: folder + "/key.pem", trustFile: folder + "/trust.pem")
    }

    func client(
        port: UInt16, store: FileKeyStore, context: TLSContext? = nil, versions: TLSVersionPolicy = .tls13Only,
        maxFragment: MaxFragmentLength? = nil
    ) throws(TCULinkError) -> TLSClient<POSIXSocketTransport, FileKeyStore, SimulatedClock> {
        var configuration = ClientConfiguration(
            host: "localhost", port: port, versions: versions,
            timeouts: .init(connect: 5_000, handshake: 10_000, acceptance: 2_000))
        configuration.maxFragmentLength = maxFragment
        return try TLSClient(
            configuration: configuration, transport: POSIXSocketTransport(), keyStore: store,
            clock: SimulatedClock(.offset(0)), context: context)
    }

    @Test func successiveConnectionsShareOneContext() throws {
        let server = try OpenSSLServer(pki: TestPKI.directory)
        defer { server.stop() }
        let store = try keyStore()
        let context = try TLSContext(certificateChain: store.certificateChain, trustAnchors: store.trustAnchors)
        for message in ["first", "second", "third"] {
            let connection = try client(port: server.port, store: store, context: context)
            #expect(try connection.connect().protocolVersion == "TLSv1.3")
            #expect(try exchange(connection, message) == String(message.reversed()))
            connection.close()
        }
    }

    @Test func aContextMadeForOtherVersionsIsRefused() throws {
        let store = try keyStore()
        let context = try TLSContext(
            certificateChain: store.certificateChain, trustAnchors: store.trustAnchors, versions: .tls12OrLater)
        #expect(throws: TCULinkError(.invalidConfiguration)) {
            try client(port: 1, store: store, context: context, versions: .tls13Only)
        }
    }

    @Test func aContextWithoutTrustAnchorsIsRefused() throws {
        let store = try keyStore()
        #expect(throws: TCULinkError(.invalidConfiguration)) {
            try TLSContext(certificateChain: store.certificateChain, trustAnchors: [])
        }
    }

    @Test func maxFragmentLengthIsAgreedAndDataStillFlows() throws {
        let server = try OpenSSLServer(pki: TestPKI.directory)
        defer { server.stop() }
        let store = try keyStore()

        let plain = try client(port: server.port, store: store)
        #expect(try plain.connect().recordPayloadLimit == 16_384)
        plain.close()

        let small = try client(port: server.port, store: store, maxFragment: .bytes512)
        #expect(try small.connect().recordPayloadLimit == 512)
        // A line longer than one record goes out in several and comes back whole.
        let line = String(repeating: "0123456789abcdef", count: 100)
        #expect(try exchange(small, line) == String(line.reversed()))
        small.close()
    }
}

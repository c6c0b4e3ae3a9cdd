import Foundation
import HostHAL
import TCULink
import Testing

/// The core over the host HAL against `openssl s_server -Verify 1 -verify_return_error`,
/// with certificates made by OpenSSL.
@Suite(.serialized) struct HandshakeInteropTests {
    let pki = TestPKI.directory

    @Test func p256DeviceCompletesTLS13MutualTLSAndExchangesData() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        let client = try makeClient(port: server.port)
        let report = try client.connect()
        #expect(report.protocolVersion == "TLSv1.3")
        #expect(report.acceptance == .sessionTicket)
        #expect(report.serverCertificate?.subject.commonName == Array("good server".utf8))
        #expect(!report.cipherSuite.isEmpty)
        #expect(client.keyStore.counter.signatures == 1)  // CertificateVerify signed by the key store
        #expect(try exchange(client, "ping from tcu") == "uct morf gnip")
        client.close()
        #expect(client.status == .closed)
    }

    @Test func rsaDeviceCompletesTLS13AndTLS12() throws {
        let tls13 = try OpenSSLServer(pki: pki)
        defer { tls13.stop() }
        let client13 = try makeClient(device: "device-rsa", port: tls13.port)
        #expect(try client13.connect().protocolVersion == "TLSv1.3")  // RSA-PSS through the key store
        #expect(try exchange(client13, "abc") == "cba")

        let tls12 = try OpenSSLServer(pki: pki, arguments: ["-tls1_2"])
        defer { tls12.stop() }
        let client12 = try makeClient(device: "device-rsa", port: tls12.port, versions: .tls12OrLater)
        let report = try client12.connect()
        #expect(report.protocolVersion == "TLSv1.2")
        #expect(report.acceptance == .implicitInTLS12)  // RSA PKCS#1 v1.5 through the key store
        #expect(client12.keyStore.counter.signatures == 1)
        #expect(try exchange(client12, "xyz") == "zyx")
    }

    @Test func connectsByAddressWithoutSNI() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        let client = try makeClient(port: server.port, host: "127.0.0.1")
        #expect(try client.connect().protocolVersion == "TLSv1.3")
    }

    @Test func refusesAServerCertificateForAnotherName() throws {
        let server = try OpenSSLServer(pki: pki, certificate: "server/wrongname.leaf.pem", key: "server/wrongname.key")
        defer { server.stop() }
        let failure = connectionFailure(try makeClient(port: server.port))
        #expect(failure?.reason == .serverNameMismatch)
        #expect(failure?.certificateDepth == 0)
    }

    @Test func refusesAServerSignedByAnUnknownCA() throws {
        let server = try OpenSSLServer(pki: pki, certificate: "server/rogue.pem", key: "server/rogue.key", chain: nil)
        defer { server.stop() }
        #expect(connectionFailure(try makeClient(port: server.port))?.reason == .unknownCA)
    }

    @Test func refusesAGoodServerWhenTrustingAnotherRoot() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        #expect(connectionFailure(try makeClient(trust: "rogue-root.pem", port: server.port))?.reason == .unknownCA)
    }

    @Test func refusesAnExpiredServerCertificate() throws {
        let server = try OpenSSLServer(pki: pki, certificate: "server/expired.leaf.pem", key: "server/expired.key")
        defer { server.stop() }
        #expect(connectionFailure(try makeClient(port: server.port))?.reason == .certificateExpired)
    }

    @Test func refusesAServerCertificateWithoutServerAuth() throws {
        let server = try OpenSSLServer(
            pki: pki, certificate: "server/clientonly.leaf.pem", key: "server/clientonly.key")
        defer { server.stop() }
        #expect(connectionFailure(try makeClient(port: server.port))?.reason == .serverCertificateLacksServerAuth)
    }

    @Test func reportsTheServersRejectionOfAnUntrustedDeviceInTLS13() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        let failure = connectionFailure(try makeClient(device: "device-rogue", port: server.port))
        #expect(failure?.reason == .peerRejectedCertificate)
        #expect(failure?.alert?.isCertificateRejection == true)
    }

    @Test func reportsTheServersRejectionOfAnUntrustedDeviceInTLS12() throws {
        let server = try OpenSSLServer(pki: pki, arguments: ["-tls1_2"])
        defer { server.stop() }
        let failure = connectionFailure(
            try makeClient(device: "device-rogue", port: server.port, versions: .tls12OrLater))
        #expect(failure?.reason == .peerRejectedCertificate)
        #expect(failure?.alert != nil)
    }

    @Test func judgesValidityByTheBoardClockNotTheHosts() throws {
        let server = try OpenSSLServer(pki: pki)
        defer { server.stop() }
        // The host's clock says the chain is valid; the board's RTC says 2100.
        #expect(
            connectionFailure(try makeClient(port: server.port, clock: .fixed(4_102_444_800)))?.reason
                == .certificateExpired)
        #expect(
            connectionFailure(try makeClient(port: server.port, clock: .fixed(946_684_800)))?.reason
                == .certificateNotYetValid)
        #expect(connectionFailure(try makeClient(port: server.port, clock: .notSet))?.reason == .clockNotSet)
    }

    @Test func tls13OnlyDeviceMeetsATLS12OnlyServer() throws {
        let server = try OpenSSLServer(pki: pki, arguments: ["-tls1_2"])
        defer { server.stop() }
        #expect(connectionFailure(try makeClient(port: server.port))?.reason == .protocolVersionMismatch)
    }
}

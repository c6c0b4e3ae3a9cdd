import Foundation
import Testing

@testable import TCULink

@Suite struct ServerCertificatePolicyTests {
    let now = WallTime.unixSeconds(1_800_000_000)  // 2027-01-15, inside the test PKI's validity
    let policy = ServerCertificatePolicy(serverName: Array("localhost".utf8))

    @Test func acceptsTheGoodLeafAndItsCA() {
        #expect(
            policy.evaluate(TestPKI.certificate("server/good.leaf.pem"), depth: 0, at: .unixSeconds(currentTime()))
                == nil)
        #expect(policy.evaluate(TestPKI.certificate("server-ca.pem"), depth: 1, at: .unixSeconds(currentTime())) == nil)
    }

    @Test func judgesValidityByTheGivenClock() {
        let leaf = TestPKI.certificate("server/good.leaf.pem")
        #expect(policy.evaluate(leaf, depth: 0, at: .unixSeconds(4_102_444_800))?.reason == .certificateExpired)
        #expect(policy.evaluate(leaf, depth: 0, at: .unixSeconds(946_684_800))?.reason == .certificateNotYetValid)
        let expired = TestPKI.certificate("server/expired.leaf.pem")
        #expect(policy.evaluate(expired, depth: 0, at: .unixSeconds(currentTime()))?.reason == .certificateExpired)
        #expect(policy.evaluate(expired, depth: 0, at: .unixSeconds(1_590_000_000)) == nil)  // mid-2020
    }

    @Test func anUnsetClockIsRefusedUnlessConfigured() {
        let leaf = TestPKI.certificate("server/good.leaf.pem")
        #expect(policy.evaluate(leaf, depth: 0, at: .notSet)?.reason == .clockNotSet)
        #expect(policy.evaluate(leaf, depth: 1, at: .notSet)?.reason == .clockNotSet)
        var lenient = policy
        lenient.unsetClock = .skipValidityChecks
        #expect(lenient.evaluate(leaf, depth: 0, at: .notSet) == nil)
        #expect(lenient.evaluate(TestPKI.certificate("server/expired.leaf.pem"), depth: 0, at: .notSet) == nil)
    }

    @Test func refusesALeafWithoutServerAuth() {
        let failure = policy.evaluate(
            TestPKI.certificate("server/clientonly.leaf.pem"), depth: 0, at: .unixSeconds(currentTime()))
        #expect(failure == TCULinkError(.serverCertificateLacksServerAuth))
        #expect(failure?.certificateDepth == 0)
    }

    @Test func refusesALeafWithoutAnyExtendedKeyUsageByDefault() {
        // A CA certificate has no EKU: presented as a leaf it must not pass as a server.
        let noEKU = TestPKI.certificate("server-ca.pem")
        var lenient = ServerCertificatePolicy(serverName: Array("Server CA".utf8))
        #expect(
            lenient.evaluate(noEKU, depth: 0, at: .unixSeconds(currentTime()))?.reason
                == .serverCertificateLacksServerAuth)
        lenient.allowLeafWithoutExtendedKeyUsage = true
        // Allowed past EKU, it still fails on the name: the SAN, not the CN, must match.
        #expect(lenient.evaluate(noEKU, depth: 0, at: .unixSeconds(currentTime()))?.reason == .serverNameMismatch)
    }

    @Test func matchesTheNameAgainstTheSubjectAltName() {
        let leaf = TestPKI.certificate("server/good.leaf.pem")
        let time = WallTime.unixSeconds(currentTime())
        #expect(ServerCertificatePolicy(serverName: Array("LOCALHOST.".utf8)).evaluate(leaf, depth: 0, at: time) == nil)
        #expect(ServerCertificatePolicy(serverName: Array("127.0.0.1".utf8)).evaluate(leaf, depth: 0, at: time) == nil)
        #expect(
            ServerCertificatePolicy(serverName: Array("127.0.0.2".utf8)).evaluate(leaf, depth: 0, at: time)?.reason
                == .serverNameMismatch)
        #expect(
            ServerCertificatePolicy(serverName: Array("evil.localhost".utf8)).evaluate(leaf, depth: 0, at: time)?.reason
                == .serverNameMismatch)
        #expect(
            ServerCertificatePolicy(serverName: Array("good server".utf8)).evaluate(leaf, depth: 0, at: time)?.reason
                == .serverNameMismatch)
        let wrong = TestPKI.certificate("server/wrongname.leaf.pem")
        #expect(policy.evaluate(wrong, depth: 0, at: time)?.reason == .serverNameMismatch)
    }

    @Test func onlyCAsMayStandAboveTheLeaf() {
        let time = WallTime.unixSeconds(currentTime())
        #expect(
            policy.evaluate(TestPKI.certificate("server/good.leaf.pem"), depth: 1, at: time)?.reason
                == .intermediateNotCA)
    }

    @Test func malformedCertificatesAreNamedSo() {
        #expect(policy.evaluate([0x30, 0x03, 0x02, 0x01, 0x01], depth: 0, at: now)?.reason == .certificateMalformed)
    }

    @Test func wildcardRules() {
        func match(_ pattern: String, _ host: String) -> Bool {
            HostnameMatcher.matchesDNS(pattern: Array(pattern.utf8), host: Array(host.utf8))
        }
        #expect(match("*.example.com", "a.example.com"))
        #expect(!match("*.example.com", "example.com"))
        #expect(!match("*.example.com", "a.b.example.com"))
        #expect(!match("*.com", "example.com"))
        #expect(!match("a*.example.com", "ab.example.com"))
        #expect(match("example.com", "example.com"))
        #expect(HostnameMatcher.parseIPv4(Array("10.0.0.1".utf8)) == [10, 0, 0, 1])
        #expect(HostnameMatcher.parseIPv4(Array("256.0.0.1".utf8)) == nil)
        #expect(HostnameMatcher.parseIPv4(Array("1.2.3".utf8)) == nil)
        #expect(HostnameMatcher.isIPLiteral(Array("::1".utf8)))
        #expect(!HostnameMatcher.isIPLiteral(Array("localhost".utf8)))
    }

    func currentTime() -> Int64 { Int64(unixNow()) }
}

private func unixNow() -> Double { Date().timeIntervalSince1970 }

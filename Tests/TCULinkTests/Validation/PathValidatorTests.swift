import Foundation
import Testing

@testable import TCULink

/// The path validator over the OpenSSL-made test PKI (root → Server CA → leaf). One chain per
/// rule, in real handshakes and offline, is in InteropTests/ServerVerificationTests.
@Suite struct PathValidatorTests {
    let now = TestPKI.referenceTime
    let anchors = TestPKI.certificates("root.pem").map { X509Certificate(der: $0)! }
    let serverCA = TestPKI.certificate("server-ca.pem")

    func validate(
        _ leaf: String, name: String = "localhost", at time: WallTime? = nil,
        policy: ServerCertificatePolicy? = nil
    ) -> TCULinkError? {
        PathValidator.validate(
            presented: [TestPKI.certificate(leaf), serverCA], trustAnchors: anchors,
            policy: policy ?? ServerCertificatePolicy(serverName: Array(name.utf8)), at: time ?? now)
    }

    @Test func acceptsTheGoodChain() {
        #expect(validate("server/good.leaf.pem") == nil)
    }

    @Test func judgesValidityByTheGivenClockOnEveryCertificate() {
        #expect(validate("server/good.leaf.pem", at: .unixSeconds(4_102_444_800))?.reason == .certificateExpired)
        #expect(validate("server/good.leaf.pem", at: .unixSeconds(946_684_800))?.reason == .certificateNotYetValid)
        let expired = validate("server/expired.leaf.pem")
        #expect(expired?.reason == .certificateExpired)
        #expect(expired?.certificateDepth == 0)
        // In 2020 the leaf was valid, but its CA and the root were not yet: the path is judged whole.
        #expect(validate("server/expired.leaf.pem", at: .unixSeconds(1_590_000_000))?.reason == .certificateNotYetValid)
    }

    @Test func anUnsetClockIsRefusedUnlessConfigured() {
        #expect(validate("server/good.leaf.pem", at: .notSet)?.reason == .clockNotSet)
        var lenient = ServerCertificatePolicy(serverName: Array("localhost".utf8))
        lenient.unsetClock = .skipValidityChecks
        #expect(validate("server/good.leaf.pem", at: .notSet, policy: lenient) == nil)
        #expect(validate("server/expired.leaf.pem", at: .notSet, policy: lenient) == nil)
    }

    @Test func refusesALeafWithoutServerAuth() {
        let failure = validate("server/clientonly.leaf.pem")
        #expect(failure == TCULinkError(.serverCertificateLacksServerAuth))
        #expect(failure?.certificateDepth == 0)
    }

    @Test func aCACertificateIsNeverAServer() {
        // The Server CA presented as a leaf: refused as a CA, however lenient the EKU rule.
        var lenient = ServerCertificatePolicy(serverName: Array("Server CA".utf8))
        lenient.allowLeafWithoutExtendedKeyUsage = true
        let failure = PathValidator.validate(presented: [serverCA], trustAnchors: anchors, policy: lenient, at: now)
        #expect(failure?.reason == .serverCertificateIsCA)
        #expect(failure?.certificateDepth == 0)
    }

    @Test func matchesTheNameAgainstTheSubjectAltName() {
        #expect(validate("server/good.leaf.pem", name: "LOCALHOST.") == nil)
        #expect(validate("server/good.leaf.pem", name: "127.0.0.1") == nil)
        for name in ["127.0.0.2", "127.0.0.01", "127.1", "evil.localhost", "good server", "::1"] {
            #expect(validate("server/good.leaf.pem", name: name)?.reason == .serverNameMismatch, "\(name)")
        }
        #expect(validate("server/wrongname.leaf.pem")?.reason == .serverNameMismatch)
    }

    @Test func thePathIsBuiltOnlyFromWhatWasSentAndTheAnchors() {
        let leaf = TestPKI.certificate("server/good.leaf.pem")
        let policy = ServerCertificatePolicy(serverName: Array("localhost".utf8))
        let missing = PathValidator.validate(presented: [leaf], trustAnchors: anchors, policy: policy, at: now)
        #expect(missing?.reason == .unknownCA)
        #expect(missing?.certificateDepth == 0)
        let rogue = TestPKI.certificates("rogue-root.pem").map { X509Certificate(der: $0)! }
        #expect(
            PathValidator.validate(presented: [leaf, serverCA], trustAnchors: rogue, policy: policy, at: now)?.reason
                == .unknownCA)
        // Extra certificates the path does not use are ignored (RFC 8446 §4.4.2).
        let extra = TestPKI.certificate("server/wrongname.leaf.pem")
        #expect(
            PathValidator.validate(presented: [leaf, extra, serverCA], trustAnchors: anchors, policy: policy, at: now)
                == nil)
        // The root sent along is fine too: the anchor ends the path first.
        #expect(
            PathValidator.validate(
                presented: [leaf, serverCA] + TestPKI.certificates("root.pem"), trustAnchors: anchors, policy: policy,
                at: now) == nil)
    }

    @Test func malformedCertificatesAreNamedSo() {
        let policy = ServerCertificatePolicy(serverName: Array("localhost".utf8))
        let failure = PathValidator.validate(
            presented: [[0x30, 0x03, 0x02, 0x01, 0x01]], trustAnchors: anchors, policy: policy, at: now)
        #expect(failure?.reason == .certificateMalformed)
        let broken = PathValidator.validate(
            presented: [TestPKI.certificate("server/good.leaf.pem"), [0x30, 0x00]], trustAnchors: anchors,
            policy: policy, at: now)
        #expect(broken?.reason == .certificateMalformed)
        #expect(broken?.certificateDepth == 1)
    }

    @Test func theAlgorithmPolicyTightensButNeverLoosens() {
        #expect(AlgorithmPolicy(minimumRSABits: 1024).minimumRSABits == 2048)
        #expect(AlgorithmPolicy(minimumRSABits: 3072).minimumRSABits == 3072)
        let strict = AlgorithmPolicy(minimumRSABits: 3072, acceptsP384: false)
        #expect(!strict.accepts(.rsa(bits: 2048)) && strict.accepts(.rsa(bits: 4096)))
        #expect(!strict.accepts(.ecP384) && strict.accepts(.ecP256))
        let standard = AlgorithmPolicy()
        #expect(standard.accepts(.ecP384) && !standard.accepts(.ecOtherCurve) && !standard.accepts(.other))
        #expect(!standard.accepts(.rsa(bits: 2047)))
        #expect(standard.accepts(.ecdsa(.sha256)) && standard.accepts(.rsaPSS(.sha384)))
        for weak: SignatureAlgorithm in [.rsaPKCS1(.md5), .rsaPKCS1(.sha1), .ecdsa(.sha1), .ecdsa(.sha224), .unknown] {
            #expect(!standard.accepts(weak), "\(weak)")
        }
        // A tighter policy refuses the test PKI's P-256 chain only if P-256 were refused: it is not.
        var policy = ServerCertificatePolicy(serverName: Array("localhost".utf8))
        policy.algorithms = strict
        #expect(validate("server/good.leaf.pem", policy: policy) == nil)
    }
}

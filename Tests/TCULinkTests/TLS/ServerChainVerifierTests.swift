import Foundation
import Testing

@testable import TCULink

/// The offline verifier (`tcu-sim verify-server`) against chains made by OpenSSL.
@Suite struct ServerChainVerifierTests {
    let anchors = TestPKI.certificates("root.pem")
    let intermediates = TestPKI.certificates("server-ca.pem")
    let now = TestPKI.referenceTime
    let policy = ServerCertificatePolicy(serverName: Array("localhost".utf8))

    func verify(_ leaf: String, anchors: [[UInt8]]? = nil, intermediates: [[UInt8]]? = nil, at time: WallTime? = nil)
        -> TCULinkError?
    {
        ServerChainVerifier.verify(
            leaf: TestPKI.certificate(leaf), intermediates: intermediates ?? self.intermediates,
            trustAnchors: anchors ?? self.anchors, policy: policy, at: time ?? now)
    }

    @Test func acceptsTheGoodChain() {
        #expect(verify("server/good.leaf.pem") == nil)
    }

    @Test func refusesEachBadServer() {
        #expect(verify("server/good.leaf.pem", anchors: TestPKI.certificates("rogue-root.pem"))?.reason == .unknownCA)
        #expect(verify("server/rogue.pem", intermediates: [])?.reason == .unknownCA)
        #expect(verify("server/good.leaf.pem", intermediates: [])?.reason == .unknownCA)  // intermediate missing
        #expect(verify("server/expired.leaf.pem")?.reason == .certificateExpired)
        #expect(verify("server/wrongname.leaf.pem")?.reason == .serverNameMismatch)
        #expect(verify("server/clientonly.leaf.pem")?.reason == .serverCertificateLacksServerAuth)
        #expect(verify("server/good.leaf.pem", at: .unixSeconds(4_102_444_800))?.reason == .certificateExpired)
        #expect(verify("server/good.leaf.pem", at: .notSet)?.reason == .clockNotSet)
    }

    @Test func anIntermediateFromAnotherCACannotVouch() {
        // The rogue root presented as an "intermediate" does not verify under our root.
        let failure = verify("server/rogue.pem", intermediates: TestPKI.certificates("rogue-root.pem"))
        #expect(failure?.reason == .unknownCA)
    }

    @Test func aCertificateTheServerSendsButThePathDoesNotUseIsIgnored() {
        // A leaf sent among the CAs vouches for nothing; the path goes leaf → Server CA → root.
        // (A non-CA that *is* the leaf's issuer: InteropTests' intermediate-not-ca chain.)
        let failure = verify(
            "server/good.leaf.pem", intermediates: [TestPKI.certificate("server/wrongname.leaf.pem")] + intermediates)
        #expect(failure == nil)
    }
}

import Foundation
import X509

/// Judges a device: its chain in a full handshake (swift-certificates' `Verifier` with the device policies),
/// or, for a resumed session, the leaf the session was made with, again, as things stand now.
final class DeviceJudge: Sendable {
    let trust: DeviceTrust
    let registry: DeviceRegistry

    struct Judgement: Sendable {
        /// The identity the leaf claims (its CN), judged or not: for the log.
        var presented: String?
        /// Set when the device is accepted.
        var identity: String?
        var refusal: ClientRefusal?
    }

    init(trust: DeviceTrust, registry: DeviceRegistry) {
        self.trust = trust
        self.registry = registry
    }

    /// A full handshake: `chain` as the device sent it, leaf first (DER).
    func judge(chain: [[UInt8]]) async -> Judgement {
        guard !chain.isEmpty else { return Judgement(refusal: .noClientCertificate) }
        let certificates: [Certificate]
        do {
            certificates = try chain.map { try Certificate(derEncoded: $0) }
        } catch {
            return Judgement(refusal: .invalidChain("a certificate of the chain cannot be parsed (\(error))"))
        }
        let leaf = certificates[0]
        var judgement = Judgement(presented: DeviceRules.displayName(leaf.subject))
        let now = Date()
        let recorder = RefusalRecorder()
        let crls = trust.crlPath == nil ? nil : trust.currentCRLs()
        var verifier = Verifier(rootCertificates: CertificateStore(trust.clientCAs)) {
            DeviceValidityPolicy(now: now, recorder: recorder)
            DeviceRevocationPolicy(crls: crls, now: now, recorder: recorder)
            DeviceCertificatePolicy(recorder: recorder)
            RFC5280Policy(validationTime: now)
        }
        let result = await verifier.validate(
            leaf: leaf, intermediates: CertificateStore(certificates.dropFirst()))
        switch result {
        case .validCertificate(let path):
            trust.remember(issuers: path.dropFirst())
            return registered(leaf, judgement)
        case .couldNotValidate(let failures):
            judgement.refusal =
                recorder.refusal
                ?? failures.first.map { .invalidChain($0.policyFailureReason.description) } ?? .unknownCA
            return judgement
        }
    }

    /// A resumed session: no certificates were exchanged. The leaf it was made with is checked again
    /// now: its signature under a known issuer, validity, the CRL, the device profile, the registry.
    func rejudge(resumedLeaf der: [UInt8]) -> Judgement {
        guard let leaf = try? Certificate(derEncoded: der) else {
            return Judgement(refusal: .invalidChain("the session's certificate cannot be parsed"))
        }
        var judgement = Judgement(presented: DeviceRules.displayName(leaf.subject))
        let now = Date()
        let issuers = trust.possibleIssuers(of: leaf).filter {
            $0.publicKey.isValidSignature(leaf.signature, for: leaf)
        }
        guard let issuer = issuers.first else {
            judgement.refusal = .unknownCA
            return judgement
        }
        let crls = trust.crlPath == nil ? nil : trust.currentCRLs()
        judgement.refusal =
            DeviceRules.validity(leaf, at: now) ?? DeviceRules.validity(issuer, at: now)
            ?? crls.flatMap { DeviceRules.revocation(leaf, isLeaf: true, crls: $0, at: now) }
            ?? DeviceRules.deviceProfile(leaf)  // identity and registry: `registered`
        guard judgement.refusal == nil else { return judgement }
        return registered(leaf, judgement)
    }

    private func registered(_ leaf: Certificate, _ judged: Judgement) -> Judgement {
        var judgement = judged
        guard let id = DeviceRules.identity(leaf) else {
            judgement.refusal = .noIdentity
            return judgement
        }
        guard registry.device(id) != nil else {
            judgement.refusal = .unregistered
            return judgement
        }
        judgement.identity = id
        return judgement
    }
}

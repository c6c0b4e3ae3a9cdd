import Foundation
import NIOConcurrencyHelpers
import SwiftASN1
import X509

/// Records the first named refusal a policy found, so the log says `expired` rather than swift-certificates'
/// sentence. One per judgement.
final class RefusalRecorder: Sendable {
    private let first = NIOLockedValueBox<ClientRefusal?>(nil)

    func fail(_ refusal: ClientRefusal) -> PolicyEvaluationResult {
        first.withLockedValue { if $0 == nil { $0 = refusal } }
        return .failsToMeetPolicy(reason: "\(refusal.word): \(refusal.explanation)")
    }

    var refusal: ClientRefusal? { first.withLockedValue { $0 } }
}

/// Validity of every certificate of the candidate path, named (RFC5280Policy checks it again, unnamed).
struct DeviceValidityPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []
    let now: Date
    let recorder: RefusalRecorder

    mutating func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        for certificate in chain {
            if let refusal = DeviceRules.validity(certificate, at: now) { return recorder.fail(refusal) }
        }
        return .meetsPolicy
    }
}

/// Revocation of the leaf and of each CA certificate below the anchor, by the CRLs loaded now.
struct DeviceRevocationPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []
    let crls: [DistinguishedName: CertificateRevocationList]?
    let now: Date
    let recorder: RefusalRecorder

    mutating func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        guard let crls else { return .meetsPolicy }  // no --crl
        for (index, certificate) in chain.dropLast().enumerated() {
            if let refusal = DeviceRules.revocation(certificate, isLeaf: index == 0, crls: crls, at: now) {
                return recorder.fail(refusal)
            }
        }
        return .meetsPolicy
    }
}

/// The device profile of the leaf (EKU clientAuth, key usage, identity) and key usage of the CAs.
struct DeviceCertificatePolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]
    let recorder: RefusalRecorder

    mutating func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        if let refusal = DeviceRules.deviceProfile(chain.leaf) { return recorder.fail(refusal) }
        for ca in chain.dropFirst() {
            if let refusal = DeviceRules.issuerProfile(ca) { return recorder.fail(refusal) }
        }
        if DeviceRules.identity(chain.leaf) == nil { return recorder.fail(.noIdentity) }
        return .meetsPolicy
    }
}

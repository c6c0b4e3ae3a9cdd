import Testing

@testable import TCULink

@Suite struct ErrorTaxonomyTests {
    @Test func equalityComparesReasonAndAlertOnly() {
        #expect(TCULinkError(.unknownCA, libraryCode: -188) == TCULinkError(.unknownCA, libraryCode: 0))
        #expect(
            TCULinkError(.peerRejectedCertificate, alert: .unknownCA)
                != TCULinkError(.peerRejectedCertificate, alert: .badCertificate))
    }

    @Test func everyReasonHasItsOwnDescription() {
        var seen: [String] = []
        for raw in UInt8(0)...UInt8(255) {
            guard let reason = TCULinkError.Reason(rawValue: raw) else { continue }
            let text = reason.summary.description
            #expect(!text.isEmpty)
            #expect(!seen.contains(text), "duplicate description: \(text)")
            seen.append(text)
        }
        #expect(seen.count >= 30)
    }

    @Test func certificateAlertsAreRejections() {
        for alert in [
            TLSAlert.badCertificate, .unsupportedCertificate, .certificateRevoked, .certificateExpired,
            .certificateUnknown, .unknownCA, .accessDenied, .certificateRequired,
        ] {
            #expect(alert.isCertificateRejection, "\(alert.name)")
        }
        for alert in [TLSAlert.handshakeFailure, .protocolVersion, .decodeError, .internalError] {
            #expect(!alert.isCertificateRejection)
        }
        #expect(TLSAlert.certificateRevoked.name.description == "certificate_revoked")
        #expect(TLSAlert(code: 200).name.description == "unknown_alert")
    }

    @Test func wolfSSLVerificationCodesMapInBothNumberings() {
        // Debian's build hands OpenSSL's X509_V_ERR numbers; others hand wolfSSL's.
        #expect(WolfSSLErrors.classifyVerification(20, depth: 0).reason == .unknownCA)
        #expect(WolfSSLErrors.classifyVerification(-188, depth: 1).reason == .unknownCA)
        #expect(WolfSSLErrors.classifyVerification(-188, depth: 1).certificateDepth == 1)
        #expect(WolfSSLErrors.classifyVerification(10, depth: 0).reason == .certificateExpired)
        #expect(WolfSSLErrors.classifyVerification(-151, depth: 0).reason == .certificateExpired)
        #expect(WolfSSLErrors.classifyVerification(-150, depth: 0).reason == .certificateNotYetValid)
        #expect(WolfSSLErrors.classifyVerification(7, depth: 0).reason == .certificateSignatureInvalid)
        #expect(WolfSSLErrors.classifyVerification(-386, depth: 0).reason == .serverCertificateLacksServerAuth)
        #expect(WolfSSLErrors.isDateError(14) && WolfSSLErrors.isDateError(-151) && !WolfSSLErrors.isDateError(20))
    }

    @Test func permanentFailuresAreTheOnesRetryingCannotCure() {
        #expect(TCULinkError.Reason.peerRejectedCertificate.isPermanent)
        #expect(TCULinkError.Reason.unknownCA.isPermanent)
        #expect(!TCULinkError.Reason.connectionReset.isPermanent)
        #expect(!TCULinkError.Reason.handshakeTimeout.isPermanent)
    }
}

import Foundation
import TestSupport
import Testing

@testable import TCULink

@Suite struct TCULinkErrorTests {
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

    @Test func aTransportTimeoutAfterConnectingIsAnIOTimeout() {
        let target = WolfSSLCallbackTarget()
        target.transportFailure = .timedOut
        #expect(WolfSSLErrors.classify(-308, session: nil, target: target).reason == .ioTimeout)
        target.transportFailure = .reset
        #expect(WolfSSLErrors.classify(-308, session: nil, target: target).reason == .connectionReset)
        // Before the transport connects, the state machine reports its own connectTimeout.
        #expect(TransportFailure.timedOut.reason == .connectTimeout)
    }

    @Test func theKeyStoresOwnErrorReachesTheReport() {
        let target = WolfSSLCallbackTarget()
        target.keyStoreFailure = .signingFailed(-7)
        let failure = WolfSSLErrors.classify(-259, session: nil, target: target)
        #expect(failure.reason == .keyStoreFailed)
        #expect(failure.keyStoreError == .signingFailed(-7))
    }

    @Test func permanentFailuresAreTheOnesRetryingCannotCure() {
        #expect(TCULinkError.Reason.peerRejectedCertificate.isPermanent)
        #expect(TCULinkError.Reason.unknownCA.isPermanent)
        #expect(!TCULinkError.Reason.connectionReset.isPermanent)
        #expect(!TCULinkError.Reason.handshakeTimeout.isPermanent)
    }
}

/// The C header and the Swift taxonomy give every reason the same number.
@Suite struct ReasonHeaderTests {
    static let header: String = {
        let path = repositoryRoot.appendingPathComponent("BoardSupport/include/tculink_reasons.h").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }()

    /// `serverCertificateIsCA` → `SERVER_CERTIFICATE_IS_CA`, `unknownCA` → `UNKNOWN_CA`.
    static func macroName(_ name: String) -> String {
        var result = ""
        var previous: Character? = nil
        for character in name {
            if character.isUppercase, let previous, previous.isLowercase { result += "_" }
            result += character.uppercased()
            previous = character
        }
        return "TCU_REASON_" + result
    }

    @Test func everyReasonIsInTheHeaderWithItsNumber() {
        var defined: [String: Int] = [:]
        for line in Self.header.split(separator: "\n") where line.hasPrefix("#define TCU_REASON_") {
            let parts = line.split(separator: " ")
            if parts.count == 3, let value = Int(parts[2]) { defined[String(parts[1])] = value }
        }
        #expect(defined.count == TCULinkError.Reason.all.count, "the header and the taxonomy list different reasons")
        for reason in TCULinkError.Reason.all {
            #expect(defined[Self.macroName(reason.description)] == Int(reason.rawValue), "\(reason)")
        }
    }

    @Test func reasonsAreValuesWithNamesNotCases() {
        #expect(TCULinkError.Reason(rawValue: 1) == .unknownCA)
        #expect(TCULinkError.Reason(rawValue: 0) == nil && TCULinkError.Reason(rawValue: 200) == nil)
        #expect("\(TCULinkError.Reason.serverCertificateIsCA)" == "serverCertificateIsCA")
        #expect(tcu_reason_is_permanent(Int32(TCULinkError.Reason.weakKey.rawValue)) == 1)
        #expect(tcu_reason_is_permanent(Int32(TCULinkError.Reason.ioTimeout.rawValue)) == 0)
    }
}

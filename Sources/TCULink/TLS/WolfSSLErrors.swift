import CWolfSSL

/// Turns wolfSSL's numbers into the taxonomy. The number is kept in `libraryCode`.
enum WolfSSLErrors {
    /// True for "not yet valid" and "expired", in either numbering (see below).
    static func isDateError(_ code: Int32) -> Bool {
        code == wolfCode(ASN_AFTER_DATE_E) || code == wolfCode(ASN_BEFORE_DATE_E)
            || code == OpenSSLVerifyCode.certificateNotYetValid || code == OpenSSLVerifyCode.certificateHasExpired
            || code == OpenSSLVerifyCode.errorInNotBeforeField || code == OpenSSLVerifyCode.errorInNotAfterField
    }

    /// Errors wolfSSL reports on matters the path validator judges itself, and better, set aside in
    /// the handshake and offline alike:
    /// - validity (wolfSSL uses the host's clock). wolfSSL reports a date error only after the
    ///   signature verified, so a CA with one may be filed for the certificate below it.
    /// - name constraints, on the leaf only: wolfSSL 5.5.4 refuses an iPAddress SAN under a CA that
    ///   permits only dNSName subtrees, though RFC 5280 constrains each name form by its own subtrees
    ///   (336 BetterTLS cases in scripts/targets/limbo-check). wolfSSL also reports this error *before* the
    ///   signature for a certificate that carries nameConstraints itself, so a leaf that does is
    ///   never set aside (and the validator refuses nameConstraints outside CAs anyway).
    static func isJudgedByValidator(_ code: Int32, depth: Int, certificate der: [UInt8]) -> Bool {
        if isDateError(code) { return true }
        guard code == wolfCode(ASN_NAME_INVALID_E), depth == 0, let leaf = X509Certificate(der: der) else {
            return false
        }
        return leaf.nameConstraints == nil
    }

    /// An error wolfSSL reported about one certificate of the server's chain.
    ///
    /// Built with OPENSSL_EXTRA (as Debian's is), wolfSSL hands the verify callback
    /// OpenSSL's X509_V_ERR numbers; other builds hand it its own negative codes.
    /// Both are understood.
    static func classifyVerification(_ code: Int32, depth: Int) -> TCULinkError {
        let depthTag = Int8(clamping: depth)
        let reason: TCULinkError.Reason
        switch code {
        case OpenSSLVerifyCode.unableToGetIssuerCertificate, OpenSSLVerifyCode.unableToGetIssuerCertificateLocally,
            OpenSSLVerifyCode.unableToVerifyLeafSignature, OpenSSLVerifyCode.selfSignedLeaf,
            OpenSSLVerifyCode.selfSignedInChain:
            reason = .unknownCA
        case OpenSSLVerifyCode.certificateSignatureFailure: reason = .certificateSignatureInvalid
        case OpenSSLVerifyCode.certificateNotYetValid, OpenSSLVerifyCode.errorInNotBeforeField:
            reason = .certificateNotYetValid
        case OpenSSLVerifyCode.certificateHasExpired, OpenSSLVerifyCode.errorInNotAfterField:
            reason = .certificateExpired
        case OpenSSLVerifyCode.invalidPurpose: reason = .serverCertificateLacksServerAuth
        case OpenSSLVerifyCode.pathLengthExceeded, wolfCode(ASN_PATHLEN_INV_E), wolfCode(ASN_PATHLEN_SIZE_E):
            reason = .pathLengthExceeded
        case wolfCode(ASN_NAME_INVALID_E): reason = .nameConstraintViolated
        case wolfCode(ASN_CRIT_EXT_E): reason = .unsupportedCriticalExtension
        case wolfCode(RSA_KEY_SIZE_E), wolfCode(ECC_KEY_SIZE_E): reason = .weakKey
        case OpenSSLVerifyCode.hostnameMismatch, OpenSSLVerifyCode.ipAddressMismatch: reason = .serverNameMismatch
        case wolfCode(ASN_NO_SIGNER_E), wolfCode(ASN_SELF_SIGNED_E): reason = .unknownCA
        case wolfCode(ASN_AFTER_DATE_E): reason = .certificateExpired
        case wolfCode(ASN_BEFORE_DATE_E): reason = .certificateNotYetValid
        case wolfCode(ASN_SIG_CONFIRM_E), wolfCode(ASN_SIG_OID_E), wolfCode(ASN_SIG_KEY_E), wolfCode(ASN_SIG_HASH_E):
            reason = .certificateSignatureInvalid
        case wolfCode(DOMAIN_NAME_MISMATCH), wolfCode(IPADDR_MISMATCH): reason = .serverNameMismatch
        case wolfCode(EXTKEYUSE_AUTH_E): reason = .serverCertificateLacksServerAuth
        default: reason = .certificateMalformed
        }
        return TCULinkError(reason, libraryCode: code, certificateDepth: depthTag)
    }

    /// wolfSSL found no issuer it trusts; when the path validator can say more precisely why (an
    /// issuer that is not a CA, that may not sign certificates…), its reason is the one reported.
    /// Only the wording changes: the chain is refused either way. The validator runs only then
    /// (a chain wolfSSL already refused costs no more work).
    static func explain(_ failure: TCULinkError, validator: () -> TCULinkError?) -> TCULinkError {
        guard failure.reason == .unknownCA, let validator = validator(), validator.reason != .unknownCA else {
            return failure
        }
        var explained = validator
        explained.libraryCode = failure.libraryCode
        return explained
    }

    /// A failed `wolfSSL_connect`, `wolfSSL_read` or `wolfSSL_write`, explained with
    /// everything the callbacks and the alert history saw.
    static func classify(
        _ code: Int32, session: OpaquePointer?, target: WolfSSLCallbackTarget
    ) -> TCULinkError {
        // Our own verdict wins; it keeps the code the verify callback saw (0 when the
        // refusal was our policy's, not wolfSSL's), not the generic one connect returns.
        if let failure = target.verificationFailure { return failure }
        if let violation = target.protocolViolation { return violation }
        if let keyStoreFailure = target.keyStoreFailure {
            var failure = TCULinkError(.keyStoreFailed, libraryCode: code)
            failure.keyStoreError = keyStoreFailure  // the HAL's detail reaches the report
            return failure
        }
        if let alert = receivedFatalAlert(session) {
            if alert.isCertificateRejection {
                return TCULinkError(.peerRejectedCertificate, alert: alert, libraryCode: code)
            }
            if alert == .protocolVersion {
                return TCULinkError(.protocolVersionMismatch, alert: alert, libraryCode: code)
            }
            // handshake_failure before a ServerHello: the server found nothing it shares with
            // our ClientHello (suites, groups, signature schemes), e.g. an anonymous-only server.
            if alert == .handshakeFailure, let session, wolfSSL_get_current_cipher_suite(session) == 0 {
                return TCULinkError(.noSharedCipherSuite, alert: alert, libraryCode: code)
            }
            return TCULinkError(.peerAlert, alert: alert, libraryCode: code)
        }
        if let failure = target.transportFailure {
            // The transport was connected by now: a link-layer timeout is the server gone quiet, not a
            // connect that never completed.
            let reason: TCULinkError.Reason = failure == .timedOut ? .ioTimeout : failure.reason
            return TCULinkError(reason, libraryCode: code)
        }
        if target.transportClosedByPeer { return TCULinkError(.peerClosedDuringHandshake, libraryCode: code) }
        let reason: TCULinkError.Reason
        switch code {
        case wolfCode(VERSION_ERROR): reason = .protocolVersionMismatch
        case wolfCode(MATCH_SUITE_ERROR): reason = .noSharedCipherSuite
        case wolfCode(AES_GCM_AUTH_E), wolfCode(VERIFY_MAC_ERROR), wolfCode(DECRYPT_ERROR):
            reason = .recordIntegrityFailed
        case wolfCode(SOCKET_PEER_CLOSED_E), wolfCode(ZERO_RETURN): reason = .peerClosedDuringHandshake
        case wolfCode(SOCKET_ERROR_E): reason = .connectionReset
        case wolfCode(MEMORY_E), wolfCode(MEMORY_ERROR): reason = .outOfMemory
        case wolfCode(NO_PEER_CERT): reason = .serverSentNoCertificate
        case wolfCode(ASN_NO_SIGNER_E), wolfCode(ASN_AFTER_DATE_E), wolfCode(ASN_BEFORE_DATE_E),
            wolfCode(ASN_SIG_CONFIRM_E), wolfCode(DOMAIN_NAME_MISMATCH), wolfCode(EXTKEYUSE_AUTH_E),
            wolfCode(ASN_CRIT_EXT_E), wolfCode(ASN_PATHLEN_INV_E), wolfCode(ASN_PATHLEN_SIZE_E),
            wolfCode(ASN_NAME_INVALID_E), wolfCode(RSA_KEY_SIZE_E), wolfCode(ECC_KEY_SIZE_E):
            return classifyVerification(code, depth: 0)
        default: reason = .tlsLibraryError
        }
        return TCULinkError(reason, libraryCode: code)
    }

    /// The last fatal alert the peer sent on this session, if any.
    static func receivedFatalAlert(_ session: OpaquePointer?) -> TLSAlert? {
        guard let session, let last = lastReceivedAlert(session), last.level == 2 else { return nil }
        return last.alert
    }

    /// The last alert the peer sent on this session (close_notify aside) with its level (1 warning,
    /// 2 fatal); nil when none came.
    static func lastReceivedAlert(_ session: OpaquePointer) -> (alert: TLSAlert, level: Int32)? {
        var history = WOLFSSL_ALERT_HISTORY()
        guard wolfSSL_get_alert_history(session, &history) == WOLFSSL_SUCCESS else { return nil }
        guard history.last_rx.code > 0, history.last_rx.code <= 255 else { return nil }
        return (TLSAlert(code: UInt8(history.last_rx.code)), history.last_rx.level)
    }
}

/// OpenSSL's X509_V_ERR_* numbers, which wolfSSL's compatibility layer uses in the verify callback.
enum OpenSSLVerifyCode {
    static let unableToGetIssuerCertificate: Int32 = 2
    static let certificateSignatureFailure: Int32 = 7
    static let certificateNotYetValid: Int32 = 9
    static let certificateHasExpired: Int32 = 10
    // wolfSSL 5.5.4 reports its date errors with these two (observed with an expired server leaf).
    static let errorInNotBeforeField: Int32 = 13
    static let errorInNotAfterField: Int32 = 14
    static let selfSignedLeaf: Int32 = 18
    static let selfSignedInChain: Int32 = 19
    static let unableToGetIssuerCertificateLocally: Int32 = 20
    static let unableToVerifyLeafSignature: Int32 = 21
    static let pathLengthExceeded: Int32 = 25
    static let invalidPurpose: Int32 = 26
    static let hostnameMismatch: Int32 = 62
    static let ipAddressMismatch: Int32 = 64
}

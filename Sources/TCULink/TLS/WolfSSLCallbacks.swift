import CWolfSSL

/// The object wolfSSL's C callbacks reach through their context pointer.
///
/// C callbacks cannot be generic, so they call these methods on this non-generic
/// base class; `TLSClient<Transport, KeyStore, Clock>` overrides them with its HAL.
/// The class also collects what the callbacks saw, so a failure can be explained
/// precisely (our own verdict on a certificate, a transport error, a signing error).
open class WolfSSLCallbackTarget {
    /// Our verdict on the server's chain, when we refused it.
    var verificationFailure: TCULinkError?
    /// A TLS rule the server broke that wolfSSL 5.5 lets pass: an alert TLS 1.3 makes fatal whatever
    /// its level, a CertificateVerify scheme the server key's curve does not allow. Fails the connection.
    var protocolViolation: TCULinkError?
    /// Bytes the transport delivered during the current wolfSSL call (reset before each): a call
    /// that reads more than `receiveBudget` without returning gives control back (see `TLSClient`).
    var receivedThisCall = 0
    /// The last transport failure seen in an I/O callback.
    var transportFailure: TransportFailure?
    var transportClosedByPeer = false
    var keyStoreFailure: KeyStoreError?
    var sessionTicketReceived = false
    /// The server's leaf certificate, DER, as received.
    var serverLeaf: [UInt8]?
    /// The path validator accepted the server's whole chain in this handshake. A full handshake
    /// that completes without it is refused, whatever wolfSSL says (see `TLSClient`).
    var serverChainAccepted = false
    /// Bytes through the transport, both ways (what a metered cellular link bills).
    var bytesSent = 0
    var bytesReceived = 0
    /// The last send the transport could not take (reset before each wolfSSL call). wolfSSL
    /// sometimes reports no error at all after a partial write, so the engine asks this instead.
    var sendBlocked = false
    /// The cipher suites of the ClientHello, as sent (read from the first record).
    var offeredSuites: [UInt16] = []
    /// The cipher suites this connection's ClientHello offered, as sent; empty before it was sent.
    public var offeredCipherSuites: [String] { offeredSuites.map { ClientHelloSuites.name($0) } }
    private var sentFirstRecord = false

    func noteOutgoing(_ bytes: UnsafeRawBufferPointer) {
        guard !sentFirstRecord else { return }
        sentFirstRecord = true
        offeredSuites = ClientHelloSuites.parse(bytes) ?? []
    }

    func transportReceive(into buffer: UnsafeMutableRawBufferPointer) -> TransportIO { .failed(.other) }
    func transportSend(_ bytes: UnsafeRawBufferPointer) -> TransportIO { .failed(.other) }
    func keyStoreSign(
        _ request: SigningRequest, input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(KeyStoreError) -> Int { throw .keyUnavailable }
    /// Lends wolfSSL a CA of the server's chain that it verified but, because of a date error by
    /// the host's clock, will not use for the certificate below (see the verify callback).
    func trustVerifiedAuthority(_ der: [UInt8]) {}
    /// Judges the server's chain as sent (leaf first); nil to accept.
    func judgeServerChain(_ presented: [[UInt8]]) -> TCULinkError? { TCULinkError(.invalidState) }

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> WolfSSLCallbackTarget? {
        guard let pointer else { return nil }
        return Unmanaged<WolfSSLCallbackTarget>.fromOpaque(pointer).takeUnretainedValue()
    }
}

// MARK: - I/O callbacks: wolfSSL's record layer reads and writes through the HAL transport.

let wolfSSLReceiveCallback: CallbackIORecv = { _, buffer, size, context in
    guard let target = WolfSSLCallbackTarget.from(context), let buffer, size > 0 else {
        return WOLFSSL_CBIO_ERR_GENERAL.rawValue
    }
    let result = target.transportReceive(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(size)))
    if case .transferred(let count) = result {
        target.bytesReceived += count
        target.receivedThisCall += count
    }
    return ioCallbackResult(result, target: target, wouldBlock: WOLFSSL_CBIO_ERR_WANT_READ.rawValue)
}

let wolfSSLSendCallback: CallbackIOSend = { _, buffer, size, context in
    guard let target = WolfSSLCallbackTarget.from(context), let buffer, size > 0 else {
        return WOLFSSL_CBIO_ERR_GENERAL.rawValue
    }
    let outgoing = UnsafeRawBufferPointer(start: buffer, count: Int(size))
    target.noteOutgoing(outgoing)
    let result = target.transportSend(outgoing)
    if case .transferred(let count) = result { target.bytesSent += count }
    target.sendBlocked = result == .wouldBlock
    return ioCallbackResult(result, target: target, wouldBlock: WOLFSSL_CBIO_ERR_WANT_WRITE.rawValue)
}

/// A transport answer as wolfSSL's I/O callback result, noting closes and failures for the error report.
private func ioCallbackResult(_ result: TransportIO, target: WolfSSLCallbackTarget, wouldBlock: Int32) -> Int32 {
    switch result {
    case .transferred(let count): return Int32(count)
    case .wouldBlock: return wouldBlock
    case .closed:
        target.transportClosedByPeer = true
        return WOLFSSL_CBIO_ERR_CONN_CLOSE.rawValue
    case .failed(let failure):
        target.transportFailure = failure
        return failure == .reset ? WOLFSSL_CBIO_ERR_CONN_RST.rawValue : WOLFSSL_CBIO_ERR_GENERAL.rawValue
    }
}

// MARK: - Verification: wolfSSL checks signatures; the path validator judges the whole path.

/// Called for every certificate of the server's chain, from the top down, the leaf last
/// (Debian's wolfSSL is built with WOLFSSL_ALWAYS_VERIFY_CB and WOLFSSL_VERIFY_CB_ALL_CERTS;
/// a board's user_settings.h must be too). An error wolfSSL found stands, except a date or
/// name-constraint error (`WolfSSLErrors.isJudgedByValidator`): the validator judges those. At the leaf the
/// whole chain as sent goes to `PathValidator`, which builds the path from it and the trust
/// anchors alone and applies RFC 5280's rules to every certificate on it.
let wolfSSLVerifyCallback: VerifyCallback = { preverify, store in
    guard let store, let target = WolfSSLCallbackTarget.from(store.pointee.userCtx) else { return 0 }
    let depth = Int(store.pointee.error_depth)
    let error = store.pointee.error
    let total = Int(store.pointee.totalCerts)
    guard depth >= 0, depth < total, let certificates = store.pointee.certs else {
        target.verificationFailure =
            target.verificationFailure ?? TCULinkError(.certificateMalformed, libraryCode: error)
        return 0
    }
    let info = certificates[depth]
    guard let buffer = info.buffer, info.length > 0 else { return 0 }
    let der = Array(UnsafeBufferPointer(start: buffer, count: Int(info.length)))
    let setAside = preverify == 0 && WolfSSLErrors.isJudgedByValidator(error, depth: depth, certificate: der)
    let failedInWolfSSL = preverify == 0 && error != 0 && !setAside
    if depth > 0 && !failedInWolfSSL {
        // wolfSSL (WOLFSSL_ALT_CERT_CHAINS, as Debian builds it) never files a chain CA that had any
        // error, a date error by the host's clock included, so the leaf below it then has "no
        // signer" although the device clock finds the whole path valid (ServerVerificationTests,
        // future-pki-at-2035). A date error comes only after the signature verified, so the CA is
        // filed here, in this connection's own store, exactly as wolfSSL would have.
        if setAside && WolfSSLErrors.isDateError(error) && X509Certificate(der: der)?.isCertificateAuthority == true {
            target.trustVerifiedAuthority(der)
        }
        return 1  // the chain is judged whole, at the leaf
    }
    var presented: [[UInt8]] = []
    for index in 0..<total {
        let info = certificates[index]
        guard let buffer = info.buffer, info.length > 0 else { return 0 }
        presented.append(Array(UnsafeBufferPointer(start: buffer, count: Int(info.length))))
    }
    if failedInWolfSSL {
        if target.verificationFailure == nil {
            target.verificationFailure = WolfSSLErrors.explain(
                WolfSSLErrors.classifyVerification(error, depth: depth)
            ) { target.judgeServerChain(presented) }
        }
        return 0
    }

    target.serverLeaf = presented[0]
    if let failure = target.judgeServerChain(presented) {
        if target.verificationFailure == nil { target.verificationFailure = failure }
        return 0
    }
    target.serverChainAccepted = true
    return 1
}

// MARK: - Signature checks: RFC 8446 4.2.3 ties a TLS 1.3 ECDSA scheme to the key's curve.

/// Every ECDSA signature wolfSSL checks on this connection comes here: the chain's certificates, the
/// TLS 1.3 CertificateVerify, a TLS 1.2 ServerKeyExchange. `tcu_ecc_verify` verifies each as wolfSSL
/// would and, for the CertificateVerify, also requires the hash the key's curve fixes. In TLS 1.3 the
/// CertificateVerify is the only ECDSA signature after the verify callback accepted the chain (the
/// leaf's own signature is checked before that callback runs).
let wolfSSLEccVerifyCallback: CallbackEccVerify = {
    session, signature, signatureLength, digest, digestLength, key, keyLength, valid, context in
    guard let target = WolfSSLCallbackTarget.from(context), let session else { return wolfCode(BAD_FUNC_ARG) }
    let certificateVerify = target.serverChainAccepted && wolfSSL_GetVersion(session) == Int32(WOLFSSL_TLSV1_3)
    let status = tcu_ecc_verify(
        signature, signatureLength, digest, digestLength, key, keyLength, certificateVerify ? 1 : 0, valid)
    if status == TCU_ECC_SCHEME_MISMATCH && target.protocolViolation == nil {
        target.protocolViolation = TCULinkError(.signatureSchemeMismatch)
    }
    return status
}

// MARK: - Signing: the device key stays in the key store.

let wolfSSLEccSignCallback: CallbackEccSign = { _, input, inputSize, output, outputSize, _, _, context in
    sign(.ecdsa, context, input, inputSize, output, outputSize)
}

let wolfSSLRsaSignCallback: CallbackRsaSign = { _, input, inputSize, output, outputSize, _, _, context in
    sign(.rsaPKCS1v15, context, input, inputSize, output, outputSize)
}

let wolfSSLRsaPssSignCallback: CallbackRsaPssSign = { _, input, inputSize, output, outputSize, hash, _, _, _, context in
    // wolfSSL names the hash by its OID sum (SHA256h = 414, SHA384h = 415, SHA512h = 416).
    let algorithm: HashAlgorithm
    switch hash {
    case 414: algorithm = .sha256
    case 415: algorithm = .sha384
    case 416: algorithm = .sha512
    default: return wolfCode(BAD_FUNC_ARG)
    }
    return sign(.rsaPSS(algorithm), context, input, inputSize, output, outputSize)
}

private func sign(
    _ request: SigningRequest, _ context: UnsafeMutableRawPointer?, _ input: UnsafePointer<UInt8>?, _ inputSize: UInt32,
    _ output: UnsafeMutablePointer<UInt8>?, _ outputSize: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    guard let target = WolfSSLCallbackTarget.from(context), let input, let output, let outputSize else {
        return wolfCode(BAD_FUNC_ARG)
    }
    do {
        let length = try target.keyStoreSign(
            request,
            input: UnsafeRawBufferPointer(start: input, count: Int(inputSize)),
            into: UnsafeMutableRawBufferPointer(start: output, count: Int(outputSize.pointee)))
        outputSize.pointee = UInt32(length)
        return 0
    } catch {
        target.keyStoreFailure = error
        return wolfCode(WC_HW_E)
    }
}

// MARK: - Session tickets: in TLS 1.3 the server sends one only after accepting our Finished.

let wolfSSLSessionTicketCallback: CallbackSessionTicket = { _, _, _, context in
    WolfSSLCallbackTarget.from(context)?.sessionTicketReceived = true
    return 0
}

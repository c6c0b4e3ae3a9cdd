import CTCUHAL

// tculink_lifecycle.h's renewal: tcu_csr_build, tcu_renew and tcu_renewal_due over the HAL's optional
// renewal entries (keystore_public_key ... keystore_commit).

/// The key store a renewal works with: the pending key (keystore_sign_pending: the pending key when
/// there is one, else the current one) and a chain of the caller's choice (the current one while asking
/// the CA, the pending one while proving it).
struct CHALRenewalKeyStore: KeyStore {
    let hal: UnsafePointer<tcu_hal>
    let certificateChain: [[UInt8]]
    let trustAnchors: [[UInt8]]

    mutating func sign(
        _ request: SigningRequest, input: UnsafeRawBufferPointer, into signature: UnsafeMutableRawBufferPointer
    ) throws(KeyStoreError) -> Int {
        try CHALKeyStore.sign(request, input: input, into: signature, with: hal.pointee.keystore_sign_pending, hal: hal)
    }

    func publicKey() throws(KeyStoreError) -> [UInt8] {
        guard let key = renewalPublicKey(hal) else { throw .keyUnavailable }
        return key
    }
}

/// The SubjectPublicKeyInfo of `key` (TCU_KEY_*), or nil when there is none or the HAL cannot say.
func halPublicKey(_ hal: UnsafePointer<tcu_hal>, _ key: Int32) -> [UInt8]? {
    guard let function = hal.pointee.keystore_public_key else { return nil }
    var buffer = [UInt8](repeating: 0, count: 1024)
    let length = buffer.withUnsafeMutableBufferPointer { function(hal.pointee.context, key, $0.baseAddress, $0.count) }
    guard length > 0, Int(length) <= buffer.count else { return nil }
    return Array(buffer[0..<Int(length)])
}

/// The key a renewal is for: the pending key when there is one, else the current key.
func renewalPublicKey(_ hal: UnsafePointer<tcu_hal>) -> [UInt8]? {
    halPublicKey(hal, Int32(TCU_KEY_PENDING)) ?? halPublicKey(hal, Int32(TCU_KEY_CURRENT))
}

@_cdecl("tcu_csr_build")
public func tcu_csr_build(
    _ hal: UnsafePointer<tcu_hal>?, _ deviceID: UnsafePointer<CChar>?, _ key: Int32,
    _ csrOut: UnsafeMutablePointer<UInt8>?,
    _ capacity: Int, _ lengthOut: UnsafeMutablePointer<Int>?
) -> Int32 {
    guard let hal, let deviceID, let csrOut, let lengthOut else { return CStatus.invalidArgument }
    guard tcu_hal_missing_function(hal) == 0 else { return CStatus.failure(.invalidConfiguration) }
    let current = CHALKeyStore(hal: hal)
    do throws(TCULinkError) {
        let csr: [UInt8]
        if key == Int32(TCU_KEY_PENDING) {
            guard tcu_hal_can_renew(hal) == 1, halPublicKey(hal, Int32(TCU_KEY_PENDING)) != nil else {
                return CStatus.failure(.keyStoreFailed)
            }
            var store = CHALRenewalKeyStore(
                hal: hal, certificateChain: current.certificateChain, trustAnchors: current.trustAnchors)
            csr = try CertificateRequestBuilder.build(deviceID: String(cString: deviceID), keyStore: &store)
        } else if key == Int32(TCU_KEY_CURRENT) {
            var store = current
            csr = try CertificateRequestBuilder.build(deviceID: String(cString: deviceID), keyStore: &store)
        } else {
            return CStatus.failure(.invalidConfiguration)
        }
        guard csr.count <= capacity else { return CStatus.failure(.storageFailed) }
        for index in 0..<csr.count { csrOut[index] = csr[index] }
        lengthOut.pointee = csr.count
        return CStatus.ok
    } catch {
        return CStatus.failure(error)
    }
}

@_cdecl("tcu_renewal_due")
public func tcu_renewal_due(_ hal: UnsafePointer<tcu_hal>?, _ now: Int64, _ within: Int64) -> Int32 {
    guard let hal else { return CStatus.invalidArgument }
    guard tcu_hal_missing_function(hal) == 0 else { return CStatus.failure(.invalidConfiguration) }
    guard let leaf = CHALKeyStore(hal: hal).certificateChain.first else { return CStatus.failure(.keyStoreFailed) }
    guard let certificate = X509Certificate(der: leaf) else { return CStatus.failure(.certificateMalformed) }
    // notAfter - now, without trapping for a `now` near either end of Int64: past the range, the remaining
    // time is beyond any `within` (now far before notAfter: not due) or below it (now far after: due).
    let (remaining, overflow) = certificate.notAfter.subtractingReportingOverflow(now)
    if overflow { return now < 0 ? 0 : 1 }
    return remaining <= within ? 1 : 0
}

@_cdecl("tcu_renew")
public func tcu_renew(
    _ hal: UnsafePointer<tcu_hal>?, _ connection: UnsafePointer<tcu_client_config>?,
    _ renewal: UnsafePointer<tcu_renewal_config>?
) -> Int32 {
    guard let hal, let connection, let renewal else { return CStatus.invalidArgument }
    guard tcu_hal_missing_function(hal) == 0, tcu_hal_can_renew(hal) == 1,
        let configuration = clientConfiguration(connection.pointee), let id = renewal.pointee.device_id, id[0] != 0
    else { return CStatus.failure(.invalidConfiguration) }
    let deviceID = String(cString: id)
    let options = renewal.pointee
    var proofPath = Bytes.of("/v1/devices/")
    proofPath += Array(deviceID.utf8)
    let run = CertificateRenewalRun(
        hal: hal, configuration: configuration, clock: trustedClock(hal, connection.pointee), deviceID: deviceID,
        rekey: options.rekey != 0,
        estPath: options.est_path.map { Array(String(cString: $0).utf8) }
            ?? Bytes.of("/.well-known/est/simplereenroll"),
        proofPath: options.proof_path.map { Array(String(cString: $0).utf8) } ?? proofPath,
        timeout: options.timeout_ms != 0 ? options.timeout_ms : TCULINK_RENEWAL_TIMEOUT_MS)
    do throws(TCULinkError) {
        try run.perform()
        return CStatus.ok
    } catch {
        return CStatus.failure(error)
    }
}

/// One tcu_renew: the steps of tculink_lifecycle.h, each durable before the next, so that a power cut
/// anywhere leaves a device that connects, and a second call finishes what the first began.
struct CertificateRenewalRun {
    let hal: UnsafePointer<tcu_hal>
    let configuration: ClientConfiguration
    let clock: TrustedClock<CHALClock>
    let deviceID: String
    let rekey: Bool
    let estPath: [UInt8]
    let proofPath: [UInt8]
    let timeout: UInt32

    private var host: [UInt8] { Array(configuration.serverName.utf8) }
    private var exchange: HTTPClientExchange { HTTPClientExchange(maximumResponse: Int(TCULINK_RENEWAL_RESPONSE_MAX)) }

    func perform() throws(TCULinkError) {
        let current = CHALKeyStore(hal: hal)
        // 1. The key: a pending one, once generated, is the one renewed for (even when rekey is off now).
        if rekey, halPublicKey(hal, Int32(TCU_KEY_PENDING)) == nil {
            guard hal.pointee.keystore_generate_key!(hal.pointee.context, Int32(TCU_KEY_EC_P256)) == 0 else {
                throw TCULinkError(.keyStoreFailed)
            }
        }
        guard let target = renewalPublicKey(hal) else { throw TCULinkError(.keyStoreFailed) }

        // 2-3. Ask the CA, unless a pending chain for that key is already stored (a renewal a power cut stopped).
        let stored = CHALKeyStore.certificates(hal, set: Int32(TCU_CERTS_PENDING_CHAIN))
        if stored.first.flatMap({ X509Certificate(der: $0) })?.subjectPublicKeyInfo != target {
            var signer = CHALRenewalKeyStore(
                hal: hal, certificateChain: current.certificateChain, trustAnchors: current.trustAnchors)
            let csr = try CertificateRequestBuilder.build(deviceID: deviceID, keyStore: &signer)
            let client = try TLSClient(
                configuration: configuration, transport: CHALTransport(hal: hal), keyStore: current, clock: clock)
            defer { client.close() }
            let deadline = clock.monotonicMilliseconds() + UInt64(timeout)
            _ = try client.connect()
            let chain = try ESTClient.enroll(
                client, csr: csr, host: host, path: estPath, expectedKey: target, deadline: deadline,
                maximumResponse: Int(TCULINK_RENEWAL_RESPONSE_MAX))
            client.close()
            var joined: [UInt8] = []
            for certificate in chain { joined += certificate }
            let written = joined.withUnsafeBufferPointer {
                hal.pointee.keystore_store_pending_chain!(hal.pointee.context, $0.baseAddress, $0.count)
            }
            guard written == 0 else { throw TCULinkError(.storageFailed) }
        }

        // 4. Prove it: a handshake with the pending chain and key, accepted, and a 200 from the backend.
        let pending = CHALKeyStore.certificates(hal, set: Int32(TCU_CERTS_PENDING_CHAIN))
        guard pending.first.flatMap({ X509Certificate(der: $0) })?.subjectPublicKeyInfo == target else {
            throw TCULinkError(.storageFailed)
        }
        let proof = try TLSClient(
            configuration: configuration, transport: CHALTransport(hal: hal),
            keyStore: CHALRenewalKeyStore(hal: hal, certificateChain: pending, trustAnchors: current.trustAnchors),
            clock: clock)
        defer { proof.close() }
        let deadline = clock.monotonicMilliseconds() + UInt64(timeout)
        _ = try proof.connect()
        let answer = try exchange.perform(
            proof, method: "GET", path: proofPath, host: host, headers: [], body: [], deadline: deadline)
        guard answer.status == 200 else { throw TCULinkError(.renewalRefused) }
        proof.close()

        // 5. Swap it in, atomically; the saved session belongs to the old certificate.
        guard hal.pointee.keystore_commit!(hal.pointee.context) == 0 else { throw TCULinkError(.storageFailed) }
        _ = hal.pointee.store_erase(hal.pointee.context, Int32(TCU_SLOT_TLS_SESSION))
    }
}

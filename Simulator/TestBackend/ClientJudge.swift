import CWolfSSL
import Foundation
import TCULink
import TCUPKI

/// Judges one device's certificate during the handshake: what wolfSSL found
/// (chain, dates, CRL), then what a correct server adds — EKU clientAuth present,
/// an identity in the subject, and that identity registered.
///
/// Revocation (with `--crl`): the CRL that counts is the one from the leaf's issuer. wolfSSL is asked to
/// check every certificate of the chain (so a CA certificate revoked by a CRL that is loaded is refused),
/// but a CA certificate whose own issuer has no CRL loaded — the device CA under a root that publishes
/// none, with the client-CA file holding root + device CA — is accepted, as OpenSSL (`-crl_check`) and
/// mosquitto do. A leaf whose issuer has no CRL loaded is refused as `crl-missing`, naming that issuer.
final class ClientJudge {
    let registry: DeviceRegistry
    /// The identity of a certificate that passed every check.
    var identity: String?
    /// The identity the leaf claimed, judged or not (for the log).
    var presentedIdentity: String?
    var refusal: ClientRefusal?
    /// The accepted leaf certificate, DER (remembered for resumed sessions).
    var acceptedLeaf: [UInt8]?

    init(registry: DeviceRegistry) { self.registry = registry }

    /// Returns true to accept the certificate at `depth`.
    func judge(preverify: Bool, error: Int32, depth: Int, der: [UInt8]?, leafDER: [UInt8]?) -> Bool {
        if let leafDER, presentedIdentity == nil, let leaf = X509Certificate(der: leafDER) {
            presentedIdentity = leaf.subject.commonName.map { String(decoding: $0, as: UTF8.self) }
        }
        if !preverify {
            if error == wolfCodeCRLMissing {
                // A CA certificate whose issuer published no CRL here: only the leaf's issuer must have one.
                if depth > 0 { return true }
                let issuer = leafDER.flatMap { X509Certificate(der: $0) }.map(ClientJudge.issuerName) ?? "?"
                if refusal == nil { refusal = .crlMissing(issuer: issuer) }
                return false
            }
            if refusal == nil { refusal = ClientRefusal.fromVerifyError(error) }
            return false
        }
        guard depth == 0 else { return true }
        guard let der, let leaf = X509Certificate(der: der) else {
            refusal = .tlsError(error)
            return false
        }
        guard leaf.allowsClientAuth else {
            refusal = .notClientAuth
            return false
        }
        guard let commonName = leaf.subject.commonName, !commonName.isEmpty,
            leaf.subject.serialNumber == nil || leaf.subject.serialNumber == commonName
        else {
            refusal = .noIdentity
            return false
        }
        let id = String(decoding: commonName, as: UTF8.self)
        guard registry.device(id) != nil else {
            refusal = .unregistered
            return false
        }
        identity = id
        acceptedLeaf = der
        return true
    }

    /// The issuer's CN for the log (its full DN in hex when it has none).
    static func issuerName(_ certificate: X509Certificate) -> String {
        certificate.issuer.commonName.map { String(decoding: $0, as: UTF8.self) } ?? hex(certificate.issuerEncoding)
    }
}

/// wolfSSL's verify callback for client certificates (called for every certificate:
/// Debian's build has WOLFSSL_ALWAYS_VERIFY_CB and WOLFSSL_VERIFY_CB_ALL_CERTS).
let clientVerifyCallback: VerifyCallback = { preverify, store in
    guard let store, let context = store.pointee.userCtx else { return 0 }
    let judge = Unmanaged<ClientJudge>.fromOpaque(context).takeUnretainedValue()
    let depth = Int(store.pointee.error_depth)
    var der: [UInt8]?
    var leaf: [UInt8]?
    if let certificates = store.pointee.certs, store.pointee.totalCerts > 0 {
        if depth >= 0, depth < Int(store.pointee.totalCerts), let buffer = certificates[depth].buffer {
            der = Array(UnsafeBufferPointer(start: buffer, count: Int(certificates[depth].length)))
        }
        if let buffer = certificates[0].buffer {
            leaf = Array(UnsafeBufferPointer(start: buffer, count: Int(certificates[0].length)))
        }
    }
    return judge.judge(preverify: preverify != 0, error: store.pointee.error, depth: depth, der: der, leafDER: leaf)
        ? 1 : 0
}

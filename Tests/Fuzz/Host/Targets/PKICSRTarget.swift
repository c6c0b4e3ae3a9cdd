import Foundation
import TCULink
import TCUPKI

/// The PKI's issuance from a certificate request (`PrivatePKI.issueDevice(request:authorizedID:)`), on
/// any bytes a device (or an attacker holding a token) sends as its PKCS#10, DER or PEM.
///
/// Invariants: a request is refused only with one of the CA's named refusals (`RequestRefusal`), never
/// another error; an issued certificate is for the authorized identity, a device certificate (not a
/// CA, clientAuth, not serverAuth), and for exactly the key in the request (proof of possession was
/// checked), read back with the device's X.509 reader.
enum FuzzPKICSR {
    static func run(_ data: Data) {
        let request = [UInt8](data)
        let chainPEM: String
        do {
            chainPEM = try HostFixture.world.pki.issueDevice(request: request, authorizedID: HostFixture.deviceID)
        } catch is PrivatePKI.RequestRefusal {
            return
        } catch {
            preconditionFailure("refused with an error that is not the CA's: \(error)")
        }
        guard let leafDER = PEM.decodeAll(Array(chainPEM.utf8))?.first, let leaf = X509Certificate(der: leafDER)
        else { preconditionFailure("issued a chain the device cannot read") }
        precondition(leaf.subject.commonName == Array(HostFixture.deviceID.utf8), "issued for another identity")
        precondition(!leaf.isCertificateAuthority && leaf.allowsClientAuth && !leaf.allowsServerAuth)
        let requestDER = PEM.decodeAll(request, label: "CERTIFICATE REQUEST")?.first ?? request
        precondition(
            Data(requestDER).range(of: Data(leaf.subjectPublicKeyInfo)) != nil,
            "the certificate is not for the request's key")
    }
}

import Foundation
import TCULink
import TCUPKI

@testable import TCUBackend

/// The backend's request handling after NIO's HTTP parser (`DeviceAPI.handle`, which hands EST to
/// `EnrollmentAPI`): paths, methods, telemetry bodies, HTTP Basic credentials, base64 or PEM PKCS#10
/// bodies, the one-time enrollment token, the CA's checks. The input is a request as text (see
/// `HostFixture.request`).
///
/// Invariants:
/// - the answer is one of the API's documented statuses; never a 5xx, which no request alone may cause;
/// - telemetry is stored (202) for a POST of a JSON object (RFC 8259, by the target's own grammar) to the
///   caller's own telemetry path, exactly once, and for nothing else; every other answer stores nothing;
/// - a certificate is handed out only to the authorized identity (the token's device for
///   `simpleenroll`, the TLS identity for `simplereenroll`), as a device certificate (not a CA, for
///   clientAuth, not serverAuth), read back with the device's own PKCS#7 and X.509 readers;
/// - the one-time token is used up exactly when `simpleenroll` hands a certificate out.
enum FuzzBackendRequest {
    static let documented: Set<Int> = [200, 202, 400, 401, 403, 404, 405]

    static func run(_ data: Data) {
        guard let (request, identity) = HostFixture.request(data) else { return }
        let world = HostFixture.world
        let storedBefore = storedCount(identity)
        let response = DeviceAPI.handle(
            request, identity: identity, telemetry: world.telemetry, registry: world.registry, issuer: world.pki,
            log: world.log)
        let answer = String(decoding: response.body.prefix(300), as: UTF8.self)
        precondition(documented.contains(response.status), "answered \(response.status): \(answer)")

        let path = String(request.path.split(separator: "?", maxSplits: 1).first ?? "")
        let stored = storedCount(identity) - storedBefore
        if response.status == 202 {
            precondition(request.method == "POST" && path == "/v1/devices/\(identity ?? "")/telemetry")
            precondition(isJSONObject(request.body), "stored a body that is not a JSON object")
            precondition(stored == 1, "202 but \(stored) messages stored")
        } else {
            precondition(stored == 0, "\(response.status) but \(stored) messages stored")
            let ownTelemetry = identity.map {
                DeviceID.isValid($0) && request.method == "POST" && path == "/v1/devices/\($0)/telemetry"
            }
            precondition(
                ownTelemetry != true || !isJSONObject(request.body),
                "a JSON object posted to the device's own telemetry was refused (\(response.status))")
        }

        let tokenLeft = world.registry.enrollmentTokenMatches(HostFixture.deviceID, token: HostFixture.token)
        let issued = response.status == 200 && path.hasSuffix("enroll")
        if issued {
            let authorized = path == "/.well-known/est/simpleenroll" ? HostFixture.deviceID : identity
            checkIssued(response.body, for: authorized)
        }
        if issued && path == "/.well-known/est/simpleenroll" {
            precondition(!tokenLeft, "a certificate was handed out and the one-time token still works")
            do { try world.registry.setEnrollmentToken(HostFixture.deviceID, token: HostFixture.token) } catch {
                fatalError("fixture: token not restored: \(error)")
            }
        } else {
            precondition(tokenLeft, "the token was used up without a certificate handed out (\(response.status))")
        }
    }

    /// The answer's certificate, read as the device reads it: base64 PKCS#7, the leaf first.
    static func checkIssued(_ body: Data, for authorized: String?) {
        guard let authorized, let der = Data(base64Encoded: body, options: .ignoreUnknownCharacters),
            let chain = PKCS7Certificates.parse([UInt8](der)), let leafDER = chain.first,
            let leaf = X509Certificate(der: leafDER)
        else { preconditionFailure("200 without a certificate the device can read") }
        precondition(leaf.subject.commonName == Array(authorized.utf8), "a certificate for another identity")
        precondition(!leaf.isCertificateAuthority && leaf.allowsClientAuth && !leaf.allowsServerAuth)
    }

    static func storedCount(_ identity: String?) -> Int {
        guard let identity, DeviceID.isValid(identity) else { return 0 }
        return (try? HostFixture.world.telemetry.count(device: identity)) ?? 0
    }

    /// RFC 8259's grammar (`StrictJSON`), not the Foundation reader the backend uses.
    static func isJSONObject(_ body: Data) -> Bool { StrictJSON.isObject([UInt8](body)) }
}

import Foundation
import Logging
import SwiftASN1
import TCUPKI
import X509

/// EST (RFC 7030) enrollment, over the backend's TLS:
///
/// | path | listener | authorized by |
/// |---|---|---|
/// | `GET /.well-known/est/cacerts` | either | nobody (public CA certificates) |
/// | `POST /.well-known/est/simpleenroll` | enrollment (no client certificate) | HTTP Basic: device id and its one-time token |
/// | `POST /.well-known/est/simplereenroll` | mutual TLS | the current device certificate; same identity only |
///
/// Requests are base64 DER PKCS#10 (`application/pkcs10`); responses are base64 certs-only
/// PKCS#7 (`application/pkcs7-mime`). The CA refuses a request whose signature does not
/// verify, whose identity is not the authorized one, or that asks for a CA certificate
/// or serverAuth (see `PrivatePKI.issueDevice(request:authorizedID:)`).
///
/// A one-time token is used exactly once: after the request passes the CA's checks, the token is
/// checked and removed in one step under the registry's lock (`DeviceRegistry.consumeEnrollmentToken`),
/// on disk before anything is signed. Of concurrent requests with the same token one is issued; the
/// others are refused (`reason=token-used`, or `reason=bad-token` if the token was gone when they
/// arrived). A request the CA refuses does not use the token up.
enum EnrollmentAPI {
    static func handle(
        _ request: HTTPRequest, path: String, identity: String?, registry: DeviceRegistry, issuer: PrivatePKI?,
        log: Logger
    ) -> HTTPResponse {
        guard let issuer else {
            return HTTPResponse(status: 404, json: ["error": "enrollment is not enabled on this backend"])
        }
        switch path {
        case "/.well-known/est/cacerts":
            guard request.method == "GET" else { return HTTPResponse(status: 405, json: ["error": "use GET"]) }
            guard let certificates = caCertificates(issuer) else {
                return HTTPResponse(status: 500, json: ["error": "CA certificates unavailable"])
            }
            return pkcs7(certificates)

        case "/.well-known/est/simpleenroll":
            guard request.method == "POST" else { return HTTPResponse(status: 405, json: ["error": "use POST"]) }
            guard identity == nil else {
                return HTTPResponse(
                    status: 400, json: ["error": "this device already has a certificate: use simplereenroll"])
            }
            guard let (id, token) = basicCredentials(request) else {
                log.notice("ENROLL-REFUSED device=? reason=no-credentials: simpleenroll needs HTTP Basic id:token")
                return HTTPResponse(
                    status: 401, json: ["error": "enrollment needs the device id and its one-time token (HTTP Basic)"])
            }
            guard registry.enrollmentTokenMatches(id, token: token) else {
                log.notice("ENROLL-REFUSED device=\(id) reason=bad-token: no pending enrollment token matches")
                return HTTPResponse(status: 401, json: ["error": "unknown device or wrong / used enrollment token"])
            }
            var consumed = false
            let response = issue(request, authorizedID: id, issuer: issuer, log: log, kind: "ENROLLED") {
                guard try registry.consumeEnrollmentToken(id, token: token) else { throw TokenAlreadyUsed() }
                consumed = true
            }
            if consumed && response.status != 200 {
                // Consumed, then the CA failed to sign or record: nothing was delivered, so the token stands.
                do { try registry.restoreEnrollmentToken(id, token: token) } catch {
                    log.error("ERROR device=\(id): token not restored after a failed issuance: \(error)")
                }
            }
            return response

        case "/.well-known/est/simplereenroll":
            guard request.method == "POST" else { return HTTPResponse(status: 405, json: ["error": "use POST"]) }
            guard let identity else {
                return HTTPResponse(
                    status: 403,
                    json: ["error": "renewal is authorized by the current device certificate: use mutual TLS"])
            }
            return issue(request, authorizedID: identity, issuer: issuer, log: log, kind: "RENEWED")

        default:
            return HTTPResponse(status: 404, json: ["error": "no such EST operation: \(path)"])
        }
    }

    /// Thrown by the token step when a concurrent request used the token first.
    struct TokenAlreadyUsed: Error {}

    private static func issue(
        _ request: HTTPRequest, authorizedID: String, issuer: PrivatePKI, log: Logger, kind: String,
        beforeSigning: () throws -> Void = {}
    ) -> HTTPResponse {
        // RFC 7030: the body is base64 of the DER request; PEM is accepted too.
        let text = String(decoding: request.body, as: UTF8.self)
        let requestBytes: [UInt8]
        if text.contains("-----BEGIN") {
            requestBytes = Array(request.body)
        } else if let der = Data(base64Encoded: text, options: .ignoreUnknownCharacters) {
            requestBytes = Array(der)
        } else {
            return HTTPResponse(status: 400, json: ["error": "the body is not a base64 PKCS#10 request"])
        }
        do {
            let chainPEM = try issuer.issueDevice(
                request: requestBytes, authorizedID: authorizedID, beforeSigning: beforeSigning)
            guard let documents = try? PEMDocument.parseMultiple(pemString: chainPEM),
                let leaf = documents.first.flatMap({ try? Certificate(pemDocument: $0) })
            else {
                return HTTPResponse(status: 500, json: ["error": "issued certificate unreadable"])
            }
            let serial = hex(leaf.serialNumber.bytes)
            let notAfter = Int64(leaf.notValidAfter.timeIntervalSince1970)
            log.info("\(kind) device=\(authorizedID) serial=\(serial) notAfter=\(notAfter)")
            return pkcs7(documents.map(\.derBytes))
        } catch is TokenAlreadyUsed {
            log.notice(
                "ENROLL-REFUSED device=\(authorizedID) reason=token-used: the one-time token was used by another request"
            )
            return HTTPResponse(status: 401, json: ["error": "unknown device or wrong / used enrollment token"])
        } catch let refusal as PrivatePKI.RequestRefusal {
            log.notice("ENROLL-REFUSED device=\(authorizedID) reason=\(word(refusal)): \(refusal.description)")
            return HTTPResponse(status: 400, json: ["error": refusal.description])
        } catch {
            log.error("ERROR device=\(authorizedID): issuing failed: \(error)")
            return HTTPResponse(status: 500, json: ["error": "the CA could not issue"])
        }
    }

    static func word(_ refusal: PrivatePKI.RequestRefusal) -> String {
        switch refusal {
        case .malformed: return "malformed-csr"
        case .badSignature: return "csr-signature"
        case .identityMismatch: return "identity-mismatch"
        case .asksForCA: return "asks-for-ca"
        case .asksForServerAuth: return "asks-for-server-auth"
        case .unsupportedKey: return "unsupported-key"
        }
    }

    private static func caCertificates(_ issuer: PrivatePKI) -> [[UInt8]]? {
        var result: [[UInt8]] = []
        for file in ["device-ca.pem", "root.pem"] {
            guard let data = FileManager.default.contents(atPath: issuer.directory + "/" + file),
                let blocks = try? PEMDocument.parseMultiple(pemString: String(decoding: data, as: UTF8.self))
            else { return nil }
            result += blocks.map(\.derBytes)
        }
        return result
    }

    private static func pkcs7(_ certificates: [[UInt8]]) -> HTTPResponse {
        guard let der = try? CertsOnlyPKCS7.build(certificates) else {
            return HTTPResponse(status: 500, json: ["error": "the certificates could not be encoded"])
        }
        var response = HTTPResponse(status: 200, json: [String: String]())
        response.rawBody = (
            contentType: "application/pkcs7-mime; smime-type=certs-only",
            body: Data(Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed]).utf8)
        )
        return response
    }

    private static func basicCredentials(_ request: HTTPRequest) -> (String, String)? {
        guard let header = request.header("Authorization"), header.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}

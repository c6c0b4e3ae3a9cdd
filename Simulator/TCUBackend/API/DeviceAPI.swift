import Foundation
import Logging
import TCUPKI

/// The device API, in the manner of an IoT hub's: a device may only use its own id.
///
/// - `POST /v1/devices/{id}/telemetry` with a JSON object: 202, stored once.
/// - `GET /v1/devices/{id}`: 200, the device's record.
/// Another device's id: 403. Malformed: 400. Unknown path: 404. Other method: 405.
/// EST (RFC 7030) under `/.well-known/est/`: see `EnrollmentAPI`.
enum DeviceAPI {
    static func handle(
        _ request: HTTPRequest, identity: String?, telemetry: TelemetryStore, registry: DeviceRegistry,
        issuer: PrivatePKI?,
        log: Logger
    ) -> HTTPResponse {
        let path = String(request.path.split(separator: "?", maxSplits: 1)[0])
        if path.hasPrefix("/.well-known/est/") {
            return EnrollmentAPI.handle(
                request, path: path, identity: identity, registry: registry, issuer: issuer, log: log)
        }
        guard let identity else {
            return HTTPResponse(
                status: 403, json: ["error": "this listener serves enrollment only; the device API needs mutual TLS"])
        }
        let parts = request.path.split(separator: "?", maxSplits: 1)[0].split(
            separator: "/", omittingEmptySubsequences: false)
        // "", "v1", "devices", id [, "telemetry"]
        guard parts.count >= 4, parts[0].isEmpty, parts[1] == "v1", parts[2] == "devices", !parts[3].isEmpty else {
            return HTTPResponse(status: 404, json: ["error": "no such resource: \(request.path)"])
        }
        let id = String(parts[3])
        let isTelemetry = parts.count == 5 && parts[4] == "telemetry"
        guard parts.count == 4 || isTelemetry else {
            return HTTPResponse(status: 404, json: ["error": "no such resource: \(request.path)"])
        }
        guard id == identity else {
            log.warning("FORBIDDEN device=\(identity) tried \(request.method) \(request.path)")
            return HTTPResponse(status: 403, json: ["error": "device \(identity) may not use \(id)'s resources"])
        }
        if isTelemetry {
            guard request.method == "POST" else {
                return HTTPResponse(status: 405, json: ["error": "use POST for telemetry"])
            }
            // RFC 8259, not Foundation's lenient readers: the store keeps bodies as they came (JSONText).
            guard JSONText.isObject([UInt8](request.body)) else {
                log.warning("BAD-REQUEST device=\(identity) status=400: telemetry is not a JSON object")
                return HTTPResponse(status: 400, json: ["error": "telemetry must be a JSON object"])
            }
            do {
                let count = try telemetry.append(device: identity, json: request.body)
                log.info("TELEMETRY device=\(identity) stored #\(count) (\(request.body.count) bytes)")
                return HTTPResponse(status: 202, json: ["stored": count])
            } catch let refused as TelemetryStore.UnsafeID {
                log.warning("BAD-REQUEST device=\(identity) status=400 reason=unsafe-id: \(refused)")
                return HTTPResponse(status: 400, json: ["error": refused.description])
            } catch {
                log.error("ERROR device=\(identity): \(error)")
                return HTTPResponse(status: 507, json: ["error": "telemetry could not be stored"])
            }
        }
        guard request.method == "GET" else { return HTTPResponse(status: 405, json: ["error": "use GET"]) }
        let record = registry.device(identity)
        return HTTPResponse(
            status: 200,
            json: DeviceStatus(
                id: identity, registered: record != nil, note: record?.note ?? "",
                telemetryCount: (try? telemetry.count(device: identity)) ?? 0))
    }
}

/// `GET /v1/devices/ID`'s answer.
struct DeviceStatus: Encodable {
    var id: String
    var registered: Bool
    var note: String
    var telemetryCount: Int

    enum CodingKeys: String, CodingKey {
        case id, registered, note
        case telemetryCount = "telemetry_count"
    }
}

import Foundation

/// One HTTP/1.1 request, as NIO's decoder delivered it and `DeviceAPIHandler` bounded it.
struct HTTPRequest {
    static let maxHeaderBytes = 16 * 1024
    static let maxBodyBytes = 64 * 1024

    var method: String
    var path: String
    var headers: [(String, String)]
    var body: Data
    var keepAlive: Bool

    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// An HTTP/1.1 response with a JSON body.
struct HTTPResponse: Sendable {
    var status: Int
    var json: Data
    var close = false
    /// A non-JSON body (EST's base64 PKCS#7), replacing `json` when set.
    var rawBody: (contentType: String, body: Data)?

    init(status: Int, json: some Encodable, close: Bool = false) {
        self.status = status
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.json = (try? encoder.encode(json)) ?? Data("{}".utf8)
        self.close = close
    }

    var body: Data { rawBody?.body ?? json }

    /// Headers besides Content-Length and Connection, which the handler sets.
    var headers: [(String, String)] {
        guard let rawBody else { return [("Content-Type", "application/json")] }
        return [("Content-Transfer-Encoding", "base64"), ("Content-Type", rawBody.contentType)]
    }
}

import Foundation

/// A parsed HTTP/1.1 request, bounded: the backend reads at most `maxHeaderBytes`
/// of head and `maxBodyBytes` of body per request, so one client cannot take unbounded memory.
struct HTTPRequest: Equatable {
    static let maxHeaderBytes = 16 * 1024
    static let maxBodyBytes = 64 * 1024

    var method: String
    var path: String
    var headers: [(String, String)]
    var body: Data
    var keepAlive: Bool

    static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.body == rhs.body && lhs.keepAlive == rhs.keepAlive
    }

    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    enum ParseResult: Equatable {
        case incomplete
        case request(HTTPRequest, consumed: Int)
        case invalid(status: Int, reason: String)
    }

    /// Parses one request from the front of `buffer`.
    static func parse(_ buffer: [UInt8]) -> ParseResult {
        guard let headEnd = find([13, 10, 13, 10], in: buffer) else {
            return buffer.count > maxHeaderBytes
                ? .invalid(status: 431, reason: "request head larger than 16 KiB") : .incomplete
        }
        guard headEnd <= maxHeaderBytes else { return .invalid(status: 431, reason: "request head larger than 16 KiB") }
        guard let head = String(bytes: buffer[0..<headEnd], encoding: .utf8) else {
            return .invalid(status: 400, reason: "request head is not UTF-8")
        }
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, requestLine[2] == "HTTP/1.1" || requestLine[2] == "HTTP/1.0",
            !requestLine[0].isEmpty, requestLine[1].hasPrefix("/")
        else { return .invalid(status: 400, reason: "malformed request line") }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                return .invalid(status: 400, reason: "malformed header line")
            }
            headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var request = HTTPRequest(
            method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: Data(),
            keepAlive: requestLine[2] == "HTTP/1.1")
        if let connection = request.header("Connection")?.lowercased() {
            if connection == "close" { request.keepAlive = false }
            if connection == "keep-alive" { request.keepAlive = true }
        }
        if request.header("Transfer-Encoding") != nil {
            return .invalid(status: 501, reason: "Transfer-Encoding is not supported; send Content-Length")
        }
        var length = 0
        if let value = request.header("Content-Length") {
            guard let parsed = Int(value), parsed >= 0 else {
                return .invalid(status: 400, reason: "malformed Content-Length")
            }
            guard parsed <= maxBodyBytes else { return .invalid(status: 413, reason: "body larger than 64 KiB") }
            length = parsed
        }
        let bodyStart = headEnd + 4
        guard buffer.count >= bodyStart + length else { return .incomplete }
        request.body = Data(buffer[bodyStart..<(bodyStart + length)])
        return .request(request, consumed: bodyStart + length)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }
}

/// An HTTP/1.1 response with a JSON body.
struct HTTPResponse {
    var status: Int
    var json: [String: Any]
    var close = false
    /// A non-JSON body (EST's base64 PKCS#7), replacing `json` when set.
    var rawBody: (contentType: String, body: Data)?

    init(status: Int, json: [String: Any], close: Bool = false) {
        self.status = status
        self.json = json
        self.close = close
    }

    var bytes: [UInt8] {
        let body =
            rawBody?.body ?? (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
            ?? Data("{}".utf8)
        let contentType = rawBody?.contentType ?? "application/json"
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reason(status))\r\n"
        if rawBody != nil { head += "Content-Transfer-Encoding: base64\r\n" }
        head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        if close { head += "Connection: close\r\n" }
        head += "\r\n"
        return Array(head.utf8) + Array(body)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 202: return "Accepted"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Payload Too Large"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 507: return "Insufficient Storage"
        default: return "Status"
        }
    }
}

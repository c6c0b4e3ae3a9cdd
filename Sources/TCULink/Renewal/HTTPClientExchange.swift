/// One HTTP/1.1 request and its response over an established `TLSClient`, for renewal (EST and the
/// proof that a new certificate is accepted). Deliberately small: `Connection: close`, a response
/// delimited by Content-Length or by the close, at most `maximumResponse` bytes, one deadline.
struct HTTPClientExchange {
    struct Response {
        var status: Int
        var body: [UInt8]
    }

    var maximumResponse: Int

    /// Sends `method path` with `headers` (each "Name: value", no CRLF) and `body`, then reads the response.
    /// Throws the connection's failure, `.ioTimeout` past `deadline`, or `.renewalRefused` for a response
    /// that is not HTTP/1.x, is larger than `maximumResponse`, or is cut short.
    func perform<T: Transport, K: KeyStore, C: Clock>(
        _ client: TLSClient<T, K, C>, method: StaticString, path: [UInt8], host: [UInt8], headers: [[UInt8]],
        body: [UInt8], deadline: UInt64
    ) throws(TCULinkError) -> Response {
        var request: [UInt8] = []
        request.reserveCapacity(256 + body.count)
        request += Bytes.of(method)
        request.append(UInt8(ascii: " "))
        request += path
        request += Bytes.of(" HTTP/1.1\r\nHost: ")
        request += host
        request += Bytes.of("\r\nConnection: close\r\nContent-Length: ")
        request += Array(decimal(body.count).utf8)
        request += Bytes.of("\r\n")
        for header in headers {
            request += header
            request += Bytes.of("\r\n")
        }
        request += Bytes.of("\r\n")
        request += body
        try client.sendAll(request, timeoutMilliseconds: remaining(until: deadline, client.clock))

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            if let response = try parse(received, complete: false) { return response }
            let result = try buffer.withMutableBytes { raw throws(TCULinkError) in
                try client.receive(into: raw, timeoutMilliseconds: remaining(until: deadline, client.clock))
            }
            switch result {
            case .received(let count):
                guard received.count + count <= maximumResponse else { throw TCULinkError(.renewalRefused) }
                received += buffer[0..<count]
            case .wouldBlock:
                throw TCULinkError(.ioTimeout)
            case .closed:
                guard let response = try parse(received, complete: true) else { throw TCULinkError(.renewalRefused) }
                return response
            }
        }
    }

    /// The response in `bytes`, or nil when more is needed. `complete`: the peer closed after these bytes.
    func parse(_ bytes: [UInt8], complete: Bool) throws(TCULinkError) -> Response? {
        guard let headerEnd = Bytes.find([13, 10, 13, 10], in: bytes) else {
            if complete { throw TCULinkError(.renewalRefused) }
            return nil
        }
        // "HTTP/1.x SSS reason"
        guard headerEnd >= 12, Self.equalsIgnoringCase(bytes[0..<7], "http/1."), bytes[8] == UInt8(ascii: " "),
            let status = Self.number(bytes[9..<12]), status >= 100
        else { throw TCULinkError(.renewalRefused) }
        let bodyStart = headerEnd + 4
        var contentLength: Int? = nil
        var lineStart = Bytes.find([13, 10], in: bytes)! + 2
        while lineStart < headerEnd {
            let lineEnd = Bytes.find([13, 10], in: bytes, from: lineStart) ?? headerEnd
            let line = bytes[lineStart..<lineEnd]
            if let colon = line.firstIndex(of: UInt8(ascii: ":")),
                Self.equalsIgnoringCase(bytes[lineStart..<colon], "content-length")
            {
                var value = bytes[(colon + 1)..<lineEnd]
                while value.first == UInt8(ascii: " ") { value = value.dropFirst() }
                while value.last == UInt8(ascii: " ") { value = value.dropLast() }
                guard let length = Self.number(value) else { throw TCULinkError(.renewalRefused) }
                contentLength = length
            }
            if let colon = line.firstIndex(of: UInt8(ascii: ":")),
                Self.equalsIgnoringCase(bytes[lineStart..<colon], "transfer-encoding")
            {
                throw TCULinkError(.renewalRefused)  // chunked bodies are not read: EST servers send a length
            }
            lineStart = lineEnd + 2
        }
        if let contentLength {
            guard contentLength <= maximumResponse else { throw TCULinkError(.renewalRefused) }
            if bytes.count - bodyStart >= contentLength {
                return Response(status: status, body: Array(bytes[bodyStart..<(bodyStart + contentLength)]))
            }
            if complete { throw TCULinkError(.renewalRefused) }  // cut short
            return nil
        }
        return complete ? Response(status: status, body: Array(bytes[bodyStart...])) : nil
    }

    private func remaining<C: Clock>(until deadline: UInt64, _ clock: C) -> UInt32 {
        let now = clock.monotonicMilliseconds()
        return deadline > now ? UInt32(clamping: deadline - now) : 0
    }

    /// A decimal number of 1 to 9 digits; nil otherwise.
    static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        var index = 0
        for byte in bytes {
            let folded = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
            if folded != lowercase.utf8Start[index] { return false }
            index += 1
        }
        return true
    }
}

// Fuzz targets over the core's parsers of untrusted bytes (see FuzzMain.swift).

/// DERReader: every element it hands out lies inside the input, and a well-formed top-level
/// element re-encodes (DERBuilder) to exactly the bytes it was read from.
enum FuzzDER {
    static func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        var reader = DERReader(bytes)
        walk(&reader, bytes: bytes, depth: 0)
    }

    private static func walk(_ reader: inout DERReader, bytes: [UInt8], depth: Int) {
        while let element = reader.readElement() {
            precondition(element.elementStart >= 0 && element.contentStart <= element.contentEnd)
            precondition(element.contentEnd <= bytes.count, "an element past the input")
            let encoding = reader.encoding(of: element)
            let rebuilt = DERBuilder.tlv(element.tag, Array(reader.content(of: element)))
            precondition(Array(encoding) == rebuilt, "decode then encode is not the identity")
            if element.tag & 0x20 != 0 && depth < 16 {  // constructed: read inside
                var inner = reader.reader(over: element)
                walk(&inner, bytes: bytes, depth: depth + 1)
            }
        }
    }
}

/// X509Certificate: a certificate it accepts is self-consistent: its encoding is the input, its
/// names' encodings and key lie inside it, and parsing its own DER again gives the same fields.
enum FuzzX509 {
    static func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        guard let certificate = X509Certificate(der: bytes) else { return }
        precondition(certificate.der == bytes)
        precondition(contains(bytes, certificate.subjectPublicKeyInfo), "the key is not from the input")
        precondition(contains(bytes, certificate.issuerEncoding) && contains(bytes, certificate.subjectEncoding))
        guard let again = X509Certificate(der: certificate.der) else { preconditionFailure("not parsed twice") }
        precondition(again.serialNumber == certificate.serialNumber && again.notAfter == certificate.notAfter)
        _ = X509Certificate.publicKeyKind(subjectPublicKeyInfo: certificate.subjectPublicKeyInfo)
        _ = HostnameMatcher.matches(host: Array("tcu.example".utf8), certificate: certificate)
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        Bytes.find(needle, in: haystack) != nil
    }
}

/// PEM: every block decoded re-encodes (PEM.encode) and decodes again to the same DER.
enum FuzzPEM {
    static func run(_ input: UnsafeRawBufferPointer) {
        guard let blocks = PEM.decodeAll(Array(input)) else { return }
        for der in blocks {
            let again = PEM.decodeAll(PEM.encode(der))
            precondition(again == [der], "PEM decode, encode, decode changed the bytes")
        }
    }
}

/// PKCS#7 certs-only (an EST answer): every certificate handed out is an element of the input.
enum FuzzPKCS7 {
    static func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        guard let certificates = PKCS7Certificates.parse(bytes) else { return }
        for der in certificates {
            precondition(!der.isEmpty && FuzzX509.contains(bytes, der), "a certificate not from the input")
        }
    }
}

/// The MQTT decoder, as the client runs it over a broker's byte stream: frames one packet after
/// another; a packet is never said to extend past the bytes, and decoding never traps.
enum FuzzMQTTDecoder {
    static func run(_ input: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < input.count {
            let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
            let frame: MQTTPacketDecoder.Frame
            do throws(TCULinkError) { frame = try MQTTPacketDecoder.frame(rest) } catch { return }
            guard case .packet(let header, let start, let length) = frame else {
                if let announced = MQTTPacketDecoder.announcedLength(rest) { precondition(announced > rest.count) }
                return
            }
            precondition(start >= 2 && start <= 5 && start + length <= rest.count, "a frame past the input")
            precondition(MQTTPacketDecoder.announcedLength(rest) == start + length)
            let body = UnsafeRawBufferPointer(rebasing: rest[start..<(start + length)])
            do throws(TCULinkError) { _ = try MQTTPacketDecoder.decode(header: header, body: body) } catch {}
            offset += start + length
        }
    }
}

/// Renewal's HTTP response reader: a body it returns is part of the input and within the limit,
/// and with `complete` it never asks for more.
enum FuzzHTTPResponse {
    static func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        let exchange = HTTPClientExchange(maximumResponse: 4096)
        for complete in [false, true] {
            let response: HTTPClientExchange.Response?
            do throws(TCULinkError) { response = try exchange.parse(bytes, complete: complete) } catch {
                precondition(error.reason == .renewalRefused)
                continue
            }
            if complete { precondition(response != nil, "a complete answer left waiting") }
            if let response {
                precondition(response.status >= 100 && response.status <= 999)
                precondition(response.body.count <= 4096 && FuzzX509.contains(bytes, response.body))
            }
        }
    }
}

/// A distinguished name (a certificate's subject or issuer, as a hostile server sends it): every value
/// is bytes of the input, and its text has no control character left to reach a log or a terminal.
enum FuzzDistinguishedName {
    static func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        guard let name = DistinguishedName(reader: DERReader(bytes)) else { return }
        for attribute in name.attributes {
            precondition(FuzzX509.contains(bytes, attribute.value) && FuzzX509.contains(bytes, attribute.type))
        }
        for scalar in name.text.unicodeScalars {
            let code = scalar.value
            precondition(code >= 0x20 && !(code >= 0x7F && code < 0xA0), "a control character in the name's text")
        }
    }
}

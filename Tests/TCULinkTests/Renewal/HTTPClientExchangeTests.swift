import Testing

@testable import TCULink

/// The response reader renewal trusts with what a backend (or a hostile network) sends back.
@Suite struct HTTPClientExchangeTests {
    let exchange = HTTPClientExchange(maximumResponse: 64)

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func aBodyIsDelimitedByItsContentLength() throws {
        let response = try exchange.parse(
            bytes("HTTP/1.1 200 OK\r\ncontent-LENGTH:  5 \r\nX: y\r\n\r\nhello, and more"), complete: false)
        #expect(response?.status == 200 && response?.body == bytes("hello"))
    }

    @Test func moreIsAwaitedUntilTheHeadersAndTheBodyAreIn() throws {
        #expect(try exchange.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"), complete: false) == nil)
        #expect(try exchange.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel"), complete: false) == nil)
    }

    @Test func withoutALengthTheBodyEndsWithTheConnection() throws {
        #expect(try exchange.parse(bytes("HTTP/1.0 403 Forbidden\r\n\r\nno"), complete: false) == nil)
        let response = try exchange.parse(bytes("HTTP/1.0 403 Forbidden\r\n\r\nno"), complete: true)
        #expect(response?.status == 403 && response?.body == bytes("no"))
    }

    @Test func whatCannotBeReadIsARefusedRenewalNotATrap() {
        let refusals = [
            ("SSH-2.0-OpenSSH\r\n\r\n", false),  // not HTTP
            ("HTTP/1.1 20 OK\r\n\r\n", true),  // a status of two digits
            ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false),
            ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", false),  // past what an Int of 9 digits holds
            ("HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n", false),  // more than maximumResponse
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", true),  // cut short
            ("HTTP/1.1 200 OK\r\n", true),  // closed inside the headers
        ]
        for (text, complete) in refusals {
            #expect(throws: TCULinkError(.renewalRefused), "\(text)") {
                _ = try exchange.parse(bytes(text), complete: complete)
            }
        }
    }
}

import Testing

@testable import TCULink

/// DER lengths that a 32-bit board (or the wasm2c build) could not hold are refused, not trapped on.
@Suite struct DERLengthTests {
    @Test func lengthsNearTwoToThe32AreRefused() {
        for length: [UInt8] in [
            [0x84, 0xFF, 0xFF, 0xFF, 0xFF], [0x84, 0x7F, 0xFF, 0xFF, 0xFF], [0x84, 0x80, 0x00, 0x00, 0x00],
            [0x84, 0xFF, 0xFF, 0xFF, 0xF0], [0x83, 0xFF, 0xFF, 0xFF],
        ] {
            var reader = DERReader([0x30] + length + [0x02, 0x01, 0x01])
            #expect(reader.readElement() == nil, "\(length)")
            #expect(X509Certificate(der: [0x30] + length + [UInt8](repeating: 0, count: 64)) == nil)
        }
    }

    @Test func nonMinimalLengthsAreRefused() {
        var leadingZero = DERReader([0x04, 0x82, 0x00, 0x05, 1, 2, 3, 4, 5])
        #expect(leadingZero.readElement() == nil)
        var longFormForShort = DERReader([0x04, 0x81, 0x05, 1, 2, 3, 4, 5])
        #expect(longFormForShort.readElement() == nil)
        var good = DERReader([0x04, 0x05, 1, 2, 3, 4, 5])
        #expect(good.readElement()?.contentEnd == 7)
    }
}

import Testing

@testable import TCULink

/// The MQTT 3.1.1 encoding against the OASIS specification's examples and rules (mqtt-v3.1.1-os).
@Suite struct MQTTPacketTests {
    func encode(capacity: Int = 512, _ body: (UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int)
        throws(TCULinkError) -> [UInt8]
    {
        var buffer = [UInt8](repeating: 0xEE, count: capacity)
        let count = try buffer.withMutableBytes { raw throws(TCULinkError) in try body(raw) }
        return Array(buffer[0..<count])
    }

    func frame(_ bytes: [UInt8]) throws(TCULinkError) -> MQTTPacketDecoder.Frame {
        try bytes.withBytes { raw throws(TCULinkError) in try MQTTPacketDecoder.frame(raw) }
    }

    func decode(_ bytes: [UInt8]) throws(TCULinkError) -> MQTTInbound {
        guard case .packet(let header, let start, let length) = try frame(bytes) else {
            throw TCULinkError(.mqttMalformedPacket)
        }
        return try bytes.withBytes { raw throws(TCULinkError) in
            try MQTTPacketDecoder.decode(
                header: header, body: UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)]))
        }
    }

    func reason(_ body: () throws -> Void) -> TCULinkError.Reason? {
        do {
            try body()
            return nil
        } catch {
            return (error as? TCULinkError)?.reason
        }
    }

    // §2.2.3, table 2.4: the remaining length's encodings at each size boundary.
    static let remainingLengths: [(Int, [UInt8])] = [
        (0, [0x00]), (127, [0x7F]), (128, [0x80, 0x01]), (16_383, [0xFF, 0x7F]), (16_384, [0x80, 0x80, 0x01]),
        (2_097_151, [0xFF, 0xFF, 0x7F]), (2_097_152, [0x80, 0x80, 0x80, 0x01]),
        (268_435_455, [0xFF, 0xFF, 0xFF, 0x7F]),
    ]

    @Test func remainingLengthsAsTheSpecificationTabulatesThem() throws {
        for (length, digits) in Self.remainingLengths {
            let header = [0x30] + digits
            let announced = header.withUnsafeBytes { MQTTPacketDecoder.announcedLength($0) }
            #expect(announced == header.count + length, "\(length)")
            if length == 0 {
                #expect(try frame(header) == .packet(header: 0x30, bodyStart: 2, bodyLength: 0))
            } else {
                #expect(try frame(header) == .incomplete, "\(length)")  // the body has not arrived
            }
            if length <= 16_384 {  // the writer produces the same digits
                let written = try encode(capacity: 1 + digits.count + length) { buffer throws(TCULinkError) in
                    try MQTTByteWriter(buffer, header: 0x30, remainingLength: length).position
                }
                #expect(written == header, "\(length)")
            }
        }
    }

    @Test func aFifthLengthByteAndNonMinimalLengthsAreMalformed() {
        #expect(reason { _ = try frame([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]) } == .mqttMalformedPacket)
        #expect(reason { _ = try frame([0x30, 0x80, 0x00]) } == .mqttMalformedPacket)  // 0 in two bytes
        #expect(reason { _ = try frame([0x30, 0x80, 0x80, 0x00]) } == .mqttMalformedPacket)
    }

    @Test func connectCarriesTheVariableHeaderOfSection3_1() throws {
        let bytes = try encode { buffer throws(TCULinkError) in
            try MQTTPacketEncoder.connect(
                .init(clientID: "tcu-1", username: "hub/tcu-1", cleanSession: true, keepAliveSeconds: 10),
                into: buffer)
        }
        // Fixed header, then "00 04 M Q T T", level 4, flags (username + clean session), keep-alive 10 (§3.1.2).
        let expected: [UInt8] =
            [0x10, 28, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04, 0x82, 0x00, 0x0A]
            + [0x00, 0x05] + Array("tcu-1".utf8) + [0x00, 0x09] + Array("hub/tcu-1".utf8)
        #expect(bytes == expected)
        let persistent = try encode { buffer throws(TCULinkError) in
            try MQTTPacketEncoder.connect(
                .init(clientID: "d", cleanSession: false, keepAliveSeconds: 240), into: buffer)
        }
        #expect(persistent[9] == 0x00 && persistent[10] == 0x00 && persistent[11] == 240)
    }

    @Test func connectWithAWillSetsItsFlags() throws {
        let will = MQTTPacketEncoder.Connect.Will(topic: "w", message: [1, 2], qos: .atLeastOnce, retain: true)
        let bytes = try encode { buffer throws(TCULinkError) in
            try MQTTPacketEncoder.connect(.init(clientID: "d", will: will), into: buffer)
        }
        #expect(bytes[9] == 0x02 | 0x04 | 0x08 | 0x20)  // clean, will, will QoS 1, will retain
        #expect(Array(bytes.suffix(7)) == [0x00, 0x01, 0x77, 0x00, 0x02, 1, 2])
    }

    @Test func publishRoundTripsThroughTheDecoder() throws {
        let payload: [UInt8] = Array("{\"speed\":42}".utf8)
        for (qos, id) in [(MQTTQoS.atMostOnce, UInt16(0)), (.atLeastOnce, UInt16(0x1234))] {
            let bytes = try encode { buffer throws(TCULinkError) in
                try payload.withBytes { raw throws(TCULinkError) in
                    try MQTTPacketEncoder.publish(
                        topic: "devices/tcu-1/messages/events/", payload: raw, qos: qos, retain: true,
                        duplicate: true, packetID: id, into: buffer)
                }
            }
            // DUP only with QoS 1.
            #expect(bytes[0] == 0x30 | (qos == .atLeastOnce ? 0x08 : 0) | (qos.rawValue << 1) | 1)
            guard case .publish(let publish) = try decode(bytes) else {
                Issue.record("not a PUBLISH")
                continue
            }
            #expect(publish.qos == qos && publish.packetID == id && publish.retain)
            guard case .packet(_, let start, _) = try frame(bytes) else { continue }
            let topic = Array(bytes[(start + publish.topic.lowerBound)..<(start + publish.topic.upperBound)])
            #expect(topic == Array("devices/tcu-1/messages/events/".utf8))
            #expect(Array(bytes[(start + publish.payload.lowerBound)...]) == payload)
        }
    }

    @Test func publishRefusesWildcardsQoS2AndWhatDoesNotFit() {
        let payload = [UInt8](repeating: 7, count: 100)
        func publish(_ topic: String, _ qos: MQTTQoS, capacity: Int = 512) -> TCULinkError.Reason? {
            reason {
                _ = try encode(capacity: capacity) { buffer throws(TCULinkError) in
                    try payload.withBytes { raw throws(TCULinkError) in
                        try MQTTPacketEncoder.publish(topic: topic, payload: raw, qos: qos, packetID: 1, into: buffer)
                    }
                }
            }
        }
        #expect(publish("a/+/b", .atMostOnce) == .mqttInvalidTopic)
        #expect(publish("a/#", .atMostOnce) == .mqttInvalidTopic)
        #expect(publish("", .atMostOnce) == .mqttInvalidTopic)
        #expect(publish("a", .exactlyOnce) == .mqttExactlyOnceUnsupported)
        #expect(publish("a", .atLeastOnce, capacity: 105) == .mqttPacketTooLarge)  // needs 107: refused, not cut
        #expect(publish("a", .atLeastOnce, capacity: 107) == nil)
    }

    @Test func subscribeUnsubscribePingAndDisconnectBytes() throws {
        #expect(
            try encode { buffer throws(TCULinkError) in
                try MQTTPacketEncoder.subscribe(filter: "a/#", qos: .atLeastOnce, packetID: 10, into: buffer)
            } == [0x82, 8, 0x00, 0x0A, 0x00, 0x03, 0x61, 0x2F, 0x23, 0x01])
        #expect(
            try encode { buffer throws(TCULinkError) in
                try MQTTPacketEncoder.unsubscribe(filter: "a/#", packetID: 10, into: buffer)
            } == [0xA2, 7, 0x00, 0x0A, 0x00, 0x03, 0x61, 0x2F, 0x23])
        #expect(
            try encode { buffer throws(TCULinkError) in
                try MQTTPacketEncoder.publishAcknowledgement(packetID: 0x0102, into: buffer)
            } == [0x40, 0x02, 0x01, 0x02])
        #expect(
            try encode { buffer throws(TCULinkError) in try MQTTPacketEncoder.pingRequest(into: buffer) } == [
                0xC0, 0x00,
            ])
        #expect(
            try encode { buffer throws(TCULinkError) in try MQTTPacketEncoder.disconnect(into: buffer) } == [
                0xE0, 0x00,
            ])
    }

    @Test func topicFiltersFollowSection4_7() {
        for valid in ["#", "+", "a/#", "a/+/b", "+/+", "/", "a//b", "$iothub/methods/POST/#", "sport/tennis/+"] {
            #expect(reason { try MQTTPacketEncoder.checkTopicFilter(valid) } == nil, "\(valid)")
        }
        for invalid in ["", "a#", "a/#/b", "a+/b", "a/b+", "#/", "##", "a/++"] {
            #expect(reason { try MQTTPacketEncoder.checkTopicFilter(invalid) } == .mqttInvalidTopic, "\(invalid)")
        }
    }

    @Test func decodesWhatABrokerSends() throws {
        #expect(try decode([0x20, 0x02, 0x01, 0x00]) == .connectAcknowledgement(sessionPresent: true, returnCode: 0))
        #expect(try decode([0x20, 0x02, 0x00, 0x05]) == .connectAcknowledgement(sessionPresent: false, returnCode: 5))
        #expect(try decode([0x40, 0x02, 0x00, 0x07]) == .publishAcknowledgement(packetID: 7))
        #expect(try decode([0x90, 0x03, 0x00, 0x08, 0x80]) == .subscribeAcknowledgement(packetID: 8, returnCode: 0x80))
        #expect(try decode([0x90, 0x03, 0x00, 0x08, 0x01]) == .subscribeAcknowledgement(packetID: 8, returnCode: 1))
        #expect(try decode([0xB0, 0x02, 0x00, 0x09]) == .unsubscribeAcknowledgement(packetID: 9))
        #expect(try decode([0xD0, 0x00]) == .pingResponse)
    }

    @Test func refusesWhatABrokerMayNotSend() {
        let malformed: [[UInt8]] = [
            [0x20, 0x02, 0x02, 0x00],  // CONNACK reserved bit
            [0x21, 0x02, 0x00, 0x00],  // CONNACK with flags
            [0x20, 0x03, 0x00, 0x00, 0x00],  // CONNACK too long
            [0x40, 0x02, 0x00, 0x00],  // PUBACK with packet id 0
            [0x90, 0x03, 0x00, 0x08, 0x03],  // SUBACK code 3
            [0xD0, 0x01, 0x00],  // PINGRESP with a body
            // Packets only a client sends, and the two reserved types.
            [0x10, 0x00], [0x80, 0x00], [0xC0, 0x00], [0xE0, 0x00], [0x00, 0x00], [0xF0, 0x00],
            [0x30, 0x03, 0x00, 0x05, 0x61],  // topic length past the packet
            [0x36, 0x03, 0x00, 0x01, 0x61],  // QoS 3
            [0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00],  // QoS 1 with packet id 0
            [0x30, 0x04, 0x00, 0x02, 0x61, 0x23],  // a wildcard in a topic name
        ]
        for bytes in malformed {
            #expect(reason { _ = try decode(bytes) } == .mqttMalformedPacket, "\(bytes)")
        }
        #expect(reason { _ = try decode([0x50, 0x02, 0x00, 0x01]) } == .mqttExactlyOnceUnsupported)  // PUBREC
        #expect(reason { _ = try decode([0x34, 0x03, 0x00, 0x01, 0x61]) } == .mqttExactlyOnceUnsupported)
    }

    @Test func everyTruncationOfAPublishIsIncompleteNeverATrap() throws {
        let payload = [UInt8](repeating: 0x42, count: 300)
        let bytes = try encode { buffer throws(TCULinkError) in
            try payload.withBytes { raw throws(TCULinkError) in
                try MQTTPacketEncoder.publish(topic: "t/1", payload: raw, qos: .atLeastOnce, packetID: 3, into: buffer)
            }
        }
        for cut in 0..<bytes.count {
            #expect(try frame(Array(bytes[0..<cut])) == .incomplete, "\(cut)")
        }
        #expect(try frame(bytes).totalLength == bytes.count)
    }
}

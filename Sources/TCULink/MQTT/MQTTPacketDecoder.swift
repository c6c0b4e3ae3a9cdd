/// MQTT 3.1.1 control packets a broker sends, read in place from the client's receive buffer
/// (OASIS mqtt-v3.1.1-os). Nothing is copied: a PUBLISH is handed over as ranges of the buffer.
/// Anything a broker may not send — a remaining length in more than four bytes, a length past
/// the packet, reserved flags set, a client-only or unknown packet type, QoS 2 — is
/// `mqttMalformedPacket`; nothing traps.
public enum MQTTPacketDecoder {
    /// Where the first packet in `bytes` ends, if it has all arrived.
    public enum Frame: Equatable, Sendable {
        case incomplete
        /// The fixed header's first byte, where the body starts and how long it is.
        case packet(header: UInt8, bodyStart: Int, bodyLength: Int)

        public var totalLength: Int? {
            if case .packet(_, let start, let length) = self { return start + length }
            return nil
        }
    }

    /// Finds the first packet in `bytes` (§2.2.3: the remaining length, 1 to 4 bytes, 7 bits each).
    public static func frame(_ bytes: UnsafeRawBufferPointer) throws(TCULinkError) -> Frame {
        guard bytes.count >= 2 else { return .incomplete }
        var length = 0
        var multiplier = 1
        var index = 1
        while true {
            guard index <= 4 else { throw TCULinkError(.mqttMalformedPacket) }
            guard index < bytes.count else { return .incomplete }
            let digit = bytes[index]
            length += Int(digit & 0x7F) * multiplier
            multiplier *= 128
            index += 1
            if digit & 0x80 == 0 { break }
        }
        // The shortest form only: a continuation that adds nothing is not a length (§1.5.5).
        if index > 2 && bytes[index - 1] == 0 { throw TCULinkError(.mqttMalformedPacket) }
        guard bytes.count - index >= length else { return .incomplete }
        return .packet(header: bytes[0], bodyStart: index, bodyLength: length)
    }

    /// The length `frame` would need to see the whole packet, or nil before the header is complete:
    /// lets a client refuse a packet larger than its buffer instead of waiting for it forever.
    public static func announcedLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var length = 0
        var multiplier = 1
        var index = 1
        while index < bytes.count && index <= 4 {
            let digit = bytes[index]
            length += Int(digit & 0x7F) * multiplier
            multiplier *= 128
            index += 1
            if digit & 0x80 == 0 { return index + length }
        }
        return nil
    }

    /// One packet from the broker.
    public static func decode(header: UInt8, body: UnsafeRawBufferPointer) throws(TCULinkError) -> MQTTInbound {
        let flags = header & 0x0F
        switch header >> 4 {
        case 2:  // CONNACK (§3.2)
            guard flags == 0, body.count == 2, body[0] & 0xFE == 0 else { throw TCULinkError(.mqttMalformedPacket) }
            return .connectAcknowledgement(sessionPresent: body[0] & 1 == 1, returnCode: body[1])
        case 3:  // PUBLISH (§3.3)
            let qos = (flags >> 1) & 0x03
            guard qos < 3 else { throw TCULinkError(.mqttMalformedPacket) }
            guard qos < 2 else { throw TCULinkError(.mqttExactlyOnceUnsupported) }
            guard body.count >= 2 else { throw TCULinkError(.mqttMalformedPacket) }
            let topicLength = Int(body[0]) << 8 | Int(body[1])
            var position = 2 + topicLength
            guard topicLength > 0, body.count >= position + (qos == 0 ? 0 : 2) else {
                throw TCULinkError(.mqttMalformedPacket)
            }
            for index in 2..<position {
                let byte = body[index]
                if byte == 0 || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "#") {
                    throw TCULinkError(.mqttMalformedPacket)
                }
            }
            var packetID: UInt16 = 0
            if qos == 1 {
                packetID = UInt16(body[position]) << 8 | UInt16(body[position + 1])
                guard packetID != 0 else { throw TCULinkError(.mqttMalformedPacket) }
                position += 2
            }
            return .publish(
                MQTTInboundPublish(
                    qos: qos == 1 ? .atLeastOnce : .atMostOnce, duplicate: flags & 0x08 != 0, retain: flags & 1 != 0,
                    packetID: packetID, topic: 2..<(2 + topicLength), payload: position..<body.count))
        case 4:  // PUBACK (§3.4)
            return .publishAcknowledgement(packetID: try packetID(flags: flags, expected: 0, body))
        case 9:  // SUBACK (§3.9): one return code per filter; this client sends one filter per SUBSCRIBE
            guard flags == 0, body.count >= 3 else { throw TCULinkError(.mqttMalformedPacket) }
            for index in 2..<body.count where body[index] > 2 && body[index] != 0x80 {
                throw TCULinkError(.mqttMalformedPacket)
            }
            let id = UInt16(body[0]) << 8 | UInt16(body[1])
            return .subscribeAcknowledgement(packetID: id, returnCode: body[2])
        case 11:  // UNSUBACK (§3.11)
            return .unsubscribeAcknowledgement(packetID: try packetID(flags: flags, expected: 0, body))
        case 13:  // PINGRESP (§3.13)
            guard flags == 0, body.isEmpty else { throw TCULinkError(.mqttMalformedPacket) }
            return .pingResponse
        case 5, 6, 7:  // PUBREC, PUBREL, PUBCOMP: QoS 2, which this client never asks for
            throw TCULinkError(.mqttExactlyOnceUnsupported)
        case 0, 1, 8, 10, 12, 14, 15:  // reserved, or packets only a client sends
            throw TCULinkError(.mqttMalformedPacket)
        default:
            throw TCULinkError(.mqttMalformedPacket)  // header >> 4 is at most 15: not reached
        }
    }

    private static func packetID(flags: UInt8, expected: UInt8, _ body: UnsafeRawBufferPointer) throws(TCULinkError)
        -> UInt16
    {
        guard flags == expected, body.count == 2 else { throw TCULinkError(.mqttMalformedPacket) }
        let id = UInt16(body[0]) << 8 | UInt16(body[1])
        guard id != 0 else { throw TCULinkError(.mqttMalformedPacket) }
        return id
    }
}

/// A packet from the broker, as the session needs it.
public enum MQTTInbound: Equatable, Sendable {
    case connectAcknowledgement(sessionPresent: Bool, returnCode: UInt8)
    case publish(MQTTInboundPublish)
    case publishAcknowledgement(packetID: UInt16)
    /// `returnCode`: the granted QoS (0, 1; 2 is never asked for) or 0x80, the broker's refusal.
    case subscribeAcknowledgement(packetID: UInt16, returnCode: UInt8)
    case unsubscribeAcknowledgement(packetID: UInt16)
    case pingResponse
}

/// A PUBLISH from the broker: where its topic and payload are in the packet's body.
public struct MQTTInboundPublish: Equatable, Sendable {
    public var qos: MQTTQoS
    public var duplicate: Bool
    public var retain: Bool
    /// 0 for QoS 0.
    public var packetID: UInt16
    public var topic: Range<Int>
    public var payload: Range<Int>
}

import CTCUHAL

/// MQTT 3.1.1 control packets a client sends, written into a buffer the caller owns (OASIS
/// mqtt-v3.1.1-os, §2 and §3). Nothing is allocated: a packet that does not fit is refused with
/// `mqttPacketTooLarge`, never cut short.
///
/// The encoding is kept apart from the session logic (`MQTTSession`), so that MQTT 5's packets
/// (properties, reason codes) can be added beside these.
public enum MQTTPacketEncoder {
    /// The largest remaining length MQTT can express in four bytes (§2.2.3).
    public static let maximumRemainingLength = 268_435_455

    /// What CONNECT carries (§3.1).
    public struct Connect {
        public var clientID: String
        /// Azure IoT Hub needs one (`{hub}/{device}/?api-version=…`); with X.509 there is no password.
        public var username: String?
        public var cleanSession: Bool
        /// Seconds; 0 switches keep-alive off (§3.1.2.10).
        public var keepAliveSeconds: UInt16
        public var will: Will?

        public struct Will {
            public var topic: String
            public var message: [UInt8]
            public var qos: MQTTQoS
            public var retain: Bool

            public init(topic: String, message: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false) {
                self.topic = topic
                self.message = message
                self.qos = qos
                self.retain = retain
            }
        }

        public init(
            clientID: String, username: String? = nil, cleanSession: Bool = true,
            keepAliveSeconds: UInt16 = UInt16(TCULINK_MQTT_KEEP_ALIVE_S), will: Will? = nil
        ) {
            self.clientID = clientID
            self.username = username
            self.cleanSession = cleanSession
            self.keepAliveSeconds = keepAliveSeconds
            self.will = will
        }
    }

    public static func connect(
        _ connect: Connect, into buffer: UnsafeMutableRawBufferPointer
    ) throws(TCULinkError) -> Int {
        var flags: UInt8 = connect.cleanSession ? 0x02 : 0
        var body = 10 + stringSize(connect.clientID)
        if let will = connect.will {
            guard will.qos != .exactlyOnce else { throw TCULinkError(.mqttExactlyOnceUnsupported) }
            flags |= 0x04 | (will.qos.rawValue << 3) | (will.retain ? 0x20 : 0)
            body += stringSize(will.topic) + 2 + will.message.count
        }
        if let username = connect.username {
            flags |= 0x80
            body += stringSize(username)
        }
        var writer = try MQTTByteWriter(buffer, header: 0x10, remainingLength: body)
        try writer.string("MQTT")
        try writer.byte(4)  // protocol level 3.1.1
        try writer.byte(flags)
        try writer.u16(connect.keepAliveSeconds)
        try writer.string(connect.clientID)
        if let will = connect.will {
            try writer.string(will.topic)
            try writer.u16(UInt16(clamping: will.message.count))
            try will.message.withBytes { raw throws(TCULinkError) in try writer.bytes(raw) }
        }
        if let username = connect.username { try writer.string(username) }
        return writer.position
    }

    /// PUBLISH (§3.3). `packetID` is required for QoS 1 and ignored for QoS 0; `duplicate` marks a
    /// resend after a reconnect.
    public static func publish(
        topic: String, payload: UnsafeRawBufferPointer, qos: MQTTQoS, retain: Bool = false, duplicate: Bool = false,
        packetID: UInt16 = 0, into buffer: UnsafeMutableRawBufferPointer
    ) throws(TCULinkError) -> Int {
        try topic.withUTF8Bytes { topic throws(TCULinkError) in
            try publish(
                topicBytes: topic, payload: payload, qos: qos, retain: retain, duplicate: duplicate,
                packetID: packetID, into: buffer)
        }
    }

    /// PUBLISH with the topic as UTF-8 bytes (a String's, a C string's, or a record of the outbox).
    static func publish(
        topicBytes topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, qos: MQTTQoS, retain: Bool,
        duplicate: Bool, packetID: UInt16, into buffer: UnsafeMutableRawBufferPointer
    ) throws(TCULinkError) -> Int {
        guard qos != .exactlyOnce else { throw TCULinkError(.mqttExactlyOnceUnsupported) }
        try checkTopicName(topic)
        guard qos == .atMostOnce || packetID != 0 else { throw TCULinkError(.invalidState) }
        let header = 0x30 | (duplicate && qos != .atMostOnce ? 0x08 : 0) | (qos.rawValue << 1) | (retain ? 1 : 0)
        let body = 2 + topic.count + (qos == .atMostOnce ? 0 : 2) + payload.count
        var writer = try MQTTByteWriter(buffer, header: header, remainingLength: body)
        try writer.text(topic)
        if qos != .atMostOnce { try writer.u16(packetID) }
        try writer.bytes(payload)
        return writer.position
    }

    /// The size of a PUBLISH with a topic and payload this long: fixed header, remaining length, body.
    static func publishSize(topicLength: Int, payloadLength: Int, qos: MQTTQoS) -> Int {
        let remaining = 2 + topicLength + (qos == .atMostOnce ? 0 : 2) + payloadLength
        var lengthBytes = 1
        while lengthBytes < 4, remaining >= 1 << (7 * lengthBytes) { lengthBytes += 1 }
        return 1 + lengthBytes + remaining
    }

    /// PUBACK (§3.4), the answer to a QoS 1 PUBLISH from the broker.
    public static func publishAcknowledgement(
        packetID: UInt16, into buffer: UnsafeMutableRawBufferPointer
    ) throws(TCULinkError) -> Int {
        var writer = try MQTTByteWriter(buffer, header: 0x40, remainingLength: 2)
        try writer.u16(packetID)
        return writer.position
    }

    /// SUBSCRIBE (§3.8) of one topic filter; QoS 2 is refused (neither Azure IoT Hub nor AWS IoT Core has it).
    public static func subscribe(
        filter: String, qos: MQTTQoS, packetID: UInt16, into buffer: UnsafeMutableRawBufferPointer
    ) throws(TCULinkError) -> Int {
        guard qos != .exactlyOnce else { throw TCULinkError(.mqttExactlyOnceUnsupported) }
        try checkTopicFilter(filter)
        var writer = try MQTTByteWriter(buffer, header: 0x82, remainingLength: 2 + stringSize(filter) + 1)
        try writer.u16(packetID)
        try writer.string(filter)
        try writer.byte(qos.rawValue)
        return writer.position
    }

    /// UNSUBSCRIBE (§3.10) of one topic filter.
    public static func unsubscribe(
        filter: String, packetID: UInt16, into buffer: UnsafeMutableRawBufferPointer
    ) throws(TCULinkError) -> Int {
        try checkTopicFilter(filter)
        var writer = try MQTTByteWriter(buffer, header: 0xA2, remainingLength: 2 + stringSize(filter))
        try writer.u16(packetID)
        try writer.string(filter)
        return writer.position
    }

    /// PINGREQ (§3.12).
    public static func pingRequest(into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int {
        try MQTTByteWriter(buffer, header: 0xC0, remainingLength: 0).position
    }

    /// DISCONNECT (§3.14).
    public static func disconnect(into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int {
        try MQTTByteWriter(buffer, header: 0xE0, remainingLength: 0).position
    }

    // MARK: - Rules on names

    /// A topic name for PUBLISH: 1 to 65,535 bytes of UTF-8, no wildcard, no NUL (§4.7.3, §1.5.3).
    static func checkTopicName(_ topic: UnsafeRawBufferPointer) throws(TCULinkError) {
        guard topic.count > 0, topic.count <= 65_535, let bytes = topic.baseAddress?.assumingMemoryBound(to: UInt8.self)
        else { throw TCULinkError(.mqttInvalidTopic) }
        var index = 0
        while index < topic.count {  // on every publish: a plain loop, no iterator
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "#") || byte == 0 {
                throw TCULinkError(.mqttInvalidTopic)
            }
            index += 1
        }
    }

    /// A topic filter for SUBSCRIBE: `#` only as the whole last level, `+` only as a whole level (§4.7.1).
    static func checkTopicFilter(_ filter: String) throws(TCULinkError) {
        try filter.withUTF8Bytes { filter throws(TCULinkError) in try checkTopicFilter(bytes: filter) }
    }

    private static func checkTopicFilter(bytes filter: UnsafeRawBufferPointer) throws(TCULinkError) {
        guard filter.count > 0, filter.count <= 65_535 else { throw TCULinkError(.mqttInvalidTopic) }
        var levelLength = 0
        var wildcard: UInt8 = 0  // the wildcard in the current level, 0 for none
        var afterMultiLevel = false
        for byte in filter {
            if afterMultiLevel || byte == 0 { throw TCULinkError(.mqttInvalidTopic) }
            if byte == UInt8(ascii: "/") {
                if wildcard != 0 && levelLength != 1 { throw TCULinkError(.mqttInvalidTopic) }
                afterMultiLevel = wildcard == UInt8(ascii: "#")
                levelLength = 0
                wildcard = 0
                continue
            }
            if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "#") {
                if wildcard != 0 { throw TCULinkError(.mqttInvalidTopic) }
                wildcard = byte
            }
            levelLength += 1
        }
        if afterMultiLevel || (wildcard != 0 && levelLength != 1) { throw TCULinkError(.mqttInvalidTopic) }
    }

    static func stringSize(_ string: String) -> Int { 2 + string.utf8.count }
}

/// The three delivery guarantees (§4.3). The core sends and accepts 0 and 1; 2 is refused.
public enum MQTTQoS: UInt8, Equatable, Sendable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2
}

/// Writes one packet: the fixed header with its remaining length first, then the body, with every
/// write bounds-checked against the caller's buffer.
struct MQTTByteWriter {
    let buffer: UnsafeMutableRawBufferPointer
    private(set) var position = 0

    init(_ buffer: UnsafeMutableRawBufferPointer, header: UInt8, remainingLength: Int) throws(TCULinkError) {
        guard remainingLength <= MQTTPacketEncoder.maximumRemainingLength else {
            throw TCULinkError(.mqttPacketTooLarge)
        }
        self.buffer = buffer
        try byte(header)
        var length = remainingLength
        repeat {
            var digit = UInt8(length % 128)
            length /= 128
            if length > 0 { digit |= 0x80 }
            try byte(digit)
        } while length > 0
        guard buffer.count - position >= remainingLength else { throw TCULinkError(.mqttPacketTooLarge) }
    }

    mutating func byte(_ value: UInt8) throws(TCULinkError) {
        guard position < buffer.count else { throw TCULinkError(.mqttPacketTooLarge) }
        buffer[position] = value
        position += 1
    }

    mutating func u16(_ value: UInt16) throws(TCULinkError) {
        try byte(UInt8(value >> 8))
        try byte(UInt8(value & 0xFF))
    }

    mutating func string(_ string: String) throws(TCULinkError) {
        try string.withUTF8Bytes { utf8 throws(TCULinkError) in try text(utf8) }
    }

    /// A UTF-8 string field: its length in two bytes, then the bytes (§1.5.3).
    mutating func text(_ text: UnsafeRawBufferPointer) throws(TCULinkError) {
        guard text.count <= 65_535 else { throw TCULinkError(.mqttInvalidTopic) }
        try u16(UInt16(text.count))
        try bytes(text)
    }

    mutating func bytes(_ raw: UnsafeRawBufferPointer) throws(TCULinkError) {
        guard buffer.count - position >= raw.count else { throw TCULinkError(.mqttPacketTooLarge) }
        UnsafeMutableRawBufferPointer(rebasing: buffer[position...]).copyMemory(from: raw)
        position += raw.count
    }
}

/// QoS 1 publishes the broker has not acknowledged, kept through the `PersistentStore` HAL so that
/// neither a reconnect nor a reboot loses one: each is written to the store before it is sent,
/// resent with DUP (and its packet id) after the next CONNACK (§4.4), and dropped only by its PUBACK.
///
/// Bounded in bytes: a publish that would not fit is refused with `mqttOutboxFull`, never an older
/// message dropped to make room. The slot holds a version byte and the number of messages (2
/// bytes), then one record per message: packet id (2 bytes), retain (1), topic length (2), payload
/// length (4), topic, payload. The count makes a slot cut at a record boundary unreadable, not short.
public struct MQTTOutbox: Equatable, Sendable {
    public struct Message: Equatable, Sendable {
        /// 0 for a message queued while disconnected and never sent: it gets an id when it goes out.
        public var packetID: UInt16
        public var retain: Bool
        public var topic: [UInt8]
        public var payload: [UInt8]
    }

    static let formatVersion: UInt8 = 1
    static let headerSize = 3
    static let recordOverhead = 9

    /// The most bytes the slot may take.
    public let capacity: Int
    public private(set) var messages: [Message] = []

    public init(capacity: Int) { self.capacity = capacity }

    /// The slot's size with these messages.
    public var encodedSize: Int {
        var size = Self.headerSize
        for message in messages { size += Self.recordOverhead + message.topic.count + message.payload.count }
        return size
    }

    /// Adds a message; `mqttOutboxFull` when it would take the slot past `capacity`.
    public mutating func append(_ message: Message) throws(TCULinkError) {
        let size = Self.recordOverhead + message.topic.count + message.payload.count
        guard encodedSize + size <= capacity, messages.count < Int(UInt16.max) else {
            throw TCULinkError(.mqttOutboxFull)
        }
        messages.append(message)
    }

    /// Records the packet id a queued message went out with.
    mutating func assign(packetID: UInt16, toQueuedAt index: Int) {
        if messages.indices.contains(index), messages[index].packetID == 0 { messages[index].packetID = packetID }
    }

    /// Removes the message with this packet id; false when there is none.
    @discardableResult
    public mutating func remove(packetID: UInt16) -> Bool {
        guard packetID != 0 else { return false }
        guard let index = messages.firstIndex(where: { $0.packetID == packetID }) else { return false }
        messages.remove(at: index)
        return true
    }

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.formatVersion, UInt8(messages.count >> 8), UInt8(messages.count & 0xFF)]
        bytes.reserveCapacity(encodedSize)
        for message in messages {
            bytes += [UInt8(message.packetID >> 8), UInt8(message.packetID & 0xFF), message.retain ? 1 : 0]
            bytes += [UInt8(message.topic.count >> 8), UInt8(message.topic.count & 0xFF)]
            let length = UInt32(message.payload.count)
            bytes += [
                UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF),
            ]
            bytes += message.topic
            bytes += message.payload
        }
        return bytes
    }

    /// The outbox a slot holds; nil for bytes that are not one (the caller reports it and starts empty).
    public static func decode(_ bytes: [UInt8], capacity: Int) -> MQTTOutbox? {
        guard bytes.count >= headerSize, bytes[0] == formatVersion, bytes.count <= capacity else { return nil }
        let count = Int(bytes[1]) << 8 | Int(bytes[2])
        var outbox = MQTTOutbox(capacity: capacity)
        var index = headerSize
        while index < bytes.count {
            guard bytes.count - index >= recordOverhead else { return nil }
            let id = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
            let retain = bytes[index + 2]
            let topicLength = Int(bytes[index + 3]) << 8 | Int(bytes[index + 4])
            var payloadLength = 0
            for offset in 5..<9 { payloadLength = payloadLength << 8 | Int(bytes[index + offset]) }
            index += recordOverhead
            guard retain <= 1, topicLength > 0, bytes.count - index >= topicLength,
                bytes.count - index - topicLength >= payloadLength,
                id == 0 || !outbox.messages.contains(where: { $0.packetID == id })
            else { return nil }
            outbox.messages.append(
                Message(
                    packetID: id, retain: retain == 1, topic: Array(bytes[index..<(index + topicLength)]),
                    payload: Array(bytes[(index + topicLength)..<(index + topicLength + payloadLength)])))
            index += topicLength + payloadLength
        }
        return outbox.messages.count == count ? outbox : nil
    }

    /// The outbox kept in `store`: empty when the slot is empty; nil when it holds something else.
    public static func load<P: PersistentStore>(from store: P, capacity: Int) throws(TCULinkError) -> MQTTOutbox? {
        var buffer = [UInt8](repeating: 0, count: capacity)
        let length = try buffer.withMutableBytes { raw throws(TCULinkError) in try store.read(.mqttOutbox, into: raw) }
        guard let length else { return MQTTOutbox(capacity: capacity) }
        return decode(Array(buffer[0..<length]), capacity: capacity)
    }

    /// Queues a QoS 1 publish while there is no connection (no `MQTTClient`, or its session has
    /// ended): it goes out after the next CONNACK of a client over this store.
    public static func enqueue<P: PersistentStore>(
        topic: String, payload: [UInt8], retain: Bool = false, in store: inout P, capacity: Int
    ) throws(TCULinkError) {
        guard var outbox = try load(from: store, capacity: capacity) else { throw TCULinkError(.storageFailed) }
        try outbox.queue(topic: topic, payload: payload, retain: retain)
        try outbox.save(to: &store)
    }

    /// Adds a message not sent yet (packet id 0), after checking its topic.
    mutating func queue(topic: String, payload: [UInt8], retain: Bool) throws(TCULinkError) {
        try MQTTPacketEncoder.checkTopicName(topic)
        try append(Message(packetID: 0, retain: retain, topic: Array(topic.utf8), payload: payload))
    }

    /// Writes the outbox to `store` (atomically, as the HAL promises); an empty one erases the slot.
    public func save<P: PersistentStore>(to store: inout P) throws(TCULinkError) {
        if messages.isEmpty {
            try store.erase(.mqttOutbox)
            return
        }
        let bytes = encoded()
        try bytes.withBytes { raw throws(TCULinkError) in try store.write(.mqttOutbox, raw) }
    }
}

/// A `PersistentStore` in RAM: for a board without non-volatile memory to spare (nothing survives
/// a reboot) and for tests.
public struct VolatileStore: PersistentStore {
    private var slots: [(PersistentSlot, [UInt8])] = []

    public init() {}

    public func read(_ slot: PersistentSlot, into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int? {
        guard let record = slots.first(where: { $0.0 == slot })?.1 else { return nil }
        guard record.count <= buffer.count else { throw TCULinkError(.storageFailed) }
        for index in record.indices { buffer[index] = record[index] }
        return record.count
    }

    public mutating func write(_ slot: PersistentSlot, _ bytes: UnsafeRawBufferPointer) throws(TCULinkError) {
        try erase(slot)
        slots.append((slot, Array(bytes)))
    }

    public mutating func erase(_ slot: PersistentSlot) throws(TCULinkError) {
        slots.removeAll { $0.0 == slot }
    }
}

/// QoS 1 publishes the broker has not acknowledged, kept through the `PersistentStore` HAL so that
/// neither a reconnect nor a reboot loses one: each is written to the store before it is sent,
/// resent with DUP (and its packet id) after the next CONNACK (§4.4), and dropped only by its PUBACK.
///
/// Bounded in bytes: a publish that would not fit is refused with `mqttOutboxFull`, never an older
/// message dropped to make room. The slot holds a version byte and the number of messages (2
/// bytes), then one record per message: packet id (2 bytes), retain (1), topic length (2), payload
/// length (4), topic, payload. The count makes a slot cut at a record boundary unreadable, not short.
///
/// The outbox *is* that slot image, in one buffer of `capacity` bytes allocated once: adding,
/// numbering and removing a message edit it in place and a save writes it as it is, so a QoS 1
/// publish allocates nothing.
public struct MQTTOutbox: Equatable, Sendable {
    /// A message as a value (tests, tools); the client reads records in place.
    public struct Message: Equatable, Sendable {
        /// 0 for a message queued while disconnected and never sent: it gets an id when it goes out.
        public var packetID: UInt16
        public var retain: Bool
        public var topic: [UInt8]
        public var payload: [UInt8]

        public init(packetID: UInt16, retain: Bool, topic: [UInt8], payload: [UInt8]) {
            self.packetID = packetID
            self.retain = retain
            self.topic = topic
            self.payload = payload
        }
    }

    /// Where one record lies in the image.
    struct Record {
        var offset: Int
        var packetID: UInt16
        var retain: Bool
        var topic: Range<Int>
        var payload: Range<Int>
        var end: Int { payload.upperBound }
    }

    static let formatVersion: UInt8 = 1
    static let headerSize = 3
    static let recordOverhead = 9

    /// The most bytes the slot may take.
    public let capacity: Int
    /// The slot's bytes; `encodedSize` of them are in use.
    private var image: [UInt8]
    /// The slot's size with these messages.
    public private(set) var encodedSize = headerSize
    /// How many messages it holds.
    public private(set) var count = 0

    public init(capacity: Int) {
        self.capacity = capacity
        image = [UInt8](repeating: 0, count: max(Self.headerSize, capacity))
        image[0] = Self.formatVersion
    }

    public static func == (left: MQTTOutbox, right: MQTTOutbox) -> Bool {
        left.capacity == right.capacity && left.encoded() == right.encoded()
    }

    public var isEmpty: Bool { count == 0 }

    /// The messages, in the order they were added (allocates: for tests and tools).
    public var messages: [Message] {
        var result: [Message] = []
        var next = record(startingAt: Self.headerSize)
        while let record = next {
            result.append(
                Message(
                    packetID: record.packetID, retain: record.retain, topic: Array(image[record.topic]),
                    payload: Array(image[record.payload])))
            next = self.record(startingAt: record.end)
        }
        return result
    }

    /// Adds a message; `mqttOutboxFull` when it would take the slot past `capacity`.
    public mutating func append(_ message: Message) throws(TCULinkError) {
        try message.topic.withBytes { topic throws(TCULinkError) in
            try message.payload.withBytes { payload throws(TCULinkError) in
                try append(packetID: message.packetID, retain: message.retain, topic: topic, payload: payload)
            }
        }
    }

    /// Adds a record at the end of the image, copying topic and payload into it.
    mutating func append(
        packetID: UInt16, retain: Bool, topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer
    ) throws(TCULinkError) {
        let topicLength = topic.count
        // UInt64, not Int(UInt32.max): that traps where Int is 32 bits (the boards, wasm32).
        guard topicLength <= 65_535, UInt64(payload.count) <= UInt64(UInt32.max), count < Int(UInt16.max),
            capacity - encodedSize >= Self.recordOverhead + topicLength + payload.count
        else { throw TCULinkError(.mqttOutboxFull) }
        var at = encodedSize
        let length = UInt32(payload.count)
        image.withUnsafeMutableBytes { raw in  // the record in one access to the buffer
            raw[at] = UInt8(packetID >> 8)
            raw[at + 1] = UInt8(packetID & 0xFF)
            raw[at + 2] = retain ? 1 : 0
            raw[at + 3] = UInt8(topicLength >> 8)
            raw[at + 4] = UInt8(topicLength & 0xFF)
            for index in 0..<4 { raw[at + 5 + index] = UInt8(truncatingIfNeeded: length >> (24 - 8 * index)) }
            at += Self.recordOverhead
            UnsafeMutableRawBufferPointer(rebasing: raw[at...]).copyMemory(from: topic)
            at += topic.count
            UnsafeMutableRawBufferPointer(rebasing: raw[at...]).copyMemory(from: payload)
            at += payload.count
        }
        encodedSize = at
        setCount(count + 1)
    }

    /// Takes the last record off again (the undo of `append` when the store refused it).
    mutating func removeLast() {
        var last: Record?
        var next = record(startingAt: Self.headerSize)
        while let record = next {
            last = record
            next = self.record(startingAt: record.end)
        }
        guard let last else { return }
        encodedSize = last.offset
        setCount(count - 1)
    }

    /// Records the packet id a queued message (the record at `offset`) went out with; false when it has one.
    @discardableResult
    mutating func assign(packetID: UInt16, toRecordAt offset: Int) -> Bool {
        guard let record = record(startingAt: offset), record.packetID == 0 else { return false }
        putU16(packetID, at: offset)
        return true
    }

    /// Gives the record at `offset` packet id 0 again (the undo of `assign`).
    mutating func unassign(recordAt offset: Int) { putU16(0, at: offset) }

    /// Removes the message with this packet id; false when there is none.
    @discardableResult
    public mutating func remove(packetID: UInt16) -> Bool {
        guard packetID != 0, let found = first(withPacketID: packetID, before: encodedSize) else { return false }
        let tail = encodedSize - found.end
        image.withUnsafeMutableBytes { raw in  // down, front to back: the ranges may overlap
            for index in 0..<tail { raw[found.offset + index] = raw[found.end + index] }
        }
        encodedSize -= found.end - found.offset
        setCount(count - 1)
        return true
    }

    /// The first record before `end` that carries this packet id.
    private func first(withPacketID packetID: UInt16, before end: Int) -> Record? {
        var next = record(startingAt: Self.headerSize)
        while let record = next, record.offset < end {
            if record.packetID == packetID { return record }
            next = self.record(startingAt: record.end)
        }
        return nil
    }

    /// The record that starts at `offset` (`headerSize` for the first, a record's `end` for the one
    /// after it); nil past the last.
    func record(startingAt offset: Int) -> Record? {
        guard offset >= Self.headerSize, offset < encodedSize else { return nil }
        let topicLength = Int(u16(at: offset + 3))
        let payloadLength = Int(u16(at: offset + 5)) << 16 | Int(u16(at: offset + 7))
        let topicStart = offset + Self.recordOverhead
        return Record(
            offset: offset, packetID: u16(at: offset), retain: image[offset + 2] == 1,
            topic: topicStart..<(topicStart + topicLength),
            payload: (topicStart + topicLength)..<(topicStart + topicLength + payloadLength))
    }

    /// Calls `body` with a record's topic and payload bytes.
    func withRecord<R>(
        _ record: Record, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(TCULinkError) -> R
    ) throws(TCULinkError) -> R {
        try image.withBytes { raw throws(TCULinkError) in
            try body(
                UnsafeRawBufferPointer(rebasing: raw[record.topic]),
                UnsafeRawBufferPointer(rebasing: raw[record.payload]))
        }
    }

    /// The slot's bytes as a new array.
    public func encoded() -> [UInt8] { Array(image[0..<encodedSize]) }

    /// The outbox a slot holds; nil for bytes that are not one (the caller reports it and starts empty).
    public static func decode(_ bytes: [UInt8], capacity: Int) -> MQTTOutbox? {
        var outbox = MQTTOutbox(capacity: capacity)
        guard bytes.count <= outbox.image.count else { return nil }
        for index in bytes.indices { outbox.image[index] = bytes[index] }
        return outbox.adopt(length: bytes.count) ? outbox : nil
    }

    /// Checks the first `length` bytes of the image as a slot and takes them as the content; after
    /// false the outbox is not to be used (its callers drop it).
    private mutating func adopt(length: Int) -> Bool {
        guard length >= Self.headerSize, length <= capacity, image[0] == Self.formatVersion else { return false }
        let announced = Int(u16(at: 1))
        encodedSize = length  // `holds` reads the records checked so far
        var offset = Self.headerSize
        var seen = 0
        while offset < length {
            guard length - offset >= Self.recordOverhead else { return false }
            let id = u16(at: offset)
            let topicLength = Int(u16(at: offset + 3))
            let payloadLength = Int(u16(at: offset + 5)) << 16 | Int(u16(at: offset + 7))
            let bodyStart = offset + Self.recordOverhead
            guard image[offset + 2] <= 1, topicLength > 0, length - bodyStart >= topicLength,
                length - bodyStart - topicLength >= payloadLength,
                id == 0 || first(withPacketID: id, before: offset) == nil
            else { return false }
            offset = bodyStart + topicLength + payloadLength
            seen += 1
        }
        guard seen == announced else { return false }
        count = seen
        return true
    }

    /// The outbox kept in `store`: empty when the slot is empty; nil when it holds something else.
    public static func load<P: PersistentStore>(from store: P, capacity: Int) throws(TCULinkError) -> MQTTOutbox? {
        var outbox = MQTTOutbox(capacity: capacity)
        let length = try outbox.image.withMutableBytes { raw throws(TCULinkError) in
            try store.read(.mqttOutbox, into: raw)
        }
        guard let length else { return MQTTOutbox(capacity: capacity) }
        return outbox.adopt(length: length) ? outbox : nil
    }

    /// Queues a QoS 1 publish while there is no connection (no `MQTTClient`, or its session has
    /// ended): it goes out after the next CONNACK of a client over this store.
    public static func enqueue<P: PersistentStore>(
        topic: String, payload: UnsafeRawBufferPointer, retain: Bool = false, in store: inout P, capacity: Int
    ) throws(TCULinkError) {
        guard var outbox = try load(from: store, capacity: capacity) else { throw TCULinkError(.storageFailed) }
        try topic.withUTF8Bytes { topic throws(TCULinkError) in
            try outbox.queue(topic: topic, payload: payload, retain: retain)
        }
        try outbox.save(to: &store)
    }

    public static func enqueue<P: PersistentStore>(
        topic: String, payload: [UInt8], retain: Bool = false, in store: inout P, capacity: Int
    ) throws(TCULinkError) {
        try payload.withBytes { raw throws(TCULinkError) in
            try enqueue(topic: topic, payload: raw, retain: retain, in: &store, capacity: capacity)
        }
    }

    /// Adds a message not sent yet (packet id 0), after checking its topic.
    mutating func queue(
        topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, retain: Bool
    ) throws(TCULinkError) {
        try MQTTPacketEncoder.checkTopicName(topic)
        try append(packetID: 0, retain: retain, topic: topic, payload: payload)
    }

    /// Writes the outbox to `store` (atomically, as the HAL promises); an empty one erases the slot.
    public func save<P: PersistentStore>(to store: inout P) throws(TCULinkError) {
        if isEmpty {
            try store.erase(.mqttOutbox)
            return
        }
        let size = encodedSize
        try image.withBytes { raw throws(TCULinkError) in
            try store.write(.mqttOutbox, UnsafeRawBufferPointer(rebasing: raw[0..<size]))
        }
    }

    private mutating func setCount(_ value: Int) {
        count = value
        putU16(UInt16(value), at: 1)
    }

    private func u16(at offset: Int) -> UInt16 { UInt16(image[offset]) << 8 | UInt16(image[offset + 1]) }

    private mutating func putU16(_ value: UInt16, at offset: Int) {
        image[offset] = UInt8(value >> 8)
        image[offset + 1] = UInt8(value & 0xFF)
    }
}

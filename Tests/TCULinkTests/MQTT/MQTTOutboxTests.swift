import Testing

@testable import TCULink

/// The outbox's record format, its bound, and what it refuses to read.
@Suite struct MQTTOutboxTests {
    func message(_ id: UInt16, _ payload: String = "{}") -> MQTTOutbox.Message {
        .init(packetID: id, retain: id % 2 == 0, topic: Array("t/\(id)".utf8), payload: Array(payload.utf8))
    }

    @Test func roundTripsThroughTheStore() throws {
        var outbox = MQTTOutbox(capacity: 1024)
        try outbox.append(message(1, "{\"seq\":1}"))
        try outbox.append(message(2, ""))
        var store = VolatileStore()
        try outbox.save(to: &store)
        #expect(try MQTTOutbox.load(from: store, capacity: 1024) == outbox)
        let removed = outbox.remove(packetID: 1)
        let again = outbox.remove(packetID: 1)
        #expect(removed && !again)
        try outbox.save(to: &store)
        #expect(try MQTTOutbox.load(from: store, capacity: 1024)?.messages == [message(2, "")])
        let last = outbox.remove(packetID: 2)
        #expect(last)
        try outbox.save(to: &store)  // empty: the slot is erased
        var probe = [UInt8](repeating: 0, count: 8)
        #expect(
            try probe.withMutableBytes { raw throws(TCULinkError) in try store.read(.mqttOutbox, into: raw) } == nil)
    }

    @Test func aFullOutboxRefusesTheNewMessageAndKeepsTheOld() throws {
        var outbox = MQTTOutbox(capacity: 40)
        try outbox.append(message(1, "0123456789"))  // 3 + 9 + 3 + 10 = 25 bytes
        #expect(throws: TCULinkError(.mqttOutboxFull)) { try outbox.append(message(2, "0123456789")) }
        #expect(outbox.messages == [message(1, "0123456789")])
        #expect(outbox.encodedSize == 25)
        #expect(!TCULinkError.Reason.mqttOutboxFull.isPermanent)
    }

    @Test func bytesThatAreNotAnOutboxAreRefused() throws {
        var outbox = MQTTOutbox(capacity: 256)
        try outbox.append(message(7, "abc"))
        try outbox.append(message(8, "de"))
        let good = outbox.encoded()
        #expect(MQTTOutbox.decode(good, capacity: 256) == outbox)
        #expect(MQTTOutbox.decode([], capacity: 256) == nil)
        #expect(MQTTOutbox.decode([2] + good.dropFirst(), capacity: 256) == nil)  // another format version
        #expect(MQTTOutbox.decode(good, capacity: good.count - 1) == nil)  // larger than the bound
        for cut in 0..<good.count {  // every truncation, record boundaries included
            #expect(MQTTOutbox.decode(Array(good[0..<cut]), capacity: 256) == nil, "\(cut)")
        }
        var twice = good
        twice[3 + 9 + 3 + 3 + 1] = 7  // the second record's packet id equals the first's
        #expect(MQTTOutbox.decode(twice, capacity: 256) == nil)
    }
}

extension MQTTOutboxTests {
    @Test func messagesQueuedWhileDisconnectedWaitWithoutAPacketId() throws {
        var store = VolatileStore()
        try MQTTOutbox.enqueue(topic: "t/1", payload: [1], in: &store, capacity: 256)
        try MQTTOutbox.enqueue(topic: "t/2", payload: [2], retain: true, in: &store, capacity: 256)
        #expect(throws: TCULinkError(.mqttInvalidTopic)) {
            try MQTTOutbox.enqueue(topic: "t/#", payload: [], in: &store, capacity: 256)
        }
        var outbox = try #require(try MQTTOutbox.load(from: store, capacity: 256))
        #expect(outbox.messages.map(\.packetID) == [0, 0])  // two unsent messages may share id 0
        let removedZero = outbox.remove(packetID: 0)
        #expect(!removedZero)  // a PUBACK never names 0
        let first = try #require(outbox.record(startingAt: MQTTOutbox.headerSize))
        let second = try #require(outbox.record(startingAt: first.end))
        let assigned = outbox.assign(packetID: 9, toRecordAt: second.offset)
        let again = outbox.assign(packetID: 10, toRecordAt: second.offset)  // already has one: unchanged
        #expect(assigned && !again)
        #expect(outbox.messages.map(\.packetID) == [0, 9])
        #expect(MQTTOutbox.decode(outbox.encoded(), capacity: 256) == outbox)
    }
}

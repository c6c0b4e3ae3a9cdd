import CTCUHAL

/// What an MQTT session is set up with.
public struct MQTTConfiguration: Sendable {
    public var clientID: String
    public var username: String?
    public var cleanSession: Bool
    /// Seconds without a packet sent before a PINGREQ; Azure IoT Hub allows at most 1,177.
    public var keepAliveSeconds: UInt16
    /// The largest packet sent and the largest received; each buffer is allocated once, this size.
    public var maximumPacketSize: Int
    /// How long CONNECT, a QoS 1 PUBLISH, SUBSCRIBE or UNSUBSCRIBE may wait for its answer, and a
    /// packet for the transport to take it.
    public var acknowledgementTimeout: UInt32
    /// How long a PINGREQ may wait: a pulled cable is found within keep-alive + this.
    public var pingResponseTimeout: UInt32
    /// QoS 1 publishes and subscriptions awaiting their answer at once.
    public var maximumInFlight: Int
    /// The most bytes the outbox of unacknowledged QoS 1 publishes may take in the persistent store.
    public var outboxCapacity: Int

    /// The defaults are tculink_config.h's (TCULINK_MQTT_*), so that C and Swift cannot drift.
    public init(
        clientID: String, username: String? = nil, cleanSession: Bool = true,
        keepAliveSeconds: UInt16 = UInt16(TCULINK_MQTT_KEEP_ALIVE_S),
        maximumPacketSize: Int = Int(TCULINK_MQTT_MAX_PACKET_SIZE),
        acknowledgementTimeout: UInt32 = UInt32(TCULINK_MQTT_ACK_TIMEOUT_MS),
        pingResponseTimeout: UInt32 = UInt32(TCULINK_MQTT_PING_TIMEOUT_MS),
        maximumInFlight: Int = Int(TCULINK_MQTT_MAX_IN_FLIGHT), outboxCapacity: Int = Int(TCULINK_MQTT_OUTBOX_CAPACITY)
    ) {
        self.clientID = clientID
        self.username = username
        self.cleanSession = cleanSession
        self.keepAliveSeconds = keepAliveSeconds
        self.maximumPacketSize = maximumPacketSize
        self.acknowledgementTimeout = acknowledgementTimeout
        self.pingResponseTimeout = pingResponseTimeout
        self.maximumInFlight = maximumInFlight
        self.outboxCapacity = outboxCapacity
    }
}

/// What `MQTTClient.step()` came to.
public enum MQTTEvent: Equatable, Sendable {
    case connected(sessionPresent: Bool)
    /// The broker acknowledged the QoS 1 publish with this packet id.
    case published(packetID: UInt16)
    case subscribed(packetID: UInt16, granted: MQTTQoS)
    /// The broker answered the SUBSCRIBE with 0x80 (`mqttSubscriptionRefused`); the session goes on.
    case subscriptionRefused(packetID: UInt16)
    case unsubscribed(packetID: UInt16)
    /// A message arrived: read it with `withMessage` before the next `step()`, which acknowledges
    /// it (QoS 1) — after the application has taken it, never before.
    case message(MQTTInboundPublish)
    /// Nothing more now: call `step()` again when the transport is readable or at `until`.
    case waiting(ReadinessInterest, until: UInt64)
    /// The session ended; nil for an orderly end (`disconnect()`).
    case closed(TCULinkError?)
}

/// An MQTT 3.1.1 client over an established `TLSClient`: QoS 0 and 1 both ways, keep-alive that
/// finds a dead link within keep-alive + `pingResponseTimeout`, fixed buffers, and an outbox in
/// the persistent store that keeps every QoS 1 publish until its PUBACK, across reconnects and reboots.
///
/// The decisions are `MQTTSession`'s; this class encodes, sends, receives and decodes. Drive it
/// like `TLSClient`: `step()` from the main loop until it says to wait.
public final class MQTTClient<T: Transport, K: KeyStore, C: Clock, P: PersistentStore> {
    public let connection: TLSClient<T, K, C>
    public let configuration: MQTTConfiguration
    /// Where the outbox lives (`PersistentSlot.mqttOutbox`).
    public private(set) var store: P
    /// QoS 1 publishes not yet acknowledged, as kept in `store`.
    public private(set) var outbox: MQTTOutbox
    /// The store held something that is not an outbox: it was set aside (and will be overwritten).
    public let outboxWasUnreadable: Bool
    /// How many messages of the outbox went out again after the last CONNACK.
    public private(set) var resentAfterConnect = 0
    /// How many messages queued while disconnected have been sent.
    public private(set) var sentFromQueue = 0
    private var session: MQTTSession
    /// One packet out at a time, encoded in place.
    private var outgoing: [UInt8]
    /// What has arrived and not yet been consumed.
    private var incoming: [UInt8]
    private var incomingCount = 0
    /// The packet handed out as `.message`: consumed (and acknowledged) at the next step.
    private var delivered: (length: Int, publish: MQTTInboundPublish, bodyStart: Int, acknowledge: UInt16?)?

    /// Reads the outbox `store` holds: what a previous run left unacknowledged goes out again after CONNACK.
    /// A convenience initializer, so that a refusal comes before the object exists (see `TLSContext.init`).
    public convenience init(
        connection: TLSClient<T, K, C>, configuration: MQTTConfiguration, store: P
    ) throws(TCULinkError) {
        // Sizes are allocated as given: one past what a TCU heap holds is a configuration error.
        let limit = Int(TCULINK_MQTT_SIZE_LIMIT)
        guard configuration.maximumPacketSize <= limit, configuration.outboxCapacity <= limit else {
            throw TCULinkError(.invalidConfiguration)
        }
        let loaded = try MQTTOutbox.load(from: store, capacity: configuration.outboxCapacity)
        self.init(connection: connection, configuration: configuration, store: store, loaded: loaded)
    }

    private init(connection: TLSClient<T, K, C>, configuration: MQTTConfiguration, store: P, loaded: MQTTOutbox?) {
        self.connection = connection
        self.configuration = configuration
        self.store = store
        outbox = loaded ?? MQTTOutbox(capacity: configuration.outboxCapacity)
        outboxWasUnreadable = loaded == nil
        session = MQTTSession(
            timing: .init(
                keepAliveSeconds: configuration.keepAliveSeconds,
                pingResponseTimeout: configuration.pingResponseTimeout,
                acknowledgementTimeout: configuration.acknowledgementTimeout,
                maximumInFlight: configuration.maximumInFlight))
        outgoing = [UInt8](repeating: 0, count: max(16, configuration.maximumPacketSize))
        incoming = [UInt8](repeating: 0, count: max(16, configuration.maximumPacketSize))
    }

    /// Sends CONNECT; `step()` then reports `.connected` or the broker's refusal.
    public func start() throws(TCULinkError) {
        let action = session.connectRequested(now: connection.now())
        guard action == .sendConnect else { throw session.failure ?? TCULinkError(.invalidState) }
        let connect = MQTTPacketEncoder.Connect(
            clientID: configuration.clientID, username: configuration.username,
            cleanSession: configuration.cleanSession, keepAliveSeconds: configuration.keepAliveSeconds)
        try send { buffer throws(TCULinkError) in try MQTTPacketEncoder.connect(connect, into: buffer) }
    }

    /// Publishes `payload` to `topic`; returns the packet id a QoS 1 publish is acknowledged with
    /// (`.published`), 0 for QoS 0.
    @discardableResult
    public func publish(
        topic: String, payload: UnsafeRawBufferPointer, qos: MQTTQoS, retain: Bool = false
    ) throws(TCULinkError) -> UInt16 {
        try topic.withUTF8Bytes { topic throws(TCULinkError) in
            try publishUTF8(topic, payload: payload, qos: qos, retain: retain)
        }
    }

    /// The same with the topic as UTF-8 bytes: a C caller's topic goes in without becoming a String
    /// (which would allocate).
    @discardableResult
    public func publish(
        topicBytes topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, qos: MQTTQoS, retain: Bool = false
    ) throws(TCULinkError) -> UInt16 {
        try publishUTF8(topic, payload: payload, qos: qos, retain: retain)
    }

    private func publishUTF8(
        _ topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, qos: MQTTQoS, retain: Bool
    ) throws(TCULinkError) -> UInt16 {
        switch session.publishRequested(qos: qos, now: connection.now()) {
        case .sendPublish(let id):
            let length = try encode(withdrawingOnFailure: id) { buffer throws(TCULinkError) in
                try MQTTPacketEncoder.publish(
                    topicBytes: topic, payload: payload, qos: qos, retain: retain, duplicate: false, packetID: id,
                    into: buffer)
            }
            if qos == .atLeastOnce {  // kept before it is sent: a reboot from here on loses nothing
                do throws(TCULinkError) {
                    try keep(undo: { $0.removeLast() }) { outbox throws(TCULinkError) in
                        try outbox.append(packetID: id, retain: retain, topic: topic, payload: payload)
                    }
                } catch {
                    session.withdrawn(packetID: id)
                    throw error
                }
            }
            try transmit(length)
            return id
        case .refuse(let error):
            // No session (it ended, or has not started): a QoS 1 message waits in the outbox for the next CONNACK.
            guard qos == .atLeastOnce, !session.isConnected else { throw error }
            // Kept only if it can go out later: a message the buffer cannot hold would wait forever.
            let size = MQTTPacketEncoder.publishSize(topicLength: topic.count, payloadLength: payload.count, qos: qos)
            guard size <= outgoing.count else { throw TCULinkError(.mqttPacketTooLarge) }
            try keep(undo: { $0.removeLast() }) { outbox throws(TCULinkError) in
                try outbox.queue(topic: topic, payload: payload, retain: retain)
            }
            return 0
        case .none, .sendConnect, .sendSubscribe, .sendUnsubscribe, .sendPublishAcknowledgement, .sendPingRequest,
            .reportConnected, .reportPublished, .reportSubscribed, .reportUnsubscribed, .deliver, .wait,
            .sendDisconnectAndClose, .closeConnection:
            throw TCULinkError(.invalidState)
        }
    }

    /// Subscribes to `filter`; `.subscribed` or `.subscriptionRefused` answers with the returned id.
    @discardableResult
    public func subscribe(filter: String, qos: MQTTQoS) throws(TCULinkError) -> UInt16 {
        try MQTTPacketEncoder.checkTopicFilter(filter)
        if qos == .exactlyOnce { throw TCULinkError(.mqttExactlyOnceUnsupported) }
        return try subscription(unsubscribe: false) { id, buffer throws(TCULinkError) in
            try MQTTPacketEncoder.subscribe(filter: filter, qos: qos, packetID: id, into: buffer)
        }
    }

    @discardableResult
    public func unsubscribe(filter: String) throws(TCULinkError) -> UInt16 {
        try MQTTPacketEncoder.checkTopicFilter(filter)
        return try subscription(unsubscribe: true) { id, buffer throws(TCULinkError) in
            try MQTTPacketEncoder.unsubscribe(filter: filter, packetID: id, into: buffer)
        }
    }

    /// The message of the last `.message` event, until the next `step()`.
    public var deliveredMessage: MQTTInboundPublish? { delivered?.publish }

    /// The message of the last `.message` event: its topic and payload, valid inside `body` only.
    public func withMessage<R>(_ body: (_ topic: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer) -> R) -> R?
    {
        guard let delivered else { return nil }
        return incoming.withUnsafeBytes { raw in
            let start = delivered.bodyStart
            let topic = delivered.publish.topic
            let payload = delivered.publish.payload
            return body(
                UnsafeRawBufferPointer(rebasing: raw[(start + topic.lowerBound)..<(start + topic.upperBound)]),
                UnsafeRawBufferPointer(rebasing: raw[(start + payload.lowerBound)..<(start + payload.upperBound)]))
        }
    }

    /// Sends DISCONNECT and closes the connection.
    public func disconnect() { perform(session.disconnectRequested()) }

    /// Why the session ended, if it failed.
    public var failure: TCULinkError? { session.failure }

    // MARK: - Driving

    /// Acknowledges the message handed out last (the application has it now), then reads and
    /// handles what arrived, as far as it can without waiting.
    public func step() -> MQTTEvent {
        if let done = delivered {
            delivered = nil
            consume(done.length)
            if let id = done.acknowledge, let event = perform(session.applicationTook(packetID: id)) { return event }
        }
        while true {
            if case .closed(let error) = session.state { return .closed(error) }
            do throws(TCULinkError) {
                if let event = try handleBufferedPacket() { return event }
                if try !receiveMore() {
                    let now = connection.now()
                    switch session.tick(now: now) {
                    case .wait(let until): return .waiting(.readable, until: until)
                    case .none: return .waiting(.readable, until: now + 60_000)  // nothing is due: data will wake us
                    case let action:
                        if let event = perform(action) { return event }  // else a PINGREQ went out: look again
                    }
                }
            } catch {
                if let event = perform(session.failed(error)) { return event }
            }
        }
    }

    /// Waits up to `timeoutMilliseconds` for the next event (hosts and RTOS tasks); `.waiting` when
    /// none came in time.
    public func nextEvent(timeoutMilliseconds: UInt32) -> MQTTEvent {
        let deadline = connection.now() + UInt64(timeoutMilliseconds)
        while true {
            let event = step()
            guard case .waiting(let interest, let until) = event else { return event }
            if connection.now() >= deadline { return event }
            connection.waitForTransport(interest, until: min(until, deadline))
        }
    }

    /// Decodes the first complete packet in the buffer and hands it to the session.
    private func handleBufferedPacket() throws(TCULinkError) -> MQTTEvent? {
        let frame = try incoming.withBytes { raw throws(TCULinkError) in
            try MQTTPacketDecoder.frame(UnsafeRawBufferPointer(rebasing: raw[0..<incomingCount]))
        }
        guard case .packet(let header, let bodyStart, let bodyLength) = frame else {
            let announced = incoming.withUnsafeBytes { raw in
                MQTTPacketDecoder.announcedLength(UnsafeRawBufferPointer(rebasing: raw[0..<incomingCount]))
            }
            if let announced, announced > incoming.count { throw TCULinkError(.mqttPacketTooLarge) }
            return nil
        }
        let packet = try incoming.withBytes { raw throws(TCULinkError) in
            try MQTTPacketDecoder.decode(
                header: header, body: UnsafeRawBufferPointer(rebasing: raw[bodyStart..<(bodyStart + bodyLength)]))
        }
        let action = session.received(packet, now: connection.now())
        if case .deliver(let acknowledge) = action, case .publish(let publish) = packet {
            delivered = (bodyStart + bodyLength, publish, bodyStart, acknowledge)
            return .message(publish)
        }
        consume(bodyStart + bodyLength)
        return perform(action)
    }

    /// Reads what the connection has; false when nothing came.
    private func receiveMore() throws(TCULinkError) -> Bool {
        guard incomingCount < incoming.count else { throw TCULinkError(.mqttPacketTooLarge) }
        let start = incomingCount
        let result = try incoming.withMutableBytes { raw throws(TCULinkError) in
            try connection.receive(into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
        }
        switch result {
        case .received(let count):
            incomingCount += count
            return true
        case .wouldBlock: return false
        case .closed: throw TCULinkError(.connectionClosed)
        }
    }

    /// Carries out an action; the event it reports, if any.
    @discardableResult
    private func perform(_ action: MQTTAction) -> MQTTEvent? {
        do throws(TCULinkError) {
            switch action {
            case .none, .deliver, .refuse: return nil
            case .wait(let until): return .waiting(.readable, until: until)
            case .reportConnected(let sessionPresent):
                try resendOutbox()
                return .connected(sessionPresent: sessionPresent)
            case .reportPublished(let id):
                // A failed save only means the message goes out again after a reboot: QoS 1 allows that.
                if outbox.remove(packetID: id) { try? outbox.save(to: &store) }
                try sendQueued()  // a place in flight came free
                return .published(packetID: id)
            case .reportSubscribed(let id, let granted):
                guard let granted else { return .subscriptionRefused(packetID: id) }
                return .subscribed(packetID: id, granted: granted)
            case .reportUnsubscribed(let id): return .unsubscribed(packetID: id)
            case .sendPingRequest:
                try send { buffer throws(TCULinkError) in try MQTTPacketEncoder.pingRequest(into: buffer) }
                return nil
            case .sendPublishAcknowledgement(let id):
                try send { buffer throws(TCULinkError) in
                    try MQTTPacketEncoder.publishAcknowledgement(packetID: id, into: buffer)
                }
                return nil
            case .sendConnect, .sendPublish, .sendSubscribe, .sendUnsubscribe:
                return nil  // sent by the call that asked for them
            case .sendDisconnectAndClose:
                try? send { buffer throws(TCULinkError) in try MQTTPacketEncoder.disconnect(into: buffer) }
                connection.close()
                return .closed(nil)
            case .closeConnection(let error):
                connection.close()
                return .closed(error)
            }
        } catch {
            return perform(session.failed(error))
        }
    }

    private func subscription(
        unsubscribe: Bool, _ encode: (UInt16, UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int
    ) throws(TCULinkError) -> UInt16 {
        switch session.subscriptionRequested(unsubscribe: unsubscribe, now: connection.now()) {
        case .sendSubscribe(let id), .sendUnsubscribe(let id):
            try transmit(
                try self.encode(withdrawingOnFailure: id) { buffer throws(TCULinkError) in try encode(id, buffer) })
            return id
        case .refuse(let error): throw error
        case .none, .sendConnect, .sendPublish, .sendPublishAcknowledgement, .sendPingRequest, .reportConnected,
            .reportPublished, .reportSubscribed, .reportUnsubscribed, .deliver, .wait, .sendDisconnectAndClose,
            .closeConnection:
            throw TCULinkError(.invalidState)
        }
    }

    /// Encodes one packet and sends it whole (packets that wait for no answer, and CONNECT).
    private func send(_ encode: (UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int) throws(TCULinkError) {
        try transmit(try self.encode(encode))
    }

    /// Encodes one packet into the outgoing buffer. A packet that cannot be built (too large, a bad
    /// topic) is refused and the session goes on, its packet id free again.
    private func encode(
        withdrawingOnFailure packetID: UInt16 = 0, _ encode: (UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int
    ) throws(TCULinkError) -> Int {
        do throws(TCULinkError) {
            return try outgoing.withMutableBytes { raw throws(TCULinkError) in try encode(raw) }
        } catch {
            if packetID != 0 { session.withdrawn(packetID: packetID) }
            throw error
        }
    }

    /// Sends the first `length` bytes of the outgoing buffer, waiting on the transport up to the
    /// acknowledgement timeout. A failure ends the session.
    private func transmit(_ length: Int) throws(TCULinkError) {
        do throws(TCULinkError) {
            try outgoing.withBytes { raw throws(TCULinkError) in
                try connection.sendAll(
                    UnsafeRawBufferPointer(rebasing: raw[0..<length]),
                    timeoutMilliseconds: configuration.acknowledgementTimeout)
            }
        } catch {
            perform(session.failed(error))
            throw error
        }
        session.packetSent(now: connection.now())
    }

    /// After CONNACK: every message of the outbox that was sent before goes out again, DUP set,
    /// with its packet id (§4.4); then those queued while disconnected, as the in-flight limit allows.
    private func resendOutbox() throws(TCULinkError) {
        resentAfterConnect = 0
        var next = outbox.record(startingAt: MQTTOutbox.headerSize)
        while let record = next {
            next = outbox.record(startingAt: record.end)
            guard record.packetID != 0,
                case .sendPublish(let id) = session.resendRequested(packetID: record.packetID, now: connection.now())
            else { continue }
            try transmit(try encode(record, packetID: id, duplicate: true))
            resentAfterConnect += 1
        }
        try sendQueued()
    }

    /// Sends the messages queued while disconnected, each with a new packet id, while the in-flight
    /// limit allows; the rest go as PUBACKs free places.
    private func sendQueued() throws(TCULinkError) {
        var next = outbox.record(startingAt: MQTTOutbox.headerSize)
        while let record = next {
            next = outbox.record(startingAt: record.end)
            guard record.packetID == 0 else { continue }
            guard case .sendPublish(let id) = session.publishRequested(qos: .atLeastOnce, now: connection.now()) else {
                return  // in flight is full, or the session ended
            }
            let length: Int
            do throws(TCULinkError) {
                length = try encode(record, packetID: id, duplicate: false)
            } catch  where error.reason == .mqttPacketTooLarge {
                continue  // queued by another configuration (`MQTTOutbox.enqueue`): it stays, counted as pending
            }
            // The id is kept before the packet goes: a resend after a reboot carries the same id.
            try keep(undo: { $0.unassign(recordAt: record.offset) }) { outbox throws(TCULinkError) in
                outbox.assign(packetID: id, toRecordAt: record.offset)
            }
            try transmit(length)
            sentFromQueue += 1
        }
    }

    /// Encodes a record of the outbox as a QoS 1 PUBLISH with `packetID`; a failure frees the id.
    private func encode(
        _ record: MQTTOutbox.Record, packetID: UInt16, duplicate: Bool
    ) throws(TCULinkError) -> Int {
        try outbox.withRecord(record) { topic, payload throws(TCULinkError) in
            try encode(withdrawingOnFailure: packetID) { buffer throws(TCULinkError) in
                try MQTTPacketEncoder.publish(
                    topicBytes: topic, payload: payload, qos: .atLeastOnce, retain: record.retain,
                    duplicate: duplicate, packetID: packetID, into: buffer)
            }
        }
    }

    /// Changes the outbox in place and writes it to the store: both or, when the store fails,
    /// neither (`undo` takes the change back). A change that throws has changed nothing.
    private func keep(
        undo: (inout MQTTOutbox) -> Void, _ change: (inout MQTTOutbox) throws(TCULinkError) -> Void
    ) throws(TCULinkError) {
        try change(&outbox)
        do throws(TCULinkError) {
            try outbox.save(to: &store)
        } catch {
            undo(&outbox)
            throw error
        }
    }

    private func consume(_ count: Int) {
        let remaining = incomingCount - count
        if remaining > 0 {
            for index in 0..<remaining { incoming[index] = incoming[count + index] }
        }
        incomingCount = max(0, remaining)
    }
}

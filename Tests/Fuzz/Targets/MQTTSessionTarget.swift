/// The MQTT session state machine driven by a script: the application's requests, the clock, and a
/// broker's packets (decoded as the client decodes them). Invariants: in-flight entries never exceed
/// the limit; QoS 1 packet ids are never 0 and never two in flight at once; an acknowledgement is
/// reported only for a packet that was in flight; a closed session sends nothing more.
///
/// Script: one op byte, then its operands. op % 6: 0 tick (+1 byte of seconds), 1 QoS 1 publish,
/// 2 subscribe, 3 a broker packet (1 header byte, 1 length byte, that many body bytes),
/// 4 the application took a message (2 bytes of packet id), 5 disconnect.
enum FuzzMQTTSession {
    static func run(_ input: UnsafeRawBufferPointer) {
        var session = MQTTSession(
            timing: .init(
                keepAliveSeconds: 5, pingResponseTimeout: 2_000, acknowledgementTimeout: 3_000, maximumInFlight: 4))
        var now: UInt64 = 1_000
        var outstanding: [UInt16] = []
        var closed = false
        check(session.connectRequested(now: now), &outstanding, &closed)
        var index = 0
        func next() -> UInt8? {
            guard index < input.count else { return nil }
            defer { index += 1 }
            return input[index]
        }
        while let op = next() {
            let action: MQTTAction
            switch op % 6 {
            case 0:
                now += UInt64(next() ?? 1) * 1_000
                action = session.tick(now: now)
            case 1: action = session.publishRequested(qos: .atLeastOnce, now: now)
            case 2: action = session.subscriptionRequested(unsubscribe: false, now: now)
            case 3:
                guard let header = next(), let length = next(), input.count - index >= Int(length) else { return }
                let body = UnsafeRawBufferPointer(rebasing: input[index..<(index + Int(length))])
                index += Int(length)
                let packet: MQTTInbound
                do throws(TCULinkError) { packet = try MQTTPacketDecoder.decode(header: header, body: body) } catch {
                    action = session.failed(error)
                    break
                }
                action = session.received(packet, now: now)
            case 4:
                let id = UInt16(next() ?? 0) << 8 | UInt16(next() ?? 1)
                action = session.applicationTook(packetID: id)
            default: action = session.disconnectRequested()
            }
            check(action, &outstanding, &closed)
            precondition(session.inFlight.count <= 4, "more in flight than the limit")
            let ids = session.inFlight.map(\.packetID)
            precondition(!ids.contains(0) && Set(ids).count == ids.count, "a packet id 0 or twice in flight")
            if case .closed = session.state { closed = true }
        }
    }

    static func check(_ action: MQTTAction, _ outstanding: inout [UInt16], _ closed: inout Bool) {
        switch action {
        case .sendPublish(let id), .sendSubscribe(let id), .sendUnsubscribe(let id):
            precondition(!closed, "a closed session sent a packet")
            precondition(id != 0, "QoS 1 with packet id 0")
            outstanding.append(id)
        case .reportPublished(let id), .reportSubscribed(let id, _), .reportUnsubscribed(let id):
            guard let position = outstanding.firstIndex(of: id) else {
                preconditionFailure("an acknowledgement reported for a packet not in flight")
            }
            outstanding.remove(at: position)
        case .sendConnect, .sendPingRequest, .sendPublishAcknowledgement:
            precondition(!closed, "a closed session sent a packet")
        case .closeConnection, .sendDisconnectAndClose:
            closed = true
        case .none, .reportConnected, .deliver, .wait, .refuse:
            break
        }
    }
}

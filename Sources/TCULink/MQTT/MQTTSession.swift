/// The life of one MQTT 3.1.1 session over an established TLS connection, as a pure value:
/// events in, actions out, in the style of `ConnectionStateMachine`.
///
/// It does no I/O and reads no clock: every event that needs the time carries `now` (monotonic
/// milliseconds), so keep-alive, a dead link, a missing acknowledgement and every broker answer
/// are unit tests. `MQTTClient` encodes and sends what it asks for. Every `switch` over the state
/// names every state, with no `default`.
struct MQTTSession: Sendable {
    struct Timing: Equatable, Sendable {
        /// Seconds without a packet sent before a PINGREQ goes out (CONNECT's keep-alive); 0 = off.
        var keepAliveSeconds: UInt16
        /// How long a PINGREQ may wait for its PINGRESP before the link is declared dead.
        var pingResponseTimeout: UInt32
        /// How long CONNECT, a QoS 1 PUBLISH, SUBSCRIBE or UNSUBSCRIBE may wait for its answer.
        var acknowledgementTimeout: UInt32
        /// QoS 1 publishes and subscriptions awaiting their answer at once.
        var maximumInFlight: Int
    }

    enum State: Equatable, Sendable {
        case idle
        /// CONNECT sent; CONNACK due by `deadline`.
        case connecting(deadline: UInt64)
        case connected
        case closed(TCULinkError?)
    }

    /// A packet that waits for its answer. The kind matters: a PUBACK does not answer a SUBSCRIBE
    /// that happens to have the same id.
    struct InFlight: Equatable, Sendable {
        enum Kind: Equatable, Sendable { case publish, subscribe, unsubscribe }
        var packetID: UInt16
        var kind: Kind
        var deadline: UInt64
    }

    private(set) var state = State.idle
    let timing: Timing
    /// When the last packet went out: keep-alive counts from it (§3.1.2.10).
    private var lastSent: UInt64 = 0
    /// When the PINGREQ that is out must have been answered.
    private var pingDeadline: UInt64?
    /// Reserved once at the session's start: adding and removing entries allocates nothing.
    private(set) var inFlight: [InFlight]
    private var nextPacketID: UInt16 = 1

    init(timing: Timing) {
        self.timing = timing
        inFlight = []
        inFlight.reserveCapacity(max(1, timing.maximumInFlight))
    }

    var isConnected: Bool {
        if case .connected = state { return true }
        return false
    }

    /// The error that closed the session, if one did.
    var failure: TCULinkError? {
        if case .closed(let error) = state { return error }
        return nil
    }

    // MARK: - Events

    /// The application asks for a session (the TLS connection is up).
    mutating func connectRequested(now: UInt64) -> MQTTAction {
        switch state {
        case .idle:
            state = .connecting(deadline: now + UInt64(timing.acknowledgementTimeout))
            return .sendConnect
        case .connecting, .connected, .closed:
            return .none
        }
    }

    /// A packet went out whole: keep-alive starts again from here.
    mutating func packetSent(now: UInt64) { lastSent = now }

    /// A packet arrived from the broker.
    mutating func received(_ packet: MQTTInbound, now: UInt64) -> MQTTAction {
        switch state {
        case .connecting:
            guard case .connectAcknowledgement(let sessionPresent, let returnCode) = packet else {
                return fail(TCULinkError(.mqttUnexpectedPacket))  // nothing may come before CONNACK (§3.2)
            }
            switch returnCode {
            case 0:
                state = .connected
                return .reportConnected(sessionPresent: sessionPresent)
            case 1, 2: return fail(TCULinkError(.mqttIdentifierRejected, libraryCode: Int32(returnCode)))
            case 3: return fail(TCULinkError(.mqttServerUnavailable, libraryCode: Int32(returnCode)))
            case 4, 5: return fail(TCULinkError(.mqttNotAuthorized, libraryCode: Int32(returnCode)))
            default: return fail(TCULinkError(.mqttMalformedPacket, libraryCode: Int32(returnCode)))
            }
        case .connected:
            switch packet {
            case .connectAcknowledgement:
                return fail(TCULinkError(.mqttUnexpectedPacket))
            case .publish(let publish):
                return .deliver(acknowledge: publish.qos == .atLeastOnce ? publish.packetID : nil)
            case .publishAcknowledgement(let id):
                // An answer to nothing we sent (a late one, or a broker's mistake) changes nothing.
                return settle(id, .publish) ? .reportPublished(packetID: id) : .none
            case .subscribeAcknowledgement(let id, let returnCode):
                guard settle(id, .subscribe) else { return .none }
                return .reportSubscribed(packetID: id, granted: MQTTQoS(rawValue: returnCode))  // 0x80: nil
            case .unsubscribeAcknowledgement(let id):
                return settle(id, .unsubscribe) ? .reportUnsubscribed(packetID: id) : .none
            case .pingResponse:
                pingDeadline = nil
                return .none
            }
        case .idle, .closed:
            return .none
        }
    }

    /// The application publishes; QoS 1 takes a packet id and waits for its PUBACK.
    mutating func publishRequested(qos: MQTTQoS, now: UInt64) -> MQTTAction {
        switch state {
        case .connected:
            switch qos {
            case .atMostOnce: return .sendPublish(packetID: 0)
            case .atLeastOnce:
                guard let id = take(.publish, now: now) else { return .refuse(TCULinkError(.mqttTooManyInFlight)) }
                return .sendPublish(packetID: id)
            case .exactlyOnce: return .refuse(TCULinkError(.mqttExactlyOnceUnsupported))
            }
        case .idle, .connecting, .closed:
            return .refuse(failure ?? TCULinkError(.invalidState))
        }
    }

    /// A publish from the outbox goes out again after CONNACK, with its own packet id (§4.4). It
    /// waits for its PUBACK like any other, whatever the in-flight limit: it was sent before.
    mutating func resendRequested(packetID: UInt16, now: UInt64) -> MQTTAction {
        switch state {
        case .connected:
            guard packetID != 0, !inFlight.contains(where: { $0.packetID == packetID }) else {
                return .refuse(TCULinkError(.invalidState))
            }
            inFlight.append(
                InFlight(packetID: packetID, kind: .publish, deadline: now + UInt64(timing.acknowledgementTimeout)))
            return .sendPublish(packetID: packetID)
        case .idle, .connecting, .closed:
            return .refuse(failure ?? TCULinkError(.invalidState))
        }
    }

    /// The application subscribes (or, with `unsubscribe`, ends a subscription).
    mutating func subscriptionRequested(unsubscribe: Bool, now: UInt64) -> MQTTAction {
        switch state {
        case .connected:
            guard let id = take(unsubscribe ? .unsubscribe : .subscribe, now: now) else {
                return .refuse(TCULinkError(.mqttTooManyInFlight))
            }
            return unsubscribe ? .sendUnsubscribe(packetID: id) : .sendSubscribe(packetID: id)
        case .idle, .connecting, .closed:
            return .refuse(failure ?? TCULinkError(.invalidState))
        }
    }

    /// The application has taken a QoS 1 message: only now is it acknowledged, so a reboot before
    /// then gets it again from the broker (§4.3.2).
    mutating func applicationTook(packetID: UInt16) -> MQTTAction {
        switch state {
        case .connected: return .sendPublishAcknowledgement(packetID: packetID)
        case .idle, .connecting, .closed: return .none
        }
    }

    /// Time passed (a wait ended): a missing answer ends the session; an idle link gets a PINGREQ.
    mutating func tick(now: UInt64) -> MQTTAction {
        switch state {
        case .connecting(let deadline):
            return now >= deadline ? fail(TCULinkError(.mqttAcknowledgementTimeout)) : .wait(until: deadline)
        case .connected:
            if let pingDeadline, now >= pingDeadline { return fail(TCULinkError(.mqttKeepAliveTimeout)) }
            var next = UInt64.max
            for entry in inFlight {
                if now >= entry.deadline {
                    return fail(TCULinkError(.mqttAcknowledgementTimeout, libraryCode: Int32(entry.packetID)))
                }
                next = min(next, entry.deadline)
            }
            if let pingDeadline { next = min(next, pingDeadline) }
            if timing.keepAliveSeconds > 0 && pingDeadline == nil {
                let due = lastSent + UInt64(timing.keepAliveSeconds) * 1000
                if now >= due {
                    pingDeadline = now + UInt64(timing.pingResponseTimeout)
                    return .sendPingRequest
                }
                next = min(next, due)
            }
            return next == UInt64.max ? .none : .wait(until: next)
        case .idle, .closed:
            return .none
        }
    }

    /// A request whose packet could not be built (too large for the buffer, a bad topic): its
    /// packet id is free again and nothing waits for an answer.
    mutating func withdrawn(packetID: UInt16) {
        if let index = inFlight.firstIndex(where: { $0.packetID == packetID }) { inFlight.remove(at: index) }
    }

    /// The application ends the session: DISCONNECT when connected, so the broker drops the will.
    mutating func disconnectRequested() -> MQTTAction {
        switch state {
        case .connected:
            state = .closed(nil)
            return .sendDisconnectAndClose
        case .idle, .connecting:
            state = .closed(nil)
            return .closeConnection(nil)
        case .closed:
            return .none
        }
    }

    /// The connection under the session failed, the broker's bytes were not MQTT, or a packet
    /// could not be sent or received.
    mutating func failed(_ error: TCULinkError) -> MQTTAction {
        switch state {
        case .idle, .connecting, .connected: return fail(error)
        case .closed: return .none
        }
    }

    // MARK: - Packet ids

    /// A free packet id (1…65535, none in flight, §2.3.1), entered as waiting until `now` + the timeout.
    private mutating func take(_ kind: InFlight.Kind, now: UInt64) -> UInt16? {
        guard inFlight.count < timing.maximumInFlight else { return nil }
        var id = nextPacketID
        while inFlight.contains(where: { $0.packetID == id }) { id = id == UInt16.max ? 1 : id + 1 }
        nextPacketID = id == UInt16.max ? 1 : id + 1
        inFlight.append(InFlight(packetID: id, kind: kind, deadline: now + UInt64(timing.acknowledgementTimeout)))
        return id
    }

    private mutating func settle(_ id: UInt16, _ kind: InFlight.Kind) -> Bool {
        guard let index = inFlight.firstIndex(where: { $0.packetID == id && $0.kind == kind }) else { return false }
        inFlight.remove(at: index)
        return true
    }

    private mutating func fail(_ error: TCULinkError) -> MQTTAction {
        state = .closed(error)
        pingDeadline = nil
        return .closeConnection(error)
    }
}

/// What the session asks `MQTTClient` to do.
enum MQTTAction: Equatable, Sendable {
    case none
    case sendConnect
    /// packetID 0 for QoS 0.
    case sendPublish(packetID: UInt16)
    case sendSubscribe(packetID: UInt16)
    case sendUnsubscribe(packetID: UInt16)
    case sendPublishAcknowledgement(packetID: UInt16)
    case sendPingRequest
    case reportConnected(sessionPresent: Bool)
    case reportPublished(packetID: UInt16)
    /// `granted` is nil when the broker refused the subscription (0x80).
    case reportSubscribed(packetID: UInt16, granted: MQTTQoS?)
    case reportUnsubscribed(packetID: UInt16)
    /// Hand the PUBLISH to the application; acknowledge `acknowledge` once it has taken it.
    case deliver(acknowledge: UInt16?)
    /// Call `tick` at this monotonic time at the latest (or when data arrives).
    case wait(until: UInt64)
    /// The request cannot be carried out; the session goes on.
    case refuse(TCULinkError)
    case sendDisconnectAndClose
    /// Close the TLS connection; nil for an orderly end.
    case closeConnection(TCULinkError?)
}

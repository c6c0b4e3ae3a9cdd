import CTCUHAL

// tculink.h's tcu_mqtt_*, implemented: the MQTT client over a `tcu_client`, with its outbox in the
// client's HAL store. Every function checks its pointers; none traps on NULL or a bad value.

typealias CBoundMQTT = MQTTClient<CHALTransport, CHALKeyStore, TrustedClock<CHALClock>, CHALStore>

/// The object behind an opaque `tcu_mqtt *`; it holds the client's handle, so the client lives as long.
final class CMQTTHandle {
    let mqtt: CBoundMQTT
    let clientHandle: CClientHandle

    init(mqtt: CBoundMQTT, clientHandle: CClientHandle) {
        self.mqtt = mqtt
        self.clientHandle = clientHandle
    }

    static func from(_ pointer: OpaquePointer?) -> CMQTTHandle? {
        guard let pointer else { return nil }
        return Unmanaged<CMQTTHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

/// The bytes before the NUL (the core links no C library functions it can do without).
private func cStringLength(_ string: UnsafePointer<CChar>) -> Int {
    var length = 0
    while string[length] != 0 { length += 1 }
    return length
}

/// A refused call's answer: the reason, negated.
private func refused(_ error: TCULinkError) -> Int32 { -Int32(error.reason.rawValue) }

private let invalidState = -Int32(TCULinkError.Reason.invalidState.rawValue)

@_cdecl("tcu_mqtt_create")
public func tcu_mqtt_create(
    _ clientPointer: OpaquePointer?, _ config: UnsafePointer<tcu_mqtt_config>?,
    _ reasonOut: UnsafeMutablePointer<Int32>?
) -> OpaquePointer? {
    func refuse(_ reason: TCULinkError.Reason) -> OpaquePointer? {
        reasonOut?.pointee = Int32(reason.rawValue)
        return nil
    }
    guard let clientHandle = CClientHandle.from(clientPointer), let config, let idPointer = config.pointee.client_id
    else { return refuse(.invalidConfiguration) }
    guard clientHandle.client.isEstablished else { return refuse(.invalidState) }
    let clientID = String(cString: idPointer)
    guard !clientID.isEmpty else { return refuse(.invalidConfiguration) }
    let c = config.pointee
    var configuration = MQTTConfiguration(
        clientID: clientID, username: c.username.map { String(cString: $0) },
        cleanSession: c.flags & UInt32(TCU_MQTT_FLAG_PERSISTENT_SESSION) == 0)
    if c.keep_alive_s > 0 { configuration.keepAliveSeconds = c.keep_alive_s }
    if c.max_in_flight > 0 { configuration.maximumInFlight = Int(c.max_in_flight) }
    if c.max_packet_size > 0 { configuration.maximumPacketSize = Int(c.max_packet_size) }
    if c.ack_timeout_ms > 0 { configuration.acknowledgementTimeout = c.ack_timeout_ms }
    if c.ping_timeout_ms > 0 { configuration.pingResponseTimeout = c.ping_timeout_ms }
    if c.outbox_capacity > 0 { configuration.outboxCapacity = Int(c.outbox_capacity) }
    do throws(TCULinkError) {
        let mqtt = try MQTTClient(
            connection: clientHandle.client, configuration: configuration, store: CHALStore(hal: clientHandle.hal))
        reasonOut?.pointee = 0
        let handle = CMQTTHandle(mqtt: mqtt, clientHandle: clientHandle)
        return OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
    } catch {
        return refuse(error.reason)
    }
}

@_cdecl("tcu_mqtt_connect")
public func tcu_mqtt_connect(_ handle: OpaquePointer?) -> Int32 {
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt else { return invalidState }
    do throws(TCULinkError) {
        try mqtt.start()
        return 0
    } catch {
        return refused(error)
    }
}

@_cdecl("tcu_mqtt_publish")
public func tcu_mqtt_publish(
    _ handle: OpaquePointer?, _ topic: UnsafePointer<CChar>?, _ payload: UnsafePointer<UInt8>?, _ length: Int,
    _ qos: Int32, _ retain: Int32
) -> Int32 {
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt, let topic, payload != nil || length == 0, length >= 0
    else { return invalidState }
    guard qos >= 0, qos <= 2, let level = MQTTQoS(rawValue: UInt8(qos)) else {
        return refused(TCULinkError(.mqttExactlyOnceUnsupported))
    }
    do throws(TCULinkError) {
        let id = try mqtt.publish(
            topicBytes: UnsafeRawBufferPointer(start: topic, count: cStringLength(topic)),
            payload: UnsafeRawBufferPointer(start: payload, count: length), qos: level, retain: retain != 0)
        return Int32(id)
    } catch {
        return refused(error)
    }
}

@_cdecl("tcu_mqtt_subscribe")
public func tcu_mqtt_subscribe(_ handle: OpaquePointer?, _ filter: UnsafePointer<CChar>?, _ qos: Int32) -> Int32 {
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt, let filter else { return invalidState }
    guard qos >= 0, qos <= 2, let level = MQTTQoS(rawValue: UInt8(qos)) else {
        return refused(TCULinkError(.mqttExactlyOnceUnsupported))
    }
    do throws(TCULinkError) {
        return Int32(try mqtt.subscribe(filter: String(cString: filter), qos: level))
    } catch {
        return refused(error)
    }
}

@_cdecl("tcu_mqtt_unsubscribe")
public func tcu_mqtt_unsubscribe(_ handle: OpaquePointer?, _ filter: UnsafePointer<CChar>?) -> Int32 {
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt, let filter else { return invalidState }
    do throws(TCULinkError) {
        return Int32(try mqtt.unsubscribe(filter: String(cString: filter)))
    } catch {
        return refused(error)
    }
}

@_cdecl("tcu_mqtt_step")
public func tcu_mqtt_step(_ handle: OpaquePointer?, _ eventOut: UnsafeMutablePointer<tcu_mqtt_event>?) -> Int32 {
    var event = tcu_mqtt_event()
    if let mqtt = CMQTTHandle.from(handle)?.mqtt {
        describe(mqtt.step(), into: &event)
    } else {
        event.kind = Int32(TCU_MQTT_CLOSED)
        event.reason = Int32(TCULinkError.Reason.invalidState.rawValue)
    }
    eventOut?.pointee = event
    return event.kind
}

/// An `MQTTEvent` in the C struct's terms.
private func describe(_ event: MQTTEvent, into out: inout tcu_mqtt_event) {
    switch event {
    case .waiting(let interest, let until):
        out.kind = Int32(TCU_MQTT_WAITING)
        out.wait = tcu_wait(readable: interest == .readable ? 1 : 0, until_ms: until)
    case .connected(let sessionPresent):
        out.kind = Int32(TCU_MQTT_CONNECTED)
        out.session_present = sessionPresent ? 1 : 0
    case .published(let id):
        out.kind = Int32(TCU_MQTT_PUBLISHED)
        out.packet_id = id
    case .subscribed(let id, let granted):
        out.kind = Int32(TCU_MQTT_SUBSCRIBED)
        out.packet_id = id
        out.granted_qos = granted.rawValue
    case .subscriptionRefused(let id):
        out.kind = Int32(TCU_MQTT_SUBSCRIPTION_REFUSED)
        out.packet_id = id
    case .unsubscribed(let id):
        out.kind = Int32(TCU_MQTT_UNSUBSCRIBED)
        out.packet_id = id
    case .message(let publish):
        out.kind = Int32(TCU_MQTT_MESSAGE)
        out.packet_id = publish.packetID
        out.granted_qos = publish.qos.rawValue
    case .closed(let error):
        out.kind = Int32(TCU_MQTT_CLOSED)
        out.reason = Int32(error?.reason.rawValue ?? 0)
    }
}

@_cdecl("tcu_mqtt_receive")
public func tcu_mqtt_receive(_ handle: OpaquePointer?, _ messageOut: UnsafeMutablePointer<tcu_mqtt_message>?)
    -> Int32
{
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt, let messageOut, let publish = mqtt.deliveredMessage else {
        return -1
    }
    // The pointers stay valid after the closure: the receive buffer is allocated once, never moves,
    // and is not written until the next step.
    let found: Bool? = mqtt.withMessage { topic, payload in
        messageOut.pointee = tcu_mqtt_message(
            topic: topic.baseAddress?.assumingMemoryBound(to: UInt8.self), topic_length: topic.count,
            payload: payload.baseAddress?.assumingMemoryBound(to: UInt8.self), payload_length: payload.count,
            packet_id: publish.packetID, qos: publish.qos.rawValue, retain: publish.retain ? 1 : 0,
            duplicate: publish.duplicate ? 1 : 0)
        return true
    }
    return found == true ? 0 : -1
}

@_cdecl("tcu_mqtt_pending")
public func tcu_mqtt_pending(_ handle: OpaquePointer?) -> Int32 {
    Int32(clamping: CMQTTHandle.from(handle)?.mqtt.outbox.count ?? 0)
}

@_cdecl("tcu_mqtt_enqueue")
public func tcu_mqtt_enqueue(
    _ hal: UnsafePointer<tcu_hal>?, _ capacity: UInt32, _ topic: UnsafePointer<CChar>?,
    _ payload: UnsafePointer<UInt8>?, _ length: Int, _ retain: Int32
) -> Int32 {
    guard let hal, tcu_hal_missing_function(hal) == 0, let topic, payload != nil || length == 0, length >= 0 else {
        return -Int32(TCULinkError.Reason.invalidConfiguration.rawValue)
    }
    var store = CHALStore(hal: hal)
    do throws(TCULinkError) {
        try MQTTOutbox.enqueue(
            topic: String(cString: topic), payload: UnsafeRawBufferPointer(start: payload, count: length),
            retain: retain != 0, in: &store, capacity: capacity > 0 ? Int(capacity) : 16 * 1024)
        return 0
    } catch {
        return refused(error)
    }
}

@_cdecl("tcu_mqtt_disconnect")
public func tcu_mqtt_disconnect(_ handle: OpaquePointer?) {
    CMQTTHandle.from(handle)?.mqtt.disconnect()
}

@_cdecl("tcu_mqtt_error")
public func tcu_mqtt_error(_ handle: OpaquePointer?) -> Int32 {
    Int32(CMQTTHandle.from(handle)?.mqtt.failure?.reason.rawValue ?? 0)
}

@_cdecl("tcu_mqtt_free")
public func tcu_mqtt_free(_ handle: OpaquePointer?) {
    guard let handle else { return }
    Unmanaged<CMQTTHandle>.fromOpaque(UnsafeRawPointer(handle)).release()
}

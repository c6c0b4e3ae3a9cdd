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

/// A packet id for an optional `uint16_t *packet_id_out`.
private func report(_ id: UInt16, to out: UnsafeMutablePointer<UInt16>?) -> Int32 {
    out?.pointee = id
    return CStatus.ok
}

@_cdecl("tcu_mqtt_create")
public func tcu_mqtt_create(
    _ clientPointer: OpaquePointer?, _ config: UnsafePointer<tcu_mqtt_config>?,
    _ mqttOut: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    mqttOut?.pointee = nil
    guard let clientHandle = CClientHandle.from(clientPointer), let config, let mqttOut else {
        return CStatus.invalidArgument
    }
    guard let idPointer = config.pointee.client_id else { return CStatus.failure(.invalidConfiguration) }
    guard clientHandle.client.isEstablished else { return CStatus.failure(.invalidState) }
    let clientID = String(cString: idPointer)
    guard !clientID.isEmpty else { return CStatus.failure(.invalidConfiguration) }
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
        mqttOut.pointee = OpaquePointer(
            Unmanaged.passRetained(CMQTTHandle(mqtt: mqtt, clientHandle: clientHandle)).toOpaque())
        return CStatus.ok
    } catch {
        return CStatus.failure(error)
    }
}

@_cdecl("tcu_mqtt_connect")
public func tcu_mqtt_connect(_ handle: OpaquePointer?) -> Int32 {
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt else { return CStatus.invalidArgument }
    do throws(TCULinkError) {
        try mqtt.start()
        return CStatus.ok
    } catch {
        return CStatus.failure(error)
    }
}

@_cdecl("tcu_mqtt_publish")
public func tcu_mqtt_publish(
    _ handle: OpaquePointer?, _ topic: UnsafePointer<CChar>?, _ payload: UnsafePointer<UInt8>?, _ length: Int,
    _ qos: Int32, _ retain: Int32, _ packetIDOut: UnsafeMutablePointer<UInt16>?
) -> Int32 {
    packetIDOut?.pointee = 0
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt, let topic, payload != nil || length == 0, length >= 0
    else { return CStatus.invalidArgument }
    guard qos >= 0, qos <= 2, let level = MQTTQoS(rawValue: UInt8(qos)) else {
        return CStatus.failure(.mqttExactlyOnceUnsupported)
    }
    do throws(TCULinkError) {
        let id = try mqtt.publish(
            topicBytes: UnsafeRawBufferPointer(start: topic, count: cStringLength(topic)),
            payload: UnsafeRawBufferPointer(start: payload, count: length), qos: level, retain: retain != 0)
        return report(id, to: packetIDOut)
    } catch {
        return CStatus.failure(error)
    }
}

@_cdecl("tcu_mqtt_subscribe")
public func tcu_mqtt_subscribe(
    _ handle: OpaquePointer?, _ filter: UnsafePointer<CChar>?, _ qos: Int32,
    _ packetIDOut: UnsafeMutablePointer<UInt16>?
) -> Int32 {
    packetIDOut?.pointee = 0
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt, let filter else { return CStatus.invalidArgument }
    guard qos >= 0, qos <= 2, let level = MQTTQoS(rawValue: UInt8(qos)) else {
        return CStatus.failure(.mqttExactlyOnceUnsupported)
    }
    do throws(TCULinkError) {
        return report(try mqtt.subscribe(filter: String(cString: filter), qos: level), to: packetIDOut)
    } catch {
        return CStatus.failure(error)
    }
}

@_cdecl("tcu_mqtt_unsubscribe")
public func tcu_mqtt_unsubscribe(
    _ handle: OpaquePointer?, _ filter: UnsafePointer<CChar>?, _ packetIDOut: UnsafeMutablePointer<UInt16>?
) -> Int32 {
    packetIDOut?.pointee = 0
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt, let filter else { return CStatus.invalidArgument }
    do throws(TCULinkError) {
        return report(try mqtt.unsubscribe(filter: String(cString: filter)), to: packetIDOut)
    } catch {
        return CStatus.failure(error)
    }
}

@_cdecl("tcu_mqtt_step")
public func tcu_mqtt_step(_ handle: OpaquePointer?, _ eventOut: UnsafeMutablePointer<tcu_mqtt_event>?) -> Int32 {
    var event = tcu_mqtt_event()  // kind TCU_MQTT_NONE, every field 0
    var status = CStatus.invalidArgument
    if let mqtt = CMQTTHandle.from(handle)?.mqtt { status = describe(mqtt.step(), into: &event) }
    eventOut?.pointee = event
    return status
}

/// An `MQTTEvent` in the C struct's terms; the step's status.
private func describe(_ event: MQTTEvent, into out: inout tcu_mqtt_event) -> Int32 {
    switch event {
    case .waiting(let interest, let until):
        out.wait = tcu_wait(readable: interest == .readable ? 1 : 0, until_ms: until)
        return CStatus.inProgress
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
        return error.map { CStatus.failure($0) } ?? CStatus.closed
    }
    return CStatus.ok
}

@_cdecl("tcu_mqtt_receive")
public func tcu_mqtt_receive(_ handle: OpaquePointer?, _ messageOut: UnsafeMutablePointer<tcu_mqtt_message>?)
    -> Int32
{
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt, let messageOut else { return CStatus.invalidArgument }
    guard let publish = mqtt.deliveredMessage else { return CStatus.failure(.invalidState) }
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
    return found == true ? CStatus.ok : CStatus.failure(.invalidState)
}

@_cdecl("tcu_mqtt_pending")
public func tcu_mqtt_pending(_ handle: OpaquePointer?, _ countOut: UnsafeMutablePointer<UInt32>?) -> Int32 {
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt, let countOut else { return CStatus.invalidArgument }
    countOut.pointee = UInt32(clamping: mqtt.outbox.count)
    return CStatus.ok
}

@_cdecl("tcu_mqtt_enqueue")
public func tcu_mqtt_enqueue(
    _ hal: UnsafePointer<tcu_hal>?, _ capacity: UInt32, _ topic: UnsafePointer<CChar>?,
    _ payload: UnsafePointer<UInt8>?, _ length: Int, _ retain: Int32
) -> Int32 {
    guard let hal, let topic, payload != nil || length == 0, length >= 0 else { return CStatus.invalidArgument }
    guard tcu_hal_missing_function(hal) == 0, capacity <= TCULINK_MQTT_SIZE_LIMIT else {
        return CStatus.failure(.invalidConfiguration)  // the outbox is read whole into a buffer this size
    }
    var store = CHALStore(hal: hal)
    do throws(TCULinkError) {
        try MQTTOutbox.enqueue(
            topic: String(cString: topic), payload: UnsafeRawBufferPointer(start: payload, count: length),
            retain: retain != 0, in: &store,
            capacity: Int(capacity > 0 ? capacity : UInt32(TCULINK_MQTT_OUTBOX_CAPACITY)))
        return CStatus.ok
    } catch {
        return CStatus.failure(error)
    }
}

@_cdecl("tcu_mqtt_disconnect")
public func tcu_mqtt_disconnect(_ handle: OpaquePointer?) {
    CMQTTHandle.from(handle)?.mqtt.disconnect()
}

@_cdecl("tcu_mqtt_error")
public func tcu_mqtt_error(_ handle: OpaquePointer?) -> Int32 {
    guard let mqtt = CMQTTHandle.from(handle)?.mqtt else { return CStatus.invalidArgument }
    return mqtt.failure.map { CStatus.failure($0) } ?? CStatus.ok
}

@_cdecl("tcu_mqtt_free")
public func tcu_mqtt_free(_ handle: OpaquePointer?) {
    guard let handle else { return }
    Unmanaged<CMQTTHandle>.fromOpaque(UnsafeRawPointer(handle)).release()
}

import CTCUHAL

// tculink.h, implemented: a C API over `TLSClient` for firmware written in C.
// Every function checks its pointers; none traps on a NULL or a bad table.

typealias CBoundClient = TLSClient<CHALTransport, CHALKeyStore, CHALClock>

/// The object behind an opaque `tcu_client *`.
final class CClientHandle {
    let client: CBoundClient
    /// The HAL the client was made over: an MQTT session over it keeps its outbox in this table's store.
    let hal: UnsafePointer<tcu_hal>

    init(client: CBoundClient, hal: UnsafePointer<tcu_hal>) {
        self.client = client
        self.hal = hal
    }

    static func from(_ pointer: OpaquePointer?) -> CClientHandle? {
        guard let pointer else { return nil }
        return Unmanaged<CClientHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

@_cdecl("tcu_client_create")
public func tcu_client_create(
    _ hal: UnsafePointer<tcu_hal>?, _ config: UnsafePointer<tcu_client_config>?,
    _ reasonOut: UnsafeMutablePointer<Int32>?
) -> OpaquePointer? {
    tcu_client_create_with_context(hal, config, nil, reasonOut)
}

@_cdecl("tcu_client_create_with_context")
public func tcu_client_create_with_context(
    _ hal: UnsafePointer<tcu_hal>?, _ config: UnsafePointer<tcu_client_config>?, _ contextHandle: OpaquePointer?,
    _ reasonOut: UnsafeMutablePointer<Int32>?
) -> OpaquePointer? {
    func refuse(_ reason: TCULinkError.Reason) -> OpaquePointer? {
        reasonOut?.pointee = Int32(reason.rawValue)
        return nil
    }
    guard let hal, let config, tcu_hal_missing_function(hal) == 0, let hostPointer = config.pointee.host else {
        return refuse(.invalidConfiguration)
    }
    let host = String(cString: hostPointer)
    let serverName = config.pointee.server_name.map { String(cString: $0) }
    let flags = config.pointee.flags
    var timeouts = ConnectionTimeouts()
    if config.pointee.connect_timeout_ms > 0 { timeouts.connect = config.pointee.connect_timeout_ms }
    if config.pointee.handshake_timeout_ms > 0 { timeouts.handshake = config.pointee.handshake_timeout_ms }
    if config.pointee.acceptance_timeout_ms > 0 { timeouts.acceptance = config.pointee.acceptance_timeout_ms }
    var configuration = ClientConfiguration(
        host: host, port: config.pointee.port, serverName: serverName,
        versions: flags & UInt32(TCU_FLAG_ALLOW_TLS12) != 0 ? .tls12OrLater : .tls13Only,
        timeouts: timeouts,
        unsetClock: flags & UInt32(TCU_FLAG_SKIP_VALIDITY_IF_CLOCK_UNSET) != 0 ? .skipValidityChecks : .refuse,
        confirmAcceptance: flags & UInt32(TCU_FLAG_NO_ACCEPTANCE_WAIT) == 0)
    if config.pointee.max_fragment_length != 0 {
        guard let fragment = MaxFragmentLength(rawValue: config.pointee.max_fragment_length) else {
            return refuse(.invalidConfiguration)
        }
        configuration.maxFragmentLength = fragment
    }
    do throws(TCULinkError) {
        let client = try TLSClient(
            configuration: configuration, transport: CHALTransport(hal: hal), keyStore: CHALKeyStore(hal: hal),
            clock: CHALClock(hal: hal), context: contextFromHandle(contextHandle))
        reasonOut?.pointee = 0
        return OpaquePointer(Unmanaged.passRetained(CClientHandle(client: client, hal: hal)).toOpaque())
    } catch {
        return refuse(error.reason)
    }
}

@_cdecl("tcu_client_step")
public func tcu_client_step(_ handle: OpaquePointer?, _ waitOut: UnsafeMutablePointer<tcu_wait>?) -> Int32 {
    guard let client = CClientHandle.from(handle)?.client else { return Int32(TCU_STATUS_FAILED) }
    switch client.step() {
    case .waiting(let interest, let until):
        waitOut?.pointee = tcu_wait(readable: interest == .readable ? 1 : 0, until_ms: until)
        return Int32(TCU_STATUS_WAITING)
    case .idle:
        return Int32(TCU_STATUS_WAITING)
    case .established:
        return Int32(TCU_STATUS_ESTABLISHED)
    case .failed:
        return Int32(TCU_STATUS_FAILED)
    case .closed:
        return Int32(TCU_STATUS_CLOSED)
    }
}

@_cdecl("tcu_client_error")
public func tcu_client_error(_ handle: OpaquePointer?, _ alertOut: UnsafeMutablePointer<UInt8>?) -> Int32 {
    let failure = CClientHandle.from(handle)?.client.failure
    alertOut?.pointee = failure?.alert?.code ?? 255
    return Int32(failure?.reason.rawValue ?? 0)
}

@_cdecl("tcu_reason_text")
public func tcu_reason_text(_ reason: Int32) -> UnsafePointer<CChar>? {
    guard reason > 0, reason <= 255, let known = TCULinkError.Reason(rawValue: UInt8(reason)) else {
        return cString("no error or unknown reason")
    }
    return cString(known.summary)
}

@_cdecl("tcu_reason_is_permanent")
public func tcu_reason_is_permanent(_ reason: Int32) -> Int32 {
    guard reason > 0, reason <= 255, let known = TCULinkError.Reason(rawValue: UInt8(reason)) else { return 0 }
    return known.isPermanent ? 1 : 0
}

/// A StaticString's bytes as a C string (string literals are stored NUL-terminated).
private func cString(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("tcu_client_info")
public func tcu_client_info(_ handle: OpaquePointer?, _ infoOut: UnsafeMutablePointer<tcu_connection_info>?) -> Int32 {
    guard let client = CClientHandle.from(handle)?.client, let report = client.report, let infoOut,
        client.failure == nil
    else { return -1 }
    var info = tcu_connection_info()
    info.protocol_version = report.tlsVersion
    switch report.acceptance {
    case .implicitInTLS12: info.acceptance = 0
    case .sessionTicket: info.acceptance = 1
    case .applicationData: info.acceptance = 2
    case .unconfirmed: info.acceptance = 3
    }
    info.resumed = report.resumed ? 1 : 0
    info.handshake_ms = UInt32(clamping: report.handshakeMilliseconds)
    withUnsafeMutableBytes(of: &info.cipher_suite) { raw in
        let name = Array(report.cipherSuite.utf8.prefix(raw.count - 1))
        for index in 0..<name.count { raw[index] = name[index] }
        raw[name.count] = 0
    }
    infoOut.pointee = info
    return 0
}

/// TCU_RESULT_FAILED: the reason is in tcu_client_error().
private let failed = Int32(TCU_RESULT_FAILED)

@_cdecl("tcu_client_send")
public func tcu_client_send(_ handle: OpaquePointer?, _ data: UnsafePointer<UInt8>?, _ length: Int) -> Int32 {
    guard let client = CClientHandle.from(handle)?.client, let data, length >= 0 else { return failed }
    do throws(TCULinkError) {
        return Int32(clamping: try client.send(UnsafeRawBufferPointer(start: data, count: min(length, Int(Int32.max)))))
    } catch {
        return failed
    }
}

@_cdecl("tcu_client_receive")
public func tcu_client_receive(_ handle: OpaquePointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int)
    -> Int32
{
    guard let client = CClientHandle.from(handle)?.client, let buffer, capacity >= 0 else { return failed }
    do throws(TCULinkError) {
        switch try client.receive(
            into: UnsafeMutableRawBufferPointer(start: buffer, count: min(capacity, Int(Int32.max))))
        {
        case .received(let count): return Int32(count)
        case .wouldBlock: return 0
        case .closed: return Int32(TCU_HAL_CLOSED)
        }
    } catch {
        return failed
    }
}

@_cdecl("tcu_client_close")
public func tcu_client_close(_ handle: OpaquePointer?) {
    CClientHandle.from(handle)?.client.close()
}

@_cdecl("tcu_client_free")
public func tcu_client_free(_ handle: OpaquePointer?) {
    guard let handle else { return }
    let unmanaged = Unmanaged<CClientHandle>.fromOpaque(UnsafeRawPointer(handle))
    unmanaged.takeUnretainedValue().client.close()
    unmanaged.release()
}

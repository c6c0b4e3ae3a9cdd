import CTCUHAL

// tculink.h, implemented: a C API over `TLSClient` for firmware written in C.
// Every function checks its pointers; none traps on a NULL or a bad table.

typealias CBoundClient = TLSClient<CHALTransport, CHALKeyStore, TrustedClock<CHALClock>>

/// The object behind an opaque `tcu_client *`.
final class CClientHandle {
    let client: CBoundClient
    /// The HAL the client was made over: an MQTT session over it keeps its outbox in this table's store.
    let hal: UnsafePointer<tcu_hal>
    /// Resumption and the last known good time (SessionAPI.swift).
    var lifecycle = CClientLifecycle()

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
    guard let hal, let config, tcu_hal_missing_function(hal) == 0,
        let configuration = clientConfiguration(config.pointee)
    else {
        return refuse(.invalidConfiguration)
    }
    let flags = config.pointee.flags
    do throws(TCULinkError) {
        let keyStore = CHALKeyStore(hal: hal)
        var resumption = savedResumption(hal, keyStore, flags: flags)
        defer { if resumption != nil { SavedSession.zero(&resumption!) } }
        let client = try TLSClient(
            configuration: configuration, transport: CHALTransport(hal: hal), keyStore: keyStore,
            clock: trustedClock(hal, config.pointee), resumption: resumption, context: contextFromHandle(contextHandle))
        let handle = CClientHandle(client: client, hal: hal)
        handle.lifecycle.keepsSession = flags & UInt32(TCU_FLAG_RESUME) != 0
        reasonOut?.pointee = 0
        return OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
    } catch {
        return refuse(error.reason)
    }
}

/// The core's configuration for a C `tcu_client_config`; nil when it is invalid (no host, an
/// unknown max_fragment_length).
func clientConfiguration(_ config: tcu_client_config) -> ClientConfiguration? {
    guard let hostPointer = config.host else { return nil }
    let host = String(cString: hostPointer)
    let serverName = config.server_name.map { String(cString: $0) }
    let flags = config.flags
    var timeouts = ConnectionTimeouts()
    if config.connect_timeout_ms > 0 { timeouts.connect = config.connect_timeout_ms }
    if config.handshake_timeout_ms > 0 { timeouts.handshake = config.handshake_timeout_ms }
    if config.acceptance_timeout_ms > 0 { timeouts.acceptance = config.acceptance_timeout_ms }
    var configuration = ClientConfiguration(
        host: host, port: config.port, serverName: serverName,
        versions: flags & UInt32(TCU_FLAG_ALLOW_TLS12) != 0 ? .tls12OrLater : .tls13Only,
        timeouts: timeouts,
        unsetClock: flags & UInt32(TCU_FLAG_SKIP_VALIDITY_IF_CLOCK_UNSET) != 0 ? .skipValidityChecks : .refuse,
        confirmAcceptance: flags & UInt32(TCU_FLAG_NO_ACCEPTANCE_WAIT) == 0)
    if config.max_fragment_length != 0 {
        guard let fragment = MaxFragmentLength(rawValue: config.max_fragment_length) else { return nil }
        configuration.maxFragmentLength = fragment
    }
    return configuration
}

@_cdecl("tcu_client_step")
public func tcu_client_step(_ handle: OpaquePointer?, _ waitOut: UnsafeMutablePointer<tcu_wait>?) -> Int32 {
    guard let clientHandle = CClientHandle.from(handle) else { return Int32(TCU_STATUS_FAILED) }
    let client = clientHandle.client
    switch client.step() {
    case .waiting(let interest, let until):
        waitOut?.pointee = tcu_wait(readable: interest == .readable ? 1 : 0, until_ms: until)
        return Int32(TCU_STATUS_WAITING)
    case .idle:
        return Int32(TCU_STATUS_WAITING)
    case .established:
        clientHandle.established()
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

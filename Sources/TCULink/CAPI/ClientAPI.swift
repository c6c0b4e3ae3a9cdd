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
    _ clientOut: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    tcu_client_create_with_context(hal, config, nil, clientOut)
}

@_cdecl("tcu_client_create_with_context")
public func tcu_client_create_with_context(
    _ hal: UnsafePointer<tcu_hal>?, _ config: UnsafePointer<tcu_client_config>?, _ contextHandle: OpaquePointer?,
    _ clientOut: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    clientOut?.pointee = nil
    guard let hal, let config, let clientOut else { return CStatus.invalidArgument }
    func refuse(_ reason: TCULinkError.Reason) -> Int32 { CStatus.failure(reason) }
    guard tcu_hal_missing_function(hal) == 0, let configuration = clientConfiguration(config.pointee) else {
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
        clientOut.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
        return CStatus.ok
    } catch {
        return CStatus.failure(error)
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
    guard let clientHandle = CClientHandle.from(handle) else { return CStatus.invalidArgument }
    let client = clientHandle.client
    switch client.step() {
    case .waiting(let interest, let until):
        waitOut?.pointee = tcu_wait(readable: interest == .readable ? 1 : 0, until_ms: until)
        return CStatus.inProgress
    case .idle:
        waitOut?.pointee = tcu_wait(readable: 0, until_ms: client.now())  // nothing to wait for: step again
        return CStatus.inProgress
    case .established:
        clientHandle.established()
        return CStatus.ok
    case .failed(let error):
        return CStatus.failure(error)
    case .closed:
        return CStatus.closed
    }
}

@_cdecl("tcu_client_error")
public func tcu_client_error(_ handle: OpaquePointer?, _ alertOut: UnsafeMutablePointer<UInt8>?) -> Int32 {
    alertOut?.pointee = 255
    guard let client = CClientHandle.from(handle)?.client else { return CStatus.invalidArgument }
    guard let failure = client.failure else { return CStatus.ok }
    alertOut?.pointee = failure.alert?.code ?? 255
    return CStatus.failure(failure)
}

@_cdecl("tcu_status_text")
public func tcu_status_text(_ status: Int32) -> UnsafePointer<CChar>? {
    switch status {
    case CStatus.ok: return cString("ok")
    case CStatus.inProgress: return cString("in progress")
    case CStatus.closed: return cString("closed")
    default:
        // A failure is its reason, negated (reasons are 1...255).
        return status < 0 && status >= -255 ? tcu_reason_text(-status) : cString("unknown status")
    }
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
    guard let client = CClientHandle.from(handle)?.client, let infoOut else { return CStatus.invalidArgument }
    guard let report = client.report, client.failure == nil else { return CStatus.failure(.invalidState) }
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
    return CStatus.ok
}

// size_t is Int here: a length past Int.max arrives negative and is refused.

@_cdecl("tcu_client_send")
public func tcu_client_send(
    _ handle: OpaquePointer?, _ data: UnsafePointer<UInt8>?, _ length: Int, _ sentOut: UnsafeMutablePointer<Int>?
) -> Int32 {
    sentOut?.pointee = 0
    guard let client = CClientHandle.from(handle)?.client, let data, length >= 0, let sentOut else {
        return CStatus.invalidArgument
    }
    if case .closed = client.status { return CStatus.closed }
    do throws(TCULinkError) {
        sentOut.pointee = try client.send(UnsafeRawBufferPointer(start: data, count: min(length, Int(Int32.max))))
        return CStatus.ok
    } catch {
        return CStatus.failure(error)
    }
}

@_cdecl("tcu_client_receive")
public func tcu_client_receive(
    _ handle: OpaquePointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
    _ receivedOut: UnsafeMutablePointer<Int>?
) -> Int32 {
    receivedOut?.pointee = 0
    guard let client = CClientHandle.from(handle)?.client, let buffer, capacity >= 0, let receivedOut else {
        return CStatus.invalidArgument
    }
    do throws(TCULinkError) {
        switch try client.receive(
            into: UnsafeMutableRawBufferPointer(start: buffer, count: min(capacity, Int(Int32.max))))
        {
        case .received(let count):
            receivedOut.pointee = count
            return CStatus.ok
        case .wouldBlock: return CStatus.ok
        case .closed: return CStatus.closed
        }
    } catch {
        return CStatus.failure(error)
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

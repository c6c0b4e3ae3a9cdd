import CTCUHAL

// tculink.h's tcu_context: a device identity loaded into wolfSSL once (`TLSContext`) and shared
// by the clients of successive connections. The opaque pointer is a retained `TLSContext`; each
// client retains it too, so freeing the context while a client still uses it is safe.

@_cdecl("tcu_context_create")
public func tcu_context_create(
    _ hal: UnsafePointer<tcu_hal>?, _ flags: UInt32, _ contextOut: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    contextOut?.pointee = nil
    guard let hal, let contextOut else { return CStatus.invalidArgument }
    guard tcu_hal_missing_function(hal) == 0 else { return CStatus.failure(.invalidConfiguration) }
    let keyStore = CHALKeyStore(hal: hal)
    do throws(TCULinkError) {
        let context = try TLSContext(
            certificateChain: keyStore.certificateChain, trustAnchors: keyStore.trustAnchors,
            versions: flags & UInt32(TCU_FLAG_ALLOW_TLS12) != 0 ? .tls12OrLater : .tls13Only)
        contextOut.pointee = OpaquePointer(Unmanaged.passRetained(context).toOpaque())
        return CStatus.ok
    } catch {
        return CStatus.failure(error)
    }
}

@_cdecl("tcu_context_free")
public func tcu_context_free(_ handle: OpaquePointer?) {
    guard let handle else { return }
    Unmanaged<TLSContext>.fromOpaque(UnsafeRawPointer(handle)).release()
}

/// The context behind a `tcu_context *` (not retained: the client's initializer retains it).
func contextFromHandle(_ handle: OpaquePointer?) -> TLSContext? {
    guard let handle else { return nil }
    return Unmanaged<TLSContext>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

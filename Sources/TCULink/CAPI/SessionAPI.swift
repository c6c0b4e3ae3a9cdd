import CTCUHAL

// tculink_lifecycle.h's resumption and the trusted clock behind every C client: what a client made by
// tcu_client_create keeps across connections and reboots in the HAL's persistent store.

/// What a C client does once, when it first becomes established.
struct CClientLifecycle {
    /// TCU_FLAG_RESUME: seal the session into TCU_SLOT_TLS_SESSION once established.
    var keepsSession = false
    /// The establishment has been handled (the last known good time recorded, the session saved).
    var settled = false
}

/// The board's RTC behind the trusted-clock policy: the configuration's floor (or the build's),
/// and the last known good time from TCU_SLOT_LAST_KNOWN_GOOD_TIME.
func trustedClock(_ hal: UnsafePointer<tcu_hal>, _ config: tcu_client_config) -> TrustedClock<CHALClock> {
    TrustedClock(
        base: CHALClock(hal: hal), floor: config.clock_floor_s != 0 ? config.clock_floor_s : TCULINK_CLOCK_FLOOR,
        lastKnownGood: LastKnownGoodTime.load(from: CHALStore(hal: hal)),
        tolerance: Int64(config.clock_tolerance_s != 0 ? config.clock_tolerance_s : TCULINK_CLOCK_TOLERANCE_S))
}

/// The session sealed in TCU_SLOT_TLS_SESSION for this device, when TCU_FLAG_RESUME asks for it.
func savedResumption(_ hal: UnsafePointer<tcu_hal>, _ keyStore: CHALKeyStore, flags: UInt32) -> [UInt8]? {
    guard flags & UInt32(TCU_FLAG_RESUME) != 0 else { return nil }
    return SavedSession.load(from: CHALStore(hal: hal), keyStore: keyStore).bytes
}

extension CClientHandle {
    /// Called by tcu_client_step on every established answer; acts the first time only. A verified
    /// connection vouches for the clock (the server's chain was judged valid at this time), so the time
    /// is recorded as the last known good; and the session is sealed when TCU_FLAG_RESUME asks.
    func established() {
        guard !lifecycle.settled else { return }
        lifecycle.settled = true
        var store = CHALStore(hal: hal)
        if case .unixSeconds(let now) = client.clock.wallTime() { try? LastKnownGoodTime.record(now, to: &store) }
        if lifecycle.keepsSession { _ = saveSession() }
    }

    /// tcu_client_save_session's work.
    func saveSession() -> Int32 {
        guard client.isEstablished else { return CStatus.failure(.invalidState) }
        guard var session = client.sessionForResumption() else { return CStatus.inProgress }
        defer { SavedSession.zero(&session) }
        var store = CHALStore(hal: hal)
        do throws(TCULinkError) {
            try SavedSession.save(session, to: &store, keyStore: client.keyStore)
            return CStatus.ok
        } catch {
            return CStatus.failure(error)
        }
    }
}

@_cdecl("tcu_client_save_session")
public func tcu_client_save_session(_ handle: OpaquePointer?) -> Int32 {
    guard let client = CClientHandle.from(handle) else { return CStatus.invalidArgument }
    return client.saveSession()
}

@_cdecl("tcu_forget_session")
public func tcu_forget_session(_ hal: UnsafePointer<tcu_hal>?) -> Int32 {
    guard let hal else { return CStatus.invalidArgument }
    guard tcu_hal_missing_function(hal) == 0 else { return CStatus.failure(.invalidConfiguration) }
    var store = CHALStore(hal: hal)
    do throws(TCULinkError) {
        try store.erase(.tlsSession)
        return CStatus.ok
    } catch {
        return CStatus.failure(error)
    }
}

import CTCUHAL

// tculink_lifecycle.h's tcu_backoff_*: the core's Reconnector over a C struct the firmware owns.

@_cdecl("tcu_backoff_failed")
public func tcu_backoff_failed(
    _ backoff: UnsafeMutablePointer<tcu_backoff>?, _ hal: UnsafePointer<tcu_hal>?, _ failure: Int32, _ now: UInt64,
    _ retryAtOut: UnsafeMutablePointer<UInt64>?
) -> Int32 {
    guard let backoff, let hal, let retryAtOut else { return CStatus.invalidArgument }
    guard tcu_hal_missing_function(hal) == 0 else { return CStatus.failure(.invalidConfiguration) }
    let state = backoff.pointee
    let policy = ReconnectionPolicy(
        base: state.base_ms != 0 ? state.base_ms : TCULINK_BACKOFF_BASE_MS,
        cap: state.cap_ms != 0 ? state.cap_ms : TCULINK_BACKOFF_CAP_MS,
        permanentFailureDelay: state.permanent_delay_ms != 0 ? state.permanent_delay_ms : TCULINK_BACKOFF_PERMANENT_MS)
    var reconnector = Reconnector(policy: policy, failures: Int(state.failures))
    // A status that names no reason (or is not a failure) backs off as a transient one.
    let reason = failure < 0 && failure > -256 ? TCULinkError.Reason(rawValue: UInt8(-failure)) : nil
    var word: UInt32 = 0
    let drawn = withUnsafeMutableBytes(of: &word) { raw in
        hal.pointee.entropy_fill(hal.pointee.context, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), 4) == 0
    }
    var answer = CStatus.ok
    if let reason, reason.isPermanent {
        if case .pause(let until, _) = reconnector.failed(TCULinkError(reason), now: now, random: word) {
            retryAtOut.pointee = until
        }
        answer = failure
    } else if drawn {
        if case .retry(let at) = reconnector.failedTransiently(now: now, random: word) { retryAtOut.pointee = at }
    } else {
        // No jitter: wait the whole bound, never less.
        _ = reconnector.failedTransiently(now: now, random: 0)
        retryAtOut.pointee = Reconnector.later(now, by: UInt64(policy.bound(attempt: reconnector.failures)))
        answer = CStatus.failure(.entropyFailed)
    }
    backoff.pointee.failures = UInt32(clamping: reconnector.failures)
    return answer
}

@_cdecl("tcu_backoff_succeeded")
public func tcu_backoff_succeeded(_ backoff: UnsafeMutablePointer<tcu_backoff>?) {
    backoff?.pointee.failures = 0
}

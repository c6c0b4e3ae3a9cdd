/// When to try again after a connection failed: capped exponential backoff with full jitter,
/// and a long pause (not a tight loop) after failures that retrying will not cure.
///
/// A fleet that reconnects in lock-step after an outage can knock its own backend over; full
/// jitter (a uniform delay between 0 and the exponential bound, from the HAL's entropy)
/// spreads the fleet out. A refused certificate or a revoked device is not hammered: it
/// waits `permanentFailureDelay` and is reported.
public struct ReconnectionPolicy: Equatable, Sendable {
    /// The first bound, milliseconds.
    public var base: UInt32
    /// The largest bound, milliseconds.
    public var cap: UInt32
    /// The pause after a failure `TCULinkError.Reason.isPermanent` calls permanent, milliseconds.
    public var permanentFailureDelay: UInt32

    public init(base: UInt32 = 1_000, cap: UInt32 = 300_000, permanentFailureDelay: UInt32 = 3_600_000) {
        self.base = base
        self.cap = cap
        self.permanentFailureDelay = permanentFailureDelay
    }

    /// The exponential bound for the `attempt`-th consecutive failure (1-based), before jitter.
    public func bound(attempt: Int) -> UInt32 {
        guard attempt > 1 else { return min(base, cap) }
        let shift = min(attempt - 1, 31)
        let (product, overflow) = UInt64(base).multipliedReportingOverflow(by: UInt64(1) << UInt64(shift))
        return overflow || product > UInt64(cap) ? cap : UInt32(product)
    }
}

/// The retry state of one device: a pure value, driven by events with `now` and a random word.
public struct Reconnector: Equatable, Sendable {
    public enum Decision: Equatable, Sendable {
        /// Try again at this monotonic time.
        case retry(at: UInt64)
        /// A permanent failure: wait long, and tell someone (the reason says who must act).
        case pause(until: UInt64, reason: TCULinkError.Reason)
    }

    public let policy: ReconnectionPolicy
    /// Consecutive failures since the last success.
    public private(set) var failures = 0

    public init(policy: ReconnectionPolicy = ReconnectionPolicy()) { self.policy = policy }

    /// Resumes a retry state kept elsewhere (tcu_backoff, a C struct the firmware owns).
    init(policy: ReconnectionPolicy, failures: Int) {
        self.policy = policy
        self.failures = failures
    }

    /// A connection attempt failed at `now`; `random` is a fresh word from the HAL's entropy.
    public mutating func failed(_ error: TCULinkError, now: UInt64, random: UInt32) -> Decision {
        if error.reason.isPermanent {
            failures += 1
            return .pause(until: Self.later(now, by: UInt64(policy.permanentFailureDelay)), reason: error.reason)
        }
        return failedTransiently(now: now, random: random)
    }

    /// An attempt failed for a reason outside the connection (the application's own exchange, e.g.
    /// an error status from the backend): back off as after a transient failure.
    public mutating func failedTransiently(now: UInt64, random: UInt32) -> Decision {
        failures += 1
        let bound = policy.bound(attempt: failures)
        // Full jitter: uniform in [0, bound]; in 64 bits, as a bound of UInt32.max + 1 does not fit 32.
        let delay = UInt64(random) % (UInt64(bound) + 1)
        return .retry(at: Self.later(now, by: delay))
    }

    /// `now` + `delay`, saturating: a monotonic clock's origin is arbitrary (tcu_hal.h), so one near the end
    /// of its range waits until then instead of trapping (Swift's overflow check) in the C API's backoff.
    static func later(_ now: UInt64, by delay: UInt64) -> UInt64 {
        let (sum, overflow) = now.addingReportingOverflow(delay)
        return overflow ? .max : sum
    }

    /// A connection succeeded: the next failure starts from the first bound again.
    public mutating func succeeded() { failures = 0 }
}

extension EntropySource {
    /// A random word for jitter, from the HAL's entropy; nil when the source failed.
    public mutating func randomWord() -> UInt32? {
        var word: UInt32 = 0
        var ok = true
        withUnsafeMutableBytes(of: &word) { raw in
            do throws(TCULinkError) { try fill(raw) } catch { ok = false }
        }
        return ok ? word : nil
    }
}

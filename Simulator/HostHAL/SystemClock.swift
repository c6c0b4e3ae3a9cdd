import TCULink

#if canImport(Glibc)
    import Glibc
#endif

/// The HAL clock from the host: CLOCK_REALTIME for validity, CLOCK_MONOTONIC for timeouts.
public struct SystemClock: Clock {
    public init() {}

    public func wallTime() -> WallTime {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return .unixSeconds(Int64(now.tv_sec))
    }

    public func monotonicMilliseconds() -> UInt64 {
        SystemClock.monotonic()
    }

    /// Monotonic milliseconds, for host code that has no clock instance at hand.
    public static func monotonicNow() -> UInt64 { monotonic() }

    static func monotonic() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
    }
}

/// A board clock the simulator controls: a fixed wall time, an offset from the
/// host's (clock skew), or not set at all (an RTC after power loss). Monotonic time is real.
public struct SimulatedClock: Clock {
    public enum Setting: Equatable {
        case notSet
        case fixed(Int64)
        case offset(Int64)
    }

    public var setting: Setting

    public init(_ setting: Setting) { self.setting = setting }

    public func wallTime() -> WallTime {
        switch setting {
        case .notSet: return .notSet
        case .fixed(let seconds): return .unixSeconds(seconds)
        case .offset(let delta):
            guard case .unixSeconds(let now) = SystemClock().wallTime() else { return .notSet }
            return .unixSeconds(now + delta)
        }
    }

    public func monotonicMilliseconds() -> UInt64 { SystemClock.monotonic() }
}

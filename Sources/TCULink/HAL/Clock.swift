/// Wall-clock time as the device knows it.
public enum WallTime: Equatable, Sendable {
    /// The real-time clock has not been set since power-up (common at a TCU's first boot).
    case notSet
    /// Seconds since 1970-01-01T00:00:00Z.
    case unixSeconds(Int64)
}

/// The board's clocks. Certificate validity is judged against `wallTime`,
/// never against the host operating system, so the board (or a test) decides what "now" is.
public protocol Clock {
    /// The calendar time, or `.notSet` when the RTC holds no trustworthy time.
    func wallTime() -> WallTime
    /// A clock that never goes back, in milliseconds from an arbitrary origin; used for timeouts.
    func monotonicMilliseconds() -> UInt64
}

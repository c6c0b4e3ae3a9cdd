/// A board clock with a defined behaviour when it cannot be trusted.
///
/// At boot a TCU's RTC may be unset, or reset to a default far in the past. The policy:
/// - a time before the **build-time floor** (the firmware cannot be older than its build) is
///   "not set";
/// - a time more than `tolerance` seconds before the **last known good time** (learned from an
///   earlier successful, verified connection and kept in the persistent store) is "not set";
/// - otherwise the RTC's time stands. A clock skewed forward is taken as it is: certificates
///   then look expired, and the connection fails with `certificateExpired`, never silently.
/// "Not set" is then refused by `ServerCertificatePolicy` unless explicitly configured.
public struct TrustedClock<Base: Clock>: Clock {
    public var base: Base
    public var floor: Int64
    public var lastKnownGood: Int64?
    public var tolerance: Int64

    public init(
        base: Base, floor: Int64 = TrustedClock.buildFloor, lastKnownGood: Int64? = nil, tolerance: Int64 = 86_400
    ) {
        self.base = base
        self.floor = floor
        self.lastKnownGood = lastKnownGood
        self.tolerance = tolerance
    }

    /// 2026-11-01T00:00:00Z: no TCULink build is older. Boards set their own from the build.
    public static var buildFloor: Int64 { 1_793_491_200 }

    public func wallTime() -> WallTime {
        guard case .unixSeconds(let now) = base.wallTime() else { return .notSet }
        if now < floor { return .notSet }
        if let lastKnownGood, now < lastKnownGood - tolerance { return .notSet }
        return .unixSeconds(now)
    }

    public func monotonicMilliseconds() -> UInt64 { base.monotonicMilliseconds() }
}

/// The last known good time in the persistent store (seconds, little-endian Int64).
public enum LastKnownGoodTime {
    public static func load<P: PersistentStore>(from store: P) -> Int64? {
        var value: Int64 = 0
        var length: Int? = nil
        withUnsafeMutableBytes(of: &value) { raw in
            do throws(TCULinkError) { length = try store.read(.lastKnownGoodTime, into: raw) } catch { length = nil }
        }
        guard length == 8 else { return nil }
        return Int64(littleEndian: value)
    }

    /// Records `time` if it is later than what is stored (time learned only moves forward).
    public static func record<P: PersistentStore>(_ time: Int64, to store: inout P) throws(TCULinkError) {
        if let known = load(from: store), known >= time { return }
        var value = time.littleEndian
        var failure: TCULinkError? = nil
        withUnsafeBytes(of: &value) { raw in
            do throws(TCULinkError) { try store.write(.lastKnownGoodTime, raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}

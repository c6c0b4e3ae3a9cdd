/// The small records that must survive a reboot.
public enum PersistentSlot: UInt8, Equatable, Sendable {
    /// The last TLS session (ticket) to resume with.
    case tlsSession = 1
    /// The last time the device learned from a trusted source (seconds, little-endian Int64).
    case lastKnownGoodTime = 2
    /// Enrollment progress.
    case enrollmentState = 3
    /// QoS 1 MQTT publishes not yet acknowledged (`MQTTOutbox`).
    case mqttOutbox = 4
}

/// Small slots in non-volatile memory (EEPROM emulation on a board, files on a host).
///
/// A write either completes or leaves the previous content: a power cut in the
/// middle must never leave a torn record.
public protocol PersistentStore {
    /// Copies the slot's content into `buffer` and returns its length, or nil when the slot is empty.
    func read(_ slot: PersistentSlot, into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int?
    /// Replaces the slot's content atomically.
    mutating func write(_ slot: PersistentSlot, _ bytes: UnsafeRawBufferPointer) throws(TCULinkError)
    /// Empties the slot.
    mutating func erase(_ slot: PersistentSlot) throws(TCULinkError)
}

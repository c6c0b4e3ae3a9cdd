/// A `PersistentStore` in RAM: for a board without non-volatile memory to spare (nothing survives
/// a reboot) and for tests. A slot rewritten with no more bytes than it had reuses its buffer.
public struct VolatileStore: PersistentStore {
    private var slots: [(slot: PersistentSlot, bytes: [UInt8])] = []

    public init() {}

    public func read(_ slot: PersistentSlot, into buffer: UnsafeMutableRawBufferPointer) throws(TCULinkError) -> Int? {
        guard let record = slots.first(where: { $0.slot == slot })?.bytes else { return nil }
        guard record.count <= buffer.count else { throw TCULinkError(.storageFailed) }
        for index in record.indices { buffer[index] = record[index] }
        return record.count
    }

    public mutating func write(_ slot: PersistentSlot, _ bytes: UnsafeRawBufferPointer) throws(TCULinkError) {
        guard let index = slots.firstIndex(where: { $0.slot == slot }) else {
            slots.append((slot, Array(bytes)))
            return
        }
        slots[index].bytes.removeAll(keepingCapacity: true)
        slots[index].bytes.append(contentsOf: bytes)
    }

    public mutating func erase(_ slot: PersistentSlot) throws(TCULinkError) {
        slots.removeAll { $0.slot == slot }
    }
}

import Foundation

/// The backend's log: one line per event, to standard output (or a sink the demo reads).
public final class BackendLog: @unchecked Sendable {
    private let lock = NSLock()
    private var sink: @Sendable (String) -> Void
    private var recorded: [String] = []

    public init(
        sink: @escaping @Sendable (String) -> Void = { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    ) {
        self.sink = sink
    }

    public func write(_ line: String) {
        lock.lock()
        recorded.append(line)
        if recorded.count > 10_000 { recorded.removeFirst(5_000) }  // bounded
        let sink = self.sink
        lock.unlock()
        sink(line)
    }

    /// The lines written so far (the most recent 5,000 to 10,000).
    public var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
}

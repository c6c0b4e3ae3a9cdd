import InMemoryLogging

extension InMemoryLogHandler {
    /// What was logged, one message a line, oldest first: what the demo and the tests read of the
    /// backend's log (the same lines `tcu-backend serve` prints).
    public var lines: [String] { entries.map { "\($0.message)" } }
}

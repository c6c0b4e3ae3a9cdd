/// Blocking use of a `TLSClient`, for hosts and RTOS tasks: each call waits on the transport
/// between steps, never past its deadline. A super-loop firmware calls `step()`, `send` and
/// `receive` instead, and waits in its own loop.
extension TLSClient {
    /// Connects, waiting on the transport between steps.
    public func connect() throws(TCULinkError) -> ConnectionReport {
        while true {
            switch step() {
            case .waiting(let interest, let until):
                waitForTransport(interest, until: until)
            case .established(let report):
                return report
            case .failed(let error):
                throw error
            case .idle, .closed:
                throw TCULinkError(.invalidState)
            }
        }
    }

    /// Sends all of `bytes`, waiting on the transport; fails after `timeoutMilliseconds`.
    public func sendAll(_ bytes: [UInt8], timeoutMilliseconds: UInt32) throws(TCULinkError) {
        try bytes.withBytes { raw throws(TCULinkError) in try sendAll(raw, timeoutMilliseconds: timeoutMilliseconds) }
    }

    /// Sends all of `bytes`, waiting on the transport; fails after `timeoutMilliseconds`.
    public func sendAll(_ bytes: UnsafeRawBufferPointer, timeoutMilliseconds: UInt32) throws(TCULinkError) {
        let deadline = clock.monotonicMilliseconds() + UInt64(timeoutMilliseconds)
        var offset = 0
        while offset < bytes.count {
            let sent = try send(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            offset += sent
            if sent == 0 {
                if clock.monotonicMilliseconds() >= deadline { throw TCULinkError(.ioTimeout) }
                waitForTransport(.writable, until: deadline)
            }
        }
    }

    /// Waits up to `timeoutMilliseconds` for data; `.wouldBlock` means none came in time.
    public func receive(
        into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: UInt32
    ) throws(TCULinkError) -> ReceiveResult {
        let deadline = clock.monotonicMilliseconds() + UInt64(timeoutMilliseconds)
        while true {
            let result = try receive(into: buffer)
            if result != .wouldBlock { return result }
            if clock.monotonicMilliseconds() >= deadline { return .wouldBlock }
            waitForTransport(.readable, until: deadline)
        }
    }

    /// Waits until the transport is ready for `interest`, or until `deadline` (monotonic ms).
    func waitForTransport(_ interest: ReadinessInterest, until deadline: UInt64) {
        let now = now()
        transport.waitUntilReady(interest, timeoutMilliseconds: deadline > now ? UInt32(clamping: deadline - now) : 0)
    }
}

import TCULink

#if canImport(Glibc)
    import Glibc
#endif

/// Faults a cellular link has, injected around any transport (the simulator's fault injection).
public enum TransportFault: Equatable, Sendable {
    /// Every send and receive waits this long first (a slow link).
    case latency(milliseconds: UInt32)
    /// At most this many bytes per second each way (reads and writes are cut to fit).
    case bandwidth(bytesPerSecond: Int)
    /// The peer closes the stream once this many bytes were received.
    case dropAfter(bytes: Int)
    /// The connection is reset once this many bytes were received (mid-handshake for small values).
    case resetAfter(bytes: Int)
    /// The peer goes silent once this many bytes were received: nothing more arrives, ever.
    case silentAfter(bytes: Int)
    /// One bit of the byte at this offset of the received stream is flipped.
    case corruptAt(byte: Int)

    /// Parses `latency:200`, `bandwidth:4096`, `drop:1000`, `reset:500`, `silent:300`, `corrupt:1200`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let value = Int(parts[1]), value >= 0 else { return nil }
        switch parts[0] {
        case "latency": self = .latency(milliseconds: UInt32(clamping: value))
        case "bandwidth" where value > 0: self = .bandwidth(bytesPerSecond: value)
        case "drop": self = .dropAfter(bytes: value)
        case "reset": self = .resetAfter(bytes: value)
        case "silent": self = .silentAfter(bytes: value)
        case "corrupt": self = .corruptAt(byte: value)
        default: return nil
        }
    }
}

/// A transport with faults. Every fault ends in a specific transport answer (closed, reset,
/// nothing more, damaged bytes), so the core must turn each into its own error within its time limit.
public struct FaultyTransport<Inner: Transport>: Transport {
    public var inner: Inner
    public let faults: [TransportFault]
    private var received = 0
    /// Token bucket for `.bandwidth`: bytes moved since `bucketStart` (monotonic ms).
    private var bucketStart: UInt64 = 0
    private var bucketUsed = 0

    public init(_ inner: Inner, faults: [TransportFault]) {
        self.inner = inner
        self.faults = faults
    }

    public mutating func connect(host: String, port: UInt16) -> ConnectProgress {
        received = 0
        bucketStart = SystemClock.monotonic()
        bucketUsed = 0
        return inner.connect(host: host, port: port)
    }

    public mutating func pollConnect() -> ConnectProgress { inner.pollConnect() }

    public mutating func send(_ bytes: UnsafeRawBufferPointer) -> TransportIO {
        delay()
        let allowed = allowance(bytes.count)
        guard allowed > 0 else { return .wouldBlock }
        let result = inner.send(UnsafeRawBufferPointer(rebasing: bytes[0..<allowed]))
        if case .transferred(let count) = result { bucketUsed += count }
        return result
    }

    public mutating func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportIO {
        for fault in faults {
            switch fault {
            case .dropAfter(let bytes) where received >= bytes: return .closed
            case .resetAfter(let bytes) where received >= bytes: return .failed(.reset)
            case .silentAfter(let bytes) where received >= bytes: return .wouldBlock
            default: continue
            }
        }
        delay()
        var capacity = allowance(buffer.count)
        guard capacity > 0 else { return .wouldBlock }  // the link's budget is spent: as a slow socket would
        // Never read past a byte count where a fault starts, so it starts exactly there.
        for fault in faults {
            switch fault {
            case .dropAfter(let bytes), .resetAfter(let bytes), .silentAfter(let bytes):
                capacity = max(1, min(capacity, bytes - received))
            default: continue
            }
        }
        let result = inner.receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<capacity]))
        guard case .transferred(let count) = result else { return result }
        for fault in faults {
            if case .corruptAt(let offset) = fault, offset >= received, offset < received + count {
                buffer[offset - received] ^= 0x01
            }
        }
        received += count
        bucketUsed += count
        return result
    }

    public mutating func close() { inner.close() }

    public mutating func waitUntilReady(_ interest: ReadinessInterest, timeoutMilliseconds: UInt32) {
        for fault in faults {
            if case .bandwidth = fault, allowance(1) == 0 {
                usleep(min(timeoutMilliseconds, 20) * 1000)  // until the bucket refills
                return
            }
            if case .silentAfter(let bytes) = fault, received >= bytes, interest == .readable {
                // Nothing will ever arrive: let time pass as a real silent peer would.
                usleep(min(timeoutMilliseconds, 200) * 1000)
                return
            }
        }
        inner.waitUntilReady(interest, timeoutMilliseconds: timeoutMilliseconds)
    }

    private func delay() {
        for fault in faults {
            if case .latency(let milliseconds) = fault, milliseconds > 0 { usleep(milliseconds * 1000) }
        }
    }

    /// Bytes the bandwidth cap allows now (both directions share one budget); `count` without a cap.
    private func allowance(_ count: Int) -> Int {
        for fault in faults {
            if case .bandwidth(let rate) = fault {
                let elapsed = Int(SystemClock.monotonic() - bucketStart)
                return max(0, min(count, rate * elapsed / 1000 - bucketUsed))
            }
        }
        return count
    }
}

import HostHAL
import TCULink

/// Where a connection's socket is, for the event loop that waits on it (shared with the transport,
/// which lives inside its `TLSClient`).
final class SocketSlot: @unchecked Sendable {
    var descriptor: Int32 = -1
}

/// `POSIXSocketTransport` that keeps its `SocketSlot` up to date, so that one thread can poll the
/// sockets of thousands of devices and step only those that are ready.
struct LoopTransport: Transport {
    var inner = POSIXSocketTransport()
    let slot: SocketSlot

    mutating func connect(host: String, port: UInt16) -> ConnectProgress {
        let progress = inner.connect(host: host, port: port)
        slot.descriptor = inner.fileDescriptor
        return progress
    }

    mutating func pollConnect() -> ConnectProgress {
        let progress = inner.pollConnect()
        slot.descriptor = inner.fileDescriptor
        return progress
    }

    mutating func send(_ bytes: UnsafeRawBufferPointer) -> TransportIO { inner.send(bytes) }
    mutating func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportIO { inner.receive(into: buffer) }

    mutating func close() {
        inner.close()
        slot.descriptor = -1
    }

    mutating func waitUntilReady(_ interest: ReadinessInterest, timeoutMilliseconds: UInt32) {
        inner.waitUntilReady(interest, timeoutMilliseconds: timeoutMilliseconds)
    }
}

import TCULink

#if canImport(Glibc)
    import Glibc
#endif

/// The HAL transport over a non-blocking POSIX TCP socket.
///
/// Resolves the host with getaddrinfo and tries each address in turn (so
/// `localhost` works whether the server listens on ::1 or 127.0.0.1).
public struct POSIXSocketTransport: Transport {
    private var descriptor: Int32 = -1
    private var candidates: [sockaddr_storage] = []
    private var candidateLengths: [socklen_t] = []
    private var nextCandidate = 0
    private var lastFailure: TransportFailure = .other

    public init() {}

    /// The socket, -1 when none: for an event loop that waits on many connections at once.
    public var fileDescriptor: Int32 { descriptor }

    public mutating func connect(host: String, port: UInt16) -> ConnectProgress {
        close()
        candidates = []
        candidateLengths = []
        nextCandidate = 0
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else { return .failed(.nameResolution) }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(
                    from: UnsafeRawBufferPointer(start: current.pointee.ai_addr, count: Int(current.pointee.ai_addrlen))
                )
            }
            candidates.append(storage)
            candidateLengths.append(current.pointee.ai_addrlen)
            entry = current.pointee.ai_next
        }
        return connectNextCandidate()
    }

    private mutating func connectNextCandidate() -> ConnectProgress {
        while nextCandidate < candidates.count {
            let index = nextCandidate
            nextCandidate += 1
            var storage = candidates[index]
            let family = Int32(storage.ss_family)
            let fd = socket(
                family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastFailure = .other
                continue
            }
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let result = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, candidateLengths[index]) }
            }
            if result == 0 {
                descriptor = fd
                return .connected
            }
            if errno == EINPROGRESS {
                descriptor = fd
                return .inProgress
            }
            lastFailure = POSIXSocketTransport.failure(errno)
            Glibc.close(fd)
        }
        return .failed(lastFailure)
    }

    public mutating func pollConnect() -> ConnectProgress {
        guard descriptor >= 0 else { return .failed(lastFailure) }
        var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&entry, 1, 0)
        if ready == 0 { return .inProgress }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
        if error == 0 { return .connected }
        lastFailure = POSIXSocketTransport.failure(error)
        Glibc.close(descriptor)
        descriptor = -1
        // Try the host's next address, if it has one.
        return connectNextCandidate()
    }

    public mutating func send(_ bytes: UnsafeRawBufferPointer) -> TransportIO {
        guard descriptor >= 0 else { return .failed(.other) }
        let sent = Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        if sent > 0 { return .transferred(sent) }
        if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return .wouldBlock }
        return .failed(sent < 0 ? POSIXSocketTransport.failure(errno) : .other)
    }

    public mutating func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportIO {
        guard descriptor >= 0 else { return .failed(.other) }
        let received = recv(descriptor, buffer.baseAddress, buffer.count, 0)
        if received > 0 { return .transferred(received) }
        if received == 0 { return .closed }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return .wouldBlock }
        return .failed(POSIXSocketTransport.failure(errno))
    }

    public mutating func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }

    public mutating func waitUntilReady(_ interest: ReadinessInterest, timeoutMilliseconds: UInt32) {
        guard descriptor >= 0 else { return }
        let events = interest == .readable ? Int16(POLLIN) : Int16(POLLOUT)
        var entry = pollfd(fd: descriptor, events: events, revents: 0)
        _ = poll(&entry, 1, Int32(clamping: timeoutMilliseconds))
    }

    static func failure(_ code: Int32) -> TransportFailure {
        switch code {
        case ECONNREFUSED: return .refused
        case ECONNRESET, EPIPE, ECONNABORTED: return .reset
        case EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL: return .unreachable
        case ETIMEDOUT: return .timedOut
        default: return .other
        }
    }
}

import Foundation
import HostHAL
import TCULink
import Testing

/// A TCP server in this process that misbehaves in one chosen way.
final class MisbehavingServer: @unchecked Sendable {
    enum Behaviour { case silent, closeAtOnce, garbage, resetAtOnce }

    let port: UInt16
    private let listener: Int32
    private let thread: Thread

    init(_ behaviour: Behaviour) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(fd, $0, length) == 0, listen(fd, 4) == 0, getsockname(fd, $0, &length) == 0 else {
                    throw POSIXError(.EADDRINUSE)
                }
            }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        thread = Thread {
            let connection = accept(fd, nil, nil)
            guard connection >= 0 else { return }
            switch behaviour {
            case .silent:
                sleep(5)  // holds the connection open and says nothing
            case .closeAtOnce:
                break
            case .resetAtOnce:
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            case .garbage:
                var buffer = [UInt8](repeating: 0, count: 512)
                _ = recv(connection, &buffer, buffer.count, 0)
                let junk = [UInt8](repeating: 0x5A, count: 300)
                _ = send(connection, junk, junk.count, Int32(MSG_NOSIGNAL))
                usleep(300_000)
            }
            close(connection)
        }
        thread.start()
    }

    deinit { close(listener) }
}

/// Dead or hostile peers end in a specific error within their time limit; nothing hangs.
@Suite(.serialized) struct HostilePeerTests {
    @Test func aSilentServerTimesOutTheHandshake() throws {
        let server = try MisbehavingServer(.silent)
        let client = try makeClient(port: server.port, host: "127.0.0.1", handshakeTimeout: 800)
        let started = Date()
        #expect(connectionFailure(client)?.reason == .handshakeTimeout)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.7 && elapsed < 4)
    }

    @Test func aServerThatClosesAtOnceIsReported() throws {
        let server = try MisbehavingServer(.closeAtOnce)
        let failure = connectionFailure(try makeClient(port: server.port, host: "127.0.0.1"))
        #expect(failure?.reason == .peerClosedDuringHandshake || failure?.reason == .connectionReset)
    }

    @Test func aServerThatResetsIsReported() throws {
        let server = try MisbehavingServer(.resetAtOnce)
        let failure = connectionFailure(try makeClient(port: server.port, host: "127.0.0.1"))
        #expect(failure?.reason == .connectionReset || failure?.reason == .peerClosedDuringHandshake)
    }

    @Test func garbageInsteadOfAServerHelloFailsTheHandshake() throws {
        let server = try MisbehavingServer(.garbage)
        let failure = connectionFailure(try makeClient(port: server.port, host: "127.0.0.1"))
        #expect(failure != nil)
        #expect(failure?.reason != .handshakeTimeout)
    }

    @Test func nobodyListening() throws {
        let port = try freePort()
        #expect(connectionFailure(try makeClient(port: port, host: "127.0.0.1"))?.reason == .connectionRefused)
    }

    @Test func unresolvableHost() throws {
        let failure = connectionFailure(try makeClient(port: 443, host: "no-such-host.invalid"))
        #expect(failure?.reason == .nameResolutionFailed)
    }
}

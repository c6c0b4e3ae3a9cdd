import Foundation
import TestSupport

/// `openssl s_server` as the independent peer: started on a free port, stopped at the end.
final class OpenSSLServer {
    let port: UInt16
    private let process: ChildProcess  // its stdin stays open: s_server quits at EOF

    /// - Parameters:
    ///   - certificate: server leaf (PEM), relative to the PKI folder.
    ///   - chain: the intermediates to send after it, if any.
    ///   - arguments: more s_server options (e.g. "-tls1_2").
    ///   - clientCA: the CA file that device certificates must chain to (default: the PKI's root.pem).
    ///   - requireClientCertificate: false for a server that asks for none (anonymous suites cannot).
    init(
        pki: String, certificate: String = "server/good.leaf.pem", key: String = "server/good.key",
        chain: String? = "server-ca.pem", arguments: [String] = ["-tls1_3"], clientCA: String? = nil,
        requireClientCertificate: Bool = true
    ) throws {
        port = try freePort()
        var options = [
            "s_server", "-accept", "\(port)", "-cert", pki + "/" + certificate, "-key", pki + "/" + key,
            "-CAfile", clientCA ?? pki + "/root.pem", "-rev",
        ]
        if requireClientCertificate { options += ["-Verify", "1", "-verify_return_error"] }
        if let chain { options += ["-cert_chain", pki + "/" + chain] }
        process = try ChildProcess("/usr/bin/openssl", options + arguments, logFile: pki + "/s_server-\(port).log")
        do {
            try waitUntilListening(port)
        } catch {
            process.stop()
            throw error
        }
    }

    var log: String { process.output }

    func stop() { process.stop() }

    deinit { stop() }
}

/// A port nobody listens on at this moment (the kernel's choice for port 0).
func freePort() throws -> UInt16 {
    guard let port = bindProbe(0) else { throw POSIXError(.EADDRINUSE) }
    return port
}

/// A free port below 32768, which Linux never hands out as an ephemeral one (its default
/// `ip_local_port_range`): a server can be started again on it after a stop without another
/// test's outgoing connection having taken it meanwhile (CI saw that happen with port 0).
/// Each port is handed out once per test process: a server that is down for a restart must not see another
/// test's server take its port meanwhile (CI saw the soak test's backend lose its port that way).
func restartablePort() throws -> UInt16 {
    for _ in 0..<100 {
        let candidate = UInt16.random(in: 20_000..<32_768)
        guard HandedOutPorts.shared.claim(candidate) else { continue }
        if let port = bindProbe(candidate) { return port }
    }
    throw POSIXError(.EADDRINUSE)
}

/// The restartable ports this test process has handed out.
final class HandedOutPorts: @unchecked Sendable {
    static let shared = HandedOutPorts()
    private let lock = NSLock()
    private var ports: Set<UInt16> = []

    /// True the first time `port` is claimed.
    func claim(_ port: UInt16) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return ports.insert(port).inserted
    }
}

/// Binds a socket to 127.0.0.1:`port` (0: any) and closes it; the port it got, nil when taken.
private func bindProbe(_ port: UInt16) -> UInt16? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    return bound ? UInt16(bigEndian: address.sin_port) : nil
}

/// Waits (at most 10 s) until something accepts TCP connections on 127.0.0.1:port.
func waitUntilListening(_ port: UInt16) throws {
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        close(fd)
        if result == 0 { return }
        usleep(50_000)
    }
    throw POSIXError(.ETIMEDOUT)
}

// tcu-bench: the TCULink core's side of scripts/bench. N full mutual-TLS handshakes through
// TLSClient over the host HAL (file key behind the KeyStore), with the same measurements as
// Benchmarks/ReferenceClient/ref_client.c, printed in the same one-line format:
//   tcu-bench HOST PORT SERVERNAME CHAIN KEY TRUST ROUNDS
import CCounting
import Foundation
import HostHAL
import TCULink

let arguments = CommandLine.arguments
guard arguments.count >= 8, let port = UInt16(arguments[2]), let rounds = Int(arguments[7]) else {
    FileHandle.standardError.write(Data("usage: tcu-bench HOST PORT SERVERNAME CHAIN KEY TRUST ROUNDS\n".utf8))
    exit(2)
}
_ = tcu_counting_install()  // before any wolfSSL_Init

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

let keyStore = try FileKeyStore(chainFile: arguments[4], keyFile: arguments[5], trustFile: arguments[6])
let configuration = ClientConfiguration(host: arguments[1], port: port, serverName: arguments[3])

@MainActor func handshake(resumption: [UInt8]? = nil) -> (ConnectionReport, [UInt8]?)? {
    guard
        let client = try? TLSClient(
            configuration: configuration, transport: POSIXSocketTransport(), keyStore: keyStore, clock: SystemClock(),
            resumption: resumption),
        let report = try? client.connect()
    else { return nil }
    let session = client.sessionForResumption()
    client.close()
    return (report, session)
}

// Warm-up, and the bytes of a full and a resumed handshake.
let full = handshake()
let resumed = handshake(resumption: full?.1)
let fullBytes = full.map { $0.0.handshakeBytesSent + $0.0.handshakeBytesReceived } ?? 0
let resumedBytes = resumed.map { $0.0.handshakeBytesSent + $0.0.handshakeBytesReceived } ?? 0

// Per handshake: the CPU it took, and the most wolfSSL's heap grew during it (the client's own
// context included: the core makes one per connection).
var done = 0
var peak = 0
var cpu = 0.0
for _ in 0..<rounds {
    let base = tcu_counting_in_use()
    tcu_counting_reset_peak()
    let start = cpuSeconds()
    if handshake() != nil { done += 1 }
    cpu += cpuSeconds() - start
    peak = max(peak, tcu_counting_peak() - base)
}
print(
    String(
        format: "handshakes=%d cpu_us_per_handshake=%.0f peak_heap=%zu bytes_full=%d bytes_resumed=%d resumed=%@",
        done, done > 0 ? cpu * 1e6 / Double(done) : 0, peak, fullBytes, resumedBytes,
        resumed?.0.resumed == true ? "yes" : "no"))
exit(done == rounds ? 0 : 1)

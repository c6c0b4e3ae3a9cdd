// tcu-bench: the TCULink core's side of scripts/bench. N full mutual-TLS handshakes through
// TLSClient over the host HAL (file key behind the KeyStore), with the same measurements as
// Benchmarks/ReferenceClient/ref_client.c, printed in the same one-line format:
//   tcu-bench HOST PORT SERVERNAME CHAIN KEY TRUST ROUNDS [MAX_FRAGMENT] [--context-per-connection]
// By default the connections share one TLSContext, as the C client shares its WOLFSSL_CTX;
// --context-per-connection builds the device identity into wolfSSL anew for each one.
import CCounting
import Foundation
import HostHAL
import TCULink

let arguments = CommandLine.arguments
guard arguments.count >= 8, let port = UInt16(arguments[2]), let rounds = Int(arguments[7]) else {
    FileHandle.standardError.write(
        Data(
            "usage: tcu-bench HOST PORT SERVERNAME CHAIN KEY TRUST ROUNDS [MAX_FRAGMENT] [--context-per-connection]\n"
                .utf8))
    exit(2)
}
let contextPerConnection = arguments.contains("--context-per-connection")
// --http-get PATH: one request per connection before its session is taken. A server may send its TLS 1.3
// ticket only with its first write (BoringSSL, so tcu-backend): without a request there is nothing to resume.
let httpGet = arguments.firstIndex(of: "--http-get").flatMap {
    arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil
}
let options = arguments.dropFirst(8).filter { $0 != "--context-per-connection" && $0 != "--http-get" && $0 != httpGet }
var configuration = ClientConfiguration(host: arguments[1], port: port, serverName: arguments[3])
if let option = options.first {
    guard let bytes = UInt16(option), let fragment = MaxFragmentLength(rawValue: bytes) else {
        FileHandle.standardError.write(Data("MAX_FRAGMENT: 512, 1024, 2048 or 4096\n".utf8))
        exit(2)
    }
    configuration.maxFragmentLength = fragment
}
_ = tcu_counting_install()  // before any wolfSSL_Init

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

let keyStore = try FileKeyStore(chainFile: arguments[4], keyFile: arguments[5], trustFile: arguments[6])
let sharedContext =
    contextPerConnection
    ? nil : try TLSContext(certificateChain: keyStore.certificateChain, trustAnchors: keyStore.trustAnchors)

@MainActor func handshake(resumption: [UInt8]? = nil) -> (ConnectionReport, [UInt8]?)? {
    guard
        let client = try? TLSClient(
            configuration: configuration, transport: POSIXSocketTransport(), keyStore: keyStore, clock: SystemClock(),
            resumption: resumption, context: sharedContext),
        let report = try? client.connect()
    else { return nil }
    if let httpGet {
        try? client.sendAll(
            Array("GET \(httpGet) HTTP/1.1\r\nHost: \(arguments[3])\r\n\r\n".utf8), timeoutMilliseconds: 5_000)
        var reply = [UInt8](repeating: 0, count: 4096)
        _ = try? reply.withUnsafeMutableBytes { raw throws(TCULinkError) in
            try client.receive(into: raw, timeoutMilliseconds: 5_000)
        }
    }
    let session = client.sessionForResumption()
    client.close()
    return (report, session)
}

// Warm-up, and the bytes of a full and a resumed handshake.
let full = handshake()
let resumed = handshake(resumption: full?.1)
let fullBytes = full.map { $0.0.handshakeBytesSent + $0.0.handshakeBytesReceived } ?? 0
let resumedBytes = resumed.map { $0.0.handshakeBytesSent + $0.0.handshakeBytesReceived } ?? 0

// Per handshake: the CPU it took, and the most the heap grew during it: wolfSSL's (its allocator
// hooks) and the whole process's (malloc interposed: the Swift side's objects, arrays and strings
// too). The client's own wolfSSL context is included: the core makes one per connection.
var done = 0
var peak = 0
var processPeak = 0
var cpu = 0.0
for _ in 0..<rounds {
    let base = tcu_counting_in_use()
    let processBase = tcu_process_heap_in_use()
    tcu_counting_reset_peak()
    tcu_process_heap_reset_peak()
    let start = cpuSeconds()
    if handshake() != nil { done += 1 }
    cpu += cpuSeconds() - start
    peak = max(peak, tcu_counting_peak() - base)
    processPeak = max(processPeak, tcu_process_heap_peak() - processBase)
}
let line =
    "handshakes=\(done) cpu_us_per_handshake=\(done > 0 ? Int((cpu * 1e6 / Double(done)).rounded()) : 0)"
    + " peak_heap=\(peak) peak_process_heap=\(processPeak) bytes_full=\(fullBytes) bytes_resumed=\(resumedBytes)"
    + " resumed=\(resumed?.0.resumed == true ? "yes" : "no")"
print(line)
exit(done == rounds ? 0 : 1)

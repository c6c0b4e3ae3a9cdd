#if canImport(Glibc)
    import Glibc
#endif

// The fuzz targets of the core, compiled with the core's sources into one libFuzzer binary
// (scripts/fuzz). TCU_FUZZ_TARGET names the target a run exercises; each target checks an
// invariant, not only "no crash": a violated invariant traps, and libFuzzer keeps the input.

/// One target: takes the fuzzer's bytes, traps (precondition) when an invariant does not hold.
typealias FuzzTarget = (UnsafeRawBufferPointer) -> Void

let fuzzTargets: [(name: String, run: FuzzTarget)] = [
    ("der", FuzzDER.run),
    ("x509", FuzzX509.run),
    ("distinguished-name", FuzzDistinguishedName.run),
    ("pem", FuzzPEM.run),
    ("pkcs7", FuzzPKCS7.run),
    ("mqtt-decoder", FuzzMQTTDecoder.run),
    ("mqtt-session", FuzzMQTTSession.run),
    ("http-response", FuzzHTTPResponse.run),
    ("path-validator", FuzzPathValidator.run),
    ("saved-session", FuzzSavedSession.run),
]

/// The target TCU_FUZZ_TARGET names, looked up once.
let selectedTarget: FuzzTarget = {
    guard let name = getenv("TCU_FUZZ_TARGET").map({ String(cString: $0) }),
        let target = fuzzTargets.first(where: { $0.name == name })
    else {
        let names = fuzzTargets.map(\.name).joined(separator: ", ")
        fatalError("set TCU_FUZZ_TARGET to one of: \(names)")
    }
    return target.run
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selectedTarget(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

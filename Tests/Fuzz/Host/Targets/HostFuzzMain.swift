import CHostFuzzDriver
import Foundation

// The fuzz targets of the host tools (the backend's request handling, the PKI's CSR issuance, the
// device registry's file). Built two ways from these sources:
// - by scripts/fuzz with TCU_FUZZ_HOST=1 (Package.swift): a libFuzzer binary, the backend, PKI and
//   these targets instrumented (-sanitize=fuzzer,address); `main` hands over to libFuzzer's driver;
// - by every `swift build`: a replay driver (`tcu-host-fuzz FILE...`, TCU_FUZZ_TARGET=NAME) that runs a
//   target once over each file, which is how the committed seeds and regression inputs stay tested.
// A violated invariant traps, as in the core's targets (Tests/Fuzz/Targets).

typealias HostFuzzTarget = @Sendable (Data) -> Void

let hostFuzzTargets: [(name: String, run: HostFuzzTarget)] = [
    ("backend-request", FuzzBackendRequest.run),
    ("pki-csr", FuzzPKICSR.run),
    ("registry-json", FuzzRegistryJSON.run),
]

/// The target TCU_FUZZ_TARGET names, looked up once.
let selectedHostTarget: HostFuzzTarget = {
    let name = ProcessInfo.processInfo.environment["TCU_FUZZ_TARGET"] ?? ""
    guard let target = hostFuzzTargets.first(where: { $0.name == name }) else {
        fatalError("set TCU_FUZZ_TARGET to one of: \(hostFuzzTargets.map(\.name).joined(separator: ", "))")
    }
    return target.run
}()

/// libFuzzer's callback: one input.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selectedHostTarget(data.map { Data(bytes: $0, count: size) } ?? Data())
    return 0
}

@main struct HostFuzzMain {
    static func main() throws {
        #if TCU_FUZZ_HOST
            exit(tcu_fuzz_run_driver(CommandLine.argc, CommandLine.unsafeArgv) { testOneInput($0, $1) })
        #else
            let files = CommandLine.arguments.dropFirst()
            guard !files.isEmpty else {
                FileHandle.standardError.write(Data("usage: TCU_FUZZ_TARGET=NAME tcu-host-fuzz FILE...\n".utf8))
                exit(2)
            }
            for file in files {
                selectedHostTarget(try Data(contentsOf: URL(fileURLWithPath: file)))
            }
            print("\(files.count) inputs, no invariant broken")
        #endif
    }
}

// swift-tools-version:6.0
// TCULink: a device-side mutual-TLS stack for vehicle telematics units.
//
// Layout (see docs/architecture.md):
//   Sources/TCULink     the portable core (Embedded Swift subset, no Foundation)
//   Sources/CWolfSSL    system-library module over Debian's libwolfssl-dev
//   Simulator/          everything that only runs on a Linux host
import PackageDescription

// scripts/fuzz builds the host fuzz targets (Tests/Fuzz/Host) with TCU_FUZZ_HOST=1: the backend, the PKI
// and the targets compiled for libFuzzer with AddressSanitizer. Every other build leaves them plain, and
// tcu-host-fuzz is then a driver that replays inputs (the committed seeds, in the tests).
let fuzzingHost = Context.environment["TCU_FUZZ_HOST"] == "1"
let hostFuzzInstrumentation: [SwiftSetting] = fuzzingHost ? [.unsafeFlags(["-sanitize=fuzzer,address"])] : []

let package = Package(
    name: "TCULink",
    products: [
        .library(name: "TCULink", targets: ["TCULink"]),
        .executable(name: "tcu-sim", targets: ["tcu-sim"]),
        .executable(name: "tcu-pki", targets: ["tcu-pki"]),
        .executable(name: "tcu-backend", targets: ["tcu-backend"]),
        .executable(name: "tcu-bench", targets: ["tcu-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
        // 4.x: 3.12's RSA public-key reader freed its key twice on a malformed key (an abort, found by the
        // pki-csr fuzz target: any device with a token or a certificate could stop the backend with one CSR).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CWolfSSL",
            path: "Sources/CWolfSSL",
            pkgConfig: "wolfssl",
            providers: [.apt(["libwolfssl-dev"])]
        ),
        // The HAL as a C ABI (tcu_hal.h) and the C API's types, for firmware written in C.
        .target(
            name: "CTCUHAL",
            path: "BoardSupport",
            sources: ["common"],
            publicHeadersPath: "include"
        ),
        .target(
            name: "TCULink",
            dependencies: ["CWolfSSL", "CTCUHAL"],
            path: "Sources/TCULink"
        ),
        // C over POSIX and wolfCrypt: private-key signing for file key stores, and getrandom.
        // Shared by the Swift host HAL and the C POSIX HAL (BoardSupport/POSIX).
        .target(
            name: "CPOSIXKeys",
            dependencies: ["CWolfSSL"],
            path: "BoardSupport/POSIX/keys",
            linkerSettings: [.linkedLibrary("dl")]
        ),
        // The host tools' one error type.
        .target(
            name: "HostSupport",
            dependencies: [.product(name: "InMemoryLogging", package: "swift-log")],
            path: "Simulator/HostSupport",
            swiftSettings: hostFuzzInstrumentation
        ),
        .target(
            name: "HostHAL",
            dependencies: ["TCULink", "CPOSIXKeys", "CWolfSSL", "HostSupport"],
            path: "Simulator/HostHAL"
        ),
        // The private PKI (root, device CA, server and device certificates, CRL, lint).
        .target(
            name: "TCUPKI",
            dependencies: [
                "TCULink", "HostSupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Simulator/TCUPKI",
            swiftSettings: hostFuzzInstrumentation
        ),
        .executableTarget(
            name: "tcu-pki",
            dependencies: ["TCUPKI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Simulator/tcu-pki"
        ),
        // The test backend: the mTLS server a TCU meets (registry, authorization, revocation), on SwiftNIO and
        // swift-nio-ssl (BoringSSL) so the device's wolfSSL is always tested against another TLS stack.
        .target(
            name: "TCUBackend",
            dependencies: [
                "TCUPKI", "HostSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Simulator/TCUBackend",
            swiftSettings: hostFuzzInstrumentation
        ),
        // The host fuzz targets (scripts/fuzz, docs/reliability.md): libFuzzer's binary with TCU_FUZZ_HOST=1,
        // else a replay driver over input files.
        .target(
            name: "CHostFuzzDriver", path: "Tests/Fuzz/Host/Driver",
            cSettings: fuzzingHost ? [.define("TCU_FUZZ_HOST")] : []
        ),
        .executableTarget(
            name: "tcu-host-fuzz",
            dependencies: [
                "TCUBackend", "TCUPKI", "TCULink", "HostSupport", "CHostFuzzDriver",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Fuzz/Host/Targets",
            swiftSettings: hostFuzzInstrumentation + (fuzzingHost ? [.define("TCU_FUZZ_HOST")] : []),
            // libFuzzer without its `main` (scripts/fuzz passes the archive's path): SwiftPM's entry point is ours.
            linkerSettings: fuzzingHost
                ? [
                    .unsafeFlags([
                        "-sanitize=address", Context.environment["TCU_FUZZ_LIBFUZZER"] ?? "libFuzzer-not-found",
                    ])
                ]
                : []
        ),
        .executableTarget(
            name: "tcu-backend",
            dependencies: [
                "TCUBackend", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Simulator/tcu-backend"
        ),
        // The device side of the backend's HTTP API: one request writer and response reader.
        .target(
            name: "DeviceHTTP",
            dependencies: ["TCULink", "HostSupport"],
            path: "Simulator/DeviceHTTP"
        ),
        // Many simulated TCUs at once, with backoff, resumption and faults.
        .target(
            name: "TCUFleet",
            dependencies: ["TCULink", "HostHAL", "DeviceHTTP", "HostSupport"],
            path: "Simulator/TCUFleet"
        ),
        .executableTarget(
            name: "tcu-sim",
            dependencies: [
                "TCULink", "HostHAL", "TCUPKI", "TCUBackend", "TCUFleet", "DeviceHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            path: "Simulator/tcu-sim"
        ),
        // Benchmarks (scripts/bench): the core against a minimal C client over the same wolfSSL.
        .target(
            name: "CCounting",
            dependencies: ["CWolfSSL"],
            path: "Benchmarks/CCounting"
        ),
        .executableTarget(
            name: "tcu-bench",
            dependencies: ["TCULink", "HostHAL", "CCounting"],
            path: "Benchmarks/tcu-bench"
        ),
        // What both test targets share: one way to run a program (posix_spawn, bounded), the test PKI.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "TCULinkTests",
            dependencies: ["TCULink", "TestSupport"],
            path: "Tests/TCULinkTests"
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: [
                "TCULink", "HostHAL", "TCUPKI", "TCUBackend", "TCUFleet", "DeviceHTTP", "tcu-sim", "tcu-pki",
                "tcu-backend", "tcu-host-fuzz", "TestSupport", "HostSupport",
                "CWolfSSL", .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            path: "Tests/InteropTests"
        ),
    ]
)

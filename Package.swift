// swift-tools-version:6.0
// TCULink: a device-side mutual-TLS stack for vehicle telematics units.
//
// Layout (see docs/architecture.md):
//   Sources/TCULink     the portable core (Embedded Swift subset, no Foundation)
//   Sources/CWolfSSL    system-library module over Debian's libwolfssl-dev
//   Simulator/          everything that only runs on a Linux host
import PackageDescription

let package = Package(
    name: "TCULink",
    products: [
        .library(name: "TCULink", targets: ["TCULink"]),
        .executable(name: "tcu-sim", targets: ["tcu-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CWolfSSL",
            path: "Sources/CWolfSSL",
            pkgConfig: "wolfssl",
            providers: [.apt(["libwolfssl-dev"])]
        ),
        .target(
            name: "TCULink",
            dependencies: ["CWolfSSL"],
            path: "Sources/TCULink"
        ),
        // Host-only C: the development key store's signing with wolfCrypt.
        .target(
            name: "CHostKeys",
            dependencies: ["CWolfSSL"],
            path: "Simulator/CHostKeys"
        ),
        .target(
            name: "HostHAL",
            dependencies: ["TCULink", "CHostKeys", "CWolfSSL"],
            path: "Simulator/HostHAL"
        ),
        .executableTarget(
            name: "tcu-sim",
            dependencies: [
                "TCULink", "HostHAL",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Simulator/tcu-sim"
        ),
        .testTarget(
            name: "TCULinkTests",
            dependencies: ["TCULink"],
            path: "Tests/TCULinkTests"
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: ["TCULink", "HostHAL", "tcu-sim"],
            path: "Tests/InteropTests"
        ),
    ]
)

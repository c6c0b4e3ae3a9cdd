import ArgumentParser
import Foundation
import TCUPKI

/// tcu-pki: a private PKI for a fleet of TCUs and its backend.
@main
struct TCUPKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcu-pki",
        abstract: "A private PKI for TCUs: root and device CA, backend and device certificates, CRL, lint.",
        subcommands: [Init.self, IssueDevice.self, Revoke.self, Lint.self]
    )
}

/// Runs a PKI operation, turning its errors into one line and exit status 2.
func perform(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as HostError {
        FileHandle.standardError.write(Data("tcu-pki: \(error.description)\n".utf8))
        throw ExitCode(2)
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("tcu-pki: \(HostError.reason(of: error))\n".utf8))
        throw ExitCode(2)
    }
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a root CA, a device CA, a backend certificate (SAN localhost, 127.0.0.1) and an empty CRL.")

    @Option(help: "The PKI folder.") var dir: String
    @Option(help: "CA validity in days.") var days = 3650
    @Option(name: .customLong("server-name"), help: "DNS names for the backend certificate (repeatable).")
    var serverNames: [String] = ["localhost"]

    func run() throws {
        try perform {
            try PrivatePKI.create(at: dir, days: days, serverNames: serverNames)
            print("tcu-pki: PKI created in \(dir) (root.pem, device-ca.pem, server.pem, crl.pem; keys 0600)")
        }
    }
}

struct IssueDevice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue-device",
        abstract: "Issue a device key and certificate (CN and serialNumber = ID, EKU clientAuth) into --out.")

    @Option(help: "The PKI folder.") var dir: String
    @Option(help: "The device id.") var id: String
    @Option(help: "Output folder: chain.pem, key.pem (0600), trust.pem, as `tcu-sim connect --device` reads.") var out:
        String
    @Option(help: "Validity in days.") var days = 365
    @Option(
        name: .customLong("valid-from"),
        help: "Start of validity, Unix time (default: now). With a past start and few --days, an expired certificate.")
    var validFrom: Int64?
    @Option(help: "Key type: p256 or rsa2048.") var key: String = "p256"
    @Option(help: "Extra certificate policy OID (repeatable), e.g. a fleet-group marker.") var policy: [String] = []
    @Flag(
        name: .customLong("wrong-profile"), help: "Deliberately issue EKU serverAuth instead of clientAuth (for tests)."
    )
    var wrongProfile = false
    @Option(
        help:
            "Issue for this PKCS#10 request (PEM or DER) instead of generating a key: the key stays where it was made.")
    var csr: String?

    func run() throws {
        try perform {
            if let csr {
                guard let request = FileManager.default.contents(atPath: csr) else {
                    throw HostError("\(csr): request not found")
                }
                let pki = try PrivatePKI(directory: dir)
                let chain: String
                do {
                    chain = try pki.issueDevice(request: Array(request), authorizedID: id, days: days)
                } catch let refusal as PrivatePKI.RequestRefusal {
                    throw HostError("refused: \(refusal.description)")
                }
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                try SecureFile.writePublic(chain, to: out + "/chain.pem")
                try SecureFile.writePublic(
                    try SecureFile.read(dir + "/root.pem", what: "root CA"), to: out + "/trust.pem")
                print("tcu-pki: device \(id) issued for the request in \(csr) into \(out) (chain.pem, trust.pem)")
                return
            }
            guard let keyType = PrivatePKI.KeyType(rawValue: key) else {
                throw HostError("--key must be p256 or rsa2048")
            }
            try PrivatePKI(directory: dir).issueDevice(
                id: id, outputDirectory: out, days: days,
                validFrom: validFrom.map { Date(timeIntervalSince1970: TimeInterval($0)) },
                keyType: keyType, profile: wrongProfile ? .serverAuthOnly : .client, policies: policy)
            print("tcu-pki: device \(id) issued into \(out)")
        }
    }
}

struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke a device's certificates and write a fresh CRL.")

    @Option(help: "The PKI folder.") var dir: String
    @Option(help: "The device id.") var id: String

    func run() throws {
        try perform {
            let count = try PrivatePKI(directory: dir).revoke(id: id)
            print("tcu-pki: revoked \(count) certificate(s) of \(id); \(dir)/crl.pem rewritten")
        }
    }
}

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a certificate against the TLS client (device) or server profile.",
        discussion: "Exit status 0 when no finding fails, 1 otherwise, 2 when the file cannot be read.")

    @Argument(help: "A PEM or DER certificate.") var file: String
    @Option(name: .customLong("as"), help: "client or server.") var role: String

    func run() throws {
        guard let role = CertificateLint.Role(rawValue: role) else {
            FileHandle.standardError.write(Data("tcu-pki: --as must be client or server\n".utf8))
            throw ExitCode(2)
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("tcu-pki: \(file): not found\n".utf8))
            throw ExitCode(2)
        }
        let findings = CertificateLint.lint(Array(data), as: role)
        for finding in findings { print("\(finding.severity.rawValue)  \(finding.message)") }
        let passed = CertificateLint.passed(findings)
        print(
            passed
                ? "\(file): fits the TLS \(role.rawValue) profile"
                : "\(file): does NOT fit the TLS \(role.rawValue) profile")
        if !passed { throw ExitCode(1) }
    }
}

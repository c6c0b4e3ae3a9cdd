import ArgumentParser
import Foundation
import HostHAL
import TCULink

/// `tcu-sim verify-server`: the handshake's server-certificate checks, offline.
struct VerifyServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-server",
        abstract: "Check a server certificate exactly as the handshake would, offline, at a given time.",
        discussion: "Exit status 0 when accepted; 1 with the reason when refused; 2 for unreadable input."
    )

    @Option(help: "Trust anchors (PEM).")
    var trust: String

    @Option(help: "Intermediate CA certificates the server sends (PEM), leaf-side first.")
    var intermediates: String?

    @Option(help: "The server certificate (PEM or DER). Extra certificates after it are used as intermediates.")
    var leaf: String

    @Option(help: "The host name the device dials.")
    var name: String

    @Option(help: "Judge validity at this Unix time (default: now).")
    var at: Int64?

    func run() throws {
        let anchors: [[UInt8]]
        var chain: [[UInt8]]
        do {
            anchors = try FileKeyStore.certificates(in: trust, what: "trust anchors")
            chain = try FileKeyStore.certificates(in: leaf, what: "server certificate")
            if let intermediates {
                chain += try FileKeyStore.certificates(in: intermediates, what: "intermediates")
            }
        } catch {
            printError("tcu-sim: \(error)")
            throw ExitCode(2)
        }
        let time: WallTime = at.map { .unixSeconds($0) } ?? SystemClock().wallTime()
        let failure = ServerChainVerifier.verify(
            leaf: chain[0], intermediates: Array(chain.dropFirst()), trustAnchors: anchors,
            policy: ServerCertificatePolicy(serverName: Array(name.utf8)), at: time)
        let subject = X509Certificate(der: chain[0])?.subject.text ?? "?"
        if let failure {
            print("REFUSED: \(Describe.error(failure))")
            throw ExitCode(1)
        }
        print("ACCEPTED: \(subject) for \(name)")
    }
}

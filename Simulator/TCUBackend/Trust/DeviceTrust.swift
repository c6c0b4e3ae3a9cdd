import Foundation
import Logging
import NIOConcurrencyHelpers
import SwiftASN1
import X509

/// What device chains are judged against: the client-CA certificates, and the CRLs of `--crl`.
///
/// Every CRL in the file is used (a PEM file may hold one per CA). Each must be signed by one of the client CAs,
/// checked when it is loaded, so a connection only looks up serials. The CRL file is re-read when it changes
/// (checked before each judgement, a `stat`), so a revocation takes effect for the next connection; a file
/// that no longer loads keeps the previous CRLs in force and is logged.
final class DeviceTrust: Sendable {
    let clientCAs: [Certificate]
    let crlPath: String?
    private let state: NIOLockedValueBox<Loaded>
    private let log: Logger

    struct Loaded {
        var crls: [DistinguishedName: CertificateRevocationList] = [:]
        var modification: Date?
        /// CA certificates seen in accepted chains, by subject: a resumed session carries only the leaf, and
        /// its signature is checked again under the issuer it was accepted with.
        var issuersSeen: [DistinguishedName: Certificate] = [:]
    }

    init(clientCAFile: String, crlPath: String?, log: Logger) throws {
        guard let pem = FileManager.default.contents(atPath: clientCAFile) else {
            throw HostError("\(clientCAFile): client CA file not found")
        }
        let certificates: [Certificate]
        do {
            certificates = try PEMDocument.parseMultiple(pemString: String(decoding: pem, as: UTF8.self))
                .filter { $0.discriminator == "CERTIFICATE" }.map { try Certificate(pemDocument: $0) }
        } catch {
            throw HostError("\(clientCAFile): not a usable PEM file of client CA certificates (\(error))")
        }
        guard !certificates.isEmpty else { throw HostError("\(clientCAFile): holds no certificate") }
        clientCAs = certificates
        self.crlPath = crlPath
        self.log = log
        var loaded = Loaded()
        if let crlPath {
            loaded.crls = try DeviceTrust.loadCRLs(crlPath, signedByOneOf: certificates)
            loaded.modification = DeviceTrust.modification(crlPath)
        }
        state = NIOLockedValueBox(loaded)
    }

    /// The CRLs now in force, re-read first if the file changed.
    func currentCRLs() -> [DistinguishedName: CertificateRevocationList] {
        guard let crlPath else { return [:] }
        let modification = DeviceTrust.modification(crlPath)
        return state.withLockedValue { loaded in
            if modification != loaded.modification {
                loaded.modification = modification
                do {
                    loaded.crls = try DeviceTrust.loadCRLs(crlPath, signedByOneOf: clientCAs)
                    log.info("CRL reloaded from \(crlPath) (\(loaded.crls.count) CRL(s))")
                } catch {
                    log.error("ERROR CRL reload failed, keeping the previous one: \(error)")
                }
            }
            return loaded.crls
        }
    }

    func remember(issuers: some Sequence<Certificate>) {
        state.withLockedValue { loaded in
            for certificate in issuers where loaded.issuersSeen[certificate.subject] != certificate {
                if loaded.issuersSeen.count > 1_000 { loaded.issuersSeen.removeAll() }
                loaded.issuersSeen[certificate.subject] = certificate
            }
        }
    }

    /// The certificates that may have issued `leaf`: client CAs and CA certificates of accepted chains.
    func possibleIssuers(of leaf: Certificate) -> [Certificate] {
        let seen = state.withLockedValue { $0.issuersSeen[leaf.issuer] }
        return clientCAs.filter { $0.subject == leaf.issuer } + (seen.map { [$0] } ?? [])
    }

    static func loadCRLs(_ path: String, signedByOneOf issuers: [Certificate]) throws
        -> [DistinguishedName: CertificateRevocationList]
    {
        guard let pem = FileManager.default.contents(atPath: path) else { throw HostError("\(path): CRL not found") }
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: String(decoding: pem, as: UTF8.self))
        } catch {
            throw HostError("\(path): not a PEM file (\(error))")
        }
        var result: [DistinguishedName: CertificateRevocationList] = [:]
        for (index, document) in documents.enumerated() where document.discriminator == "X509 CRL" {
            let crl: CertificateRevocationList
            do {
                crl = try CertificateRevocationList(derEncoded: document.derBytes)
            } catch {
                throw HostError("\(path): CRL #\(index + 1) is unusable: \(error)")
            }
            guard issuers.contains(where: { crl.isSigned(by: $0) }) else {
                throw HostError(
                    "\(path): CRL #\(index + 1) (issuer \(crl.issuer)) is not signed by any certificate of the client-CA file"
                )
            }
            guard result[crl.issuer] == nil else {
                throw HostError("\(path): two CRLs from \(crl.issuer); keep only the newest")
            }
            result[crl.issuer] = crl
        }
        guard !result.isEmpty else { throw HostError("\(path): holds no X509 CRL") }
        return result
    }

    static func modification(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}

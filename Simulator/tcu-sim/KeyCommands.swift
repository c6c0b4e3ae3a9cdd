import ArgumentParser
import Crypto
import Foundation
import HostHAL
import TCULink

/// `tcu-sim keygen`: a new device key, on a PKCS#11 token (non-extractable) or, for development, in a file.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate the device key: on a PKCS#11 token, or (development only) in a 0600 file.")

    @OptionGroup var token: TokenOptions
    @Option(help: "Development only: write a P-256 key to this file (mode 0600) instead of a token.") var out: String?

    func run() throws {
        do {
            if token.module != nil {
                let (opened, label) = try token.open()
                let spki = try opened.generateKey(label: label)
                let flags = opened.keyFlags()
                print(
                    "tcu-sim: P-256 key \"\(label)\" generated on the token (extractable: \(flags?.extractable == true ? "yes" : "no"), sensitive: \(flags?.sensitive == true ? "yes" : "no"))"
                )
                print(String(decoding: PEM.encode(spki, label: "PUBLIC KEY"), as: UTF8.self), terminator: "")
            } else if let out {
                guard !FileManager.default.fileExists(atPath: out) else {
                    throw HostError("\(out) exists; refusing to overwrite a device key")
                }
                let key = P256.Signing.PrivateKey()
                let fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw HostError("\(out): cannot create (\(String(cString: strerror(errno))))") }
                let pem = Array(key.pemRepresentation.utf8)
                let written = pem.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
                guard written == pem.count else { throw HostError("\(out): write failed") }
                printError(
                    "tcu-sim: development key written to \(out) (mode 0600); production keys stay in secure hardware")
            } else {
                throw HostError("give --pkcs11-module/--token/--key-label, or --out FILE for a development key")
            }
        } catch let error as HostError {
            printError("tcu-sim: \(error)")
            throw ExitCode(2)
        }
    }
}

/// `tcu-sim csr`: a PKCS#10 request built by the core and signed through the key store.
struct CSR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csr",
        abstract: "Write a certificate signing request (PEM) for the device key, signed by the key store.")

    @Option(help: "The device id (CN and serialNumber).") var id: String
    @Option(help: "Where to write the request (PEM).") var out: String
    @Option(help: "Development key file (PEM, mode 0600).") var key: String?
    @OptionGroup var token: TokenOptions

    func run() throws {
        do {
            let der: [UInt8]
            if token.module != nil {
                let (opened, label) = try token.open()
                var store = try PKCS11KeyStore(token: opened, keyLabel: label, chainFile: nil, trustFile: nil)
                der = try build(&store)
            } else if let key {
                var store = try FileKeyStore(keyOnly: key)
                der = try build(&store)
            } else {
                throw HostError("give --key FILE, or --pkcs11-module/--token/--key-label")
            }
            let pem = PEM.encode(der, label: "CERTIFICATE REQUEST")
            guard FileManager.default.createFile(atPath: out, contents: Data(pem)) else {
                throw HostError("\(out): cannot write")
            }
            print("tcu-sim: certificate request for \(id) written to \(out)")
        } catch let error as HostError {
            printError("tcu-sim: \(error)")
            throw ExitCode(2)
        }
    }

    func build<K: KeyStore>(_ store: inout K) throws(HostError) -> [UInt8] {
        do {
            return try CertificateRequestBuilder.build(deviceID: id, keyStore: &store)
        } catch {
            throw HostError("cannot build the request: \(Describe.linkError(error))")
        }
    }
}

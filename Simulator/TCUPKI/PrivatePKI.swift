import Crypto
import Foundation
import SwiftASN1
import TCULink
import X509
import _CryptoExtras

/// A private PKI for a fleet, in one folder:
///
/// | file | what |
/// |---|---|
/// | `root.pem`, `root.key` | the root CA: devices trust it for the backend's certificate |
/// | `device-ca.pem`, `device-ca.key` | the intermediate "device CA" that issues device certificates and the CRL |
/// | `server.pem`, `server.key` | the backend's certificate (EKU serverAuth, SAN localhost and 127.0.0.1), issued by the root |
/// | `crl.pem` | the device CA's certificate revocation list |
/// | `issued.json` | every device certificate issued: id, serial, expiry, revocation |
///
/// Keys are ECDSA P-256 unless asked otherwise and are written 0600.
public struct PrivatePKI: Sendable {
    public let directory: String

    public enum KeyType: String, CaseIterable, Sendable { case p256, rsa2048 }

    /// The device certificate's profile; `serverAuthOnly` is deliberately wrong, for tests.
    public enum DeviceProfile: Sendable { case client, serverAuthOnly }

    public init(directory: String) throws {
        self.directory = directory
        for file in ["root.pem", "device-ca.pem", "device-ca.key", "server.pem"]
        where !FileManager.default.fileExists(atPath: path(file)) {
            throw HostError("\(path(file)) is missing: run `tcu-pki init --dir \(directory)` first")
        }
    }

    func path(_ file: String) -> String { directory + "/" + file }

    // MARK: - Creating

    /// Creates the root, the device CA, the backend certificate and an empty CRL.
    @discardableResult
    public static func create(at directory: String, days: Int = 3650, serverNames: [String] = ["localhost"]) throws
        -> PrivatePKI
    {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw HostError("cannot create", directory, underlying: error)
        }
        if FileManager.default.fileExists(atPath: directory + "/root.key") {
            throw HostError("\(directory) already holds a PKI (root.key exists); refusing to overwrite it")
        }
        let now = Date()
        let rootKey = P256.Signing.PrivateKey()
        let rootName = try DistinguishedName {
            OrganizationName("TCULink Fleet"); CommonName("TCULink Root CA")
        }
        let root = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(rootKey.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: rootName, subject: rootName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try caExtensions(publicKey: .init(rootKey.publicKey), issuerKey: .init(rootKey.publicKey)),
            issuerPrivateKey: .init(rootKey))

        let deviceCAKey = P256.Signing.PrivateKey()
        let deviceCAName = try DistinguishedName {
            OrganizationName("TCULink Fleet"); CommonName("TCULink Device CA")
        }
        let deviceCA = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(deviceCAKey.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: rootName, subject: deviceCAName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try caExtensions(publicKey: .init(deviceCAKey.publicKey), issuerKey: .init(rootKey.publicKey)),
            issuerPrivateKey: .init(rootKey))

        let serverKey = P256.Signing.PrivateKey()
        var names: [GeneralName] = []
        for name in serverNames { names.append(.dnsName(name)) }
        names.append(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])))
        let server = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(serverKey.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(825 * 86_400),
            issuer: rootName,
            subject: try DistinguishedName {
                OrganizationName("TCULink Fleet"); CommonName("TCULink test backend")
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: .init(serverKey.publicKey))
                AuthorityKeyIdentifier(
                    keyIdentifier: SubjectKeyIdentifier(hash: .init(rootKey.publicKey)).keyIdentifier)
            },
            issuerPrivateKey: .init(rootKey))

        try SecureFile.writePrivate(rootKey.pemRepresentation, to: directory + "/root.key")
        try SecureFile.writePublic(try root.serializeAsPEM().pemString + "\n", to: directory + "/root.pem")
        try SecureFile.writePrivate(deviceCAKey.pemRepresentation, to: directory + "/device-ca.key")
        try SecureFile.writePublic(try deviceCA.serializeAsPEM().pemString + "\n", to: directory + "/device-ca.pem")
        try SecureFile.writePrivate(serverKey.pemRepresentation, to: directory + "/server.key")
        try SecureFile.writePublic(try server.serializeAsPEM().pemString + "\n", to: directory + "/server.pem")
        try SecureFile.writePublic("[]\n", to: directory + "/issued.json")
        let pki = try PrivatePKI(directory: directory)
        try pki.writeCRL()
        return pki
    }

    static func caExtensions(publicKey: Certificate.PublicKey, issuerKey: Certificate.PublicKey) throws
        -> Certificate.Extensions
    {
        try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: issuerKey).keyIdentifier)
        }
    }

    // MARK: - Devices

    /// What `issue-device` wrote.
    public struct IssuedDevice: Codable, Equatable, Sendable {
        public var id: String
        public var serial: String
        public var notAfter: Int64
        public var revokedAt: Int64?
    }

    /// Issues a device key and certificate into `outputDirectory` (`chain.pem`, `key.pem`, `trust.pem`):
    /// subject CN and serialNumber = `id`, EKU clientAuth, keyUsage digitalSignature, no dNSName.
    public func issueDevice(
        id: String, outputDirectory: String, days: Int = 365, validFrom: Date? = nil, keyType: KeyType = .p256,
        profile: DeviceProfile = .client, policies: [String] = []
    ) throws {
        let record = try writeDevice(
            id: id, outputDirectory: outputDirectory, days: days, validFrom: validFrom, keyType: keyType,
            profile: profile, policies: policies)
        try recordIssued([record])
    }

    /// Issues many P-256 devices (`id` → folder), recorded in issued.json in one update: a fleet of
    /// thousands is issued in seconds, not in the time of thousands of rewrites of a growing file.
    public func issueDevices(_ devices: [(id: String, outputDirectory: String)], days: Int = 365) throws {
        var records: [IssuedDevice] = []
        for device in devices {
            records.append(try writeDevice(id: device.id, outputDirectory: device.outputDirectory, days: days))
        }
        try recordIssued(records)
    }

    /// Makes and writes one device's key, certificate and trust file; the record issued.json is to get.
    private func writeDevice(
        id: String, outputDirectory: String, days: Int = 365, validFrom: Date? = nil, keyType: KeyType = .p256,
        profile: DeviceProfile = .client, policies: [String] = []
    ) throws -> IssuedDevice {
        try DeviceID.check(id)
        guard days > 0 else { throw HostError("--days must be positive") }
        let start = validFrom ?? Date().addingTimeInterval(-300)
        let privateKeyPEM: String
        let publicKey: Certificate.PublicKey
        switch keyType {
        case .p256:
            let key = P256.Signing.PrivateKey()
            privateKeyPEM = key.pemRepresentation
            publicKey = .init(key.publicKey)
        case .rsa2048:
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            privateKeyPEM = key.pemRepresentation
            publicKey = .init(key.publicKey)
        }
        let certificate = try makeDeviceCertificate(
            id: id, publicKey: publicKey, start: start, days: days, profile: profile,
            policies: try policies.map { policy in
                do { return try ASN1ObjectIdentifier(dotRepresentation: policy) } catch {
                    throw HostError("\"\(policy)\" is not a dotted OID")
                }
            })

        do {
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw HostError("cannot create", outputDirectory, underlying: error)
        }
        let chain =
            try certificate.serializeAsPEM().pemString + "\n"
            + SecureFile.read(path("device-ca.pem"), what: "device CA")
        try SecureFile.writePrivate(privateKeyPEM, to: outputDirectory + "/key.pem")
        try SecureFile.writePublic(chain, to: outputDirectory + "/chain.pem")
        try SecureFile.writePublic(
            try SecureFile.read(path("root.pem"), what: "root CA"), to: outputDirectory + "/trust.pem")
        return Self.record(id: id, certificate)
    }

    private static func record(id: String, _ certificate: Certificate) -> IssuedDevice {
        IssuedDevice(
            id: id, serial: hex(certificate.serialNumber.bytes),
            notAfter: Int64(certificate.notValidAfter.timeIntervalSince1970), revokedAt: nil)
    }

    /// Appends to issued.json under its lock: concurrent issuers (threads or processes) each read the list
    /// with every earlier serial in it, so none is lost and every one stays revocable.
    private func recordIssued(_ records: [IssuedDevice]) throws {
        try FileLock.withLock(path("issued.json")) {
            var issued = try issuedDevices()
            issued.append(contentsOf: records)
            try saveIssued(issued)
        }
    }

    /// RFC 5280 §4.2.1.4: certificatePolicies, one PolicyInformation per OID, no qualifiers
    /// (swift-certificates has no type for it).
    static func certificatePolicies(_ policies: [ASN1ObjectIdentifier]) throws -> Certificate.Extension {
        var value = DER.Serializer()
        try value.appendConstructedNode(identifier: .sequence) { list in
            for policy in policies {
                try list.appendConstructedNode(identifier: .sequence) { try $0.serialize(policy) }
            }
        }
        return Certificate.Extension(oid: [2, 5, 29, 32], critical: false, value: value.serializedBytes[...])
    }

    /// Signs a device certificate with the device CA (the caller records it in issued.json).
    private func makeDeviceCertificate(
        id: String, publicKey: Certificate.PublicKey, start: Date, days: Int, profile: DeviceProfile,
        policies: [ASN1ObjectIdentifier]
    ) throws -> Certificate {
        let (caCertificate, caKey) = try loadDeviceCA()
        let subject = try DistinguishedName([
            RelativeDistinguishedName(
                RelativeDistinguishedName.Attribute(
                    type: .RDNAttributeType.organizationName, utf8String: "TCULink Fleet")),
            RelativeDistinguishedName(
                RelativeDistinguishedName.Attribute(type: .RDNAttributeType.commonName, utf8String: id)),
            RelativeDistinguishedName(
                try RelativeDistinguishedName.Attribute(type: [2, 5, 4, 5], printableString: id)),
        ])
        let caKeyIdentifier =
            try caCertificate.extensions.subjectKeyIdentifier?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: caCertificate.publicKey).keyIdentifier
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: start, notValidAfter: start.addingTimeInterval(Double(days) * 86_400),
            issuer: caCertificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(profile == .client ? [.clientAuth] : [.serverAuth])
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: caKeyIdentifier)
                if !policies.isEmpty { try Self.certificatePolicies(policies) }
            },
            issuerPrivateKey: .init(caKey))

        return certificate
    }

    /// Why a certificate request was refused, each with a specific message.
    public enum RequestRefusal: Error, Equatable, CustomStringConvertible {
        case malformed
        case badSignature
        case identityMismatch(requested: String, authorized: String)
        case asksForCA
        case asksForServerAuth
        case unsupportedKey

        public var description: String {
            switch self {
            case .malformed: return "the certificate request is not a readable PKCS#10 request"
            case .badSignature:
                return "the request's signature does not verify with its own public key (proof of possession failed)"
            case .identityMismatch(let requested, let authorized):
                return "the request asks for identity \"\(requested)\" but the credential authorizes \"\(authorized)\""
            case .asksForCA: return "the request asks for a CA certificate (basicConstraints CA:true)"
            case .asksForServerAuth:
                return "the request asks for extendedKeyUsage serverAuth; devices get clientAuth only"
            case .unsupportedKey: return "the request's key is not ECDSA P-256/P-384 or RSA of at least 2048 bits"
            }
        }
    }

    /// Issues a device certificate for a PKCS#10 request (PEM or DER), after checking it: the
    /// signature verifies (proof of possession), the subject CN (and serialNumber, if any) is
    /// `authorizedID`, and it asks neither for a CA certificate nor for serverAuth. The issued
    /// profile is the device profile whatever the request asks. `beforeSigning` runs once the request has
    /// passed every check and before anything is signed (EST consumes the one-time token there); if it throws,
    /// nothing is issued and its error is rethrown. Returns the chain (leaf, device CA) as PEM.
    public func issueDevice(
        request: [UInt8], authorizedID: String, days: Int = 365, beforeSigning: () throws -> Void = {}
    ) throws -> String {
        guard let der = PEM.decodeAll(request, label: "CERTIFICATE REQUEST")?.first,
            let csr = try? CertificateSigningRequest(derEncoded: der)
        else { throw RequestRefusal.malformed }
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else { throw RequestRefusal.badSignature }
        let names = csr.subject.flatMap { $0 }
        let commonName = names.first { $0.type == .RDNAttributeType.commonName }.map { String(describing: $0.value) }
        let serial = names.first { $0.type == [2, 5, 4, 5] }.map { String(describing: $0.value) }
        guard let commonName, commonName == authorizedID, serial == nil || serial == authorizedID else {
            throw RequestRefusal.identityMismatch(requested: commonName ?? serial ?? "(none)", authorized: authorizedID)
        }
        if let extensions = try? csr.attributes.extensionRequest?.extensions {
            if let constraints = try? extensions.basicConstraints, case .isCertificateAuthority = constraints {
                throw RequestRefusal.asksForCA
            }
            if let usage = try? extensions.extendedKeyUsage, usage.contains(.serverAuth) {
                throw RequestRefusal.asksForServerAuth
            }
        }
        var serializer = DER.Serializer()
        try serializer.serialize(csr.publicKey)
        switch X509Certificate.publicKeyKind(subjectPublicKeyInfo: serializer.serializedBytes) {
        case .ecP256, .ecP384: break
        case .rsa(let bits) where bits >= 2048: break
        case .rsa, .ecOtherCurve, .other: throw RequestRefusal.unsupportedKey
        }
        try beforeSigning()
        let certificate = try makeDeviceCertificate(
            id: authorizedID, publicKey: csr.publicKey, start: Date().addingTimeInterval(-300), days: days,
            profile: .client, policies: [])
        try recordIssued([Self.record(id: authorizedID, certificate)])  // recorded before it is handed out
        return try certificate.serializeAsPEM().pemString + "\n"
            + SecureFile.read(path("device-ca.pem"), what: "device CA")
    }

    /// Revokes every certificate issued to `id` and writes a fresh CRL. Returns how many were revoked.
    @discardableResult
    public func revoke(id: String) throws -> Int {
        try FileLock.withLock(path("issued.json")) { try revokeLocked(id: id) }
    }

    private func revokeLocked(id: String) throws -> Int {
        var issued = try issuedDevices()
        var count = 0
        let now = Int64(Date().timeIntervalSince1970)
        for index in issued.indices where issued[index].id == id && issued[index].revokedAt == nil {
            issued[index].revokedAt = now
            count += 1
        }
        guard count > 0 || issued.contains(where: { $0.id == id }) else {
            throw HostError("no certificate was issued to \"\(id)\" by this PKI")
        }
        try saveIssued(issued)
        try writeCRLLocked(issued)
        return count
    }

    /// Revokes one certificate by serial number (big-endian bytes, leading zeros ignored) and writes a fresh CRL.
    public func revoke(serial: [UInt8]) throws {
        try FileLock.withLock(path("issued.json")) { try revokeLocked(serial: serial) }
    }

    private func revokeLocked(serial: [UInt8]) throws {
        let wanted = hex(serial.drop(while: { $0 == 0 }))
        var issued = try issuedDevices()
        guard
            let index = issued.firstIndex(where: {
                hex((bytes(hex: $0.serial) ?? []).drop(while: { $0 == 0 })) == wanted
            })
        else {
            throw HostError("no certificate with serial \(wanted) was issued by this PKI")
        }
        if issued[index].revokedAt == nil { issued[index].revokedAt = Int64(Date().timeIntervalSince1970) }
        try saveIssued(issued)
        try writeCRLLocked(issued)
    }

    public func issuedDevices() throws -> [IssuedDevice] {
        let text = try SecureFile.read(path("issued.json"), what: "issued.json")
        do {
            return try JSONDecoder().decode([IssuedDevice].self, from: Data(text.utf8))
        } catch {
            throw HostError("\(path("issued.json")) is malformed: \(error)")
        }
    }

    private func saveIssued(_ issued: [IssuedDevice]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try SecureFile.write(try encoder.encode(issued), to: path("issued.json"), mode: 0o644)
    }

    // MARK: - CRL

    /// Writes `crl.pem`: the device CA's CRL (v2), valid for 7 days, listing every revoked serial.
    public func writeCRL() throws {
        try FileLock.withLock(path("issued.json")) { try writeCRLLocked(try issuedDevices()) }
    }

    /// Writes the CRL for `issued`; the caller holds the issued.json lock, so two writers cannot
    /// replace a newer CRL with one made from an older list.
    private func writeCRLLocked(_ issued: [IssuedDevice]) throws {
        let (caCertificate, caKey) = try loadDeviceCA()
        let now = Date()
        let revoked = issued.compactMap { device -> (serial: [UInt8], at: Date)? in
            guard let revokedAt = device.revokedAt, let serial = bytes(hex: device.serial) else { return nil }
            return (serial, Date(timeIntervalSince1970: TimeInterval(revokedAt)))
        }
        let ecdsaWithSHA256: ASN1ObjectIdentifier = "1.2.840.10045.4.3.2"
        // RFC 5280 §5.1: TBSCertList, then the signature algorithm and the signature.
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { tbs in
            try tbs.serialize(1)  // v2
            try tbs.appendConstructedNode(identifier: .sequence) { try $0.serialize(ecdsaWithSHA256) }
            try tbs.serialize(caCertificate.subject)
            try CRLTime.serialize(now.addingTimeInterval(-60), into: &tbs)  // thisUpdate
            try CRLTime.serialize(now.addingTimeInterval(7 * 86_400), into: &tbs)  // nextUpdate
            if !revoked.isEmpty {
                try tbs.appendConstructedNode(identifier: .sequence) { list in
                    for entry in revoked {
                        try list.appendConstructedNode(identifier: .sequence) { item in
                            try item.serialize(ArraySlice(entry.serial))  // INTEGER, the bytes as issued
                            try CRLTime.serialize(entry.at, into: &item)
                        }
                    }
                }
            }
        }
        let signature = try caKey.signature(for: tbs.serializedBytes).derRepresentation
        var crl = DER.Serializer()
        try crl.appendConstructedNode(identifier: .sequence) { crl in
            crl.serializeRawBytes(tbs.serializedBytes)
            try crl.appendConstructedNode(identifier: .sequence) { try $0.serialize(ecdsaWithSHA256) }
            try crl.serialize(ASN1BitString(bytes: ArraySlice(signature)))
        }
        let pem = PEMDocument(type: "X509 CRL", derBytes: crl.serializedBytes).pemString + "\n"
        try SecureFile.writePublic(pem, to: path("crl.pem"))
    }

    private func loadDeviceCA() throws -> (Certificate, P256.Signing.PrivateKey) {
        let certificate = try Certificate(
            pemEncoded: try SecureFile.read(path("device-ca.pem"), what: "device CA certificate"))
        let key = try P256.Signing.PrivateKey(
            pemRepresentation: try SecureFile.read(path("device-ca.key"), what: "device CA key"))
        return (certificate, key)
    }
}

/// Lower-case hex of bytes (serial numbers, digests, session ids in logs and files).
public func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

func bytes(hex: String) -> [UInt8]? {
    var result: [UInt8] = []
    var iterator = hex.makeIterator()
    while let high = iterator.next() {
        guard let low = iterator.next(), let value = UInt8(String([high, low]), radix: 16) else { return nil }
        result.append(value)
    }
    return result
}

/// RFC 5280 §5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050, always in UTC.
enum CRLTime {
    static func serialize(_ date: Date, into serializer: inout DER.Serializer) throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let (year, month, day, hour, minute, second) = (c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        if year < 2050 {
            try serializer.serialize(
                try UTCTime(year: year, month: month, day: day, hours: hour, minutes: minute, seconds: second))
        } else {
            try serializer.serialize(
                try GeneralizedTime(
                    year: year, month: month, day: day, hours: hour, minutes: minute, seconds: second,
                    fractionalSeconds: 0))
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// The server-chain verdict (wolfSSL's signatures, then the core's RFC 5280 path validator), on a
/// mutated chain against a fixed anchor: it must never accept a chain whose signed content changed.
///
/// The input is the chain the server sends, each certificate as a 2-byte big-endian length and its
/// DER, leaf first. The anchor, and the original intermediate and leaf it signed, are read once from
/// $TCU_FUZZ_DATA/path-validator/{root,intermediate,leaf}.der. If the verdict is "accepted", the
/// presented leaf's to-be-signed part must be the original leaf's, and one presented certificate's the
/// original intermediate's: nobody can sign anything else under this anchor.
enum FuzzPathValidator {
    struct Fixture {
        let root: [UInt8]
        let leafTBS: [UInt8]
        let intermediateTBS: [UInt8]
        let time: WallTime
    }

    static let fixture: Fixture = {
        guard let base = getenv("TCU_FUZZ_DATA").map({ String(cString: $0) }),
            let root = read(base + "/path-validator/root.der"),
            let intermediate = read(base + "/path-validator/intermediate.der"),
            let leaf = read(base + "/path-validator/leaf.der"), let leafCertificate = X509Certificate(der: leaf),
            let leafTBS = tbs(leaf), let intermediateTBS = tbs(intermediate)
        else { fatalError("set TCU_FUZZ_DATA to Tests/Fuzz/data (scripts/fuzz does)") }
        let original = ServerChainVerifier.verify(
            leaf: leaf, intermediates: [intermediate], trustAnchors: [root],
            policy: ServerCertificatePolicy(serverName: Array("localhost".utf8)),
            at: .unixSeconds(leafCertificate.notBefore + 3600))
        precondition(original == nil, "the fixture's own chain is refused: \(String(describing: original))")
        return Fixture(
            root: root, leafTBS: leafTBS, intermediateTBS: intermediateTBS,
            time: .unixSeconds(leafCertificate.notBefore + 3600))
    }()

    static func run(_ input: UnsafeRawBufferPointer) {
        var presented: [[UInt8]] = []
        var offset = 0
        while offset + 2 <= input.count, presented.count < 8 {
            let length = Int(input[offset]) << 8 | Int(input[offset + 1])
            offset += 2
            guard length > 0, length <= input.count - offset else { break }
            presented.append(Array(input[offset..<(offset + length)]))
            offset += length
        }
        guard let leaf = presented.first else { return }
        let fixture = self.fixture
        let verdict = ServerChainVerifier.verify(
            leaf: leaf, intermediates: Array(presented.dropFirst()), trustAnchors: [fixture.root],
            policy: ServerCertificatePolicy(serverName: Array("localhost".utf8)), at: fixture.time)
        guard verdict == nil else { return }
        precondition(tbs(leaf) == fixture.leafTBS, "accepted a leaf whose signed content changed")
        precondition(
            presented.dropFirst().contains { tbs($0) == fixture.intermediateTBS },
            "accepted a chain without the intermediate the anchor signed")
    }

    /// The to-be-signed part of a certificate (its first inner element), or nil.
    static func tbs(_ der: [UInt8]) -> [UInt8]? {
        var reader = DERReader(der)
        guard let outer = reader.read(tag: DERTag.sequence) else { return nil }
        var inner = reader.reader(over: outer)
        guard let tbs = inner.read(tag: DERTag.sequence) else { return nil }
        return Array(inner.encoding(of: tbs))
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return bytes
    }
}

/// A CA's nameConstraints extension (RFC 5280 §4.2.1.10): the name spaces that the
/// certificates below it may (permitted) and may not (excluded) use.
///
/// The core evaluates dNSName and iPAddress subtrees exactly. Any other form
/// (directoryName, rfc822Name, URI, otherName…) is recorded as `hasUnsupportedForm`,
/// and a chain under such a CA fails: a constraint the device cannot evaluate must
/// never be read as "no constraint".
public struct NameConstraints: Equatable, Sendable {
    public var permittedDNS: [[UInt8]] = []
    public var excludedDNS: [[UInt8]] = []
    /// Address and mask, 8 bytes for IPv4 or 32 for IPv6.
    public var permittedIP: [[UInt8]] = []
    public var excludedIP: [[UInt8]] = []
    /// A subtree of a form the core does not evaluate, or a `minimum`/`maximum` other than
    /// the defaults RFC 5280 requires.
    public var hasUnsupportedForm = false

    /// Reads the extension's value (the `NameConstraints` SEQUENCE); nil when malformed.
    init?(extensionValue: DERReader) {
        var reader = extensionValue
        guard let sequence = reader.read(tag: DERTag.sequence), reader.isAtEnd else { return nil }
        var fields = reader.reader(over: sequence)
        if fields.peekTag() == 0xA0 {  // [0] permittedSubtrees
            guard let permitted = fields.readElement(),
                readSubtrees(fields.reader(over: permitted), permitted: true)
            else { return nil }
        }
        if fields.peekTag() == 0xA1 {  // [1] excludedSubtrees
            guard let excluded = fields.readElement(),
                readSubtrees(fields.reader(over: excluded), permitted: false)
            else { return nil }
        }
        // RFC 5280 §4.2.1.10: one of the two MUST be present (each, when present, is non-empty).
        guard fields.isAtEnd, sequence.contentEnd > sequence.contentStart else { return nil }
    }

    private mutating func readSubtrees(_ subtrees: DERReader, permitted: Bool) -> Bool {
        var reader = subtrees
        guard !reader.isAtEnd else { return false }  // SIZE (1..MAX)
        while !reader.isAtEnd {
            guard let subtree = reader.read(tag: DERTag.sequence) else { return false }
            var fields = reader.reader(over: subtree)
            guard let base = fields.readElement() else { return false }
            // minimum MUST be zero (absent) and maximum MUST be absent (RFC 5280 §4.2.1.10).
            if !fields.isAtEnd { hasUnsupportedForm = true }
            let value = Array(fields.content(of: base))
            switch base.tag {
            case 0x82:  // [2] dNSName
                guard let name = DNSName.normalizedConstraint(value) else { return false }
                if permitted {
                    permittedDNS.append(name)
                } else {
                    excludedDNS.append(name)
                }
            case 0x87:  // [7] iPAddress: address followed by mask
                guard value.count == 8 || value.count == 32, IPAddressRange.maskIsContiguous(value) else {
                    return false
                }
                if permitted {
                    permittedIP.append(value)
                } else {
                    excludedIP.append(value)
                }
            default:
                hasUnsupportedForm = true
            }
        }
        return true
    }

    /// The most name-against-subtree comparisons one certificate may cost.
    public static let maximumComparisons = 1 << 12

    /// What these constraints say of a certificate's names.
    public enum Verdict: Equatable, Sendable {
        case allowed
        case violated
        case cannotEvaluate
    }

    /// Judges a subordinate certificate's subjectAltName entries. (dNSName and iPAddress
    /// constraints say nothing of other name forms.)
    public func evaluate(dnsNames: [[UInt8]], ipAddresses: [[UInt8]]) -> Verdict {
        if hasUnsupportedForm { return .cannotEvaluate }
        // A bound on the work a hostile chain can cause (thousands of names against thousands of
        // subtrees): past it the chain fails rather than stalls a handshake.
        let subtrees = permittedDNS.count + excludedDNS.count + permittedIP.count + excludedIP.count
        if (dnsNames.count + ipAddresses.count) * subtrees > NameConstraints.maximumComparisons {
            return .cannotEvaluate
        }
        for name in dnsNames {
            guard let host = DNSName.normalizedSubjectName(name) else { return .violated }
            for excluded in excludedDNS where DNSName.mayOverlap(name: host, subtree: excluded) {
                return .violated
            }
            if !permittedDNS.isEmpty {
                var inside = false
                for subtree in permittedDNS where DNSName.isWithin(name: host, subtree: subtree) {
                    inside = true
                    break
                }
                if !inside { return .violated }
            }
        }
        for address in ipAddresses {
            guard address.count == 4 || address.count == 16 else { return .violated }
            for excluded in excludedIP where IPAddressRange.contains(excluded, address) { return .violated }
            if !permittedIP.isEmpty {
                var inside = false
                for range in permittedIP where IPAddressRange.contains(range, address) {
                    inside = true
                    break
                }
                if !inside { return .violated }
            }
        }
        return .allowed
    }
}

/// DNS names in certificates and constraints, compared as RFC 5280 §4.2.1.10 and §7.2 say:
/// case-insensitively, label by label, never as plain string suffixes.
enum DNSName {
    /// A SAN dNSName in canonical form: lowercase, one trailing dot removed. A wildcard is kept
    /// only as the whole left-most label. nil when it is not a valid host name.
    static func normalizedSubjectName(_ name: [UInt8]) -> [UInt8]? {
        guard let labels = labels(of: name) else { return nil }
        for (index, label) in labels.enumerated() where label.contains(UInt8(ascii: "*")) {
            guard index == 0, label == [UInt8(ascii: "*")], labels.count >= 3 else { return nil }
        }
        return join(labels)
    }

    /// A dNSName constraint in canonical form; an empty name matches everything. A leading dot
    /// (".example.com", the URI-constraint convention that some CAs carry over) is not a DNS
    /// name: the constraint is malformed and the chain fails (RFC 5280 §4.2.1.10).
    static func normalizedConstraint(_ name: [UInt8]) -> [UInt8]? {
        if name.isEmpty { return [] }
        guard let labels = labels(of: name) else { return nil }
        for label in labels where label.contains(UInt8(ascii: "*")) { return nil }
        return join(labels)
    }

    /// True when every name `name` stands for lies inside the subtree.
    static func isWithin(name: [UInt8], subtree: [UInt8]) -> Bool {
        if subtree.isEmpty { return true }
        if name.first == UInt8(ascii: "*") {
            // "*.S" stands for every "l.S", each a proper subdomain of S: all inside when S is the
            // subtree's apex or lies below it.
            return hasLabelSuffix(Array(name.dropFirst(2)), subtree, strict: false)
        }
        return hasLabelSuffix(name, subtree, strict: false)
    }

    /// True when some name that `name` stands for lies inside the subtree (for excluded subtrees:
    /// a wildcard that could expand into an excluded name is refused).
    static func mayOverlap(name: [UInt8], subtree: [UInt8]) -> Bool {
        if isWithin(name: name, subtree: subtree) { return true }
        guard name.first == UInt8(ascii: "*") else { return false }
        // "*.S" also reaches an excluded "l.S" itself.
        guard let dot = subtree.firstIndex(of: UInt8(ascii: ".")), dot > 0 else { return false }
        return Array(subtree[(dot + 1)...]) == Array(name.dropFirst(2))
    }

    /// `name` ends with `suffix` on a label boundary (or equals it, unless `strict`).
    private static func hasLabelSuffix(_ name: [UInt8], _ suffix: [UInt8], strict: Bool) -> Bool {
        if name == suffix { return !strict }
        guard name.count > suffix.count + 1 else { return false }
        let start = name.count - suffix.count
        return name[start - 1] == UInt8(ascii: ".") && Array(name[start...]) == suffix
    }

    private static func labels(of name: [UInt8]) -> [[UInt8]]? {
        var text = name
        if text.last == UInt8(ascii: ".") { text.removeLast() }  // one trailing dot: the root
        guard !text.isEmpty, text.count <= 253 else { return nil }
        var labels: [[UInt8]] = [[]]
        for byte in text {
            if byte == UInt8(ascii: ".") {
                labels.append([])
                continue
            }
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
            let isLetterDigitHyphen =
                (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z"))
                || (lower >= UInt8(ascii: "0") && lower <= UInt8(ascii: "9")) || lower == UInt8(ascii: "-")
                || lower == UInt8(ascii: "*")
            guard isLetterDigitHyphen else { return nil }
            labels[labels.count - 1].append(lower)
        }
        for label in labels where label.isEmpty || label.count > 63 { return nil }
        return labels
    }

    private static func join(_ labels: [[UInt8]]) -> [UInt8] {
        var result: [UInt8] = []
        for label in labels {
            if !result.isEmpty { result.append(UInt8(ascii: ".")) }
            result += label
        }
        return result
    }
}

/// iPAddress constraints: an address and a mask of the same family (RFC 5280 §4.2.1.10).
enum IPAddressRange {
    static func contains(_ range: [UInt8], _ address: [UInt8]) -> Bool {
        guard range.count == address.count * 2 else { return false }  // IPv4 never matches an IPv6 range
        for index in 0..<address.count {
            let mask = range[address.count + index]
            if address[index] & mask != range[index] & mask { return false }
        }
        return true
    }

    /// The mask half is ones then zeros (a prefix); anything else is malformed.
    static func maskIsContiguous(_ range: [UInt8]) -> Bool {
        let mask = range[(range.count / 2)...]
        var seenZero = false
        for byte in mask {
            for bit in (0..<8).reversed() {
                let isOne = (byte >> UInt8(bit)) & 1 == 1
                if isOne && seenZero { return false }
                if !isOne { seenZero = true }
            }
        }
        return true
    }
}

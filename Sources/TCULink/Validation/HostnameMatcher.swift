/// Matches the host a device dialled against a server certificate's subjectAltName (RFC 6125, RFC 9525).
///
/// Only the SAN counts: the subject CN is ignored, as modern verifiers do. A DNS
/// name matches case-insensitively; a wildcard stands for exactly one whole
/// left-most label (`*.example.com` matches `a.example.com`, not `example.com`
/// or `a.b.example.com`). A numeric host matches an iPAddress entry only, never a
/// dNSName or a wildcard: IPv4 in canonical dotted-quad form alone (`192.0.2.010` and
/// `0x7f.1` match nothing), IPv6 in RFC 4291 text form (with or without brackets).
public enum HostnameMatcher {
    public static func matches(host: [UInt8], certificate: X509Certificate) -> Bool {
        if looksNumeric(host) {
            guard let address = parseIPAddress(host) else { return false }
            for candidate in certificate.ipAddresses where candidate == address { return true }
            return false
        }
        // The dialled name must itself be a host name (letters, digits, hyphens; no wildcard).
        guard !host.contains(UInt8(ascii: "*")), let wanted = DNSName.normalizedSubjectName(host) else { return false }
        for pattern in certificate.dnsNames
        where matchesDNS(pattern: lowercased(trimTrailingDot(pattern)), host: wanted) {
            return true
        }
        return false
    }

    /// True when `host` is (or tries to be) a numeric address, for which SNI must not be sent (RFC 6066 §3).
    public static func isIPLiteral(_ host: [UInt8]) -> Bool {
        looksNumeric(host)
    }

    /// The 4 or 16 bytes of a numeric host; nil when it is not a canonical address.
    public static func parseIPAddress(_ host: [UInt8]) -> [UInt8]? {
        if host.contains(UInt8(ascii: ":")) { return parseIPv6(host) }
        return parseIPv4(host)
    }

    /// IPv6 (a colon) or a name whose last label is all digits (no top-level domain is): an
    /// address, canonical or not, and never a DNS name.
    static func looksNumeric(_ host: [UInt8]) -> Bool {
        if host.contains(UInt8(ascii: ":")) { return true }
        let name = trimTrailingDot(host)
        guard let lastDot = name.lastIndex(of: UInt8(ascii: ".")) else { return isDigits(name[...]) && !name.isEmpty }
        let last = name[(lastDot + 1)...]
        return !last.isEmpty && isDigits(last)
    }

    static func matchesDNS(pattern: [UInt8], host: [UInt8]) -> Bool {
        if pattern.count >= 2, pattern[0] == UInt8(ascii: "*"), pattern[1] == UInt8(ascii: ".") {
            let suffix = Array(pattern.dropFirst(1))  // ".example.com"
            // The suffix must have at least two labels, so "*.com" matches nothing.
            guard suffix.dropFirst().contains(UInt8(ascii: ".")) else { return false }
            guard let firstDot = host.firstIndex(of: UInt8(ascii: ".")), firstDot > 0 else { return false }
            return Array(host[firstDot...]) == suffix
        }
        if pattern.contains(UInt8(ascii: "*")) { return false }  // partial wildcards are not honoured
        return pattern == host
    }

    /// Four decimal octets, no leading zeros, nothing else.
    static func parseIPv4(_ host: [UInt8]) -> [UInt8]? {
        var octets: [UInt8] = []
        var start = 0
        for index in 0...host.count {
            guard index == host.count || host[index] == UInt8(ascii: ".") else { continue }
            let part = host[start..<index]
            guard !part.isEmpty, part.count <= 3, isDigits(part), octets.count < 4 else { return nil }
            guard part.count == 1 || part.first != UInt8(ascii: "0") else { return nil }  // "010" is not 10
            var value = 0
            for digit in part { value = value * 10 + Int(digit - UInt8(ascii: "0")) }
            guard value <= 255 else { return nil }
            octets.append(UInt8(value))
            start = index + 1
        }
        return octets.count == 4 ? octets : nil
    }

    /// RFC 4291 §2.2 text: eight groups of 1-4 hex digits, one "::" for a run of zero groups,
    /// optionally a dotted-quad IPv4 tail; surrounding brackets allowed, zone identifiers not.
    static func parseIPv6(_ text: [UInt8]) -> [UInt8]? {
        var host = text[...]
        if host.first == UInt8(ascii: "[") {
            guard host.last == UInt8(ascii: "]") else { return nil }
            host = host.dropFirst().dropLast()
        }
        var head: [UInt8] = []
        var tail: [UInt8] = []
        var seenDoubleColon = false
        var groups = Array(host).split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            .map { Array($0) }
        // "::" at either end splits into an extra empty group; fold it into the double colon.
        if groups.count >= 2, groups[0].isEmpty {
            guard groups[1].isEmpty else { return nil }
            groups.removeFirst()
        }
        if groups.count >= 2, groups[groups.count - 1].isEmpty {
            guard groups[groups.count - 2].isEmpty else { return nil }
            groups.removeLast()
        }
        for (position, group) in groups.enumerated() {
            if group.isEmpty {
                guard !seenDoubleColon else { return nil }
                seenDoubleColon = true
                continue
            }
            var bytes: [UInt8]
            if position == groups.count - 1, group.contains(UInt8(ascii: ".")) {
                guard let v4 = parseIPv4(group) else { return nil }
                bytes = v4
            } else {
                guard group.count <= 4, let value = hexValue(group) else { return nil }
                bytes = [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            if seenDoubleColon { tail += bytes } else { head += bytes }
        }
        let count = head.count + tail.count
        if seenDoubleColon {
            guard count <= 14 else { return nil }
            return head + [UInt8](repeating: 0, count: 16 - count) + tail
        }
        return count == 16 ? head : nil
    }

    private static func hexValue(_ digits: [UInt8]) -> Int? {
        var value = 0
        for digit in digits {
            let nibble: Int
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = Int(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = Int(digit - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = Int(digit - UInt8(ascii: "A")) + 10
            default: return nil
            }
            value = value << 4 | nibble
        }
        return value
    }

    private static func isDigits(_ text: ArraySlice<UInt8>) -> Bool {
        for character in text where character < UInt8(ascii: "0") || character > UInt8(ascii: "9") { return false }
        return true
    }

    private static func trimTrailingDot(_ name: [UInt8]) -> [UInt8] {
        name.last == UInt8(ascii: ".") ? Array(name.dropLast()) : name
    }

    private static func lowercased(_ name: [UInt8]) -> [UInt8] {
        name.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
    }
}

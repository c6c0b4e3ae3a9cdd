/// Matches the host a device dialled against a server certificate's subjectAltName (RFC 6125).
///
/// Only the SAN counts: the subject CN is ignored, as modern verifiers do. A DNS
/// name matches case-insensitively; a wildcard stands for exactly one whole
/// left-most label (`*.example.com` matches `a.example.com`, not `example.com`
/// or `a.b.example.com`). A numeric IPv4 host matches an iPAddress entry only.
public enum HostnameMatcher {
    public static func matches(host: [UInt8], certificate: X509Certificate) -> Bool {
        if let address = parseIPv4(host) {
            for candidate in certificate.ipAddresses where candidate == address { return true }
            return false
        }
        if isIPv6Literal(host) {
            // IPv6 literals are not matched yet: refuse rather than guess.
            return false
        }
        let wanted = lowercased(trimTrailingDot(host))
        guard !wanted.isEmpty else { return false }
        for pattern in certificate.dnsNames
        where matchesDNS(pattern: lowercased(trimTrailingDot(pattern)), host: wanted) {
            return true
        }
        return false
    }

    /// True when `host` is a numeric address, for which SNI must not be sent (RFC 6066 §3).
    public static func isIPLiteral(_ host: [UInt8]) -> Bool {
        parseIPv4(host) != nil || isIPv6Literal(host)
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

    static func parseIPv4(_ host: [UInt8]) -> [UInt8]? {
        var octets: [UInt8] = []
        var value = 0
        var digits = 0
        for character in host {
            if character == UInt8(ascii: ".") {
                guard digits > 0, octets.count < 3 else { return nil }
                octets.append(UInt8(value))
                value = 0
                digits = 0
            } else if character >= UInt8(ascii: "0"), character <= UInt8(ascii: "9") {
                value = value * 10 + Int(character - UInt8(ascii: "0"))
                digits += 1
                guard value <= 255, digits <= 3 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, octets.count == 3 else { return nil }
        octets.append(UInt8(value))
        return octets
    }

    static func isIPv6Literal(_ host: [UInt8]) -> Bool {
        host.contains(UInt8(ascii: ":"))
    }

    private static func trimTrailingDot(_ name: [UInt8]) -> [UInt8] {
        name.last == UInt8(ascii: ".") ? Array(name.dropLast()) : name
    }

    private static func lowercased(_ name: [UInt8]) -> [UInt8] {
        name.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
    }
}

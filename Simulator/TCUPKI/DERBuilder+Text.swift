import TCULink

// DER helpers that work on text, for the host PKI only (kept out of the core: String
// processing would pull Unicode tables into firmware).
extension DERBuilder {
    /// An OID from its dotted form.
    public static func objectIdentifier(_ dotted: String) -> [UInt8]? {
        let parts = dotted.split(separator: ".").compactMap { UInt64($0) }
        guard parts.count >= 2, parts.count == dotted.split(separator: ".").count, parts[0] <= 2,
            parts[1] < 40 || parts[0] == 2
        else { return nil }
        var content = DERBuilder.base128(parts[0] * 40 + parts[1])
        for part in parts.dropFirst(2) { content += DERBuilder.base128(part) }
        return tlv(0x06, content)
    }

    /// UTCTime for years before 2050, GeneralizedTime after (RFC 5280 §4.1.2.5).
    public static func time(_ unixSeconds: Int64) -> [UInt8] {
        let (year, month, day, hour, minute, second) = civil(unixSeconds)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let clock = two(month) + two(day) + two(hour) + two(minute) + two(second) + "Z"
        if year < 2050 { return tlv(0x17, Array((two(year % 100) + clock).utf8)) }
        return tlv(0x18, Array(("\(year)" + clock).utf8))
    }

    /// (year, month, day, hour, minute, second) of a Unix time (Howard Hinnant's civil_from_days).
    static func civil(_ seconds: Int64) -> (Int64, Int64, Int64, Int64, Int64, Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60)
    }
}

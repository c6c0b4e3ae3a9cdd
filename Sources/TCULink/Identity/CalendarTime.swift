/// Conversions between ASN.1 times and seconds since the Unix epoch, without a C library.
enum CalendarTime {
    /// `YYMMDDHHMMSSZ`; years 50–99 are 19xx, 00–49 are 20xx (RFC 5280 §4.1.2.5.1).
    static func parseUTCTime(_ text: ArraySlice<UInt8>) -> Int64? {
        guard text.count == 13, text.last == UInt8(ascii: "Z") else { return nil }
        let digits = Array(text)
        guard let yy = number(digits, 0, 2) else { return nil }
        let year = yy >= 50 ? 1900 + yy : 2000 + yy
        return fields(digits, year: year, from: 2)
    }

    /// `YYYYMMDDHHMMSSZ` (RFC 5280 §4.1.2.5.2: no fractions, always Zulu).
    static func parseGeneralizedTime(_ text: ArraySlice<UInt8>) -> Int64? {
        guard text.count == 15, text.last == UInt8(ascii: "Z") else { return nil }
        let digits = Array(text)
        guard let year = number(digits, 0, 4) else { return nil }
        return fields(digits, year: year, from: 4)
    }

    private static func fields(_ digits: [UInt8], year: Int64, from start: Int) -> Int64? {
        guard let month = number(digits, start, 2), let day = number(digits, start + 2, 2),
            let hour = number(digits, start + 4, 2), let minute = number(digits, start + 6, 2),
            let second = number(digits, start + 8, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    private static func number(_ digits: [UInt8], _ start: Int, _ count: Int) -> Int64? {
        var value: Int64 = 0
        for index in start..<(start + count) {
            let digit = digits[index]
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

import Foundation

/// Conversion between `Date` and PostgreSQL's ISO timestamp text (`2026-11-25 20:20:00.123456+00`).
///
/// Written by hand because it runs for every timestamp cell: no formatter objects, no locale.
enum PostgresTimestamp {
    /// Microsecond-precision UTC text that the server reads as `timestamptz`.
    static func format(_ date: Date) -> String {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard totalMicros.isFinite, abs(totalMicros) < 9e18 else {
            return totalMicros < 0 ? "-infinity" : "infinity"
        }
        let micros = Int64(totalMicros)
        var days = micros / 86_400_000_000
        var rest = micros % 86_400_000_000
        if rest < 0 {
            rest += 86_400_000_000
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        let seconds = rest / 1_000_000
        let fraction = rest % 1_000_000
        // The proleptic calendar has no year 0: year 0 is 1 BC.
        var text = pad(year > 0 ? year : 1 - year, 4)
        text += "-" + pad(month, 2) + "-" + pad(day, 2) + " "
        text += pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
        if fraction != 0 { text += "." + pad(fraction, 6) }
        text += "+00"
        if year <= 0 { text += " BC" }
        return text
    }

    /// Parses the server's ISO output (DateStyle ISO). Returns nil for anything else.
    static func parse(_ text: some StringProtocol) -> Date? {
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        var bytes = Array(text.utf8)
        var isBC = false
        if bytes.count > 3, bytes.suffix(3) == Array(" BC".utf8) {
            isBC = true
            bytes.removeLast(3)
        }
        var index = 0
        func number(_ minDigits: Int, _ maxDigits: Int) -> Int64? {
            var value: Int64 = 0
            var digits = 0
            while index < bytes.count, digits < maxDigits, bytes[index] >= 48, bytes[index] <= 57 {
                value = value * 10 + Int64(bytes[index] - 48)
                index += 1
                digits += 1
            }
            return digits >= minDigits ? value : nil
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard var year = number(4, 7), expect(UInt8(ascii: "-")),
            let month = number(2, 2), expect(UInt8(ascii: "-")),
            let day = number(2, 2)
        else { return nil }
        if isBC { year = 1 - year }
        var micros: Int64 = 0
        if index < bytes.count {
            guard expect(UInt8(ascii: " ")) || expect(UInt8(ascii: "T")),
                let hour = number(2, 2), expect(UInt8(ascii: ":")),
                let minute = number(2, 2), expect(UInt8(ascii: ":")),
                let second = number(2, 2)
            else { return nil }
            micros = ((hour * 60 + minute) * 60 + second) * 1_000_000
            if expect(UInt8(ascii: ".")) {
                let start = index
                guard let fraction = number(1, 6) else { return nil }
                var scaled = fraction
                for _ in (index - start)..<6 { scaled *= 10 }
                micros += scaled
            }
            if index < bytes.count {
                let sign: Int64
                if expect(UInt8(ascii: "+")) {
                    sign = 1
                } else if expect(UInt8(ascii: "-")) {
                    sign = -1
                } else {
                    return nil
                }
                guard let offsetHours = number(2, 2) else { return nil }
                var offset = offsetHours * 3600
                if expect(UInt8(ascii: ":")) {
                    guard let offsetMinutes = number(2, 2) else { return nil }
                    offset += offsetMinutes * 60
                    if expect(UInt8(ascii: ":")) {
                        guard let offsetSeconds = number(2, 2) else { return nil }
                        offset += offsetSeconds
                    }
                }
                micros -= sign * offset * 1_000_000
            }
        }
        guard index == bytes.count, (1...12).contains(month), (1...31).contains(day) else { return nil }
        let days = Self.days(fromCivil: year, Int(month), Int(day))
        let total = days * 86_400_000_000 + micros
        return Date(timeIntervalSince1970: Double(total / 1_000_000) + Double(total % 1_000_000) / 1_000_000)
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(fromCivil year: Int64, _ month: Int, _ day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date for days since 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

public import Foundation

/// When a new key stops working, as `mpshook keys create --expires` takes it: a span from now
/// (`90d`, `12h`, `30m`) or an ISO 8601 instant (`2026-03-31T18:00:00Z`, with `Z` or an offset)
/// or date (`2026-03-31`: 00:00 UTC that day). Always in the future and at most
/// ``maximumSpan`` away; with no `--expires` a key does not expire.
public enum APIKeyExpiry {
    /// The furthest an expiry may be: ten years (3650 days).
    public static let maximumSpan: TimeInterval = 3650 * 86_400

    /// Why a text is not an expiry.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        /// A sentence for the person who typed it.
        public var description: String
    }

    /// The instant `text` names, counted from `now` for a span. Throws ``Invalid`` for anything
    /// else, for a past instant and for one more than ``maximumSpan`` away; its sentence names
    /// the value as `label` (the command line's `--expires`, the API's `expires` member).
    public static func parse(_ text: some StringProtocol, now: Date, label: String = "--expires") throws(Invalid) -> Date {
        let text = String(decoding: Array(text.utf8.prefix(41)), as: UTF8.self)
        let usage = "\(label) takes a span (90d, 12h, 30m) or an ISO 8601 date (2026-03-31) or time with its zone (2026-03-31T18:00:00Z)"
        guard !text.isEmpty, text.utf8.count <= 40, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw Invalid(description: usage)
        }
        let date: Date
        if let span = span(text) {
            date = now.addingTimeInterval(span)
        } else if let instant = instant(text) {
            date = instant
        } else {
            throw Invalid(description: usage)
        }
        guard date > now else { throw Invalid(description: "\(label) \(text) is not in the future") }
        guard date.timeIntervalSince(now) <= maximumSpan else {
            throw Invalid(description: "\(label) \(text) is more than 10 years away (leave \(label) out for a key that does not expire)")
        }
        return date
    }

    /// `<digits><d|h|m>` in seconds; nil for anything else. At most 7 digits, so it cannot overflow.
    private static func span(_ text: String) -> TimeInterval? {
        guard let unit = text.last, text.count >= 2, text.count <= 8 else { return nil }
        let digits = text.dropLast()
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int(digits) else { return nil }
        let seconds: Int
        switch unit {
        case "d": seconds = 86_400
        case "h": seconds = 3_600
        case "m": seconds = 60
        default: return nil
        }
        return TimeInterval(count * seconds)
    }

    /// An ISO 8601 date (UTC midnight) or date and time with a zone (`Z` or `±HH:MM`, optional
    /// fraction of a second); a time without a zone is refused (whose midnight?). Read field by
    /// field and checked by a round trip through the calendar, so `2026-02-30` or `25:00` are
    /// refused, not rolled over as formatters do.
    private static func instant(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, range.allSatisfy({ (0x30...0x39).contains(bytes[$0]) }) else { return nil }
            return range.reduce(0) { $0 * 10 + Int(bytes[$1] - 0x30) }
        }
        func byte(_ index: Int, is character: Character) -> Bool {
            index < bytes.count && bytes[index] == character.asciiValue
        }
        guard let year = number(0..<4), byte(4, is: "-"), let month = number(5..<7), byte(7, is: "-"), let day = number(8..<10)
        else { return nil }
        var components = DateComponents(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
        var offset = 0
        var fraction = 0.0
        if bytes.count > 10 {
            guard byte(10, is: "T"), let hour = number(11..<13), byte(13, is: ":"), let minute = number(14..<16), byte(16, is: ":"),
                let second = number(17..<19)
            else { return nil }
            components.hour = hour
            components.minute = minute
            components.second = second
            var index = 19
            if byte(index, is: ".") {
                let start = index + 1
                index = start
                while index < bytes.count, (0x30...0x39).contains(bytes[index]), index - start < 9 { index += 1 }
                guard index > start, let digits = Double("0." + String(decoding: bytes[start..<index], as: UTF8.self)) else { return nil }
                fraction = digits
            }
            if byte(index, is: "Z"), index + 1 == bytes.count {
                offset = 0
            } else if byte(index, is: "+") || byte(index, is: "-"), index + 6 == bytes.count, let hours = number((index + 1)..<(index + 3)),
                byte(index + 3, is: ":"), let minutes = number((index + 4)..<(index + 6)), hours < 24, minutes < 60
            {
                offset = (hours * 3600 + minutes * 60) * (byte(index, is: "-") ? -1 : 1)
            } else {
                return nil
            }
        }
        var calendar = Calendar(identifier: .gregorian)
        guard let zone = TimeZone(secondsFromGMT: offset) else { return nil }
        calendar.timeZone = zone
        guard let date = calendar.date(from: components) else { return nil }
        let back = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        guard back.year == components.year, back.month == components.month, back.day == components.day,
            back.hour == components.hour, back.minute == components.minute, back.second == components.second
        else { return nil }
        return date.addingTimeInterval(fraction)
    }
}

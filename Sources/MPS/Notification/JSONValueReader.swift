import Foundation

/// A cursor over one JSON value's bytes that reads only what its caller asks for, in one pass,
/// without building a tree or allocating (strings the caller reads are the only allocations).
///
/// It is meant for bytes ``NotificationScanner`` already validated as RFC 8259 JSON, and reads
/// them the way Foundation's `JSONDecoder` would (strings, keys, `Int` and `Double` below). On
/// any other input it never traps and never reads outside `bytes`: a malformed value reads as
/// nil (absent, or no end).
///
/// Positions are indices into `bytes`; a value is given by the index of its first byte.
struct JSONValueReader {
    let bytes: UnsafeBufferPointer<UInt8>

    enum Kind { case object, array, string, number, bool, null }

    /// A string's text between its quotes, and what reading it needs to know.
    struct StringBytes {
        /// The bytes between the quotes, escapes as written.
        var inner: Range<Int>
        var hasEscape: Bool
        /// Whether every byte is ASCII (then it is valid UTF-8 without checking).
        var isASCII: Bool
    }

    /// The kind of the value starting at `index`, by its first byte; nil when none starts there.
    @inline(__always)
    func kind(at index: Int) -> Kind? {
        guard index >= 0, index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: return nil
        }
    }

    func skipWhitespace(from index: Int) -> Int {
        var index = max(index, 0)
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return index
            }
        }
        return index
    }

    /// The index just past the value starting at `index`; nil when none does. Containers are
    /// stepped over by their brackets (strings inside skipped whole), not read member by member.
    func end(ofValueAt index: Int) -> Int? {
        switch kind(at: index) {
        case .string: return string(at: index)?.end
        case .object, .array:
            var depth = 0
            var at = index
            while at < bytes.count {
                switch bytes[at] {
                case UInt8(ascii: "\""):
                    // Step over the string: to its closing quote, escapes two bytes at a time.
                    at += 1
                    while at < bytes.count, bytes[at] != UInt8(ascii: "\"") {
                        at += bytes[at] == UInt8(ascii: "\\") ? 2 : 1
                    }
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return at + 1 }
                default: break
                }
                at += 1
            }
            return nil
        case .number:
            var at = index
            while at < bytes.count {
                switch bytes[at] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
                    at += 1
                default: return at
                }
            }
            return at
        case .bool, .null:
            let word: StaticString = bytes[index] == UInt8(ascii: "t") ? "true" : bytes[index] == UInt8(ascii: "f") ? "false" : "null"
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return nil }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
                return nil
            }
            return index + count
        case nil: return nil
        }
    }

    /// The string starting at `index` (its opening quote), and the index past its closing quote.
    func string(at index: Int) -> (bytes: StringBytes, end: Int)? {
        guard kind(at: index) == .string else { return nil }
        var at = index + 1
        var hasEscape = false
        var high: UInt8 = 0
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                return (StringBytes(inner: (index + 1)..<at, hasEscape: hasEscape, isASCII: high < 0x80), at + 1)
            }
            if byte == UInt8(ascii: "\\") {
                hasEscape = true
                at += 2
            } else {
                high |= byte
                at += 1
            }
        }
        return nil
    }

    /// Calls `member` with each member's key and the index where its value starts; `member`
    /// returns the index past that value (having read it, or ``end(ofValueAt:)``). Returns the
    /// index past the object; nil when the value at `index` is not a (well-formed) object.
    func forEachMember(ofObjectAt index: Int, _ member: (StringBytes, Int) -> Int?) -> Int? {
        guard kind(at: index) == .object else { return nil }
        var at = skipWhitespace(from: index + 1)
        if at < bytes.count, bytes[at] == UInt8(ascii: "}") { return at + 1 }
        while true {
            guard let (key, keyEnd) = string(at: at) else { return nil }
            at = skipWhitespace(from: keyEnd)
            guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipWhitespace(from: at + 1)
            // The end must move forward and stay inside: a caller's mistake must not loop or trap.
            guard let valueEnd = member(key, valueStart), valueEnd > valueStart, valueEnd <= bytes.count else { return nil }
            at = skipWhitespace(from: valueEnd)
            guard at < bytes.count else { return nil }
            switch bytes[at] {
            case UInt8(ascii: ","): at = skipWhitespace(from: at + 1)
            case UInt8(ascii: "}"): return at + 1
            default: return nil
            }
        }
    }

    /// Calls `element` with the index where each element of the array at `index` starts;
    /// `element` returns the index past it. Returns the index past the array; nil when the
    /// value at `index` is not a (well-formed) array.
    func forEachElement(ofArrayAt index: Int, _ element: (Int) -> Int?) -> Int? {
        guard kind(at: index) == .array else { return nil }
        var at = skipWhitespace(from: index + 1)
        if at < bytes.count, bytes[at] == UInt8(ascii: "]") { return at + 1 }
        while true {
            guard let end = element(at), end > at, end <= bytes.count else { return nil }
            at = skipWhitespace(from: end)
            guard at < bytes.count else { return nil }
            switch bytes[at] {
            case UInt8(ascii: ","): at = skipWhitespace(from: at + 1)
            case UInt8(ascii: "]"): return at + 1
            default: return nil
            }
        }
    }

    /// Whether `key` (or any string) is text JSONDecoder can read: valid UTF-8 once unescaped.
    /// (Escapes are ASCII, so the raw bytes are valid exactly when the unescaped ones are.)
    func isReadable(_ string: StringBytes) -> Bool {
        string.isASCII || String(validating: UnsafeBufferPointer(rebasing: bytes[string.inner]), as: UTF8.self) != nil
    }

    /// The string's text, unescaped; nil when it is not valid UTF-8 (JSONDecoder refuses it too).
    func text(_ string: StringBytes) -> String? {
        let inner = UnsafeBufferPointer(rebasing: bytes[string.inner])
        if !string.hasEscape {
            return string.isASCII ? String(decoding: inner, as: UTF8.self) : String(validating: inner, as: UTF8.self)
        }
        guard isReadable(string) else { return nil }
        return NotificationScanner.unescaped(inner)
    }

    /// The string value at `index` as JSONDecoder reads a `String`: nil for any other kind.
    func string(valueAt index: Int) -> String? {
        string(at: index).flatMap { text($0.bytes) }
    }

    /// The number at `index` (ending at `end`) as JSONDecoder reads an `Int` (swift-foundation's
    /// `unwrapFixedWidthInteger`): an integer written plainly is read exactly. Anything else is
    /// read as a Double, which must be whole and an Int; below 2^53 (where Doubles are exact)
    /// that is the value, so `50.0`, `5e1` and `1.0000000000000001` read as 50, 50 and 1. From
    /// 2^53 up the text is read again as a `Decimal`, whose whole part (when its digits fit 64
    /// bits) is the value. Nil for other kinds, fractions, and numbers out of range.
    func int(at index: Int, end: Int) -> Int? {
        guard kind(at: index) == .number, end > index, end <= bytes.count else { return nil }
        let number = UnsafeBufferPointer(rebasing: bytes[index..<end])
        if let plain = Self.plainInteger(number) { return plain }
        let text = String(decoding: number, as: UTF8.self)
        if let double = Double(text) {
            guard let value = Int(exactly: double) else { return nil }
            if double.magnitude < 0x1p53 { return value }
        }
        return Decimal(string: text).flatMap(Self.wholePart)
    }

    /// The number at `index` (ending at `end`) as JSONDecoder reads a `Double`: the nearest
    /// Double, nil when that is infinite or when it is zero but ``isZeroAsJSONDecoderSeesIt(_:)``
    /// says the text is not (an underflow, such as `1e-400`).
    func double(at index: Int, end: Int) -> Double? {
        guard kind(at: index) == .number, end > index, end <= bytes.count else { return nil }
        let number = UnsafeBufferPointer(rebasing: bytes[index..<end])
        guard let double = Double(String(decoding: number, as: UTF8.self)), double.isFinite else { return nil }
        guard double != 0 || Self.isZeroAsJSONDecoderSeesIt(number) else { return nil }
        return double
    }

    /// Whether a number that parsed as zero was written as zero, decided exactly as
    /// swift-foundation's `JSONScanner.isTrueZero` (Swift 6.3) decides it: a digit 1–9 before
    /// the exponent means the value underflowed. Its check goes through the text in blocks of
    /// four from the front, but through the last `count % 4` bytes from the back, so there an
    /// exponent digit is seen before the `e`: `0e5`, `0E8` and `0.000e+7` count as underflows
    /// (nil), `0e999` and `0.000e-5` as zero. That is a Foundation bug, kept on purpose so the
    /// reader gives exactly the reports JSONDecoder gave; a differential test pins it, and
    /// would fail (to be simplified here) once Foundation fixes it.
    static func isZeroAsJSONDecoderSeesIt(_ number: UnsafeBufferPointer<UInt8>) -> Bool {
        func check(_ offset: Int) -> Bool? {
            switch number[offset] {
            case UInt8(ascii: "1")...UInt8(ascii: "9"): false
            case UInt8(ascii: "e"), UInt8(ascii: "E"): true
            default: nil
            }
        }
        var offset = 0
        while number.count - offset >= 4 {
            for at in offset..<(offset + 4) {
                if let decided = check(at) { return decided }
            }
            offset += 4
        }
        for at in (offset..<number.count).reversed() {
            if let decided = check(at) { return decided }
        }
        return true
    }

    /// `-?[0-9]+` read exactly; nil when the text is anything else or out of Int's range.
    static func plainInteger(_ number: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        let negative = number.first == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < number.count else { return nil }
        var magnitude: UInt64 = 0
        while index < number.count {
            let byte = number[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            index += 1
        }
        if negative {
            guard magnitude <= UInt64(Int.max) + 1 else { return nil }
            return Int(truncatingIfNeeded: 0 &- magnitude)
        }
        guard magnitude <= UInt64(Int.max) else { return nil }
        return Int(magnitude)
    }

    /// A Decimal's value without its fraction, as swift-foundation converts one to an integer:
    /// its significand's digits must fit 64 bits (otherwise nil, even when the whole part would
    /// fit), and a negative one must be above `Int.min`. Read from the Decimal's exact text
    /// (`[-]digits[.digits]`), as its stored fields are not public here.
    static func wholePart(_ decimal: Decimal) -> Int? {
        var digits: UInt64 = 0
        var fractionDigits = 0
        var negative = false
        var afterPoint = false
        for byte in decimal.description.utf8 {
            switch byte {
            case UInt8(ascii: "-"): negative = true
            case UInt8(ascii: "."): afterPoint = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (times10, overflow1) = digits.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                digits = sum
                if afterPoint { fractionDigits += 1 }
            default: return nil  // NaN: no number
            }
        }
        var whole = digits
        for _ in 0..<fractionDigits { whole /= 10 }
        guard let value = Int(exactly: whole) else { return nil }
        return negative ? -value : value
    }
}

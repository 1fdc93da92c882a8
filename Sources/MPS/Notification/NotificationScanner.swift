/// One strict pass over a notification body (RFC 8259 JSON, no tree built) that yields what the
/// door needs: whether it is JSON at all, the envelope members (`EventType`, `SessionContext`,
/// `Timestamp`, `Sign` and the event, `BatchTaskEvent`, at the top level or inside a
/// `{"Response": …}` object), and the byte ranges of the `Timestamp` and `Sign` values that
/// ``NotificationFingerprint`` leaves out.
///
/// It is the only reader of the envelope: the door verifies what it finds and the applier
/// decodes only the `BatchTaskEvent` bytes it points at. A body other readers could take
/// differently (an envelope key written with escapes, an envelope key twice, a `Response`
/// wrapper beside top-level envelope members, a `Response` that is not an object) is flagged
/// ``Result/isAmbiguous`` so it can be refused rather than guessed at.
///
/// The door runs this on every callback; it costs a fraction of `JSONDecoder`. The body must
/// already be valid UTF-8 (the door checks that first).
struct NotificationScanner {
    /// Where one envelope member's value lies, and what kind of JSON value it is.
    struct Member {
        enum Kind { case string, number, null, other }
        var range: Range<Int>
        var kind: Kind
    }

    /// The envelope members of one object level.
    struct Envelope {
        var eventType: Member?
        var sessionContext: Member?
        var timestamp: Member?
        var sign: Member?
        /// `BatchTaskEvent`: the event the applier reads.
        var event: Member?

        var isEmpty: Bool {
            eventType == nil && sessionContext == nil && timestamp == nil && sign == nil && event == nil
        }
    }

    /// The member names that make up the envelope, and `Response`, the wrapper's.
    enum Name: CaseIterable {
        case eventType, sessionContext, timestamp, sign, event, response

        var key: String {
            switch self {
            case .eventType: "EventType"
            case .sessionContext: "SessionContext"
            case .timestamp: "Timestamp"
            case .sign: "Sign"
            case .event: "BatchTaskEvent"
            case .response: "Response"
            }
        }

        /// The name a raw (escape-free) key spells, compared byte for byte.
        init?(raw key: UnsafeBufferPointer<UInt8>) {
            switch key.count {
            case 4 where key.elementsEqual("Sign".utf8): self = .sign
            case 8 where key.elementsEqual("Response".utf8): self = .response
            case 9 where key.elementsEqual("EventType".utf8): self = .eventType
            case 9 where key.elementsEqual("Timestamp".utf8): self = .timestamp
            case 14 where key.elementsEqual("SessionContext".utf8): self = .sessionContext
            case 14 where key.elementsEqual("BatchTaskEvent".utf8): self = .event
            default: return nil
            }
        }
    }

    struct Result {
        var top: Envelope
        /// Set when the body has a `Response` member that is an object.
        var response: Envelope?
        /// The `Timestamp` and `Sign` value ranges, in order.
        var signatureRanges: [Range<Int>]
        /// Whether a string holds the escape `\u0000` (well-formed JSON, but no text store takes it).
        var hasNULEscape = false
        /// Whether readers could disagree on the envelope (see the type's documentation).
        var isAmbiguous = false

        /// The envelope the notification is read from: the wrapper's when there is one.
        var envelope: Envelope { response ?? top }
    }

    static let maximumDepth = 200

    /// Scans `body`; nil when it is not a single well-formed JSON object.
    static func scan(_ body: UnsafeBufferPointer<UInt8>) -> Result? {
        var scanner = Cursor(bytes: body)
        var result = Result(top: Envelope(), response: nil, signatureRanges: [])
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "{") else { return nil }
        var top = Envelope()
        guard scanner.object(depth: 1, envelope: &top, result: &result, isWrapper: false) else { return nil }
        result.top = top
        scanner.skipWhitespace()
        guard scanner.index == body.count else { return nil }
        result.hasNULEscape = scanner.sawNULEscape
        // Both a wrapper and top-level envelope members: which one MPS meant is a guess.
        if result.response != nil, !top.isEmpty { result.isAmbiguous = true }
        return result
    }

    /// The string a `.string` member holds, unescaped; nil for other kinds or bad escapes.
    static func string(_ member: Member?, in body: UnsafeBufferPointer<UInt8>) -> String? {
        guard let member, member.kind == .string else { return nil }
        return unescaped(UnsafeBufferPointer(rebasing: body[(member.range.lowerBound + 1)..<(member.range.upperBound - 1)]))
    }

    /// The text between a string's quotes, unescaped; nil for bad escapes.
    static func unescaped(_ inner: UnsafeBufferPointer<UInt8>) -> String? {
        if !inner.contains(UInt8(ascii: "\\")) {
            return String(decoding: inner, as: UTF8.self)
        }
        var scalars = String.UnicodeScalarView()
        var bytes: [UInt8] = []
        var index = 0
        func flush() {
            if !bytes.isEmpty {
                scalars.append(contentsOf: String(decoding: bytes, as: UTF8.self).unicodeScalars)
                bytes.removeAll(keepingCapacity: true)
            }
        }
        while index < inner.count {
            let byte = inner[index]
            guard byte == UInt8(ascii: "\\") else {
                bytes.append(byte)
                index += 1
                continue
            }
            guard index + 1 < inner.count else { return nil }
            let escape = inner[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escape)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                guard let high = hex4(inner, at: index) else { return nil }
                index += 4
                var value = UInt32(high)
                if (0xD800..<0xDC00).contains(high) {
                    guard index + 6 <= inner.count, inner[index] == UInt8(ascii: "\\"), inner[index + 1] == UInt8(ascii: "u"),
                          let low = hex4(inner, at: index + 2), (0xDC00..<0xE000).contains(low)
                    else { return nil }
                    index += 6
                    value = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                } else if (0xDC00..<0xE000).contains(high) {
                    return nil
                }
                guard let scalar = Unicode.Scalar(value) else { return nil }
                flush()
                scalars.append(scalar)
            default:
                return nil
            }
        }
        flush()
        return String(scalars)
    }

    static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt16? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for offset in 0..<4 {
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var sawNULEscape = false
        /// Whether the last string read held an escape.
        var lastStringHadEscape = false

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        /// An object at `index`; members named like the envelope are recorded in `envelope`
        /// when `depth == 1` or this is the `Response` wrapper.
        mutating func object(depth: Int, envelope: inout Envelope, result: inout Result, isWrapper: Bool) -> Bool {
            let recording = depth == 1 || isWrapper
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                index += 1
                return true
            }
            var sawResponse = false
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { return false }
                let keyStart = index + 1
                guard string() else { return false }
                let name = recording ? self.name(UnsafeBufferPointer(rebasing: bytes[keyStart..<(index - 1)]), result: &result) : nil
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return false }
                index += 1
                skipWhitespace()
                let valueStart = index
                if depth == 1, name == .response {
                    // One wrapper, and an object: anything else leaves the envelope's place unclear.
                    if sawResponse || peek != UInt8(ascii: "{") { result.isAmbiguous = true }
                    sawResponse = true
                    if peek == UInt8(ascii: "{") {
                        var wrapped = Envelope()
                        guard object(depth: 2, envelope: &wrapped, result: &result, isWrapper: true) else { return false }
                        result.response = wrapped
                    } else {
                        guard value(depth: depth) != nil else { return false }
                    }
                } else {
                    guard let kind = value(depth: depth) else { return false }
                    if let name {
                        let member = Member(range: valueStart..<index, kind: kind)
                        switch name {
                        case .eventType: record(member, in: &envelope.eventType, result: &result)
                        case .sessionContext: record(member, in: &envelope.sessionContext, result: &result)
                        case .timestamp:
                            record(member, in: &envelope.timestamp, result: &result)
                            result.signatureRanges.append(member.range)
                        case .sign:
                            record(member, in: &envelope.sign, result: &result)
                            result.signatureRanges.append(member.range)
                        case .event: record(member, in: &envelope.event, result: &result)
                        case .response: break  // only the top level's is the wrapper
                        }
                    }
                }
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    return true
                default: return false
                }
            }
        }

        /// The envelope name `key` (just read, at a recording level) spells, if any. A key
        /// written with escapes that unescapes to an envelope name (or not at all) makes the
        /// body ambiguous: JSONDecoder would take `"Respons\u0065"` for `Response`, a byte
        /// compare would not.
        func name(_ key: UnsafeBufferPointer<UInt8>, result: inout Result) -> Name? {
            guard lastStringHadEscape else { return Name(raw: key) }
            guard let text = NotificationScanner.unescaped(key) else {
                result.isAmbiguous = true
                return nil
            }
            if Name.allCases.contains(where: { $0.key == text }) { result.isAmbiguous = true }
            return nil
        }

        /// Records an envelope member; a second one makes the body ambiguous (this scanner would
        /// keep the last, JSONDecoder keeps the first).
        func record(_ member: Member, in slot: inout Member?, result: inout Result) {
            if slot != nil { result.isAmbiguous = true }
            slot = member
        }

        /// Any value at `index`, validated; its kind, or nil when malformed.
        mutating func value(depth: Int) -> Member.Kind? {
            guard let first = peek else { return nil }
            switch first {
            case UInt8(ascii: "\""):
                return string() ? .string : nil
            case UInt8(ascii: "{"):
                guard depth < NotificationScanner.maximumDepth else { return nil }
                var ignored = Envelope()
                var nested = Result(top: Envelope(), response: nil, signatureRanges: [])
                return object(depth: depth + 1, envelope: &ignored, result: &nested, isWrapper: false) ? .other : nil
            case UInt8(ascii: "["):
                guard depth < NotificationScanner.maximumDepth else { return nil }
                index += 1
                skipWhitespace()
                if peek == UInt8(ascii: "]") {
                    index += 1
                    return .other
                }
                while true {
                    skipWhitespace()
                    guard value(depth: depth + 1) != nil else { return nil }
                    skipWhitespace()
                    switch peek {
                    case UInt8(ascii: ","): index += 1
                    case UInt8(ascii: "]"):
                        index += 1
                        return .other
                    default: return nil
                    }
                }
            case UInt8(ascii: "t"): return literal("true") ? .other : nil
            case UInt8(ascii: "f"): return literal("false") ? .other : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default:
                return number() ? .number : nil
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
                return false
            }
            index += count
            return true
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
        mutating func number() -> Bool {
            if peek == UInt8(ascii: "-") { index += 1 }
            guard let first = peek, isDigit(first) else { return false }
            index += 1
            if first != UInt8(ascii: "0") { skipDigits() }
            if peek == UInt8(ascii: ".") {
                index += 1
                guard let digit = peek, isDigit(digit) else { return false }
                skipDigits()
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                guard let digit = peek, isDigit(digit) else { return false }
                skipDigits()
            }
            return true
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        mutating func skipDigits() {
            while let byte = peek, isDigit(byte) { index += 1 }
        }

        /// A string at its opening quote: no raw control characters, only valid escapes, and
        /// surrogate escapes only in pairs (Foundation's parsers refuse a lone one, so a body
        /// the door accepts stays readable by JSONDecoder).
        mutating func string() -> Bool {
            index += 1
            lastStringHadEscape = false
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return true
                case UInt8(ascii: "\\"):
                    guard index + 1 < bytes.count else { return false }
                    lastStringHadEscape = true
                    switch bytes[index + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 2
                    case UInt8(ascii: "u"):
                        guard let code = NotificationScanner.hex4(bytes, at: index + 2) else { return false }
                        if code == 0 { sawNULEscape = true }
                        index += 6
                        switch code {
                        case 0xD800..<0xDC00:
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                                  let low = NotificationScanner.hex4(bytes, at: index + 2), (0xDC00..<0xE000).contains(low)
                            else { return false }
                            index += 6
                        case 0xDC00..<0xE000:
                            return false
                        default:
                            break
                        }
                    default:
                        return false
                    }
                case 0..<0x20:
                    return false
                default:
                    index += 1
                }
            }
            return false
        }
    }
}

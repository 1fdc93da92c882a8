/// Finds a callback token in a header value however a proxy or client may have written it, so
/// the door never stores it: whole or only its MAC (the part after the dot), raw or
/// percent-encoded (any hex case, fully or partly, once or several times), in the base64url or
/// the standard base64 alphabet, with or without padding, with JSON's `\/`.
///
/// Both the value and the token are brought to one canonical form before a byte search:
/// percent-decoded until nothing changes, `+` and `/` read as `-` and `_`, `=` and `\` dropped.
/// The form only ever merges spellings, so a value is scrubbed more often, never less.
struct TokenSearch {
    /// A part after the dot shorter than this is not a secret on its own (a static token may
    /// have any shape; ours carry 43 characters of MAC).
    static let minimumSecretPart = 16
    /// Percent-decoding rounds before giving up: deeper nesting is scrubbed as a precaution.
    static let maximumRounds = 8

    private let needles: [[UInt8]]

    init(token: String) {
        let utf8 = Array(token.utf8)
        var needles: [[UInt8]] = []
        if let whole = Self.canonical(utf8), !whole.isEmpty { needles.append(whole) }
        if let dot = utf8.firstIndex(of: UInt8(ascii: ".")), utf8.count - dot - 1 >= Self.minimumSecretPart,
           let secret = Self.canonical(utf8[(dot + 1)...]) {
            needles.append(secret)
        }
        self.needles = needles
    }

    /// Whether `value` holds the token or its MAC in any of the spellings above.
    func isFound(in value: String) -> Bool {
        guard !needles.isEmpty else { return false }
        // A value still percent-encoded after many rounds is refused rather than searched.
        guard let haystack = Self.canonical(Array(value.utf8)) else { return true }
        return needles.contains { needle in Self.contains(haystack, needle) }
    }

    /// The canonical form of `bytes`; nil when percent-decoding does not settle in
    /// ``maximumRounds``.
    static func canonical(_ bytes: some Collection<UInt8>) -> [UInt8]? {
        var current = Array(bytes)
        var rounds = 0
        while current.contains(UInt8(ascii: "%")) {
            let decoded = percentDecoded(current)
            if decoded.count == current.count { break }
            rounds += 1
            if rounds > maximumRounds { return nil }
            current = decoded
        }
        var canonical: [UInt8] = []
        canonical.reserveCapacity(current.count)
        for byte in current {
            switch byte {
            case UInt8(ascii: "+"): canonical.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): canonical.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="), UInt8(ascii: "\\"): continue
            default: canonical.append(byte)
            }
        }
        return canonical
    }

    /// `%XX` (either hex case) replaced by its byte; a `%` not followed by two hex digits stays.
    static func percentDecoded(_ bytes: [UInt8]) -> [UInt8] {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return decoded
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count)
        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}

import Hashing

/// What makes two deliveries of a notification the same notification: SHA-256 of the body with
/// the values of its top-level `Timestamp` and `Sign` blanked (also inside a `{"Response": …}`
/// wrapper). A resend that MPS (or a proxy) signs again with a new expiry is a duplicate; any
/// other difference, down to a byte of whitespace, makes a distinct notification.
///
/// Reads the bytes once without building a JSON tree (the door computes this for every
/// callback). A body that is not well-formed JSON is hashed whole.
public enum NotificationFingerprint {
    public static func sha256(_ body: [UInt8]) -> [UInt8] {
        guard let blanked = blankingSignature(body) else { return SHA256.hash(body) }
        return SHA256.hash(blanked)
    }

    /// `body` without the value bytes of the envelope's `Timestamp` and `Sign` members, or nil
    /// when the scan does not reach the end of a well-formed top-level object.
    static func blankingSignature(_ body: [UInt8]) -> [UInt8]? {
        var scanner = Scanner(bytes: body)
        var cut: [Range<Int>] = []
        guard scanner.skipWhitespace(), scanner.peek == UInt8(ascii: "{") else { return nil }
        guard scanner.scanObject(depth: 1, cut: &cut, wrapper: false) else { return nil }
        _ = scanner.skipWhitespace()
        guard scanner.isAtEnd else { return nil }
        if cut.isEmpty { return body }
        var kept: [UInt8] = []
        kept.reserveCapacity(body.count)
        var start = 0
        for range in cut {
            kept.append(contentsOf: body[start..<range.lowerBound])
            start = range.upperBound
        }
        kept.append(contentsOf: body[start...])
        return kept
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var isAtEnd: Bool { index >= bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        /// Skips JSON whitespace; false when the end is reached.
        mutating func skipWhitespace() -> Bool {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return true
                }
            }
            return false
        }

        /// Scans an object at `index`. At depth 1 (or 2 inside `Response`) the values of
        /// `Timestamp` and `Sign` are added to `cut`.
        mutating func scanObject(depth: Int, cut: inout [Range<Int>], wrapper: Bool) -> Bool {
            index += 1  // {
            guard skipWhitespace() else { return false }
            if peek == UInt8(ascii: "}") {
                index += 1
                return true
            }
            while true {
                guard skipWhitespace(), peek == UInt8(ascii: "\"") else { return false }
                let keyStart = index + 1
                guard scanString() else { return false }
                let key = bytes[keyStart..<(index - 1)]
                guard skipWhitespace(), peek == UInt8(ascii: ":") else { return false }
                index += 1
                guard skipWhitespace() else { return false }
                let isEnvelope = depth == 1 || wrapper
                let valueStart = index
                if depth == 1, key.elementsEqual("Response".utf8), peek == UInt8(ascii: "{") {
                    guard scanObject(depth: 2, cut: &cut, wrapper: true) else { return false }
                } else {
                    guard scanValue() else { return false }
                    if isEnvelope, key.elementsEqual("Timestamp".utf8) || key.elementsEqual("Sign".utf8) {
                        cut.append(valueStart..<index)
                    }
                }
                guard skipWhitespace() else { return false }
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    return true
                default: return false
                }
            }
        }

        /// Skips one value of any kind (nested objects and arrays by bracket depth).
        mutating func scanValue() -> Bool {
            guard let first = peek else { return false }
            switch first {
            case UInt8(ascii: "\""):
                return scanString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var nesting = 0
                while index < bytes.count {
                    switch bytes[index] {
                    case UInt8(ascii: "\""):
                        guard scanString() else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        nesting += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        nesting -= 1
                        if nesting == 0 {
                            index += 1
                            return true
                        }
                    default:
                        break
                    }
                    index += 1
                }
                return false
            default:
                // A number, true, false or null: up to the next delimiter.
                let start = index
                while index < bytes.count {
                    switch bytes[index] {
                    case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D:
                        return index > start
                    default:
                        index += 1
                    }
                }
                return index > start
            }
        }

        /// Skips a string starting at its opening quote; `index` ends after the closing one.
        mutating func scanString() -> Bool {
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\\"): index += 2
                case UInt8(ascii: "\""):
                    index += 1
                    return true
                default: index += 1
                }
            }
            return false
        }
    }
}

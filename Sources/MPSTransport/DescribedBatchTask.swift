public import MPS

/// A `DescribeBatchTaskDetail` answer, with its `BatchTaskResult` exactly as MPS sent it: the
/// reconciler stores those bytes as the `BatchTaskEvent` of a polled notification, so the
/// applier reads a polled answer with the same reader, from the same kind of bytes, as a callback.
public struct DescribedBatchTask: Sendable {
    /// The decoded answer (its `Status`, times and result).
    public var response: DescribeBatchTaskDetailResponse
    /// The bytes of `Response.BatchTaskResult` as received; nil when it is missing or `null`.
    public var batchTaskResult: [UInt8]?

    public init(response: DescribeBatchTaskDetailResponse, batchTaskResult: [UInt8]?) {
        self.response = response
        self.batchTaskResult = batchTaskResult
    }
}

/// Finds the bytes of a member's value in a JSON text without decoding anything else. For
/// bodies a JSON decoder has already accepted; on anything else it answers nil, never traps.
enum RawJSONMember {
    /// The value at `path` (member names, outermost first; the first member of each name, its
    /// name compared as written), or nil when a step is missing, not an object, or `null`.
    static func value(at path: [String], in bytes: [UInt8]) -> [UInt8]? {
        var index = skipWhitespace(bytes, from: 0)
        for name in path {
            guard let start = member(Array(name.utf8), ofObjectAt: index, in: bytes) else { return nil }
            index = start
        }
        guard let end = endOfValue(bytes, at: index) else { return nil }
        let value = Array(bytes[index..<end])
        return value == Array("null".utf8) ? nil : value
    }

    /// Where the value of the first member called `name` starts, in the object at `index`.
    private static func member(_ name: [UInt8], ofObjectAt start: Int, in bytes: [UInt8]) -> Int? {
        guard start < bytes.count, bytes[start] == UInt8(ascii: "{") else { return nil }
        var index = skipWhitespace(bytes, from: start + 1)
        while index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            guard let keyEnd = endOfString(bytes, at: index) else { return nil }
            let key = bytes[(index + 1)..<(keyEnd - 1)]
            index = skipWhitespace(bytes, from: keyEnd)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipWhitespace(bytes, from: index + 1)
            if key.elementsEqual(name) { return valueStart }
            guard let valueEnd = endOfValue(bytes, at: valueStart) else { return nil }
            index = skipWhitespace(bytes, from: valueEnd)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { return nil }
            index = skipWhitespace(bytes, from: index + 1)
        }
        return nil
    }

    /// One past the end of the value starting at `index`.
    private static func endOfValue(_ bytes: [UInt8], at index: Int) -> Int? {
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return endOfString(bytes, at: index)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var cursor = index
            while cursor < bytes.count {
                switch bytes[cursor] {
                case UInt8(ascii: "\""):
                    guard let end = endOfString(bytes, at: cursor) else { return nil }
                    cursor = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return cursor + 1 }
                default:
                    break
                }
                cursor += 1
            }
            return nil
        default:
            // A number, true, false or null: up to the next delimiter.
            var cursor = index
            while cursor < bytes.count, !isDelimiter(bytes[cursor]) { cursor += 1 }
            return cursor > index ? cursor : nil
        }
    }

    /// One past the closing quote of the string starting at `index`.
    private static func endOfString(_ bytes: [UInt8], at index: Int) -> Int? {
        var cursor = index + 1
        while cursor < bytes.count {
            switch bytes[cursor] {
            case UInt8(ascii: "\\"): cursor += 2
            case UInt8(ascii: "\""): return cursor + 1
            default: cursor += 1
            }
        }
        return nil
    }

    private static func skipWhitespace(_ bytes: [UInt8], from index: Int) -> Int {
        var cursor = index
        while cursor < bytes.count, isWhitespace(bytes[cursor]) { cursor += 1 }
        return cursor
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        isWhitespace(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
    }
}

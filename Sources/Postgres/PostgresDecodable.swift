public import Foundation

/// One cell of a result, in PostgreSQL's text format. Valid only during a decode call.
public struct PostgresCell {
    /// The cell's text bytes, or nil for SQL NULL.
    public let bytes: UnsafeRawBufferPointer?
    /// The column's type as the server reported it.
    public let type: PostgresDataType
    /// The column's name, for error messages.
    public let columnName: String

    /// The cell as a string (nil for NULL).
    public var string: String? {
        bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    /// A decoding error naming this column.
    public func mismatch(_ swiftType: Any.Type, _ why: String? = nil) -> PostgresError {
        PostgresError(
            code: .decoding,
            reason: "cannot decode column \"\(columnName)\" of type \(type) as \(swiftType)"
                + (why.map { ": \($0)" } ?? ""),
            column: columnName
        )
    }

    func nonNull(_ swiftType: Any.Type) throws(PostgresError) -> UnsafeRawBufferPointer {
        guard let bytes else { throw mismatch(swiftType, "value is NULL") }
        return bytes
    }
}

/// A Swift type that can be read from a result cell. Mismatches throw an error naming the column.
public protocol PostgresDecodable {
    static func decode(from cell: PostgresCell) throws(PostgresError) -> Self
}

extension String: PostgresDecodable {
    /// Any column can be read as its text form.
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> String {
        String(decoding: try cell.nonNull(String.self), as: UTF8.self)
    }
}

extension FixedWidthInteger where Self: PostgresDecodable {
    fileprivate static func decodeInteger(from cell: PostgresCell) throws(PostgresError) -> Self {
        guard cell.type.isInteger || cell.type == .numeric || cell.type == .unknown else {
            throw cell.mismatch(Self.self)
        }
        let bytes = try cell.nonNull(Self.self)
        guard let value = Self(String(decoding: bytes, as: UTF8.self)) else {
            throw cell.mismatch(Self.self, "not an integer in range")
        }
        return value
    }
}

extension Int: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int { try decodeInteger(from: cell) }
}

extension Int64: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int64 { try decodeInteger(from: cell) }
}

extension Int32: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int32 { try decodeInteger(from: cell) }
}

extension Int16: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int16 { try decodeInteger(from: cell) }
}

extension Bool: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Bool {
        guard cell.type == .bool else { throw cell.mismatch(Bool.self) }
        let bytes = try cell.nonNull(Bool.self)
        switch bytes.first {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw cell.mismatch(Bool.self, "unexpected text")
        }
    }
}

extension Double: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Double {
        guard cell.type == .float8 || cell.type == .float4 || cell.type == .numeric || cell.type.isInteger else {
            throw cell.mismatch(Double.self)
        }
        let text = String(decoding: try cell.nonNull(Double.self), as: UTF8.self)
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw cell.mismatch(Double.self, "not a number") }
            return value
        }
    }
}

extension UUID: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> UUID {
        guard cell.type == .uuid || cell.type.isTextual else { throw cell.mismatch(UUID.self) }
        guard let value = PostgresUUIDText.parse(try cell.nonNull(UUID.self)) else {
            throw cell.mismatch(UUID.self, "not a UUID")
        }
        return value
    }
}

extension Date: PostgresDecodable {
    /// Reads `timestamptz` (and `timestamp`, taken as UTC). Connections run with `TimeZone=UTC`.
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Date {
        guard cell.type == .timestamptz || cell.type == .timestamp else { throw cell.mismatch(Date.self) }
        let text = String(decoding: try cell.nonNull(Date.self), as: UTF8.self)
        guard let date = PostgresTimestamp.parse(text) else { throw cell.mismatch(Date.self, "unexpected text") }
        return date
    }
}

extension PostgresBytes: PostgresDecodable {
    /// Reads `bytea` (hex output format); other columns give their text bytes.
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> PostgresBytes {
        let bytes = try cell.nonNull(PostgresBytes.self)
        guard cell.type == .bytea else { return PostgresBytes(Array(bytes)) }
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"),
            bytes.count % 2 == 0
        else { throw cell.mismatch(PostgresBytes.self, "expected hex bytea output") }
        var result = [UInt8]()
        result.reserveCapacity((bytes.count - 2) / 2)
        var index = 2
        while index < bytes.count {
            guard let high = hexValue(bytes[index]), let low = hexValue(bytes[index + 1]) else {
                throw cell.mismatch(PostgresBytes.self, "bad hex digit")
            }
            result.append(high << 4 | low)
            index += 2
        }
        return PostgresBytes(result)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Data: PostgresDecodable {
    /// `bytea` as its bytes; `json`/`jsonb`/text columns as their UTF-8 text.
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Data {
        Data(try PostgresBytes.decode(from: cell).bytes)
    }
}

extension JSONB: PostgresDecodable {
    /// Decodes a `json`/`jsonb` (or text) column with `JSONDecoder`.
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> JSONB<Value> {
        guard cell.type == .jsonb || cell.type == .json || cell.type.isTextual else {
            throw cell.mismatch(Value.self)
        }
        let bytes = try cell.nonNull(Value.self)
        do {
            return JSONB(try JSONDecoder().decode(Value.self, from: Data(bytes)))
        } catch {
            throw cell.mismatch(Value.self, "JSON does not match: \(error)")
        }
    }
}

extension JSONBText: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> JSONBText {
        guard cell.type == .jsonb || cell.type == .json || cell.type.isTextual else {
            throw cell.mismatch(JSONBText.self)
        }
        return JSONBText(utf8: try cell.nonNull(JSONBText.self))
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// NULL becomes nil; anything else decodes as `Wrapped`.
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Wrapped? {
        guard cell.bytes != nil else { return nil }
        return try Wrapped.decode(from: cell)
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// A one-dimensional array in text form (`{a,"b c",NULL}`), each element decoded as `Element`.
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> [Element] {
        let bytes = try cell.nonNull([Element].self)
        guard let elements = PostgresArrayText.split([UInt8](bytes)) else {
            throw cell.mismatch([Element].self, "not a one-dimensional array")
        }
        let elementType = PostgresArrayText.elementType(of: cell.type)
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            let decoded: Element
            if let element {
                let outcome = element.withUnsafeBytes { raw -> Result<Element, PostgresError> in
                    do throws(PostgresError) {
                        return .success(try Element.decode(
                            from: PostgresCell(bytes: raw, type: elementType, columnName: cell.columnName)))
                    } catch {
                        return .failure(error)
                    }
                }
                decoded = try outcome.get()
            } else {
                decoded = try Element.decode(from: PostgresCell(bytes: nil, type: elementType, columnName: cell.columnName))
            }
            result.append(decoded)
        }
        return result
    }
}

enum PostgresArrayText {
    static func elementType(of arrayType: PostgresDataType) -> PostgresDataType {
        switch arrayType {
        case .textArray: .text
        case .int8Array: .int8
        case .int4Array: .int4
        case .int2Array: .int2
        case .boolArray: .bool
        case .float8Array: .float8
        case .uuidArray: .uuid
        case .timestamptzArray: .timestamptz
        case .timestampArray: .timestamp
        case .jsonbArray: .jsonb
        case .byteaArray: .bytea
        default: .unknown
        }
    }

    /// Splits a one-dimensional array literal into its elements (nil entries are NULL).
    static func split(_ text: [UInt8]) -> [[UInt8]?]? {
        guard text.first == UInt8(ascii: "{"), text.last == UInt8(ascii: "}") else { return nil }
        var elements: [[UInt8]?] = []
        var index = 1
        let end = text.count - 1
        if index == end { return [] }
        while index <= end {
            var element: [UInt8] = []
            var quoted = false
            if text[index] == UInt8(ascii: "\"") {
                quoted = true
                index += 1
                while index < end, text[index] != UInt8(ascii: "\"") {
                    if text[index] == UInt8(ascii: "\\") { index += 1 }
                    guard index < end else { return nil }
                    element.append(text[index])
                    index += 1
                }
                guard index < end else { return nil }
                index += 1
            } else {
                while index < end, text[index] != UInt8(ascii: ","), text[index] != UInt8(ascii: "{") {
                    element.append(text[index])
                    index += 1
                }
                if index < end, text[index] == UInt8(ascii: "{") { return nil }
            }
            if !quoted, element == Array("NULL".utf8) {
                elements.append(nil)
            } else {
                elements.append(element)
            }
            if index == end { break }
            guard text[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
        return elements
    }
}

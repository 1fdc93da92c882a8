public import Foundation

/// A Swift value that can be sent as a bind parameter.
///
/// Conforming types decide the wire form (text or binary) and the type OID; every
/// interpolated value in a ``PostgresQuery`` goes through this, never into the SQL text.
public protocol PostgresEncodable: Sendable {
    /// The parameter as libpq will send it.
    var postgresBind: PostgresBind { get }
}

/// A value that can be an element of a one-dimensional array parameter (`text[]`, `uuid[]`, …).
public protocol PostgresArrayElement: PostgresEncodable {
    /// The OID of the array type whose elements are `Self`.
    static var postgresArrayType: PostgresDataType { get }
    /// The element in array-literal text form, before quoting; nil for NULL.
    var postgresArrayText: String? { get }
}

extension String: PostgresArrayElement {
    public var postgresBind: PostgresBind { .text(self, type: .text) }
    public static var postgresArrayType: PostgresDataType { .textArray }
    public var postgresArrayText: String? { self }
}

extension Substring: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(String(self), type: .text) }
}

extension Int: PostgresArrayElement {
    public var postgresBind: PostgresBind { .text(String(self), type: .int8) }
    public static var postgresArrayType: PostgresDataType { .int8Array }
    public var postgresArrayText: String? { String(self) }
}

extension Int64: PostgresArrayElement {
    public var postgresBind: PostgresBind { .text(String(self), type: .int8) }
    public static var postgresArrayType: PostgresDataType { .int8Array }
    public var postgresArrayText: String? { String(self) }
}

extension Int32: PostgresArrayElement {
    public var postgresBind: PostgresBind { .text(String(self), type: .int4) }
    public static var postgresArrayType: PostgresDataType { .int4Array }
    public var postgresArrayText: String? { String(self) }
}

extension Int16: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(String(self), type: .int2) }
}

extension Bool: PostgresArrayElement {
    public var postgresBind: PostgresBind { .text(self ? "t" : "f", type: .bool) }
    public static var postgresArrayType: PostgresDataType { .boolArray }
    public var postgresArrayText: String? { self ? "t" : "f" }
}

extension Double: PostgresArrayElement {
    public var postgresBind: PostgresBind { .text(postgresText, type: .float8) }
    public static var postgresArrayType: PostgresDataType { .float8Array }
    public var postgresArrayText: String? { postgresText }

    var postgresText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return description
    }
}

extension UUID: PostgresArrayElement {
    public var postgresBind: PostgresBind { .text(PostgresUUIDText.format(self), type: .uuid) }
    public static var postgresArrayType: PostgresDataType { .uuidArray }
    public var postgresArrayText: String? { PostgresUUIDText.format(self) }
}

extension Date: PostgresArrayElement {
    public var postgresBind: PostgresBind { .text(PostgresTimestamp.format(self), type: .timestamptz) }
    public static var postgresArrayType: PostgresDataType { .timestamptzArray }
    public var postgresArrayText: String? { PostgresTimestamp.format(self) }
}

extension Data: PostgresEncodable {
    public var postgresBind: PostgresBind { .binary(Array(self), type: .bytea) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresBind: PostgresBind {
        switch self {
        case .some(let value): value.postgresBind
        case .none: .null()
        }
    }
}

extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { Wrapped.postgresArrayType }
    public var postgresArrayText: String? { self?.postgresArrayText }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    /// A one-dimensional array literal (`{"a","b",NULL}`), every element quoted and escaped.
    public var postgresBind: PostgresBind {
        // Built as UTF-8 bytes: a batch of 3 KB JSON bodies is escaped in one pass per body.
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var literal: [UInt8] = [UInt8(ascii: "{")]
        for (index, element) in enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            guard var text = element.postgresArrayText else {
                literal.append(contentsOf: "NULL".utf8)
                continue
            }
            literal.append(quote)
            text.withUTF8 { bytes in
                literal.reserveCapacity(literal.count + bytes.count + 16)
                for byte in bytes {
                    if byte == quote || byte == backslash { literal.append(backslash) }
                    literal.append(byte)
                }
            }
            literal.append(quote)
        }
        literal.append(UInt8(ascii: "}"))
        return .text(String(decoding: literal, as: UTF8.self), type: Element.postgresArrayType)
    }
}

/// Raw bytes stored as `bytea` (sent in binary form, decoded from the hex text form).
public struct PostgresBytes: PostgresEncodable, Hashable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var postgresBind: PostgresBind { .binary(bytes, type: .bytea) }
}

/// A `Codable` value stored as `jsonb`.
public struct JSONB<Value: Codable & Sendable>: PostgresEncodable, Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public var postgresBind: PostgresBind {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // JSONEncoder fails only on non-finite floats: bind JSON `null` then, so the problem
        // surfaces as a constraint or decoding error rather than a crash.
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        return .text(String(decoding: data, as: UTF8.self), type: .jsonb)
    }
}

/// JSON text already serialised, stored as `jsonb` without re-encoding.
public struct JSONBText: PostgresEncodable, Hashable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public init(utf8 bytes: some Sequence<UInt8>) { self.text = String(decoding: Array(bytes), as: UTF8.self) }
    public var postgresBind: PostgresBind { .text(text, type: .jsonb) }
}

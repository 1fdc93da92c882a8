/// One bind parameter, in the form libpq sends it: text, binary or NULL, with its type.
public struct PostgresBind: Sendable, Hashable {
    enum Value: Sendable, Hashable {
        case null
        case text(String)
        case binary([UInt8])
    }
    let value: Value
    /// The parameter's type; `.unknown` lets the server infer it from context.
    public let type: PostgresDataType

    /// A parameter sent in text format (the server parses it as `type`).
    public static func text(_ text: String, type: PostgresDataType) -> PostgresBind {
        PostgresBind(value: .text(text), type: type)
    }

    /// A parameter sent in binary format (used for `bytea`).
    public static func binary(_ bytes: [UInt8], type: PostgresDataType) -> PostgresBind {
        PostgresBind(value: .binary(bytes), type: type)
    }

    /// SQL NULL; `type` tells the server what kind of NULL when context cannot.
    public static func null(type: PostgresDataType = .unknown) -> PostgresBind {
        PostgresBind(value: .null, type: type)
    }
}

/// The bind parameters of a query, in `$1, $2, …` order.
public struct PostgresBindings: Sendable, Hashable {
    public private(set) var values: [PostgresBind] = []
    public init() {}

    public var count: Int { values.count }

    /// Appends a parameter and returns its placeholder number (1-based).
    @discardableResult
    public mutating func append(_ bind: PostgresBind) -> Int {
        values.append(bind)
        return values.count
    }

    public mutating func append(_ value: some PostgresEncodable) {
        values.append(value.postgresBind)
    }
}

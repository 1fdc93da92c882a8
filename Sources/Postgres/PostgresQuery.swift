/// A SQL statement and its bind parameters.
///
/// Built by string interpolation, where every interpolated value becomes a bind parameter:
/// `"SELECT * FROM steps WHERE id = \(id)"` is sent as `… WHERE id = $1` with `id` bound.
/// SQL text is only ever spliced with `\(unescaped:)`, for identifiers the code itself chose.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    /// The SQL text with `$n` placeholders.
    public var sql: String
    /// The values for the placeholders.
    public var binds: PostgresBindings

    /// A statement built from SQL text and explicit bindings.
    public init(unsafeSQL sql: String, binds: PostgresBindings = PostgresBindings()) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// Builds the SQL text and bindings of a ``PostgresQuery``.
    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        public typealias StringLiteralType = String
        var sql: String
        var binds = PostgresBindings()

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql = ""
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql.append(literal)
        }

        /// Binds `value` as the next parameter and writes its placeholder.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            let number = binds.append(value.postgresBind)
            sql.append("$\(number)")
        }

        /// Binds `value`, or SQL NULL when it is nil.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            let number = binds.append(value.postgresBind)
            sql.append("$\(number)")
        }

        /// Binds `value` with an explicit type, for when the server cannot infer it.
        public mutating func appendInterpolation(_ value: some PostgresEncodable, as type: PostgresDataType) {
            let bind = value.postgresBind
            let number = binds.append(PostgresBind(value: bind.value, type: type))
            sql.append("$\(number)")
        }

        /// Writes SQL text as is. Only for identifiers and fragments chosen by the code, never input.
        public mutating func appendInterpolation(unescaped text: String) {
            sql.append(text)
        }
    }
}

/// Quotes an identifier (`"my ""table"""`) for the rare statement that needs a dynamic one.
public func quotedIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

private extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

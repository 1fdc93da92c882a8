import CLibPQ

/// The rows a statement returned, held in libpq's result buffer until the last copy goes away.
public struct PostgresRows: Sendable, RandomAccessCollection {
    let result: ResultHandle

    /// The number of rows the statement changed (`UPDATE 3` → 3), or returned for `SELECT`.
    public let affectedRows: Int
    /// Column names in result order.
    public let columns: [String]
    let columnTypes: [PostgresDataType]

    init(result: ResultHandle) {
        self.result = result
        let pointer = result.pointer
        let columnCount = Int(PQnfields(pointer))
        var names: [String] = []
        var types: [PostgresDataType] = []
        names.reserveCapacity(columnCount)
        types.reserveCapacity(columnCount)
        for index in 0..<columnCount {
            names.append(PQfname(pointer, Int32(index)).map { String(cString: $0) } ?? "?column?")
            types.append(PostgresDataType(UInt32(PQftype(pointer, Int32(index)))))
        }
        columns = names
        columnTypes = types
        let tuples = PQcmdTuples(pointer).map { String(cString: $0) } ?? ""
        affectedRows = Int(tuples) ?? Int(PQntuples(pointer))
        count = Int(PQntuples(pointer))
    }

    public let count: Int
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> PostgresRow {
        PostgresRow(rows: self, index: position)
    }

    /// The index of a column by name, or nil.
    public func columnIndex(_ name: String) -> Int? {
        columns.firstIndex(of: name)
    }
}

/// One row of a result.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let index: Int

    /// Decodes the row's columns, in order, as the given types: `row.decode((UUID, String, Int?).self)`.
    /// Throws when the column count or any column's type does not match, naming the column.
    public func decode<each Column: PostgresDecodable>(
        _ types: (repeat each Column).Type
    ) throws(PostgresError) -> (repeat each Column) {
        var column = 0
        var expected = 0
        for _ in repeat (each Column).self { expected += 1 }
        guard expected == rows.columns.count else {
            throw PostgresError(
                code: .decoding,
                reason: "row has \(rows.columns.count) columns (\(rows.columns.joined(separator: ", "))), decoding \(expected)"
            )
        }
        func next<Value: PostgresDecodable>(_ type: Value.Type) throws(PostgresError) -> Value {
            defer { column += 1 }
            return try self.decode(type, at: column)
        }
        return (repeat try next((each Column).self))
    }

    /// Decodes one column by name.
    public func decode<Value: PostgresDecodable>(_ type: Value.Type, column name: String) throws(PostgresError) -> Value {
        guard let column = rows.columnIndex(name) else {
            throw PostgresError(code: .decoding, reason: "no column named \"\(name)\" in result", column: name)
        }
        return try decode(type, at: column)
    }

    /// Decodes one column by position.
    public func decode<Value: PostgresDecodable>(_ type: Value.Type, at column: Int) throws(PostgresError) -> Value {
        guard column >= 0, column < rows.columns.count else {
            throw PostgresError(code: .decoding, reason: "no column \(column) in a result of \(rows.columns.count)")
        }
        let pointer = rows.result.pointer
        let row = Int32(index)
        let field = Int32(column)
        let name = rows.columns[column]
        let type = rows.columnTypes[column]
        if PQgetisnull(pointer, row, field) == 1 {
            return try Value.decode(from: PostgresCell(bytes: nil, type: type, columnName: name))
        }
        let length = Int(PQgetlength(pointer, row, field))
        let raw = UnsafeRawBufferPointer(start: PQgetvalue(pointer, row, field), count: length)
        return try Value.decode(from: PostgresCell(bytes: raw, type: type, columnName: name))
    }
}

/// Owns a `PGresult`.
// Safety: a PGresult is immutable once returned by libpq and may be read from any thread;
// it is freed exactly once, in deinit, when no PostgresRows refers to it any more.
final class ResultHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { PQclear(pointer) }
}

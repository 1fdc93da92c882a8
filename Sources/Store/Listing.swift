public import Foundation
public import Postgres

/// A place in a newest-first listing: the time and id of the last row of a page. The next page
/// holds the rows strictly before it in (time, id) order, so rows inserted meanwhile (which are
/// newer) never shift a page, and no row is returned twice or skipped.
///
/// `time` comes from the database with microsecond precision and survives a round trip through
/// whole microseconds since 1970 (`(time.timeIntervalSince1970 * 1_000_000).rounded()`); a
/// cursor should carry it that way, not as a decimal text of seconds.
public struct ListPosition<ID: Sendable & Hashable>: Sendable, Hashable {
    public var time: Date
    public var id: ID

    public init(time: Date, id: ID) {
        self.time = time
        self.id = id
    }
}

/// One page of a listing, newest first, and where the next one starts (nil: this is the last).
public struct ListPage<Item: Sendable, Position: Sendable>: Sendable {
    public var items: [Item]
    public var next: Position?

    public init(items: [Item], next: Position?) {
        self.items = items
        self.next = next
    }
}

extension ListPage: Equatable where Item: Equatable, Position: Equatable {}

/// The filtered, keyset-paged lists of the REST API (jobs, steps, outputs, notifications,
/// attempts). Read only. Each list fetches `limit + 1` rows to know whether a next page exists;
/// every filter is optional and they are AND-ed; an empty array filter means "no filter".
///
/// Each statement is built for the filters given, so that PostgreSQL plans it with the values
/// known: a filter that is absent is not in the statement at all (no `$n IS NULL OR …`), a
/// multi-valued filter on an indexed column becomes one branch per value, each an ordered
/// index scan stopped at `limit + 1` rows, merged by a sort of at most (branches × limit) rows.
/// The indexes are in migrations/0008_api_listing.sql; the benchmark (deploy/bench/api-queries.sh)
/// times every documented combination.
public struct ListingStore: Sendable {
    /// The largest page a listing returns (a larger `limit` is reduced to it).
    public static let maximumLimit = 200
    /// More branches than this (values of multi-valued filters multiplied) and the values are
    /// matched with `= ANY` in one branch instead.
    static let maximumBranches = 32

    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// `limit` within 1…``maximumLimit``.
    static func pageSize(_ limit: Int) -> Int {
        min(max(limit, 1), maximumLimit)
    }

    /// The page of `rows` (fetched with `limit + 1`) and the position after its last item.
    static func page<Item, Position>(
        _ rows: [Item], limit: Int, position: (Item) -> Position
    ) -> ListPage<Item, Position> {
        guard rows.count > limit else { return ListPage(items: rows, next: nil) }
        let items = Array(rows.prefix(limit))
        return ListPage(items: items, next: items.last.map(position))
    }

    /// The statement run by ``explain(_:)`` callers: `EXPLAIN (ANALYZE, BUFFERS)` of `query`, as text lines.
    public func explain(_ query: PostgresQuery) async throws(PostgresError) -> [String] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, BUFFERS) " + query.sql, binds: query.binds))
        return try rows.map { row throws(PostgresError) in try row.decode(String.self, at: 0) }
    }

    /// Decodes a stored enum value; the columns' CHECK constraints allow nothing else.
    static func decoded<Value: RawRepresentable<String>>(_ raw: String, column: String) throws(PostgresError) -> Value {
        guard let value = Value(rawValue: raw) else {
            throw PostgresError(code: .decoding, reason: "unknown \(column) \(raw)", column: column)
        }
        return value
    }
}

/// A piece of SQL chosen by the code with its values to bind: `"s.state = \(state.rawValue)"`.
/// Values never enter the SQL text.
struct SQLFragment: ExpressibleByStringInterpolation, Sendable {
    enum Part: Sendable {
        case sql(String)
        case value(PostgresBind)
    }

    var parts: [Part]

    init(stringLiteral value: String) {
        parts = [.sql(value)]
    }

    init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
    }

    struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var parts: [Part] = []

        init(literalCapacity: Int, interpolationCount: Int) {}

        mutating func appendLiteral(_ literal: String) {
            parts.append(.sql(literal))
        }

        mutating func appendInterpolation(_ value: some PostgresEncodable) {
            parts.append(.value(value.postgresBind))
        }
    }

    /// Appends the fragment to `statement`, binding its values as the next parameters.
    func write(to statement: inout PostgresQuery.StringInterpolation) {
        for part in parts {
            switch part {
            case .sql(let text): statement.appendLiteral(text)
            case .value(let bind): statement.appendInterpolation(BoundValue(postgresBind: bind))
            }
        }
    }
}

/// An already converted parameter.
private struct BoundValue: PostgresEncodable {
    var postgresBind: PostgresBind
}

/// One newest-first list statement: an inner `SELECT … FROM …` (the rows), the conditions every
/// row meets, the branches (one per combination of values of the multi-valued filters), the
/// order, and an outer `SELECT` over the page that joins what is only displayed.
struct ListingStatement {
    /// `SELECT <columns> FROM <table> <alias>`: the columns the outer statement reads as `page.<name>`.
    var select: String
    /// Conditions of every branch.
    var conditions: [SQLFragment] = []
    /// Extra conditions per branch; one empty branch when no filter is multi-valued.
    var branches: [[SQLFragment]] = [[]]
    /// The inner order (`s.created_at DESC, s.id DESC`) and the same over the page (`page.created_at DESC, page.id DESC`).
    var order: String
    var pageOrder: String
    /// The rows fetched (the page size plus one).
    var rows: Int
    /// `SELECT <columns> FROM (` … `) page <joins>`: the outer statement, without its ORDER BY.
    var outerColumns: String
    var outerJoins: String = ""

    /// Adds one condition to every branch.
    mutating func require(_ condition: SQLFragment) {
        conditions.append(condition)
    }

    /// A filter that takes any of `values`: one condition when there is one value; otherwise one
    /// branch per value (each an ordered index scan on its own), unless that would make too many
    /// branches, when `any` matches them all in one.
    mutating func oneOf<Value>(_ values: [Value], each: (Value) -> SQLFragment, any: SQLFragment) {
        guard values.count > 1 else {
            if let value = values.first { conditions.append(each(value)) }
            return
        }
        guard branches.count * values.count <= ListingStore.maximumBranches else {
            conditions.append(any)
            return
        }
        branches = branches.flatMap { branch in values.map { branch + [each($0)] } }
    }

    var query: PostgresQuery {
        var statement = PostgresQuery.StringInterpolation(literalCapacity: 1024, interpolationCount: 16)
        statement.appendLiteral("SELECT \(outerColumns)\nFROM (")
        if branches.count > 1 { statement.appendLiteral("SELECT * FROM (") }
        for (index, branch) in branches.enumerated() {
            if index > 0 { statement.appendLiteral("\n    UNION ALL\n") }
            statement.appendLiteral("(\(select)\n    WHERE true")
            for condition in conditions + branch {
                statement.appendLiteral("\n    AND ")
                condition.write(to: &statement)
            }
            statement.appendLiteral("\n    ORDER BY \(order) LIMIT \(rows))")
        }
        if branches.count > 1 {
            statement.appendLiteral(") page ORDER BY \(pageOrder) LIMIT \(rows)")
        }
        statement.appendLiteral(") page\(outerJoins)\nORDER BY \(pageOrder)")
        return PostgresQuery(stringInterpolation: statement)
    }
}

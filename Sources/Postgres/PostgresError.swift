/// An error from the PostgreSQL layer.
///
/// `description` is safe to log: it names the kind of failure, the SQLSTATE and the SQL text
/// (which holds `$n` placeholders, never bound values). The server's own message and detail,
/// which can quote the values (`Key (email)=(a@b.c) already exists`), appear only in
/// `debugDescription`.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectionFailed, connectionClosed, server, decoding, checkoutTimeout
            case poolClosed, cancelled, invalidQuery, migration
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A connection could not be established (bad URL, refused, authentication, timeout).
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke while in use (server restart, `pg_terminate_backend`, network).
        public static let connectionClosed = Code(.connectionClosed)
        /// The server refused the statement; see ``PostgresError/sqlState``.
        public static let server = Code(.server)
        /// A result column could not be decoded as the requested Swift type.
        public static let decoding = Code(.decoding)
        /// No pooled connection became free within the checkout timeout.
        public static let checkoutTimeout = Code(.checkoutTimeout)
        /// The client was shut down.
        public static let poolClosed = Code(.poolClosed)
        /// The calling task was cancelled before the statement was sent.
        public static let cancelled = Code(.cancelled)
        /// The statement could not be built (for example a NUL byte in a text value).
        public static let invalidQuery = Code(.invalidQuery)
        /// A migration file or the migrations table is inconsistent.
        public static let migration = Code(.migration)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// The SQLSTATE the server reported, when it reported one.
    public var sqlState: SQLState?
    /// The SQL text that failed, with `$n` placeholders only.
    public var query: String?
    /// The column a decoding error concerns.
    public var column: String?
    /// A message written by this library; never contains bound values.
    public var reason: String
    /// The server's or libpq's own message. May quote data: kept out of `description`.
    public var serverMessage: String?
    /// The server's DETAIL field. May quote data: kept out of `description`.
    public var serverDetail: String?

    public init(
        code: Code, reason: String, sqlState: SQLState? = nil, query: String? = nil,
        column: String? = nil, serverMessage: String? = nil, serverDetail: String? = nil
    ) {
        self.code = code
        self.reason = reason
        self.sqlState = sqlState
        self.query = query
        self.column = column
        self.serverMessage = serverMessage
        self.serverDetail = serverDetail
    }

    /// True when the connection that ran the statement can no longer be used.
    public var isConnectionLoss: Bool {
        code == .connectionClosed || code == .connectionFailed || (sqlState?.isConnectionException ?? false)
    }

    /// True when trying again later may succeed: the connection was lost or could not be made,
    /// the statement timed out or was cancelled (57014, a `lock_timeout` 55P03), it lost a
    /// serialization conflict or deadlock (40001, 40P01), the server lacked resources (class 53),
    /// no connection became free in time, the pool is shutting down, or the caller was
    /// cancelled. False for everything the data or the SQL itself causes: retrying that fails
    /// the same way.
    public var isTransient: Bool {
        switch code {
        case .connectionClosed, .connectionFailed, .checkoutTimeout, .poolClosed, .cancelled:
            return true
        case .server:
            return sqlState?.isTransient ?? false
        default:
            return false
        }
    }

    public var description: String {
        var parts = ["PostgresError(\(code)"]
        if let sqlState { parts.append("sqlState: \(sqlState.rawValue)") }
        if let column { parts.append("column: \(column)") }
        parts.append("reason: \(reason)")
        if let query { parts.append("query: \(Self.shorten(query))") }
        return parts.joined(separator: ", ") + ")"
    }

    public var debugDescription: String {
        var text = description
        if let serverMessage { text += " server message: \(serverMessage)" }
        if let serverDetail { text += " detail: \(serverDetail)" }
        return text
    }

    private static func shorten(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: \.isNewline).map { $0.trimmingPrefix(while: \.isWhitespace) }
            .joined(separator: " ")
        return flat.count > 200 ? String(flat.prefix(200)) + "…" : flat
    }
}

/// A five-character SQLSTATE code, with names for the ones callers branch on.
public struct SQLState: Hashable, Sendable, CustomStringConvertible {
    /// The code as the server sent it, such as `23505`.
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let notNullViolation = SQLState("23502")
    public static let checkViolation = SQLState("23514")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let queryCanceled = SQLState("57014")
    public static let lockNotAvailable = SQLState("55P03")
    public static let adminShutdown = SQLState("57P01")
    public static let crashShutdown = SQLState("57P02")
    public static let cannotConnectNow = SQLState("57P03")
    public static let undefinedTable = SQLState("42P01")
    public static let syntaxError = SQLState("42601")
    public static let invalidTextRepresentation = SQLState("22P02")
    public static let untranslatableCharacter = SQLState("22P05")
    public static let characterNotInRepertoire = SQLState("22021")

    /// Class 08 (connection exception) or an operator intervention that ends the session.
    public var isConnectionException: Bool {
        rawValue.hasPrefix("08") || self == .adminShutdown || self == .crashShutdown || self == .cannotConnectNow
    }

    /// A failure of the moment rather than of the statement: connection exceptions, a timeout
    /// or cancel (57014, 55P03), a lost serialization conflict or deadlock (40001, 40P01), or
    /// insufficient resources (class 53: disk full, out of memory, too many connections).
    public var isTransient: Bool {
        isConnectionException || rawValue.hasPrefix("53")
            || [.queryCanceled, .lockNotAvailable, .serializationFailure, .deadlockDetected].contains(self)
    }

    public var description: String { rawValue }
}

import Foundation

/// How ``PostgresClient`` connects and sizes its pool.
public struct PostgresConfiguration: Sendable {
    /// A `postgresql://` URL or a `key=value` conninfo string. Secret: may hold a password.
    public var url: String
    /// Connections open at most at once (the pool's size).
    public var maximumConnections: Int
    /// How long opening a connection may take (libpq rounds up to whole seconds, at least 2).
    public var connectTimeout: Duration
    /// How long a caller waits for a free connection before ``PostgresError/Code/checkoutTimeout``.
    public var checkoutTimeout: Duration
    /// Dedicated `LISTEN` connections that can be open at once without slowing queries.
    public var maximumListeners: Int
    /// `application_name` shown in `pg_stat_activity` (a URL may override it).
    public var applicationName: String
    /// The server-side `statement_timeout` of every connection (nil: none). A statement that
    /// runs longer fails with SQLSTATE 57014 and the connection stays usable.
    public var statementTimeout: Duration?
    /// How long past `statementTimeout` the client still waits for an answer before it sends a
    /// cancel request, and then again before it gives the connection up (shuts its socket down,
    /// so the pool replaces it). A server that stopped answering cannot time itself out.
    public var statementTimeoutGrace: Duration

    public init(
        url: String,
        maximumConnections: Int = 10,
        connectTimeout: Duration = .seconds(5),
        checkoutTimeout: Duration = .seconds(5),
        maximumListeners: Int = 4,
        applicationName: String = "mpshook",
        statementTimeout: Duration? = .seconds(30),
        statementTimeoutGrace: Duration = .seconds(5)
    ) {
        self.url = url
        self.maximumConnections = max(1, maximumConnections)
        self.connectTimeout = connectTimeout
        self.checkoutTimeout = checkoutTimeout
        self.maximumListeners = max(1, maximumListeners)
        self.applicationName = applicationName
        self.statementTimeout = statementTimeout.flatMap { $0 > .zero ? $0 : nil }
        self.statementTimeoutGrace = max(.milliseconds(100), statementTimeoutGrace)
    }

    /// The URL with any password replaced by `***`, safe to print.
    public var redactedURL: String { Self.redact(url) }

    /// Replaces the password in a URL (`scheme://user:secret@host`) or conninfo (`password=secret`).
    public static func redact(_ url: String) -> String {
        if let scheme = url.range(of: "://") {
            let rest = url[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            var redacted = String(url[..<scheme.upperBound])
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    redacted += userInfo[..<colon] + ":***"
                } else {
                    redacted += userInfo
                }
                redacted += authority[at...]
            } else {
                redacted += authority
            }
            var tail = String(rest[authorityEnd...])
            if let query = tail.firstIndex(of: "?") {
                let parameters = tail[tail.index(after: query)...].split(separator: "&").map { pair in
                    pair.lowercased().hasPrefix("password=") ? "password=***" : String(pair)
                }
                tail = String(tail[...query]) + parameters.joined(separator: "&")
            }
            return redacted + tail
        }
        return url.split(separator: " ").map { pair in
            pair.lowercased().hasPrefix("password=") ? "password=***" : String(pair)
        }.joined(separator: " ")
    }
}

import Foundation
import Hashing
public import Postgres

/// SQL for stored notifications.
public struct NotificationStore: Sendable {
    /// The channel the applier listens on; notified when notifications are stored.
    public static let notificationsChannel = "mpshook_notifications"

    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Whether a row could be written now: takes, and gives back at once, the lock an INSERT
    /// into `notifications` takes (ROW EXCLUSIVE), waiting at most `lockTimeout`. False when
    /// another session holds a conflicting lock (a migration, a manual `LOCK TABLE`).
    public func canWrite(lockTimeout: Duration) async throws(PostgresError) -> Bool {
        let milliseconds = Int(lockTimeout / .milliseconds(1))
        do {
            try await client.withTransaction { connection in
                _ = try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL lock_timeout = \(milliseconds)"))
                _ = try await connection.query("LOCK TABLE notifications IN ROW EXCLUSIVE MODE")
            }
            return true
        } catch let error as PostgresError {
            guard error.sqlState == .lockNotAvailable else { throw error }
            return false
        } catch {
            throw PostgresError(code: .cancelled, reason: "the write probe was cancelled")
        }
    }

    /// Stores a batch in one statement (one round trip, one commit) and wakes the applier.
    /// Returns, per input, true when it was new and false when the same content was already
    /// stored (a duplicate delivery: a no-op the door still acknowledges).
    ///
    /// Each value is its own bind parameter in a multi-row VALUES list: a 3 KB body is sent as
    /// it is, with no array-literal escaping on our side or parsing on the server's.
    public func insert(_ batch: [IncomingNotification]) async throws(PostgresError) -> [Bool] {
        try await insert(batch, source: .callback)
    }

    /// ``insert(_:)`` for notifications from `source` (the reconciler stores polled answers).
    public func insert(_ batch: [IncomingNotification], source: NotificationSource) async throws(PostgresError) -> [Bool] {
        guard !batch.isEmpty else { return [] }
        var statement = PostgresQuery.StringInterpolation(literalCapacity: 400 + batch.count * 64, interpolationCount: batch.count * 8)
        statement.appendLiteral("""
            WITH stored AS (
                INSERT INTO notifications (content_hash, correlation_id, session_context, event_type, body, headers, source_address, received_at, source)
                VALUES
            """)
        for (index, notification) in batch.enumerated() {
            statement.appendLiteral(index == 0 ? " (" : ", (")
            statement.appendInterpolation(PostgresBytes(notification.contentHash))
            statement.appendLiteral(", ")
            statement.appendInterpolation(notification.correlationId)
            statement.appendLiteral(", ")
            statement.appendInterpolation(notification.sessionContext)
            statement.appendLiteral(", ")
            statement.appendInterpolation(notification.eventType)
            statement.appendLiteral(", ")
            statement.appendInterpolation(notification.body)
            statement.appendLiteral(", ")
            statement.appendInterpolation(notification.headers)
            statement.appendLiteral("::jsonb, ")
            statement.appendInterpolation(notification.sourceAddress)
            statement.appendLiteral(", ")
            statement.appendInterpolation(notification.receivedAt)
            // A closed set of lower-case words: written as a literal, not one bind per row.
            statement.appendLiteral(", '\(source.rawValue)')")
        }
        statement.appendLiteral("""

                ON CONFLICT (content_hash) DO NOTHING
                RETURNING content_hash
            ), woken AS (
                SELECT pg_notify('\(Self.notificationsChannel)', '') WHERE EXISTS (SELECT 1 FROM stored)
            )
            SELECT (SELECT count(*) FROM woken), encode(content_hash, 'hex') FROM stored
            """)
        let rows = try await client.query(PostgresQuery(stringInterpolation: statement))
        var new = Set<String>()
        for row in rows {
            new.insert(try row.decode(String.self, at: 1))
        }
        return batch.map { new.contains(Hex.encode($0.contentHash)) }
    }

    /// How many notifications have each outcome.
    public func countByOutcome() async throws(PostgresError) -> [String: Int] {
        let rows = try await client.query("SELECT outcome, count(*) FROM notifications GROUP BY outcome")
        var counts: [String: Int] = [:]
        for row in rows {
            let (outcome, count) = try row.decode((String, Int).self)
            counts[outcome] = count
        }
        return counts
    }
}

/// Where a stored notification came from (`notifications.source`).
public enum NotificationSource: String, Sendable, Hashable, CaseIterable, Codable {
    /// MPS called the NotifyUrl.
    case callback
    /// The reconciler asked MPS (`DescribeBatchTaskDetail`) and stored the answer.
    case poll
}

/// SQL for the log of MPS API calls.
public struct AttemptStore: Sendable {
    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    public func record(_ attempt: AttemptRecord) async throws(PostgresError) {
        _ = try await client.query("""
            INSERT INTO attempts (step_id, action, request_id, error_code, error_class, http_status, latency_ms, started_at)
            VALUES (\(attempt.stepId), \(attempt.action), \(attempt.requestId), \(attempt.errorCode), \(attempt.errorClass),
                    \(attempt.httpStatus), \(attempt.latencyMilliseconds), \(attempt.startedAt))
            """)
    }
}

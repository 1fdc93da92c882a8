public import Foundation
public import Postgres

/// A stored notification waiting to be applied.
public struct PendingNotification: Sendable, Equatable {
    public var id: Int64
    public var correlationId: UUID?
    public var eventType: String
    public var body: String
    /// How long ago the door stored it, on the database's clock (the applier's lag).
    public var secondsSinceReceived: Double = 0
}

/// What became of one notification.
public enum ApplyOutcome: String, Sendable {
    case applied, orphan, unsupported, failed
}

/// SQL for applying a batch of notifications inside one transaction: each statement covers the
/// whole batch (arrays in, one round trip), so the cost per notification stays small.
public struct ApplyStore: Sendable {
    let connection: PostgresConnection

    /// Statements run on `connection`, which must be inside a transaction.
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Locks up to `limit` pending notifications (oldest first) that no other applier holds;
    /// with `id`, only that one.
    public func claimPending(limit: Int, id: Int64? = nil) async throws(PostgresError) -> [PendingNotification] {
        let rows = try await connection.query("""
            SELECT id, correlation_id, event_type, body, extract(epoch FROM clock_timestamp() - received_at)::float8 FROM notifications
            WHERE outcome = 'pending' AND (\(id)::int8 IS NULL OR id = \(id))
            ORDER BY id
            LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """)
        return try rows.map { row throws(PostgresError) in
            let (id, correlationId, eventType, body, age) = try row.decode((Int64, UUID?, String, String, Double).self)
            return PendingNotification(id: id, correlationId: correlationId, eventType: eventType, body: body, secondsSinceReceived: age)
        }
    }

    /// Records each notification's outcome (and error, for `failed`).
    public func record(_ outcomes: [(id: Int64, outcome: ApplyOutcome, error: String?)]) async throws(PostgresError) {
        guard !outcomes.isEmpty else { return }
        _ = try await connection.query("""
            UPDATE notifications SET outcome = result.outcome,
                applied_at = CASE WHEN result.outcome = 'failed' THEN NULL ELSE clock_timestamp() END,
                apply_error = result.error, apply_attempts = apply_attempts + 1
            FROM unnest(\(outcomes.map { Int($0.id) })::int8[], \(outcomes.map(\.outcome.rawValue))::text[], \(outcomes.map(\.error))::text[])
                AS result(id, outcome, error)
            WHERE notifications.id = result.id
            """)
    }

    /// Outside any batch: keeps a notification that cannot be applied as `failed`, with why.
    public static func markFailed(id: Int64, error: String, client: PostgresClient) async throws(PostgresError) {
        _ = try await client.query("""
            UPDATE notifications SET outcome = 'failed', apply_error = \(String(error.prefix(2000))), apply_attempts = apply_attempts + 1
            WHERE id = \(id) AND outcome = 'pending'
            """)
    }

    /// Puts the given notifications (failed or orphan) back to pending, or with nil every failed
    /// one, and wakes the appliers; returns how many were requeued. Pending, applied and
    /// unsupported ones are left alone, so a repeated call changes nothing more.
    public static func requeue(ids: [Int64]?, client: PostgresClient) async throws(PostgresError) -> Int {
        let rows: PostgresRows
        if let ids {
            rows = try await client.query("""
                UPDATE notifications SET outcome = 'pending' WHERE id = ANY(\(ids.map(Int.init))::int8[]) AND outcome IN ('failed', 'orphan')
                RETURNING id
                """)
        } else {
            rows = try await client.query("UPDATE notifications SET outcome = 'pending' WHERE outcome = 'failed' RETURNING id")
        }
        if rows.count > 0 { try await client.notify(NotificationStore.notificationsChannel) }
        return rows.count
    }

    /// The ids of up to `limit` pending notifications, oldest first (no lock).
    public static func pendingIds(limit: Int, client: PostgresClient) async throws(PostgresError) -> [Int64] {
        try await client.query("SELECT id FROM notifications WHERE outcome = 'pending' ORDER BY id LIMIT \(limit)")
            .map { row throws(PostgresError) in try row.decode(Int64.self, at: 0) }
    }
}

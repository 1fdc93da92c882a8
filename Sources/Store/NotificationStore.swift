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

    /// Stores a batch in one statement (one round trip, one commit) and wakes the applier.
    /// Returns, per input, true when it was new and false when the same content was already
    /// stored (a duplicate delivery: a no-op the door still acknowledges).
    public func insert(_ batch: [IncomingNotification]) async throws(PostgresError) -> [Bool] {
        guard !batch.isEmpty else { return [] }
        let hashes = batch.map { Hex.encode($0.contentHash) }
        let rows = try await client.query("""
            WITH stored AS (
                INSERT INTO notifications (content_hash, correlation_id, session_context, event_type, body, headers, source_address, received_at)
                SELECT decode(hash, 'hex'), correlation_id, session_context, event_type, body, headers::jsonb, source_address, received_at
                FROM unnest(\(hashes)::text[], \(batch.map(\.correlationId))::uuid[], \(batch.map(\.sessionContext))::text[],
                            \(batch.map(\.eventType))::text[], \(batch.map(\.body))::text[], \(batch.map(\.headers))::text[],
                            \(batch.map(\.sourceAddress))::text[], \(batch.map(\.receivedAt))::timestamptz[])
                    AS incoming(hash, correlation_id, session_context, event_type, body, headers, source_address, received_at)
                ON CONFLICT (content_hash) DO NOTHING
                RETURNING encode(content_hash, 'hex')
            ), woken AS (
                SELECT pg_notify(\(Self.notificationsChannel), '') WHERE EXISTS (SELECT 1 FROM stored)
            )
            SELECT (SELECT count(*) FROM woken), encode FROM stored
            """)
        var new = Set<String>()
        for row in rows {
            new.insert(try row.decode(String.self, at: 1))
        }
        return hashes.map { new.contains($0) }
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

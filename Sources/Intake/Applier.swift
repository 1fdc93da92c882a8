import Foundation
public import Logging
import MPS
public import Postgres
public import ServiceLifecycle
import Store

/// Applies stored notifications behind the door: in batches (`FOR UPDATE SKIP LOCKED`, so
/// replicas share the work), one transaction per batch, each notification under its own
/// savepoint so one that fails is kept with its error (outcome `failed`, re-appliable) without
/// undoing the rest.
///
/// Applying matches the notification to its step through the correlation id from
/// `SessionContext`, moves each output only forward (WAITING → PROCESSING → SUCCESS | FAIL; a
/// stale report changes nothing), resolves a `submit_unknown` step (the task exists), finishes
/// the step when every output is final, and finishes the job when every step is. Outcomes:
/// `applied`, `orphan` (no such step: kept, listable), `unsupported` (another EventType).
public final class Applier: Service, Sendable {
    private let client: PostgresClient
    private let batchSize: Int
    private let pollInterval: Duration
    private let logger: Logger

    public init(client: PostgresClient, batchSize: Int = 100, pollInterval: Duration = .seconds(2), logger: Logger) {
        self.client = client
        self.batchSize = max(1, batchSize)
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var listener: PostgresNotifications.Iterator?
            while !Task.isCancelled {
                if listener == nil {
                    listener = try? await self.client.listen([NotificationStore.notificationsChannel]).makeAsyncIterator()
                }
                do {
                    while try await self.applyBatch() > 0, !Task.isCancelled {}
                } catch {
                    self.logger.error("applying notifications failed", metadata: ["error": "\(error)"])
                }
                guard var iterator = listener else {
                    try? await Task.sleep(for: self.pollInterval)
                    continue
                }
                do {
                    if try await iterator.next(within: self.pollInterval) != nil {
                        while try await iterator.next(within: .milliseconds(1)) != nil {}
                    }
                    listener = iterator
                } catch {
                    listener = nil
                }
            }
        }
    }

    /// Applies up to one batch of pending notifications; returns how many it took.
    @discardableResult
    public func applyBatch() async throws -> Int {
        try await client.withTransaction { connection in
            let rows = try await connection.query("""
                SELECT id, correlation_id, event_type, body FROM notifications
                WHERE outcome = 'pending'
                ORDER BY id
                LIMIT \(batchSize)
                FOR UPDATE SKIP LOCKED
                """)
            for row in rows {
                let (id, correlationId, eventType, body) = try row.decode((Int64, UUID?, String, String).self)
                _ = try await connection.query("SAVEPOINT apply_one")
                do {
                    let outcome = try await self.apply(correlationId: correlationId, eventType: eventType, body: body, on: connection)
                    _ = try await connection.query("""
                        UPDATE notifications SET outcome = \(outcome), applied_at = now(), apply_error = NULL,
                            apply_attempts = apply_attempts + 1
                        WHERE id = \(id)
                        """)
                    _ = try await connection.query("RELEASE SAVEPOINT apply_one")
                } catch {
                    _ = try await connection.query("ROLLBACK TO SAVEPOINT apply_one")
                    let reason = (error as? PostgresError).map { "\($0)" } ?? "\(error)"
                    _ = try await connection.query("""
                        UPDATE notifications SET outcome = 'failed', apply_error = \(String(reason.prefix(2000))),
                            apply_attempts = apply_attempts + 1
                        WHERE id = \(id)
                        """)
                    self.logger.warning("a notification could not be applied; kept as failed", metadata: ["notification.id": "\(id)"])
                }
            }
            return rows.count
        }
    }

    private func apply(correlationId: UUID?, eventType: String, body: String, on connection: PostgresConnection) async throws -> String {
        guard eventType == "BatchTask" else { return "unsupported" }
        guard let correlationId else { return "orphan" }
        let steps = try await connection.query("SELECT id, job_id FROM steps WHERE correlation_id = \(correlationId) FOR UPDATE")
        guard let step = steps.first else { return "orphan" }
        let (stepId, jobId) = try step.decode((UUID, UUID).self)
        let notification = try MPSNotification.decode(from: Array(body.utf8))
        let outputs = notification.batchTaskEvent?.smartSubtitlesTaskResult?.outputs ?? []
        for (index, output) in outputs.enumerated() {
            guard let raw = output.status?.rawValue, let status = Store.OutputStatus(rawValue: raw) else { continue }
            let path = output.transTextTask?.path ?? output.asrFullTextTask?.path
            let url = output.transTextTask?.subtitlePath ?? output.asrFullTextTask?.subtitlePath
            let failed = status == .fail
            // Forward only: the WHERE clause refuses a report that is not ahead of what is stored.
            _ = try await connection.query("""
                UPDATE outputs SET status = \(status.rawValue), progress = \(output.progress ?? 0),
                    subtitle_path = \(path), subtitle_url = \(url),
                    error_code = \(failed ? output.errCodeExt : nil), error_message = \(failed ? output.message : nil),
                    updated_at = now()
                WHERE step_id = \(stepId) AND input_index = \(index)
                  AND status NOT IN ('SUCCESS', 'FAIL')
                  AND (CASE status WHEN 'WAITING' THEN 0 ELSE 1 END)
                      < (CASE \(status.rawValue)::text WHEN 'WAITING' THEN 0 WHEN 'PROCESSING' THEN 1 ELSE 2 END)
                """)
        }
        // A callback proves the task exists: an unclear submission is resolved.
        _ = try await connection.query("""
            UPDATE steps SET state = 'submitted', updated_at = now()
            WHERE id = \(stepId) AND state IN ('submitting', 'submit_unknown', 'lost')
            """)
        // Every output final: the step is finished, by the outcomes of its outputs.
        _ = try await connection.query("""
            UPDATE steps SET state = outcome.final, finished_at = now(), updated_at = now()
            FROM (
                SELECT CASE WHEN every(status = 'SUCCESS') THEN 'succeeded'
                            WHEN every(status = 'FAIL') THEN 'failed'
                            ELSE 'partially_failed' END AS final,
                       every(status IN ('SUCCESS', 'FAIL')) AS done
                FROM outputs WHERE step_id = \(stepId)
            ) AS outcome
            WHERE steps.id = \(stepId) AND steps.state = 'submitted' AND outcome.done
            """)
        _ = try await connection.query("""
            UPDATE jobs SET state = CASE
                    WHEN (SELECT every(state = 'succeeded') FROM steps WHERE job_id = \(jobId)) THEN 'succeeded'
                    WHEN (SELECT every(state = 'failed') FROM steps WHERE job_id = \(jobId)) THEN 'failed'
                    ELSE 'partially_failed' END,
                finished_at = now(), updated_at = now()
            WHERE id = \(jobId) AND state = 'running'
              AND NOT EXISTS (SELECT 1 FROM steps WHERE job_id = \(jobId) AND state NOT IN ('succeeded', 'partially_failed', 'failed'))
            """)
        return "applied"
    }

    /// Puts failed (or the given) notifications back to pending, to apply again after a fix.
    /// Returns how many were requeued.
    public static func reapply(ids: [Int64]?, client: PostgresClient) async throws(PostgresError) -> Int {
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
}

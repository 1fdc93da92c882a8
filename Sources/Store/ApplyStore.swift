public import Foundation
public import Postgres

/// A stored notification waiting to be applied.
public struct PendingNotification: Sendable, Equatable {
    public var id: Int64
    public var correlationId: UUID?
    public var eventType: String
    public var body: String
}

/// The most advanced report for one output within a batch.
public struct OutputReport: Sendable, Equatable {
    public var stepId: UUID
    public var inputIndex: Int
    public var status: OutputStatus
    public var progress: Int
    public var path: String?
    public var subtitleURL: String?
    public var errorCode: String?
    public var errorMessage: String?

    public init(
        stepId: UUID, inputIndex: Int, status: OutputStatus, progress: Int,
        path: String?, subtitleURL: String?, errorCode: String?, errorMessage: String?
    ) {
        self.stepId = stepId
        self.inputIndex = inputIndex
        self.status = status
        self.progress = progress
        self.path = path
        self.subtitleURL = subtitleURL
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }
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
            SELECT id, correlation_id, event_type, body FROM notifications
            WHERE outcome = 'pending' AND (\(id)::int8 IS NULL OR id = \(id))
            ORDER BY id
            LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """)
        return try rows.map { row throws(PostgresError) in
            let (id, correlationId, eventType, body) = try row.decode((Int64, UUID?, String, String).self)
            return PendingNotification(id: id, correlationId: correlationId, eventType: eventType, body: body)
        }
    }

    /// The steps these correlation ids name, locked (in id order, so appliers never deadlock),
    /// as correlation id → (step, job).
    public func lockSteps(correlationIds: [UUID]) async throws(PostgresError) -> [UUID: (step: UUID, job: UUID)] {
        guard !correlationIds.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT correlation_id, id, job_id FROM steps
            WHERE correlation_id = ANY(\(correlationIds)::uuid[])
            ORDER BY id
            FOR UPDATE
            """)
        var steps: [UUID: (step: UUID, job: UUID)] = [:]
        for row in rows {
            let (correlationId, stepId, jobId) = try row.decode((UUID, UUID, UUID).self)
            steps[correlationId] = (stepId, jobId)
        }
        return steps
    }

    /// Moves outputs forward only: to a later status, or to more progress within the same
    /// status; SUCCESS and FAIL are final. A stale report matches no row and changes nothing.
    public func moveOutputsForward(_ reports: [OutputReport]) async throws(PostgresError) {
        guard !reports.isEmpty else { return }
        let failed = reports.map { $0.status == .fail }
        _ = try await connection.query("""
            UPDATE outputs SET status = report.status, progress = report.progress,
                subtitle_path = report.path, subtitle_url = report.url,
                error_code = report.error_code, error_message = report.error_message, updated_at = now()
            FROM unnest(\(reports.map(\.stepId))::uuid[], \(reports.map(\.inputIndex))::int[], \(reports.map(\.status.rawValue))::text[],
                        \(reports.map(\.progress))::int[], \(reports.map(\.path))::text[], \(reports.map(\.subtitleURL))::text[],
                        \(zip(reports, failed).map { $1 ? $0.errorCode : nil })::text[],
                        \(zip(reports, failed).map { $1 ? $0.errorMessage : nil })::text[])
                AS report(step_id, input_index, status, progress, path, url, error_code, error_message)
            WHERE outputs.step_id = report.step_id AND outputs.input_index = report.input_index
              AND outputs.status NOT IN ('SUCCESS', 'FAIL')
              AND (CASE outputs.status WHEN 'WAITING' THEN 0 ELSE 1 END,  outputs.progress)
                  < (CASE report.status WHEN 'WAITING' THEN 0 WHEN 'PROCESSING' THEN 1 ELSE 2 END, report.progress)
            """)
    }

    /// A callback proves the task exists: steps whose submission was unclear become `submitted`.
    /// The error of the unclear attempt (a timeout, `InternalError`) no longer describes the step,
    /// so it is cleared, as `StepStore.markSubmitted` clears it when the answer arrives.
    public func resolveSubmissions(stepIds: [UUID]) async throws(PostgresError) {
        guard !stepIds.isEmpty else { return }
        _ = try await connection.query("""
            UPDATE steps SET state = 'submitted', error_code = NULL, error_message = NULL, updated_at = now()
            WHERE id = ANY(\(stepIds)::uuid[]) AND state IN ('submitting', 'submit_unknown', 'lost')
            """)
    }

    /// Steps whose outputs are all final finish by their outputs' outcomes; returns their jobs.
    public func finishSteps(stepIds: [UUID]) async throws(PostgresError) -> [UUID] {
        guard !stepIds.isEmpty else { return [] }
        let rows = try await connection.query("""
            UPDATE steps SET state = outcome.final, finished_at = now(), updated_at = now()
            FROM (
                SELECT step_id,
                       CASE WHEN every(status = 'SUCCESS') THEN 'succeeded'
                            WHEN every(status = 'FAIL') THEN 'failed'
                            ELSE 'partially_failed' END AS final,
                       every(status IN ('SUCCESS', 'FAIL')) AS done
                FROM outputs WHERE step_id = ANY(\(stepIds)::uuid[])
                GROUP BY step_id
            ) AS outcome
            WHERE steps.id = outcome.step_id AND steps.state = 'submitted' AND outcome.done
            RETURNING steps.job_id
            """)
        return try rows.map { row throws(PostgresError) in try row.decode(UUID.self, at: 0) }
    }

    /// Jobs whose steps are all final finish: succeeded, failed, or partially failed.
    public func finishJobs(jobIds: [UUID]) async throws(PostgresError) {
        guard !jobIds.isEmpty else { return }
        _ = try await connection.query("""
            UPDATE jobs SET state = CASE WHEN summary.all_succeeded THEN 'succeeded'
                                         WHEN summary.all_failed THEN 'failed'
                                         ELSE 'partially_failed' END,
                finished_at = now(), updated_at = now()
            FROM (
                SELECT job_id, every(state = 'succeeded') AS all_succeeded, every(state = 'failed') AS all_failed,
                       every(state IN ('succeeded', 'partially_failed', 'failed')) AS done
                FROM steps WHERE job_id = ANY(\(jobIds)::uuid[])
                GROUP BY job_id
            ) AS summary
            WHERE jobs.id = summary.job_id AND jobs.state = 'running' AND summary.done
            """)
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

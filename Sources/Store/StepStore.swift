public import Foundation
public import Postgres

/// SQL for the steps' submission life cycle. Every state change is one statement whose WHERE
/// clause names the states it may leave, so a late or repeated call changes nothing.
public struct StepStore: Sendable {
    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Claims up to `limit` due pending steps (`FOR UPDATE SKIP LOCKED`, so replicas never
    /// claim the same one) and marks them `submitting` in the same statement.
    public func claimPending(limit: Int) async throws(PostgresError) -> [ClaimedStep] {
        let rows = try await client.query("""
            UPDATE steps SET state = 'submitting', submit_attempts = submit_attempts + 1, updated_at = now()
            WHERE id IN (
                SELECT id FROM steps
                WHERE state = 'pending' AND next_attempt_at <= now()
                ORDER BY next_attempt_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id, job_id, correlation_id, session_context, request::text, submit_attempts
            """)
        return try rows.map { row throws(PostgresError) in
            let (id, jobId, correlationId, sessionContext, request, attempts) = try row.decode((UUID, UUID, UUID, String, String, Int).self)
            return ClaimedStep(
                id: id, jobId: jobId, correlationId: correlationId, sessionContext: sessionContext,
                request: request, submitAttempts: attempts
            )
        }
    }

    /// Records the TaskId. A callback may have finished the step already (it can arrive before
    /// the response): the TaskId is kept and the state is left as it is then.
    @discardableResult
    public func markSubmitted(_ id: UUID, taskId: String) async throws(PostgresError) -> Bool {
        let rows = try await client.query("""
            UPDATE steps SET task_id = \(taskId), submitted_at = coalesce(submitted_at, now()), updated_at = now(),
                state = CASE WHEN state IN ('submitting', 'submit_unknown') THEN 'submitted' ELSE state END,
                error_code = NULL, error_message = NULL
            WHERE id = \(id) AND state <> 'pending'
            RETURNING id
            """)
        return rows.count == 1
    }

    /// Back to pending after a retryable refusal; due again after `delay`.
    @discardableResult
    public func markRetry(_ id: UUID, after delay: Duration, code: String, message: String) async throws(PostgresError) -> Bool {
        let milliseconds = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
        let rows = try await client.query("""
            UPDATE steps SET state = 'pending', next_attempt_at = now() + \(Int(milliseconds)) * interval '1 millisecond',
                error_code = \(code), error_message = \(message), updated_at = now()
            WHERE id = \(id) AND state = 'submitting'
            RETURNING id
            """)
        return rows.count == 1
    }

    /// A final refusal: the step failed without creating a task, so no callback will ever move
    /// its outputs: they end `FAIL` with the refusal's code and message. Its job finishes too when
    /// this was its last unfinished step. All in one transaction, so no reader sees a failed step
    /// with outputs still waiting.
    @discardableResult
    public func markFailed(_ id: UUID, code: String, message: String) async throws -> Bool {
        try await client.withTransaction { connection in
            let rows = try await connection.query("""
                UPDATE steps SET state = 'failed', error_code = \(code), error_message = \(message),
                    finished_at = now(), updated_at = now()
                WHERE id = \(id) AND state IN ('pending', 'submitting')
                RETURNING job_id
                """)
            guard let row = rows.first else { return false }
            // Only reached when the step itself just failed (above), so a late call changes no output.
            _ = try await connection.query("""
                UPDATE outputs SET status = 'FAIL', error_code = \(code), error_message = \(message), updated_at = now()
                WHERE step_id = \(id) AND status NOT IN ('SUCCESS', 'FAIL')
                """)
            try await ApplyStore(connection: connection).finishJobs(jobIds: [try row.decode(UUID.self, at: 0)])
            return true
        }
    }

    /// An ambiguous outcome: a task may exist. Never resent automatically.
    @discardableResult
    public func markSubmitUnknown(_ id: UUID, code: String, message: String) async throws(PostgresError) -> Bool {
        let rows = try await client.query("""
            UPDATE steps SET state = 'submit_unknown', error_code = \(code), error_message = \(message), updated_at = now()
            WHERE id = \(id) AND state = 'submitting'
            RETURNING id
            """)
        return rows.count == 1
    }

    /// Steps left `submitting` longer than `olderThan` (the longest a call can take, plus a
    /// margin) were abandoned by a process that stopped mid-call: the call may have reached MPS,
    /// so they become `submit_unknown`, never pending. Returns how many.
    public func recoverAbandoned(olderThan: Duration) async throws(PostgresError) -> Int {
        let seconds = Int(olderThan.components.seconds)
        let rows = try await client.query("""
            UPDATE steps SET state = 'submit_unknown', error_code = 'Interrupted',
                error_message = 'the process stopped while submitting; the call may have reached MPS', updated_at = now()
            WHERE state = 'submitting' AND updated_at < now() - \(seconds) * interval '1 second'
            RETURNING id
            """)
        return rows.count
    }

    /// The step whose SessionContext carried `correlationId`.
    public func step(correlationId: UUID) async throws(PostgresError) -> StepRecord? {
        try await fetch("SELECT id, job_id, correlation_id, session_context, state, task_id, submit_attempts, error_code, error_message FROM steps WHERE correlation_id = \(correlationId)")
    }

    public func step(id: UUID) async throws(PostgresError) -> StepRecord? {
        try await fetch("SELECT id, job_id, correlation_id, session_context, state, task_id, submit_attempts, error_code, error_message FROM steps WHERE id = \(id)")
    }

    private func fetch(_ query: PostgresQuery) async throws(PostgresError) -> StepRecord? {
        let rows = try await client.query(query)
        guard let row = rows.first else { return nil }
        let (id, jobId, correlationId, sessionContext, state, taskId, attempts, code, message) =
            try row.decode((UUID, UUID, UUID, String, String, String?, Int, String?, String?).self)
        guard let parsed = StepState(rawValue: state) else {
            throw PostgresError(code: .decoding, reason: "unknown step state \(state)", column: "state")
        }
        return StepRecord(
            id: id, jobId: jobId, correlationId: correlationId, sessionContext: sessionContext, state: parsed,
            taskId: taskId, submitAttempts: attempts, errorCode: code, errorMessage: message
        )
    }
}

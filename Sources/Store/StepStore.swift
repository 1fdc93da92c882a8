public import Foundation
public import Postgres
import Workflows

/// SQL for the steps' submission life cycle. Every state change is one statement whose WHERE
/// clause names the states it may leave, taken from `StepState.after(_:)` (``StepMove``), so a
/// late or repeated call changes nothing and the database cannot disagree with the domain rules.
/// A refusal finishes the step, so it goes through the completion path (``CompletionStore``).
public struct StepStore: Sendable {
    let client: PostgresClient
    let catalog: WorkflowCatalog

    public init(client: PostgresClient, catalog: WorkflowCatalog = WorkflowCatalog()) {
        self.client = client
        self.catalog = catalog
    }

    /// Claims up to `limit` due pending steps (`FOR UPDATE SKIP LOCKED`, so replicas never
    /// claim the same one) and marks them `submitting` in the same statement, leased to
    /// `lease.owner` until `lease.duration` from now, not yet sent (``markSending(_:lease:)``).
    /// The default lease is an anonymous one (for tests and one-off tools): nobody renews it.
    public func claimPending(
        limit: Int, lease: ClaimLease = ClaimLease(owner: UUID(), duration: .seconds(30))
    ) async throws(PostgresError) -> [ClaimedStep] {
        let claim = StepMove(.claim)
        let rows = try await client.query("""
            UPDATE steps SET state = \(claim.target), submit_attempts = submit_attempts + 1, updated_at = now(),
                claimed_by = \(lease.owner), lease_until = now() + \(lease.milliseconds) * interval '1 millisecond', sent_at = NULL
            WHERE id IN (
                SELECT id FROM steps
                WHERE state = ANY(\(claim.sources)::text[]) AND next_attempt_at <= now()
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

    /// How long until the earliest pending step is due (zero when one is due now; nil when none
    /// is pending), so a dispatcher sleeps until a delayed follow-up is due, not a poll interval.
    public func untilNextDue() async throws(PostgresError) -> Duration? {
        let rows = try await client.query("""
            SELECT extract(epoch FROM min(next_attempt_at) - now())::float8 FROM steps WHERE state = ANY(\(StepMove(.claim).sources)::text[])
            """)
        guard let seconds = try rows.first?.decode(Double?.self, at: 0) else { return nil }
        return .milliseconds(max(0, Int((seconds * 1000).rounded(.up))))
    }

    /// Records the TaskId. A callback may have finished the step already (it can arrive before
    /// the response): the TaskId is kept and the state is left as it is then.
    @discardableResult
    public func markSubmitted(_ id: UUID, taskId: String) async throws(PostgresError) -> Bool {
        let accept = StepMove(.accept)
        let rows = try await client.query("""
            UPDATE steps SET task_id = \(taskId), submitted_at = coalesce(submitted_at, now()), updated_at = now(),
                state = CASE WHEN state = ANY(\(accept.changing)::text[]) THEN \(accept.target) ELSE state END,
                claimed_by = NULL, lease_until = NULL,
                error_code = CASE WHEN state = ANY(\(accept.changing)::text[]) THEN NULL ELSE error_code END,
                error_message = CASE WHEN state = ANY(\(accept.changing)::text[]) THEN NULL ELSE error_message END
            WHERE id = \(id) AND state = ANY(\(accept.sources)::text[])
            RETURNING id
            """)
        return rows.count == 1
    }

    /// Back to pending after a retryable refusal; due again after `delay`. With `attempt` (the
    /// claim's ``ClaimedStep/submitAttempts``), only while it is still that claim: a claim that
    /// lapsed and was taken again by another process is not moved by this one's late answer.
    ///
    /// A step whose job was cancelled meanwhile is never put back to pending: it ends `failed`
    /// (``JobState/eventForRetry``, code `Cancelled`) through the completion path, since the
    /// refusal made no task and none may be made now. The step is locked first and its job's
    /// state read after: a cancel locks the job's steps before the job, so it has either
    /// committed (and is seen here) or waits for this step and then finds it pending and ends it.
    @discardableResult
    public func markRetry(
        _ id: UUID, after delay: Duration, code: String, message: String, attempt: Int? = nil
    ) async throws -> Bool {
        let milliseconds = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
        let retry = StepMove(.retryLater)
        return try await client.withTransaction { connection in
            let locked = try await connection.query("""
                SELECT job_id FROM steps
                WHERE id = \(id) AND state = ANY(\(retry.sources)::text[]) AND (\(attempt)::int8 IS NULL OR submit_attempts = \(attempt))
                FOR UPDATE
                """)
            guard let jobId = try locked.first?.decode(UUID.self, at: 0) else { return false }
            let jobs = try await connection.query("SELECT state FROM jobs WHERE id = \(jobId)")
            let jobState = try jobs.first.flatMap { row throws(PostgresError) in JobState(rawValue: try row.decode(String.self, at: 0)) }
            if jobState?.eventForRetry == .cancel {
                return try await endCancelled(id, refusal: code, on: connection)
            }
            let rows = try await connection.query("""
                UPDATE steps SET state = \(retry.target), next_attempt_at = now() + \(Int(milliseconds)) * interval '1 millisecond',
                    error_code = \(code), error_message = \(message), claimed_by = NULL, lease_until = NULL, updated_at = now()
                WHERE id = \(id) AND state = ANY(\(retry.sources)::text[])
                RETURNING id
                """)
            return rows.count == 1
        }
    }

    /// Ends a locked step of a cancelled job that would have gone back to pending.
    private func endCancelled(_ id: UUID, refusal: String, on connection: PostgresConnection) async throws -> Bool {
        let completion = CompletionStore(connection: connection, catalog: catalog)
        guard let step = try await completion.lockSteps(ids: [id]).first, let next = step.state.after(.cancel) else { return false }
        let message = "its job was cancelled; not sent again after \(refusal)"
        let outputs = step.outputs.map { $0.failed(code: JobCancellation.stepErrorCode, message: message) }
        _ = try await completion.complete([
            StepChange(stepId: step.id, jobId: step.jobId, from: step.state, to: next, outputs: outputs, error: (JobCancellation.stepErrorCode, message))
        ])
        _ = try await connection.query("UPDATE steps SET claimed_by = NULL, lease_until = NULL WHERE id = \(id)")
        return true
    }

    /// A final refusal: the step failed without creating a task, so no callback will ever move
    /// its outputs: they end `FAIL` with the refusal's code and message, and its job goes on (a
    /// branch on failure) or ends, through the one completion path, in one transaction.
    @discardableResult
    public func markFailed(_ id: UUID, code: String, message: String) async throws -> Bool {
        try await client.withTransaction { connection in
            try await CompletionStore(connection: connection, catalog: self.catalog).refuse(stepId: id, code: code, message: message) != nil
        }
    }

    /// An ambiguous outcome: a task may exist. Never resent automatically. `attempt` as in
    /// ``markRetry(_:after:code:message:attempt:)``.
    @discardableResult
    public func markSubmitUnknown(_ id: UUID, code: String, message: String, attempt: Int? = nil) async throws(PostgresError) -> Bool {
        let unclear = StepMove(.unclear)
        let rows = try await client.query("""
            UPDATE steps SET state = \(unclear.target), error_code = \(code), error_message = \(message),
                claimed_by = NULL, lease_until = NULL, updated_at = now()
            WHERE id = \(id) AND state = ANY(\(unclear.sources)::text[]) AND (\(attempt)::int8 IS NULL OR submit_attempts = \(attempt))
            RETURNING id
            """)
        return rows.count == 1
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

/// The SQL guard and target of one step event, read off `StepState.after(_:)`: the states the
/// event applies in (``sources``), those it changes (``changing``), and the state it moves them to.
struct StepMove {
    let sources: [String]
    let changing: [String]
    /// The state every changing source moves to (each event used here has exactly one).
    let target: String

    init(_ event: StepState.Event) {
        sources = StepState.sources(of: event).map(\.rawValue)
        let changingStates = StepState.changing(on: event)
        changing = changingStates.map(\.rawValue)
        target = changingStates.first.flatMap { $0.after(event) }?.rawValue ?? ""
    }
}

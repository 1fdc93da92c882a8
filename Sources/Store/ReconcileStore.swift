public import Foundation
public import Postgres
public import Workflows

/// A step the reconciler has to look at: what it needs to decide (``ReconcileFacts``) and to
/// poll (the TaskId, the SessionContext its answer is filed under).
public struct ReconcileCandidate: Sendable, Equatable {
    public var id: UUID
    public var correlationId: UUID
    public var sessionContext: String
    public var taskId: String?
    public var facts: ReconcileFacts
}

/// SQL for the reconciler: the steps due for a look, the poll bookkeeping (`polls`,
/// `last_polled_at`, `next_poll_at`), and expiring steps to `lost`. What to do is decided by
/// ``ReconcilePolicy``; `next_poll_at` only stores its answer, so the steps that need nothing
/// yet are not read again until then. A polled answer is stored through ``NotificationStore``
/// (`source = 'poll'`), so the applier applies it like any callback.
public struct ReconcileStore: Sendable {
    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Up to `limit` steps the reconciler may act on (the states ``StepState/Event/expire``
    /// leaves: `submitted`, `submit_unknown`) that were never looked at or whose time has come,
    /// those never looked at first; with the database's clock, which every replica shares.
    public func due(limit: Int) async throws(PostgresError) -> (now: Date, steps: [ReconcileCandidate]) {
        let rows = try await client.query("""
            SELECT s.id, s.correlation_id, s.session_context, s.state, s.task_id,
                coalesce(s.submitted_at, s.sent_at, s.updated_at), s.last_report_at, s.polls, s.last_polled_at,
                (SELECT count(*) FROM outputs o WHERE o.step_id = s.id),
                (SELECT CASE WHEN bool_or(o.status = 'PROCESSING') THEN 'PROCESSING' WHEN bool_or(o.status = 'WAITING') THEN 'WAITING' END
                    FROM outputs o WHERE o.step_id = s.id),
                now()
            FROM steps s
            WHERE s.state = ANY(\(StepMove(.expire).sources)::text[]) AND (s.next_poll_at IS NULL OR s.next_poll_at <= now())
            ORDER BY s.next_poll_at NULLS FIRST, s.id
            LIMIT \(limit)
            """)
        var now = Date()
        var steps: [ReconcileCandidate] = []
        for row in rows {
            let (id, correlationId, sessionContext, state, taskId, since, lastReport, polls, lastPolled, inputs, status, databaseNow) =
                try row.decode((UUID, UUID, String, String, String?, Date, Date?, Int, Date?, Int, String?, Date).self)
            now = databaseNow
            steps.append(ReconcileCandidate(
                id: id, correlationId: correlationId, sessionContext: sessionContext, taskId: taskId,
                facts: ReconcileFacts(
                    state: try CompletionStore.stepState(state), hasTaskId: taskId?.isEmpty == false, since: since,
                    lastReportAt: lastReport, lastReportedStatus: lastReport == nil ? nil : status.flatMap(OutputState.init(rawValue:)),
                    inputs: inputs, polls: polls, lastPolledAt: lastPolled
                )
            ))
        }
        if rows.count == 0 { now = try await self.now() }
        return (now, steps)
    }

    /// The database's clock.
    public func now() async throws(PostgresError) -> Date {
        try await client.query("SELECT now()")[0].decode(Date.self, at: 0)
    }

    /// Stores when each step is next looked at (the policy's answer), in one statement. A step
    /// that moved on meanwhile is left alone: the reconciler no longer looks at it anyway.
    public func schedule(_ entries: [(stepId: UUID, at: Date)]) async throws(PostgresError) {
        guard !entries.isEmpty else { return }
        _ = try await client.query("""
            UPDATE steps SET next_poll_at = e.at
            FROM unnest(\(entries.map(\.stepId))::uuid[], \(entries.map(\.at))::timestamptz[]) AS e(id, at)
            WHERE steps.id = e.id AND steps.state = ANY(\(StepMove(.expire).sources)::text[])
            """)
    }

    /// Counts one poll made at `at` and stores when the next one is due. Counted whatever the
    /// step's state is now: an answer that finished it was still a call.
    public func recordPoll(stepId: UUID, at: Date, next: Date) async throws(PostgresError) {
        _ = try await client.query("""
            UPDATE steps SET polls = polls + 1, last_polled_at = \(at), next_poll_at = \(next)
            WHERE id = \(stepId)
            """)
    }

    /// Marks the step `lost` for `reason`, only when it is still as it was read: in `state`
    /// (one that ``StepState/Event/expire`` leaves) and with no report newer than
    /// `lastReportAt`, so a callback that came meanwhile wins. The error it had (why its
    /// submission was unclear) is kept in the message. Returns whether it changed.
    @discardableResult
    public func expire(stepId: UUID, state: StepState, lastReportAt: Date?, reason: LossReason) async throws(PostgresError) -> Bool {
        let expire = StepMove(.expire)
        guard expire.changing.contains(state.rawValue) else { return false }
        let rows = try await client.query("""
            UPDATE steps SET state = \(expire.target), next_poll_at = NULL, updated_at = now(),
                error_code = \(reason.errorCode),
                error_message = \(reason.message) || coalesce(' (before: ' || error_code || coalesce(': ' || error_message, '') || ')', '')
            WHERE id = \(stepId) AND state = \(state.rawValue) AND state = ANY(\(expire.sources)::text[])
                AND (last_report_at IS NULL
                     OR last_report_at <= \(lastReportAt)::timestamptz + interval '1 millisecond')
            RETURNING id
            """)
        return rows.count == 1
    }

    /// Stores a polled answer as a notification (`source = 'poll'`) and wakes the appliers: the
    /// same row, content hash and deduplication as a callback. False when the same content
    /// was stored before (the answer did not change since the last poll).
    public func storePolled(_ notification: IncomingNotification) async throws(PostgresError) -> Bool {
        try await NotificationStore(client: client).insert([notification], source: .poll).first ?? false
    }
}

public import Foundation
import Postgres
public import Workflows

/// What a cancel request did.
public enum JobCancelResult: Sendable, Equatable {
    /// The job is now `cancelled`; the audit row.
    case cancelled(OperatorActionRecord)
    /// It was cancelled already: nothing changed, nothing recorded.
    case alreadyCancelled
    /// It ended in this state already: nothing changed.
    case refused(JobState)
    case notFound
}

extension OperatorStore {
    /// Cancels a running job (``JobCancellation``), in one transaction that locks its steps and
    /// then the job (the completion path's order):
    /// - the job becomes `cancelled` (`finished_at` now; its "job finished" webhook is written to
    ///   the outbox like any other end);
    /// - each step not sent yet (`pending`, or `submitting` with no `sent_at`) ends `failed` with
    ///   code `Cancelled` and its unfinished outputs `FAIL`, through the one completion path,
    ///   which plans nothing for a job that no longer runs;
    /// - steps whose call may be on its way or whose task runs are left: their reports are still
    ///   applied, and the job stays `cancelled`;
    /// - the action is recorded in `operator_actions` (`job.cancel`) with the job before and after.
    ///
    /// A dispatcher that claimed a step before the cancel commits its sending only while the step
    /// is still `submitting` and unsent (``StepStore/markSending(_:attempt:lease:)``): the step is
    /// locked here, so either its sending committed first (it goes out and is left to finish) or
    /// the cancel ended it first (the sending finds nothing and the call is not made).
    ///
    /// Throws ``StepActionError`` (`invalid`) for an unacceptable actor or reason.
    public func cancel(jobId: UUID, actor: String, reason: String) async throws -> JobCancelResult {
        let problems = StepAction.problems(actor: actor, reason: reason)
        guard problems.isEmpty else {
            throw StepActionError(code: .invalid, message: problems.joined(separator: "; "))
        }
        return try await client.withTransaction { connection in
            _ = try await connection.query("SELECT id FROM steps WHERE job_id = \(jobId) ORDER BY id FOR UPDATE")
            let jobs = try await connection.query("SELECT state FROM jobs WHERE id = \(jobId) FOR UPDATE")
            guard let raw = try jobs.first?.decode(String.self, at: 0) else { return .notFound }
            guard let state = JobState(rawValue: raw) else {
                throw PostgresError(code: .decoding, reason: "unknown job state \(raw)", column: "state")
            }
            switch JobCancellation(state) {
            case .alreadyCancelled: return .alreadyCancelled
            case .refused(let final): return .refused(final)
            case .cancel: break
            }
            _ = try await connection.query("""
                UPDATE jobs SET state = \(JobState.cancelled.rawValue), finished_at = now(), updated_at = now()
                WHERE id = \(jobId) AND state = \(JobState.running.rawValue)
                """)
            let ended = try await endUnsentSteps(of: jobId, reason: reason, on: connection)
            try await WebhookStore.enqueue(jobIds: [jobId], on: connection)
            let before = Self.json(["state": state.rawValue])
            let after = Self.json(["state": JobState.cancelled.rawValue, "cancelled_steps": ended.map { $0.uuidString.lowercased() }])
            let inserted = try await connection.query("""
                INSERT INTO operator_actions (actor, action, job_id, reason, before, after)
                VALUES (\(actor), \(Self.cancelAction), \(jobId), \(reason), \(JSONBText(before)), \(JSONBText(after)))
                RETURNING id, at
                """)
            let (id, at) = try inserted[0].decode((Int64, Date).self)
            return .cancelled(OperatorActionRecord(
                id: id, at: at, actor: actor, action: Self.cancelAction, stepId: nil, jobId: jobId, reason: reason, before: before, after: after
            ))
        }
    }

    /// The action's name in `operator_actions` and logs.
    public static let cancelAction = "job.cancel"

    /// Ends the job's steps that were never sent (their ids, sorted). Steps planned after the
    /// first lock were created by a completion that held the job before this transaction did:
    /// they are read (and locked) again here.
    private func endUnsentSteps(of jobId: UUID, reason: String, on connection: PostgresConnection) async throws -> [UUID] {
        let cancel = StepMove(.cancel)
        let rows = try await connection.query("""
            SELECT id FROM steps
            WHERE job_id = \(jobId) AND state = ANY(\(cancel.sources)::text[])
                AND (state <> \(StepState.submitting.rawValue) OR sent_at IS NULL)
            ORDER BY id
            FOR UPDATE
            """)
        let ids = try rows.map { row throws(PostgresError) in try row.decode(UUID.self, at: 0) }
        let completion = CompletionStore(connection: connection, catalog: catalog)
        let message = "its job was cancelled before the step was sent: \(reason)"
        let changes = try await completion.lockSteps(ids: ids).compactMap { step -> StepChange? in
            guard let next = step.state.after(.cancel) else { return nil }
            let outputs = step.outputs.map { $0.failed(code: JobCancellation.stepErrorCode, message: message) }
            return StepChange(
                stepId: step.id, jobId: step.jobId, from: step.state, to: next, outputs: outputs,
                error: (JobCancellation.stepErrorCode, message)
            )
        }
        _ = try await completion.complete(changes)
        return changes.map(\.stepId)
    }

    static func json(_ members: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: members, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

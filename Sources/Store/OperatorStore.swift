public import Foundation
import Correlation
public import Postgres
public import Workflows

/// A person's action on a step, as recorded in `operator_actions`.
public struct OperatorActionRecord: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var actor: String
    /// `resolve`, `resubmit` or `abandon` (``StepAction/name``).
    public var action: String
    public var stepId: UUID?
    public var jobId: UUID?
    public var reason: String
    /// The step's relevant fields (and its job's state) before and after, as JSON objects:
    /// `state`, `task_id`, `correlation_id`, `session_context`, `submit_attempts`, `error_code`,
    /// `error_message`, `submitted_at`, `finished_at`, `job_state`.
    public var before: String?
    public var after: String?

    /// The one log line's fields (dot-notation keys, no secrets: the step holds none).
    public var logMetadata: [String: String] {
        var fields = [
            "operator.action_id": "\(id)", "operator.action": action, "operator.actor": actor,
            "operator.reason": String(reason.prefix(200)),
        ]
        if let stepId { fields["step.id"] = stepId.uuidString.lowercased() }
        if let jobId { fields["job.id"] = jobId.uuidString.lowercased() }
        if let state = Self.field("state", in: before) { fields["step.state_before"] = state }
        if let state = Self.field("state", in: after) { fields["step.state"] = state }
        if let taskId = Self.field("task_id", in: after) ?? Self.field("task_id", in: before) { fields["mps.task_id"] = taskId }
        return fields
    }

    /// A string member of a JSON object text (nil when absent, null or not a string).
    public static func field(_ name: String, in json: String?) -> String? {
        guard let json, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        return object[name] as? String
    }
}

/// Why an action on a step was refused; nothing was written.
public struct StepActionError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable {
        let name: String
        /// No step has that id.
        public static let unknownStep = Code(name: "unknownStep")
        /// The reason, actor or TaskId given is not acceptable (see the message).
        public static let invalid = Code(name: "invalid")
        /// The step's state (or its successors, or its job) does not allow the action.
        public static let notAllowed = Code(name: "notAllowed")
        /// The TaskId is already attached to another step (`steps.task_id` is unique).
        public static let taskIdTaken = Code(name: "taskIdTaken")
    }

    public var code: Code
    public var message: String
    /// The refusal the domain rules gave, when that was the reason.
    public var refusal: StepActionRefusal?

    public init(code: Code, message: String, refusal: StepActionRefusal? = nil) {
        self.code = code
        self.message = message
        self.refusal = refusal
    }

    public var description: String { message }
}

/// A step for a person to look at: the step (with its outputs), its job, the request as stored
/// (without the NotifyUrl token or NotifyKey, which are never stored), every MPS call made for
/// it, every notification for it, and every action taken on it.
public struct StepDetail: Sendable, Equatable {
    public var step: StepView
    public var jobId: UUID
    public var jobState: JobState
    public var workflow: WorkflowReference?
    /// The `BatchProcessMedia` body as stored (JSON text).
    public var request: String
    public var nextAttemptAt: Date
    /// The reconciler's bookkeeping.
    public var polls: Int
    public var lastPolledAt: Date?
    public var nextPollAt: Date?
    public var attempts: [StepAttempt]
    /// Notifications that carried this step's correlation id, or that of an earlier attempt (a
    /// resubmit gives the step a new one: the old task's callbacks are kept as orphans).
    public var notifications: [StepNotification]
    /// Oldest first.
    public var actions: [OperatorActionRecord]
}

/// One MPS API call made for a step.
public struct StepAttempt: Sendable, Equatable {
    public var action: String
    public var requestId: String?
    public var errorCode: String?
    public var errorClass: String?
    public var httpStatus: Int?
    public var latencyMilliseconds: Int
    public var startedAt: Date
}

/// One stored notification about a step.
public struct StepNotification: Sendable, Equatable {
    public var id: Int64
    public var receivedAt: Date
    /// `callback` or `poll`.
    public var source: String
    public var eventType: String
    /// `pending`, `applied`, `orphan`, `unsupported` or `failed`.
    public var outcome: String
    public var applyError: String?
    public var correlationId: UUID?
    /// False for a notification of an earlier attempt (before a resubmit).
    public var currentAttempt: Bool
}

/// One line of `mpshook steps list`.
public struct StepSummary: Sendable, Equatable {
    public var id: UUID
    public var jobId: UUID
    public var name: String
    public var item: String?
    public var run: Int
    public var state: StepState
    public var taskId: String?
    public var submitAttempts: Int
    public var errorCode: String?
    public var errorMessage: String?
    public var updatedAt: Date
}

/// The actions a person takes on a step (`mpshook steps resolve|resubmit|abandon`; the REST API
/// later), each one transaction that locks the step, asks ``StepAction`` (and so
/// `StepState.after(_:)`) whether it applies, applies it, and records who, when, why, and the
/// step before and after in `operator_actions`. A refused action writes nothing.
public struct OperatorStore: Sendable {
    let client: PostgresClient
    let catalog: WorkflowCatalog

    public init(client: PostgresClient, catalog: WorkflowCatalog = WorkflowCatalog()) {
        self.client = client
        self.catalog = catalog
    }

    /// Performs `action` on the step; returns the audit row. Throws ``StepActionError`` when the
    /// action is refused (nothing written), or the database's error.
    ///
    /// - resolve: the TaskId is attached, the step becomes `submitted` and is due for the
    ///   reconciler's query now (`next_poll_at`); the unclear attempt's error is cleared.
    /// - resubmit: a new attempt: a new correlation id and SessionContext, no TaskId, no error,
    ///   outputs back to `WAITING`, due now; the dispatchers are woken (at commit). The old
    ///   TaskId and correlation id stay in the audit row's `before`; a late callback of the old
    ///   task carries the old correlation id, matches no step and is kept as an orphan. A job
    ///   that had ended runs again.
    /// - abandon: the step fails with its outputs `FAIL` (code `Abandoned`, the reason as
    ///   message) through the one completion path, so its job goes on (a branch on failure) or ends.
    public func perform(_ action: StepAction, stepId: UUID, actor: String, reason: String) async throws -> OperatorActionRecord {
        let problems = StepAction.problems(actor: actor, reason: reason) + action.problems
        guard problems.isEmpty else {
            throw StepActionError(code: .invalid, message: problems.joined(separator: "; "))
        }
        do {
            return try await client.withTransaction { connection in
                try await perform(action, stepId: stepId, actor: actor, reason: reason, on: connection)
            }
        } catch let error as PostgresError where error.sqlState == .uniqueViolation {
            // Another transaction attached the same TaskId between our check and our update.
            if case .resolve(let taskId) = action {
                throw StepActionError(code: .taskIdTaken, message: "TaskId \(taskId) is already attached to another step")
            }
            throw error
        }
    }

    private func perform(
        _ action: StepAction, stepId: UUID, actor: String, reason: String, on connection: PostgresConnection
    ) async throws -> OperatorActionRecord {
        // The step first, then its job: the order the completion path locks them in.
        let locked = try await connection.query("""
            SELECT s.job_id, s.state, s.task_id,
                (SELECT count(*) FROM steps c WHERE c.job_id = s.job_id AND s.id = ANY(c.parent_ids))::int8
            FROM steps s WHERE s.id = \(stepId)
            FOR UPDATE
            """)
        guard let row = locked.first else {
            throw StepActionError(code: .unknownStep, message: "no step \(stepId.uuidString.lowercased())")
        }
        let (jobId, rawState, currentTaskId, successors) = try row.decode((UUID, String, String?, Int64).self)
        let state = try CompletionStore.stepState(rawState)
        let jobRows = try await connection.query("SELECT state FROM jobs WHERE id = \(jobId) FOR UPDATE")
        guard let rawJobState = try jobRows.first?.decode(String.self, at: 0), let jobState = JobState(rawValue: rawJobState) else {
            throw PostgresError(code: .decoding, reason: "the step's job cannot be read", column: "state")
        }
        if let refusal = action.refusal(state: state, successors: Int(successors), jobState: jobState) {
            throw StepActionError(code: .notAllowed, message: "\(action.name) refused: \(refusal)", refusal: refusal)
        }
        let before = try await snapshot(stepId, on: connection)

        switch action {
        case .resolve(let taskId):
            try await resolve(stepId, taskId: taskId, current: currentTaskId, on: connection)
        case .resubmit:
            try await resubmit(stepId, jobId: jobId, jobState: jobState, on: connection)
        case .abandon:
            try await abandon(stepId, reason: reason, on: connection)
        }

        let after = try await snapshot(stepId, on: connection)
        let inserted = try await connection.query("""
            INSERT INTO operator_actions (actor, action, step_id, job_id, reason, before, after)
            VALUES (\(actor), \(action.name), \(stepId), \(jobId), \(reason), \(JSONBText(before)), \(JSONBText(after)))
            RETURNING id, at
            """)
        let (id, at) = try inserted[0].decode((Int64, Date).self)
        return OperatorActionRecord(
            id: id, at: at, actor: actor, action: action.name, stepId: stepId, jobId: jobId, reason: reason, before: before, after: after
        )
    }

    /// The TaskId goes on the step, unless another step has it; a step that has a different
    /// TaskId keeps it (a person resolves a step whose task is unknown, not one whose task is known).
    private func resolve(_ stepId: UUID, taskId: String, current: String?, on connection: PostgresConnection) async throws {
        if let current, current != taskId {
            throw StepActionError(
                code: .notAllowed,
                message: "resolve refused: the step already has TaskId \(current); resolve attaches a TaskId only to a step without one"
            )
        }
        let holders = try await connection.query("SELECT id FROM steps WHERE task_id = \(taskId) AND id <> \(stepId)")
        if let other = try holders.first?.decode(UUID.self, at: 0) {
            throw StepActionError(
                code: .taskIdTaken, message: "TaskId \(taskId) is already attached to step \(other.uuidString.lowercased())"
            )
        }
        let move = StepMove(.resolve)
        // Submitted since the call that may have created the task (sent_at) when known: the
        // reconciler's deadlines and MPS's 7-day query window count from there.
        _ = try await connection.query("""
            UPDATE steps SET state = \(move.target), task_id = \(taskId),
                submitted_at = coalesce(submitted_at, sent_at, now()), next_poll_at = now(),
                error_code = NULL, error_message = NULL, updated_at = now()
            WHERE id = \(stepId) AND state = ANY(\(move.changing)::text[])
            """)
    }

    /// A new attempt (see ``perform(_:stepId:actor:reason:)``).
    private func resubmit(_ stepId: UUID, jobId: UUID, jobState: JobState, on connection: PostgresConnection) async throws {
        let correlation = CorrelationId()
        let move = StepMove(.resubmit)
        _ = try await connection.query("""
            UPDATE steps SET state = \(move.target), correlation_id = \(correlation.uuid), session_context = \(correlation.sessionContext),
                task_id = NULL, error_code = NULL, error_message = NULL, submitted_at = NULL, finished_at = NULL,
                next_attempt_at = now(), claimed_by = NULL, lease_until = NULL, sent_at = NULL,
                next_poll_at = NULL, last_polled_at = NULL, polls = 0, last_report_at = NULL, updated_at = now()
            WHERE id = \(stepId) AND state = ANY(\(move.changing)::text[])
            """)
        let outputs = try await CompletionStore(connection: connection, catalog: catalog).outputs(stepIds: [stepId])[stepId] ?? []
        let fresh = outputs.map { $0.reopened() }
        if !fresh.isEmpty {
            _ = try await connection.query("""
                UPDATE outputs SET status = o.status, progress = o.progress, subtitle_path = NULL, subtitle_url = NULL,
                    error_code = NULL, error_message = NULL, results = NULL, media_seconds = NULL, updated_at = now()
                FROM unnest(\(fresh.map(\.inputIndex))::int[], \(fresh.map(\.state.rawValue))::text[], \(fresh.map(\.progress))::int[])
                    AS o(input_index, status, progress)
                WHERE outputs.step_id = \(stepId) AND outputs.input_index = o.input_index
                """)
        }
        if jobState.isFinal, let reopened = jobState.reopened() {
            _ = try await connection.query("""
                UPDATE jobs SET state = \(reopened.rawValue), finished_at = NULL, updated_at = now()
                WHERE id = \(jobId) AND state = \(jobState.rawValue)
                """)
        }
        // Delivered at commit: a dispatcher claims the step at once.
        _ = try await connection.query("SELECT pg_notify(\(JobStore.stepsChannel), '')")
    }

    /// Fails the step with its outputs through the one completion path.
    private func abandon(_ stepId: UUID, reason: String, on connection: PostgresConnection) async throws {
        let completion = CompletionStore(connection: connection, catalog: catalog)
        guard let step = try await completion.lockSteps(ids: [stepId]).first, let next = step.state.after(.abandon) else { return }
        let outputs = step.outputs.map { $0.failed(code: Self.abandonedCode, message: reason) }
        _ = try await completion.complete([
            StepChange(stepId: step.id, jobId: step.jobId, from: step.state, to: next, outputs: outputs, error: (Self.abandonedCode, reason))
        ])
    }

    /// The error code an abandoned step and its unfinished outputs carry.
    public static let abandonedCode = "Abandoned"

    /// The step's fields an action may change, and its job's state, as a JSON object.
    private func snapshot(_ stepId: UUID, on connection: PostgresConnection) async throws(PostgresError) -> String {
        let rows = try await connection.query("""
            SELECT jsonb_build_object(
                'state', s.state, 'task_id', s.task_id, 'correlation_id', s.correlation_id, 'session_context', s.session_context,
                'submit_attempts', s.submit_attempts, 'error_code', s.error_code, 'error_message', s.error_message,
                'submitted_at', s.submitted_at, 'finished_at', s.finished_at, 'job_state', j.state)::text
            FROM steps s JOIN jobs j ON j.id = s.job_id WHERE s.id = \(stepId)
            """)
        return try rows[0].decode(String.self, at: 0)
    }

    // MARK: Reading

    /// The step and everything about it (see ``StepDetail``), from one snapshot; nil when there
    /// is no such step.
    public func step(_ id: UUID) async throws -> StepDetail? {
        try await client.withTransaction { connection in
            _ = try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            let rows = try await connection.query("""
                SELECT s.id, s.name, s.item, s.run, s.parent_ids, s.state, s.correlation_id, s.session_context, s.task_id,
                    s.submit_attempts, s.error_code, s.error_message, s.created_at, s.updated_at, s.submitted_at, s.finished_at,
                    s.job_id, j.state, w.id, w.name, w.version, s.request::text, s.next_attempt_at, s.polls, s.last_polled_at, s.next_poll_at
                FROM steps s JOIN jobs j ON j.id = s.job_id LEFT JOIN workflows w ON w.id = j.workflow_id
                WHERE s.id = \(id)
                """)
            guard let row = rows.first else { return nil }
            let (
                stepId, name, item, run, parents, state, correlation, session, taskId, attempts, code, message,
                created, updated, submitted, finished, jobId, jobState, workflowId, workflowName, workflowVersion,
                request, nextAttempt, polls, lastPolled, nextPoll
            ) = try row.decode((
                UUID, String, String?, Int, [UUID], String, UUID, String, String?, Int, String?, String?,
                Date, Date, Date?, Date?, UUID, String, Int64?, String?, Int?,
                String, Date, Int, Date?, Date?
            ).self)

            let outputs = try await CompletionStore(connection: connection, catalog: catalog).outputs(stepIds: [id])[id] ?? []
            let outputUpdates = try await connection.query("SELECT input_index, updated_at FROM outputs WHERE step_id = \(id)")
            var updatedAt: [Int: Date] = [:]
            for row in outputUpdates {
                let (index, at) = try row.decode((Int, Date).self)
                updatedAt[index] = at
            }
            let view = StepView(
                id: stepId, name: name, item: item, run: run, parents: parents, state: try CompletionStore.stepState(state),
                correlationId: correlation, sessionContext: session, taskId: taskId, submitAttempts: attempts,
                errorCode: code, errorMessage: message, createdAt: created, updatedAt: updated, submittedAt: submitted,
                finishedAt: finished,
                outputs: outputs.map { output in
                    OutputView(
                        inputIndex: output.inputIndex, jobInputIndex: output.jobInputIndex, inputURL: output.inputURL,
                        status: output.state, progress: output.progress, subtitlePath: output.subtitlePath,
                        subtitleURL: output.subtitleURL, errorCode: output.errorCode, errorMessage: output.errorMessage,
                        files: output.files, updatedAt: updatedAt[output.inputIndex] ?? updated
                    )
                }
            )

            let attemptRows = try await connection.query("""
                SELECT action, request_id, error_code, error_class, http_status, latency_ms, started_at
                FROM attempts WHERE step_id = \(id) ORDER BY started_at, id
                """)
            let stepAttempts = try attemptRows.map { row throws(PostgresError) in
                let (action, requestId, errorCode, errorClass, status, latency, started) =
                    try row.decode((String, String?, String?, String?, Int?, Int, Date).self)
                return StepAttempt(
                    action: action, requestId: requestId, errorCode: errorCode, errorClass: errorClass, httpStatus: status,
                    latencyMilliseconds: latency, startedAt: started
                )
            }

            let actions = try await self.actions(stepId: id, on: connection)
            // Earlier attempts' correlation ids, from the resubmits' `before`.
            let earlier = actions.filter { $0.action == StepAction.resubmit.name }
                .compactMap { OperatorActionRecord.field("correlation_id", in: $0.before).flatMap(UUID.init(uuidString:)) }
            let notificationRows = try await connection.query("""
                SELECT id, received_at, source, event_type, outcome, apply_error, correlation_id
                FROM notifications WHERE correlation_id = ANY(\([correlation] + earlier)::uuid[])
                ORDER BY id
                """)
            let notifications = try notificationRows.map { row throws(PostgresError) in
                let (notificationId, received, source, eventType, outcome, applyError, notificationCorrelation) =
                    try row.decode((Int64, Date, String, String, String, String?, UUID?).self)
                return StepNotification(
                    id: notificationId, receivedAt: received, source: source, eventType: eventType, outcome: outcome,
                    applyError: applyError, correlationId: notificationCorrelation, currentAttempt: notificationCorrelation == correlation
                )
            }

            var workflow: WorkflowReference?
            if let workflowId, let workflowName, let workflowVersion {
                workflow = WorkflowReference(id: workflowId, name: workflowName, version: workflowVersion)
            }
            guard let parsedJobState = JobState(rawValue: jobState) else {
                throw PostgresError(code: .decoding, reason: "unknown job state \(jobState)", column: "state")
            }
            return StepDetail(
                step: view, jobId: jobId, jobState: parsedJobState, workflow: workflow, request: request,
                nextAttemptAt: nextAttempt, polls: polls, lastPolledAt: lastPolled, nextPollAt: nextPoll,
                attempts: stepAttempts, notifications: notifications, actions: actions
            )
        }
    }

    /// Steps in `states` (of one job, when given), least recently changed first, at most `limit`.
    public func steps(states: [StepState], jobId: UUID? = nil, limit: Int) async throws(PostgresError) -> [StepSummary] {
        let rows = try await client.query("""
            SELECT id, job_id, name, item, run, state, task_id, submit_attempts, error_code, error_message, updated_at
            FROM steps
            WHERE state = ANY(\(states.map(\.rawValue))::text[]) AND (\(jobId)::uuid IS NULL OR job_id = \(jobId))
            ORDER BY updated_at, id
            LIMIT \(max(0, limit))
            """)
        return try rows.map { row throws(PostgresError) in
            let (id, job, name, item, run, state, taskId, attempts, code, message, updated) =
                try row.decode((UUID, UUID, String, String?, Int, String, String?, Int, String?, String?, Date).self)
            return StepSummary(
                id: id, jobId: job, name: name, item: item, run: run, state: try CompletionStore.stepState(state), taskId: taskId,
                submitAttempts: attempts, errorCode: code, errorMessage: message, updatedAt: updated
            )
        }
    }

    /// Every action taken on the step, oldest first.
    public func actions(stepId: UUID) async throws -> [OperatorActionRecord] {
        try await client.withConnection { connection in
            try await actions(stepId: stepId, on: connection)
        }
    }

    private func actions(stepId: UUID, on connection: PostgresConnection) async throws(PostgresError) -> [OperatorActionRecord] {
        let rows = try await connection.query("""
            SELECT id, at, actor, action, step_id, job_id, reason, before::text, after::text
            FROM operator_actions WHERE step_id = \(stepId) ORDER BY at, id
            """)
        return try rows.map { row throws(PostgresError) in
            let (id, at, actor, action, step, job, reason, before, after) =
                try row.decode((Int64, Date, String, String, UUID?, UUID?, String, String?, String?).self)
            return OperatorActionRecord(
                id: id, at: at, actor: actor, action: action, stepId: step, jobId: job, reason: reason, before: before, after: after
            )
        }
    }
}

public import Foundation
public import Postgres
public import Workflows

/// Which steps to list. Every filter is optional; those given are AND-ed.
///
/// "The failed steps of the last hour" is `states: [.failed], updatedSince: now - 1 h`: a failed
/// step changes no more, so its `updated_at` is when it failed (`finished_at` is not indexed;
/// `(state, updated_at)` is, and it serves this query whatever the page). The list stays ordered
/// by creation time: `updated_at` changes, so it cannot order a cursor that is stable.
public struct StepFilter: Sendable, Hashable {
    /// Any of these states (empty: any state).
    public var states: [StepState]
    /// Steps of jobs running any version of the workflow of this name.
    public var workflow: String?
    public var jobId: UUID?
    /// The workflow step's name (`main` for a job created with a bare request).
    public var name: String?
    /// Created at or after / before.
    public var createdSince: Date?
    public var createdUntil: Date?
    /// Last changed at or after / before.
    public var updatedSince: Date?
    public var updatedUntil: Date?
    public var taskId: String?
    /// The step's current correlation id (a resubmit gives it a new one).
    public var correlationId: UUID?
    /// Steps of the job with this client reference.
    public var clientReference: String?
    /// The step's error code (`steps.error_code`: MPS's, or ours such as `Abandoned`).
    public var errorCode: String?

    public init(
        states: [StepState] = [], workflow: String? = nil, jobId: UUID? = nil, name: String? = nil,
        createdSince: Date? = nil, createdUntil: Date? = nil, updatedSince: Date? = nil, updatedUntil: Date? = nil,
        taskId: String? = nil, correlationId: UUID? = nil, clientReference: String? = nil, errorCode: String? = nil
    ) {
        self.states = states
        self.workflow = workflow
        self.jobId = jobId
        self.name = name
        self.createdSince = createdSince
        self.createdUntil = createdUntil
        self.updatedSince = updatedSince
        self.updatedUntil = updatedUntil
        self.taskId = taskId
        self.correlationId = correlationId
        self.clientReference = clientReference
        self.errorCode = errorCode
    }
}

/// One line of the steps list (``OperatorStore/step(_:)`` has everything about one step).
public struct StepListItem: Sendable, Equatable {
    public var id: UUID
    public var jobId: UUID
    /// The job's workflow version (nil for a job created with a bare request).
    public var workflow: WorkflowReference?
    public var name: String
    public var item: String?
    public var run: Int
    public var state: StepState
    public var correlationId: UUID
    public var taskId: String?
    public var submitAttempts: Int
    public var errorCode: String?
    public var errorMessage: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var submittedAt: Date?
    public var finishedAt: Date?

    /// Where the page after this item starts.
    public var position: ListPosition<UUID> { ListPosition(time: createdAt, id: id) }
}

extension ListingStore {
    /// Steps matching `filter`, newest first (by creation time, then id), at most `limit`
    /// (1…``maximumLimit``), starting after `after`.
    public func steps(
        _ filter: StepFilter, after: ListPosition<UUID>? = nil, limit: Int
    ) async throws(PostgresError) -> ListPage<StepListItem, ListPosition<UUID>> {
        let size = Self.pageSize(limit)
        guard let query = try await stepsQuery(filter, after: after, limit: size) else { return ListPage(items: [], next: nil) }
        let rows = try await client.query(query)
        let items = try rows.map { row throws(PostgresError) in
            let (
                id, jobId, name, item, run, state, correlation, taskId, attempts, code, message, created, updated, submitted, finished,
                workflowId, workflowName, workflowVersion
            ) = try row.decode((
                UUID, UUID, String, String?, Int, String, UUID, String?, Int, String?, String?, Date, Date, Date?, Date?,
                Int64?, String?, Int?
            ).self)
            var workflow: WorkflowReference?
            if let workflowId, let workflowName, let workflowVersion {
                workflow = WorkflowReference(id: workflowId, name: workflowName, version: workflowVersion)
            }
            return StepListItem(
                id: id, jobId: jobId, workflow: workflow, name: name, item: item, run: run, state: try Self.decoded(state, column: "state"),
                correlationId: correlation, taskId: taskId, submitAttempts: attempts, errorCode: code, errorMessage: message,
                createdAt: created, updatedAt: updated, submittedAt: submitted, finishedAt: finished
            )
        }
        return Self.page(items, limit: size, position: \.position)
    }

    /// The statement ``steps(_:after:limit:)`` runs (for `EXPLAIN` in the benchmark); nil when
    /// nothing can match (a workflow name no version has).
    public func stepsQuery(_ filter: StepFilter, after: ListPosition<UUID>?, limit: Int) async throws(PostgresError) -> PostgresQuery? {
        var statement = ListingStatement(
            select: """
                SELECT s.id, s.job_id, s.name, s.item, s.run, s.state, s.correlation_id, s.task_id, s.submit_attempts, s.error_code,
                    s.error_message, s.created_at, s.updated_at, s.submitted_at, s.finished_at FROM steps s
                """,
            order: "s.created_at DESC, s.id DESC", pageOrder: "page.created_at DESC, page.id DESC", rows: Self.pageSize(limit) + 1,
            outerColumns: """
                page.id, page.job_id, page.name, page.item, page.run, page.state, page.correlation_id, page.task_id, page.submit_attempts,
                    page.error_code, page.error_message, page.created_at, page.updated_at, page.submitted_at, page.finished_at,
                    w.id, w.name, w.version
                """,
            outerJoins: " JOIN jobs j ON j.id = page.job_id LEFT JOIN workflows w ON w.id = j.workflow_id"
        )
        if let workflow = filter.workflow {
            let versions = try await workflowIds(named: workflow)
            guard !versions.isEmpty else { return nil }
            // Through the step's job (steps do not repeat the workflow): one primary-key probe
            // per step read, or the workflow's jobs first when it has few.
            statement.oneOf(
                versions, each: { "s.job_id IN (SELECT id FROM jobs WHERE workflow_id = \($0))" },
                any: "s.job_id IN (SELECT id FROM jobs WHERE workflow_id = ANY(\(versions)))"
            )
        }
        let states = Array(Set(filter.states.map(\.rawValue))).sorted()
        statement.oneOf(states, each: { "s.state = \($0)" }, any: "s.state = ANY(\(states))")
        if let jobId = filter.jobId { statement.require("s.job_id = \(jobId)") }
        if let name = filter.name { statement.require("s.name = \(name)") }
        if let since = filter.createdSince { statement.require("s.created_at >= \(since)") }
        if let until = filter.createdUntil { statement.require("s.created_at < \(until)") }
        if let since = filter.updatedSince { statement.require("s.updated_at >= \(since)") }
        if let until = filter.updatedUntil { statement.require("s.updated_at < \(until)") }
        if let taskId = filter.taskId { statement.require("s.task_id = \(taskId)") }
        if let correlation = filter.correlationId { statement.require("s.correlation_id = \(correlation)") }
        if let reference = filter.clientReference {
            statement.require("s.job_id = (SELECT id FROM jobs WHERE client_reference = \(reference))")
        }
        if let code = filter.errorCode { statement.require("s.error_code = \(code)") }
        if let after { statement.require("(s.created_at, s.id) < (\(after.time), \(after.id))") }
        return statement.query
    }
}

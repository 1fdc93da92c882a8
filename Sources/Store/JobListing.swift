public import Foundation
public import Postgres
public import Workflows

/// Which jobs to list. Every filter is optional; those given are AND-ed.
public struct JobFilter: Sendable, Hashable {
    /// Any of these states (empty: any state).
    public var states: [JobState]
    /// Jobs running any version of the workflow of this name.
    public var workflow: String?
    /// Created at or after.
    public var createdSince: Date?
    /// Created before.
    public var createdUntil: Date?
    public var clientReference: String?
    /// Jobs with a step that has this MPS TaskId.
    public var taskId: String?
    /// Jobs with a step whose current correlation id (SessionContext) is this one.
    public var correlationId: UUID?

    public init(
        states: [JobState] = [], workflow: String? = nil, createdSince: Date? = nil, createdUntil: Date? = nil,
        clientReference: String? = nil, taskId: String? = nil, correlationId: UUID? = nil
    ) {
        self.states = states
        self.workflow = workflow
        self.createdSince = createdSince
        self.createdUntil = createdUntil
        self.clientReference = clientReference
        self.taskId = taskId
        self.correlationId = correlationId
    }
}

/// One line of the jobs list (``JobReader/job(_:)`` has the whole job).
public struct JobListItem: Sendable, Equatable {
    public var id: UUID
    public var state: JobState
    public var clientReference: String?
    /// nil for a job created with a bare request.
    public var workflow: WorkflowReference?
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?

    /// Where the page after this item starts.
    public var position: ListPosition<UUID> { ListPosition(time: createdAt, id: id) }
}

extension ListingStore {
    /// Jobs matching `filter`, newest first (by creation time, then id), at most `limit`
    /// (1…``maximumLimit``), starting after `after`.
    public func jobs(
        _ filter: JobFilter, after: ListPosition<UUID>? = nil, limit: Int
    ) async throws(PostgresError) -> ListPage<JobListItem, ListPosition<UUID>> {
        let size = Self.pageSize(limit)
        guard let query = try await jobsQuery(filter, after: after, limit: size) else { return ListPage(items: [], next: nil) }
        let rows = try await client.query(query)
        let items = try rows.map { row throws(PostgresError) in
            let (id, state, reference, created, updated, finished, workflowId, workflowName, workflowVersion) =
                try row.decode((UUID, String, String?, Date, Date, Date?, Int64?, String?, Int?).self)
            var workflow: WorkflowReference?
            if let workflowId, let workflowName, let workflowVersion {
                workflow = WorkflowReference(id: workflowId, name: workflowName, version: workflowVersion)
            }
            return JobListItem(
                id: id, state: try Self.decoded(state, column: "state"), clientReference: reference, workflow: workflow,
                createdAt: created, updatedAt: updated, finishedAt: finished
            )
        }
        return Self.page(items, limit: size, position: \.position)
    }

    /// The statement ``jobs(_:after:limit:)`` runs (for `EXPLAIN` in the benchmark); nil when
    /// nothing can match (a workflow name no version has).
    public func jobsQuery(_ filter: JobFilter, after: ListPosition<UUID>?, limit: Int) async throws(PostgresError) -> PostgresQuery? {
        var statement = ListingStatement(
            select: "SELECT j.id, j.state, j.client_reference, j.workflow_id, j.created_at, j.updated_at, j.finished_at FROM jobs j",
            order: "j.created_at DESC, j.id DESC", pageOrder: "page.created_at DESC, page.id DESC", rows: Self.pageSize(limit) + 1,
            outerColumns: """
                page.id, page.state, page.client_reference, page.created_at, page.updated_at, page.finished_at, w.id, w.name, w.version
                """,
            outerJoins: " LEFT JOIN workflows w ON w.id = page.workflow_id"
        )
        if let workflow = filter.workflow {
            let versions = try await workflowIds(named: workflow)
            guard !versions.isEmpty else { return nil }
            statement.oneOf(versions, each: { "j.workflow_id = \($0)" }, any: "j.workflow_id = ANY(\(versions))")
        }
        let states = Array(Set(filter.states.map(\.rawValue))).sorted()
        statement.oneOf(states, each: { "j.state = \($0)" }, any: "j.state = ANY(\(states))")
        if let since = filter.createdSince { statement.require("j.created_at >= \(since)") }
        if let until = filter.createdUntil { statement.require("j.created_at < \(until)") }
        if let reference = filter.clientReference { statement.require("j.client_reference = \(reference)") }
        if let taskId = filter.taskId { statement.require("j.id IN (SELECT job_id FROM steps WHERE task_id = \(taskId))") }
        if let correlation = filter.correlationId {
            statement.require("j.id IN (SELECT job_id FROM steps WHERE correlation_id = \(correlation))")
        }
        if let after { statement.require("(j.created_at, j.id) < (\(after.time), \(after.id))") }
        return statement.query
    }

    /// The ids of every stored version of the workflow `name`.
    func workflowIds(named name: String) async throws(PostgresError) -> [Int64] {
        let rows = try await client.query("SELECT id FROM workflows WHERE name = \(name) ORDER BY id")
        return try rows.map { row throws(PostgresError) in try row.decode(Int64.self, at: 0) }
    }
}

import Access
public import Foundation
import Hummingbird
import Store
public import Workflows

/// `GET /v1/jobs`: jobs, newest first (by creation time), filtered by `state` (any of, repeated or
/// comma-separated), `workflow` (any version of it), `createdSince`/`createdUntil`,
/// `clientReference`, `taskId` and `correlationId` (a step of the job has it).
struct JobListController: Sendable {
    static let list = PageList.jobs
    static let parameters: Set<String> = QueryReader.paging.union([
        "state", "workflow", "createdSince", "createdUntil", "clientReference", "taskId", "correlationId",
    ])

    let listing: ListingStore

    func register(on routes: APIRoutes) {
        routes.on(.get, "jobs", scope: .read) { request, context in try await self.list(request, context: context) }
    }

    func list(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        let query = try QueryReader(request, allowed: Self.parameters)
        let created = try query.timeRange(since: "createdSince", until: "createdUntil")
        let filter = JobFilter(
            states: try query.values("state", as: JobState.self), workflow: try query.text("workflow"),
            createdSince: created.since, createdUntil: created.until, clientReference: try query.text("clientReference"),
            taskId: try query.text("taskId"), correlationId: try query.uuid("correlationId")
        )
        let after = try query.position(in: Self.list, id: CursorID.uuid)
        let limit = try query.limit()
        let page = try await DatabaseCall.run("jobs not read", context: context) {
            try await listing.jobs(filter, after: after, limit: limit)
        }
        return try APIResponse.json(.ok, Page(
            items: page.items.map(JobListItemDocument.init), nextCursor: page.next.map { PageCursor.after($0, in: Self.list) }
        ))
    }
}

/// One job in `GET /v1/jobs` (`GET /v1/jobs/{id}` has its steps and outputs).
public struct JobListItemDocument: Codable, Sendable, Equatable {
    public var id: String
    public var state: JobState
    public var clientReference: String?
    /// Absent for a job created with a bare `request`.
    public var workflow: JobDocument.Workflow?
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?

    init(_ item: JobListItem) {
        id = APIJSON.id(item.id)
        state = item.state
        clientReference = item.clientReference
        workflow = item.workflow.map { JobDocument.Workflow(name: $0.name, version: $0.version) }
        createdAt = item.createdAt
        updatedAt = item.updatedAt
        finishedAt = item.finishedAt
    }
}

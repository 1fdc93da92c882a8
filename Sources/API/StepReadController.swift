import Access
public import Foundation
import Hummingbird
import Store
public import Workflows

/// The steps read routes.
///
/// - `GET /v1/steps`: steps, newest first (by creation time), filtered by `state` (any of),
///   `workflow`, `jobId`, `name`, `createdSince`/`createdUntil`, `updatedSince`/`updatedUntil`
///   ("the failed steps of the last hour": `state=failed&updatedSince=…`), `taskId`,
///   `correlationId`, `clientReference` (its job's) and `errorCode`.
/// - `GET /v1/steps/{id}`: a ``StepDetailDocument`` (its request with secrets removed, outputs,
///   MPS calls, notifications and operator actions); `404` for an unknown or malformed id.
struct StepReadController: Sendable {
    static let list = PageList.steps
    static let parameters: Set<String> = QueryReader.paging.union([
        "state", "workflow", "jobId", "name", "createdSince", "createdUntil", "updatedSince", "updatedUntil", "taskId",
        "correlationId", "clientReference", "errorCode",
    ])

    let listing: ListingStore
    let steps: OperatorStore

    func register(on routes: APIRoutes) {
        routes.on(.get, "steps", scope: .read) { request, context in try await self.list(request, context: context) }
        routes.on(.get, "steps/{id}", scope: .read) { request, context in try await self.show(request, context: context) }
    }

    func list(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        let query = try QueryReader(request, allowed: Self.parameters)
        let created = try query.timeRange(since: "createdSince", until: "createdUntil")
        let updated = try query.timeRange(since: "updatedSince", until: "updatedUntil")
        let filter = StepFilter(
            states: try query.values("state", as: StepState.self), workflow: try query.text("workflow"), jobId: try query.uuid("jobId"),
            name: try query.text("name"), createdSince: created.since, createdUntil: created.until, updatedSince: updated.since,
            updatedUntil: updated.until, taskId: try query.text("taskId"), correlationId: try query.uuid("correlationId"),
            clientReference: try query.text("clientReference"), errorCode: try query.text("errorCode")
        )
        let after = try query.position(in: Self.list, id: CursorID.uuid)
        let limit = try query.limit()
        let page = try await DatabaseCall.run("steps not read", context: context) {
            try await listing.steps(filter, after: after, limit: limit)
        }
        return try APIResponse.json(.ok, Page(
            items: page.items.map(StepListItemDocument.init), nextCursor: page.next.map { PageCursor.after($0, in: Self.list) }
        ))
    }

    func show(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        _ = try QueryReader(request, allowed: [])
        let id = try context.uuid(notFound: .stepNotFound)
        let detail = try await DatabaseCall.run("step not read", context: context) { try await steps.step(id) }
        guard let detail else { throw .stepNotFound }
        return try APIResponse.json(.ok, try StepDetailDocument(detail))
    }
}

/// One step in `GET /v1/steps` (`GET /v1/steps/{id}` has everything about it).
public struct StepListItemDocument: Codable, Sendable, Equatable {
    public var id: String
    public var jobId: String
    /// The job's workflow version; absent for a job created with a bare `request`.
    public var workflow: JobDocument.Workflow?
    /// The workflow step's name (`main` for a bare request).
    public var name: String
    public var item: String?
    public var run: Int
    public var state: StepState
    public var correlationId: String
    public var taskId: String?
    public var submitAttempts: Int
    public var errorCode: String?
    public var errorMessage: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var submittedAt: Date?
    public var finishedAt: Date?

    init(_ item: StepListItem) {
        id = APIJSON.id(item.id)
        jobId = APIJSON.id(item.jobId)
        workflow = item.workflow.map { JobDocument.Workflow(name: $0.name, version: $0.version) }
        name = item.name
        self.item = item.item
        run = item.run
        state = item.state
        correlationId = APIJSON.id(item.correlationId)
        taskId = item.taskId
        submitAttempts = item.submitAttempts
        errorCode = item.errorCode
        errorMessage = item.errorMessage
        createdAt = item.createdAt
        updatedAt = item.updatedAt
        submittedAt = item.submittedAt
        finishedAt = item.finishedAt
    }
}

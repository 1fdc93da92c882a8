import Access
public import Foundation
import Hummingbird
public import MPS
public import Store

/// The notifications read routes.
///
/// - `GET /v1/notifications`: stored notifications (callbacks and polls), newest first (by
///   reception time), filtered by `outcome` (any of: `pending`, `applied`, `orphan`,
///   `unsupported`, `failed`), `source`, `stepId`, `jobId`, `taskId`, `correlationId` and
///   `receivedSince`/`receivedUntil`. A duplicate delivery is not stored again (the door answers
///   it from the first), so no outcome names it.
/// - `GET /v1/notifications/{id}`: a ``NotificationDocument`` with the body and the stored
///   headers, secrets removed (``StoredSecrets``), or, once retention pruned them, `prunedAt`
///   instead; `404` for an unknown or malformed id.
struct NotificationReadController: Sendable {
    static let list = PageList.notifications
    static let parameters: Set<String> = QueryReader.paging.union([
        "outcome", "source", "stepId", "jobId", "taskId", "correlationId", "receivedSince", "receivedUntil",
    ])

    let listing: ListingStore

    func register(on routes: APIRoutes) {
        routes.on(.get, "notifications", scope: .read) { request, context in try await self.list(request, context: context) }
        routes.on(.get, "notifications/{id}", scope: .read) { request, context in try await self.show(request, context: context) }
    }

    func list(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        let query = try QueryReader(request, allowed: Self.parameters)
        let received = try query.timeRange(since: "receivedSince", until: "receivedUntil")
        let filter = NotificationFilter(
            outcomes: try query.values("outcome", as: NotificationOutcome.self), source: try query.value("source", as: NotificationSource.self),
            stepId: try query.uuid("stepId"), jobId: try query.uuid("jobId"), taskId: try query.text("taskId"),
            correlationId: try query.uuid("correlationId"), receivedSince: received.since, receivedUntil: received.until
        )
        let after = try query.position(in: Self.list, id: CursorID.number)
        let limit = try query.limit()
        let page = try await DatabaseCall.run("notifications not read", context: context) {
            try await listing.notifications(filter, after: after, limit: limit)
        }
        return try APIResponse.json(.ok, Page(
            items: page.items.map { NotificationDocument($0) }, nextCursor: page.next.map { PageCursor.after($0, in: Self.list) }
        ))
    }

    func show(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        _ = try QueryReader(request, allowed: [])
        let id = try context.notificationId()
        let detail = try await DatabaseCall.run("notification not read", context: context) { try await listing.notification(id) }
        guard let detail else { throw .notificationNotFound }
        return try APIResponse.json(.ok, NotificationDocument(detail))
    }
}

/// A stored notification: in `GET /v1/notifications` without `sessionContext`, `sourceAddress`,
/// `headers` and `body`, which `GET /v1/notifications/{id}` adds.
public struct NotificationDocument: Codable, Sendable, Equatable {
    public var id: Int64
    public var receivedAt: Date
    public var source: NotificationSource
    /// As MPS sent it (`WorkflowTask`, …).
    public var eventType: String
    public var outcome: NotificationOutcome
    public var correlationId: String?
    /// The step whose current correlation id it carries, its job and TaskId; absent for an
    /// orphan and for a notification of an attempt before a resubmit.
    public var stepId: String?
    public var jobId: String?
    public var taskId: String?
    public var appliedAt: Date?
    public var applyError: String?
    public var applyAttempts: Int
    public var sessionContext: String?
    /// The client address as the trusted proxy reported it.
    public var sourceAddress: String?
    /// The request headers the door kept (lower-case names): never credentials, and no URL query.
    public var headers: [String: String]?
    /// MPS's JSON body with every secret removed (``StoredSecrets``); a string when it is not JSON.
    public var body: JSONValue?
    /// When retention dropped the body and headers (then both are absent).
    public var prunedAt: Date?

    init(_ item: NotificationListItem) {
        id = item.id
        receivedAt = item.receivedAt
        source = item.source
        eventType = item.eventType
        outcome = item.outcome
        correlationId = item.correlationId.map(APIJSON.id)
        stepId = item.stepId.map(APIJSON.id)
        jobId = item.jobId.map(APIJSON.id)
        taskId = item.taskId
        appliedAt = item.appliedAt
        applyError = item.applyError
        applyAttempts = item.applyAttempts
    }

    init(_ detail: NotificationDetail) {
        self.init(detail.notification)
        sessionContext = detail.sessionContext
        sourceAddress = detail.sourceAddress
        headers = detail.headers.map(StoredSecrets.headers)
        body = detail.body.map { StoredSecrets.json($0) ?? .string(StoredSecrets.text($0)) }
        prunedAt = detail.prunedAt
    }
}

import Access
public import Foundation
import Hummingbird
public import MPS
import Store

/// `GET /v1/attempts`: every MPS API call, newest first (by start time), filtered by `stepId`,
/// `jobId`, `action`, `errorClass`, `errorCode` and `startedSince`/`startedUntil`.
struct AttemptListController: Sendable {
    static let list = PageList.attempts
    static let parameters: Set<String> = QueryReader.paging.union([
        "stepId", "jobId", "action", "errorClass", "errorCode", "startedSince", "startedUntil",
    ])

    let listing: ListingStore

    func register(on routes: APIRoutes) {
        routes.on(.get, "attempts", scope: .read) { request, context in try await self.list(request, context: context) }
    }

    func list(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        let query = try QueryReader(request, allowed: Self.parameters)
        let started = try query.timeRange(since: "startedSince", until: "startedUntil")
        let filter = AttemptFilter(
            stepId: try query.uuid("stepId"), jobId: try query.uuid("jobId"), action: try query.text("action"),
            errorClass: try query.value("errorClass", as: MPSError.ErrorClass.self), errorCode: try query.text("errorCode"),
            startedSince: started.since, startedUntil: started.until
        )
        let after = try query.position(in: Self.list, id: CursorID.number)
        let limit = try query.limit()
        let page = try await DatabaseCall.run("attempts not read", context: context) {
            try await listing.attempts(filter, after: after, limit: limit)
        }
        return try APIResponse.json(.ok, Page(
            items: page.items.map(AttemptDocument.init), nextCursor: page.next.map { PageCursor.after($0, in: Self.list) }
        ))
    }
}

/// One MPS API call: which, for which step, how it ended and how long it took.
public struct AttemptDocument: Codable, Sendable, Equatable {
    public var id: Int64
    /// Absent for a call made for no step.
    public var stepId: String?
    public var jobId: String?
    /// `BatchProcessMedia`, `DescribeBatchTaskDetail`.
    public var action: String
    public var requestId: String?
    public var errorCode: String?
    /// Absent when the call succeeded.
    public var errorClass: MPSError.ErrorClass?
    public var httpStatus: Int?
    public var latencyMs: Int
    public var startedAt: Date

    init(_ item: AttemptListItem) {
        id = item.id
        stepId = item.stepId.map(APIJSON.id)
        jobId = item.jobId.map(APIJSON.id)
        action = item.action
        requestId = item.requestId
        errorCode = item.errorCode
        errorClass = item.errorClass
        httpStatus = item.httpStatus
        latencyMs = item.latencyMilliseconds
        startedAt = item.startedAt
    }
}

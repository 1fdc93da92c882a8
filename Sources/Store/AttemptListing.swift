public import Foundation
public import MPS
public import Postgres

/// Which MPS API calls to list. Every filter is optional; those given are AND-ed.
public struct AttemptFilter: Sendable, Hashable {
    public var stepId: UUID?
    /// Calls made for any step of this job.
    public var jobId: UUID?
    /// The API action (`BatchProcessMedia`, `DescribeBatchTaskDetail`).
    public var action: String?
    /// Failed calls of this class.
    public var errorClass: MPSError.ErrorClass?
    public var errorCode: String?
    /// Started at or after / before.
    public var startedSince: Date?
    public var startedUntil: Date?

    public init(
        stepId: UUID? = nil, jobId: UUID? = nil, action: String? = nil, errorClass: MPSError.ErrorClass? = nil,
        errorCode: String? = nil, startedSince: Date? = nil, startedUntil: Date? = nil
    ) {
        self.stepId = stepId
        self.jobId = jobId
        self.action = action
        self.errorClass = errorClass
        self.errorCode = errorCode
        self.startedSince = startedSince
        self.startedUntil = startedUntil
    }
}

/// One MPS API call: its class and error code when it failed, its latency.
public struct AttemptListItem: Sendable, Equatable {
    public var id: Int64
    /// nil for a call made for no step.
    public var stepId: UUID?
    public var jobId: UUID?
    public var action: String
    public var requestId: String?
    public var errorCode: String?
    /// nil when the call succeeded.
    public var errorClass: MPSError.ErrorClass?
    public var httpStatus: Int?
    public var latencyMilliseconds: Int
    public var startedAt: Date

    /// Where the page after this item starts.
    public var position: ListPosition<Int64> { ListPosition(time: startedAt, id: id) }
}

extension ListingStore {
    /// MPS API calls matching `filter`, newest first (by start time, then id), at most `limit`
    /// (1…``maximumLimit``), starting after `after`.
    public func attempts(
        _ filter: AttemptFilter, after: ListPosition<Int64>? = nil, limit: Int
    ) async throws(PostgresError) -> ListPage<AttemptListItem, ListPosition<Int64>> {
        let size = Self.pageSize(limit)
        let rows = try await client.query(attemptsQuery(filter, after: after, limit: size))
        let items = try rows.map { row throws(PostgresError) in
            let (id, stepId, jobId, action, requestId, code, errorClass, status, latency, started) =
                try row.decode((Int64, UUID?, UUID?, String, String?, String?, String?, Int?, Int, Date).self)
            return AttemptListItem(
                id: id, stepId: stepId, jobId: jobId, action: action, requestId: requestId, errorCode: code,
                errorClass: try errorClass.map { raw throws(PostgresError) in try Self.decoded(raw, column: "error_class") },
                httpStatus: status, latencyMilliseconds: latency, startedAt: started
            )
        }
        return Self.page(items, limit: size, position: \.position)
    }

    /// The statement ``attempts(_:after:limit:)`` runs (for `EXPLAIN` in the benchmark).
    public func attemptsQuery(_ filter: AttemptFilter, after: ListPosition<Int64>?, limit: Int) -> PostgresQuery {
        var statement = ListingStatement(
            select: """
                SELECT a.id, a.step_id, a.action, a.request_id, a.error_code, a.error_class, a.http_status, a.latency_ms, a.started_at
                FROM attempts a
                """,
            order: "a.started_at DESC, a.id DESC", pageOrder: "page.started_at DESC, page.id DESC", rows: Self.pageSize(limit) + 1,
            outerColumns: """
                page.id, page.step_id, s.job_id, page.action, page.request_id, page.error_code, page.error_class, page.http_status,
                    page.latency_ms, page.started_at
                """,
            outerJoins: " LEFT JOIN steps s ON s.id = page.step_id"
        )
        if let stepId = filter.stepId { statement.require("a.step_id = \(stepId)") }
        if let jobId = filter.jobId { statement.require("a.step_id IN (SELECT id FROM steps WHERE job_id = \(jobId))") }
        if let action = filter.action { statement.require("a.action = \(action)") }
        if let errorClass = filter.errorClass { statement.require("a.error_class = \(errorClass.rawValue)") }
        if let code = filter.errorCode { statement.require("a.error_code = \(code)") }
        if let since = filter.startedSince { statement.require("a.started_at >= \(since)") }
        if let until = filter.startedUntil { statement.require("a.started_at < \(until)") }
        if let after { statement.require("(a.started_at, a.id) < (\(after.time), \(after.id))") }
        return statement.query
    }
}

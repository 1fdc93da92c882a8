public import Foundation
public import Postgres

/// Which webhook deliveries to list. Every filter is optional; those given are AND-ed.
public struct DeliveryFilter: Sendable, Hashable {
    /// Any of these states (empty: any).
    public var states: [DeliveryState]
    public var jobId: UUID?

    public init(states: [DeliveryState] = [], jobId: UUID? = nil) {
        self.states = states
        self.jobId = jobId
    }
}

extension DeliveryView {
    /// Where the page after this delivery starts.
    public var position: ListPosition<UUID> { ListPosition(time: createdAt, id: id) }
}

extension ListingStore {
    /// The "job finished" webhook deliveries matching `filter`, newest first (by creation, then
    /// id), at most `limit` (1…``maximumLimit``), starting after `after`. The URL is as stored:
    /// the API strips what it must before showing it.
    public func deliveries(
        _ filter: DeliveryFilter, after: ListPosition<UUID>? = nil, limit: Int
    ) async throws(PostgresError) -> ListPage<DeliveryView, ListPosition<UUID>> {
        let size = Self.pageSize(limit)
        let rows = try await client.query(deliveriesQuery(filter, after: after, limit: size))
        let items = try rows.map { row throws(PostgresError) in try Self.deliveryView(row) }
        return Self.page(items, limit: size, position: \.position)
    }

    /// The statement ``deliveries(_:after:limit:)`` runs. Indexes: migrations/0011_delivery_listing.sql.
    public func deliveriesQuery(_ filter: DeliveryFilter, after: ListPosition<UUID>?, limit: Int) -> PostgresQuery {
        var statement = ListingStatement(
            select: """
                SELECT d.id, d.job_id, d.url, d.state, d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.created_at,
                    d.delivered_at FROM webhook_deliveries d
                """,
            order: "d.created_at DESC, d.id DESC", pageOrder: "page.created_at DESC, page.id DESC", rows: Self.pageSize(limit) + 1,
            outerColumns: """
                page.id, page.job_id, page.url, page.state, page.attempts, page.next_attempt_at, page.last_status, page.last_error,
                    page.created_at, page.delivered_at
                """
        )
        let states = Array(Set(filter.states.map(\.rawValue))).sorted()
        statement.oneOf(states, each: { "d.state = \($0)" }, any: "d.state = ANY(\(states))")
        if let jobId = filter.jobId { statement.require("d.job_id = \(jobId)") }
        if let after { statement.require("(d.created_at, d.id) < (\(after.time), \(after.id))") }
        return statement.query
    }

    /// The delivery with id `id`; nil when there is none.
    public func delivery(_ id: UUID) async throws(PostgresError) -> DeliveryView? {
        let rows = try await client.query("""
            SELECT id, job_id, url, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at
            FROM webhook_deliveries WHERE id = \(id)
            """)
        return try rows.first.map { row throws(PostgresError) in try Self.deliveryView(row) }
    }

    /// A delivery from the columns both statements read, in their order.
    static func deliveryView(_ row: PostgresRow) throws(PostgresError) -> DeliveryView {
        let (id, jobId, url, state, attempts, next, status, error, created, delivered) =
            try row.decode((UUID, UUID, String, String, Int, Date, Int?, String?, Date, Date?).self)
        return DeliveryView(
            id: id, jobId: jobId, url: url, state: try decoded(state, column: "state"), attempts: attempts,
            nextAttemptAt: next, lastStatus: status, lastError: error, createdAt: created, deliveredAt: delivered
        )
    }
}

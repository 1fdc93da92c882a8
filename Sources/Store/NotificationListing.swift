public import Foundation
public import Postgres

/// What became of a stored notification (`notifications.outcome`). A duplicate delivery is not
/// stored again (the door answers it from the first row), so there is no "duplicate" outcome.
public enum NotificationOutcome: String, Sendable, Hashable, CaseIterable, Codable {
    /// Stored, not applied yet.
    case pending
    case applied
    /// Its correlation id matched no step (not ours, or a task of an attempt before a resubmit).
    case orphan
    /// An event type the applier does not apply.
    case unsupported
    /// Applying it failed (see `applyError`); it can be reapplied.
    case failed
}

/// Which notifications to list. Every filter is optional; those given are AND-ed.
///
/// `stepId`, `jobId` and `taskId` go through the steps: a notification belongs to a step by its
/// correlation id (the step's current one, or one of an attempt before a resubmit, for `stepId`
/// and `jobId`). An orphan whose correlation id matches no step is found by `correlationId`.
public struct NotificationFilter: Sendable, Hashable {
    /// Any of these outcomes (empty: any).
    public var outcomes: [NotificationOutcome]
    public var source: NotificationSource?
    public var stepId: UUID?
    public var jobId: UUID?
    public var taskId: String?
    public var correlationId: UUID?
    /// Received at or after / before.
    public var receivedSince: Date?
    public var receivedUntil: Date?

    public init(
        outcomes: [NotificationOutcome] = [], source: NotificationSource? = nil, stepId: UUID? = nil, jobId: UUID? = nil,
        taskId: String? = nil, correlationId: UUID? = nil, receivedSince: Date? = nil, receivedUntil: Date? = nil
    ) {
        self.outcomes = outcomes
        self.source = source
        self.stepId = stepId
        self.jobId = jobId
        self.taskId = taskId
        self.correlationId = correlationId
        self.receivedSince = receivedSince
        self.receivedUntil = receivedUntil
    }
}

/// One line of the notifications list: never the body or the headers (``ListingStore/notification(_:)``
/// has them).
public struct NotificationListItem: Sendable, Equatable {
    public var id: Int64
    public var receivedAt: Date
    public var source: NotificationSource
    /// As MPS sent it (`WorkflowTask`, …).
    public var eventType: String
    public var outcome: NotificationOutcome
    public var correlationId: UUID?
    /// The step whose current correlation id it carries (nil: an orphan, or a notification of an
    /// attempt before a resubmit), its job and TaskId.
    public var stepId: UUID?
    public var jobId: UUID?
    public var taskId: String?
    public var appliedAt: Date?
    public var applyError: String?
    public var applyAttempts: Int

    /// Where the page after this item starts.
    public var position: ListPosition<Int64> { ListPosition(time: receivedAt, id: id) }
}

/// One stored notification in full. `body` is MPS's raw JSON and `headers` the request headers
/// the door kept (credentials and any value holding the NotifyUrl token left out at storage):
/// the API strips what else it must before showing them. Retention may have pruned both
/// (``RetentionStore``): then `prunedAt` says when, and they are nil.
public struct NotificationDetail: Sendable, Equatable {
    public var notification: NotificationListItem
    public var sessionContext: String?
    /// The client address as the trusted proxy reported it.
    public var sourceAddress: String?
    /// JSON object text; nil once pruned.
    public var headers: String?
    /// nil once pruned.
    public var body: String?
    /// When retention dropped the body and headers; nil while they are kept.
    public var prunedAt: Date?
}

extension ListingStore {
    /// Notifications matching `filter`, newest first (by reception time, then id), at most
    /// `limit` (1…``maximumLimit``), starting after `after`.
    public func notifications(
        _ filter: NotificationFilter, after: ListPosition<Int64>? = nil, limit: Int
    ) async throws(PostgresError) -> ListPage<NotificationListItem, ListPosition<Int64>> {
        let size = Self.pageSize(limit)
        let rows = try await client.query(notificationsQuery(filter, after: after, limit: size))
        let items = try rows.map { row throws(PostgresError) in try Self.notificationItem(row) }
        return Self.page(items, limit: size, position: \.position)
    }

    /// The notification with its body and headers; nil when there is none with that id.
    public func notification(_ id: Int64) async throws(PostgresError) -> NotificationDetail? {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.notificationColumns("n")), n.session_context, n.source_address, n.headers::text, n.body, n.pruned_at
            FROM notifications n LEFT JOIN steps s ON s.correlation_id = n.correlation_id
            WHERE n.id = \(id)
            """)
        guard let row = rows.first else { return nil }
        let count = Self.notificationColumnCount
        let prunedAt = try row.decode(Date?.self, at: count + 4)
        return NotificationDetail(
            notification: try Self.notificationItem(row),
            sessionContext: try row.decode(String?.self, at: count), sourceAddress: try row.decode(String?.self, at: count + 1),
            // A pruned row holds '' and '{}' (migration 0013): placeholders, not what was received.
            headers: prunedAt == nil ? try row.decode(String.self, at: count + 2) : nil,
            body: prunedAt == nil ? try row.decode(String.self, at: count + 3) : nil,
            prunedAt: prunedAt
        )
    }

    /// The statement ``notifications(_:after:limit:)`` runs (for `EXPLAIN` in the benchmark).
    public func notificationsQuery(_ filter: NotificationFilter, after: ListPosition<Int64>?, limit: Int) -> PostgresQuery {
        var statement = ListingStatement(
            select: """
                SELECT n.id, n.received_at, n.source, n.event_type, n.outcome, n.correlation_id, n.applied_at, n.apply_error,
                    n.apply_attempts FROM notifications n
                """,
            order: "n.received_at DESC, n.id DESC", pageOrder: "page.received_at DESC, page.id DESC", rows: Self.pageSize(limit) + 1,
            outerColumns: Self.notificationColumns("page"),
            outerJoins: " LEFT JOIN steps s ON s.correlation_id = page.correlation_id"
        )
        // One branch per outcome: the rare ones (orphan, unsupported, failed) each read their
        // partial index in order; pending reads its own; applied, nearly every row, the time index.
        let outcomes = Array(Set(filter.outcomes.map(\.rawValue))).sorted()
        statement.oneOf(outcomes, each: { "n.outcome = \($0)" }, any: "n.outcome = ANY(\(outcomes))")
        if let source = filter.source { statement.require("n.source = \(source.rawValue)") }
        if let correlation = filter.correlationId { statement.require("n.correlation_id = \(correlation)") }
        if let stepId = filter.stepId {
            // The step's correlation id, and those of its attempts before a resubmit (kept in the
            // resubmit's audit row), as OperatorStore.step(_:) shows them.
            statement.require("""
                n.correlation_id IN (SELECT correlation_id FROM steps WHERE id = \(stepId)
                    UNION ALL SELECT (before->>'correlation_id')::uuid FROM operator_actions
                    WHERE step_id = \(stepId) AND action = 'resubmit')
                """)
        }
        if let jobId = filter.jobId {
            statement.require("""
                n.correlation_id IN (SELECT correlation_id FROM steps WHERE job_id = \(jobId)
                    UNION ALL SELECT (before->>'correlation_id')::uuid FROM operator_actions
                    WHERE job_id = \(jobId) AND action = 'resubmit')
                """)
        }
        if let taskId = filter.taskId { statement.require("n.correlation_id IN (SELECT correlation_id FROM steps WHERE task_id = \(taskId))") }
        if let since = filter.receivedSince { statement.require("n.received_at >= \(since)") }
        if let until = filter.receivedUntil { statement.require("n.received_at < \(until)") }
        if let after { statement.require("(n.received_at, n.id) < (\(after.time), \(after.id))") }
        return statement.query
    }

    /// The list item's columns of notification `alias` and its step `s`.
    private static func notificationColumns(_ alias: String) -> String {
        """
        \(alias).id, \(alias).received_at, \(alias).source, \(alias).event_type, \(alias).outcome, \(alias).correlation_id, \
        s.id, s.job_id, s.task_id, \(alias).applied_at, \(alias).apply_error, \(alias).apply_attempts
        """
    }

    private static let notificationColumnCount = 12

    /// The item from the row's first ``notificationColumnCount`` columns (the detail's row has more).
    private static func notificationItem(_ row: PostgresRow) throws(PostgresError) -> NotificationListItem {
        NotificationListItem(
            id: try row.decode(Int64.self, at: 0), receivedAt: try row.decode(Date.self, at: 1),
            source: try decoded(try row.decode(String.self, at: 2), column: "source"), eventType: try row.decode(String.self, at: 3),
            outcome: try decoded(try row.decode(String.self, at: 4), column: "outcome"), correlationId: try row.decode(UUID?.self, at: 5),
            stepId: try row.decode(UUID?.self, at: 6), jobId: try row.decode(UUID?.self, at: 7), taskId: try row.decode(String?.self, at: 8),
            appliedAt: try row.decode(Date?.self, at: 9), applyError: try row.decode(String?.self, at: 10),
            applyAttempts: try row.decode(Int.self, at: 11)
        )
    }
}

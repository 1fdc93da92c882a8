public import Foundation
public import Postgres

/// Where a pruning pass stands in a table it walks oldest first: the (time, id) of the last row
/// it took. The time is kept as PostgreSQL's own text of the timestamp, so a position read back
/// is exactly the row's (a `Date` round trip could land a microsecond short or past it).
public struct RetentionPosition: Sendable, Hashable {
    var time: String
    var id: Int64

    /// Before every row.
    public static let start = RetentionPosition(time: "-infinity", id: Int64.min)
}

/// What one pruning batch did.
public struct RetentionBatch: Sendable, Equatable {
    /// Rows pruned (notifications) or deleted (attempts).
    public var count: Int
    /// The last row taken; nil when none was.
    public var last: RetentionPosition?
    /// False when another session held the retention lock: nothing was done.
    public var locked: Bool

    /// Whether the pass is over: another replica prunes, or fewer rows than asked were left.
    public func finishes(limit: Int) -> Bool { !locked || count < limit }
}

/// Retention's SQL: drops the raw body and headers of old notifications and deletes old MPS call
/// records, in small batches, one short transaction each, so no lock is held for long and the
/// door and the applier never wait on more than one batch.
///
/// What is never touched, whatever its age (the guards are in every statement):
/// - a notification or call of a **running job** (its step's job is `running`): it may still be
///   looked at while the job goes on;
/// - a notification that is `pending` (about to be applied), `failed` (reapplied after a fix) or
///   `orphan` (re-matched to a step): each of those needs its body. Only `applied` and
///   `unsupported` ones, with which nothing more is done, are pruned.
///
/// A pruned notification keeps its row and everything parsed from it (outcome, correlation id,
/// event type, times, apply error, content hash): its `body` becomes '' and its `headers` '{}',
/// and `pruned_at` records when. Its outcome and time do not change, so migration 0012's counts
/// do not either. A deleted call record takes its count with it (migration 0012's triggers
/// subtract it), which is why deleting them has its own age, off unless configured.
///
/// Safe to run from every replica at once: each batch takes an advisory lock for its
/// transaction, and a batch that finds it taken does nothing and says so.
public struct RetentionStore: Sendable {
    /// The advisory lock a batch holds for its transaction ("mpsh.ret" in ASCII).
    public static let lockKey: Int64 = 0x6D70_7368_2E72_6574

    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Prunes up to `limit` notifications received before `cutoff`, after `position`, oldest
    /// first. Rows locked by someone else are passed over (they are taken by a later pass).
    public func pruneNotifications(receivedBefore cutoff: Date, after position: RetentionPosition = .start, limit: Int) async throws -> RetentionBatch {
        try await batch(settings: Self.notificationPlanSettings, Self.pruneNotificationsStatement(receivedBefore: cutoff, after: position, limit: limit))
    }

    /// The plan of ``pruneNotifications(receivedBefore:after:limit:)``'s statement
    /// (`EXPLAIN`, without running it), planned as the batch plans it.
    public func explainPruneNotifications(receivedBefore cutoff: Date, limit: Int) async throws -> String {
        try await client.withTransaction { connection in
            for setting in Self.notificationPlanSettings { _ = try await connection.query(setting) }
            let statement = Self.pruneNotificationsStatement(receivedBefore: cutoff, after: .start, limit: limit)
            let explain = PostgresQuery(unsafeSQL: "EXPLAIN " + statement.sql, binds: statement.binds)
            return try await connection.query(explain).map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
        }
    }

    /// Sorting is what the time index (notifications_received) needs to give (received_at, id)
    /// order, and the partial index does not: priced out, the plan reads the partial index
    /// whatever the statistics say. Right after a big pass they still count the pruned rows as
    /// prunable, and the time index's plan read every one of them again from the oldest (338 ms
    /// for 100,000 pruned rows, against 3 ms). For the batch's transaction only.
    static let notificationPlanSettings: [PostgresQuery] = ["SET LOCAL enable_sort = off", "SET LOCAL enable_incremental_sort = off"]

    static func pruneNotificationsStatement(receivedBefore cutoff: Date, after position: RetentionPosition, limit: Int) -> PostgresQuery {
        """
            WITH taken AS (
                SELECT n.id FROM notifications n
                WHERE \(unescaped: Self.prunableNotification) AND n.received_at < \(cutoff)
                    AND (n.received_at, n.id) > (\(position.time)::timestamptz, \(position.id))
                ORDER BY n.received_at, n.id
                LIMIT \(limit)
                FOR UPDATE OF n SKIP LOCKED
            ), done AS (
                -- The guard again: a row the applier or an operator changed since the SELECT
                -- read it is re-read under the lock (READ COMMITTED) and must still qualify.
                UPDATE notifications n SET body = '', headers = '{}', pruned_at = statement_timestamp()
                FROM taken WHERE n.id = taken.id AND n.pruned_at IS NULL AND n.outcome IN ('applied', 'unsupported')
                RETURNING n.received_at AS at, n.id
            )
            \(unescaped: Self.summary)
            """
    }

    /// Deletes up to `limit` MPS call records started before `cutoff`, after `position`, oldest
    /// first; never one of a step whose job is running.
    public func deleteAttempts(startedBefore cutoff: Date, after position: RetentionPosition = .start, limit: Int) async throws -> RetentionBatch {
        try await batch("""
            WITH taken AS (
                SELECT a.id FROM attempts a
                WHERE \(unescaped: Self.deletableAttempt) AND a.started_at < \(cutoff)
                    AND (a.started_at, a.id) > (\(position.time)::timestamptz, \(position.id))
                ORDER BY a.started_at, a.id
                LIMIT \(limit)
                FOR UPDATE OF a SKIP LOCKED
            ), done AS (
                DELETE FROM attempts a USING taken WHERE a.id = taken.id
                RETURNING a.started_at AS at, a.id
            )
            \(unescaped: Self.summary)
            """)
    }

    /// How many notifications received before `cutoff` and call records started before
    /// `attemptsCutoff` (nil: none counted) a pass would take now (`mpshook prune --dry-run`).
    public func count(notificationsBefore cutoff: Date, attemptsBefore attemptsCutoff: Date?) async throws -> (notifications: Int, attempts: Int) {
        let notifications = try await client.query("""
            SELECT count(*) FROM notifications n WHERE \(unescaped: Self.prunableNotification) AND n.received_at < \(cutoff)
            """)
        var attempts = 0
        if let attemptsCutoff {
            let rows = try await client.query("""
                SELECT count(*) FROM attempts a WHERE \(unescaped: Self.deletableAttempt) AND a.started_at < \(attemptsCutoff)
                """)
            attempts = try rows.first?.decode(Int.self, at: 0) ?? 0
        }
        return (try notifications.first?.decode(Int.self, at: 0) ?? 0, attempts)
    }

    /// A notification retention may prune, but for its age: applied or unsupported, not pruned
    /// yet (the predicate of migration 0013's partial index, written out so the planner uses
    /// it), and of no running job: neither by its correlation id, nor as one of an earlier
    /// attempt of a running job's step (a resubmit gave the step a new correlation id; its audit
    /// row keeps the old one, as the listings read it). The earlier attempts' ids are gathered
    /// once per statement (an InitPlan over the running jobs' resubmits) and compared as text,
    /// so an odd audit row can never make a batch fail.
    static let prunableNotification = """
        n.pruned_at IS NULL AND n.outcome IN ('applied', 'unsupported')
        AND NOT EXISTS (SELECT 1 FROM steps s JOIN jobs j ON j.id = s.job_id WHERE s.correlation_id = n.correlation_id AND j.state = 'running')
        AND NOT coalesce(n.correlation_id::text = ANY (ARRAY(
            SELECT a.before->>'correlation_id' FROM jobs j JOIN steps s ON s.job_id = j.id JOIN operator_actions a ON a.step_id = s.id
            WHERE j.state = 'running' AND a.action = 'resubmit')), false)
        """

    /// A call record retention may delete, but for its age: of no running job.
    static let deletableAttempt = """
        NOT EXISTS (SELECT 1 FROM steps s JOIN jobs j ON j.id = s.job_id WHERE s.id = a.step_id AND j.state = 'running')
        """

    /// How many rows `done` holds and the last of them.
    static let summary = """
        SELECT (SELECT count(*) FROM done), last.at::text, last.id
        FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT at, id FROM done ORDER BY at DESC, id DESC LIMIT 1) last ON true
        """

    private func batch(settings: [PostgresQuery] = [], _ statement: PostgresQuery) async throws -> RetentionBatch {
        try await client.withTransaction { connection in
            let locked = try await connection.query("SELECT pg_try_advisory_xact_lock(\(Self.lockKey))")
            guard try locked.first?.decode(Bool.self, at: 0) == true else { return RetentionBatch(count: 0, last: nil, locked: false) }
            for setting in settings { _ = try await connection.query(setting) }
            let rows = try await connection.query(statement)
            guard let row = rows.first else { return RetentionBatch(count: 0, last: nil, locked: true) }
            let (count, time, id) = try row.decode((Int, String?, Int64?).self)
            let last = time.flatMap { time in id.map { RetentionPosition(time: time, id: $0) } }
            return RetentionBatch(count: count, last: last, locked: true)
        }
    }
}

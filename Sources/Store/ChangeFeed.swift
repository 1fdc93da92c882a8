public import Foundation
public import Postgres

/// A place in the change feed: the transaction that wrote a change, then the change's row id.
/// Ordered as the feed is read; its text form (`<tx>-<id>`) is what clients hold (the SSE
/// event id) and is opaque to them.
public struct ChangePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The writing transaction's id (`xid8`).
    public var transaction: UInt64
    /// The row's id within the feed; increasing within one transaction.
    public var id: Int64

    public init(transaction: UInt64, id: Int64) {
        self.transaction = transaction
        self.id = id
    }

    /// Reads the text form; nil for anything else (digits only, no sign, no spaces).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 20 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let transaction = UInt64(parts[0]), let id = Int64(parts[1])
        else { return nil }
        self.init(transaction: transaction, id: id)
    }

    /// Before every change.
    public static let start = ChangePosition(transaction: 0, id: 0)

    public var description: String { "\(transaction)-\(id)" }

    public static func < (lhs: ChangePosition, rhs: ChangePosition) -> Bool {
        (lhs.transaction, lhs.id) < (rhs.transaction, rhs.id)
    }
}

/// What a change is about.
public enum ChangeKind: String, Sendable, Hashable, CaseIterable, Codable {
    case job, step, output, notification
}

/// One state change from the feed. States are the stored values of the kind's own state:
/// `JobState`, `StepState`, `OutputState` raw values, or a notification's outcome
/// (`pending`, `applied`, `orphan`, `unsupported`, `failed`).
public struct ChangeEvent: Sendable, Hashable {
    public var position: ChangePosition
    public var kind: ChangeKind
    /// The job it belongs to (for a notification: the job of the step it matched, if any).
    public var jobId: UUID?
    /// The step (a step's own id; an output's step; for a notification, the step it matched).
    public var stepId: UUID?
    /// An output's input index within its step.
    public var inputIndex: Int?
    /// A notification's id.
    public var notificationId: Int64?
    /// The state before; nil when the row was created.
    public var from: String?
    public var to: String
    /// When the statement that made the change ran.
    public var at: Date

    public init(
        position: ChangePosition, kind: ChangeKind, jobId: UUID? = nil, stepId: UUID? = nil, inputIndex: Int? = nil,
        notificationId: Int64? = nil, from: String?, to: String, at: Date
    ) {
        self.position = position
        self.kind = kind
        self.jobId = jobId
        self.stepId = stepId
        self.inputIndex = inputIndex
        self.notificationId = notificationId
        self.from = from
        self.to = to
        self.at = at
    }
}

/// Reads and prunes the durable change feed (`changes`, written by the triggers of migration
/// 0009). Reading is safe to resume: ``read(after:limit:)`` returns only changes of transactions
/// that have all ended, in position order, so a change never appears behind a position already
/// returned (see the migration for why).
public struct ChangeFeed: Sendable {
    /// Notified (once per writing statement) when changes are written.
    public static let channel = "mpshook_changes"

    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Up to `limit` changes after `position`, in order. An output's job and a notification's
    /// step and job are filled in here (the writers do not look them up).
    public func read(after position: ChangePosition, limit: Int) async throws(PostgresError) -> [ChangeEvent] {
        let rows = try await client.query("""
            SELECT c.tx::text, c.id, c.kind, coalesce(c.job_id, s.job_id, m.job_id), coalesce(c.step_id, m.id),
                c.input_index, c.notification_id, c.old_state, c.new_state, c.at
            FROM changes c
            LEFT JOIN steps s ON c.kind = 'output' AND s.id = c.step_id
            LEFT JOIN steps m ON c.kind = 'notification' AND m.correlation_id = c.correlation_id
            WHERE (c.tx, c.id) > (\(String(position.transaction))::xid8, \(position.id))
                AND c.tx < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY c.tx, c.id
            LIMIT \(max(1, limit))
            """)
        return try rows.map { row throws(PostgresError) in
            let (tx, id, kind, jobId, stepId, inputIndex, notificationId, from, to, at) =
                try row.decode((String, Int64, String, UUID?, UUID?, Int?, Int64?, String?, String, Date).self)
            guard let transaction = UInt64(tx), let kind = ChangeKind(rawValue: kind) else {
                throw PostgresError(code: .decoding, reason: "a change row has an unknown kind or transaction id")
            }
            return ChangeEvent(
                position: ChangePosition(transaction: transaction, id: id), kind: kind, jobId: jobId, stepId: stepId,
                inputIndex: inputIndex, notificationId: notificationId, from: from, to: to, at: at
            )
        }
    }

    /// Whether changes after `position` are committed but held back (a transaction older than
    /// theirs is still open). Their commit's NOTIFY has come and gone: when that older
    /// transaction ends without writing a change, no other wake-up announces them, so a reader
    /// that finds some looks again soon.
    public func hasHeldBack(after position: ChangePosition) async throws(PostgresError) -> Bool {
        let rows = try await client.query("""
            SELECT EXISTS (
                SELECT 1 FROM changes
                WHERE (tx, id) > (\(String(position.transaction))::xid8, \(position.id)) AND tx >= pg_snapshot_xmin(pg_current_snapshot())
            )
            """)
        return try rows.first?.decode(Bool.self, at: 0) ?? false
    }

    /// A position before every change that can still appear and after every change already
    /// readable: reading from it returns only what is new (and perhaps a few changes that
    /// committed just before, never fewer).
    public func head() async throws(PostgresError) -> ChangePosition {
        let text = try await client.query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")[0].decode(String.self, at: 0)
        guard let transaction = UInt64(text) else {
            throw PostgresError(code: .decoding, reason: "the server's snapshot xmin is not a number")
        }
        return ChangePosition(transaction: transaction, id: 0)
    }

    /// The newest position pruned: a reader at an older position has missed changes.
    public func horizon() async throws(PostgresError) -> ChangePosition {
        let (tx, id) = try await client.query("SELECT tx::text, id FROM changes_horizon")[0].decode((String, Int64).self)
        guard let transaction = UInt64(tx) else {
            throw PostgresError(code: .decoding, reason: "the change feed's horizon is not a number")
        }
        return ChangePosition(transaction: transaction, id: id)
    }

    /// Deletes up to `limit` of the oldest changes made before `cutoff` and moves the horizon
    /// past them; returns how many it deleted. One short statement touching only the start of
    /// the primary key, so any replica can run it often: it stops at the first change that is
    /// not old enough (the feed is kept whole up to the horizon), and never passes a
    /// transaction still running.
    public func prune(before cutoff: Date, limit: Int = 1000) async throws(PostgresError) -> Int {
        try await client.query("""
            WITH oldest AS MATERIALIZED (
                SELECT tx, id, at FROM changes
                WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY tx, id
                LIMIT \(max(1, limit))
            ), first_kept AS (
                SELECT tx, id FROM oldest WHERE at >= \(cutoff) ORDER BY tx, id LIMIT 1
            ), gone AS (
                DELETE FROM changes c USING oldest o
                WHERE c.tx = o.tx AND c.id = o.id AND o.at < \(cutoff)
                    AND NOT EXISTS (SELECT 1 FROM first_kept k WHERE (o.tx, o.id) > (k.tx, k.id))
                RETURNING c.tx, c.id
            ), newest AS (
                SELECT tx, id FROM gone ORDER BY tx DESC, id DESC LIMIT 1
            ), moved AS (
                UPDATE changes_horizon h SET tx = n.tx, id = n.id FROM newest n WHERE (n.tx, n.id) > (h.tx, h.id)
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM moved)
            """)[0].decode(Int.self, at: 0)
    }
}

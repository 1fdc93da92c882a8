public import Foundation
public import Postgres
public import Workflows

/// Whose claim a `submitting` step is, and how long it stays theirs without a renewal.
public struct ClaimLease: Sendable, Hashable {
    /// The claiming process (a random id per process start).
    public var owner: UUID
    public var duration: Duration

    public init(owner: UUID, duration: Duration) {
        self.owner = owner
        self.duration = duration
    }

    var milliseconds: Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// A `submitting` step whose lease ran out (or that has none), as read for the recovery sweep.
public struct LapsedClaim: Sendable, Hashable {
    public var id: UUID
    /// Which claim of the step it is (``ClaimedStep/submitAttempts``).
    public var attempt: Int
    public var claim: SubmissionClaim
}

/// What one recovery pass did.
public struct RecoveredClaims: Sendable, Equatable {
    /// Back to `pending`: their request certainly never left the process.
    public var requeued: [UUID] = []
    /// Now `submit_unknown`: their request may have reached MPS.
    public var unclear: [UUID] = []

    public var count: Int { requeued.count + unclear.count }
}

/// Continuous recovery: the leases of claims, the commit that a request is about to leave the
/// process, and the sweep that finds claims whose process died. Which way a lapsed claim goes
/// is ``ClaimRecovery``'s decision; these statements only check that the row is still the one
/// it decided on, so a renewal or a send that comes first wins.
extension StepStore {
    /// Commits that the claim's request is about to leave the process (and renews its lease).
    /// False when the claim is no longer `lease.owner`'s attempt `attempt` (it lapsed and was
    /// recovered): then the request must not be sent. Only after this commits may it be sent,
    /// so a lapsed claim without `sent_at` certainly never reached MPS.
    public func markSending(_ id: UUID, attempt: Int, lease: ClaimLease) async throws(PostgresError) -> Bool {
        let rows = try await client.query("""
            UPDATE steps SET sent_at = now(), lease_until = now() + \(lease.milliseconds) * interval '1 millisecond'
            WHERE id = \(id) AND state = \(StepMove(.claim).target) AND claimed_by = \(lease.owner)
                AND submit_attempts = \(attempt) AND sent_at IS NULL
            RETURNING id
            """)
        return rows.count == 1
    }

    /// Extends the leases of `ids` that are still `lease.owner`'s claims, in one statement.
    /// Returns how many were renewed (a step that left `submitting` is skipped).
    @discardableResult
    public func renewLeases(_ ids: [UUID], lease: ClaimLease) async throws(PostgresError) -> Int {
        guard !ids.isEmpty else { return 0 }
        let rows = try await client.query("""
            UPDATE steps SET lease_until = now() + \(lease.milliseconds) * interval '1 millisecond'
            WHERE id = ANY(\(ids)::uuid[]) AND state = \(StepMove(.claim).target) AND claimed_by = \(lease.owner)
            RETURNING id
            """)
        return rows.count
    }

    /// Up to `limit` `submitting` steps whose lease ran out, or that have none (claimed by a
    /// version without leases), with the database's clock: the candidates of a sweep.
    public func lapsedClaims(limit: Int) async throws(PostgresError) -> (now: Date, claims: [LapsedClaim]) {
        let rows = try await client.query("""
            SELECT now(), id, submit_attempts, lease_until, sent_at, updated_at FROM steps
            WHERE state = \(StepMove(.claim).target) AND (lease_until IS NULL OR lease_until < now())
            ORDER BY lease_until NULLS FIRST
            LIMIT \(limit)
            """)
        var now = Date()
        let claims = try rows.map { row throws(PostgresError) in
            let (read, id, attempt, leaseUntil, sentAt, updatedAt) = try row.decode((Date, UUID, Int, Date?, Date?, Date).self)
            now = read
            return LapsedClaim(id: id, attempt: attempt, claim: SubmissionClaim(leaseUntil: leaseUntil, sentAt: sentAt, updatedAt: updatedAt))
        }
        return (now, claims)
    }

    /// One sweep: reads the lapsed claims and records what `rule` decides for each, one
    /// statement per outcome. Returns the steps moved.
    public func recoverLapsedClaims(_ rule: ClaimRecovery, limit: Int = 500) async throws(PostgresError) -> RecoveredClaims {
        let (now, lapsed) = try await lapsedClaims(limit: limit)
        var requeue: [LapsedClaim] = []
        var unclear: [LapsedClaim] = []
        for candidate in lapsed {
            switch rule.event(for: candidate.claim, at: now) {
            case .retryLater?: requeue.append(candidate)
            case .unclear?: unclear.append(candidate)
            default: break
            }
        }
        var recovered = RecoveredClaims()
        if !requeue.isEmpty { recovered.requeued = try await requeueNeverSent(requeue, decidedAt: now) }
        if !unclear.isEmpty { recovered.unclear = try await markInterrupted(unclear, decidedAt: now) }
        return recovered
    }

    /// Steps left `submitting` longer than `olderThan` without a lease, and those whose lease ran
    /// out, recovered as ``recoverLapsedClaims(_:limit:)`` does. Returns how many moved.
    public func recoverAbandoned(olderThan: Duration) async throws(PostgresError) -> Int {
        try await recoverLapsedClaims(ClaimRecovery(unleasedAbandonedAfter: olderThan)).count
    }

    /// Lapsed claims that were never sent, back to pending and due at once. Guarded: still the
    /// same claim, not renewed since `decidedAt`, and still not sent (a send committed after the
    /// read wins, and the claim is then taken for unknown by the next sweep instead).
    private func requeueNeverSent(_ claims: [LapsedClaim], decidedAt: Date) async throws(PostgresError) -> [UUID] {
        let retry = StepMove(.retryLater)
        let rows = try await client.query("""
            UPDATE steps SET state = \(retry.target), next_attempt_at = now(), error_code = 'Interrupted',
                error_message = 'the process stopped before sending; the request never left it',
                claimed_by = NULL, lease_until = NULL, updated_at = now()
            FROM unnest(\(claims.map(\.id))::uuid[], \(claims.map(\.attempt))::int8[]) AS lapsed (id, attempt)
            WHERE steps.id = lapsed.id AND steps.submit_attempts = lapsed.attempt AND steps.state = ANY(\(retry.sources)::text[])
                AND (steps.lease_until IS NULL OR steps.lease_until <= \(decidedAt)) AND steps.sent_at IS NULL
            RETURNING steps.id
            """)
        return try rows.map { row throws(PostgresError) in try row.decode(UUID.self, at: 0) }
    }

    /// Lapsed claims that may have been sent: `submit_unknown`, never pending. Guarded: still the
    /// same claim and not renewed since `decidedAt`.
    private func markInterrupted(_ claims: [LapsedClaim], decidedAt: Date) async throws(PostgresError) -> [UUID] {
        let unclear = StepMove(.unclear)
        let rows = try await client.query("""
            UPDATE steps SET state = \(unclear.target), error_code = 'Interrupted',
                error_message = 'the process stopped while submitting; the call may have reached MPS',
                claimed_by = NULL, lease_until = NULL, updated_at = now()
            FROM unnest(\(claims.map(\.id))::uuid[], \(claims.map(\.attempt))::int8[]) AS lapsed (id, attempt)
            WHERE steps.id = lapsed.id AND steps.submit_attempts = lapsed.attempt AND steps.state = ANY(\(unclear.sources)::text[])
                AND (steps.lease_until IS NULL OR steps.lease_until <= \(decidedAt))
            RETURNING steps.id
            """)
        return try rows.map { row throws(PostgresError) in try row.decode(UUID.self, at: 0) }
    }
}

public import Foundation

/// A `submitting` step as the recovery sweep sees it: whose claim it is, until when the claim is
/// leased, and whether its request was committed as leaving the process.
public struct SubmissionClaim: Sendable, Hashable {
    /// When the claim's lease runs out; nil for a claim made by a version of mpshook without
    /// leases (it never renews one, so only the age of the claim tells).
    public var leaseUntil: Date?
    /// When the request was committed as about to be sent; nil: it certainly never left the
    /// process (the commit comes before the call).
    public var sentAt: Date?
    /// When the step last changed (the claim, for a claim without a lease).
    public var updatedAt: Date

    public init(leaseUntil: Date?, sentAt: Date?, updatedAt: Date) {
        self.leaseUntil = leaseUntil
        self.sentAt = sentAt
        self.updatedAt = updatedAt
    }
}

/// What becomes of a `submitting` step whose process may have died: the one rule the recovery
/// sweep applies (its SQL only checks that the row is still the one decided on).
///
/// A live process renews its leases, so a lease that ran out belongs to a process that stopped
/// (or lost the database for longer than the lease). If the request was never sent the step
/// can safely go back to `pending` (``StepState/Event/retryLater``); if it may have been sent,
/// MPS may hold a task for it: `submit_unknown` (``StepState/Event/unclear``), never resent.
public struct ClaimRecovery: Sendable, Hashable {
    /// How old a claim without a lease must be to count as abandoned: longer than any call can
    /// take, since nothing tells a live old-version process from a dead one.
    public var unleasedAbandonedAfter: Duration

    public init(unleasedAbandonedAfter: Duration) {
        self.unleasedAbandonedAfter = unleasedAbandonedAfter
    }

    /// The event to record for `claim` at `now` (the database's clock, shared by every
    /// replica), or nil while its process may still be working on it.
    public func event(for claim: SubmissionClaim, at now: Date) -> StepState.Event? {
        guard let leaseUntil = claim.leaseUntil else {
            // An old version's claim: its sending was never recorded, so it may have been sent.
            let age = now.timeIntervalSince(claim.updatedAt)
            return age > Self.seconds(unleasedAbandonedAfter) ? .unclear : nil
        }
        guard leaseUntil < now else { return nil }
        return claim.sentAt == nil ? .retryLater : .unclear
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

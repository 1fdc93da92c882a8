import Foundation
import Testing
import Workflows

/// The recovery sweep's one rule: a live lease is left alone; a lapsed one goes back to pending
/// only when the request certainly never left the process, else it becomes unknown.
@Suite struct ClaimRecoveryTests {
    static let rule = ClaimRecovery(unleasedAbandonedAfter: .seconds(120))
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aLiveLeaseIsLeftAloneSentOrNot() {
        for sentAt in [nil, Self.now.addingTimeInterval(-5)] {
            let claim = SubmissionClaim(leaseUntil: Self.now.addingTimeInterval(0.001), sentAt: sentAt, updatedAt: Self.now.addingTimeInterval(-3600))
            #expect(Self.rule.event(for: claim, at: Self.now) == nil)
        }
    }

    @Test func aLapsedLeaseNeverSentGoesBackToPending() {
        let claim = SubmissionClaim(leaseUntil: Self.now.addingTimeInterval(-0.001), sentAt: nil, updatedAt: Self.now.addingTimeInterval(-1))
        #expect(Self.rule.event(for: claim, at: Self.now) == .retryLater)
        #expect(StepState.submitting.after(.retryLater) == .pending)
    }

    @Test func aLapsedLeaseThatMayHaveBeenSentBecomesUnknownNeverPending() {
        let claim = SubmissionClaim(leaseUntil: Self.now.addingTimeInterval(-30), sentAt: Self.now.addingTimeInterval(-31), updatedAt: Self.now.addingTimeInterval(-31))
        #expect(Self.rule.event(for: claim, at: Self.now) == .unclear)
        #expect(StepState.submitting.after(.unclear) == .submitUnknown)
    }

    @Test func aLeaseRunningOutExactlyNowIsStillLive() {
        let claim = SubmissionClaim(leaseUntil: Self.now, sentAt: nil, updatedAt: Self.now.addingTimeInterval(-30))
        #expect(Self.rule.event(for: claim, at: Self.now) == nil)
    }

    @Test func aClaimWithoutALeaseKeepsTheOldRuleAgeThenUnknown() {
        let young = SubmissionClaim(leaseUntil: nil, sentAt: nil, updatedAt: Self.now.addingTimeInterval(-119))
        #expect(Self.rule.event(for: young, at: Self.now) == nil)
        // An old version never records sending, so a NULL sent_at proves nothing: unknown.
        let old = SubmissionClaim(leaseUntil: nil, sentAt: nil, updatedAt: Self.now.addingTimeInterval(-121))
        #expect(Self.rule.event(for: old, at: Self.now) == .unclear)
    }

    @Test func theAbandonTimeoutCountsFractionsOfASecond() {
        let rule = ClaimRecovery(unleasedAbandonedAfter: .milliseconds(1500))
        #expect(rule.event(for: SubmissionClaim(leaseUntil: nil, sentAt: nil, updatedAt: Self.now.addingTimeInterval(-1.4)), at: Self.now) == nil)
        #expect(rule.event(for: SubmissionClaim(leaseUntil: nil, sentAt: nil, updatedAt: Self.now.addingTimeInterval(-1.6)), at: Self.now) == .unclear)
    }
}

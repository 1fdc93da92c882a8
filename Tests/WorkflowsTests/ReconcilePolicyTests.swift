import Foundation
import Testing
import Workflows

/// The reconciler's rule, on a fixed clock.
struct ReconcilePolicyTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    static let policy = ReconcilePolicy(
        baseDeadline: .seconds(1800), perInput: .seconds(60), processingStaleAfter: .seconds(600),
        maximumPollInterval: .seconds(3600 * 4), submitUnknownDeadline: .seconds(6 * 3600)
    )

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    static func submitted(
        inputs: Int = 1, polls: Int = 0, lastPolled: Double? = nil, reported: Double? = nil, status: OutputState? = nil
    ) -> ReconcileFacts {
        ReconcileFacts(
            state: .submitted, hasTaskId: true, since: t0, lastReportAt: reported.map(at), lastReportedStatus: status,
            inputs: inputs, polls: polls, lastPolledAt: lastPolled.map(at)
        )
    }

    @Test func aSubmittedStepIsFirstPolledAtTheBaseDeadline() {
        #expect(Self.policy.decide(Self.submitted(), now: Self.at(1799)) == .waitUntil(Self.at(1800)))
        #expect(Self.policy.decide(Self.submitted(), now: Self.at(1800)) == .pollNow)
        #expect(Self.policy.decide(Self.submitted(), now: Self.at(5000)) == .pollNow)
    }

    @Test func aBigBatchWaitsLongerPerInput() {
        // 11 inputs: ten more than one, 60 s each.
        #expect(Self.policy.nextPoll(Self.submitted(inputs: 11)) == Self.at(1800 + 600))
        #expect(Self.policy.decide(Self.submitted(inputs: 11), now: Self.at(2000)) == .waitUntil(Self.at(2400)))
        #expect(Self.policy.decide(Self.submitted(inputs: 11), now: Self.at(2400)) == .pollNow)
        #expect(Self.policy.nextPoll(Self.submitted(inputs: 0)) == Self.at(1800))
    }

    @Test func aProcessingReportLongAgoShortensTheDeadline() {
        // PROCESSING at +60 s, then silence: polled 600 s later rather than at +1800 s.
        let quiet = Self.submitted(reported: 60, status: .processing)
        #expect(Self.policy.decide(quiet, now: Self.at(659)) == .waitUntil(Self.at(660)))
        #expect(Self.policy.decide(quiet, now: Self.at(660)) == .pollNow)
        // Never later than the base deadline, whatever the report.
        let late = Self.submitted(reported: 1700, status: .processing)
        #expect(Self.policy.nextPoll(late) == Self.at(1800))
        // WAITING is no sign that MPS was working and went quiet.
        #expect(Self.policy.nextPoll(Self.submitted(reported: 60, status: .waiting)) == Self.at(1800))
    }

    @Test func pollsBackOffDoublingUpToTheCap() {
        #expect(Self.policy.pollInterval(afterPolls: 1) == .seconds(1800))
        #expect(Self.policy.pollInterval(afterPolls: 2) == .seconds(3600))
        #expect(Self.policy.pollInterval(afterPolls: 3) == .seconds(7200))
        #expect(Self.policy.pollInterval(afterPolls: 4) == .seconds(14400))
        #expect(Self.policy.pollInterval(afterPolls: 5) == .seconds(14400))
        #expect(Self.policy.pollInterval(afterPolls: 1000) == .seconds(14400))
        let once = Self.policy.polled(Self.submitted(), at: Self.at(1800))
        #expect(once.polls == 1)
        #expect(Self.policy.decide(once, now: Self.at(3599)) == .waitUntil(Self.at(3600)))
        #expect(Self.policy.decide(once, now: Self.at(3600)) == .pollNow)
        let twice = Self.policy.polled(once, at: Self.at(3600))
        #expect(Self.policy.nextPoll(twice) == Self.at(3600 + 3600))
    }

    @Test func aSubmittedStepOlderThanTheQueryWindowIsLost() {
        let week = 7 * 24 * 3600.0
        #expect(Self.policy.decide(Self.submitted(polls: 3, lastPolled: week - 10), now: Self.at(week - 1)) != .expire(.queryWindowPassed))
        #expect(Self.policy.decide(Self.submitted(), now: Self.at(week)) == .expire(.queryWindowPassed))
        #expect(Self.policy.decide(Self.submitted(polls: 40, lastPolled: week - 5), now: Self.at(week + 1)) == .expire(.queryWindowPassed))
        // The wait never runs past the window: the step is looked at again when it closes.
        #expect(Self.policy.decide(Self.submitted(polls: 9, lastPolled: week - 60), now: Self.at(week - 30)) == .waitUntil(Self.at(week)))
    }

    @Test func aSubmitUnknownStepWithoutACallbackIsLostAfterItsDeadline() {
        let unknown = ReconcileFacts(state: .submitUnknown, hasTaskId: false, since: Self.t0)
        #expect(Self.policy.decide(unknown, now: Self.at(3600)) == .waitUntil(Self.at(6 * 3600)))
        #expect(Self.policy.decide(unknown, now: Self.at(6 * 3600)) == .expire(.noCallback))
    }

    @Test func aSubmittedStepWithoutATaskIdIsLostWhenItsReportsStop() {
        // Resolved by a callback (no TaskId): quiet for the deadline after its last report.
        let resolved = ReconcileFacts(state: .submitted, hasTaskId: false, since: Self.t0, lastReportAt: Self.at(100), lastReportedStatus: .processing)
        #expect(Self.policy.decide(resolved, now: Self.at(6 * 3600)) == .waitUntil(Self.at(6 * 3600 + 100)))
        #expect(Self.policy.decide(resolved, now: Self.at(6 * 3600 + 100)) == .expire(.noCallback))
    }

    @Test func stepsThatAreNotWaitingForMPSAreIgnored() {
        for state in [StepState.pending, .submitting, .succeeded, .partiallyFailed, .failed, .lost] {
            let facts = ReconcileFacts(state: state, hasTaskId: true, since: Self.t0)
            #expect(Self.policy.decide(facts, now: Self.at(30 * 24 * 3600)) == .ignore, "\(state)")
        }
    }

    @Test func aTaskMPSDoesNotKnowIsLostUnlessTheStepMovedOn() {
        #expect(Self.policy.afterNotFound(Self.submitted(), now: Self.at(1800)) == .expire(.taskNotFound))
        let finished = ReconcileFacts(state: .succeeded, hasTaskId: true, since: Self.t0)
        #expect(Self.policy.afterNotFound(finished, now: Self.at(1800)) == .ignore)
    }

    @Test func theNotFoundCodesAreMPSsOwn() {
        #expect(ReconcilePolicy.taskNotFoundCodes.contains("InvalidParameterValue.TaskId"))
        #expect(ReconcilePolicy.taskNotFoundCodes.contains("ResourceNotFound.TaskNotFound"))
        #expect(!ReconcilePolicy.taskNotFoundCodes.contains("RequestLimitExceeded"))
        #expect(!ReconcilePolicy.taskNotFoundCodes.contains("InternalError"))
    }

    @Test func everyExpiryIsAMoveStepStateAllows() {
        let week = 7 * 24 * 3600.0
        for state in StepState.allCases {
            for hasTaskId in [true, false] {
                let facts = ReconcileFacts(state: state, hasTaskId: hasTaskId, since: Self.t0)
                for now in [Self.at(0), Self.at(7 * 3600), Self.at(week + 1)] {
                    for decision in [Self.policy.decide(facts, now: now), Self.policy.afterNotFound(facts, now: now)] {
                        if case .expire = decision { #expect(state.after(.expire) == .lost, "\(state)") }
                    }
                }
            }
        }
    }

    @Test func settingsAreKeptSane() {
        let odd = ReconcilePolicy(baseDeadline: .seconds(10), maximumPollInterval: .seconds(1))
        #expect(odd.maximumPollInterval == .seconds(10))
        #expect(odd.pollInterval(afterPolls: 3) == .seconds(10))
    }
}

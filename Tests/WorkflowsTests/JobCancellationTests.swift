import Testing
import Workflows

/// What cancelling a job means, as pure rules.
@Suite struct JobCancellationTests {
    @Test func onlyARunningJobIsCancelledAndACancelledOneAgainIsHarmless() {
        #expect(JobCancellation(.running) == .cancel)
        #expect(JobCancellation(.cancelled) == .alreadyCancelled)
        for state in [JobState.succeeded, .partiallyFailed, .failed] {
            #expect(JobCancellation(state) == .refused(state))
        }
        #expect(JobCancellation.refused(.failed).description == "the job is failed already; only a running job can be cancelled")
    }

    @Test func aCancelEndsOnlyStepsNotSentYet() {
        #expect(StepState.sources(of: .cancel) == [.pending, .submitting])
        #expect(StepState.pending.after(.cancel) == .failed)
        #expect(StepState.submitting.after(.cancel) == .failed)
        for state in StepState.allCases where state != .pending && state != .submitting {
            #expect(state.after(.cancel) == nil, "\(state)")
        }
    }

    @Test func onlyARunningJobAdmitsSubmissionsAndACancelledJobsRetryEndsTheStep() {
        #expect(JobState.allCases.filter(\.admitsSubmissions) == [.running])
        #expect(JobState.running.eventForRetry == .retryLater)
        #expect(JobState.cancelled.eventForRetry == .cancel)
        // A cancelled job's steps are never reopened by a person either.
        #expect(StepAction.resubmit.refusal(state: .failed, successors: 0, jobState: .cancelled) == .jobCancelled)
    }
}

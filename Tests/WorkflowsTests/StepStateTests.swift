import MPS
import Testing
import Workflows

/// The transition functions are the only statement of the state rules; the SQL guards in Store
/// take their source states from them (and StoreGuardTests run every state through each statement).
@Suite struct StepStateTests {
    @Test func theSubmissionLifeCycleMovesForward() {
        #expect(StepState.pending.after(.claim) == .submitting)
        #expect(StepState.submitting.after(.accept) == .submitted)
        #expect(StepState.submitting.after(.retryLater) == .pending)
        #expect(StepState.submitting.after(.unclear) == .submitUnknown)
        #expect(StepState.submitting.after(.refuse) == .failed)
        #expect(StepState.submitted.after(.outputsFinal(.succeeded)) == .succeeded)
        #expect(StepState.submitted.after(.outputsFinal(.partiallyFailed)) == .partiallyFailed)
        #expect(StepState.submitted.after(.expire) == .lost)
    }

    @Test func aCallbackProvesTheTaskExistsWhateverTheSubmissionLookedLike() {
        for state in [StepState.submitting, .submitUnknown, .lost] {
            #expect(state.after(.taskReported) == .submitted, "\(state)")
        }
        #expect(StepState.submitted.after(.taskReported) == .submitted)
        #expect(StepState.pending.after(.taskReported) == nil)
    }

    @Test func aTaskIdArrivingAfterTheCallbackFinishedTheStepKeepsItsState() {
        for state in [StepState.submitted, .succeeded, .partiallyFailed, .failed] {
            #expect(state.after(.accept) == state, "\(state)")
        }
        #expect(StepState.pending.after(.accept) == nil)
    }

    @Test func nothingLeavesAFinalStateAndNothingGoesBackToBeResent() {
        // Every event the service raises by itself (a person's are below).
        let events: [StepState.Event] = [
            .claim, .accept, .retryLater, .refuse, .unclear, .taskReported, .expire,
            .outputsFinal(.succeeded), .outputsFinal(.failed), .outputsFinal(.partiallyFailed),
        ]
        for state in StepState.allCases {
            for event in events {
                guard let next = state.after(event) else { continue }
                if state.isTerminal { #expect(next == state, "\(state) on \(event) → \(next)") }
                // Only a retryable refusal (certainly not sent) returns a step to pending.
                if next == .pending { #expect(state == .submitting && event == .retryLater) }
                // Only a claim sends.
                if next == .submitting { #expect(state == .pending && event == .claim) }
            }
        }
        #expect(StepState.submitUnknown.after(.retryLater) == nil)
        #expect(StepState.submitUnknown.after(.claim) == nil)
    }

    @Test func onlyAPersonReopensAStepThatMayHaveBeenSentOrFinished() {
        #expect(StepState.submitUnknown.after(.resubmit) == .pending)
        #expect(StepState.lost.after(.resubmit) == .pending)
        #expect(StepState.failed.after(.resubmit) == .pending)
        for state in [StepState.pending, .submitting, .submitted, .succeeded, .partiallyFailed] {
            #expect(state.after(.resubmit) == nil, "\(state)")
        }
        #expect(StepState.submitUnknown.after(.resolve) == .submitted)
        #expect(StepState.lost.after(.resolve) == .submitted)
        #expect(StepState.submitting.after(.resolve) == nil)
        #expect(StepState.failed.after(.resolve) == nil)
        for state in [StepState.pending, .submitted, .submitUnknown, .lost] {
            #expect(state.after(.abandon) == .failed, "\(state)")
        }
        // In flight (the call's outcome decides) or already final: nothing to abandon.
        for state in [StepState.submitting, .succeeded, .partiallyFailed, .failed] {
            #expect(state.after(.abandon) == nil, "\(state)")
        }
        #expect(StepState.allCases.filter(\.needsAttention) == [.submitUnknown, .lost])
    }

    @Test func sourcesAreTheStatesAnEventAppliesIn() {
        #expect(StepState.sources(of: .claim) == [.pending])
        #expect(StepState.sources(of: .unclear) == [.submitting])
        #expect(Set(StepState.changing(on: .accept)) == [.submitting, .submitUnknown, .lost])
        #expect(Set(StepState.sources(of: .accept)) == Set(StepState.allCases).subtracting([.pending]))
    }

    @Test func aStepEndsAsItsOutputsSay() {
        #expect(StepOutcome(outputs: [OutputState.success, .success]) == .succeeded)
        #expect(StepOutcome(outputs: [OutputState.fail, .fail]) == .failed)
        #expect(StepOutcome(outputs: [OutputState.success, .fail]) == .partiallyFailed)
        #expect(StepOutcome(outputs: [OutputState.success, .processing]) == nil)
        #expect(StepOutcome(outputs: [OutputState]()) == nil)
    }

    @Test func aJobEndsOnceAndNeverChangesAfter() {
        for final in JobState.allCases where final.isFinal {
            #expect(JobState.running.canMove(to: final))
            for next in JobState.allCases { #expect(!final.canMove(to: next)) }
        }
    }

    @Test func outputsTakeOnlyNews() {
        let output = OutputRecord(inputIndex: 0, jobInputIndex: 0, inputURL: "https://e/a.mp4", state: .processing, progress: 40)
        #expect(output.admits(.processing, progress: 60))
        #expect(!output.admits(.processing, progress: 40))
        #expect(!output.admits(.waiting, progress: 90))
        #expect(output.admits(.success, progress: 100))
        var done = output
        done.state = .fail
        #expect(!done.admits(.success, progress: 100))
    }

    @Test func mergingIsForwardOnlyWhateverTheOrder() throws {
        let start = OutputRecord(inputIndex: 0, jobInputIndex: 0, inputURL: "https://e/a.mp4")
        let processing = NotificationReport.Output(status: .processing, progress: 40)
        let success = NotificationReport.Output(
            status: .success, progress: 100, path: "/s/a.vtt", subtitleURL: "https://b.cos/s/a.vtt",
            files: [SubtitleFile(kind: .recognition, language: "en", path: "/s/a.vtt")]
        )
        let processed = try #require(start.merging(processing))
        let inOrder = try #require(processed.merging(success))
        #expect(inOrder.state == .success && inOrder.subtitlePath == "/s/a.vtt" && inOrder.languages == ["en"])
        // The late PROCESSING report after SUCCESS is not news.
        let finished = try #require(start.merging(success))
        #expect(finished.merging(processing) == nil)
        #expect(finished == inOrder)
    }
}

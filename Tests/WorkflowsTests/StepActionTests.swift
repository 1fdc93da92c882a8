import Testing
import Workflows

/// The actions a person takes on a step (`mpshook steps resolve|resubmit|abandon`, later the REST
/// API): which states each applies in (read off `StepState.after`), and the extra rules.
@Suite struct StepActionTests {
    @Test func eachActionAppliesExactlyWhereItsStepEventDoes() {
        for action in [StepAction.resolve(taskId: "t"), .resubmit, .abandon] {
            for state in StepState.allCases {
                let refusal = action.refusal(state: state, successors: 0, jobState: .running)
                if state.after(action.event) == nil {
                    #expect(refusal == .state(state, action: action.name, allowed: StepState.sources(of: action.event)), "\(action.name) in \(state)")
                } else {
                    #expect(refusal == nil, "\(action.name) in \(state)")
                }
            }
        }
        #expect(StepAction.resubmit.refusal(state: .submitted, successors: 0, jobState: .running)?.description
            == "the step is submitted; resubmit applies only to a step that is submit_unknown, failed or lost")
    }

    @Test func aFailedStepIsReopenedOnlyWhenNothingWasPlannedAfterIt() {
        #expect(StepAction.resubmit.refusal(state: .failed, successors: 0, jobState: .failed) == nil)
        #expect(StepAction.resubmit.refusal(state: .failed, successors: 2, jobState: .running) == .successors(2))
        // Abandoning and resolving never reopen anything, so successors do not matter to them.
        #expect(StepAction.abandon.refusal(state: .lost, successors: 1, jobState: .running) == nil)
    }

    @Test func reopeningAStepPutsAnEndedJobBackToRunningExceptACancelledOne() {
        #expect(JobState.running.reopened() == .running)
        for state in [JobState.succeeded, .partiallyFailed, .failed] {
            #expect(state.reopened() == .running, "\(state)")
        }
        #expect(JobState.cancelled.reopened() == nil)
        #expect(StepAction.resubmit.refusal(state: .failed, successors: 0, jobState: .cancelled) == .jobCancelled)
        // Only resubmit reopens: abandoning a lost step of a running job is fine whatever.
        #expect(StepAction.abandon.refusal(state: .lost, successors: 0, jobState: .running) == nil)
    }

    @Test func reasonActorAndTaskIdAreChecked() {
        #expect(StepAction.problems(actor: "ops", reason: "found it in the console") == [])
        #expect(StepAction.problems(actor: "ops", reason: "  \n") == ["reason: must not be empty"])
        #expect(StepAction.problems(actor: "", reason: "x") == ["actor: must not be empty"])
        #expect(StepAction.problems(actor: String(repeating: "a", count: 201), reason: "x") == ["actor: must be at most 200 characters"])
        #expect(StepAction.problems(actor: "ops", reason: String(repeating: "r", count: 2001)) == ["reason: must be at most 2000 characters"])
        #expect(StepAction.resolve(taskId: "24000030-BatchTask-abc").problems == [])
        #expect(StepAction.resolve(taskId: "").problems == ["task id: must not be empty"])
        #expect(StepAction.resolve(taskId: "a b").problems == ["task id: must be printable ASCII without spaces"])
        #expect(StepAction.resolve(taskId: String(repeating: "a", count: 201)).problems == ["task id: must be at most 200 characters"])
        #expect(StepAction.abandon.problems == [])
    }

    @Test func aNewAttemptStartsItsOutputsFromNothing() {
        let done = OutputRecord(
            inputIndex: 1, jobInputIndex: 3, inputURL: "https://e.com/a.mp4", state: .fail, progress: 100,
            subtitlePath: "/p", subtitleURL: "https://c/p", errorCode: "SourceFileError", errorMessage: "no"
        )
        let fresh = done.reopened()
        #expect(fresh == OutputRecord(inputIndex: 1, jobInputIndex: 3, inputURL: "https://e.com/a.mp4"))
        #expect(fresh.state == .waiting)
    }
}

import Testing

@testable import Store

@Suite struct StepStateTests {
    @Test func submissionPathsMoveForward() {
        #expect(StepState.pending.canMove(to: .submitting))
        #expect(StepState.submitting.canMove(to: .submitted))
        #expect(StepState.submitting.canMove(to: .submitUnknown))
        #expect(StepState.submitting.canMove(to: .pending))  // retryable refusal
        #expect(StepState.submitted.canMove(to: .succeeded))
        #expect(StepState.submitUnknown.canMove(to: .partiallyFailed))  // resolved by its callback
    }

    @Test func nothingLeavesAFinalStateOrGoesBack() {
        for terminal in StepState.allCases where terminal.isTerminal {
            for next in StepState.allCases {
                #expect(!terminal.canMove(to: next), "\(terminal) → \(next)")
            }
        }
        #expect(!StepState.submitted.canMove(to: .pending))
        #expect(!StepState.submitted.canMove(to: .submitting))
        // An ambiguous submission is never resent by a transition.
        #expect(!StepState.submitUnknown.canMove(to: .pending))
        #expect(!StepState.submitUnknown.canMove(to: .submitting))
    }

    @Test func outputsOnlyMoveForward() {
        #expect(OutputStatus.waiting.canMove(to: .processing))
        #expect(OutputStatus.processing.canMove(to: .success))
        #expect(OutputStatus.waiting.canMove(to: .fail))
        #expect(!OutputStatus.processing.canMove(to: .waiting))
        #expect(!OutputStatus.processing.canMove(to: .processing))
        #expect(!OutputStatus.success.canMove(to: .fail))
        #expect(!OutputStatus.fail.canMove(to: .success))
    }

    @Test func wireNamesMatchTheDatabase() {
        #expect(StepState.submitUnknown.rawValue == "submit_unknown")
        #expect(StepState.partiallyFailed.rawValue == "partially_failed")
        #expect(OutputStatus.processing.rawValue == "PROCESSING")
    }
}

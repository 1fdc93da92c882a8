import Testing
import Workflows
@testable import Store

/// The SQL guards of StepStore read their states off `StepState.after(_:)`; these pin what that
/// gives for each statement (the integration tests run every state through the statements).
@Suite struct StepMoveTests {
    @Test func eachStatementGuardsWithTheStatesItsEventAppliesIn() {
        #expect(StepMove(.claim).sources == ["pending"] && StepMove(.claim).target == "submitting")
        #expect(StepMove(.retryLater).sources == ["submitting"] && StepMove(.retryLater).target == "pending")
        #expect(StepMove(.unclear).sources == ["submitting"] && StepMove(.unclear).target == "submit_unknown")
        let accept = StepMove(.accept)
        #expect(Set(accept.changing) == ["submitting", "submit_unknown", "lost"] && accept.target == "submitted")
        #expect(!accept.sources.contains("pending"))
    }

    @Test func everyMoveHasOneTarget() {
        for event in [StepState.Event.claim, .accept, .retryLater, .unclear, .refuse, .expire] {
            let targets = Set(StepState.changing(on: event).compactMap { $0.after(event) })
            #expect(targets.count == 1, "\(event)")
        }
    }
}

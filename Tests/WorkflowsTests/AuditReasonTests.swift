import Testing
import Workflows

/// The reason every audited action records: the rule the REST API's spec states as a pattern
/// (`^[^\u0000]*[^\u0000\t\n\u000b\f\r ][^\u0000]*$`, 1-2000 scalars) and the audit table's CHECK.
@Suite struct AuditReasonTests {
    @Test func aReasonIsSomethingBesidesASCIIBlanksWithoutNULAndAtMost2000Scalars() {
        for accepted in ["a", " a ", "x\ny", "\u{3000}", "déjà vu", String(repeating: "é", count: 2000)] {
            #expect(StepAction.reasonProblem(accepted) == nil, "\(accepted.debugDescription)")
        }
        #expect(StepAction.reasonProblem("") == "must not be empty")
        #expect(StepAction.reasonProblem(" \t\n\u{0B}\u{0C}\r") == "must not be empty")
        #expect(StepAction.reasonProblem("a\u{0}b") == "must not contain NUL")
        #expect(StepAction.reasonProblem(String(repeating: "a", count: 2001)) == "must be at most 2000 characters")
        // 1000 characters of 3 scalars each: PostgreSQL's length() counts 3000, so it is refused.
        let combining = String(repeating: "e\u{301}\u{302}", count: 1000)
        #expect(combining.count == 1000)
        #expect(StepAction.reasonProblem(combining) == "must be at most 2000 characters")
    }
}

import Correlation
import Foundation
import Hashing
import Intake
import Logging
import MPS
import Postgres
import Store
import Testing

/// Step and output states after the less common endings, against a real PostgreSQL: a
/// submission refused outright, and an unclear submission that its callback resolves.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct SmallFindingsTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    typealias Fixture = ApplierIntegrationTests.Fixture

    /// A migrated database with one pending job whose single step has two inputs.
    func withPendingStep(_ body: (Fixture) async throws -> Void) async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let (correlation, jobId, stepId) = try await TestDatabase.createStep(client, inputs: 2)
            try await body(Fixture(client: client, correlation: correlation, stepId: stepId, jobId: jobId))
        }
    }

    static func step(_ fixture: Fixture) async throws -> (state: String, code: String?, message: String?) {
        let rows = try await fixture.client.query("SELECT state, error_code, error_message FROM steps WHERE id = \(fixture.stepId)")
        let (state, code, message) = try rows[0].decode((String, String?, String?).self)
        return (state, code, message)
    }

    static func outputs(_ fixture: Fixture) async throws -> [(status: String, code: String?, message: String?)] {
        let rows = try await fixture.client.query(
            "SELECT status, error_code, error_message FROM outputs WHERE step_id = \(fixture.stepId) ORDER BY input_index"
        )
        return try rows.map { row in
            let (status, code, message) = try row.decode((String, String?, String?).self)
            return (status, code, message)
        }
    }

    static func jobState(_ fixture: Fixture) async throws -> String {
        try await fixture.client.query("SELECT state FROM jobs WHERE id = \(fixture.jobId)")[0].decode(String.self, at: 0)
    }

    static func notification(_ context: String, _ statuses: [String]) -> IncomingNotification {
        let outputs = statuses.map { status in
            let task = status == "SUCCESS" ? #","AsrFullTextTask":{"Path":"/out/a.vtt"}"# : ""
            return #"{"Status":"\#(status)","Progress":\#(status == "SUCCESS" ? 100 : 40),"ErrCodeExt":"","Message":""\#(task)}"#
        }.joined(separator: ",")
        let body = #"{"EventType":"BatchTask","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[\#(outputs)]}},"SessionContext":"\#(context)","Timestamp":1,"Sign":"x"}"#
        return IncomingNotification(
            contentHash: SHA256.hash(Array(body.utf8)), correlationId: CorrelationId(sessionContext: context)?.uuid,
            sessionContext: context, eventType: "BatchTask", body: body
        )
    }

    /// Claims the step and leaves it `submit_unknown` with the ambiguous attempt's error, as the dispatcher does.
    static func makeUnclear(_ fixture: Fixture) async throws {
        let steps = StepStore(client: fixture.client)
        #expect(try await steps.claimPending(limit: 1).map(\.id) == [fixture.stepId])
        #expect(try await steps.markSubmitUnknown(fixture.stepId, code: "InternalError", message: "Internal error."))
        #expect(try await Self.step(fixture).code == "InternalError")
    }

    // MARK: A callback resolves an unclear submission

    @Test func aStepResolvedAndFinishedByItsCallbackKeepsNoErrorFromTheUnclearAttempt() async throws {
        try await withPendingStep { fixture in
            try await Self.makeUnclear(fixture)
            _ = try await NotificationStore(client: fixture.client).insert([
                Self.notification(fixture.correlation.sessionContext, ["SUCCESS", "SUCCESS"])
            ])
            try await Applier(client: fixture.client, logger: Self.quiet).applyBatch()
            let step = try await Self.step(fixture)
            #expect(step.state == "succeeded")
            #expect(step.code == nil)
            #expect(step.message == nil)
            #expect(try await Self.jobState(fixture) == "succeeded")
        }
    }

    @Test func aStepResolvedByAProgressCallbackIsSubmittedWithoutTheOldError() async throws {
        try await withPendingStep { fixture in
            try await Self.makeUnclear(fixture)
            _ = try await NotificationStore(client: fixture.client).insert([
                Self.notification(fixture.correlation.sessionContext, ["PROCESSING", "WAITING"])
            ])
            try await Applier(client: fixture.client, logger: Self.quiet).applyBatch()
            let step = try await Self.step(fixture)
            #expect(step.state == "submitted")
            #expect(step.code == nil)
            #expect(step.message == nil)
        }
    }

    // MARK: A submission refused outright

    @Test func aStepRefusedAtSubmissionFailsItsOutputsWithTheRefusalInTheSameChange() async throws {
        try await withPendingStep { fixture in
            let steps = StepStore(client: fixture.client)
            _ = try await steps.claimPending(limit: 1)
            let message = "SmartSubtitlesTask.Definition: 0 needs RawParameter"
            #expect(try await steps.markFailed(fixture.stepId, code: "InvalidParameterValue.Definition", message: message))
            let step = try await Self.step(fixture)
            #expect(step.state == "failed")
            #expect(step.code == "InvalidParameterValue.Definition")
            let outputs = try await Self.outputs(fixture)
            #expect(outputs.map(\.status) == ["FAIL", "FAIL"])
            #expect(outputs.map(\.code) == ["InvalidParameterValue.Definition", "InvalidParameterValue.Definition"])
            #expect(outputs.map(\.message) == [message, message])
            #expect(try await Self.jobState(fixture) == "failed")
        }
    }

    @Test func aLateFailureOfAFinishedStepChangesNoOutput() async throws {
        try await withPendingStep { fixture in
            let steps = StepStore(client: fixture.client)
            _ = try await steps.claimPending(limit: 1)
            #expect(try await steps.markSubmitted(fixture.stepId, taskId: "t-1"))
            // Only pending or submitting steps can be failed by a refusal; a submitted one keeps its outputs.
            #expect(try await steps.markFailed(fixture.stepId, code: "InvalidParameter", message: "late") == false)
            #expect(try await Self.outputs(fixture).map(\.status) == ["WAITING", "WAITING"])
            #expect(try await Self.outputs(fixture).map(\.code) == [nil, nil])
        }
    }
}

import Correlation
import Foundation
import Intake
import Logging
import MPS
import Postgres
import Store
import Testing
import Workflows

/// A person's actions on steps (`OperatorStore`, behind `mpshook steps …`) against a real
/// PostgreSQL: each applies only where `StepAction` says, writes its audit row in the same
/// transaction, and a refused one writes nothing.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct OperatorActionTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Row: Equatable {
        var state: String
        var taskId: String?
        var correlationId: UUID
        var sessionContext: String
        var errorCode: String?
        var errorMessage: String?
    }

    static func row(_ client: PostgresClient, _ id: UUID) async throws -> Row {
        let (state, taskId, correlation, session, code, message) = try await client.query("""
            SELECT state, task_id, correlation_id, session_context, error_code, error_message FROM steps WHERE id = \(id)
            """)[0].decode((String, String?, UUID, String, String?, String?).self)
        return Row(state: state, taskId: taskId, correlationId: correlation, sessionContext: session, errorCode: code, errorMessage: message)
    }

    static func count(_ client: PostgresClient, _ table: String) async throws -> Int {
        try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"))[0].decode(Int.self, at: 0)
    }

    static func outputs(_ client: PostgresClient, _ id: UUID) async throws -> [(String, Int, String?, String?)] {
        try await client.query("SELECT status, progress, error_code, error_message FROM outputs WHERE step_id = \(id) ORDER BY input_index")
            .map { try $0.decode((String, Int, String?, String?).self) }
    }

    /// A client on a fresh database with every migration applied.
    static func withMigratedDatabase(_ body: (PostgresClient) async throws -> Void) async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: quiet)
                try await body(client)
            }
        }
    }

    static func refusal(_ body: () async throws -> Void) async -> StepActionError? {
        do {
            try await body()
            return nil
        } catch {
            return error as? StepActionError
        }
    }

    @Test func resolveAttachesTheTaskIdMakesTheStepSubmittedDueForAQueryAndIsAudited() async throws {
        try await Self.withMigratedDatabase { client in
            let (_, jobId, stepId) = try await TestDatabase.createStep(client, inputs: 2)
            _ = try await client.query("""
                UPDATE steps SET state = 'submit_unknown', error_code = 'ServerNetworkError', error_message = 'HTTP 502' WHERE id = \(stepId)
                """)
            let store = OperatorStore(client: client)
            let record = try await store.perform(.resolve(taskId: "24000030-BatchTask-found"), stepId: stepId, actor: "ops", reason: "seen in the console")

            let row = try await Self.row(client, stepId)
            #expect(row.state == "submitted")
            #expect(row.taskId == "24000030-BatchTask-found")
            #expect(row.errorCode == nil)
            let (submitted, nextPoll) = try await client.query("SELECT submitted_at IS NOT NULL, next_poll_at <= now() FROM steps WHERE id = \(stepId)")[0]
                .decode((Bool, Bool?).self)
            #expect(submitted)
            #expect(nextPoll == true)

            let (actor, action, step, job, reason, beforeState, beforeError, afterState, afterTask) = try await client.query("""
                SELECT actor, action, step_id, job_id, reason, before->>'state', before->>'error_code', after->>'state', after->>'task_id'
                FROM operator_actions
                """)[0].decode((String, String, UUID, UUID, String, String, String?, String, String?).self)
            #expect([actor, action, reason] == ["ops", "resolve", "seen in the console"])
            #expect(step == stepId && job == jobId)
            #expect(beforeState == "submit_unknown" && beforeError == "ServerNetworkError")
            #expect(afterState == "submitted" && afterTask == "24000030-BatchTask-found")
            #expect(record.logMetadata["operator.action"] == "resolve")
            #expect(record.logMetadata["mps.task_id"] == "24000030-BatchTask-found")
            #expect(record.logMetadata["step.state_before"] == "submit_unknown")
        }
    }

    @Test func aTaskIdAttachedToAnotherStepIsRefusedAndNothingIsWritten() async throws {
        try await Self.withMigratedDatabase { client in
            let (_, _, holder) = try await TestDatabase.createStep(client, state: "submitted")
            let (_, _, stepId) = try await TestDatabase.createStep(client)
            _ = try await client.query("UPDATE steps SET state = 'lost' WHERE id = \(stepId)")
            let before = try await Self.row(client, stepId)
            let error = await Self.refusal {
                _ = try await OperatorStore(client: client).perform(.resolve(taskId: "t-1"), stepId: stepId, actor: "ops", reason: "mine")
            }
            #expect(error?.code == .taskIdTaken)
            #expect(error?.message == "TaskId t-1 is already attached to step \(holder.uuidString.lowercased())")
            #expect(try await Self.row(client, stepId) == before)
            #expect(try await Self.count(client, "operator_actions") == 0)
        }
    }

    @Test func aRefusedActionWritesNothing() async throws {
        try await Self.withMigratedDatabase { client in
            let (_, _, stepId) = try await TestDatabase.createStep(client)
            let store = OperatorStore(client: client)
            let before = try await Self.row(client, stepId)
            // Pending: nothing to resolve or resubmit.
            let wrongState = await Self.refusal { _ = try await store.perform(.resolve(taskId: "t-9"), stepId: stepId, actor: "ops", reason: "r") }
            #expect(wrongState?.code == .notAllowed)
            #expect(wrongState?.message == "resolve refused: the step is pending; resolve applies only to a step that is submit_unknown or lost")
            let resubmit = await Self.refusal { _ = try await store.perform(.resubmit, stepId: stepId, actor: "ops", reason: "r") }
            #expect(resubmit?.code == .notAllowed)
            let unknown = await Self.refusal { _ = try await store.perform(.abandon, stepId: UUID(), actor: "ops", reason: "r") }
            #expect(unknown?.code == .unknownStep)
            let noReason = await Self.refusal { _ = try await store.perform(.abandon, stepId: stepId, actor: "ops", reason: " ") }
            #expect(noReason?.code == .invalid)
            #expect(noReason?.message == "reason: must not be empty")
            #expect(try await Self.row(client, stepId) == before)
            #expect(try await Self.count(client, "operator_actions") == 0)
        }
    }

    @Test func resubmitIsANewAttemptWithANewCorrelationIdItsOutputsWaitingAndTheDispatchersWoken() async throws {
        try await Self.withMigratedDatabase { client in
            let (correlation, _, stepId) = try await TestDatabase.createStep(client, inputs: 2, state: "lost")
            _ = try await client.query("""
                UPDATE steps SET error_code = 'Expired', error_message = 'no news', submitted_at = now(), polls = 3 WHERE id = \(stepId);
                """)
            _ = try await client.query("UPDATE outputs SET status = 'PROCESSING', progress = 40 WHERE step_id = \(stepId)")
            let listener = try await client.listen([JobStore.stepsChannel])
            var wakes = listener.makeAsyncIterator()

            let record = try await OperatorStore(client: client).perform(.resubmit, stepId: stepId, actor: "ops", reason: "task vanished")

            let row = try await Self.row(client, stepId)
            #expect(row.state == "pending")
            #expect(row.taskId == nil && row.errorCode == nil && row.errorMessage == nil)
            #expect(row.correlationId != correlation.uuid)
            #expect(row.sessionContext == CorrelationId(row.correlationId).sessionContext)
            let (due, submitted, polls) = try await client.query("SELECT next_attempt_at <= now(), submitted_at IS NULL, polls FROM steps WHERE id = \(stepId)")[0]
                .decode((Bool, Bool, Int).self)
            #expect(due && submitted && polls == 0)
            #expect(try await Self.outputs(client, stepId).map(\.0) == ["WAITING", "WAITING"])
            #expect(try await Self.outputs(client, stepId).map(\.1) == [0, 0])
            // The old TaskId and correlation id are kept in the audit row.
            #expect(OperatorActionRecord.field("task_id", in: record.before) == "t-1")
            #expect(OperatorActionRecord.field("correlation_id", in: record.before) == correlation.uuid.uuidString.lowercased())
            #expect(OperatorActionRecord.field("correlation_id", in: record.after) == row.correlationId.uuidString.lowercased())
            #expect(OperatorActionRecord.field("state", in: record.after) == "pending")
            let woken = try await wakes.next(within: .seconds(30))
            #expect(woken?.channel == JobStore.stepsChannel)
        }
    }

    /// The orphan rule: after a resubmit, a late callback of the old task carries the old
    /// correlation id, matches no step and is kept as an orphan (shown by `steps show` as of an
    /// earlier attempt); the new attempt's outputs are untouched.
    @Test func aLateCallbackOfTheOldTaskAfterAResubmitIsKeptAsAnOrphanAndShownWithTheStep() async throws {
        try await Self.withMigratedDatabase { client in
            let (correlation, _, stepId) = try await TestDatabase.createStep(client, inputs: 1, state: "lost")
            let store = OperatorStore(client: client)
            _ = try await store.perform(.resubmit, stepId: stepId, actor: "ops", reason: "again")
            _ = try await NotificationStore(client: client).insert([ApplierIntegrationTests.notification(correlation.sessionContext, ["SUCCESS"])])
            _ = try await Applier(client: client, logger: Self.quiet).applyBatch()
            #expect(try await client.query("SELECT outcome FROM notifications")[0].decode(String.self, at: 0) == "orphan")
            #expect(try await Self.row(client, stepId).state == "pending")
            #expect(try await Self.outputs(client, stepId).map(\.0) == ["WAITING"])

            let detail = try #require(try await store.step(stepId))
            #expect(detail.notifications.count == 1)
            #expect(detail.notifications.first?.outcome == "orphan")
            #expect(detail.notifications.first?.currentAttempt == false)
            #expect(detail.actions.map(\.action) == ["resubmit"])
        }
    }

    @Test func aFailedStepThatSomethingWasPlannedAfterIsNotReopened() async throws {
        try await Self.withMigratedDatabase { client in
            let (_, jobId, stepId) = try await TestDatabase.createStep(client)
            #expect(try await StepStore(client: client).markFailed(stepId, code: "InvalidParameter", message: "refused"))
            // A branch on its failure, as the planner records it (its parent is the failed step).
            let next = CorrelationId()
            _ = try await client.query("""
                INSERT INTO steps (id, job_id, name, parent_ids, correlation_id, session_context, request, state)
                VALUES (\(UUID()), \(jobId), 'on-failure', ARRAY[\(stepId)]::uuid[], \(next.uuid), \(next.sessionContext), '{}', 'succeeded')
                """)
            let before = try await Self.row(client, stepId)
            let error = await Self.refusal { _ = try await OperatorStore(client: client).perform(.resubmit, stepId: stepId, actor: "ops", reason: "r") }
            #expect(error?.code == .notAllowed)
            #expect(error?.refusal == .successors(1))
            #expect(error?.message.hasPrefix("resubmit refused: 1 step was planned after this one") == true)
            #expect(try await Self.row(client, stepId) == before)
            #expect(try await Self.count(client, "operator_actions") == 0)
        }
    }

    @Test func resubmittingTheLastFailedStepOfAnEndedJobPutsTheJobBackToRunningInTheSameTransaction() async throws {
        try await Self.withMigratedDatabase { client in
            let (_, jobId, stepId) = try await TestDatabase.createStep(client, inputs: 2)
            #expect(try await StepStore(client: client).markFailed(stepId, code: "InvalidParameter", message: "refused"))
            #expect(try await client.query("SELECT state FROM jobs WHERE id = \(jobId)")[0].decode(String.self, at: 0) == "failed")

            let record = try await OperatorStore(client: client).perform(.resubmit, stepId: stepId, actor: "ops", reason: "fixed the bucket")
            let (jobState, finished) = try await client.query("SELECT state, finished_at IS NULL FROM jobs WHERE id = \(jobId)")[0].decode((String, Bool).self)
            #expect(jobState == "running" && finished)
            #expect(try await Self.row(client, stepId).state == "pending")
            #expect(try await Self.outputs(client, stepId).map(\.0) == ["WAITING", "WAITING"])
            #expect(try await Self.outputs(client, stepId).map(\.2) == [nil, nil])
            #expect(OperatorActionRecord.field("job_state", in: record.before) == "failed")
            #expect(OperatorActionRecord.field("job_state", in: record.after) == "running")
        }
    }

    @Test func abandonFailsTheStepAndItsOutputsThroughTheCompletionPathAndEndsTheJob() async throws {
        try await Self.withMigratedDatabase { client in
            let (_, jobId, stepId) = try await TestDatabase.createStep(client, inputs: 2, state: "lost")
            let record = try await OperatorStore(client: client).perform(.abandon, stepId: stepId, actor: "ops", reason: "the source is gone")
            let row = try await Self.row(client, stepId)
            #expect(row.state == "failed")
            #expect(row.errorCode == "Abandoned" && row.errorMessage == "the source is gone")
            let outputs = try await Self.outputs(client, stepId)
            #expect(outputs.map(\.0) == ["FAIL", "FAIL"])
            #expect(outputs.map(\.2) == ["Abandoned", "Abandoned"])
            #expect(outputs.map(\.3) == ["the source is gone", "the source is gone"])
            #expect(try await client.query("SELECT state FROM jobs WHERE id = \(jobId)")[0].decode(String.self, at: 0) == "failed")
            #expect(OperatorActionRecord.field("state", in: record.before) == "lost")
            #expect(OperatorActionRecord.field("state", in: record.after) == "failed")
            #expect(OperatorActionRecord.field("job_state", in: record.after) == "failed")
        }
    }

    @Test func listFindsStepsByStateAndJob() async throws {
        try await Self.withMigratedDatabase { client in
            let (_, jobA, lost) = try await TestDatabase.createStep(client, state: "lost")
            let (_, _, pending) = try await TestDatabase.createStep(client)
            let store = OperatorStore(client: client)
            #expect(try await store.steps(states: [.lost], limit: 10).map(\.id) == [lost])
            #expect(try await store.steps(states: [.lost, .pending], limit: 10).count == 2)
            #expect(try await store.steps(states: [.pending], jobId: jobA, limit: 10).isEmpty)
            #expect(try await store.steps(states: [.lost, .pending], limit: 1).count == 1)
            #expect(try await store.steps(states: [.pending], limit: 10).map(\.id) == [pending])
        }
    }
}

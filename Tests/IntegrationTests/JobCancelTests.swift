import Correlation
import Foundation
import Intake
import Logging
import MPS
import MPSEmulator
import Postgres
import Store
import Testing
import Workflows

/// Cancelling a job against a real PostgreSQL: nothing more of it is sent or planned, what
/// already runs at MPS is left to finish and its reports are recorded, the job stays cancelled.
/// Every path that could send or plan a step of a cancelled job is tried here.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct JobCancelTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func stepRow(_ client: PostgresClient, _ id: UUID) async throws -> (state: String, errorCode: String?) {
        try await client.query("SELECT state, error_code FROM steps WHERE id = \(id)")[0].decode((String, String?).self)
    }

    static func jobState(_ client: PostgresClient, _ id: UUID) async throws -> String {
        try await client.query("SELECT state FROM jobs WHERE id = \(id)")[0].decode(String.self, at: 0)
    }

    /// A job of the two-step transcribe-then-translate workflow over one input; its first step.
    static func twoStepJob(_ client: PostgresClient) async throws -> (jobId: UUID, first: (id: UUID, correlation: UUID)) {
        let (_, stored) = try await WorkflowEndToEndTests.store("transcribe-then-translate.yaml", client: client)
        let jobId = try await WorkflowEndToEndTests.createJob(version: stored, inputs: ["https://media.example/v/ok.mp4"], client: client)
        let (id, correlation) = try await client.query("SELECT id, correlation_id FROM steps WHERE job_id = \(jobId)")[0].decode((UUID, UUID).self)
        return (jobId, (id, correlation))
    }

    @Test func aRetryableRefusalAfterTheCancelEndsTheStepInsteadOfPuttingItBackToPending() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = StepStore(client: client)
            let (_, jobId, stepId) = try await TestDatabase.createStep(client)
            let claimed = try #require(try await store.claimPending(limit: 1).first)
            // The call is on its way (its sending committed) when the job is cancelled.
            _ = try await client.query("UPDATE steps SET sent_at = now() WHERE id = \(stepId)")
            _ = try await OperatorStore(client: client).cancel(jobId: jobId, actor: "ops", reason: "not needed")
            #expect(try await Self.stepRow(client, stepId).state == "submitting")

            // MPS refused it with RequestLimitExceeded: no task, and it must not be sent again.
            #expect(try await store.markRetry(stepId, after: .zero, code: "RequestLimitExceeded", message: "slow down", attempt: claimed.submitAttempts))
            #expect(try await Self.stepRow(client, stepId) == ("failed", "Cancelled"))
            let outputs = try await client.query("SELECT status, error_code FROM outputs WHERE step_id = \(stepId)").map { try $0.decode((String, String?).self) }
            #expect(outputs.map(\.0) == ["FAIL"] && outputs.map(\.1) == ["Cancelled"])
            #expect(try await store.claimPending(limit: 10).isEmpty)
            #expect(try await Self.jobState(client, jobId) == "cancelled")
        }
    }

    @Test func cancellingEndsUnsentStepsLeavesSentOnesAndIsAuditedOnce() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = StepStore(client: client)
            let (_, jobId, pending) = try await TestDatabase.createStep(client, inputs: 2)
            // Three more steps of the same job: one claimed but not sent, one on its way, one submitted.
            var others: [UUID] = []
            for _ in 0..<3 {
                let (id, correlation) = (UUID(), CorrelationId())
                _ = try await client.query("""
                    INSERT INTO steps (id, job_id, name, correlation_id, session_context, request)
                    VALUES (\(id), \(jobId), \("extra-\(others.count)"), \(correlation.uuid), \(correlation.sessionContext), '{}')
                    """)
                _ = try await client.query("INSERT INTO outputs (step_id, input_index, input_url) VALUES (\(id), 0, 'https://e.com/x.mp4')")
                others.append(id)
            }
            let (unsent, sending, submitted) = (others[0], others[1], others[2])
            _ = try await client.query("UPDATE steps SET state = 'submitting' WHERE id = ANY(\([unsent, sending])::uuid[])")
            _ = try await client.query("UPDATE steps SET sent_at = now() WHERE id = \(sending)")
            _ = try await client.query("UPDATE steps SET state = 'submitted', task_id = 't-running' WHERE id = \(submitted)")

            let result = try await OperatorStore(client: client).cancel(jobId: jobId, actor: "ops", reason: "client went away")
            guard case .cancelled(let record) = result else { Issue.record("not cancelled: \(result)"); return }
            #expect(record.action == "job.cancel" && record.jobId == jobId && record.actor == "ops")
            #expect(OperatorActionRecord.field("state", in: record.before) == "running")
            #expect(OperatorActionRecord.field("state", in: record.after) == "cancelled")

            #expect(try await Self.jobState(client, jobId) == "cancelled")
            #expect(try await Self.stepRow(client, pending) == ("failed", "Cancelled"))
            #expect(try await Self.stepRow(client, unsent) == ("failed", "Cancelled"))
            #expect(try await Self.stepRow(client, sending).state == "submitting")
            #expect(try await Self.stepRow(client, submitted).state == "submitted")
            #expect(try await store.claimPending(limit: 10).isEmpty)
            let failedOutputs = try await client.query("""
                SELECT count(*) FROM outputs WHERE step_id = ANY(\([pending, unsent])::uuid[]) AND status = 'FAIL' AND error_code = 'Cancelled'
                """)[0].decode(Int.self, at: 0)
            #expect(failedOutputs == 3)

            // Again: nothing changes, nothing is recorded; a person cannot reopen its steps.
            #expect(try await OperatorStore(client: client).cancel(jobId: jobId, actor: "ops", reason: "again") == .alreadyCancelled)
            #expect(try await client.query("SELECT count(*) FROM operator_actions")[0].decode(Int.self, at: 0) == 1)
            await #expect(throws: StepActionError.self) {
                _ = try await OperatorStore(client: client).perform(.resubmit, stepId: pending, actor: "ops", reason: "r")
            }
            #expect(try await OperatorStore(client: client).cancel(jobId: UUID(), actor: "ops", reason: "r") == .notFound)
        }
    }

    @Test func aFinishedJobIsNotCancelled() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let (_, jobId, stepId) = try await TestDatabase.createStep(client)
            _ = try await client.query("UPDATE steps SET state = 'succeeded' WHERE id = \(stepId)")
            _ = try await client.query("UPDATE jobs SET state = 'succeeded', finished_at = now() WHERE id = \(jobId)")
            #expect(try await OperatorStore(client: client).cancel(jobId: jobId, actor: "ops", reason: "r") == .refused(.succeeded))
            #expect(try await Self.jobState(client, jobId) == "succeeded")
            #expect(try await client.query("SELECT count(*) FROM operator_actions")[0].decode(Int.self, at: 0) == 0)
        }
    }

    @Test func theRunningStepsCallbackIsRecordedAndNoFollowUpIsPlannedForACancelledJob() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let (jobId, first) = try await Self.twoStepJob(client)
            _ = try await client.query("UPDATE steps SET state = 'submitted', task_id = 't-1', submitted_at = now() WHERE id = \(first.id)")
            _ = try await OperatorStore(client: client).cancel(jobId: jobId, actor: "ops", reason: "stop")

            // Its callback arrives: recorded (outputs and step), the job stays cancelled, no translate step.
            let context = CorrelationId(first.correlation).sessionContext
            _ = try await NotificationStore(client: client).insert([ApplierIntegrationTests.notification(context, ["SUCCESS"])])
            #expect(try await Applier(client: client, logger: Self.quiet).applyBatch() == 1)
            #expect(try await Self.stepRow(client, first.id).state == "succeeded")
            let outputs = try await client.query("SELECT status FROM outputs WHERE step_id = \(first.id)").map { try $0.decode(String.self, at: 0) }
            #expect(outputs == ["SUCCESS"])
            #expect(try await Self.jobState(client, jobId) == "cancelled")
            #expect(try await client.query("SELECT count(*) FROM steps WHERE job_id = \(jobId)")[0].decode(Int.self, at: 0) == 1)
        }
    }
}

/// The cancel through the whole spine (dispatcher → emulator → door → applier): step 1 of a
/// two-step job runs at MPS when the job is cancelled; its callback is recorded, and step 2 is
/// neither planned nor sent. One at a time (it runs a spine).
@Suite(.serialized, .enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct JobCancelEndToEndTests {
    @Test func aJobCancelledWhileItsFirstStepRunsSendsNothingMoreAndRecordsTheRunningStep() async throws {
        let emulator = EmulatorConfiguration(processingTime: .milliseconds(200), callbackRetryDelay: .milliseconds(200))
        try await Spine.run(replicas: 1, emulator: emulator) { url, running in
            running.emulator.faults.holdCallbacks = true
            try await TestDatabase.withClient(url: url) { client in
                let (jobId, first) = try await JobCancelTests.twoStepJob(client)
                // Step 1 is at MPS (its TaskId recorded); its callbacks are held back.
                #expect(try await TestDatabase.eventually(within: .seconds(20)) {
                    try await JobCancelTests.stepRow(client, first.id).state == "submitted"
                })
                let result = try await OperatorStore(client: client).cancel(jobId: jobId, actor: "ops", reason: "not needed")
                guard case .cancelled = result else { Issue.record("not cancelled: \(result)"); return }

                running.emulator.faults.holdCallbacks = false
                #expect(try await TestDatabase.eventually(within: .seconds(20)) {
                    try await JobCancelTests.stepRow(client, first.id).state == "succeeded"
                })
                let outputs = try await client.query("SELECT status, subtitle_path FROM outputs WHERE step_id = \(first.id)")
                    .map { try $0.decode((String, String?).self) }
                #expect(outputs.map(\.0) == ["SUCCESS"] && outputs.first?.1 != nil)
                let applied = try await client.query("""
                    SELECT count(*) FROM notifications WHERE correlation_id = \(first.correlation) AND outcome = 'applied'
                    """)[0].decode(Int.self, at: 0)
                #expect(applied >= 1)
                #expect(try await JobCancelTests.jobState(client, jobId) == "cancelled")
                // A follow-up is planned in the transaction that finishes step 1, so it would exist
                // by now; with no step 2 stored there is nothing for a dispatcher to send.
                #expect(try await client.query("SELECT count(*) FROM steps WHERE job_id = \(jobId)")[0].decode(Int.self, at: 0) == 1)
                let calls = running.emulator.calls.filter { $0.action == "BatchProcessMedia" }
                #expect(calls.count == 1)
                let sent = try await client.query("SELECT count(*) FROM attempts WHERE action = 'BatchProcessMedia'")[0].decode(Int.self, at: 0)
                #expect(sent == 1)
            }
        }
    }
}

import Correlation
import Foundation
import Intake
import Postgres
import Store
import Testing
import Workflows

/// The reconciler's SQL against a real PostgreSQL: which steps are due, the poll bookkeeping,
/// expiring to `lost` only as read, polled answers stored like callbacks, and every applied
/// report keeping `last_report_at` current.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct ReconcileStoreTests {
    static func row(_ client: PostgresClient, _ stepId: UUID) async throws -> (state: String, polls: Int, lastReport: Date?, nextPoll: Date?, error: String?) {
        try await client.query("""
            SELECT state, polls, last_report_at, next_poll_at, error_code FROM steps WHERE id = \(stepId)
            """)[0].decode((String, Int, Date?, Date?, String?).self)
    }

    /// A one-step job whose step is in `state` with its own TaskId (`createStep` gives every one `t-1`).
    static func step(_ client: PostgresClient, inputs: Int = 1, state: String) async throws -> (correlation: CorrelationId, jobId: UUID, stepId: UUID) {
        let created = try await TestDatabase.createStep(client, inputs: inputs)
        _ = try await client.query("UPDATE steps SET state = \(state), task_id = \("t-" + created.stepId.uuidString) WHERE id = \(created.stepId)")
        return created
    }

    @Test func dueListsStepsWaitingOnMPSWithTheirFactsUntilTheyAreScheduled() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let submitted = try await TestDatabase.createStep(client, inputs: 3, state: "submitted")
            // A fixed time, not now() - 1 hour: on a loaded machine seconds pass between statements.
            let submittedAt = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 3600).rounded(.down))
            _ = try await client.query("UPDATE steps SET submitted_at = \(submittedAt) WHERE id = \(submitted.stepId)")
            let unknown = try await TestDatabase.createStep(client, inputs: 1)
            _ = try await client.query("UPDATE steps SET state = 'submit_unknown' WHERE id = \(unknown.stepId)")
            let pending = try await TestDatabase.createStep(client, inputs: 1)
            let finished = try await TestDatabase.createStep(client, inputs: 1)
            _ = try await client.query("UPDATE steps SET state = 'succeeded', task_id = 't-2' WHERE id = \(finished.stepId)")

            let store = ReconcileStore(client: client)
            let (now, due) = try await store.due(limit: 10)
            #expect(Set(due.map(\.id)) == [submitted.stepId, unknown.stepId])
            let facts = try #require(due.first { $0.id == submitted.stepId }).facts
            #expect(facts.state == .submitted && facts.hasTaskId && facts.inputs == 3 && facts.polls == 0)
            #expect(abs(facts.since.timeIntervalSince(submittedAt)) < 0.001)
            #expect(now.timeIntervalSince(facts.since) >= 3600)
            #expect(try #require(due.first { $0.id == unknown.stepId }).facts == ReconcileFacts(
                state: .submitUnknown, hasTaskId: false, since: try #require(due.first { $0.id == unknown.stepId }).facts.since
            ))
            _ = pending

            // Scheduled later: not due until then; scheduled in the past: due again.
            try await store.schedule([(submitted.stepId, now + 3600), (unknown.stepId, now - 1)])
            #expect(try await store.due(limit: 10).steps.map(\.id) == [unknown.stepId])
            // A finished step is never scheduled.
            try await store.schedule([(finished.stepId, now - 1)])
            #expect(try await Self.row(client, finished.stepId).nextPoll == nil)

            try await store.recordPoll(stepId: submitted.stepId, at: now, next: now + 60)
            let polled = try await Self.row(client, submitted.stepId)
            #expect(polled.polls == 1)
            #expect(abs(try #require(polled.nextPoll).timeIntervalSince(now) - 60) < 0.01)
        }
    }

    @Test func expiringMovesOnlyAStepStillAsItWasRead() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let store = ReconcileStore(client: client)
            let unknown = try await TestDatabase.createStep(client)
            _ = try await client.query("""
                UPDATE steps SET state = 'submit_unknown', error_code = 'InternalError', error_message = 'Internal error.' WHERE id = \(unknown.stepId)
                """)
            // Read as submitted: it is not, so nothing changes.
            #expect(try await store.expire(stepId: unknown.stepId, state: .submitted, lastReportAt: nil, reason: .noCallback) == false)
            #expect(try await store.expire(stepId: unknown.stepId, state: .submitUnknown, lastReportAt: nil, reason: .noCallback))
            let lost = try await Self.row(client, unknown.stepId)
            #expect(lost.state == "lost" && lost.error == "Reconcile.NoCallback")
            let message = try await client.query("SELECT error_message FROM steps WHERE id = \(unknown.stepId)")[0].decode(String.self, at: 0)
            #expect(message.hasSuffix("(before: InternalError: Internal error.)"))
            // Lost already: a second expiry changes nothing.
            #expect(try await store.expire(stepId: unknown.stepId, state: .lost, lastReportAt: nil, reason: .noCallback) == false)

            // A report newer than the one read wins over the expiry.
            let reported = try await Self.step(client, state: "submitted")
            let readAt = try await store.now()
            _ = try await client.query("UPDATE steps SET last_report_at = now() + interval '1 second' WHERE id = \(reported.stepId)")
            #expect(try await store.expire(stepId: reported.stepId, state: .submitted, lastReportAt: readAt, reason: .queryWindowPassed) == false)
            #expect(try await store.expire(stepId: reported.stepId, state: .submitted, lastReportAt: nil, reason: .queryWindowPassed) == false)
            let seen = try #require(try await Self.row(client, reported.stepId).lastReport)
            #expect(try await store.expire(stepId: reported.stepId, state: .submitted, lastReportAt: seen, reason: .queryWindowPassed))
            #expect(try await Self.row(client, reported.stepId).state == "lost")

            // A finished step never becomes lost.
            let finished = try await Self.step(client, state: "succeeded")
            #expect(try await store.expire(stepId: finished.stepId, state: .succeeded, lastReportAt: nil, reason: .taskNotFound) == false)
        }
    }

    @Test func aPolledAnswerIsStoredAsAPollNotificationAndDedupedLikeACallback() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let step = try await TestDatabase.createStep(client, inputs: 2, state: "submitted")
            let polled = ApplierIntegrationTests.notification(step.correlation.sessionContext, ["PROCESSING", "WAITING"])
            let store = ReconcileStore(client: client)
            #expect(try await store.storePolled(polled))
            #expect(try await store.storePolled(polled) == false)
            let rows = try await client.query("SELECT source, outcome, correlation_id FROM notifications").map { try $0.decode((String, String, UUID?).self) }
            #expect(rows.count == 1 && rows[0].0 == "poll" && rows[0].1 == "pending" && rows[0].2 == step.correlation.uuid)
            // The door's path still stores callbacks as callbacks.
            _ = try await NotificationStore(client: client).insert([ApplierIntegrationTests.notification(step.correlation.sessionContext, ["SUCCESS", "SUCCESS"])])
            #expect(try await client.query("SELECT count(*) FROM notifications WHERE source = 'callback'")[0].decode(Int.self, at: 0) == 1)
        }
    }

    @Test func everyAppliedReportKeepsLastReportAtCurrentAndClearsTheNextPoll() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let step = try await TestDatabase.createStep(client, inputs: 2, state: "submitted")
            _ = try await client.query("UPDATE steps SET next_poll_at = now() + interval '1 hour' WHERE id = \(step.stepId)")
            let applier = Applier(client: client, logger: ApplierIntegrationTests.quiet)
            _ = try await NotificationStore(client: client).insert([
                ApplierIntegrationTests.notification(step.correlation.sessionContext, ["PROCESSING", "PROCESSING"]),
            ])
            #expect(try await applier.applyBatch() == 1)
            let first = try await Self.row(client, step.stepId)
            #expect(first.state == "submitted")
            let firstReport = try #require(first.lastReport, "an applied report sets last_report_at")
            #expect(first.nextPoll == nil, "an applied report lets the reconciler decide again")

            // An older report that changes no output is still news from MPS.
            _ = try await client.query("UPDATE steps SET next_poll_at = now() + interval '1 hour' WHERE id = \(step.stepId)")
            _ = try await NotificationStore(client: client).insert([
                ApplierIntegrationTests.notification(step.correlation.sessionContext, ["WAITING", "WAITING"]),
            ])
            #expect(try await applier.applyBatch() == 1)
            let second = try await Self.row(client, step.stepId)
            #expect(try #require(second.lastReport) > firstReport)
            #expect(second.nextPoll == nil)
            #expect(try await ApplierIntegrationTests.outputs(ApplierIntegrationTests.Fixture(
                client: client, correlation: step.correlation, stepId: step.stepId, jobId: step.jobId
            )).map(\.0) == ["PROCESSING", "PROCESSING"])

            // A step that finished is left alone by a late report.
            _ = try await NotificationStore(client: client).insert([
                ApplierIntegrationTests.notification(step.correlation.sessionContext, ["SUCCESS", "SUCCESS"]),
            ])
            #expect(try await applier.applyBatch() == 1)
            let done = try await Self.row(client, step.stepId)
            #expect(done.state == "succeeded")
            let updated = try await client.query("SELECT updated_at FROM steps WHERE id = \(step.stepId)")[0].decode(Date.self, at: 0)
            _ = try await NotificationStore(client: client).insert([
                ApplierIntegrationTests.notification(step.correlation.sessionContext, ["PROCESSING", "SUCCESS"]),
            ])
            #expect(try await applier.applyBatch() == 1)
            let after = try await Self.row(client, step.stepId)
            #expect(after.lastReport == done.lastReport)
            #expect(try await client.query("SELECT updated_at FROM steps WHERE id = \(step.stepId)")[0].decode(Date.self, at: 0) == updated)
        }
    }
}

import API
import Access
import Correlation
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Intake
import Logging
import MPS
import Postgres
import Store
import Testing
import Workflows

/// `POST /v1/notifications/{id}/rematch|reapply` against a real PostgreSQL through the real
/// router: an orphan is attached to a step and applied, a failed one applied again, each with an
/// audit row naming the key; every other notification is refused (409) and nothing is written.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct NotificationActionsAPITests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func post(_ http: some TestClientProtocol, _ path: String, _ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await StepActionsAPITests.post(http, path, body, headers: headers)
    }

    /// Stores `notification` as the door does and lets the applier take it; returns its id.
    static func store(_ client: PostgresClient, _ notification: IncomingNotification) async throws -> Int64 {
        _ = try await NotificationStore(client: client).insert([notification])
        _ = try await Applier(client: client, logger: quiet).applyBatch()
        return try await client.query("SELECT max(id) FROM notifications")[0].decode(Int64.self, at: 0)
    }

    static func row(_ client: PostgresClient, _ id: Int64) async throws -> (outcome: String, correlation: UUID?) {
        try await client.query("SELECT outcome, correlation_id FROM notifications WHERE id = \(id)")[0].decode((String, UUID?).self)
    }

    @Test func anOrphanIsRematchedToAStepAndAppliedAndTheAuditNamesTheKey() async throws {
        try await StepActionsAPITests.withAPI { client, http in
            let (correlation, jobId, stepId) = try await TestDatabase.createStep(client, inputs: 2, state: "submit_unknown")
            // A callback whose SessionContext is not the step's (a task created in the console).
            let stranger = CorrelationId().sessionContext
            let id = try await Self.store(client, ApplierIntegrationTests.notification(stranger, ["SUCCESS", "SUCCESS"]))
            #expect(try await Self.row(client, id).outcome == "orphan")
            let (key, actor) = try await StepActionsAPITests.key(client, name: "oncall")

            let response = try await Self.post(
                http, "/v1/notifications/\(id)/rematch", #"{"stepId": "\#(stepId)", "reason": "task made by hand"}"#, headers: key
            )
            #expect(response.status == .ok)
            let answer = try StepActionsAPITests.document(response, as: NotificationActionDocument.self)
            #expect(answer.notification.outcome == .applied)
            #expect(answer.notification.stepId == APIJSON.id(stepId))
            #expect(answer.action.actor == actor && answer.action.action == "notification.rematch")
            #expect(answer.action.before?.objectValue?["outcome"] == .string("orphan"))
            #expect(answer.action.after?.objectValue?["outcome"] == .string("applied"))

            #expect(try await Self.row(client, id) == ("applied", correlation.uuid))
            let (stepState, jobState) = try await client.query("""
                SELECT s.state, j.state FROM steps s JOIN jobs j ON j.id = s.job_id WHERE s.id = \(stepId)
                """)[0].decode((String, String).self)
            #expect(stepState == "succeeded" && jobState == "succeeded")
            let (rowActor, action, step, job) = try await client.query("""
                SELECT actor, action, step_id, job_id FROM operator_actions
                """)[0].decode((String, String, UUID?, UUID?).self)
            #expect(rowActor == actor && action == "notification.rematch" && step == stepId && job == jobId)
        }
    }

    @Test func aFailedApplyIsReappliedAndOnlyAFailedOne() async throws {
        try await StepActionsAPITests.withAPI { client, http in
            let (correlation, _, stepId) = try await TestDatabase.createStep(client, inputs: 1, state: "submitted")
            let id = try await Self.store(client, ApplierIntegrationTests.notification(correlation.sessionContext, ["PROCESSING"]))
            // Applied: nothing to reapply.
            let applied = try await Self.post(http, "/v1/notifications/\(id)/reapply", #"{"reason": "again"}"#)
            #expect(applied.status == .conflict)
            #expect(try StepActionsAPITests.problem(applied).detail
                == "notification.reapply refused: the notification is applied; reapply applies only to one that is failed")

            let failed = try await Self.store(client, ApplierIntegrationTests.notification(correlation.sessionContext, ["SUCCESS"]))
            _ = try await client.query("UPDATE notifications SET outcome = 'failed', apply_error = 'boom' WHERE id = \(failed)")
            let response = try await Self.post(http, "/v1/notifications/\(failed)/reapply", #"{"reason": "fixed the bug"}"#)
            #expect(response.status == .ok)
            let answer = try StepActionsAPITests.document(response, as: NotificationActionDocument.self)
            #expect(answer.notification.outcome == .applied && answer.notification.applyError == nil)
            #expect(answer.action.before?.objectValue?["applyError"] == .string("boom"))
            #expect(try await OperatorActionTests.row(client, stepId).state == "succeeded")
            #expect(try await StepActionsAPITests.actionCount(client) == 1)
        }
    }

    @Test func eachRefusalHasItsStatusAndWritesNothing() async throws {
        try await StepActionsAPITests.withAPI { client, http in
            let (correlation, _, submitted) = try await TestDatabase.createStep(client, state: "submitted")
            let (_, _, pending) = try await TestDatabase.createStep(client)
            let orphan = try await Self.store(client, ApplierIntegrationTests.notification(CorrelationId().sessionContext, ["SUCCESS"]))
            let applied = try await Self.store(client, ApplierIntegrationTests.notification(correlation.sessionContext, ["PROCESSING"]))

            #expect(try await Self.post(http, "/v1/notifications/999999/reapply", #"{"reason": "r"}"#).status == .notFound)
            #expect(try await Self.post(http, "/v1/notifications/abc/reapply", #"{"reason": "r"}"#).status == .notFound)
            #expect(try await Self.post(http, "/v1/notifications/-1/reapply", #"{"reason": "r"}"#).status == .notFound)
            let unknownStep = try await Self.post(http, "/v1/notifications/\(orphan)/rematch", #"{"stepId": "\#(UUID())", "reason": "r"}"#)
            #expect(unknownStep.status == .badRequest)
            #expect(try StepActionsAPITests.problem(unknownStep).errors?.map(\.field) == ["stepId"])
            let badStep = try await Self.post(http, "/v1/notifications/\(orphan)/rematch", #"{"stepId": "x", "reason": ""}"#)
            #expect(try StepActionsAPITests.problem(badStep).errors?.map(\.field) == ["stepId", "reason"])
            let notOrphan = try await Self.post(http, "/v1/notifications/\(applied)/rematch", #"{"stepId": "\#(submitted)", "reason": "r"}"#)
            #expect(notOrphan.status == .conflict)
            let neverSent = try await Self.post(http, "/v1/notifications/\(orphan)/rematch", #"{"stepId": "\#(pending)", "reason": "r"}"#)
            #expect(neverSent.status == .conflict)
            #expect(try StepActionsAPITests.problem(neverSent).detail.contains("the step is pending"))
            #expect(try await Self.post(http, "/v1/notifications/\(orphan)/reapply", #"{"reason": "r"}"#).status == .conflict)

            for scope in [APIScope.read, .write] {
                let key = try await APITestKeys.bearer(client, scope)
                let rematch = try await Self.post(
                    http, "/v1/notifications/\(orphan)/rematch", #"{"stepId": "\#(submitted)", "reason": "r"}"#, headers: key
                )
                #expect(rematch.status == .forbidden)
                #expect(try await Self.post(http, "/v1/notifications/\(orphan)/reapply", #"{"reason": "r"}"#, headers: key).status == .forbidden)
            }

            #expect(try await StepActionsAPITests.actionCount(client) == 0)
            #expect(try await Self.row(client, orphan).outcome == "orphan")
            #expect(try await Self.row(client, applied).outcome == "applied")
        }
    }
}

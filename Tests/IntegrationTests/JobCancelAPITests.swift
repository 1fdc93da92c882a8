import API
import Access
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Store
import Testing
import Workflows

/// `POST /v1/jobs/{id}/cancel` against a real PostgreSQL through the real router.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct JobCancelAPITests {
    @Test func aWriteKeyCancelsARunningJobOnceAndTheAuditNamesIt() async throws {
        try await StepActionsAPITests.withAPI { client, http in
            let (_, jobId, stepId) = try await TestDatabase.createStep(client)
            let header = try await APITestKeys.bearer(client, .write, name: "billing")
            let keyId = try await client.query("SELECT id FROM api_keys WHERE name = 'billing'")[0].decode(String.self, at: 0)

            let response = try await StepActionsAPITests.post(http, "/v1/jobs/\(jobId)/cancel", #"{"reason": "customer cancelled"}"#, headers: header)
            #expect(response.status == .ok)
            let answer = try StepActionsAPITests.document(response, as: JobCancelDocument.self)
            #expect(answer.job.state == .cancelled)
            #expect(answer.job.steps.map(\.state) == [.failed] && answer.job.steps.first?.errorCode == "Cancelled")
            #expect(answer.action?.actor == "key:billing/\(keyId)" && answer.action?.action == "job.cancel")
            let (actor, job, step, reason) = try await client.query("""
                SELECT actor, job_id, step_id, reason FROM operator_actions
                """)[0].decode((String, UUID?, UUID?, String).self)
            #expect(actor == "key:billing/\(keyId)" && job == jobId && step == nil && reason == "customer cancelled")
            #expect(try await JobCancelTests.stepRow(client, stepId) == ("failed", "Cancelled"))

            // Again: the same answer, nothing recorded.
            let again = try await StepActionsAPITests.post(http, "/v1/jobs/\(jobId)/cancel", #"{"reason": "twice"}"#, headers: header)
            #expect(again.status == .ok)
            let second = try StepActionsAPITests.document(again, as: JobCancelDocument.self)
            #expect(second.job.state == .cancelled && second.action == nil)
            #expect(try await StepActionsAPITests.actionCount(client) == 1)
        }
    }

    @Test func eachRefusalHasItsStatus() async throws {
        try await StepActionsAPITests.withAPI { client, http in
            let (_, finished, stepId) = try await TestDatabase.createStep(client)
            _ = try await client.query("UPDATE steps SET state = 'succeeded' WHERE id = \(stepId)")
            _ = try await client.query("UPDATE jobs SET state = 'succeeded', finished_at = now() WHERE id = \(finished)")
            let (_, running, _) = try await TestDatabase.createStep(client)

            let ended = try await StepActionsAPITests.post(http, "/v1/jobs/\(finished)/cancel", #"{"reason": "r"}"#)
            #expect(ended.status == .conflict)
            #expect(try StepActionsAPITests.problem(ended).detail == "the job is succeeded already; only a running job can be cancelled")
            let unknown = try await StepActionsAPITests.post(http, "/v1/jobs/\(UUID())/cancel", #"{"reason": "r"}"#)
            #expect(unknown.status == .notFound)
            #expect(try StepActionsAPITests.problem(unknown).type == "urn:mpshook:problem:job-not-found")
            #expect(try await StepActionsAPITests.post(http, "/v1/jobs/x/cancel", #"{"reason": "r"}"#).status == .notFound)
            let noReason = try await StepActionsAPITests.post(http, "/v1/jobs/\(running)/cancel", #"{"reason": null}"#)
            #expect(noReason.status == .badRequest)
            #expect(try StepActionsAPITests.problem(noReason).errors?.map(\.field) == ["reason"])
            let read = try await StepActionsAPITests.post(
                http, "/v1/jobs/\(running)/cancel", #"{"reason": "r"}"#, headers: try await APITestKeys.bearer(client, .read)
            )
            #expect(read.status == .forbidden)
            #expect(try await JobCancelTests.jobState(client, running) == "running")
            #expect(try await StepActionsAPITests.actionCount(client) == 0)
        }
    }
}

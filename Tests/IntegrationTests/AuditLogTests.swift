import API
import Correlation
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Postgres
import Testing
import TestSupport

/// The audit trail in the logs: every operator action through the API writes one `notice` line,
/// `operator action`, naming the key that acted (`operator.actor`), the action, its reason and
/// what it acted on, beside the audit row; a refused action writes none.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct AuditLogTests {
    @Test func everyOperatorActionWritesOneNoticeLineNamingTheKey() async throws {
        let logs = CapturedLogs()
        try await KeysAPITests.withAPI(logs: logs) { client, http, admin in
            let post = { (path: String, body: String) in try await StepActionsAPITests.post(http, path, body, headers: admin.header).status }

            let (_, _, unknownStep) = try await TestDatabase.createStep(client)
            _ = try await client.query("UPDATE steps SET state = 'submit_unknown' WHERE id = \(unknownStep)")
            #expect(try await post("/v1/steps/\(unknownStep)/resolve", #"{"taskId": "24000030-BatchTask-a", "reason": "seen in the console"}"#) == .ok)
            // Refused (the step is submitted now): no line.
            #expect(try await post("/v1/steps/\(unknownStep)/resolve", #"{"taskId": "24000030-BatchTask-b", "reason": "again"}"#) == .conflict)

            let (correlation, _, _) = try await TestDatabase.createStep(client, inputs: 1, state: "submitted")
            let failed = try await NotificationActionsAPITests.store(client, ApplierIntegrationTests.notification(correlation.sessionContext, ["SUCCESS"]))
            _ = try await client.query("UPDATE notifications SET outcome = 'failed', apply_error = 'boom' WHERE id = \(failed)")
            #expect(try await post("/v1/notifications/\(failed)/reapply", #"{"reason": "fixed the bug"}"#) == .ok)

            let (_, cancelledJob, _) = try await TestDatabase.createStep(client)
            #expect(try await post("/v1/jobs/\(cancelledJob)/cancel", #"{"reason": "customer cancelled"}"#) == .ok)

            let audit = logs.lines.filter { $0.message == "operator action" }
            #expect(audit.count == 3)
            #expect(audit.allSatisfy { $0.level == .notice && $0.metadata["operator.actor"]?.description == admin.actor })
            #expect(audit.map { $0.metadata["operator.action"]?.description ?? "" } == ["resolve", "notification.reapply", "job.cancel"])
            #expect(audit.map { $0.metadata["operator.reason"]?.description ?? "" } == ["seen in the console", "fixed the bug", "customer cancelled"])
            #expect(audit[0].metadata["step.id"]?.description == unknownStep.uuidString.lowercased())
            #expect(audit[1].metadata["notification.id"]?.description == "\(failed)")
            #expect(audit[2].metadata["job.id"]?.description == cancelledJob.uuidString.lowercased())
            #expect(audit.allSatisfy { $0.metadata["hb.request.id"]?.description.isEmpty == false })
        }
    }
}

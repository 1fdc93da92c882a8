import API
import Correlation
import Foundation
import MPSEmulator
import Postgres
import Store
import Testing
import TestSupport
import Workflows

/// `mpshook steps …`, the real binary run as a child process against the test database.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct StepCommandTests {
    static let request = #"{"InputInfo":[{"Type":"URL","UrlInputInfo":{"Url":"https://e.com/ok.mp4?sign=secret"}}],"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-125","Region":"ap-guangzhou"}},"OutputDir":"/out/","SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}},"TaskNotifyConfig":{"NotifyType":"URL","NotifyMode":"Finish"}}"#

    /// Acceptance 3, second half: a 502 from a gateway in front of MPS leaves the step
    /// `submit_unknown`; after the deadline it is `lost`; `mpshook steps resubmit --yes` sends it
    /// once more (a new correlation id), it finishes, and the audit row shows the action. MPS saw
    /// exactly two calls for the step: the 502 one and the resubmitted one.
    @Test func aBadGatewayEndsLostAndIsResubmittedOnceByTheCommandWithItsAuditRow() async throws {
        let emulator = EmulatorConfiguration(processingTime: .milliseconds(200), callbackRetryDelay: .milliseconds(200), faults: EmulatorFaults(badGateway: 1))
        // The reconciler ends `submit_unknown` in `lost` after its deadline: one second here.
        let deadlines = [
            "MPSHOOK_RECONCILE_SUBMIT_UNKNOWN_DEADLINE": "1", "MPSHOOK_RECONCILE_INTERVAL": "0.2",
            "MPSHOOK_RECONCILE_LEADER_CHECK_INTERVAL": "0.2",
        ]
        try await Spine.run(replicas: 1, emulator: emulator, environment: deadlines) { url, running in
            try await TestDatabase.withClient(url: url) { client in
                let correlation = CorrelationId()
                let job = NewJob(steps: [NewStep(
                    correlationId: correlation.uuid, sessionContext: correlation.sessionContext, request: JSONBText(Self.request),
                    inputURLs: ["https://e.com/ok.mp4?sign=secret"]
                )])
                _ = try await JobStore(client: client).create(job)
                let stepId = job.steps[0].id
                let unknown = try await TestDatabase.eventually(within: .seconds(20)) {
                    try await client.query("SELECT state FROM steps WHERE id = \(stepId)")[0].decode(String.self, at: 0) == "submit_unknown"
                }
                #expect(unknown)
                let (code, message) = try await client.query("SELECT error_code, error_message FROM steps WHERE id = \(stepId)")[0].decode((String?, String?).self)
                #expect(code == "ServerNetworkError")
                #expect(message?.contains("HTTP 502") == true)
                // Never resent by itself.
                #expect(running.emulator.calls.filter { $0.action == "BatchProcessMedia" }.count == 1)

                // No callback comes: after its deadline the reconciler's leader marks it lost (it has
                // no TaskId to query), and sends nothing.
                let lost = try await TestDatabase.eventually(within: .seconds(20)) {
                    try await client.query("SELECT state FROM steps WHERE id = \(stepId)")[0].decode(String.self, at: 0) == "lost"
                }
                #expect(lost)
                #expect(running.emulator.calls.filter { $0.action == "BatchProcessMedia" }.count == 1)

                let result = try await MPSHook.run(
                    ["steps", "resubmit", stepId.uuidString, "--reason", "502 from the gateway; no task in the console", "--yes", "--actor", "acceptance"],
                    database: url
                )
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("Warning: MPS may already hold a task for step \(stepId.uuidString.lowercased()) (lost)."))
                #expect(result.stderr.contains("Look for a task with SessionContext \(correlation.sessionContext)"))
                #expect(result.stdout.hasPrefix("resubmitted step \(stepId.uuidString.lowercased()) as a new attempt"))
                let log = result.stderr.split(separator: "\n").first { $0.contains("\"message\":\"operator action\"") }
                #expect(log?.contains("\"operator.action\":\"resubmit\"") == true)
                #expect(log?.contains("\"operator.actor\":\"acceptance\"") == true)

                let finished = try await TestDatabase.eventually(within: .seconds(20)) {
                    try await client.query("SELECT state FROM jobs WHERE id = \(job.id)")[0].decode(String.self, at: 0) == "succeeded"
                }
                #expect(finished)
                let (state, session) = try await client.query("SELECT state, session_context FROM steps WHERE id = \(stepId)")[0].decode((String, String).self)
                #expect(state == "succeeded")
                #expect(session != correlation.sessionContext)

                let calls = running.emulator.calls.filter { $0.action == "BatchProcessMedia" }
                #expect(calls.count == 2)
                #expect(calls.first?.errorCode == "HTTP 502")
                #expect(calls.first?.sessionContext == correlation.sessionContext)
                #expect(calls.last?.errorCode == nil)
                #expect(calls.last?.sessionContext == session)

                let audit = try await client.query("""
                    SELECT actor, action, reason, before->>'state', before->>'session_context', after->>'state', after->>'session_context'
                    FROM operator_actions WHERE step_id = \(stepId)
                    """).map { try $0.decode((String, String, String, String, String, String, String).self) }
                #expect(audit.count == 1)
                #expect(audit.first?.0 == "acceptance" && audit.first?.1 == "resubmit")
                #expect(audit.first?.2 == "502 from the gateway; no task in the console")
                #expect(audit.first?.3 == "lost" && audit.first?.4 == correlation.sessionContext)
                #expect(audit.first?.5 == "pending" && audit.first?.6 == session)

                let shown = try await MPSHook.run(["steps", "show", stepId.uuidString], database: url)
                #expect(shown.status == 0)
                #expect(shown.stdout.hasPrefix("step \(stepId.uuidString.lowercased())  succeeded\n"))
                #expect(shown.stdout.contains("acceptance  resubmit: 502 from the gateway; no task in the console"))
                #expect(shown.stdout.contains("BatchProcessMedia  ServerNetworkError (ambiguous)  HTTP 502"))
                // Signed URLs lose their query strings; the stored request holds no token or key.
                #expect(!shown.stdout.contains("secret"))
                #expect(shown.stdout.contains("https://e.com/ok.mp4?<redacted>"))
            }
        }
    }

    @Test func refusedCommandsExitNonZeroAndWriteNothing() async throws {
        try await TestDatabase.withFreshDatabase { url in
            #expect(try await MPSHook.run(["migrate"], database: url).status == 0)
            let (stepId, jobId) = try await TestDatabase.withClient(url: url) { client in
                let (_, jobId, stepId) = try await TestDatabase.createStep(client, state: "lost")
                return (stepId, jobId)
            }
            let id = stepId.uuidString.lowercased()
            // No terminal to confirm on (standard input is /dev/null) and no --yes.
            let unconfirmed = try await MPSHook.run(["steps", "resubmit", id, "--reason", "again"], database: url)
            #expect(unconfirmed.status == 1)
            #expect(unconfirmed.stderr.contains("Warning: MPS may already hold a task for step \(id) (lost)."))
            #expect(unconfirmed.stderr.contains("Its TaskId is t-1"))
            #expect(unconfirmed.stderr.contains("not resubmitted: standard input is not a terminal to confirm on; give --yes to confirm from a script"))
            let noReason = try await MPSHook.run(["steps", "abandon", id], database: url)
            #expect(noReason.status != 0)
            #expect(noReason.stderr.contains("--reason"))
            let emptyReason = try await MPSHook.run(["steps", "abandon", id, "--reason", ""], database: url)
            #expect(emptyReason.status == 1)
            #expect(emptyReason.stderr.contains("mpshook: reason: must not be empty"))
            let sameTaskId = try await MPSHook.run(["steps", "resolve", id, "--task-id", "t-1", "--reason", "r"], database: url)
            #expect(sameTaskId.status == 0, "the same TaskId on a lost step is allowed")
            let again = try await MPSHook.run(["steps", "resolve", id, "--task-id", "t-1", "--reason", "r"], database: url)
            #expect(again.status == 1)
            #expect(again.stderr.contains("mpshook: resolve refused: the step is submitted; resolve applies only to a step that is submit_unknown or lost"))
            let unknown = try await MPSHook.run(["steps", "abandon", UUID().uuidString, "--reason", "r"], database: url)
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("mpshook: no step "))
            try await TestDatabase.withClient(url: url) { client in
                let actions = try await client.query("SELECT action FROM operator_actions").map { try $0.decode(String.self, at: 0) }
                #expect(actions == ["resolve"])
                #expect(try await client.query("SELECT state FROM jobs WHERE id = \(jobId)")[0].decode(String.self, at: 0) == "running")
            }

            let abandoned = try await MPSHook.run(["steps", "abandon", id, "--reason", "gone", "--actor", "ops"], database: url)
            #expect(abandoned.status == 0)
            #expect(abandoned.stdout.hasPrefix("abandoned step \(id): failed (operator action #"))
            let listed = try await MPSHook.run(["steps", "list", "--state", "failed", "--json"], database: url)
            #expect(listed.status == 0)
            #expect(listed.stdout.contains("\"id\" : \"\(id)\""))
            #expect(listed.stdout.contains("\"errorCode\" : \"Abandoned\""))
            let none = try await MPSHook.run(["steps", "list"], database: url)
            #expect(none.stdout == "no steps\n")
            let badState = try await MPSHook.run(["steps", "list", "--state", "lots"], database: url)
            #expect(badState.status != 0)
            #expect(badState.stderr.contains("--state lots: not a step state"))
            let json = try await MPSHook.run(["steps", "show", id, "--json"], database: url)
            #expect(json.status == 0)
            #expect(json.stdout.contains("\"action\" : \"abandon\""))
            #expect(json.stdout.contains("\"state\" : \"failed\""))
            // The document GET /v1/steps/{id} answers, so a script can use either.
            let document = try APIJSON.decoder().decode(StepDetailDocument.self, from: Data(json.stdout.utf8))
            #expect(document.id == id.lowercased() && document.state == .failed && document.actions.map(\.action) == ["resolve", "abandon"])
        }
    }
}

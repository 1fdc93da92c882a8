import App
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import API
import Logging
import MPS
import NIOCore
import Postgres
import Prometheus
import Store
import TestSupport
import Testing
import Workflows

/// The jobs API and `mpshook submit` / `jobs show` against a real PostgreSQL.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct JobsAPIIntegrationTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func body(reference: String? = "order-1", urls: [String] = ["https://e.com/a.mp4", "https://e.com/b.mp4?sig=s"]) -> String {
        let referenceMember = reference.map { #""clientReference":"\#($0)","# } ?? ""
        let list = urls.map { #""\#($0)""# }.joined(separator: ",")
        return #"""
            {\#(referenceMember)"clientContext":{"customer":"acme"},"inputUrls":[\#(list)],
             "request":{"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-1250000000","Region":"ap-guangzhou"}},
                        "OutputDir":"/subs/","TaskNotifyConfig":{"NotifyMode":"Change"},
                        "SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}}}}
            """#
    }

    /// A migrated fresh database, and the router `serve` builds, with the jobs API mounted.
    func withAPI(_ body: @escaping @Sendable (PostgresClient, any TestClientProtocol) async throws -> Void) async throws {
        try await Self.withAPI { _, client, http in try await body(client, http) }
    }

    /// The same, with the database's URL too (for the binary).
    static func withAPI(_ body: @escaping @Sendable (String, PostgresClient, any TestClientProtocol) async throws -> Void) async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: Self.quiet)
                let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: Self.quiet)
                let router = Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry(), api: RESTAPI(client: client))
                try await Application(router: router, logger: Self.quiet).test(.router) { http in
                    try await body(url, client, try await KeyedTestClient.admin(http, client: client))
                }
            }
        }
    }

    static func post(_ http: some TestClientProtocol, _ body: String) async throws -> TestResponse {
        try await http.execute(
            uri: "/v1/jobs", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)
        )
    }

    static func created(_ response: TestResponse) throws -> JobCreatedDocument {
        try APIJSON.decoder().decode(JobCreatedDocument.self, from: Data(String(buffer: response.body).utf8))
    }

    @Test func postCreatesTheJobItsStepAndOneOutputPerInputWithNoSecretInTheStoredRequest() async throws {
        try await withAPI { client, http in
            let notifications = try await client.listen([JobStore.stepsChannel])
            var wakeups = notifications.makeAsyncIterator()

            let response = try await Self.post(http, Self.body())
            #expect(response.status == .created)
            let created = try Self.created(response)
            #expect(response.headers[.location] == "/v1/jobs/\(created.jobId)")
            #expect(created.state == .running)
            let correlation = try #require(created.correlationId)
            #expect(created.sessionContext == "mh1:" + correlation.replacingOccurrences(of: "-", with: ""))

            let job = try await client.query("SELECT id::text, client_reference, client_context::text, state FROM jobs")
            try #require(job.count == 1)
            let (jobId, reference, context, state) = try job[0].decode((String, String?, String?, String).self)
            #expect(jobId == created.jobId)
            #expect(reference == "order-1")
            #expect(context == #"{"customer": "acme"}"#)
            #expect(state == "running")

            let steps = try await client.query("""
                SELECT id::text, job_id::text, correlation_id::text, session_context, state,
                    request ? 'SessionContext', request->'TaskNotifyConfig' ? 'NotifyUrl', request->'TaskNotifyConfig' ? 'NotifyKey',
                    request->'TaskNotifyConfig'->>'NotifyMode', request::text
                FROM steps
                """)
            try #require(steps.count == 1)
            let (stepId, stepJob, stepCorrelation, sessionContext, stepState, hasSession, hasURL, hasKey, mode, request) =
                try steps[0].decode((String, String, String, String, String, Bool, Bool, Bool, String?, String).self)
            #expect(stepId == created.stepId)
            #expect(stepJob == created.jobId)
            #expect(stepCorrelation == correlation)
            #expect(sessionContext == created.sessionContext)
            #expect(stepState == "pending")
            #expect(!hasSession)
            #expect(!hasURL)
            #expect(!hasKey)
            #expect(mode == "Change")
            #expect(!request.contains("mpshook.invalid"))

            let outputs = try await client.query("SELECT input_index, input_url, status FROM outputs ORDER BY input_index")
            #expect(try outputs.map { try $0.decode((Int, String, String).self) }.map { "\($0.0) \($0.1) \($0.2)" } == [
                "0 https://e.com/a.mp4 WAITING", "1 https://e.com/b.mp4?sig=s WAITING",
            ])

            // The dispatcher is woken once, on its own channel, with no payload.
            let wakeup = try #require(try await wakeups.next(within: .seconds(30)))
            #expect(wakeup.channel == JobStore.stepsChannel)
            #expect(wakeup.payload == "")
            #expect(try await wakeups.next(within: .milliseconds(300)) == nil)
        }
    }

    @Test func theSameClientReferenceTwiceIsOneJobAnsweredTheSameWayWithoutWakingTheDispatcher() async throws {
        try await withAPI { client, http in
            let first = try await Self.post(http, Self.body(reference: "same"))
            #expect(first.status == .created)
            let notifications = try await client.listen([JobStore.stepsChannel])
            var wakeups = notifications.makeAsyncIterator()

            let second = try await Self.post(http, Self.body(reference: "same", urls: ["https://e.com/other.mp4"]))
            #expect(second.status == .ok)
            #expect(try Self.created(second) == Self.created(first))
            #expect(second.headers[.location] == first.headers[.location])

            let counts = try await client.query("SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM steps), (SELECT count(*) FROM outputs)")
            let (jobs, steps, outputs) = try counts[0].decode((Int, Int, Int).self)
            #expect(jobs == 1)
            #expect(steps == 1)
            #expect(outputs == 2)
            #expect(try await wakeups.next(within: .milliseconds(500)) == nil)
        }
    }

    @Test func concurrentPostsWithTheSameReferenceCreateExactlyOneJob() async throws {
        try await withAPI { client, http in
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let response = try await Self.post(http, Self.body(reference: "race"))
                        return (response.status, try Self.created(response).jobId)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == .created }.count == 1)
            #expect(statuses.filter { $0.0 == .ok }.count == 5)
            #expect(Set(statuses.map(\.1)).count == 1)
            #expect(try await client.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0) == 1)
        }
    }

    @Test func getReturnsTheJobWithItsStepsAndOutputsAsStored() async throws {
        try await withAPI { client, http in
            let created = try Self.created(try await Self.post(http, Self.body()))
            let stepId = try #require(created.stepId)
            _ = try await client.query("""
                UPDATE steps SET state = 'partially_failed', task_id = 'task-9', submit_attempts = 1,
                    submitted_at = now(), finished_at = now() WHERE id = \(stepId)::uuid
                """)
            _ = try await client.query("""
                UPDATE outputs SET status = 'SUCCESS', progress = 100, subtitle_path = '/subs/a.vtt',
                    subtitle_url = 'https://b.cos.example/subs/a.vtt' WHERE input_index = 0
                """)
            _ = try await client.query("""
                UPDATE outputs SET status = 'FAIL', progress = 40, error_code = 'SourceFileError', error_message = 'bad source'
                WHERE input_index = 1
                """)
            _ = try await client.query("UPDATE jobs SET state = 'partially_failed', finished_at = now()")

            let response = try await http.execute(uri: "/v1/jobs/\(created.jobId)", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let document = try APIJSON.decoder().decode(JobDocument.self, from: Data(String(buffer: response.body).utf8))
            #expect(document.id == created.jobId)
            #expect(document.state == .partiallyFailed)
            #expect(document.clientReference == "order-1")
            #expect(document.clientContext == ["customer": "acme"])
            #expect(document.finishedAt != nil)
            let step = try #require(document.steps.first)
            #expect(document.steps.count == 1)
            #expect(step.id == stepId)
            #expect(step.name == "main")
            #expect(step.state == .partiallyFailed)
            #expect(step.taskId == "task-9")
            #expect(step.submitAttempts == 1)
            #expect(step.sessionContext == created.sessionContext)
            #expect(step.outputs.map(\.inputIndex) == [0, 1])
            #expect(step.outputs[0].inputUrl == "https://e.com/a.mp4")
            #expect(step.outputs[0].status == .success)
            #expect(step.outputs[0].subtitlePath == "/subs/a.vtt")
            #expect(step.outputs[0].subtitleUrl == "https://b.cos.example/subs/a.vtt")
            #expect(step.outputs[1].status == .fail)
            #expect(step.outputs[1].progress == 40)
            #expect(step.outputs[1].errorCode == "SourceFileError")
            #expect(step.outputs[1].errorMessage == "bad source")

            // An upper-case id names the same job.
            let upper = try await http.execute(uri: "/v1/jobs/\(created.jobId.uppercased())", method: .get)
            #expect(upper.status == .ok)
        }
    }

    @Test func getAnUnknownJobIs404ProblemJSON() async throws {
        try await withAPI { _, http in
            let response = try await http.execute(uri: "/v1/jobs/\(UUID().uuidString.lowercased())", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/problem+json")
            let problem = try JSONDecoder().decode(ProblemDocument.self, from: Data(String(buffer: response.body).utf8))
            #expect(problem.status == 404)
        }
    }

    @Test func aRefusedBodyStoresNothing() async throws {
        try await withAPI { client, http in
            let response = try await Self.post(http, #"{"inputUrls":["https://e.com/a.mp4"],"request":{}}"#)
            #expect(response.status == .badRequest)
            #expect(try await client.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0) == 0)
        }
    }
}

/// `mpshook submit` and `mpshook jobs show`, run as a user would.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct SubmitCommandTests {
    static func bodyFile(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("job-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        return url
    }

    func withMigratedDatabase(_ body: (String) async throws -> Void) async throws {
        try await TestDatabase.withFreshDatabase { url in
            #expect(try await MPSHook.run(["migrate"], database: url).status == 0)
            try await body(url)
        }
    }

    @Test func submitPrintsTheJobIdAndJobsShowPrintsTheJob() async throws {
        try await withMigratedDatabase { url in
            let file = try Self.bodyFile(JobsAPIIntegrationTests.body(reference: nil, urls: ["https://e.com/template.mp4"]))
            defer { try? FileManager.default.removeItem(at: file) }
            let submitted = try await MPSHook.run(
                ["submit", "--file", file.path, "--input-url", "https://e.com/1.mp4", "--input-url", "https://e.com/2.mp4",
                 "--client-reference", "cli-1"],
                database: url
            )
            #expect(submitted.status == 0)
            let id = try #require(submitted.stdout.split(separator: "\n").first.map(String.init))
            #expect(UUID(uuidString: id) != nil)

            let shown = try await MPSHook.run(["jobs", "show", "--json", id], database: url)
            #expect(shown.status == 0)
            let document = try APIJSON.decoder().decode(JobDocument.self, from: Data(shown.stdout.utf8))
            #expect(document.id == id)
            #expect(document.clientReference == "cli-1")
            #expect(document.steps.first?.outputs.map(\.inputUrl) == ["https://e.com/1.mp4", "https://e.com/2.mp4"])

            let again = try await MPSHook.run(["submit", "--file", file.path, "--client-reference", "cli-1"], database: url)
            #expect(again.status == 0)
            #expect(again.stdout.split(separator: "\n").first.map(String.init) == id)
            #expect(again.stderr.contains("exists"))
        }
    }

    @Test func submitPrintsEveryProblemAndStoresNothing() async throws {
        try await withMigratedDatabase { url in
            let file = try Self.bodyFile(#"{"inputUrls":["ftp://e.com/a.mp4"],"request":{"SessionContext":"x"},"clientReference":""}"#)
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try await MPSHook.run(["submit", "--file", file.path], database: url)
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("5 problems"))
            for field in ["clientReference:", "request.SessionContext:", "request.SmartSubtitlesTask:", "inputUrls[0]:", "request.OutputStorage:"] {
                #expect(result.stderr.contains("  " + field))
            }
            let jobs = try await TestDatabase.withClient(url: url) { client in
                try await client.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0)
            }
            #expect(jobs == 0)
        }
    }

    @Test func jobsShowOfAnUnknownJobFails() async throws {
        try await withMigratedDatabase { url in
            let result = try await MPSHook.run(["jobs", "show", UUID().uuidString], database: url)
            #expect(result.status == 1)
            #expect(result.stderr.contains("no job"))
        }
    }

    @Test func submitWaitFollowsTheJobToItsEndAndPrintsTheOutputs() async throws {
        try await withMigratedDatabase { url in
            let file = try Self.bodyFile(JobsAPIIntegrationTests.body(reference: nil))
            defer { try? FileManager.default.removeItem(at: file) }
            let child = try MPSHook.start(["submit", "--file", file.path, "--wait", "--timeout", "30"], database: url)
            defer {
                child.signal(SIGKILL)
                child.removeFiles()
            }
            var id: String?
            _ = try await TestDatabase.eventually(within: .seconds(20)) {
                id = child.standardOutput.split(separator: "\n").first.map(String.init)
                return id != nil || !child.isRunning
            }
            let jobId = try #require(id)
            try await TestDatabase.withClient(url: url) { client in
                _ = try await client.query("UPDATE steps SET state = 'submitted', task_id = 'task-1' WHERE job_id = \(jobId)::uuid")
                _ = try await TestDatabase.eventually { child.standardOutput.contains("task-1") }
                // In one transaction, as the applier finishes a step and its job together.
                try await client.withTransaction { connection in
                    _ = try await connection.query("UPDATE outputs SET status = 'SUCCESS', progress = 100, subtitle_path = '/subs/a.vtt' WHERE input_index = 0")
                    _ = try await connection.query("UPDATE outputs SET status = 'FAIL', error_code = 'SourceFileError', error_message = 'bad source' WHERE input_index = 1")
                    _ = try await connection.query("UPDATE steps SET state = 'partially_failed' WHERE job_id = \(jobId)::uuid")
                    _ = try await connection.query("UPDATE jobs SET state = 'partially_failed' WHERE id = \(jobId)::uuid")
                }
            }
            let status = try await child.waitForExit(within: .seconds(20))
            #expect(status == 3)
            let output = child.standardOutput
            #expect(output.contains("step main submitted (task task-1)"))
            #expect(output.contains("job partially_failed"))
            #expect(output.contains("1 SUCCESS, 1 FAIL"))
            #expect(output.contains("#0 SUCCESS    https://e.com/a.mp4"))
            #expect(output.contains("subtitle: /subs/a.vtt"))
            #expect(output.contains("#1 FAIL       https://e.com/b.mp4?<redacted>"))
            #expect(output.contains("error: SourceFileError: bad source"))
            #expect(!output.contains("sig=s"))
        }
    }

    @Test func submitWaitEndsWhenTheStepFailedBeforeMPSTookIt() async throws {
        try await withMigratedDatabase { url in
            let file = try Self.bodyFile(JobsAPIIntegrationTests.body(reference: nil))
            defer { try? FileManager.default.removeItem(at: file) }
            let child = try MPSHook.start(["submit", "--file", file.path, "--wait", "--timeout", "30"], database: url)
            defer {
                child.signal(SIGKILL)
                child.removeFiles()
            }
            var id: String?
            _ = try await TestDatabase.eventually(within: .seconds(20)) {
                id = child.standardOutput.split(separator: "\n").first.map(String.init)
                return id != nil || !child.isRunning
            }
            let jobId = try #require(id)
            try await TestDatabase.withClient(url: url) { client in
                _ = try await client.query("""
                    UPDATE steps SET state = 'failed', error_code = 'InvalidParameter', error_message = 'refused by MPS'
                    WHERE job_id = \(jobId)::uuid
                    """)
            }
            #expect(try await child.waitForExit(within: .seconds(20)) == 3)
            #expect(child.standardOutput.contains("step main failed [InvalidParameter: refused by MPS]"))
            #expect(child.standardOutput.contains("outputs:"))
        }
    }

    @Test func submitWaitGivesUpAfterTheTimeoutWithStatus2() async throws {
        try await withMigratedDatabase { url in
            let file = try Self.bodyFile(JobsAPIIntegrationTests.body(reference: nil))
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try await MPSHook.run(["submit", "--file", file.path, "--wait", "--timeout", "1"], database: url)
            #expect(result.status == 2)
            #expect(result.stdout.contains("job running · step main pending · 2 WAITING"))
            #expect(result.stdout.contains("giving up waiting"))
        }
    }
}

@testable import App
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

/// Workflows stored from a folder and jobs that run them, through `POST /v1/jobs` and
/// `GET /v1/jobs/{id}`, against a real PostgreSQL.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct WorkflowJobsAPITests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let examples = TestDatabase.repositoryRoot.appendingPathComponent("workflows").path
    static let inputs = ["https://e.com/a.mp4", "https://e.com/b.mp4?sig=s"]

    /// A migrated fresh database (its URL too, for the binary), and the router `serve` builds.
    func withAPI(_ body: @escaping @Sendable (String, PostgresClient, any TestClientProtocol) async throws -> Void) async throws {
        try await JobsAPIIntegrationTests.withAPI(body)
    }

    static func post(_ http: some TestClientProtocol, _ body: JSONValue) async throws -> TestResponse {
        let text = try #require(StepRequest.encode(body))
        return try await JobsAPIIntegrationTests.post(http, text)
    }

    static func workflowBody(_ name: String, version: Int? = nil, params: JSONValue = [:]) -> JSONValue {
        var body: [String: JSONValue] = ["workflow": .string(name), "inputUrls": .array(inputs.map(JSONValue.string)), "params": params]
        if let version { body["workflowVersion"] = .number(Double(version)) }
        return .object(body)
    }

    static func document(_ http: some TestClientProtocol, _ id: String) async throws -> JobDocument {
        let response = try await http.execute(uri: "/v1/jobs/\(id)", method: .get)
        try #require(response.status == .ok)
        return try APIJSON.decoder().decode(JobDocument.self, from: Data(String(buffer: response.body).utf8))
    }

    static func problems(_ response: TestResponse) throws -> [ProblemDocument.FieldError] {
        #expect(response.status == .badRequest)
        #expect(response.headers[.contentType] == "application/problem+json")
        return try JSONDecoder().decode(ProblemDocument.self, from: Data(String(buffer: response.body).utf8)).errors ?? []
    }

    static func count(_ client: PostgresClient, _ table: String) async throws -> Int {
        try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"))[0].decode(Int.self, at: 0)
    }

    /// A folder holding `files` (name → text), removed afterwards.
    static func withFolder<Result>(_ files: [String: String], _ body: (String) async throws -> Result) async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("workflows-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in files { try Data(text.utf8).write(to: folder.appendingPathComponent(name)) }
        return try await body(folder.path)
    }

    /// A one-step workflow; `source` is its parameter's default.
    static func tiny(source: String = "en", extra: String = "") -> String {
        """
        name: tiny
        params: {source: \(source)}
        steps:
          transcribe:
            request:
              OutputStorage: {Type: COS, CosOutputStorage: {Bucket: b-1250000000, Region: ap-guangzhou}}
              OutputDir: "/subs/{job}/{step}/"
              SmartSubtitlesTask:
                Definition: 0
                RawParameter: {SubtitleType: 0, VideoSrcLanguage: "{source}", SubtitleFormat: vtt}\(extra)
        """
    }

    // MARK: Creating a workflow job

    @Test func aJobOfAnExampleWorkflowStartsWithItsFirstStepRenderedForItAndKeepsItsWorkflowAndParams() async throws {
        try await withAPI { _, client, http in
            let saved = try await WorkflowFolder(directory: Self.examples).load(into: WorkflowStore(client: client), logger: Self.quiet)
            #expect(saved.contains { $0.1.workflow.name == "transcribe-then-translate" })

            let response = try await Self.post(http, Self.workflowBody(
                "transcribe-then-translate", params: ["languages": ["de", "fr"], "lexicon": "hwl-42"]
            ))
            #expect(response.status == .created)
            let created = try JobsAPIIntegrationTests.created(response)
            #expect(created.state == .running)

            let stored = try #require(try await WorkflowStore(client: client).find(name: "transcribe-then-translate"))
            let job = try await client.query("SELECT id::text, workflow_id, params::text, input_urls FROM jobs")
            let (jobId, workflowId, params, inputURLs) = try job[0].decode((String, Int64?, String?, [String]?).self)
            #expect(jobId == created.jobId)
            #expect(workflowId == stored.id)
            #expect(inputURLs == Self.inputs)
            // Every parameter, the defaults filled in.
            let paramsObject = try MPSJSON.decoder.decode(JSONValue.self, from: Data((params ?? "").utf8))
            #expect(paramsObject["languages"] == ["de", "fr"])
            #expect(paramsObject["lexicon"] == "hwl-42")
            #expect(paramsObject["source"] == "en")

            // Only the first step: translate waits for it.
            let steps = try await client.query("SELECT id::text, name, item, run, parent_ids, state, request::text FROM steps")
            try #require(steps.count == 1)
            let (stepId, name, item, run, parents, state, requestText) =
                try steps[0].decode((String, String, String?, Int, [UUID], String, String).self)
            #expect(stepId == created.stepId)
            #expect(name == "transcribe")
            #expect(item == nil)
            #expect(run == 1)
            #expect(parents.isEmpty)
            #expect(state == "pending")
            let request = StepRequest.decode(requestText)
            #expect(request["OutputDir"] == .string("/subtitles/\(jobId)/transcribe/"))
            #expect(request["InputInfo"] == .array(Self.inputs.map { ["Type": "URL", "UrlInputInfo": ["Url": .string($0)]] }))
            #expect(request["SmartSubtitlesTask"]?["RawParameter"]?["AsrHotWordsConfigure"]?["LibraryId"] == "hwl-42")
            #expect(request["SessionContext"] == nil)
            #expect(request["TaskNotifyConfig"]?["NotifyUrl"] == nil)

            let outputs = try await client.query("SELECT input_index, job_input_index, input_url FROM outputs ORDER BY input_index")
            #expect(try outputs.map { try $0.decode((Int, Int?, String).self) }.map { "\($0.0) \($0.1 ?? -1) \($0.2)" } == [
                "0 0 https://e.com/a.mp4", "1 1 https://e.com/b.mp4?sig=s",
            ])

            let document = try await Self.document(http, jobId)
            #expect(document.workflow?.name == "transcribe-then-translate")
            #expect(document.workflow?.version == stored.version)
            #expect(document.params?["languages"] == ["de", "fr"])
            #expect(document.steps.map(\.name) == ["transcribe"])
            #expect(document.steps[0].parents == [])
            #expect(document.steps[0].run == 1)
            #expect(document.inputs.map(\.url) == Self.inputs)
            #expect(document.inputs.map { $0.outputs.map(\.step) } == [["transcribe"], ["transcribe"]])
        }
    }

    @Test func anUnknownWorkflowOrVersionIsABadBodyAtThatFieldAndStoresNothing() async throws {
        try await withAPI { _, client, http in
            _ = try await Self.withFolder(["tiny.yaml": Self.tiny()]) { folder in
                try await WorkflowFolder(directory: folder).load(into: WorkflowStore(client: client), logger: Self.quiet)
            }
            let unknown = try Self.problems(try await Self.post(http, Self.workflowBody("tine")))
            #expect(unknown.map(\.field) == ["workflow"])
            #expect(unknown.first?.message.contains("did you mean \"tiny\"?") == true)

            let version = try Self.problems(try await Self.post(http, Self.workflowBody("tiny", version: 4)))
            #expect(version.map(\.field) == ["workflowVersion"])
            #expect(version.first?.message == "workflow tiny has no version 4; its latest is 1")

            let param = try Self.problems(try await Self.post(http, Self.workflowBody("tiny", params: ["source": "xx-nowhere", "target": "ja"])))
            #expect(param.map(\.field) == ["params.target"])

            let both = try Self.problems(try await JobsAPIIntegrationTests.post(
                http, #"{"workflow":"tiny","inputUrls":["https://e.com/a.mp4"],"request":{}}"#
            ))
            #expect(both.map(\.field) == ["request"])
            #expect(try await Self.count(client, "jobs") == 0)
        }
    }

    @Test func theGraphShowsLineageAndEveryLanguageOfEachInputInOnePlace() async throws {
        try await withAPI { url, client, http in
            try await WorkflowFolder(directory: Self.examples).load(into: WorkflowStore(client: client), logger: Self.quiet)
            let response = try await Self.post(http, Self.workflowBody("transcribe-then-translate-fanout", params: ["languages": ["ja", "ko"]]))
            let created = try JobsAPIIntegrationTests.created(response)
            let rootId = try #require(created.stepId.flatMap(UUID.init(uuidString:)))

            // The recognition ends: input 0 in English, input 1 failed; the translations follow for input 0.
            _ = try await client.query("UPDATE steps SET state = 'submitted', task_id = 't-root' WHERE id = \(rootId)")
            try await Self.complete(client, rootId, to: .partiallyFailed) { index, output in
                index == 0
                    ? Self.succeeded(output, SubtitleFile(kind: .recognition, language: "en", status: "Success", path: "/subs/a.en.vtt", segmentCount: 12, lastSegmentEnd: 61.5))
                    : output.failed(code: "SourceFileError", message: "bad source")
            }
            let translations = try await client.query("SELECT id, item FROM steps WHERE name = 'translate' ORDER BY item")
                .map { try $0.decode((UUID, String?).self) }
            #expect(translations.map(\.1) == ["ja", "ko"])
            let ja = try #require(translations.first?.0)
            _ = try await client.query("UPDATE steps SET state = 'submitted', task_id = 't-ja' WHERE id = \(ja)")
            try await Self.complete(client, ja, to: .succeeded) { _, output in
                Self.succeeded(output, SubtitleFile(kind: .translation, language: "ja", sourceLanguage: "en", status: "Success", path: "/subs/a.ja.srt"))
            }

            let document = try await Self.document(http, created.jobId)
            #expect(document.steps.map { "\($0.name) \($0.item ?? "-") \($0.run) \($0.state.rawValue)" } == [
                "transcribe - 1 partially_failed", "translate ja 1 succeeded", "translate ko 1 pending",
            ])
            #expect(document.steps[0].parents == [])
            #expect(document.steps[1].parents == [created.stepId])
            #expect(document.steps[2].parents == [created.stepId])
            #expect(document.steps[1].outputs.map(\.jobInputIndex) == [0])
            #expect(document.steps[1].outputs.first?.files.map(\.language) == ["ja"])
            #expect(document.steps[0].outputs[0].files.first?.segmentCount == 12)

            #expect(document.inputs.count == 2)
            let first = document.inputs[0]
            #expect(first.outputs.map { "\($0.step) \($0.item ?? "-") \($0.status.rawValue)" } == [
                "transcribe - SUCCESS", "translate ja SUCCESS", "translate ko WAITING",
            ])
            #expect(first.outputs.flatMap(\.files).map { "\($0.kind) \($0.language ?? "?") \($0.path ?? "")" } == [
                "recognition en /subs/a.en.vtt", "translation ja /subs/a.ja.srt",
            ])
            #expect(document.inputs[1].outputs.map { "\($0.step) \($0.status.rawValue) \($0.errorCode ?? "")" } == ["transcribe FAIL SourceFileError"])

            // The JSON keeps the states as the same strings as ever.
            let raw = try await http.execute(uri: "/v1/jobs/\(created.jobId)", method: .get)
            let text = String(buffer: raw.body)
            #expect(text.contains(#""state":"partially_failed""#))
            #expect(text.contains(#""status":"SUCCESS""#))

            // `mpshook jobs show`: the tree, then per input the languages and paths.
            let shown = try await MPSHook.run(["jobs", "show", created.jobId], database: url)
            #expect(shown.status == 0)
            let lines = shown.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("  transcribe ") && $0.contains("partially_failed") && $0.contains("task t-root") })
            #expect(lines.contains { $0.hasPrefix("    translate [ja] ") && $0.contains("succeeded") })
            #expect(lines.contains { $0.hasPrefix("    translate [ko] ") && $0.contains("pending") })
            #expect(lines.contains("  #1 https://e.com/b.mp4?<redacted>"))
            #expect(lines.contains { $0.contains("translate [ja]") && $0.contains("translation ja (from en)  /subs/a.ja.srt") })
            #expect(lines.contains { $0.contains("FAIL") && $0.contains("SourceFileError: bad source") })
            #expect(!shown.stdout.contains("sig=s"))
        }
    }

    static func succeeded(_ output: OutputRecord, _ file: SubtitleFile) -> OutputRecord {
        var done = output
        done.state = .success
        done.progress = 100
        done.subtitlePath = file.path
        done.files = [file]
        return done
    }

    /// Ends step `id` through the one completion path, its outputs as `finish` makes them.
    static func complete(
        _ client: PostgresClient, _ id: UUID, to state: StepState, _ finish: @escaping @Sendable (Int, OutputRecord) -> OutputRecord
    ) async throws {
        try await client.withTransaction { connection in
            let store = CompletionStore(connection: connection, catalog: WorkflowCatalog())
            let step = try #require(try await store.lockSteps(ids: [id]).first)
            let outputs = step.outputs.enumerated().map { finish($0, $1) }
            _ = try await store.complete([StepChange(stepId: id, jobId: step.jobId, from: step.state, to: state, outputs: outputs)])
        }
    }

    // MARK: Versions

    static func kind(_ saved: WorkflowStore.Saved) -> String {
        if case .stored = saved { "stored" } else { "unchanged" }
    }

    @Test func loadingTheSameFolderTwiceStoresNothingAndAChangedFileIsVersion2WhileOlderJobsKeepVersion1() async throws {
        try await withAPI { _, client, http in
            let store = WorkflowStore(client: client)
            try await Self.withFolder(["tiny.yaml": Self.tiny()]) { folder in
                let first = try await WorkflowFolder(directory: folder).load(into: store, logger: Self.quiet)
                #expect(first.map { Self.kind($0.1) } == ["stored"])
                let again = try await WorkflowFolder(directory: folder).load(into: store, logger: Self.quiet)
                #expect(again.map { Self.kind($0.1) } == ["unchanged"])
                #expect(try await Self.count(client, "workflows") == 1)
            }
            let old = try JobsAPIIntegrationTests.created(try await Self.post(http, Self.workflowBody("tiny")))

            try await Self.withFolder(["tiny.yaml": Self.tiny(source: "ja")]) { folder in
                let changed = try await WorkflowFolder(directory: folder).load(into: store, logger: Self.quiet)
                #expect(changed.map(\.1.workflow.version) == [2])
                #expect(changed.map { Self.kind($0.1) } == ["stored"])
            }
            #expect(try await Self.count(client, "workflows") == 2)

            let oldDocument = try await Self.document(http, old.jobId)
            #expect(oldDocument.workflow?.version == 1)
            #expect(oldDocument.params?["source"] == "en")
            let new = try JobsAPIIntegrationTests.created(try await Self.post(http, Self.workflowBody("tiny")))
            let newDocument = try await Self.document(http, new.jobId)
            #expect(newDocument.workflow?.version == 2)
            #expect(newDocument.params?["source"] == "ja")
            // Version 1 can still be asked for by number.
            let pinned = try JobsAPIIntegrationTests.created(try await Self.post(http, Self.workflowBody("tiny", version: 1)))
            #expect(try await Self.document(http, pinned.jobId).workflow?.version == 1)
        }
    }
}

/// The `mpshook` binary: `serve` refusing a bad workflow folder, and the `workflows` commands.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct WorkflowCommandTests {
    static let bad = """
        name: broken
        steps:
          transcribe:
            colour: blue
            request:
              OutputStorage: {Type: COS, CosOutputStorage: {Bucket: b-1250000000, Region: ap-guangzhou}}
              SmartSubtitlesTask: {Definition: 0, RawParameter: {SubtitleType: 0, VideoSrcLanguage: en, SubtitleFormat: vtt}}
          translate:
            needs: transcibe
            request:
              OutputStorage: {Type: COS, CosOutputStorage: {Bucket: b-1250000000, Region: ap-guangzhou}}
              SmartSubtitlesTask: {Definition: 0, RawParameter: {SubtitleType: 1, VideoSrcLanguage: en, SubtitleFormat: vtt}}
        """

    func withMigratedDatabase(_ body: (String) async throws -> Void) async throws {
        try await TestDatabase.withFreshDatabase { url in
            #expect(try await MPSHook.run(["migrate"], database: url).status == 0)
            try await body(url)
        }
    }

    static func workflowCount(_ url: String) async throws -> Int {
        try await TestDatabase.withClient(url: url) { client in try await WorkflowJobsAPITests.count(client, "workflows") }
    }

    /// `mpshook serve` with `MPSHOOK_WORKFLOWS_DIR` set to `folder`.
    static func serve(_ url: String, workflows folder: String) throws -> ChildProcess {
        var environment = MPSHook.environment(database: url)
        environment["MPSHOOK_WORKFLOWS_DIR"] = folder
        return try ChildProcess([MPSHook.binary, "serve"], environment: environment)
    }

    @Test func serveRefusesToStartWithABadWorkflowFilePrintingEveryProblemWithItsPlace() async throws {
        try await withMigratedDatabase { url in
            try await WorkflowJobsAPITests.withFolder(["good.yaml": WorkflowJobsAPITests.tiny(), "broken.yaml": Self.bad]) { folder in
                let child = try Self.serve(url, workflows: folder)
                defer {
                    child.signal(SIGKILL)
                    child.removeFiles()
                }
                #expect(try await child.waitForExit(within: .seconds(30)) == 1)
                let problems = child.standardError.split(separator: "\n").filter { $0.hasPrefix("  ") }
                #expect(problems.contains { $0.contains("broken.yaml: step \"transcribe\": colour: unknown field") })
                #expect(problems.contains { $0.contains("broken.yaml: step \"translate\": needs") && $0.contains("did you mean \"transcribe\"?") })
                #expect(child.standardError.contains("none was stored"))
                // The good file is not stored either: the folder is checked as a whole first.
                #expect(try await Self.workflowCount(url) == 0)
            }
        }
    }

    @Test func serveStoresTheFolderAtStartAndLogsEachWorkflow() async throws {
        try await withMigratedDatabase { url in
            try await WorkflowJobsAPITests.withFolder(["tiny.yaml": WorkflowJobsAPITests.tiny()]) { folder in
                let child = try Self.serve(url, workflows: folder)
                defer {
                    child.signal(SIGKILL)
                    child.removeFiles()
                }
                let listening = try await TestDatabase.eventually(within: .seconds(20)) {
                    child.standardError.contains("\"http.address\"") || !child.isRunning
                }
                #expect(listening && child.isRunning)
                let stored = child.standardError.split(separator: "\n").first { $0.contains("\"message\":\"workflow stored\"") }
                #expect(stored?.contains("\"workflow.name\":\"tiny\"") == true)
                #expect(stored?.contains("\"workflow.version\":\"1\"") == true)
                #expect(try await Self.workflowCount(url) == 1)
                child.signal(SIGTERM)
                #expect(try await child.waitForExit(within: .seconds(15)) == 0)
            }
        }
    }

    @Test func workflowsLoadRefusesABadFolderAndStoresAGoodOneOnce() async throws {
        try await withMigratedDatabase { url in
            try await WorkflowJobsAPITests.withFolder(["good.yaml": WorkflowJobsAPITests.tiny(), "broken.yaml": Self.bad]) { folder in
                let refused = try await MPSHook.run(["workflows", "load", folder], database: url)
                #expect(refused.status == 1)
                #expect(refused.stderr.contains("broken.yaml: step \"transcribe\": colour: unknown field"))
                #expect(refused.stdout.isEmpty)
                #expect(try await Self.workflowCount(url) == 0)
            }
            try await WorkflowJobsAPITests.withFolder(["tiny.yaml": WorkflowJobsAPITests.tiny()]) { folder in
                let first = try await MPSHook.run(["workflows", "load", folder], database: url)
                #expect(first.status == 0)
                #expect(first.stdout.hasPrefix("stored\ttiny\tversion 1\t"))
                let second = try await MPSHook.run(["workflows", "load", folder], database: url)
                #expect(second.stdout.hasPrefix("unchanged\ttiny\tversion 1\t"))
                #expect(try await Self.workflowCount(url) == 1)
            }

            let list = try await MPSHook.run(["workflows", "list"], database: url)
            #expect(list.status == 0)
            #expect(list.stdout.split(separator: "\n").count == 2)
            #expect(list.stdout.contains("tiny  1  "))
            let shown = try await MPSHook.run(["workflows", "show", "tiny"], database: url)
            #expect(shown.status == 0)
            #expect(shown.stdout.hasPrefix("name: tiny\nversion: 1\nhash: "))
            #expect(shown.stdout.contains("\n\nname: tiny\nparams: {source: en}\n"))
            let missing = try await MPSHook.run(["workflows", "show", "tiny", "--version", "2"], database: url)
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("workflow tiny has no version 2"))
        }
    }

    @Test func workflowsValidateNeedsNoDatabaseAndPrintsEveryProblemOrTheSummary() async throws {
        try await WorkflowJobsAPITests.withFolder(["good.yaml": WorkflowJobsAPITests.tiny(), "broken.yaml": Self.bad]) { folder in
            let nowhere = "postgresql://nobody@127.0.0.1:1/none"
            let good = try await MPSHook.run(["workflows", "validate", folder + "/good.yaml"], database: nowhere)
            #expect(good.status == 0)
            #expect(good.stdout.contains("good.yaml: valid\n  name: tiny\n"))
            #expect(good.stdout.contains("    transcribe\n  hash: "))
            let bad = try await MPSHook.run(["workflows", "validate", folder + "/good.yaml", folder + "/broken.yaml"], database: nowhere)
            #expect(bad.status == 1)
            #expect(bad.stderr.contains("step \"transcribe\": colour: unknown field"))
            #expect(bad.stderr.contains("step \"translate\": needs"))
        }
    }

    @Test func submitWorkflowReadsParamsAsTheirKindsAndCreatesTheJob() async throws {
        try await withMigratedDatabase { url in
            #expect(try await MPSHook.run(["workflows", "load", WorkflowJobsAPITests.examples], database: url).status == 0)
            let submitted = try await MPSHook.run([
                "submit", "--workflow", "transcribe-then-translate-fanout", "--input", "https://e.com/a.mp4", "--input-url", "https://e.com/b.mp4",
                "--param", "languages=ja,ko", "--param", #"source=en"#, "--client-reference", "wf-1",
            ], database: url)
            #expect(submitted.status == 0)
            let id = try #require(submitted.stdout.split(separator: "\n").first.map(String.init))
            let (params, steps) = try await TestDatabase.withClient(url: url) { client in
                let params = try await client.query("SELECT params::text FROM jobs WHERE id = \(id)::uuid")[0].decode(String.self, at: 0)
                let steps = try await WorkflowJobsAPITests.count(client, "steps")
                return (params, steps)
            }
            #expect(params.contains(#""languages": ["ja", "ko"]"#))
            #expect(steps == 1)

            let refused = try await MPSHook.run([
                "submit", "--workflow", "transcribe-then-translate-fanout", "--input", "https://e.com/a.mp4", "--param", "langauges=ja",
            ], database: url)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("params.langauges: is not a parameter of this workflow; did you mean \"languages\"?"))
            #expect(refused.stderr.split(separator: "\n").count == 2)
            let unknown = try await MPSHook.run(["submit", "--workflow", "nope", "--input", "https://e.com/a.mp4"], database: url)
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("workflow: no workflow named \"nope\" is stored"))
        }
    }
}

import Correlation
import Foundation
import API
import MPS
import MPSEmulator
import Postgres
import Store
import Testing
import Workflows

/// The shipped example workflows (`workflows/*.yaml`) run to the end through the whole spine:
/// dispatcher → emulator → door → applier → planned follow-ups → dispatcher, on one or two replicas.
/// One at a time: each runs a whole spine (replicas, emulator), and the machine has 2 cores.
@Suite(.serialized, .enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct WorkflowEndToEndTests {
    static let examples = TestDatabase.repositoryRoot.appendingPathComponent("workflows")

    /// Reads, stores and returns an example workflow.
    static func store(_ file: String, client: PostgresClient) async throws -> (WorkflowDefinition, StoredWorkflow) {
        let source = try String(contentsOf: examples.appendingPathComponent(file), encoding: .utf8)
        let definition = try WorkflowDefinition.parse(source, file: file).get()
        let stored = try await WorkflowStore(client: client).save(definition, source: source, file: file).workflow
        return (definition, stored)
    }

    /// Creates a job of the stored `version` with its root steps, as the job API does (``JobCreator``).
    @discardableResult
    static func createJob(version: StoredWorkflow, inputs: [String], client: PostgresClient) async throws -> UUID {
        let body = WorkflowJobRequest(workflow: version.name, workflowVersion: version.version, inputURLs: inputs)
        return try await JobCreator(client: client).create(.workflow(body)).creation.jobId
    }

    struct StepRow: Equatable, CustomStringConvertible {
        var name: String
        var item: String?
        var run: Int
        var state: String
        var parents: Int
        var description: String { "\(name)\(item.map { "[\($0)]" } ?? "")#\(run) \(state) ←\(parents)" }
    }

    static func steps(_ client: PostgresClient, _ jobId: UUID) async throws -> [StepRow] {
        try await client.query("""
            SELECT name, item, run, state, cardinality(parent_ids) FROM steps WHERE job_id = \(jobId) ORDER BY created_at, name, item, run
            """).map { row in
            let (name, item, run, state, parents) = try row.decode((String, String?, Int, String, Int).self)
            return StepRow(name: name, item: item, run: run, state: state, parents: parents)
        }
    }

    static func waitForJob(_ client: PostgresClient, _ jobId: UUID, within limit: Duration = .seconds(60)) async throws -> String {
        _ = try await TestDatabase.eventually(within: limit) {
            try await client.query("SELECT state FROM jobs WHERE id = \(jobId)")[0].decode(String.self, at: 0) != "running"
        }
        return try await client.query("SELECT state FROM jobs WHERE id = \(jobId)")[0].decode(String.self, at: 0)
    }

    struct Example: Sendable, CustomTestStringConvertible {
        var file: String
        var inputs: [String]
        var jobState: String
        var steps: [StepRow]
        var testDescription: String { file }
    }

    static let ok = "https://media.example/v/ok.mp4"
    static let ok2 = "https://media.example/v/ok2.mp4"
    static let fail = "https://media.example/v/fail.mp4"
    static let flaky = "https://media.example/v/flaky.mp4"

    static let cases: [Example] = [
        Example(file: "transcribe-then-translate.yaml", inputs: [ok, fail], jobState: "partially_failed", steps: [
            StepRow(name: "transcribe", item: nil, run: 1, state: "partially_failed", parents: 0),
            StepRow(name: "translate", item: nil, run: 1, state: "succeeded", parents: 1),
        ]),
        Example(file: "transcribe-then-translate-fanout.yaml", inputs: [ok, fail], jobState: "partially_failed", steps: [
            StepRow(name: "transcribe", item: nil, run: 1, state: "partially_failed", parents: 0),
            StepRow(name: "translate", item: "ja", run: 1, state: "succeeded", parents: 1),
            StepRow(name: "translate", item: "ko", run: 1, state: "succeeded", parents: 1),
        ]),
        Example(file: "retry-failed.yaml", inputs: [ok, flaky], jobState: "succeeded", steps: [
            StepRow(name: "transcribe", item: nil, run: 1, state: "partially_failed", parents: 0),
            StepRow(name: "retry", item: nil, run: 1, state: "succeeded", parents: 1),
        ]),
        Example(file: "branch-on-results.yaml", inputs: [ok, flaky], jobState: "succeeded", steps: [
            StepRow(name: "transcribe", item: nil, run: 1, state: "partially_failed", parents: 0),
            StepRow(name: "retry-auto", item: nil, run: 1, state: "succeeded", parents: 1),
        ]),
        Example(file: "fan-in.yaml", inputs: [ok, ok2], jobState: "succeeded", steps: [
            StepRow(name: "transcribe-vtt", item: nil, run: 1, state: "succeeded", parents: 0),
            StepRow(name: "translate-srt", item: nil, run: 1, state: "succeeded", parents: 0),
            StepRow(name: "bilingual", item: nil, run: 1, state: "succeeded", parents: 2),
        ]),
    ]

    @Test(arguments: cases)
    func anExampleWorkflowRunsToTheEnd(_ example: Example) async throws {
        let emulator = EmulatorConfiguration(processingTime: .milliseconds(300), callbackRetryDelay: .milliseconds(200))
        try await Spine.run(replicas: 1, emulator: emulator) { url, running in
            try await TestDatabase.withClient(url: url) { client in
                let (_, stored) = try await Self.store(example.file, client: client)
                let jobId = try await Self.createJob(version: stored, inputs: example.inputs, client: client)
                #expect(try await Self.waitForJob(client, jobId) == example.jobState)
                let steps = try await Self.steps(client, jobId)
                #expect(Set(steps.map(\.description)) == Set(example.steps.map(\.description)))
                // Every step was sent once; nothing else was.
                let calls = running.emulator.calls.filter { $0.action == "BatchProcessMedia" && $0.errorCode == nil }
                #expect(calls.count == example.steps.count)
                #expect(Set(calls.compactMap(\.sessionContext)).count == calls.count)
            }
        }
    }

    @Test func everyLanguageOfATranslationIsKeptPerInput() async throws {
        let emulator = EmulatorConfiguration(processingTime: .milliseconds(300), callbackRetryDelay: .milliseconds(200))
        try await Spine.run(replicas: 1, emulator: emulator) { url, _ in
            try await TestDatabase.withClient(url: url) { client in
                let (_, stored) = try await Self.store("transcribe-then-translate.yaml", client: client)
                let jobId = try await Self.createJob(version: stored, inputs: [Self.ok, Self.ok2], client: client)
                #expect(try await Self.waitForJob(client, jobId) == "succeeded")
                let rows = try await client.query("""
                    SELECT s.name, o.job_input_index, o.results::text FROM outputs o JOIN steps s ON s.id = o.step_id
                    WHERE s.job_id = \(jobId) ORDER BY s.name, o.job_input_index
                    """).map { try $0.decode((String, Int, String?).self) }
                #expect(rows.count == 4)
                for (name, _, results) in rows {
                    let files = try JSONDecoder().decode([SubtitleFile].self, from: Data(try #require(results).utf8))
                    if name == "transcribe" {
                        #expect(files.map(\.kind) == [.recognition] && files.first?.language == "en")
                    } else {
                        #expect(files.filter { $0.kind == .translation }.compactMap(\.language).sorted() == ["ja", "ko"])
                        #expect(files.allSatisfy { $0.path?.isEmpty == false })
                    }
                }
            }
        }
    }

    /// Acceptance: 100 jobs of workflow 1, every callback duplicated and delivered newest first,
    /// two replicas: the emulator receives exactly one call per step, each follow-up once.
    @Test func aHundredJobsOnTwoReplicasWithDuplicatedReorderedCallbacksSendEachFollowUpOnce() async throws {
        let emulator = EmulatorConfiguration(
            processingTime: .milliseconds(300), callbackRetryDelay: .milliseconds(200), faults: EmulatorFaults(duplicateShare: 1, reorder: true)
        )
        try await Spine.run(replicas: 2, emulator: emulator) { url, running in
            try await TestDatabase.withClient(url: url) { client in
                var (definition, stored) = try await Self.store("transcribe-then-translate.yaml", client: client)
                // Change mode, so each task reports several times, newest first (a new version).
                definition.version = nil
                for index in definition.steps.indices {
                    definition.steps[index].request["TaskNotifyConfig"] = ["NotifyMode": "Change"]
                }
                stored = try await WorkflowStore(client: client).save(definition, source: definition.canonicalJSON, file: nil).workflow
                for _ in 0..<100 {
                    try await Self.createJob(version: stored, inputs: [Self.ok, Self.fail], client: client)
                }
                let finished = try await TestDatabase.eventually(within: .seconds(120)) {
                    try await client.query("SELECT count(*) FROM jobs WHERE state <> 'running'")[0].decode(Int.self, at: 0) == 100
                }
                #expect(finished)
                let perJob = try await client.query("""
                    SELECT count(*) FILTER (WHERE name = 'transcribe'), count(*) FILTER (WHERE name = 'translate') FROM steps GROUP BY job_id
                    """).map { try $0.decode((Int, Int).self) }
                #expect(perJob.count == 100 && perJob.allSatisfy { $0 == (1, 1) })
                #expect(try await client.query("SELECT count(*) FROM jobs WHERE state = 'partially_failed'")[0].decode(Int.self, at: 0) == 100)
                #expect(running.emulator.callbacks.contains { $0.outcome == "duplicate" })
            }
            let calls = running.emulator.calls.filter { $0.action == "BatchProcessMedia" && $0.errorCode == nil }
            #expect(calls.count == 200)
            #expect(Set(calls.compactMap(\.sessionContext)).count == 200)
        }
    }
}

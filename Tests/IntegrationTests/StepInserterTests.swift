import Correlation
import Foundation
import Postgres
@testable import Store
import Testing
import TestSupport
import Workflows

/// The one way steps are inserted, against a real PostgreSQL: a batch of planned steps where one
/// already exists creates only the others (with their outputs), never a second copy.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct StepInserterTests {
    /// Transcribe, then a translation per language, due 30 s later.
    static let definition = WorkflowDefinition(
        name: "insert-batch",
        params: ["source": .string("en"), "languages": .list(["ja", "ko"])],
        steps: [
            StepTemplate(name: "transcribe", request: PlannerFixtures.request()),
            StepTemplate(
                name: "translate", needs: ["transcribe"], inputs: .succeeded("transcribe"),
                forEach: ForEach(variable: "lang", values: .parameter("languages")), delaySeconds: 30,
                request: PlannerFixtures.request(translate: "{lang}")
            ),
        ]
    )

    struct Stored: Equatable {
        var id: UUID
        var name: String
        var item: String?
        var state: String
        var parents: [UUID]
        var errorCode: String?
        var finished: Bool
        var delay: Double
    }

    static func steps(_ client: PostgresClient, _ jobId: UUID) async throws -> [Stored] {
        try await client.query("""
            SELECT id, name, item, state, parent_ids, error_code, finished_at IS NOT NULL,
                round(extract(epoch FROM next_attempt_at - created_at))::float8
            FROM steps WHERE job_id = \(jobId) ORDER BY name, item NULLS FIRST
            """).map { row in
            let (id, name, item, state, parents, code, finished, delay) =
                try row.decode((UUID, String, String?, String, [UUID], String?, Bool, Double).self)
            return Stored(id: id, name: name, item: item, state: state, parents: parents, errorCode: code, finished: finished, delay: delay)
        }
    }

    static func outputs(_ client: PostgresClient, _ stepId: UUID) async throws -> [(index: Int, jobIndex: Int, url: String, status: String, code: String?)] {
        try await client.query("""
            SELECT input_index, job_input_index, input_url, status, error_code FROM outputs WHERE step_id = \(stepId) ORDER BY input_index
            """).map { row in
            let (index, jobIndex, url, status, code) = try row.decode((Int, Int, String, String, String?).self)
            return (index, jobIndex, url, status, code)
        }
    }

    @Test func aBatchWithAStepThatExistsCreatesOnlyTheOthersWithTheirOutputs() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let inputs = PlannerFixtures.inputs
            let jobId = try await WorkflowCompletionTests.createJob(client, Self.definition)
            let root = try #require(try await Self.steps(client, jobId).first)
            #expect(root.name == "transcribe")

            // What transcribe's completion plans (inputs 0 and 2 succeeded), plus the root step
            // planned again from an empty graph (a new id for a step that exists).
            let outputs = inputs.enumerated().map { index, url in
                OutputRecord(inputIndex: index, jobInputIndex: index, inputURL: url, state: index == 1 ? .fail : .success, progress: 100)
            }
            let done = JobGraph(jobId: jobId, definition: Self.definition, inputURLs: inputs, runs: [
                StepRun(id: root.id, name: "transcribe", state: .partiallyFailed, outputs: outputs)
            ])
            var followUps = Planner.plan(done).steps
            let again = Planner.plan(JobGraph(jobId: jobId, definition: Self.definition, inputURLs: inputs)).steps
            #expect(followUps.map(\.name) == ["translate", "translate"])
            // And one the planner refused (its template did not render), over every job input.
            var refused = try #require(followUps.first)
            refused.id = UUID()
            refused.name = "broken"
            refused.item = nil
            refused.delaySeconds = 0
            refused.inputs = try #require(again.first).inputs
            refused.refusal = "the template names unknown placeholders: {nope} at OutputDir"
            followUps.append(refused)
            #expect(again.map(\.name) == ["transcribe"])

            let wakeups = try await client.listen([JobStore.stepsChannel])
            var wakeup = wakeups.makeAsyncIterator()
            let batch = (again + followUps).map { StepRow(jobId: jobId, planned: $0) }
            let created = try await client.withTransaction { connection in
                try await StepInserter(connection: connection).insert(batch)
            }
            #expect(created == Set(followUps.map(\.id)))
            #expect(try await wakeup.next()?.channel == JobStore.stepsChannel)

            let steps = try await Self.steps(client, jobId)
            #expect(steps.map(\.name) == ["broken", "transcribe", "translate", "translate"])
            #expect(steps.filter { $0.name == "transcribe" }.map(\.id) == [root.id])
            #expect(try await Self.outputs(client, again[0].id).isEmpty)

            let broken = try #require(steps.first { $0.name == "broken" })
            #expect(broken.state == "failed" && broken.errorCode == StepInserter.refusalCode && broken.finished)
            #expect(broken.parents == [root.id])
            #expect(try await Self.outputs(client, broken.id).map(\.status) == ["FAIL", "FAIL", "FAIL"])
            #expect(try await Self.outputs(client, broken.id).allSatisfy { $0.code == StepInserter.refusalCode })

            for translate in steps where translate.name == "translate" {
                #expect(translate.state == "pending" && translate.errorCode == nil && !translate.finished)
                #expect(translate.parents == [root.id] && translate.delay == 30)
                let stored = try await Self.outputs(client, translate.id)
                #expect(stored.map(\.index) == [0, 1] && stored.map(\.jobIndex) == [0, 2])
                #expect(stored.map(\.url) == [inputs[0], inputs[2]] && stored.allSatisfy { $0.status == "WAITING" && $0.code == nil })
            }
            // Each created step carries its own correlation id in its SessionContext.
            let contexts = try await client.query("SELECT correlation_id, session_context FROM steps WHERE job_id = \(jobId)")
                .map { try $0.decode((UUID, String).self) }
            #expect(contexts.allSatisfy { CorrelationId(sessionContext: $0.1)?.uuid == $0.0 })
            #expect(Set(contexts.map(\.0)).count == 4)

            // The same plan again (new ids) creates nothing.
            let replanned = Planner.plan(done).steps.map { StepRow(jobId: jobId, planned: $0) }
            let none = try await client.withTransaction { connection in
                try await StepInserter(connection: connection).insert(replanned)
            }
            #expect(none.isEmpty)
            #expect(try await Self.steps(client, jobId) == steps)
            let outputCount = try await client.query("SELECT count(*) FROM outputs")[0].decode(Int.self, at: 0)
            #expect(outputCount == 3 + 3 + 2 + 2)
        }
    }
}

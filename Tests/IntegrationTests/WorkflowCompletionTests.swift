import Correlation
import Foundation
import Hashing
import Intake
import Logging
import MPS
import Postgres
import Store
import Testing
import TestSupport
import Workflows

/// The one completion path against a real PostgreSQL: follow-ups planned in the transaction that
/// applies the completing notification, exactly once whatever the duplicates, the order, or the
/// number of concurrent appliers; a dispatcher's refusal goes the same way.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct WorkflowCompletionTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static let branchOnFailure = WorkflowDefinition(
        name: "branch-on-failure", params: ["source": .string("en")],
        steps: [
            StepTemplate(name: "transcribe", request: PlannerFixtures.request()),
            StepTemplate(
                name: "rerun-all", needs: ["transcribe"], when: .all(OutputMatch(state: .fail), of: nil),
                inputs: .failed("transcribe"), request: PlannerFixtures.request(language: "auto")
            ),
        ]
    )

    /// A migrated database with `definition` stored and one job of it created with its root steps.
    func withJob(_ definition: WorkflowDefinition, _ body: (PostgresClient, UUID) async throws -> Void) async throws {
        try await TestDatabase.withMigratedDatabase(maximumConnections: 6) { client in
            try await body(client, try await Self.createJob(client, definition))
        }
    }

    static func createJob(_ client: PostgresClient, _ definition: WorkflowDefinition) async throws -> UUID {
        let stored = try await WorkflowStore(client: client).save(definition, source: definition.canonicalJSON, file: nil).workflow
        let jobId = try await WorkflowEndToEndTests.createJob(version: stored, inputs: PlannerFixtures.inputs, client: client)
        // The root steps are in flight: as the dispatcher leaves them after MPS answered.
        _ = try await client.query("UPDATE steps SET state = 'submitted' WHERE job_id = \(jobId)")
        return jobId
    }

    struct Row: Equatable {
        var name: String
        var item: String?
        var run: Int
        var state: String
    }

    static func steps(_ client: PostgresClient, _ jobId: UUID) async throws -> [Row] {
        try await client.query("SELECT name, item, run, state FROM steps WHERE job_id = \(jobId) ORDER BY name, item NULLS FIRST, run")
            .map { row in
                let (name, item, run, state) = try row.decode((String, String?, Int, String).self)
                return Row(name: name, item: item, run: run, state: state)
            }
    }

    static func sessionContext(_ client: PostgresClient, _ jobId: UUID, step name: String, item: String? = nil) async throws -> String {
        try await client.query("""
            SELECT session_context FROM steps WHERE job_id = \(jobId) AND name = \(name) AND item IS NOT DISTINCT FROM \(item)
            """)[0].decode(String.self, at: 0)
    }

    static func jobState(_ client: PostgresClient, _ jobId: UUID) async throws -> String {
        try await client.query("SELECT state FROM jobs WHERE id = \(jobId)")[0].decode(String.self, at: 0)
    }

    /// Stores `notification` as the door would, and `copies - 1` duplicates made distinct (a
    /// different Timestamp), so each is a row of its own for the appliers.
    static func store(_ client: PostgresClient, _ context: String, _ statuses: [String], copies: Int = 1) async throws {
        for copy in 0..<copies {
            var notification = ApplierIntegrationTests.notification(context, statuses)
            notification.body = notification.body.replacingOccurrences(of: #""Timestamp":1"#, with: #""Timestamp":\#(copy + 1)"#)
            notification.contentHash = SHA256.hash(Array(notification.body.utf8))
            _ = try await NotificationStore(client: client).insert([notification])
        }
    }

    static func applyAll(_ client: PostgresClient, appliers: Int = 1) async throws {
        let catalog = WorkflowCatalog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<appliers {
                group.addTask {
                    let applier = Applier(client: client, batchSize: 1, catalog: catalog, logger: quiet)
                    while try await applier.applyBatch() > 0 {}
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func theCompletingNotificationPlansTheFanOutOverTheInputsThatSucceeded() async throws {
        try await withJob(PlannerFixtures.transcribeThenTranslate) { client, jobId in
            let transcribe = try await Self.sessionContext(client, jobId, step: "transcribe")
            try await Self.store(client, transcribe, ["SUCCESS", "FAIL", "SUCCESS"])
            try await Self.applyAll(client)

            #expect(try await Self.steps(client, jobId) == [
                Row(name: "transcribe", item: nil, run: 1, state: "partially_failed"),
                Row(name: "translate", item: "ja", run: 1, state: "pending"),
                Row(name: "translate", item: "ko", run: 1, state: "pending"),
            ])
            let rows = try await client.query("""
                SELECT s.item, s.request::text, array_agg(o.job_input_index ORDER BY o.input_index), s.parent_ids = ARRAY[t.id]
                FROM steps s JOIN outputs o ON o.step_id = s.id JOIN steps t ON t.job_id = s.job_id AND t.name = 'transcribe'
                WHERE s.job_id = \(jobId) AND s.name = 'translate' GROUP BY s.item, s.request::text, s.parent_ids, t.id ORDER BY s.item
                """)
            for row in rows {
                let (item, request, indexes, lineage) = try row.decode((String, String, [Int], Bool).self)
                #expect(indexes == [0, 2] && lineage)
                #expect(request.contains(#""TranslateDstLanguage": "\#(item)""#))
                #expect(request.contains("/subtitles/\(jobId.uuidString.lowercased())/translate/\(item)/"))
                #expect(!request.contains("SessionContext") && !request.contains("NotifyUrl"))
            }
            #expect(try await Self.jobState(client, jobId) == "running")
        }
    }

    @Test func duplicatedCompletingNotificationsAppliedByConcurrentAppliersPlanTheFollowUpsOnce() async throws {
        try await withJob(PlannerFixtures.transcribeThenTranslate) { client, jobId in
            let transcribe = try await Self.sessionContext(client, jobId, step: "transcribe")
            try await Self.store(client, transcribe, ["SUCCESS", "SUCCESS", "SUCCESS"], copies: 8)
            try await Self.applyAll(client, appliers: 4)
            let rows = try await Self.steps(client, jobId)
            #expect(rows.filter { $0.name == "translate" }.map(\.item) == ["ja", "ko"])
            #expect(try await ApplierIntegrationTests.outcomes(client).allSatisfy { $0 == "applied" })
        }
    }

    @Test(arguments: [false, true])
    func aFanInIsPlannedOnceWhenItsNeedsFinishConcurrently(_ reversed: Bool) async throws {
        try await withJob(PlannerFixtures.fanIn) { client, jobId in
            let vtt = try await Self.sessionContext(client, jobId, step: "vtt")
            let srt = try await Self.sessionContext(client, jobId, step: "srt")
            for context in reversed ? [srt, vtt] : [vtt, srt] {
                try await Self.store(client, context, ["SUCCESS", "SUCCESS", "FAIL"], copies: 3)
            }
            try await Self.applyAll(client, appliers: 4)
            let both = try await Self.steps(client, jobId).filter { $0.name == "both" }
            #expect(both == [Row(name: "both", item: nil, run: 1, state: "pending")])
            let parents = try await client.query("""
                SELECT cardinality(parent_ids) FROM steps WHERE job_id = \(jobId) AND name = 'both'
                """)[0].decode(Int.self, at: 0)
            #expect(parents == 2)
        }
    }

    @Test func theJobEndsWhenTheLastFollowUpFinishes() async throws {
        try await withJob(PlannerFixtures.transcribeThenTranslate) { client, jobId in
            try await Self.store(client, try await Self.sessionContext(client, jobId, step: "transcribe"), ["SUCCESS", "SUCCESS", "SUCCESS"])
            try await Self.applyAll(client)
            _ = try await client.query("UPDATE steps SET state = 'submitted' WHERE job_id = \(jobId) AND name = 'translate'")
            try await Self.store(client, try await Self.sessionContext(client, jobId, step: "translate", item: "ja"), ["SUCCESS", "SUCCESS", "SUCCESS"])
            try await Self.applyAll(client)
            #expect(try await Self.jobState(client, jobId) == "running")
            try await Self.store(client, try await Self.sessionContext(client, jobId, step: "translate", item: "ko"), ["SUCCESS", "FAIL", "SUCCESS"])
            try await Self.applyAll(client)
            #expect(try await Self.jobState(client, jobId) == "partially_failed")
        }
    }

    @Test func aRefusedStepFailsItsOutputsAndItsBranchOnFailureIsPlanned() async throws {
        try await withJob(Self.branchOnFailure) { client, jobId in
            let stepId = try await client.query("SELECT id FROM steps WHERE job_id = \(jobId) AND name = 'transcribe'")[0].decode(UUID.self, at: 0)
            _ = try await client.query("UPDATE steps SET state = 'submitting' WHERE id = \(stepId)")
            #expect(try await StepStore(client: client).markFailed(stepId, code: "InvalidParameterValue.Definition", message: "no such template"))
            // A second refusal of the same step changes nothing.
            #expect(try await !StepStore(client: client).markFailed(stepId, code: "X", message: "late"))

            let outputs = try await client.query("SELECT status, error_code FROM outputs WHERE step_id = \(stepId) ORDER BY input_index")
                .map { try $0.decode((String, String?).self) }
            #expect(outputs.allSatisfy { $0.0 == "FAIL" && $0.1 == "InvalidParameterValue.Definition" })
            #expect(try await Self.steps(client, jobId) == [
                Row(name: "rerun-all", item: nil, run: 1, state: "pending"),
                Row(name: "transcribe", item: nil, run: 1, state: "failed"),
            ])
        }
    }

    @Test func aRetryIsDueOnlyAfterItsDelay() async throws {
        let definition = WorkflowDefinition(
            name: "retry", params: ["source": .string("en")],
            steps: [
                StepTemplate(name: "transcribe", request: PlannerFixtures.request()),
                StepTemplate(
                    name: "retry", needs: ["transcribe"], when: .any(OutputMatch(state: .fail), of: nil), inputs: .failed("transcribe"),
                    delaySeconds: 60, maxRuns: 2, request: PlannerFixtures.request(language: "auto")
                ),
            ]
        )
        try await withJob(definition) { client, jobId in
            try await Self.store(client, try await Self.sessionContext(client, jobId, step: "transcribe"), ["SUCCESS", "FAIL", "SUCCESS"])
            try await Self.applyAll(client)
            let delay = try await client.query("""
                SELECT extract(epoch FROM next_attempt_at - created_at)::float8 FROM steps WHERE job_id = \(jobId) AND name = 'retry'
                """)[0].decode(Double.self, at: 0)
            #expect(delay >= 59 && delay <= 61)
            // Not claimable yet.
            #expect(try await StepStore(client: client).claimPending(limit: 10).isEmpty)
            let due = try #require(try await StepStore(client: client).untilNextDue())
            #expect(due > .seconds(50) && due <= .seconds(60))
        }
    }
}

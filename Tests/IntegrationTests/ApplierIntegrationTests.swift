import Correlation
import Foundation
import Hashing
import Intake
import Logging
import MPS
import Postgres
import Store
import Testing

/// The applier against a real PostgreSQL: notifications stored as the door stores them.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct ApplierIntegrationTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Fixture {
        let client: PostgresClient
        let correlation: CorrelationId
        let stepId: UUID
        let jobId: UUID
    }

    /// A migrated database with one job whose single step (two inputs) is `submitted`.
    func withSubmittedStep(state: String = "submitted", _ body: (Fixture) async throws -> Void) async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let (correlation, jobId, stepId) = try await TestDatabase.createStep(client, inputs: 2, state: state)
            try await body(Fixture(client: client, correlation: correlation, stepId: stepId, jobId: jobId))
        }
    }

    static func notification(_ context: String, _ statuses: [String], eventType: String = "BatchTask") -> IncomingNotification {
        let outputs = statuses.enumerated().map { index, status in
            let task = status == "SUCCESS"
                ? #","AsrFullTextTask":{"Path":"/out/\#(index).vtt","SubtitlePath":"https://b.cos.ap-guangzhou.myqcloud.com/out/\#(index).vtt"}"#
                : ""
            let failure = status == "FAIL" ? #","ErrCodeExt":"SourceFileError","Message":"source file error""# : ""
            return #"{"Status":"\#(status)","Progress":\#(status == "SUCCESS" ? 100 : 40)\#(failure)\#(task)}"#
        }.joined(separator: ",")
        let body = #"{"EventType":"\#(eventType)","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[\#(outputs)]}},"SessionContext":"\#(context)","Timestamp":1,"Sign":"x"}"#
        return IncomingNotification(
            contentHash: SHA256.hash(Array(body.utf8)), correlationId: CorrelationId(sessionContext: context)?.uuid,
            sessionContext: context, eventType: eventType, body: body
        )
    }

    static func outputs(_ fixture: Fixture) async throws -> [(String, String?, String?)] {
        let rows = try await fixture.client.query("SELECT status, subtitle_path, error_code FROM outputs WHERE step_id = \(fixture.stepId) ORDER BY input_index")
        return try rows.map { try $0.decode((String, String?, String?).self) }
    }

    static func stepState(_ fixture: Fixture) async throws -> String {
        try await fixture.client.query("SELECT state FROM steps WHERE id = \(fixture.stepId)")[0].decode(String.self, at: 0)
    }

    static func outcomes(_ client: PostgresClient) async throws -> [String] {
        try await client.query("SELECT outcome FROM notifications ORDER BY id").map { try $0.decode(String.self, at: 0) }
    }

    @Test func changeModeProgressFinishesTheStepAndTheJob() async throws {
        try await withSubmittedStep { fixture in
            let store = NotificationStore(client: fixture.client)
            let applier = Applier(client: fixture.client, logger: Self.quiet)
            let context = fixture.correlation.sessionContext
            _ = try await store.insert([Self.notification(context, ["WAITING", "WAITING"])])
            _ = try await store.insert([Self.notification(context, ["PROCESSING", "PROCESSING"])])
            #expect(try await applier.applyBatch() == 2)
            #expect(try await Self.outputs(fixture).map(\.0) == ["PROCESSING", "PROCESSING"])
            #expect(try await Self.stepState(fixture) == "submitted")
            _ = try await store.insert([Self.notification(context, ["SUCCESS", "FAIL"])])
            #expect(try await applier.applyBatch() == 1)
            let outputs = try await Self.outputs(fixture)
            #expect(outputs.map(\.0) == ["SUCCESS", "FAIL"])
            #expect(outputs[0].1 == "/out/0.vtt")
            #expect(outputs[1].2 == "SourceFileError")
            #expect(try await Self.stepState(fixture) == "partially_failed")
            let job = try await fixture.client.query("SELECT state FROM jobs WHERE id = \(fixture.jobId)")
            #expect(try job[0].decode(String.self, at: 0) == "partially_failed")
            #expect(try await Self.outcomes(fixture.client) == ["applied", "applied", "applied"])
        }
    }

    /// The duration MPS reports per input (`Metadatas[i].Duration`) is kept on the output the
    /// report completes, and counted in the stats' media at once.
    @Test func theReportedMediaDurationIsKeptOnTheSucceededOutputAndCounted() async throws {
        try await withSubmittedStep { fixture in
            let context = fixture.correlation.sessionContext
            var incoming = Self.notification(context, ["SUCCESS", "FAIL"])
            incoming.body = incoming.body.replacingOccurrences(
                of: #""BatchTaskEvent":{"#, with: #""BatchTaskEvent":{"Metadatas":[{"Duration":61.5,"Size":10},{"Duration":30}],"#
            )
            incoming.contentHash = SHA256.hash(Array(incoming.body.utf8))
            _ = try await NotificationStore(client: fixture.client).insert([incoming])
            #expect(try await Applier(client: fixture.client, logger: Self.quiet).applyBatch() == 1)
            let rows = try await fixture.client.query("SELECT status, media_seconds FROM outputs WHERE step_id = \(fixture.stepId) ORDER BY input_index")
            let outputs = try rows.map { try $0.decode((String, Double?).self) }
            #expect(outputs.map(\.0) == ["SUCCESS", "FAIL"])
            #expect(outputs.map(\.1) == [61.5, nil])
            let media = try await fixture.client.query("SELECT sum(seconds), sum(count)::bigint FROM stats_deltas WHERE kind = 'media'")
            let (seconds, files) = try media[0].decode((Double, Int).self)
            #expect(seconds == 61.5 && files == 1)
        }
    }

    @Test func anOlderNotificationAfterANewerOneChangesNothing() async throws {
        try await withSubmittedStep { fixture in
            let store = NotificationStore(client: fixture.client)
            let applier = Applier(client: fixture.client, logger: Self.quiet)
            let context = fixture.correlation.sessionContext
            _ = try await store.insert([Self.notification(context, ["SUCCESS", "SUCCESS"])])
            try await applier.applyBatch()
            _ = try await store.insert([Self.notification(context, ["PROCESSING", "WAITING"])])
            try await applier.applyBatch()
            #expect(try await Self.outputs(fixture).map(\.0) == ["SUCCESS", "SUCCESS"])
            #expect(try await Self.stepState(fixture) == "succeeded")
        }
    }

    @Test func aCallbackResolvesAnAmbiguousSubmission() async throws {
        try await withSubmittedStep(state: "submit_unknown") { fixture in
            _ = try await NotificationStore(client: fixture.client).insert([Self.notification(fixture.correlation.sessionContext, ["PROCESSING", "WAITING"])])
            try await Applier(client: fixture.client, logger: Self.quiet).applyBatch()
            #expect(try await Self.stepState(fixture) == "submitted")
        }
    }

    @Test func foreignAndUnsupportedNotificationsAreKeptNotApplied() async throws {
        try await withSubmittedStep { fixture in
            let store = NotificationStore(client: fixture.client)
            _ = try await store.insert([
                Self.notification(CorrelationId().sessionContext, ["SUCCESS", "SUCCESS"]),  // no such step
                Self.notification("not-ours", ["SUCCESS"]),
                Self.notification(fixture.correlation.sessionContext, ["SUCCESS", "SUCCESS"], eventType: "WorkflowTask"),
            ])
            try await Applier(client: fixture.client, logger: Self.quiet).applyBatch()
            #expect(try await Self.outcomes(fixture.client) == ["orphan", "orphan", "unsupported"])
            #expect(try await Self.outputs(fixture).map(\.0) == ["WAITING", "WAITING"])
        }
    }

    /// Outputs the applier cannot read (an output that is not an object) keep the notification
    /// `failed` with the reason, and change nothing; they are not applied as "nothing reported".
    @Test func aNotificationWhoseOutputsCannotBeReadIsKeptFailedNotAppliedAsEmpty() async throws {
        try await withSubmittedStep { fixture in
            let context = fixture.correlation.sessionContext
            let body = #"{"EventType":"BatchTask","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS","Progress":100},7]}},"SessionContext":"\#(context)"}"#
            _ = try await NotificationStore(client: fixture.client).insert([IncomingNotification(
                contentHash: SHA256.hash(Array(body.utf8)), correlationId: fixture.correlation.uuid,
                sessionContext: context, eventType: "BatchTask", body: body
            )])
            try await Applier(client: fixture.client, logger: Self.quiet).applyBatch()
            let (outcome, error) = try await fixture.client.query("SELECT outcome, apply_error FROM notifications")[0].decode((String, String?).self)
            #expect(outcome == "failed")
            #expect(error?.contains("Outputs") == true, "\(error ?? "no error")")
            #expect(try await Self.outputs(fixture).map(\.0) == ["WAITING", "WAITING"])
            #expect(try await Self.stepState(fixture) == "submitted")
        }
    }

    @Test func aNotificationThatFailsToApplyIsKeptReportedAndAppliedAfterTheFix() async throws {
        try await withSubmittedStep { fixture in
            // A deliberately broken step: its outputs refuse every update.
            _ = try await fixture.client.withConnection { connection in try await connection.execute(script: """
                CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'outputs are broken for this test'; END $$;
                CREATE TRIGGER broken BEFORE UPDATE ON outputs FOR EACH ROW EXECUTE FUNCTION refuse_update();
                """) }
            let store = NotificationStore(client: fixture.client)
            let other = CorrelationId()
            _ = try await store.insert([
                Self.notification(fixture.correlation.sessionContext, ["SUCCESS", "SUCCESS"]),
                Self.notification(other.sessionContext, ["SUCCESS"]),  // an orphan, applied in the same batch
            ])
            let applier = Applier(client: fixture.client, logger: Self.quiet)
            #expect(try await applier.applyBatch() == 2)
            #expect(try await Self.outcomes(fixture.client) == ["failed", "orphan"])
            let error = try await fixture.client.query("SELECT apply_error FROM notifications WHERE outcome = 'failed'")
            #expect(try error[0].decode(String?.self, at: 0)?.isEmpty == false)
            #expect(try await applier.applyBatch() == 0)  // failed ones are not retried blindly

            _ = try await fixture.client.query("DROP TRIGGER broken ON outputs")
            #expect(try await Applier.reapply(ids: nil, client: fixture.client) == 1)
            #expect(try await applier.applyBatch() == 1)
            #expect(try await Self.outcomes(fixture.client) == ["applied", "orphan"])
            #expect(try await Self.stepState(fixture) == "succeeded")
        }
    }

    @Test func tenConcurrentDeliveriesOfOneNotificationApplyOnce() async throws {
        try await withSubmittedStep { fixture in
            let store = NotificationStore(client: fixture.client)
            let notification = Self.notification(fixture.correlation.sessionContext, ["SUCCESS", "SUCCESS"])
            let fresh = try await withThrowingTaskGroup(of: [Bool].self) { group in
                for _ in 0..<10 { group.addTask { try await store.insert([notification]) } }
                var all: [Bool] = []
                for try await result in group { all += result }
                return all
            }
            #expect(fresh.filter { $0 }.count == 1)
            try await Applier(client: fixture.client, logger: Self.quiet).applyBatch()
            #expect(try await Self.outcomes(fixture.client) == ["applied"])
        }
    }
}

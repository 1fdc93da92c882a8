import Foundation
import Hashing
import Logging
import Postgres
import Store
import Testing
import Workflows

/// The Store's SQL against a migrated database.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct StoreIntegrationTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A fresh database with every repository migration applied.
    func withMigratedDatabase(_ body: (PostgresClient) async throws -> Void) async throws {
        try await TestDatabase.withMigratedDatabase(maximumConnections: 6, body)
    }

    func newJob(reference: String? = nil, urls: [String] = ["https://e.com/a.mp4", "https://e.com/b.mp4"]) -> NewJob {
        let correlation = UUID()
        return NewJob(
            clientReference: reference,
            clientContext: JSONBText(#"{"team":"subtitles"}"#),
            steps: [NewStep(
                correlationId: correlation, sessionContext: "mh1:" + correlation.uuidString.lowercased(),
                request: JSONBText(#"{"InputInfo":[]}"#), inputURLs: urls
            )]
        )
    }

    @Test func creatingAJobCommitsStepOutputsAndCorrelationAndWakesTheDispatcher() async throws {
        try await withMigratedDatabase { client in
            let notifications = try await client.listen([JobStore.stepsChannel])
            var wakeups = notifications.makeAsyncIterator()
            let job = newJob()
            let created = try await JobStore(client: client).create(job)
            #expect(created == .created(job.id))
            #expect(try await wakeups.next()?.channel == JobStore.stepsChannel)

            let step = try #require(try await StepStore(client: client).step(correlationId: job.steps[0].correlationId))
            #expect(step.state == .pending)
            #expect(step.sessionContext == job.steps[0].sessionContext)
            let outputs = try await client.query("SELECT input_index, input_url, status FROM outputs WHERE step_id = \(step.id) ORDER BY input_index")
            #expect(try outputs.map { try $0.decode((Int, String, String).self) }.map(\.1) == job.steps[0].inputURLs)
            #expect(try outputs.map { try $0.decode((Int, String, String).self) }.allSatisfy { $0.2 == "WAITING" })
        }
    }

    @Test func theSameClientReferenceReturnsTheFirstJob() async throws {
        try await withMigratedDatabase { client in
            let store = JobStore(client: client)
            let first = try await store.create(newJob(reference: "batch-2026-11-25"))
            let second = try await store.create(newJob(reference: "batch-2026-11-25"))
            #expect(second == .existing(first.jobId))
            let steps = try await client.query("SELECT count(*) FROM steps")
            #expect(try steps[0].decode(Int.self, at: 0) == 1)
        }
    }

    @Test func concurrentClaimsNeverShareAStep() async throws {
        try await withMigratedDatabase { client in
            let jobs = JobStore(client: client)
            for _ in 0..<30 { _ = try await jobs.create(newJob()) }
            let steps = StepStore(client: client)
            let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for _ in 0..<5 {
                    group.addTask { try await steps.claimPending(limit: 10).map(\.id) }
                }
                var all: [UUID] = []
                for try await batch in group { all += batch }
                return all
            }
            #expect(claimed.count == 30)
            #expect(Set(claimed).count == 30)
            #expect(try await steps.claimPending(limit: 10).isEmpty)
        }
    }

    @Test func submissionOutcomesMoveOnlyFromSubmitting() async throws {
        try await withMigratedDatabase { client in
            let jobs = JobStore(client: client)
            let steps = StepStore(client: client)
            for _ in 0..<4 { _ = try await jobs.create(newJob()) }
            let claimed = try await steps.claimPending(limit: 4)
            #expect(claimed.count == 4)
            #expect(claimed.allSatisfy { $0.submitAttempts == 1 })

            #expect(try await steps.markSubmitted(claimed[0].id, taskId: "24000030-BatchTask-a"))
            #expect(try await steps.markFailed(claimed[1].id, code: "InvalidParameter", message: "bad"))
            #expect(try await steps.markSubmitUnknown(claimed[2].id, code: "InternalError", message: "maybe"))
            #expect(try await steps.markRetry(claimed[3].id, after: .milliseconds(0), code: "RequestLimitExceeded", message: "slow"))

            // Late or repeated outcomes change nothing.
            #expect(!(try await steps.markFailed(claimed[0].id, code: "X", message: "late")))
            #expect(!(try await steps.markRetry(claimed[2].id, after: .zero, code: "X", message: "late")))
            #expect(!(try await steps.markSubmitUnknown(claimed[1].id, code: "X", message: "late")))

            #expect(try await steps.step(id: claimed[0].id)?.state == .submitted)
            #expect(try await steps.step(id: claimed[0].id)?.taskId == "24000030-BatchTask-a")
            #expect(try await steps.step(id: claimed[1].id)?.state == .failed)
            #expect(try await steps.step(id: claimed[2].id)?.state == .submitUnknown)
            #expect(try await steps.step(id: claimed[3].id)?.state == .pending)
            let again = try await steps.claimPending(limit: 4)
            #expect(again.map(\.id) == [claimed[3].id])
            #expect(again.first?.submitAttempts == 2)
        }
    }

    @Test func aTaskIdArrivingAfterTheCallbackKeepsTheFinishedState() async throws {
        try await withMigratedDatabase { client in
            _ = try await JobStore(client: client).create(newJob())
            let steps = StepStore(client: client)
            let claimed = try #require(try await steps.claimPending(limit: 1).first)
            _ = try await client.query("UPDATE steps SET state = 'succeeded' WHERE id = \(claimed.id)")
            #expect(try await steps.markSubmitted(claimed.id, taskId: "24000030-BatchTask-late"))
            let step = try #require(try await steps.step(id: claimed.id))
            #expect(step.state == .succeeded)
            #expect(step.taskId == "24000030-BatchTask-late")
        }
    }

    @Test func abandonedSubmissionsBecomeUnknownNeverPending() async throws {
        try await withMigratedDatabase { client in
            _ = try await JobStore(client: client).create(newJob())
            _ = try await JobStore(client: client).create(newJob())
            let steps = StepStore(client: client)
            let claimed = try await steps.claimPending(limit: 2)
            // As an older version (no lease) left it: judged by its age.
            _ = try await client.query("""
                UPDATE steps SET updated_at = now() - interval '10 minutes', claimed_by = NULL, lease_until = NULL WHERE id = \(claimed[0].id)
                """)
            #expect(try await steps.recoverAbandoned(olderThan: .seconds(120)) == 1)
            #expect(try await steps.step(id: claimed[0].id)?.state == .submitUnknown)
            #expect(try await steps.step(id: claimed[0].id)?.errorCode == "Interrupted")
            #expect(try await steps.step(id: claimed[1].id)?.state == .submitting)
        }
    }

    @Test func aNotificationBatchStoresOnceAndReportsDuplicates() async throws {
        try await withMigratedDatabase { client in
            let store = NotificationStore(client: client)
            let wake = try await client.listen([NotificationStore.notificationsChannel])
            var wakeups = wake.makeAsyncIterator()
            func incoming(_ body: String, correlation: UUID? = UUID()) -> IncomingNotification {
                IncomingNotification(
                    contentHash: SHA256.hash(Array(body.utf8)), correlationId: correlation, sessionContext: "mh1:x",
                    eventType: "BatchTask", body: body, headers: #"{"content-type":"application/json"}"#,
                    sourceAddress: "203.0.113.7"
                )
            }
            let first = try await store.insert([incoming(#"{"n":1}"#), incoming(#"{"n":2}"#, correlation: nil)])
            #expect(first == [true, true])
            #expect(try await wakeups.next()?.channel == NotificationStore.notificationsChannel)
            let second = try await store.insert([incoming(#"{"n":2}"#), incoming(#"{"n":3}"#), incoming(#"{"n":3}"#)])
            #expect(second == [false, true, true])
            #expect(try await store.countByOutcome() == ["pending": 3])
            let stored = try await client.query("SELECT body, headers->>'content-type', source_address, pg_column_compression(body) FROM notifications ORDER BY id LIMIT 1")
            let (body, contentType, source, _) = try stored[0].decode((String, String, String, String?).self)
            #expect(body == #"{"n":1}"#)
            #expect(contentType == "application/json")
            #expect(source == "203.0.113.7")
        }
    }

    @Test func attemptsAreLogged() async throws {
        try await withMigratedDatabase { client in
            _ = try await JobStore(client: client).create(newJob())
            let claimed = try #require(try await StepStore(client: client).claimPending(limit: 1).first)
            try await AttemptStore(client: client).record(AttemptRecord(
                stepId: claimed.id, action: "BatchProcessMedia", requestId: "r-1", errorCode: "RequestLimitExceeded",
                errorClass: "retryable", httpStatus: 200, latencyMilliseconds: 12, startedAt: Date()
            ))
            let rows = try await client.query("SELECT action, error_class, latency_ms FROM attempts WHERE step_id = \(claimed.id)")
            let (action, errorClass, latency) = try rows[0].decode((String, String?, Int).self)
            #expect(action == "BatchProcessMedia")
            #expect(errorClass == "retryable")
            #expect(latency == 12)
        }
    }
}

@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct CallPermitStoreTests {
    /// Two "replicas" (separate pools) race for 60 permits at 20 per second: no one-second
    /// window ever holds more than 20 grants, and the permits keep flowing near the limit.
    @Test func twoReplicasNeverExceedTwentyPerSecondTogether() async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        try await TestDatabase.withFreshDatabase { url in
            _ = try await TestDatabase.withClient(url: url) { setup in
                try await migrator.migrate(setup, logger: StoreIntegrationTests.quiet)
            }
            let grants = try await withThrowingTaskGroup(of: [ContinuousClock.Instant].self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await TestDatabase.withClient(url: url, maximumConnections: 4) { client in
                            let permits = CallPermitStore(client: client, bucket: "BatchProcessMedia", limit: 20, window: .seconds(1))
                            return try await withThrowingTaskGroup(of: ContinuousClock.Instant.self) { workers in
                                for _ in 0..<30 {
                                    workers.addTask {
                                        try await permits.waitForPermit()
                                        return .now
                                    }
                                }
                                var times: [ContinuousClock.Instant] = []
                                for try await time in workers { times.append(time) }
                                return times
                            }
                        }
                    }
                }
                var all: [ContinuousClock.Instant] = []
                for try await times in group { all += times }
                return all.sorted()
            }
            #expect(grants.count == 60)
            // The database's grant times are the authority (our clocks see replies late or early).
            try await TestDatabase.withClient(url: url) { client in
                let rows = try await client.query(
                    "SELECT extract(epoch FROM granted_at)::float8 FROM mps_call_permits WHERE bucket = 'BatchProcessMedia' ORDER BY granted_at"
                )
                let times = try rows.map { try $0.decode(Double.self, at: 0) }
                // At least one slot per grant; a caller that woke late gave its slot up for a new one.
                #expect(times.count >= 60)
                var busiest = 0
                for (index, start) in times.enumerated() {
                    busiest = max(busiest, times[index...].prefix { $0 - start < 1.0 }.count)
                }
                #expect(busiest <= 20, "\(busiest) grants within one second")
                let span = (times.last ?? 0) - (times.first ?? 0)
                #expect(span >= 1.9)
                #expect(span < 8)
            }
        }
    }
}

import App
import Correlation
import Foundation
import Hashing
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Intake
import Logging
import MPSEmulator
import Postgres
import API
import Store
import Synchronization
import Testing

/// Retention (``Retention``, ``RetentionStore``) against a real PostgreSQL: what a pass prunes
/// and what it must leave whole, the stats it must leave exact, and intake running meanwhile.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct RetentionTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let day: TimeInterval = 86_400

    /// A job in `state` with one step (one input) that MPS accepted; `dueIn`: see
    /// ``TestDatabase/createStep(_:inputs:state:dueIn:)``.
    static func job(_ client: PostgresClient, state: String, dueIn: Int = 0) async throws -> (correlation: CorrelationId, jobId: UUID, stepId: UUID) {
        let created = try await TestDatabase.createStep(client, dueIn: dueIn)
        _ = try await client.query("UPDATE steps SET state = 'submitted', task_id = \("t-" + UUID().uuidString) WHERE id = \(created.stepId)")
        _ = try await client.query("UPDATE jobs SET state = \(state) WHERE id = \(created.jobId)")
        return created
    }

    struct Stored: Equatable {
        var body: String
        var headers: String
        var outcome: String
        var correlation: UUID?
        var receivedAt: Date
        var prunedAt: Date?
    }

    static func insert(_ client: PostgresClient, correlation: UUID?, outcome: String, received: Date) async throws -> Int64 {
        let body = #"{"EventType":"BatchTask","Marker":"\#(UUID().uuidString)"}"#
        return try await client.query("""
            INSERT INTO notifications (content_hash, correlation_id, event_type, body, headers, source_address, received_at, outcome)
            VALUES (\(PostgresBytes(SHA256.hash(Array(body.utf8)))), \(correlation), 'BatchTask', \(body),
                '{"user-agent":"MPS","content-type":"application/json"}'::jsonb, '203.0.113.9', \(received), \(outcome))
            RETURNING id
            """)[0].decode(Int64.self, at: 0)
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    static func stored(_ client: PostgresClient) async throws -> [Int64: Stored] {
        var rows: [Int64: Stored] = [:]
        for row in try await client.query("SELECT id, body, headers::text, outcome, correlation_id, received_at, pruned_at FROM notifications") {
            let (id, body, headers, outcome, correlation, received, pruned) = try row.decode((Int64, String, String, String, UUID?, Date, Date?).self)
            rows[id] = Stored(body: body, headers: headers, outcome: outcome, correlation: correlation, receivedAt: received, prunedAt: pruned)
        }
        return rows
    }

    static func attempt(_ client: PostgresClient, stepId: UUID?, started: Date, errorCode: String? = "InternalError") async throws -> Int64 {
        try await client.query("""
            INSERT INTO attempts (step_id, action, error_code, error_class, http_status, latency_ms, started_at)
            VALUES (\(stepId), 'BatchProcessMedia', \(errorCode), \(errorCode == nil ? nil : "retryable"), 200, 12, \(started))
            RETURNING id
            """)[0].decode(Int64.self, at: 0)
    }

    static func attemptIds(_ client: PostgresClient) async throws -> Set<Int64> {
        Set(try await client.query("SELECT id FROM attempts").map { try $0.decode(Int64.self, at: 0) })
    }

    static func retention(_ client: PostgresClient, age: Duration = .seconds(30 * 86_400), attemptsAge: Duration? = nil, batchSize: Int = 2) -> Retention {
        Retention(
            client: client,
            configuration: RetentionConfiguration(enabled: true, age: age, attemptsAge: attemptsAge, batchSize: batchSize, pause: .zero),
            logger: quiet
        )
    }

    /// Old notifications of finished jobs lose body and headers, keeping everything else; recent
    /// ones, those of a running job, and pending, failed and orphan ones (which still need their
    /// body) stay whole, whatever their age. Batches of 2 make the pass walk on past rows it
    /// leaves. A second pass finds nothing.
    @Test func aPassPrunesTheOldBodiesOfFinishedJobsAndNothingElse() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let now = Date()
            let old = now.addingTimeInterval(-40 * Self.day)
            let recent = now.addingTimeInterval(-1 * Self.day)
            let finished = try await Self.job(client, state: "succeeded")
            let cancelled = try await Self.job(client, state: "cancelled")
            let running = try await Self.job(client, state: "running")

            var expectPruned: Set<Int64> = []
            var expectWhole: Set<Int64> = []
            for offset in 0..<3 {
                // Interleaved with rows that stay, so the walk passes some between batches.
                expectPruned.insert(try await Self.insert(client, correlation: finished.correlation.uuid, outcome: "applied", received: old.addingTimeInterval(Double(offset))))
                expectWhole.insert(try await Self.insert(client, correlation: running.correlation.uuid, outcome: "applied", received: old.addingTimeInterval(Double(offset) + 0.5)))
            }
            expectPruned.insert(try await Self.insert(client, correlation: finished.correlation.uuid, outcome: "unsupported", received: old))
            expectPruned.insert(try await Self.insert(client, correlation: cancelled.correlation.uuid, outcome: "applied", received: old))
            expectPruned.insert(try await Self.insert(client, correlation: nil, outcome: "unsupported", received: old))
            expectWhole.insert(try await Self.insert(client, correlation: finished.correlation.uuid, outcome: "applied", received: recent))
            expectWhole.insert(try await Self.insert(client, correlation: finished.correlation.uuid, outcome: "failed", received: old))
            expectWhole.insert(try await Self.insert(client, correlation: finished.correlation.uuid, outcome: "pending", received: old))
            expectWhole.insert(try await Self.insert(client, correlation: UUID(), outcome: "orphan", received: old))
            expectWhole.insert(try await Self.insert(client, correlation: running.correlation.uuid, outcome: "unsupported", received: old))
            let before = try await Self.stored(client)

            let pass = try await Self.retention(client).pass(now: now)
            #expect(pass == Retention.Pass(notifications: expectPruned.count, attempts: 0, yielded: false))

            let after = try await Self.stored(client)
            #expect(Set(after.keys) == Set(before.keys))
            for id in expectPruned {
                let (was, now) = (try #require(before[id]), try #require(after[id]))
                #expect(now.body == "" && now.headers == "{}", "notification \(id) keeps its body or headers")
                #expect(now.prunedAt != nil)
                #expect(now.outcome == was.outcome && now.correlation == was.correlation && now.receivedAt == was.receivedAt)
            }
            for id in expectWhole {
                #expect(after[id] == before[id], "notification \(id) (\(before[id]?.outcome ?? "?")) was changed")
            }
            #expect(try await Self.retention(client).pass(now: Date()) == Retention.Pass())
        }
    }

    /// A step resubmitted gets a new correlation id; the notifications of its earlier attempt
    /// keep the old one (the resubmit's audit row names it). While the step's job runs again,
    /// they are its job's too and stay whole; once it has ended they are pruned.
    @Test func anEarlierAttemptsNotificationsStayWholeWhileTheJobRunsAgain() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let step = try await Self.job(client, state: "running")
            let earlier = UUID()
            _ = try await client.query("""
                INSERT INTO operator_actions (actor, action, step_id, job_id, reason, before, after)
                VALUES ('ops', 'resubmit', \(step.stepId), \(step.jobId), 'lost at MPS',
                    jsonb_build_object('correlation_id', \(earlier.uuidString.lowercased())::text), '{}')
                """)
            let id = try await Self.insert(client, correlation: earlier, outcome: "applied", received: Date(timeIntervalSinceNow: -40 * Self.day))
            #expect(try await Self.retention(client).pass(now: Date()).notifications == 0)
            #expect(try await Self.stored(client)[id]?.prunedAt == nil)

            _ = try await client.query("UPDATE jobs SET state = 'succeeded' WHERE id = \(step.jobId)")
            #expect(try await Self.retention(client).pass(now: Date()).notifications == 1)
        }
    }

    /// Call records are kept unless their own age is set; then the old ones of finished jobs
    /// (and of no step) are deleted, those of a running job and recent ones kept.
    @Test func oldCallRecordsAreDeletedOnlyWithTheirOwnAgeAndNeverOfARunningJob() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let now = Date()
            let old = now.addingTimeInterval(-40 * Self.day)
            let finished = try await Self.job(client, state: "failed")
            let running = try await Self.job(client, state: "running")
            var kept: Set<Int64> = []
            var deleted: Set<Int64> = []
            for offset in 0..<3 {
                deleted.insert(try await Self.attempt(client, stepId: finished.stepId, started: old.addingTimeInterval(Double(offset))))
                kept.insert(try await Self.attempt(client, stepId: running.stepId, started: old.addingTimeInterval(Double(offset) + 0.5)))
            }
            deleted.insert(try await Self.attempt(client, stepId: nil, started: old, errorCode: nil))
            kept.insert(try await Self.attempt(client, stepId: finished.stepId, started: now.addingTimeInterval(-Self.day)))

            #expect(try await Self.retention(client).pass(now: now).attempts == 0)
            #expect(try await Self.attemptIds(client) == kept.union(deleted))

            let pass = try await Self.retention(client, attemptsAge: .seconds(30 * 86_400)).pass(now: now)
            #expect(pass.attempts == deleted.count)
            #expect(try await Self.attemptIds(client) == kept)
        }
    }

    /// While another session holds the retention lock (another replica's batch), a pass does
    /// nothing and says it yielded.
    @Test func aPassYieldsToAnotherReplicaPruning() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let finished = try await Self.job(client, state: "succeeded")
            let id = try await Self.insert(client, correlation: finished.correlation.uuid, outcome: "applied", received: Date(timeIntervalSinceNow: -40 * Self.day))
            try await client.withTransaction { connection in
                _ = try await connection.query("SELECT pg_advisory_xact_lock(\(RetentionStore.lockKey))")
                #expect(try await Self.retention(client).pass(now: Date()) == Retention.Pass(notifications: 0, attempts: 0, yielded: true))
            }
            #expect(try await Self.stored(client)[id]?.prunedAt == nil)
            #expect(try await Self.retention(client).pass(now: Date()).notifications == 1)
        }
    }

    /// Pruning keeps migration 0012's counts exact: pruning a body changes no count (outcome and
    /// time stay), and deleting a call record takes its count with it, so the kept counts equal
    /// a recount of the tables after a pass, moved before and after.
    @Test func theKeptCountsStillEqualARecountAfterPruning() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let now = Date()
            var jobs: [(correlation: CorrelationId, jobId: UUID, stepId: UUID)] = []
            for state in ["running", "succeeded", "failed", "cancelled", "partially_failed", "succeeded"] {
                jobs.append(try await Self.job(client, state: state))
            }
            let outcomes = ["applied", "unsupported", "failed", "orphan", "pending"]
            for index in 0..<60 {
                let job = jobs[index % jobs.count]
                let received = now.addingTimeInterval(-Double(index) * Self.day)
                _ = try await Self.insert(client, correlation: index % 7 == 0 ? nil : job.correlation.uuid, outcome: outcomes[index % outcomes.count], received: received)
                _ = try await Self.attempt(client, stepId: index % 5 == 0 ? nil : job.stepId, started: received, errorCode: index % 3 == 0 ? nil : "Code\(index % 4)")
            }
            let store = StatsRollupStore(client: client)
            _ = try await store.move(limit: 7)
            let notificationFacts = "SELECT count(*) FROM notifications r, stats_notification_facts(r.received_at, r.outcome) f"
            let factsBefore = try await client.query(PostgresQuery(unsafeSQL: notificationFacts))[0].decode(Int.self, at: 0)

            let pass = try await Self.retention(client, attemptsAge: .seconds(30 * 86_400), batchSize: 3).pass(now: now)
            #expect(pass.notifications > 0 && pass.attempts > 0)
            #expect(try await client.query(PostgresQuery(unsafeSQL: notificationFacts))[0].decode(Int.self, at: 0) == factsBefore)
            try await StatsRollupTests.expectKeptEqualsRecount(client, "after pruning")
            while try await store.move(limit: 5) > 0 {}
            try await StatsRollupTests.expectKeptEqualsRecount(client, "after pruning and moving")
        }
    }

    /// `GET /v1/notifications/{id}` of a pruned notification says so: no body, no headers, and
    /// `prunedAt`; everything parsed from it is still there. One not pruned has no `prunedAt`.
    @Test func aPrunedNotificationIsShownWithoutBodyOrHeadersAndWithWhenItWasPruned() async throws {
        try await ReadAPITests.withAPI { client, http, _ in
            let finished = try await Self.job(client, state: "succeeded")
            let old = try await Self.insert(client, correlation: finished.correlation.uuid, outcome: "applied", received: Date(timeIntervalSinceNow: -40 * Self.day))
            let recent = try await Self.insert(client, correlation: finished.correlation.uuid, outcome: "applied", received: Date())
            #expect(try await Self.retention(client).pass(now: Date()).notifications == 1)
            let prunedAt = try #require(try await Self.stored(client)[old]?.prunedAt)

            let pruned = try await http.execute(uri: "/v1/notifications/\(old)", method: .get)
            #expect(pruned.status == .ok)
            let document = try ReadAPITests.object(pruned)
            #expect(document["body"] == nil && document["headers"] == nil, "\(document)")
            let shownAt = try #require(document["prunedAt"] as? String)
            #expect(abs((Self.date(shownAt) ?? .distantPast).timeIntervalSince(prunedAt)) < 1, "\(shownAt)")
            #expect(document["outcome"] as? String == "applied")
            #expect(document["stepId"] as? String == APIJSON.id(finished.stepId))
            #expect(document["sourceAddress"] as? String == "203.0.113.9")

            let whole = try ReadAPITests.object(try await http.execute(uri: "/v1/notifications/\(recent)", method: .get))
            #expect(whole["prunedAt"] == nil)
            #expect((whole["body"] as? [String: Any])?["EventType"] as? String == "BatchTask")
            #expect((whole["headers"] as? [String: String])?["user-agent"] == "MPS")
        }
    }

    /// Right after a big pass, with statistics from before it (every row still prunable), the
    /// next pass's batch still reads the partial index of prunable rows, not the time index
    /// that would walk every row just pruned again.
    @Test func aBatchReadsThePrunableIndexWhateverTheStatisticsSay() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let finished = try await Self.job(client, state: "succeeded")
            _ = try await client.query("""
                INSERT INTO notifications (content_hash, correlation_id, event_type, body, received_at, outcome)
                SELECT sha256(int8send(n)), \(finished.correlation.uuid), 'BatchTask', repeat(md5(n::text), 8),
                    now() - interval '40 days' + n * interval '1 second', 'applied'
                FROM generate_series(1, 30000) n
                """)
            _ = try await client.query("INSERT INTO notifications (content_hash, correlation_id, event_type, body, received_at, outcome) SELECT sha256(int8send(n)), \(finished.correlation.uuid), 'BatchTask', '{}', now(), 'applied' FROM generate_series(30001, 31000) n")
            _ = try await client.query("VACUUM ANALYZE notifications")
            let pass = try await Self.retention(client, batchSize: 10_000).pass(now: Date())
            #expect(pass.notifications == 30000)
            let plan = try await RetentionStore(client: client).explainPruneNotifications(receivedBefore: Date(timeIntervalSinceNow: -30 * Self.day), limit: 1000)
            #expect(plan.contains("Index Scan using notifications_prunable on notifications"), "\(plan)")
        }
    }

    /// `mpshook prune`: --dry-run counts and changes nothing; then a pass prunes what it
    /// counted; --attempts-older-than deletes old call records too; a bad age is refused.
    @Test func thePruneCommandCountsThenPrunes() async throws {
        try await TestDatabase.withFreshDatabase { url in
            #expect(try await MPSHook.run(["migrate"], database: url).status == 0)
            let old = Date(timeIntervalSinceNow: -40 * Self.day)
            let id = try await TestDatabase.withClient(url: url) { client in
                let finished = try await Self.job(client, state: "succeeded")
                _ = try await Self.insert(client, correlation: finished.correlation.uuid, outcome: "applied", received: Date())
                _ = try await Self.attempt(client, stepId: finished.stepId, started: old)
                return try await Self.insert(client, correlation: finished.correlation.uuid, outcome: "applied", received: old)
            }
            let counted = try await MPSHook.run(["prune", "--dry-run", "--attempts-older-than", "30d"], database: url)
            #expect(counted.status == 0, "\(counted.stderr)")
            #expect(counted.stdout == "would prune 1 notification(s) and delete 1 call record(s)\n")
            let (untouched, attemptsLeft) = try await TestDatabase.withClient(url: url) { client in
                (try await Self.stored(client)[id], try await Self.attemptIds(client))
            }
            #expect(untouched?.prunedAt == nil && untouched?.body.isEmpty == false)
            #expect(attemptsLeft.count == 1)

            let pruned = try await MPSHook.run(["prune", "--older-than", "\(35 * 86_400)"], database: url)
            #expect(pruned.status == 0, "\(pruned.stderr)")
            #expect(pruned.stdout == "pruned 1 notification(s)\n")
            let deleted = try await MPSHook.run(["prune", "--attempts-older-than", "720h"], database: url)
            #expect(deleted.stdout == "pruned 0 notification(s), deleted 1 call record(s)\n")
            let (prunedRow, attemptsAfter) = try await TestDatabase.withClient(url: url) { client in
                (try await Self.stored(client)[id], try await Self.attemptIds(client))
            }
            #expect(prunedRow?.prunedAt != nil && prunedRow?.body == "")
            #expect(attemptsAfter.isEmpty)

            let refused = try await MPSHook.run(["prune", "--older-than", "3w"], database: url)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("--older-than must be seconds or a number with s, m, h or d"))
        }
    }

    /// One BatchTask report of a one-input step, as MPS sends it.
    static func report(_ correlation: CorrelationId, status: String, progress: Int) -> IncomingNotification {
        let task = status == "SUCCESS"
            ? #","AsrFullTextTask":{"Path":"/out/0.vtt","SubtitlePath":"https://b.cos.ap-guangzhou.myqcloud.com/out/0.vtt"}"#
            : ""
        let body = #"{"EventType":"BatchTask","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"\#(status)","Progress":\#(progress)\#(task)}]}},"SessionContext":"\#(correlation.sessionContext)","Timestamp":1,"Sign":"x"}"#
        return IncomingNotification(
            contentHash: SHA256.hash(Array(body.utf8)), correlationId: correlation.uuid, sessionContext: correlation.sessionContext,
            eventType: "BatchTask", body: body, headers: #"{"user-agent":"MPS"}"#
        )
    }

    /// The door's writer (the group commit) and the applier at load, with a pruner of a tiny age
    /// (300 ms) passing again and again meanwhile: jobs finish and their notifications become
    /// prunable while others are still arriving, duplicates of pruned ones come in, and jobs that
    /// keep running get reports all along. Afterwards every notification acknowledged is stored
    /// once and applied, every job ended as its reports say, nothing younger than the age and
    /// nothing of a running job was pruned, every row not pruned holds the body sent, and the
    /// stats still equal a recount. The senders go on until the pruner has pruned while they send.
    @Test func pruningUnderConcurrentIntakeLosesNothingRecent() async throws {
        try await TestDatabase.withMigratedDatabase(maximumConnections: 8) { client in
            let age = Duration.milliseconds(300)
            var finishing: [CorrelationId] = []
            var running: [CorrelationId] = []
            for index in 0..<44 {
                let created = try await Self.job(client, state: "running")
                if index < 40 { finishing.append(created.correlation) } else { running.append(created.correlation) }
            }
            let committer = GroupCommitter(client: client, batchSize: 16, linger: .milliseconds(1), logger: Self.quiet)
            let applier = Applier(client: client, batchSize: 20, logger: Self.quiet)
            let retention = Self.retention(client, age: age, batchSize: 5)
            let load = IntakeLoad(committer: committer)
            let deadline = ContinuousClock.now + .seconds(60)

            try await withThrowingTaskGroup(of: Void.self) { services in
                services.addTask { try await committer.run() }
                services.addTask { try await applier.run() }
                services.addTask {
                    while load.sending.load(ordering: .acquiring) {
                        let pass = try await retention.pass(now: Date())
                        load.prunedWhileSending.add(pass.notifications, ordering: .relaxed)
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                defer { services.cancelAll() }

                try await withThrowingTaskGroup(of: Void.self) { senders in
                    for lane in 0..<4 {
                        let jobs = finishing.enumerated().filter { $0.offset % 4 == lane }.map(\.element)
                        senders.addTask {
                            for job in jobs {
                                try await load.send(Self.report(job, status: "PROCESSING", progress: 40))
                                try await load.send(Self.report(job, status: "SUCCESS", progress: 100))
                                try await Task.sleep(for: .milliseconds(30))
                            }
                            // MPS resending what was stored, and by now maybe pruned.
                            for job in jobs {
                                try await load.send(Self.report(job, status: "PROCESSING", progress: 40))
                                try await load.send(Self.report(job, status: "SUCCESS", progress: 100))
                            }
                        }
                    }
                    let runningJobs = running
                    senders.addTask {
                        var progress = 1
                        while load.prunedWhileSending.load(ordering: .relaxed) < 20, ContinuousClock.now < deadline {
                            for job in runningJobs { try await load.send(Self.report(job, status: "PROCESSING", progress: progress)) }
                            progress += 1
                            try await Task.sleep(for: .milliseconds(5))
                        }
                    }
                    try await senders.waitForAll()
                }
                load.sending.store(false, ordering: .releasing)
                while try await client.query("SELECT count(*) FROM notifications WHERE outcome = 'pending'")[0].decode(Int.self, at: 0) > 0 {
                    try #require(ContinuousClock.now < deadline, "the applier did not catch up")
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            #expect(load.prunedWhileSending.load(ordering: .relaxed) >= 20, "the pruner pruned nothing while notifications arrived")

            let sentBodies = load.sent.withLock { $0 }
            let answers = load.acknowledged.withLock { $0 }
            #expect(Set(answers.keys) == Set(sentBodies.keys))
            #expect(answers.values.filter { $0 == .stored }.count == sentBodies.count, "a first delivery was not stored")
            let rows = try await client.query("""
                SELECT encode(content_hash, 'hex'), body, outcome, correlation_id, received_at, pruned_at FROM notifications
                """)
            var stored: Set<String> = []
            let runningIds = Set(running.map(\.uuid))
            var pruned = 0
            for row in rows {
                let (hash, body, outcome, correlation, received, prunedAt) = try row.decode((String, String, String, UUID?, Date, Date?).self)
                stored.insert(hash)
                #expect(outcome == "applied", "\(hash) is \(outcome)")
                if let prunedAt {
                    pruned += 1
                    #expect(prunedAt.timeIntervalSince(received) >= 0.3, "pruned \(prunedAt.timeIntervalSince(received)) s after it was received")
                    #expect(!runningIds.contains(correlation ?? UUID()), "a running job's notification was pruned")
                    #expect(body == "")
                } else {
                    #expect(body == sentBodies[hash], "\(hash) does not hold the body sent")
                }
            }
            #expect(stored == Set(sentBodies.keys) && rows.count == sentBodies.count)
            #expect(pruned >= 20)
            let states = try await client.query("""
                SELECT s.correlation_id, j.state, o.status FROM steps s JOIN jobs j ON j.id = s.job_id JOIN outputs o ON o.step_id = s.id
                """)
            for row in states {
                let (correlation, state, status) = try row.decode((UUID, String, String).self)
                let runs = runningIds.contains(correlation)
                #expect(state == (runs ? "running" : "succeeded") && status == (runs ? "PROCESSING" : "SUCCESS"), "\(correlation): \(state), \(status)")
            }
            while try await StatsRollupStore(client: client).move() > 0 {}
            try await StatsRollupTests.expectKeptEqualsRecount(client, "after intake and pruning")
        }
    }
}

/// What the concurrent-intake test sent and was answered, shared by its tasks.
final class IntakeLoad: Sendable {
    let committer: GroupCommitter
    /// Content hash (hex) → the body sent.
    let sent = Mutex<[String: String]>([:])
    /// Content hash (hex) → the door's answer (stored wins over a later duplicate).
    let acknowledged = Mutex<[String: GroupCommitter.Outcome]>([:])
    let prunedWhileSending = Atomic<Int>(0)
    let sending = Atomic<Bool>(true)

    init(committer: GroupCommitter) {
        self.committer = committer
    }

    func send(_ notification: IncomingNotification) async throws {
        let key = Hex.encode(notification.contentHash)
        sent.withLock { $0[key] = notification.body }
        let outcome = try await committer.submit(notification, timeout: .seconds(30))
        acknowledged.withLock { acknowledged in
            if acknowledged[key] == nil || outcome == .stored { acknowledged[key] = outcome }
        }
    }
}

import Foundation
import MPS
import Postgres
import Store
import Testing
import Workflows

/// The REST API's lists (`ListingStore`) against a real PostgreSQL: a fixed data set is stored
/// with its times (pairs of rows share a time, so the id breaks ties; times carry microseconds),
/// and every list, walked page by page with its cursor, must equal the same filter applied in
/// memory: each filter narrows, combined filters AND, newest first, every row exactly once.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct ListingTests {
    // MARK: The data set, as the tests expect it

    static let origin = Date(timeIntervalSince1970: 1_767_225_600.123456)

    struct Job {
        var id = UUID()
        var index: Int
        var state: JobState
        var workflow: String?
        var workflowId: Int64?
        var reference: String?
        var created: Date
    }

    struct Step {
        var id = UUID()
        var job: Job
        var name: String
        var state: StepState
        var correlation = UUID()
        var taskId: String?
        var errorCode: String?
        var created: Date
        var updated: Date
    }

    struct Output {
        var step: Step
        var index: Int
        var status: OutputState
        var languages: [String]
    }

    struct Notification {
        var id: Int64 = 0
        var correlation: UUID?
        var outcome: NotificationOutcome
        var source: NotificationSource
        var received: Date
    }

    struct Attempt {
        var id: Int64 = 0
        var step: Step
        var action: String
        var errorCode: String?
        var errorClass: MPSError.ErrorClass?
        var started: Date
    }

    struct DataSet {
        var jobs: [Job] = []
        var steps: [Step] = []
        var outputs: [Output] = []
        var notifications: [Notification] = []
        var attempts: [Attempt] = []
        /// A step resubmitted once: its earlier correlation id, kept in the audit row.
        var resubmitted: (step: Step, earlier: UUID)?
    }

    /// 24 jobs over two workflows (alpha in two versions) and bare requests, two steps each, two
    /// outputs per step, three notifications per step plus orphans, attempts per step.
    static func store(_ client: PostgresClient) async throws -> DataSet {
        var data = DataSet()
        var workflowIds: [String: [Int64]] = [:]
        for (name, version) in [("alpha", 1), ("alpha", 2), ("beta", 1)] {
            let id = try await client.query("""
                INSERT INTO workflows (name, version, content_hash, canonical, source)
                VALUES (\(name), \(version), \("\(name)-\(version)"), '{}', '{}') RETURNING id
                """)[0].decode(Int64.self, at: 0)
            workflowIds[name, default: []].append(id)
        }
        let jobStates: [JobState] = [.running, .succeeded, .failed, .partiallyFailed]
        let stepStates: [StepState] = [.pending, .submitted, .succeeded, .failed, .lost, .submitUnknown, .partiallyFailed]
        for index in 0..<24 {
            // Two jobs per minute: the second pair member ties on created_at.
            let created = origin.addingTimeInterval(Double(index / 2) * 60)
            let workflow: String? = index % 3 == 0 ? "alpha" : index % 3 == 1 ? "beta" : nil
            let workflowId = workflow.map { workflowIds[$0]![index % 2 == 0 || $0 == "beta" ? 0 : 1] }
            let job = Job(
                index: index, state: jobStates[index % 4], workflow: workflow, workflowId: workflowId,
                reference: index % 2 == 0 ? "ref-\(index)" : nil, created: created
            )
            _ = try await client.query("""
                INSERT INTO jobs (id, client_reference, state, workflow_id, created_at, updated_at)
                VALUES (\(job.id), \(job.reference), \(job.state.rawValue), \(job.workflowId), \(created), \(created))
                """)
            data.jobs.append(job)
            for (number, name) in ["first", "second"].enumerated() {
                let state = stepStates[(index * 2 + number) % stepStates.count]
                // Both steps of a job share their creation time too.
                let step = Step(
                    job: job, name: name, state: state, taskId: state == .pending ? nil : "task-\(index)-\(number)",
                    errorCode: state == .failed ? (index % 2 == 0 ? "FailedOperation.Asr" : "InvalidParameter.Url") : nil,
                    created: created, updated: created.addingTimeInterval(Double(index * 7 % 13) * 3600)
                )
                _ = try await client.query("""
                    INSERT INTO steps (id, job_id, name, correlation_id, session_context, request, state, task_id, error_code,
                        created_at, updated_at)
                    VALUES (\(step.id), \(job.id), \(name), \(step.correlation), \("mh1:" + step.correlation.uuidString),
                        '{}', \(state.rawValue), \(step.taskId), \(step.errorCode), \(step.created), \(step.updated))
                    """)
                data.steps.append(step)
                for input in 0..<2 {
                    let status: OutputState = [.success, .fail, .waiting, .processing][(index + number + input) % 4]
                    let languages = status == .success ? ["en", ["fr", "de", "ja"][(index + input) % 3]] : []
                    let results = languages.isEmpty ? nil : "[" + languages.map { #"{"kind":"translation","language":"\#($0)"}"# }
                        .joined(separator: ",") + "]"
                    _ = try await client.query("""
                        INSERT INTO outputs (step_id, input_index, job_input_index, input_url, status, results, created_at)
                        VALUES (\(step.id), \(input), \(input), \("https://e.com/\(index)-\(input).mp4"), \(status.rawValue),
                            \(results)::jsonb, \(step.created))
                        """)
                    data.outputs.append(Output(step: step, index: input, status: status, languages: languages))
                }
                for kind in 0..<3 {
                    let outcome: NotificationOutcome = [.applied, .applied, .failed, .pending, .unsupported][(index + kind) % 5]
                    let notification = Notification(
                        correlation: step.correlation, outcome: outcome, source: kind == 2 ? .poll : .callback,
                        received: created.addingTimeInterval(Double(kind) * 10)
                    )
                    data.notifications.append(try await insert(notification, client))
                }
                let failed = index % 5 == 0
                let attempt = Attempt(
                    step: step, action: number == 0 ? "BatchProcessMedia" : "DescribeBatchTaskDetail",
                    errorCode: failed ? (index % 2 == 0 ? "RequestLimitExceeded" : "InternalError") : nil,
                    errorClass: failed ? (index % 2 == 0 ? .retryable : .ambiguous) : nil, started: created
                )
                data.attempts.append(try await insert(attempt, client))
            }
        }
        // Orphans: no step has their correlation id.
        for index in 0..<4 {
            let orphan = Notification(
                correlation: UUID(), outcome: .orphan, source: .callback, received: origin.addingTimeInterval(Double(index) * 300)
            )
            data.notifications.append(try await insert(orphan, client))
        }
        // A step resubmitted: its earlier correlation id's notifications still belong to it.
        let resubmitted = data.steps[5]
        let earlier = UUID()
        _ = try await client.query("""
            INSERT INTO operator_actions (actor, action, step_id, job_id, reason, before)
            VALUES ('test', 'resubmit', \(resubmitted.id), \(resubmitted.job.id), 'test', \(#"{"correlation_id":"\#(earlier.uuidString.lowercased())"}"#)::jsonb)
            """)
        let old = Notification(correlation: earlier, outcome: .orphan, source: .callback, received: resubmitted.created.addingTimeInterval(-1))
        data.notifications.append(try await insert(old, client))
        data.resubmitted = (resubmitted, earlier)
        return data
    }

    static func insert(_ notification: Notification, _ client: PostgresClient) async throws -> Notification {
        var stored = notification
        stored.id = try await client.query("""
            INSERT INTO notifications (content_hash, correlation_id, event_type, body, headers, source, received_at, outcome)
            VALUES (\(Data(UUID().uuidString.utf8)), \(notification.correlation), 'WorkflowTask', '{"secret":"body"}',
                '{"user-agent":"test"}', \(notification.source.rawValue), \(notification.received), \(notification.outcome.rawValue))
            RETURNING id
            """)[0].decode(Int64.self, at: 0)
        return stored
    }

    static func insert(_ attempt: Attempt, _ client: PostgresClient) async throws -> Attempt {
        var stored = attempt
        stored.id = try await client.query("""
            INSERT INTO attempts (step_id, action, error_code, error_class, latency_ms, started_at)
            VALUES (\(attempt.step.id), \(attempt.action), \(attempt.errorCode), \(attempt.errorClass?.rawValue), 100, \(attempt.started))
            RETURNING id
            """)[0].decode(Int64.self, at: 0)
        return stored
    }

    // MARK: Walking

    /// Every item of a list, page by page with the cursor; checks the page sizes on the way.
    static func walk<Item, Position>(
        limit: Int, between: () async throws -> Void = {}, _ page: (Position?) async throws -> ListPage<Item, Position>
    ) async throws -> [Item] {
        var items: [Item] = []
        var position: Position?
        for _ in 0..<1000 {
            let current = try await page(position)
            #expect(current.items.count <= limit)
            items += current.items
            guard let next = current.next else { return items }
            #expect(current.items.count == limit, "a page before the last is full")
            position = next
            try await between()
        }
        Issue.record("the walk did not end")
        return items
    }

    /// Newest first: time descending, then id descending (UUIDs as PostgreSQL orders them: bytewise).
    static func newestFirst<ID: Comparable>(_ rows: [(time: Date, id: ID)]) -> [ID] {
        rows.sorted { $0.time != $1.time ? $0.time > $1.time : $0.id > $1.id }.map(\.id)
    }

    static func expectedJobs(_ data: DataSet, _ include: (Job) -> Bool) -> [String] {
        newestFirst(data.jobs.filter(include).map { ($0.created, $0.id.uuidString.lowercased()) })
    }

    static func expectedSteps(_ data: DataSet, _ include: (Step) -> Bool) -> [String] {
        newestFirst(data.steps.filter(include).map { ($0.created, $0.id.uuidString.lowercased()) })
    }

    // MARK: Jobs

    @Test func jobsEachFilterNarrowsAndTheWalkReturnsEveryRowOnceNewestFirst() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let data = try await Self.store(client)
            let store = ListingStore(client: client)
            let middle = Self.origin.addingTimeInterval(5 * 60)
            let late = Self.origin.addingTimeInterval(9 * 60)
            let someStep = data.steps[8]
            #expect(someStep.taskId != nil)
            let cases: [(String, JobFilter, (Job) -> Bool)] = [
                ("none", JobFilter(), { _ in true }),
                ("state", JobFilter(states: [.failed]), { $0.state == .failed }),
                ("states", JobFilter(states: [.failed, .running, .failed]), { $0.state == .failed || $0.state == .running }),
                ("workflow (two versions)", JobFilter(workflow: "alpha"), { $0.workflow == "alpha" }),
                ("workflow unknown", JobFilter(workflow: "nope"), { _ in false }),
                ("createdSince", JobFilter(createdSince: middle), { $0.created >= middle }),
                ("createdUntil", JobFilter(createdUntil: middle), { $0.created < middle }),
                ("clientReference", JobFilter(clientReference: "ref-4"), { $0.reference == "ref-4" }),
                ("taskId", JobFilter(taskId: someStep.taskId), { $0.id == someStep.job.id }),
                ("correlationId", JobFilter(correlationId: someStep.correlation), { $0.id == someStep.job.id }),
                (
                    "workflow + states + since + until",
                    JobFilter(states: [.running, .failed, .succeeded], workflow: "alpha", createdSince: middle, createdUntil: late),
                    { $0.workflow == "alpha" && [.running, .failed, .succeeded].contains($0.state) && $0.created >= middle && $0.created < late }
                ),
                ("taskId + wrong state", JobFilter(states: [.cancelled], taskId: someStep.taskId), { _ in false }),
            ]
            for (name, filter, include) in cases {
                let expected = Self.expectedJobs(data, include)
                for limit in [1, 3, 50] {
                    let walked = try await Self.walk(limit: limit) { try await store.jobs(filter, after: $0, limit: limit) }
                    #expect(walked.map { $0.id.uuidString.lowercased() } == expected, "\(name), limit \(limit)")
                }
            }
            // The items carry what was stored: typed state, workflow reference, times.
            let job = try #require(try await store.jobs(JobFilter(clientReference: "ref-0"), limit: 5).items.first)
            #expect(job.state == data.jobs[0].state)
            #expect(job.workflow?.name == "alpha" && job.workflow?.version == 1)
            #expect(job.createdAt == data.jobs[0].created)
        }
    }

    @Test func jobsCursorWalkIsStableWhenRowsAreInsertedBetweenPages() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let data = try await Self.store(client)
            let store = ListingStore(client: client)
            var inserted = 0
            let walked = try await Self.walk(limit: 4, between: {
                // Newer jobs (as the API creates them: now) arrive while a dashboard pages.
                inserted += 1
                _ = try await client.query("INSERT INTO jobs (id, state) VALUES (\(UUID()), 'running')")
            }) { try await store.jobs(JobFilter(), after: $0, limit: 4) }
            #expect(inserted == 5)
            #expect(walked.map { $0.id.uuidString.lowercased() } == Self.expectedJobs(data) { _ in true })
            // The new rows are on a new first page.
            let first = try await store.jobs(JobFilter(), limit: 50)
            #expect(first.items.count == 29)
        }
    }

    @Test func limitIsHonouredAndBounded() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            _ = try await Self.store(client)
            let store = ListingStore(client: client)
            #expect(try await store.jobs(JobFilter(), limit: 7).items.count == 7)
            #expect(try await store.jobs(JobFilter(), limit: 7).next != nil)
            // 0 or less reads one row; more than the maximum reads the maximum.
            #expect(try await store.jobs(JobFilter(), limit: 0).items.count == 1)
            _ = try await client.query("""
                INSERT INTO notifications (content_hash, event_type, body, received_at)
                SELECT sha256(int8send(n)), 'WorkflowTask', '{}', now() FROM generate_series(1, 250) n
                """)
            #expect(try await store.notifications(NotificationFilter(), limit: 10_000).items.count == ListingStore.maximumLimit)
            // Exactly all rows: no next page.
            let all = try await store.jobs(JobFilter(), limit: 24)
            #expect(all.items.count == 24 && all.next == nil)
        }
    }

    // MARK: Steps

    @Test func stepsEachFilterNarrowsAndCombinedFiltersAnd() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let data = try await Self.store(client)
            let store = ListingStore(client: client)
            let hourLater = Self.origin.addingTimeInterval(3 * 3600)
            let middle = Self.origin.addingTimeInterval(5 * 60)
            let step = data.steps[9]
            let cases: [(String, StepFilter, (Step) -> Bool)] = [
                ("none", StepFilter(), { _ in true }),
                ("state", StepFilter(states: [.lost]), { $0.state == .lost }),
                ("states", StepFilter(states: [.failed, .submitUnknown]), { $0.state == .failed || $0.state == .submitUnknown }),
                ("workflow", StepFilter(workflow: "alpha"), { $0.job.workflow == "alpha" }),
                ("jobId", StepFilter(jobId: step.job.id), { $0.job.id == step.job.id }),
                ("name", StepFilter(name: "second"), { $0.name == "second" }),
                ("createdSince", StepFilter(createdSince: middle), { $0.created >= middle }),
                ("createdUntil", StepFilter(createdUntil: middle), { $0.created < middle }),
                ("updatedSince", StepFilter(updatedSince: hourLater), { $0.updated >= hourLater }),
                ("updatedUntil", StepFilter(updatedUntil: hourLater), { $0.updated < hourLater }),
                (
                    "failed, updated since (the failed steps of the last hour)",
                    StepFilter(states: [.failed], updatedSince: hourLater), { $0.state == .failed && $0.updated >= hourLater }
                ),
                ("taskId", StepFilter(taskId: step.taskId), { $0.id == step.id }),
                ("correlationId", StepFilter(correlationId: step.correlation), { $0.id == step.id }),
                ("clientReference", StepFilter(clientReference: "ref-6"), { $0.job.reference == "ref-6" }),
                ("errorCode", StepFilter(errorCode: "FailedOperation.Asr"), { $0.errorCode == "FailedOperation.Asr" }),
                (
                    "workflow + states + name",
                    StepFilter(states: [.pending, .succeeded, .failed], workflow: "beta", name: "first"),
                    { $0.job.workflow == "beta" && [.pending, .succeeded, .failed].contains($0.state) && $0.name == "first" }
                ),
                (
                    "states + errorCode + createdSince",
                    StepFilter(states: [.failed, .lost], createdSince: middle, errorCode: "InvalidParameter.Url"),
                    { [.failed, .lost].contains($0.state) && $0.created >= middle && $0.errorCode == "InvalidParameter.Url" }
                ),
            ]
            for (name, filter, include) in cases {
                let expected = Self.expectedSteps(data, include)
                #expect(!expected.isEmpty || name == "none", "\(name) matches something in the data set")
                for limit in [1, 4, 50] {
                    let walked = try await Self.walk(limit: limit) { try await store.steps(filter, after: $0, limit: limit) }
                    #expect(walked.map { $0.id.uuidString.lowercased() } == expected, "\(name), limit \(limit)")
                }
            }
            let item = try #require(try await store.steps(StepFilter(taskId: step.taskId), limit: 1).items.first)
            #expect(item.state == step.state && item.jobId == step.job.id && item.correlationId == step.correlation)
            #expect(item.workflow?.name == step.job.workflow)
        }
    }

    // MARK: Outputs

    @Test func outputsEachFilterNarrowsNewestStepFirst() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let data = try await Self.store(client)
            let store = ListingStore(client: client)
            let step = data.steps[10]
            let cases: [(String, OutputFilter, (Output) -> Bool)] = [
                ("none", OutputFilter(), { _ in true }),
                ("jobId", OutputFilter(jobId: step.job.id), { $0.step.job.id == step.job.id }),
                ("stepId", OutputFilter(stepId: step.id), { $0.step.id == step.id }),
                ("input", OutputFilter(input: 1), { $0.index == 1 }),
                ("language", OutputFilter(language: "ja"), { $0.languages.contains("ja") }),
                ("status", OutputFilter(statuses: [.fail]), { $0.status == .fail }),
                ("statuses", OutputFilter(statuses: [.waiting, .processing]), { $0.status == .waiting || $0.status == .processing }),
                (
                    "language + input + status", OutputFilter(input: 0, language: "fr", statuses: [.success]),
                    { $0.languages.contains("fr") && $0.index == 0 && $0.status == .success }
                ),
            ]
            for (name, filter, include) in cases {
                let expected = data.outputs.filter(include).sorted {
                    ($0.step.created, $0.step.id.uuidString.lowercased(), $0.index) > ($1.step.created, $1.step.id.uuidString.lowercased(), $1.index)
                }.map { "\($0.step.id.uuidString.lowercased())/\($0.index)" }
                #expect(!expected.isEmpty, "\(name) matches something in the data set")
                for limit in [1, 3, 50] {
                    let walked = try await Self.walk(limit: limit) { try await store.outputs(filter, after: $0, limit: limit) }
                    #expect(walked.map { "\($0.stepId.uuidString.lowercased())/\($0.output.inputIndex)" } == expected, "\(name), limit \(limit)")
                }
            }
            let success = try #require(try await store.outputs(OutputFilter(language: "ja"), limit: 1).items.first)
            #expect(success.output.status == .success && success.output.files.contains { $0.language == "ja" })
        }
    }

    // MARK: Notifications

    @Test func notificationsEachFilterNarrowsAndTheListCarriesNoBody() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let data = try await Self.store(client)
            let store = ListingStore(client: client)
            let step = data.steps[3]
            let job = data.steps[14].job
            let (resubmitted, earlier) = try #require(data.resubmitted)
            let middle = Self.origin.addingTimeInterval(5 * 60)
            let stepOf: [UUID: Step] = Dictionary(uniqueKeysWithValues: data.steps.map { ($0.correlation, $0) })
            let cases: [(String, NotificationFilter, (Notification) -> Bool)] = [
                ("none", NotificationFilter(), { _ in true }),
                ("outcome", NotificationFilter(outcomes: [.orphan]), { $0.outcome == .orphan }),
                (
                    "outcomes (a branch each)", NotificationFilter(outcomes: [.failed, .unsupported, .pending]),
                    { [.failed, .unsupported, .pending].contains($0.outcome) }
                ),
                ("source", NotificationFilter(source: .poll), { $0.source == .poll }),
                ("stepId", NotificationFilter(stepId: step.id), { $0.correlation == step.correlation }),
                (
                    "stepId of a resubmitted step: its earlier attempt's too", NotificationFilter(stepId: resubmitted.id),
                    { $0.correlation == resubmitted.correlation || $0.correlation == earlier }
                ),
                (
                    "jobId", NotificationFilter(jobId: job.id),
                    { $0.correlation.flatMap { stepOf[$0] }?.job.id == job.id }
                ),
                ("taskId", NotificationFilter(taskId: step.taskId), { $0.correlation == step.correlation }),
                ("correlationId", NotificationFilter(correlationId: earlier), { $0.correlation == earlier }),
                ("receivedSince", NotificationFilter(receivedSince: middle), { $0.received >= middle }),
                ("receivedUntil", NotificationFilter(receivedUntil: middle), { $0.received < middle }),
                (
                    "outcomes + source + receivedSince", NotificationFilter(outcomes: [.applied, .failed], source: .callback, receivedSince: middle),
                    { [.applied, .failed].contains($0.outcome) && $0.source == .callback && $0.received >= middle }
                ),
            ]
            for (name, filter, include) in cases {
                let expected = Self.newestFirst(data.notifications.filter(include).map { ($0.received, $0.id) })
                #expect(!expected.isEmpty, "\(name) matches something in the data set")
                for limit in [1, 4, 50] {
                    let walked = try await Self.walk(limit: limit) { try await store.notifications(filter, after: $0, limit: limit) }
                    #expect(walked.map(\.id) == expected, "\(name), limit \(limit)")
                }
            }
            let listed = try #require(try await store.notifications(NotificationFilter(stepId: step.id), limit: 1).items.first)
            #expect(listed.stepId == step.id && listed.jobId == step.job.id && listed.taskId == step.taskId)
            let detail = try #require(try await store.notification(listed.id))
            #expect(detail.notification == listed)
            #expect(detail.body == #"{"secret":"body"}"# && detail.headers?.contains("user-agent") == true && detail.prunedAt == nil)
            #expect(try await store.notification(-1) == nil)
        }
    }

    // MARK: Attempts

    @Test func attemptsEachFilterNarrows() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let data = try await Self.store(client)
            let store = ListingStore(client: client)
            let step = data.steps[4]
            let middle = Self.origin.addingTimeInterval(5 * 60)
            let cases: [(String, AttemptFilter, (Attempt) -> Bool)] = [
                ("none", AttemptFilter(), { _ in true }),
                ("stepId", AttemptFilter(stepId: step.id), { $0.step.id == step.id }),
                ("jobId", AttemptFilter(jobId: step.job.id), { $0.step.job.id == step.job.id }),
                ("action", AttemptFilter(action: "DescribeBatchTaskDetail"), { $0.action == "DescribeBatchTaskDetail" }),
                ("errorClass", AttemptFilter(errorClass: .ambiguous), { $0.errorClass == .ambiguous }),
                ("errorCode", AttemptFilter(errorCode: "RequestLimitExceeded"), { $0.errorCode == "RequestLimitExceeded" }),
                ("startedSince", AttemptFilter(startedSince: middle), { $0.started >= middle }),
                ("startedUntil", AttemptFilter(startedUntil: middle), { $0.started < middle }),
                (
                    "action + errorClass + startedSince", AttemptFilter(action: "BatchProcessMedia", errorClass: .retryable, startedSince: middle),
                    { $0.action == "BatchProcessMedia" && $0.errorClass == .retryable && $0.started >= middle }
                ),
            ]
            for (name, filter, include) in cases {
                let expected = Self.newestFirst(data.attempts.filter(include).map { ($0.started, $0.id) })
                #expect(!expected.isEmpty, "\(name) matches something in the data set")
                for limit in [1, 4, 50] {
                    let walked = try await Self.walk(limit: limit) { try await store.attempts(filter, after: $0, limit: limit) }
                    #expect(walked.map(\.id) == expected, "\(name), limit \(limit)")
                }
            }
            let attempt = try #require(try await store.attempts(AttemptFilter(errorClass: .ambiguous), limit: 1).items.first)
            #expect(attempt.errorClass == .ambiguous && attempt.errorCode == "InternalError" && attempt.jobId != nil)
        }
    }
}

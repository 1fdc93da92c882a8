import ArgumentParser
import Foundation
import Logging
import MPS
import Postgres
import Store
import Workflows

/// `listings`: times every REST API list (`ListingStore`, the functions the API calls) for a
/// page on every documented filter combination, over the data set of deploy/bench/api-queries.sql:
/// the first page, and a deep page reached by following the cursor; p50/p99 over `--runs` runs
/// each, and `EXPLAIN (ANALYZE, BUFFERS)` of both statements, written to the report.
struct Listings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Times the REST API's list queries (first and deep page, every documented filter) and writes a report with their plans."
    )

    @Option(help: "PostgreSQL URL of the loaded database.")
    var databaseURL: String

    @Option(help: "Timed runs per page.")
    var runs = 200

    @Option(help: "Rows per page.")
    var limit = 50

    @Option(help: "Pages followed by cursor to reach the deep page.")
    var deepPages = 20

    @Option(help: "The p99 target in milliseconds (a case above it is marked).")
    var targetMilliseconds = 5.0

    @Option(help: "Only the cases whose name contains this text.")
    var only: String?

    @Option(help: "Where to write the report (Markdown).")
    var report: String

    func run() async throws {
        let client = PostgresClient(
            configuration: PostgresConfiguration(url: databaseURL, maximumConnections: 1),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        do {
            try await measure(client: client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    private func measure(client: PostgresClient) async throws {
        let store = ListingStore(client: client)
        let samples = try await Samples.read(client)
        var cases = ListCase.all(store: store, samples: samples, limit: limit)
        if let only { cases = cases.filter { $0.name.contains(only) } }

        var lines = try await header(client, samples: samples)
        var plans: [String] = []
        var slow: [String] = []
        lines.append("| list | filter | rows | first p50 | first p99 | deep rows | deep p50 | deep p99 | plan |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---|")
        for list in cases {
            let first = try await list.fetch(nil)
            // Follow the cursor; the deep page is the one after the last cursor reached.
            var position = first.next
            var depth = first.count
            var deepPosition: (any Sendable)?
            for _ in 1..<max(deepPages, 1) {
                guard let current = position else { break }
                deepPosition = current
                let page = try await list.fetch(current)
                guard page.next != nil else { break }
                depth += page.count
                position = page.next
            }
            if let position { deepPosition = position }
            let firstTimes = try await time(list, at: nil)
            let deepTimes = deepPosition == nil ? nil : try await time(list, at: deepPosition)

            let firstPlan = try await list.explain(store, nil)
            let deepPlan = deepPosition == nil ? [] : try await list.explain(store, deepPosition)
            let warnings = Self.planWarnings(firstPlan + deepPlan)
            let p99s = [firstTimes.p99] + (deepTimes.map { [$0.p99] } ?? [])
            if p99s.contains(where: { $0 >= targetMilliseconds }) || !warnings.isEmpty {
                slow.append("\(list.resource) \(list.name)")
            }
            let deepColumns = deepTimes.map { ["\(depth)", Self.format($0.p50), Self.mark(Self.format($0.p99), $0.p99 >= targetMilliseconds)] }
                ?? ["–", "–", "–"]
            lines.append(
                "| \(list.resource) | \(list.name) | \(first.count) | \(Self.format(firstTimes.p50)) | "
                    + "\(Self.mark(Self.format(firstTimes.p99), firstTimes.p99 >= targetMilliseconds)) | "
                    + deepColumns.joined(separator: " | ") + " | \(warnings.isEmpty ? "index" : warnings.joined(separator: ", ")) |"
            )
            print(lines.last ?? "")
            plans.append("### \(list.resource): \(list.name)\n\nFirst page:\n\n```\n\(firstPlan.joined(separator: "\n"))\n```\n")
            if deepPosition != nil {
                plans.append("Deep page (after \(depth) rows):\n\n```\n\(deepPlan.joined(separator: "\n"))\n```\n")
            }
        }
        lines.append("")
        lines.append(
            slow.isEmpty
                ? "Every case: p99 < \(Self.format(targetMilliseconds)) ms, no sequential scan, no sort of more than 1000 rows."
                : "Above the target or with a sequential scan / big sort: \(slow.joined(separator: "; "))."
        )
        lines.append("")
        lines.append("## Plans (`EXPLAIN (ANALYZE, BUFFERS)`)")
        lines.append("")
        try (lines + plans).joined(separator: "\n").write(toFile: report, atomically: true, encoding: .utf8)
        print("report: \(report)")
        print(lines[lines.count - 3])
    }

    private func header(_ client: PostgresClient, samples: Samples) async throws -> [String] {
        var counts: [String] = []
        for table in ["jobs", "steps", "outputs", "notifications", "attempts"] {
            let count = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"))[0].decode(Int.self, at: 0)
            counts.append("\(table) \(count)")
        }
        let version = try await client.query("SELECT version()")[0].decode(String.self, at: 0)
        let settings = try await client.query("""
            SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings
            WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'jit')
            """)[0].decode(String.self, at: 0)
        return [
            "# REST API list queries",
            "",
            "- rows: \(counts.joined(separator: ", "))",
            "- \(version); \(settings)",
            "- \(runs) timed runs per page after 5 unmeasured ones, one connection, the client's round trip included "
                + "(statement, rows, decoding); page \(limit) rows; deep page: after following the cursor up to \(deepPages) pages",
            "- \"now\" for relative windows: \(samples.now) (the newest notification); times in ms",
            "",
        ]
    }

    private func time(_ list: ListCase, at position: (any Sendable)?) async throws -> (p50: Double, p99: Double) {
        for _ in 0..<5 { _ = try await list.fetch(position) }
        var times: [Double] = []
        times.reserveCapacity(runs)
        let clock = ContinuousClock()
        for _ in 0..<runs {
            let start = clock.now
            _ = try await list.fetch(position)
            times.append(Double((clock.now - start) / .microseconds(1)) / 1000)
        }
        times.sort()
        // Nearest rank.
        func percentile(_ p: Double) -> Double { times[min(times.count - 1, Int((p * Double(times.count)).rounded(.up)) - 1)] }
        return (percentile(0.50), percentile(0.99))
    }

    /// Sequential scans of the big tables, and sorts of more than 1000 rows.
    static func planWarnings(_ plan: [String]) -> [String] {
        var warnings: Set<String> = []
        for line in plan {
            // A sequential scan of a small table (workflows, operator_actions) is the planner's right choice.
            for table in ["jobs", "steps", "outputs", "notifications", "attempts"] where line.contains("Seq Scan on \(table) ") {
                warnings.insert("SEQ SCAN on \(table)")
            }
            if line.contains("Sort  ("), let rows = actualRows(line), rows > 1000 {
                warnings.insert("SORT \(rows) rows")
            }
        }
        return warnings.sorted()
    }

    static func actualRows(_ line: String) -> Int? {
        guard let range = line.range(of: "actual time=") else { return nil }
        let rest = line[range.upperBound...]
        guard let rows = rest.range(of: "rows=") else { return nil }
        return Int(rest[rows.upperBound...].prefix { $0.isNumber })
    }

    static func format(_ milliseconds: Double) -> String {
        String(format: "%.2f", milliseconds)
    }

    static func mark(_ text: String, _ slow: Bool) -> String {
        slow ? "**\(text)**" : text
    }
}

/// Ids and values from the loaded data to filter by: a job in the middle, its steps, the newest time.
struct Samples: Sendable {
    var now: Date
    var jobId: UUID
    var stepId: UUID
    var taskId: String
    var correlationId: UUID
    var clientReference: String
    var orphanCorrelationId: UUID

    static func read(_ client: PostgresClient) async throws -> Samples {
        let now = try await client.query("SELECT max(received_at) FROM notifications")[0].decode(Date.self, at: 0)
        // A job of the middle of the range with a reference and a step with a TaskId.
        let (jobId, reference, stepId, taskId, correlation) = try await client.query("""
            SELECT j.id, j.client_reference, s.id, s.task_id, s.correlation_id
            FROM jobs j JOIN steps s ON s.job_id = j.id
            WHERE j.client_reference = (SELECT 'ref-' || (count(*) / 2 / 2 * 2) FROM jobs) AND s.task_id IS NOT NULL
            ORDER BY s.created_at LIMIT 1
            """)[0].decode((UUID, String, UUID, String, UUID).self)
        let orphan = try await client.query("""
            SELECT correlation_id FROM notifications WHERE outcome = 'orphan' AND correlation_id IS NOT NULL
            ORDER BY received_at DESC LIMIT 1 OFFSET 1000
            """)[0].decode(UUID.self, at: 0)
        return Samples(
            now: now, jobId: jobId, stepId: stepId, taskId: taskId, correlationId: correlation, clientReference: reference,
            orphanCorrelationId: orphan
        )
    }
}

/// One list and filter: fetches a page from a position (nil: the first page) and explains it.
struct ListCase {
    var resource: String
    var name: String
    var fetch: (_ position: (any Sendable)?) async throws -> (count: Int, next: (any Sendable)?)
    var query: (_ position: (any Sendable)?) async throws -> PostgresQuery?

    func explain(_ store: ListingStore, _ position: (any Sendable)?) async throws -> [String] {
        guard let statement = try await query(position) else { return ["(no statement: nothing can match)"] }
        return try await store.explain(statement)
    }

    static func make<Item, Position: Sendable>(
        _ resource: String, _ name: String,
        fetch: @escaping (Position?) async throws -> ListPage<Item, Position>,
        query: @escaping (Position?) async throws -> PostgresQuery?
    ) -> ListCase {
        ListCase(
            resource: resource, name: name,
            fetch: { position in
                let page = try await fetch(position as? Position)
                return (page.items.count, page.next)
            },
            query: { position in try await query(position as? Position) }
        )
    }

    /// Every documented filter combination (README, "REST API list queries").
    static func all(store: ListingStore, samples: Samples, limit: Int) -> [ListCase] {
        let hour = samples.now.addingTimeInterval(-3600)
        let day = samples.now.addingTimeInterval(-86400)
        let week = samples.now.addingTimeInterval(-7 * 86400)
        let halfDay = samples.now.addingTimeInterval(-43200)

        func jobs(_ name: String, _ filter: JobFilter) -> ListCase {
            make("jobs", name, fetch: { try await store.jobs(filter, after: $0, limit: limit) },
                 query: { try await store.jobsQuery(filter, after: $0, limit: limit) })
        }
        func steps(_ name: String, _ filter: StepFilter) -> ListCase {
            make("steps", name, fetch: { try await store.steps(filter, after: $0, limit: limit) },
                 query: { try await store.stepsQuery(filter, after: $0, limit: limit) })
        }
        func outputs(_ name: String, _ filter: OutputFilter) -> ListCase {
            make("outputs", name, fetch: { try await store.outputs(filter, after: $0, limit: limit) },
                 query: { store.outputsQuery(filter, after: $0, limit: limit) })
        }
        func notifications(_ name: String, _ filter: NotificationFilter) -> ListCase {
            make("notifications", name, fetch: { try await store.notifications(filter, after: $0, limit: limit) },
                 query: { store.notificationsQuery(filter, after: $0, limit: limit) })
        }
        func attempts(_ name: String, _ filter: AttemptFilter) -> ListCase {
            make("attempts", name, fetch: { try await store.attempts(filter, after: $0, limit: limit) },
                 query: { store.attemptsQuery(filter, after: $0, limit: limit) })
        }

        return [
            jobs("none", JobFilter()),
            jobs("state=failed", JobFilter(states: [.failed])),
            jobs("state=cancelled (rare)", JobFilter(states: [.cancelled])),
            jobs("state=running (newest only)", JobFilter(states: [.running])),
            jobs("state=failed,partially_failed", JobFilter(states: [.failed, .partiallyFailed])),
            jobs("workflow", JobFilter(workflow: "wf-1")),
            jobs("workflow + state=failed", JobFilter(states: [.failed], workflow: "wf-2")),
            jobs("createdSince=1h", JobFilter(createdSince: hour)),
            jobs("createdSince=1d + createdUntil=12h", JobFilter(createdSince: day, createdUntil: halfDay)),
            jobs("state=failed + createdSince=1d", JobFilter(states: [.failed], createdSince: day)),
            jobs("workflow + createdSince=1w", JobFilter(workflow: "wf-3", createdSince: week)),
            jobs("clientReference", JobFilter(clientReference: samples.clientReference)),
            jobs("taskId", JobFilter(taskId: samples.taskId)),
            jobs("correlationId", JobFilter(correlationId: samples.correlationId)),

            steps("none", StepFilter()),
            steps("state=failed", StepFilter(states: [.failed])),
            steps("state=lost (rare)", StepFilter(states: [.lost])),
            steps("state=failed,lost,submit_unknown", StepFilter(states: [.failed, .lost, .submitUnknown])),
            steps("state=failed + updatedSince=1h (failed in the last hour)", StepFilter(states: [.failed], updatedSince: hour)),
            steps("state=failed + updatedSince=1d", StepFilter(states: [.failed], updatedSince: day)),
            steps("state=failed + createdSince=1d", StepFilter(states: [.failed], createdSince: day)),
            steps("workflow", StepFilter(workflow: "wf-3")),
            steps("workflow + state=failed", StepFilter(states: [.failed], workflow: "wf-4")),
            steps("workflow + name", StepFilter(workflow: "wf-1", name: "translate")),
            steps("name", StepFilter(name: "translate")),
            steps("createdSince=1h", StepFilter(createdSince: hour)),
            steps("createdSince=1d + createdUntil=12h", StepFilter(createdSince: day, createdUntil: halfDay)),
            steps("jobId", StepFilter(jobId: samples.jobId)),
            steps("taskId", StepFilter(taskId: samples.taskId)),
            steps("correlationId", StepFilter(correlationId: samples.correlationId)),
            steps("clientReference", StepFilter(clientReference: samples.clientReference)),
            steps("errorCode", StepFilter(errorCode: "InvalidParameter.Url")),
            steps("errorCode + createdSince=1d", StepFilter(createdSince: day, errorCode: "ResourceNotFound.File")),
            steps("state=failed + errorCode", StepFilter(states: [.failed], errorCode: "FailedOperation.Asr")),

            outputs("none", OutputFilter()),
            outputs("jobId", OutputFilter(jobId: samples.jobId)),
            outputs("stepId", OutputFilter(stepId: samples.stepId)),
            outputs("jobId + input", OutputFilter(jobId: samples.jobId, input: 0)),
            outputs("input", OutputFilter(input: 1)),
            outputs("language", OutputFilter(language: "ja")),
            outputs("status=FAIL", OutputFilter(statuses: [.fail])),
            outputs("status=WAITING,PROCESSING", OutputFilter(statuses: [.waiting, .processing])),
            outputs("language + status=SUCCESS", OutputFilter(language: "fr", statuses: [.success])),

            notifications("none", NotificationFilter()),
            notifications("outcome=applied", NotificationFilter(outcomes: [.applied])),
            notifications("outcome=orphan", NotificationFilter(outcomes: [.orphan])),
            notifications("outcome=failed", NotificationFilter(outcomes: [.failed])),
            notifications("outcome=unsupported (rare)", NotificationFilter(outcomes: [.unsupported])),
            notifications("outcome=pending", NotificationFilter(outcomes: [.pending])),
            notifications("outcome=orphan,failed,unsupported", NotificationFilter(outcomes: [.orphan, .failed, .unsupported])),
            notifications("source=poll", NotificationFilter(source: .poll)),
            notifications("source=callback", NotificationFilter(source: .callback)),
            notifications("source=poll + outcome=applied", NotificationFilter(outcomes: [.applied], source: .poll)),
            notifications("receivedSince=1h", NotificationFilter(receivedSince: hour)),
            notifications("receivedSince=1d + receivedUntil=12h", NotificationFilter(receivedSince: day, receivedUntil: halfDay)),
            notifications("outcome=failed + receivedSince=1d", NotificationFilter(outcomes: [.failed], receivedSince: day)),
            notifications("stepId", NotificationFilter(stepId: samples.stepId)),
            notifications("jobId", NotificationFilter(jobId: samples.jobId)),
            notifications("taskId", NotificationFilter(taskId: samples.taskId)),
            notifications("correlationId", NotificationFilter(correlationId: samples.correlationId)),
            notifications("correlationId (an orphan's)", NotificationFilter(correlationId: samples.orphanCorrelationId)),
            notifications("jobId + outcome=applied", NotificationFilter(outcomes: [.applied], jobId: samples.jobId)),

            attempts("none", AttemptFilter()),
            attempts("stepId", AttemptFilter(stepId: samples.stepId)),
            attempts("jobId", AttemptFilter(jobId: samples.jobId)),
            attempts("action", AttemptFilter(action: "DescribeBatchTaskDetail")),
            attempts("errorClass=ambiguous", AttemptFilter(errorClass: .ambiguous)),
            attempts("errorCode", AttemptFilter(errorCode: "RequestLimitExceeded")),
            attempts("startedSince=1h", AttemptFilter(startedSince: hour)),
            attempts("errorClass=retryable + startedSince=1d", AttemptFilter(errorClass: .retryable, startedSince: day)),
            attempts("action + errorCode", AttemptFilter(action: "BatchProcessMedia", errorCode: "InternalError")),
        ]
    }
}

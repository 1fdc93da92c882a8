import API
import Access
import App
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MPS
import NIOCore
import Postgres
import Prometheus
import Store
import Testing
import Workflows

/// The read routes of the REST API (`GET /v1/jobs|steps|outputs|notifications|attempts`, one
/// step, one notification) through the router `serve` builds, on a real PostgreSQL, with a key of
/// scope `read`: every filter narrows the list to what it names, the cursor walks every row once
/// newest first, bad parameters are 400 naming the parameter, and no secret reaches a document.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct ReadAPITests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    /// Times carry a fraction, so cursors must keep microseconds.
    static let base = Date(timeIntervalSince1970: 1_767_225_600.123456)

    /// One job with its one step, as seeded.
    struct Row {
        var index: Int
        var jobId = UUID()
        var stepId = UUID()
        var correlation = UUID()
        var jobState: JobState
        var workflow: String?
        var reference: String
        var created: Date
        var stepName: String
        var stepState: StepState
        var taskId: String?
        var errorCode: String?
        var updated: Date
    }

    struct OutputRow {
        var row: Row
        var input: Int
        var status: OutputState
        var languages: [String]
        var key: String { "\(APIJSON.id(row.stepId)).\(input)" }
    }

    struct NotificationRow {
        var id: Int64
        var row: Row?
        var correlation: UUID
        var outcome: NotificationOutcome
        var source: NotificationSource
        var received: Date
    }

    struct AttemptRow {
        var id: Int64
        var row: Row?
        var action: String
        var errorClass: MPSError.ErrorClass?
        var errorCode: String?
        var started: Date
    }

    struct Seed {
        var rows: [Row] = []
        var outputs: [OutputRow] = []
        var notifications: [NotificationRow] = []
        var attempts: [AttemptRow] = []
    }

    /// Six jobs of one step each (jobs 4 and 5 created at the same time: the id breaks the tie),
    /// two outputs per step, notifications (callbacks, failed polls, orphans) and MPS calls.
    static func seed(_ client: PostgresClient) async throws -> Seed {
        var seed = Seed()
        let workflowId = try await client.query("""
            INSERT INTO workflows (name, version, content_hash, canonical, source) VALUES ('alpha', 1, 'h', '{}', '{}') RETURNING id
            """)[0].decode(Int64.self, at: 0)
        let jobStates: [JobState] = [.running, .failed, .succeeded, .running, .partiallyFailed, .cancelled]
        let stepStates: [StepState] = [.pending, .failed, .succeeded, .submitted, .failed, .lost]
        for index in 0..<6 {
            let created = base.addingTimeInterval(Double(min(index, 4)) * 60)
            let row = Row(
                index: index, jobState: jobStates[index], workflow: index % 2 == 0 ? "alpha" : nil, reference: "ref-\(index)",
                created: created, stepName: index < 3 ? "first" : "second", stepState: stepStates[index],
                taskId: index == 0 ? nil : "task-\(index)",
                errorCode: index == 1 ? "FailedOperation.Asr" : index == 4 ? "InvalidParameter.Url" : nil,
                updated: created.addingTimeInterval(Double(6 - index) * 3600)
            )
            _ = try await client.query("""
                INSERT INTO jobs (id, client_reference, state, workflow_id, created_at, updated_at)
                VALUES (\(row.jobId), \(row.reference), \(row.jobState.rawValue), \(row.workflow == nil ? nil : workflowId), \(created), \(created))
                """)
            _ = try await client.query("""
                INSERT INTO steps (id, job_id, name, correlation_id, session_context, request, state, task_id, error_code, created_at, updated_at)
                VALUES (\(row.stepId), \(row.jobId), \(row.stepName), \(row.correlation), \("mh1:" + row.correlation.uuidString),
                    '{}', \(row.stepState.rawValue), \(row.taskId), \(row.errorCode), \(created), \(row.updated))
                """)
            seed.rows.append(row)
            for input in 0..<2 {
                let status: OutputState = input == 1 ? .waiting : index % 2 == 0 ? .success : .fail
                let languages = status == .success ? (index % 3 == 0 ? ["en", "fr"] : ["en"]) : []
                let results = languages.isEmpty ? nil : "[" + languages.enumerated().map { number, language in
                    #"{"kind":"\#(number == 0 ? "recognition" : "translation")","language":"\#(language)","path":"/out/\#(index)/\#(language).vtt"}"#
                }.joined(separator: ",") + "]"
                _ = try await client.query("""
                    INSERT INTO outputs (step_id, input_index, job_input_index, input_url, status, results, subtitle_path)
                    VALUES (\(row.stepId), \(input), \(input), \("https://e.com/\(index)-\(input).mp4?sig=secret-\(index)"), \(status.rawValue),
                        \(results)::jsonb, \(languages.isEmpty ? nil : "/out/\(index)/en.vtt"))
                    """)
                seed.outputs.append(OutputRow(row: row, input: input, status: status, languages: languages))
            }
            seed.notifications.append(try await notification(row: row, correlation: row.correlation, outcome: .applied, source: .callback, received: created.addingTimeInterval(10), client))
            if index % 2 == 1 {
                seed.notifications.append(try await notification(row: row, correlation: row.correlation, outcome: .failed, source: .poll, received: created.addingTimeInterval(20), client))
            }
            seed.attempts.append(try await attempt(
                row: row, action: "BatchProcessMedia", errorClass: index == 1 ? .final : index == 4 ? .retryable : nil,
                errorCode: index == 1 ? "InvalidParameter" : index == 4 ? "RequestLimitExceeded" : nil, started: created.addingTimeInterval(1), client
            ))
            if index == 3 {
                seed.attempts.append(try await attempt(row: row, action: "DescribeBatchTaskDetail", errorClass: nil, errorCode: nil, started: created.addingTimeInterval(30), client))
            }
        }
        // Outputs are created with their step, at its time.
        _ = try await client.query("UPDATE outputs o SET created_at = s.created_at FROM steps s WHERE s.id = o.step_id")
        for offset in [5.0, 7.0] {
            seed.notifications.append(try await notification(row: nil, correlation: UUID(), outcome: .orphan, source: .callback, received: base.addingTimeInterval(offset), client))
        }
        seed.attempts.append(try await attempt(row: nil, action: "DescribeBatchTaskDetail", errorClass: .ambiguous, errorCode: "InternalError", started: base.addingTimeInterval(3), client))
        return seed
    }

    static func notification(
        row: Row?, correlation: UUID, outcome: NotificationOutcome, source: NotificationSource, received: Date, _ client: PostgresClient
    ) async throws -> NotificationRow {
        let id = try await client.query("""
            INSERT INTO notifications (content_hash, correlation_id, event_type, body, source, received_at, outcome)
            VALUES (uuid_send(gen_random_uuid()), \(correlation), 'WorkflowTask', '{}', \(source.rawValue), \(received), \(outcome.rawValue))
            RETURNING id
            """)[0].decode(Int64.self, at: 0)
        return NotificationRow(id: id, row: row, correlation: correlation, outcome: outcome, source: source, received: received)
    }

    static func attempt(
        row: Row?, action: String, errorClass: MPSError.ErrorClass?, errorCode: String?, started: Date, _ client: PostgresClient
    ) async throws -> AttemptRow {
        let id = try await client.query("""
            INSERT INTO attempts (step_id, action, error_code, error_class, http_status, latency_ms, started_at)
            VALUES (\(row?.stepId), \(action), \(errorCode), \(errorClass?.rawValue), 200, 42, \(started))
            RETURNING id
            """)[0].decode(Int64.self, at: 0)
        return AttemptRow(id: id, row: row, action: action, errorClass: errorClass, errorCode: errorCode, started: started)
    }

    // MARK: The API

    /// A migrated fresh database and the router `serve` builds; `http` sends a key of scope
    /// `read` with every request, `bare` sends none.
    static func withAPI(
        _ body: @escaping @Sendable (PostgresClient, any TestClientProtocol, any TestClientProtocol) async throws -> Void
    ) async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: Self.quiet)
                let readiness = DatabaseReadiness(client: client, migrator: migrator, interval: .seconds(1), logger: Self.quiet)
                let router = Server.makeRouter(readiness: readiness, registry: PrometheusCollectorRegistry(), api: RESTAPI(client: client))
                try await Application(router: router, logger: Self.quiet).test(.router) { bare in
                    let keyed = KeyedTestClient(base: bare, key: try await APITestKeys.bearer(client, .read))
                    try await body(client, keyed, bare)
                }
            }
        }
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
    }

    /// Every item of the list at `path` with `query`, page by page (`limit` each), by `key`;
    /// each page but the last is full, and the walk ends.
    static func walk(
        _ http: some TestClientProtocol, _ path: String, _ query: String, limit: Int = 2, key: ([String: Any]) -> String?
    ) async throws -> [String] {
        var keys: [String] = []
        var cursor: String?
        for _ in 0..<100 {
            var uri = "/v1/\(path)?limit=\(limit)" + (query.isEmpty ? "" : "&" + query)
            if let cursor { uri += "&cursor=" + cursor }
            let response = try await http.execute(uri: uri, method: .get)
            try #require(response.status == .ok, "\(uri): \(response.status) \(String(buffer: response.body))")
            #expect(response.headers[.contentType] == "application/json")
            let page = try object(response)
            let items = try #require(page["items"] as? [[String: Any]])
            keys += try items.map { try #require(key($0)) }
            cursor = page["nextCursor"] as? String
            guard cursor != nil else { return keys }
            #expect(items.count == limit, "\(uri): a page before the last is full")
        }
        Issue.record("\(path)?\(query): the cursor did not end")
        return keys
    }

    static func id(_ item: [String: Any]) -> String? {
        if let text = item["id"] as? String { return text }
        return (item["id"] as? NSNumber).map { "\($0.int64Value)" }
    }

    /// Newest first by (time, id), as every list orders.
    static func newestFirst<Item>(_ items: [Item], time: (Item) -> Date, id: (Item) -> String) -> [String] {
        items.sorted { time($0) != time($1) ? time($0) > time($1) : id($0) > id($1) }.map(id)
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    // MARK: Lists

    @Test func jobsFiltersNarrowAndTheCursorWalksEveryJobOnceNewestFirst() async throws {
        try await Self.withAPI { client, http, _ in
            let seed = try await Self.seed(client)
            let rows = seed.rows
            let cases: [(String, (Row) -> Bool)] = [
                ("", { _ in true }),
                ("state=running", { $0.jobState == .running }),
                ("state=failed,cancelled", { [.failed, .cancelled].contains($0.jobState) }),
                ("state=failed&state=succeeded", { [.failed, .succeeded].contains($0.jobState) }),
                ("workflow=alpha", { $0.workflow == "alpha" }),
                ("workflow=nothing", { _ in false }),
                ("createdSince=\(Self.percentEncoded(Self.time(Self.base.addingTimeInterval(60))))", { $0.created >= Self.base.addingTimeInterval(60) }),
                ("createdUntil=\(Self.percentEncoded(Self.time(Self.base.addingTimeInterval(120))))", { $0.created < Self.base.addingTimeInterval(120) }),
                ("clientReference=ref-3", { $0.reference == "ref-3" }),
                ("taskId=task-2", { $0.taskId == "task-2" }),
                ("correlationId=\(rows[4].correlation.uuidString)", { $0.index == 4 }),
                ("state=running&workflow=alpha", { $0.jobState == .running && $0.workflow == "alpha" }),
            ]
            for (query, included) in cases {
                let expected = Self.newestFirst(rows.filter(included), time: \.created, id: { APIJSON.id($0.jobId) })
                let walked = try await Self.walk(http, "jobs", query, key: Self.id)
                #expect(walked == expected, "jobs?\(query)")
                if !query.isEmpty { #expect(expected.count < rows.count, "jobs?\(query) narrows") }
            }
            // One item in full.
            let page = try Self.object(try await http.execute(uri: "/v1/jobs?clientReference=ref-0", method: .get))
            let item = try #require((page["items"] as? [[String: Any]])?.first)
            #expect(item["state"] as? String == "running")
            #expect((item["workflow"] as? [String: Any])?["name"] as? String == "alpha")
            #expect(item["createdAt"] as? String != nil)
            #expect(page["nextCursor"] == nil)
        }
    }

    @Test func stepsFiltersNarrowAndTheCursorWalksEveryStepOnceNewestFirst() async throws {
        try await Self.withAPI { client, http, _ in
            let rows = try await Self.seed(client).rows
            let hourAfter = Self.base.addingTimeInterval(4 * 3600)
            let cases: [(String, (Row) -> Bool)] = [
                ("", { _ in true }),
                ("state=failed", { $0.stepState == .failed }),
                ("state=lost,pending", { [.lost, .pending].contains($0.stepState) }),
                ("workflow=alpha", { $0.workflow == "alpha" }),
                ("jobId=\(rows[2].jobId.uuidString)", { $0.index == 2 }),
                ("name=second", { $0.stepName == "second" }),
                ("createdSince=\(Self.percentEncoded(Self.time(Self.base.addingTimeInterval(180))))", { $0.created >= Self.base.addingTimeInterval(180) }),
                ("createdUntil=\(Self.percentEncoded(Self.time(Self.base.addingTimeInterval(180))))", { $0.created < Self.base.addingTimeInterval(180) }),
                ("updatedSince=\(Self.percentEncoded(Self.time(hourAfter)))", { $0.updated >= hourAfter }),
                ("updatedUntil=\(Self.percentEncoded(Self.time(hourAfter)))", { $0.updated < hourAfter }),
                ("taskId=task-5", { $0.taskId == "task-5" }),
                ("correlationId=\(rows[1].correlation.uuidString.lowercased())", { $0.index == 1 }),
                ("clientReference=ref-4", { $0.reference == "ref-4" }),
                ("errorCode=FailedOperation.Asr", { $0.errorCode == "FailedOperation.Asr" }),
                // "The failed steps of the last hour", as a dashboard asks.
                ("state=failed&updatedSince=\(Self.percentEncoded(Self.time(hourAfter)))", { $0.stepState == .failed && $0.updated >= hourAfter }),
            ]
            for (query, included) in cases {
                let expected = Self.newestFirst(rows.filter(included), time: \.created, id: { APIJSON.id($0.stepId) })
                let walked = try await Self.walk(http, "steps", query, key: Self.id)
                #expect(walked == expected, "steps?\(query)")
                if !query.isEmpty { #expect(expected.count < rows.count, "steps?\(query) narrows") }
            }
        }
    }

    @Test func outputsFiltersNarrowAndTheCursorWalksEveryOutputOnce() async throws {
        try await Self.withAPI { client, http, _ in
            let seed = try await Self.seed(client)
            let outputs = seed.outputs
            let cases: [(String, (OutputRow) -> Bool)] = [
                ("", { _ in true }),
                ("jobId=\(seed.rows[3].jobId.uuidString)", { $0.row.index == 3 }),
                ("stepId=\(seed.rows[0].stepId.uuidString)", { $0.row.index == 0 }),
                ("input=1", { $0.input == 1 }),
                ("language=fr", { $0.languages.contains("fr") }),
                ("language=en&input=0", { $0.languages.contains("en") && $0.input == 0 }),
                ("status=FAIL", { $0.status == .fail }),
                ("status=SUCCESS,WAITING", { [.success, .waiting].contains($0.status) }),
            ]
            for (query, included) in cases {
                // Newest step first, then step id, then the last input first.
                let expected = outputs.filter(included).sorted {
                    ($0.row.created, APIJSON.id($0.row.stepId), $0.input) > ($1.row.created, APIJSON.id($1.row.stepId), $1.input)
                }.map(\.key)
                let walked = try await Self.walk(http, "outputs", query, limit: 3) { item in
                    guard let step = item["stepId"] as? String, let input = item["inputIndex"] as? Int else { return nil }
                    return "\(step).\(input)"
                }
                #expect(walked == expected, "outputs?\(query)")
                if !query.isEmpty { #expect(expected.count < outputs.count, "outputs?\(query) narrows") }
            }
            // Subtitle paths and files, and the input URL without its signature.
            let page = try Self.object(try await http.execute(uri: "/v1/outputs?stepId=\(seed.rows[0].stepId.uuidString)&input=0", method: .get))
            let item = try #require((page["items"] as? [[String: Any]])?.first)
            #expect(item["subtitlePath"] as? String == "/out/0/en.vtt")
            #expect((item["files"] as? [[String: Any]])?.compactMap { $0["language"] as? String } == ["en", "fr"])
            #expect(item["inputUrl"] as? String == "https://e.com/0-0.mp4?<redacted>")
            #expect(item["step"] as? String == "first")
            #expect(item["jobId"] as? String == APIJSON.id(seed.rows[0].jobId))
        }
    }

    @Test func notificationsFiltersNarrowAndTheCursorWalksEveryNotificationOnce() async throws {
        try await Self.withAPI { client, http, _ in
            let seed = try await Self.seed(client)
            let notifications = seed.notifications
            let since = Self.base.addingTimeInterval(60)
            let orphan = try #require(notifications.last)
            let cases: [(String, (NotificationRow) -> Bool)] = [
                ("", { _ in true }),
                ("outcome=orphan", { $0.outcome == .orphan }),
                ("outcome=failed,orphan", { [.failed, .orphan].contains($0.outcome) }),
                ("source=poll", { $0.source == .poll }),
                ("stepId=\(seed.rows[1].stepId.uuidString)", { $0.row?.index == 1 }),
                ("jobId=\(seed.rows[3].jobId.uuidString)", { $0.row?.index == 3 }),
                ("taskId=task-5", { $0.row?.taskId == "task-5" }),
                ("correlationId=\(orphan.correlation.uuidString)", { $0.correlation == orphan.correlation }),
                ("receivedSince=\(Self.percentEncoded(Self.time(since)))", { $0.received >= since }),
                ("receivedUntil=\(Self.percentEncoded(Self.time(since)))", { $0.received < since }),
            ]
            for (query, included) in cases {
                let expected = notifications.filter(included).sorted { ($0.received, $0.id) > ($1.received, $1.id) }.map { "\($0.id)" }
                let walked = try await Self.walk(http, "notifications", query, key: Self.id)
                #expect(walked == expected, "notifications?\(query)")
                if !query.isEmpty { #expect(expected.count < notifications.count, "notifications?\(query) narrows") }
            }
            // A list item never carries the body or the headers; it names its step.
            let page = try Self.object(try await http.execute(uri: "/v1/notifications?stepId=\(seed.rows[1].stepId.uuidString)&source=poll", method: .get))
            let item = try #require((page["items"] as? [[String: Any]])?.first)
            #expect(item["body"] == nil && item["headers"] == nil)
            #expect(item["stepId"] as? String == APIJSON.id(seed.rows[1].stepId))
            #expect(item["outcome"] as? String == "failed")
        }
    }

    @Test func attemptsFiltersNarrowAndTheCursorWalksEveryCallOnce() async throws {
        try await Self.withAPI { client, http, _ in
            let seed = try await Self.seed(client)
            let attempts = seed.attempts
            let until = Self.base.addingTimeInterval(120)
            let cases: [(String, (AttemptRow) -> Bool)] = [
                ("", { _ in true }),
                ("stepId=\(seed.rows[3].stepId.uuidString)", { $0.row?.index == 3 }),
                ("jobId=\(seed.rows[1].jobId.uuidString)", { $0.row?.index == 1 }),
                ("action=DescribeBatchTaskDetail", { $0.action == "DescribeBatchTaskDetail" }),
                ("errorClass=retryable", { $0.errorClass == .retryable }),
                ("errorCode=InternalError", { $0.errorCode == "InternalError" }),
                ("startedSince=\(Self.percentEncoded(Self.time(until)))", { $0.started >= until }),
                ("startedUntil=\(Self.percentEncoded(Self.time(until)))", { $0.started < until }),
            ]
            for (query, included) in cases {
                let expected = attempts.filter(included).sorted { ($0.started, $0.id) > ($1.started, $1.id) }.map { "\($0.id)" }
                let walked = try await Self.walk(http, "attempts", query, key: Self.id)
                #expect(walked == expected, "attempts?\(query)")
                if !query.isEmpty { #expect(expected.count < attempts.count, "attempts?\(query) narrows") }
            }
            let page = try Self.object(try await http.execute(uri: "/v1/attempts?errorClass=final", method: .get))
            let item = try #require((page["items"] as? [[String: Any]])?.first)
            #expect(item["errorCode"] as? String == "InvalidParameter")
            #expect(item["latencyMs"] as? Int == 42)
            #expect(item["stepId"] as? String == APIJSON.id(seed.rows[1].stepId))
            #expect(item["jobId"] as? String == APIJSON.id(seed.rows[1].jobId))
        }
    }

    @Test func aCursorIsStableUnderInsertsOfNewerRows() async throws {
        try await Self.withAPI { client, http, _ in
            let seed = try await Self.seed(client)
            let first = try Self.object(try await http.execute(uri: "/v1/jobs?limit=3", method: .get))
            let cursor = try #require(first["nextCursor"] as? String)
            // A newer job arrives between the pages.
            _ = try await client.query("INSERT INTO jobs (id, state) VALUES (\(UUID()), 'running')")
            let second = try Self.object(try await http.execute(uri: "/v1/jobs?limit=3&cursor=\(cursor)", method: .get))
            let ids = ((first["items"] as? [[String: Any]]) ?? []).compactMap(Self.id) + ((second["items"] as? [[String: Any]]) ?? []).compactMap(Self.id)
            #expect(ids == Self.newestFirst(seed.rows, time: \.created, id: { APIJSON.id($0.jobId) }))
        }
    }

    // MARK: Refusals

    /// An inverted range is a question with no rows, not a bad parameter (no JSON Schema could
    /// say otherwise), on every list with a time range.
    @Test func aRangeEndingBeforeItStartsListsNothing() async throws {
        try await Self.withAPI { _, http, _ in
            for uri in [
                "/v1/jobs?createdSince=2026-01-02T00:00:00Z&createdUntil=2026-01-01T00:00:00Z",
                "/v1/steps?updatedSince=2026-01-02T00:00:00Z&updatedUntil=2026-01-01T23:59:59Z",
                "/v1/notifications?receivedSince=2100-01-02T00:00:00Z&receivedUntil=1970-01-01T00:00:00Z",
                "/v1/attempts?startedSince=2026-01-02T00:00:00Z&startedUntil=2026-01-01T00:00:00%2B01:00",
            ] {
                let response = try await http.execute(uri: uri, method: .get)
                #expect(response.status == .ok, "\(uri)")
                let object = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
                #expect((object?["items"] as? [Any])?.isEmpty == true, "\(uri)")
            }
        }
    }

    @Test func badParametersAre400NamingTheParameter() async throws {
        try await Self.withAPI { _, http, _ in
            let jobsCursor = PageCursor(list: "jobs", time: Self.base, id: APIJSON.id(UUID())).text
            let cases: [(String, String)] = [
                ("/v1/jobs?stat=failed", "stat"),
                ("/v1/jobs?state=finished", "state"),
                ("/v1/jobs?state=running,", "state"),
                ("/v1/jobs?createdSince=yesterday", "createdSince"),
                ("/v1/jobs?correlationId=42", "correlationId"),
                ("/v1/jobs?limit=0", "limit"),
                ("/v1/jobs?limit=201", "limit"),
                ("/v1/jobs?limit=ten", "limit"),
                ("/v1/jobs?cursor=not-a-cursor", "cursor"),
                ("/v1/jobs?clientReference=" + String(repeating: "r", count: 201), "clientReference"),
                ("/v1/jobs?taskId=a%00b", "taskId"),
                ("/v1/jobs?taskId=", "taskId"),
                ("/v1/jobs?taskId=a&taskId=b", "taskId"),
                ("/v1/steps?cursor=\(jobsCursor)", "cursor"),
                ("/v1/steps?state=done", "state"),
                ("/v1/steps?jobId=nope", "jobId"),
                ("/v1/steps?updatedSince=2026-13-01T00:00:00Z", "updatedSince"),
                ("/v1/steps/\(UUID().uuidString)?verbose=1", "verbose"),
                ("/v1/outputs?input=-1", "input"),
                ("/v1/outputs?input=x", "input"),
                ("/v1/outputs?status=success", "status"),
                ("/v1/outputs?language=" + String(repeating: "x", count: 21), "language"),
                ("/v1/outputs?stepId=1", "stepId"),
                ("/v1/outputs?cursor=\(PageCursor(list: "outputs", time: Self.base, id: "x.1").text)", "cursor"),
                ("/v1/notifications?outcome=duplicate", "outcome"),
                ("/v1/notifications?source=callback,poll", "source"),
                ("/v1/notifications?source=webhook", "source"),
                ("/v1/notifications?receivedSince=2026-01-01", "receivedSince"),
                ("/v1/notifications?cursor=\(PageCursor(list: "notifications", time: Self.base, id: "abc").text)", "cursor"),
                ("/v1/attempts?errorClass=fatal", "errorClass"),
                ("/v1/attempts?cursor=\(jobsCursor)", "cursor"),
            ]
            for (uri, parameter) in cases {
                let response = try await http.execute(uri: uri, method: .get)
                #expect(response.status == .badRequest, "\(uri): \(response.status)")
                #expect(response.headers[.contentType] == "application/problem+json", "\(uri)")
                let problem = try Self.object(response)
                #expect(problem["type"] as? String == "urn:mpshook:problem:invalid-parameter", "\(uri)")
                let fields = (problem["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String }
                #expect(fields == [parameter], "\(uri): \(String(buffer: response.body))")
            }
        }
    }

    @Test func anUnknownOrMalformedIdIs404() async throws {
        try await Self.withAPI { client, http, _ in
            _ = try await Self.seed(client)
            let cases: [(String, String)] = [
                ("/v1/steps/\(UUID().uuidString)", "step"), ("/v1/steps/not-a-uuid", "step"),
                ("/v1/notifications/987654321", "notification"), ("/v1/notifications/abc", "notification"),
                ("/v1/notifications/-1", "notification"), ("/v1/notifications/0", "notification"),
                ("/v1/notifications/99999999999999999999999", "notification"),
            ]
            for (uri, what) in cases {
                let response = try await http.execute(uri: uri, method: .get)
                #expect(response.status == .notFound, "\(uri)")
                #expect(try Self.object(response)["type"] as? String == "urn:mpshook:problem:\(what)-not-found", "\(uri)")
            }
        }
    }

    @Test func withoutAKeyTheReadRoutesAre401() async throws {
        try await Self.withAPI { _, _, bare in
            for path in ["jobs", "steps", "steps/\(UUID().uuidString)", "outputs", "notifications", "notifications/1", "attempts"] {
                let response = try await bare.execute(uri: "/v1/\(path)", method: .get)
                #expect(response.status == .unauthorized, "\(path)")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(path)")
            }
        }
    }

    // MARK: One step, one notification

    static let notifyToken = "tok3n-SECRET-4e1d"
    static let notifyKey = "notify-KEY-secret-77"
    static let s3Key = "S3-SECRET-KEY-99"
    static let urlSignature = "sign=SIGNATURE-0042"
    static let sign = "07bc9e65362e16c2078bf4b8e93f9a03"

    @Test func aStepShowsItsRequestWithoutSecretsAndItsAttemptsNotificationsActionsAndOutputs() async throws {
        try await Self.withAPI { client, http, _ in
            let seed = try await Self.seed(client)
            let row = seed.rows[1]
            // A request as it went out, secrets and all (an older version's row, or one written by hand).
            let request = """
                {"InputInfo":[{"Type":"URL","UrlInputInfo":{"Url":"https://e.com/in.mp4?\(Self.urlSignature)"}},
                              {"Type":"S3","S3InputInfo":{"S3Bucket":"b","S3Region":"us-east-1","S3Object":"/o.mp4","S3SecretId":"AKID","S3SecretKey":"\(Self.s3Key)"}}],
                 "OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-1250000000","Region":"ap-guangzhou"}},"OutputDir":"/subs/",
                 "SmartSubtitlesTask":{"Definition":0},
                 "TaskNotifyConfig":{"NotifyType":"URL","NotifyMode":"Finish",
                    "NotifyUrl":"https://hooks.example.com/mps/notify?token=\(Self.notifyToken)","NotifyKey":"\(Self.notifyKey)"}}
                """
            let earlier = UUID()
            _ = try await client.query("UPDATE steps SET request = \(request)::jsonb, polls = 2 WHERE id = \(row.stepId)")
            _ = try await client.query("""
                INSERT INTO operator_actions (actor, action, step_id, job_id, reason, before, after)
                VALUES ('key:oncall/0123456789ab', 'resubmit', \(row.stepId), \(row.jobId), 'no task in the console',
                    jsonb_build_object('state', 'lost', 'correlation_id', \(earlier.uuidString.lowercased()), 'task_id', NULL),
                    jsonb_build_object('state', 'pending', 'correlation_id', \(row.correlation.uuidString.lowercased())))
                """)
            let old = try await Self.notification(row: nil, correlation: earlier, outcome: .orphan, source: .callback, received: Self.base, client)

            let response = try await http.execute(uri: "/v1/steps/\(row.stepId.uuidString)", method: .get)
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            for secret in [Self.notifyToken, Self.notifyKey, Self.s3Key, Self.urlSignature, "secret-1"] {
                #expect(!text.contains(secret), "the step document shows \(secret)")
            }
            let step = try Self.object(response)
            #expect(step["id"] as? String == APIJSON.id(row.stepId))
            #expect(step["state"] as? String == "failed")
            #expect(step["jobState"] as? String == "failed")
            #expect(step["taskId"] as? String == "task-1")
            #expect(step["polls"] as? Int == 2)
            let sent = try #require(step["request"] as? [String: Any])
            let notify = try #require(sent["TaskNotifyConfig"] as? [String: Any])
            #expect(notify["NotifyUrl"] as? String == "https://hooks.example.com/mps/notify?<redacted>")
            #expect(notify["NotifyKey"] as? String == "<redacted>")
            #expect(notify["NotifyMode"] as? String == "Finish")
            #expect(sent["OutputDir"] as? String == "/subs/")
            let inputs = try #require(sent["InputInfo"] as? [[String: Any]])
            #expect((inputs[0]["UrlInputInfo"] as? [String: Any])?["Url"] as? String == "https://e.com/in.mp4?<redacted>")
            #expect((inputs[1]["S3InputInfo"] as? [String: Any])?["S3SecretKey"] as? String == "<redacted>")

            let attempts = try #require(step["attempts"] as? [[String: Any]])
            #expect(attempts.map { $0["errorClass"] as? String } == ["final"])
            #expect(attempts.first?["errorCode"] as? String == "InvalidParameter")
            let notifications = try #require(step["notifications"] as? [[String: Any]])
            let expectedIds = [old.id] + seed.notifications.filter { $0.row?.index == 1 }.map(\.id)
            #expect(notifications.compactMap { ($0["id"] as? NSNumber)?.int64Value }.sorted() == expectedIds.sorted())
            #expect(notifications.first { ($0["id"] as? NSNumber)?.int64Value == old.id }?["currentAttempt"] as? Bool == false)
            #expect(Set(notifications.compactMap { $0["outcome"] as? String }) == ["orphan", "applied", "failed"])
            #expect(notifications.allSatisfy { $0["receivedAt"] is String && $0["source"] is String })
            let actions = try #require(step["actions"] as? [[String: Any]])
            #expect(actions.count == 1)
            #expect(actions.first?["actor"] as? String == "key:oncall/0123456789ab")
            #expect((actions.first?["before"] as? [String: Any])?["correlationId"] as? String == earlier.uuidString.lowercased())
            let outputs = try #require(step["outputs"] as? [[String: Any]])
            #expect(outputs.compactMap { $0["inputUrl"] as? String }.sorted() == ["https://e.com/1-0.mp4?<redacted>", "https://e.com/1-1.mp4?<redacted>"])
        }
    }

    @Test func aNotificationShowsItsBodyAndHeadersWithoutAnyTokenOrKey() async throws {
        try await Self.withAPI { client, http, _ in
            let seed = try await Self.seed(client)
            let row = seed.rows[3]
            // A poll's stored answer echoes TaskNotifyConfig; the headers as an older door (or a
            // person) might have written them.
            let body = """
                {"EventType":"WorkflowTask","Sign":"\(Self.sign)","Timestamp":1700000645,"SessionContext":"mh1:x",
                 "WorkflowTaskEvent":{"TaskId":"task-3","Status":"FINISH",
                    "InputInfo":{"Type":"URL","UrlInputInfo":{"Url":"https://e.com/in.mp4?\(Self.urlSignature)"}},
                    "TaskNotifyConfig":{"NotifyType":"URL","NotifyUrl":"https://hooks.example.com/mps/notify?token=\(Self.notifyToken)","NotifyKey":"\(Self.notifyKey)"}}}
                """
            let headers = """
                {"content-type":"application/json","authorization":"Bearer \(Self.notifyKey)","x-original-url":"/mps/notify?token=\(Self.notifyToken)","user-agent":"MPS"}
                """
            let id = try await client.query("""
                INSERT INTO notifications (content_hash, correlation_id, session_context, event_type, body, headers, source_address, source, outcome)
                VALUES (uuid_send(gen_random_uuid()), \(row.correlation), 'mh1:x', 'WorkflowTask', \(body), \(headers)::jsonb, '203.0.113.9', 'poll', 'applied')
                RETURNING id
                """)[0].decode(Int64.self, at: 0)

            let response = try await http.execute(uri: "/v1/notifications/\(id)", method: .get)
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            for secret in [Self.notifyToken, Self.notifyKey, Self.urlSignature, Self.sign] {
                #expect(!text.contains(secret), "the notification document shows \(secret)")
            }
            let document = try Self.object(response)
            #expect(document["id"] as? Int == Int(id))
            #expect(document["source"] as? String == "poll")
            #expect(document["stepId"] as? String == APIJSON.id(row.stepId))
            #expect(document["taskId"] as? String == "task-3")
            #expect(document["sourceAddress"] as? String == "203.0.113.9")
            let shown = try #require(document["headers"] as? [String: String])
            #expect(shown == ["content-type": "application/json", "x-original-url": "/mps/notify?<redacted>", "user-agent": "MPS"])
            let event = try #require((document["body"] as? [String: Any])?["WorkflowTaskEvent"] as? [String: Any])
            #expect(event["TaskId"] as? String == "task-3")
            #expect((event["TaskNotifyConfig"] as? [String: Any])?["NotifyUrl"] as? String == "https://hooks.example.com/mps/notify?<redacted>")
            #expect((document["body"] as? [String: Any])?["Timestamp"] as? Int == 1_700_000_645)
        }
    }
}

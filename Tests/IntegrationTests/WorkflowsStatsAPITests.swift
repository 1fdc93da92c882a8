import API
import Foundation
import HTTPTypes
import Hashing
import Hummingbird
import Logging
import HummingbirdTesting
import NIOCore
import Postgres
import Store
import Testing
import Workflows

/// `GET /v1/workflows…`, `POST /v1/workflows/validate` and `GET /v1/stats` through the real
/// router on a real PostgreSQL.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct WorkflowsStatsAPITests {
    func withAPI(_ body: @escaping @Sendable (PostgresClient, any TestClientProtocol) async throws -> Void) async throws {
        try await JobsAPIIntegrationTests.withAPI { _, client, http in try await body(client, http) }
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
    }

    static func get(_ http: some TestClientProtocol, _ uri: String) async throws -> TestResponse {
        try await http.execute(uri: uri, method: .get)
    }

    static func validate(_ http: some TestClientProtocol, _ text: String, type: String) async throws -> TestResponse {
        try await http.execute(uri: "/v1/workflows/validate", method: .post, headers: [.contentType: type], body: ByteBuffer(string: text))
    }

    static func save(_ text: String, _ client: PostgresClient) async throws -> StoredWorkflow {
        let definition = try WorkflowDefinition.parse(text, file: "test.yaml").get()
        return try await WorkflowStore(client: client).save(definition, source: text, file: "test.yaml").workflow
    }

    // MARK: Workflows

    @Test func theListShowsEachWorkflowOnceWithItsLatestVersionNewestFirstAndPages() async throws {
        try await withAPI { client, http in
            _ = try await Self.save(WorkflowJobsAPITests.tiny(source: "en"), client)
            _ = try await Self.save(WorkflowJobsAPITests.tiny(source: "de").replacingOccurrences(of: "name: tiny", with: "name: other"), client)
            let latest = try await Self.save(WorkflowJobsAPITests.tiny(source: "fr"), client)

            let all = try Self.json(try await Self.get(http, "/v1/workflows"))
            let items = try #require(all["items"] as? [[String: Any]])
            #expect(items.map { $0["name"] as? String } == ["tiny", "other"])
            #expect(items[0]["latestVersion"] as? Int == 2)
            #expect(items[0]["versions"] as? Int == 2)
            #expect(items[0]["contentHash"] as? String == latest.contentHash)
            #expect(items[1]["latestVersion"] as? Int == 1)
            #expect(all["nextCursor"] == nil)

            let first = try Self.json(try await Self.get(http, "/v1/workflows?limit=1"))
            #expect((first["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["tiny"])
            let cursor = try #require(first["nextCursor"] as? String)
            let second = try Self.json(try await Self.get(http, "/v1/workflows?limit=1&cursor=\(cursor)"))
            #expect((second["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["other"])
            #expect(second["nextCursor"] == nil)

            #expect(try await Self.get(http, "/v1/workflows?cursor=nonsense").status == .badRequest)
            #expect(try await Self.get(http, "/v1/workflows?limit=0").status == .badRequest)
        }
    }

    @Test func aVersionIsAnsweredAsStoredWithItsCanonicalJSONAndHashAndTheNameAloneGivesTheLatest() async throws {
        try await withAPI { client, http in
            let first = try await Self.save(WorkflowJobsAPITests.tiny(source: "en"), client)
            let second = try await Self.save(WorkflowJobsAPITests.tiny(source: "fr"), client)

            let latest = try Self.json(try await Self.get(http, "/v1/workflows/tiny"))
            #expect(latest["version"] as? Int == 2)
            #expect(latest["contentHash"] as? String == second.contentHash)
            #expect(latest["canonical"] as? String == second.canonical)
            #expect(latest["source"] as? String == WorkflowJobsAPITests.tiny(source: "fr"))
            #expect(latest["sourceFile"] as? String == "test.yaml")
            #expect(((latest["definition"] as? [String: Any])?["params"] as? [String: Any])?["source"] as? String == "fr")

            let one = try await Self.get(http, "/v1/workflows/tiny/versions/1")
            #expect(one.status == .ok)
            let old = try Self.json(one)
            #expect(old["version"] as? Int == 1)
            #expect(old["canonical"] as? String == first.canonical)
            #expect(Hex.encode(SHA256.hash(first.canonical)) == old["contentHash"] as? String)

            // A workflow named like the validate route is read by its version (the bare name is that route's path).
            _ = try await Self.save(WorkflowJobsAPITests.tiny().replacingOccurrences(of: "name: tiny", with: "name: validate"), client)
            let named = try await Self.get(http, "/v1/workflows/validate/versions/1")
            #expect(named.status == .ok)
            #expect(try Self.json(named)["name"] as? String == "validate")
            #expect(try await Self.get(http, "/v1/workflows/validate").status == .notFound)

            for uri in [
                "/v1/workflows/missing", "/v1/workflows/tiny/versions/3", "/v1/workflows/tiny/versions/0",
                "/v1/workflows/tiny/versions/x", "/v1/workflows/tiny/versions/99999999999", "/v1/workflows/bad%20name",
            ] {
                let response = try await Self.get(http, uri)
                #expect(response.status == .notFound, "\(uri)")
                #expect(try Self.json(response)["type"] as? String == "urn:mpshook:problem:workflow-not-found", "\(uri)")
            }
        }
    }

    @Test func aValidDefinitionIsAnsweredAsItWouldBeStoredInYAMLOrJSONAndNothingIsStored() async throws {
        try await withAPI { client, http in
            let text = WorkflowJobsAPITests.tiny()
            let expected = try WorkflowDefinition.parse(text, file: "x").get()
            for type in ["application/yaml", "text/yaml; charset=utf-8", "application/x-yaml"] {
                let response = try await Self.validate(http, text, type: type)
                #expect(response.status == .ok, "\(type)")
                let document = try Self.json(response)
                #expect(document["valid"] as? Bool == true)
                #expect(document["name"] as? String == "tiny")
                #expect(document["version"] == nil)
                #expect(document["steps"] as? [String] == ["transcribe"])
                #expect(document["contentHash"] as? String == expected.contentHash)
            }
            let json = try await Self.validate(http, expected.canonicalJSON, type: "application/json")
            #expect(json.status == .ok)
            #expect(try Self.json(json)["contentHash"] as? String == expected.contentHash)

            let stored = try await client.query("SELECT count(*) FROM workflows")
            #expect(try stored[0].decode(Int.self, at: 0) == 0)
        }
    }

    @Test func anInvalidDefinitionIs422WithEveryProblemAtItsPlace() async throws {
        try await withAPI { _, http in
            let text = """
                name: "bad name!"
                colour: blue
                steps:
                  transcribe:
                    needs: nowhere
                    request:
                      OutputStorage: {Type: COS, CosOutputStorage: {Bucket: b-1250000000, Region: ap-guangzhou}}
                      SmartSubtitlesTask:
                        Definition: 0
                        RawParameter: {SubtitleType: 0, VideoSrcLanguage: en, SubtitleFormat: vtt}
                """
            let expected = try #require(WorkflowDefinition.parse(text, file: "body").failure)
            let response = try await Self.validate(http, text, type: "application/yaml")
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.contentType] == "application/problem+json")
            let problem = try Self.json(response)
            #expect(problem["type"] as? String == "urn:mpshook:problem:invalid-workflow")
            let errors = try #require(problem["errors"] as? [[String: Any]])
            let fields = errors.compactMap { $0["field"] as? String }
            #expect(errors.count == expected.count)
            #expect(fields.contains("name"))
            #expect(fields.contains("colour"))
            #expect(fields.contains("steps.transcribe.needs[0]"))
            #expect(errors.allSatisfy { ($0["message"] as? String)?.isEmpty == false && $0["code"] as? String == "mpshook.InvalidDefinition" })

            let unreadable = try await Self.validate(http, "steps: [", type: "application/yaml")
            #expect(unreadable.status == .unprocessableContent)
            #expect(try (Self.json(unreadable)["errors"] as? [[String: Any]])?.isEmpty == false)
        }
    }

    @Test func aDefinitionOfAnotherContentTypeIs415AndOneThatIsNotUTF8Is400() async throws {
        try await withAPI { _, http in
            for type in ["text/plain", "application/xml"] {
                let response = try await Self.validate(http, WorkflowJobsAPITests.tiny(), type: type)
                #expect(response.status == .unsupportedMediaType, "\(type)")
                #expect(try Self.json(response)["type"] as? String == "urn:mpshook:problem:unsupported-media-type")
            }
            let none = try await http.execute(uri: "/v1/workflows/validate", method: .post, body: ByteBuffer(string: "name: x"))
            #expect(none.status == .unsupportedMediaType)
            let latin1 = try await http.execute(
                uri: "/v1/workflows/validate", method: .post, headers: [.contentType: "application/yaml"], body: ByteBuffer(bytes: [0x6E, 0x3A, 0xE9, 0xFF])
            )
            #expect(latin1.status == .badRequest)
        }
    }

    // MARK: Stats

    /// Until 12:00 on 2026-03-01, three hours by the hour: buckets 09:00, 10:00, 11:00.
    static let statsQuery = "/v1/stats?window=3h&bucket=hour&until=2026-03-01T12:00:00Z"

    /// Jobs, steps, notifications and calls at known times, some outside the window.
    static func seed(_ client: PostgresClient) async throws {
        _ = try await Self.save(WorkflowJobsAPITests.tiny(), client)
        // (job number, created, state): 1 is before the window, 6 at its end (excluded).
        let jobs: [(Int, String, String)] = [
            (1, "08:59:59", "succeeded"), (2, "09:10:00", "running"), (3, "10:20:00", "succeeded"),
            (4, "10:40:00", "failed"), (5, "11:59:59", "succeeded"), (6, "12:00:00", "running"),
        ]
        for (number, time, state) in jobs {
            _ = try await client.query("""
                INSERT INTO jobs (id, state, created_at, workflow_id)
                VALUES (\(Self.id("j", number))::uuid, \(state), \("2026-03-01T\(time)Z")::timestamptz,
                        CASE WHEN \(number) % 2 = 1 THEN (SELECT id FROM workflows WHERE name = 'tiny') END)
                """)
        }
        // (step number, job, created, state, error, submitted after, finished after): latencies in seconds.
        let steps: [(Int, Int, String, String, String?, Int?, Int?)] = [
            (1, 1, "08:50:00", "succeeded", nil, 1, 30),
            (2, 2, "09:10:00", "submitted", nil, 1, nil),
            (3, 2, "09:20:00", "lost", nil, 1, nil),
            (4, 3, "10:20:00", "succeeded", nil, 1, 61),
            (5, 4, "10:40:00", "failed", "FailedOperation.Asr", 1, 121),
            (6, 4, "10:41:00", "failed", "FailedOperation.Asr", nil, nil),
            (7, 4, "10:42:00", "failed", "InvalidParameter.Url", 1, 241),
            (8, 5, "11:00:00", "submit_unknown", nil, nil, nil),
            (9, 6, "12:00:00", "failed", "ResourceNotFound.File", 1, 10),
        ]
        for (number, job, time, state, error, submitted, finished) in steps {
            let created = "2026-03-01T\(time)Z"
            _ = try await client.query("""
                INSERT INTO steps (id, job_id, name, correlation_id, session_context, request, state, error_code, created_at,
                    submitted_at, finished_at)
                VALUES (\(Self.id("s", number))::uuid, \(Self.id("j", job))::uuid, \("step\(number)"), \(Self.id("c", number))::uuid,
                    \("mh1:\(number)"), '{}', \(state), \(error), \(created)::timestamptz,
                    \(created)::timestamptz + make_interval(secs => \(submitted)::int),
                    \(created)::timestamptz + make_interval(secs => \(finished)::int))
                """)
        }
        // (received, outcome, count)
        let notifications: [(String, String, Int)] = [
            ("08:30:00", "applied", 2), ("09:00:00", "applied", 3), ("09:30:00", "orphan", 1), ("10:15:00", "applied", 4),
            ("10:16:00", "failed", 2), ("11:00:00", "pending", 1), ("11:30:00", "unsupported", 1), ("12:00:00", "applied", 5),
        ]
        var serial = 0
        for (time, outcome, count) in notifications {
            for _ in 0..<count {
                serial += 1
                _ = try await client.query("""
                    INSERT INTO notifications (content_hash, event_type, body, received_at, outcome)
                    VALUES (sha256(\(String(serial))::bytea), 'BatchTask', '{}', \("2026-03-01T\(time)Z")::timestamptz, \(outcome))
                    """)
            }
        }
        // (started, action, error code)
        let calls: [(String, String, String?)] = [
            ("09:05:00", "BatchProcessMedia", "RequestLimitExceeded"), ("10:05:00", "BatchProcessMedia", "RequestLimitExceeded"),
            ("10:06:00", "DescribeBatchTaskDetail", "InternalError"), ("10:07:00", "BatchProcessMedia", nil),
            ("12:30:00", "BatchProcessMedia", "InternalError"),
        ]
        for (time, action, code) in calls {
            _ = try await client.query("""
                INSERT INTO attempts (action, error_code, error_class, latency_ms, started_at)
                VALUES (\(action), \(code), CASE WHEN \(code)::text IS NOT NULL THEN 'retryable' END, 100, \("2026-03-01T\(time)Z")::timestamptz)
                """)
        }
    }

    /// A UUID made of `kind`'s hex digit and `number`: readable in failures.
    static func id(_ kind: String, _ number: Int) -> String {
        let digit = ["j": "a", "s": "b", "c": "c"][kind] ?? "d"
        return "\(digit)0000000-0000-4000-8000-\(String(format: "%012d", number))"
    }

    @Test func statsCountJobsStepsAndNotificationsInTheirBucketsByStateAndTheTopErrorCodes() async throws {
        try await withAPI { client, http in
            try await Self.seed(client)
            let response = try await Self.get(http, Self.statsQuery)
            #expect(response.status == .ok)
            let stats = try Self.json(response)
            #expect(stats["since"] as? String == "2026-03-01T09:00:00Z")
            #expect(stats["until"] as? String == "2026-03-01T12:00:00Z")
            #expect(stats["bucket"] as? String == "hour")
            #expect(stats["bucketSeconds"] as? Int == 3600)

            let buckets = try #require(stats["buckets"] as? [[String: Any]])
            #expect(buckets.map { $0["start"] as? String } == ["2026-03-01T09:00:00Z", "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z"])
            func nonZero(_ bucket: [String: Any], _ key: String) -> [String: Int] {
                ((bucket[key] as? [String: Int]) ?? [:]).filter { $0.value != 0 }
            }
            #expect(nonZero(buckets[0], "jobs") == ["running": 1])
            #expect(nonZero(buckets[1], "jobs") == ["succeeded": 1, "failed": 1])
            #expect(nonZero(buckets[2], "jobs") == ["succeeded": 1])
            #expect((buckets[0]["jobs"] as? [String: Int])?.count == JobState.allCases.count)
            #expect(nonZero(buckets[0], "steps") == ["submitted": 1, "lost": 1])
            #expect(nonZero(buckets[1], "steps") == ["succeeded": 1, "failed": 3])
            #expect(nonZero(buckets[2], "steps") == ["submit_unknown": 1])
            #expect((buckets[0]["steps"] as? [String: Int])?.count == StepState.allCases.count)
            #expect(nonZero(buckets[0], "notifications") == ["applied": 3, "orphan": 1])
            #expect(nonZero(buckets[1], "notifications") == ["applied": 4, "failed": 2])
            #expect(nonZero(buckets[2], "notifications") == ["pending": 1, "unsupported": 1])

            let totals = try #require(stats["totals"] as? [String: Any])
            #expect((totals["jobs"] as? [String: Int])?.filter { $0.value != 0 } == ["running": 1, "succeeded": 2, "failed": 1])
            #expect((totals["notifications"] as? [String: Int])?["applied"] == 7)
            let rates = try #require(stats["ratesPerMinute"] as? [String: [String: Double]])
            #expect(rates["steps"]?["failed"] == 3.0 / 180)

            let errors = try #require(stats["topErrors"] as? [String: [[String: Any]]])
            #expect(errors["steps"]?.map { "\($0["code"] ?? "")=\($0["count"] ?? "")" } == ["FailedOperation.Asr=2", "InvalidParameter.Url=1"])
            #expect(errors["steps"]?.allSatisfy { $0["action"] == nil } == true)
            #expect(
                errors["calls"]?.map { "\($0["action"] ?? "") \($0["code"] ?? "")=\($0["count"] ?? "")" }
                    == ["BatchProcessMedia RequestLimitExceeded=2", "DescribeBatchTaskDetail InternalError=1"]
            )
            // Lost and unknown now, whenever created.
            #expect(stats["needAttention"] as? [String: Int] == ["lost": 1, "submitUnknown": 1])
            // Finished in the window: steps 4, 5, 7 (1 finished before it, 9 after it).
            let latency = try #require(stats["callbackLatency"] as? [String: Any])
            #expect(latency["count"] as? Int == 3)
            #expect(Self.withinABin(latency["p50Seconds"] as? Double, of: 120))
        }
    }

    /// Whether `estimate` is within one histogram bin's width (a factor 2^(1/8)) of `exact`.
    static func withinABin(_ estimate: Double?, of exact: Double) -> Bool {
        guard let estimate, estimate > 0 else { return false }
        return abs(log2(estimate / exact)) < 1.0 / Double(LatencyHistogram.binsPerDoubling)
    }

    @Test func latencyPercentilesAreThoseOfTheKnownLatenciesWithinABin() async throws {
        try await withAPI { client, http in
            _ = try await client.query("INSERT INTO jobs (id, state, created_at) VALUES ('a0000000-0000-4000-8000-000000000001', 'running', '2026-03-01T10:00:00Z')")
            // 100 steps submitted at 10:00 and finished 1…100 seconds later; one finished outside the window.
            _ = try await client.query("""
                INSERT INTO steps (id, job_id, name, correlation_id, session_context, request, state, created_at, submitted_at, finished_at)
                SELECT gen_random_uuid(), 'a0000000-0000-4000-8000-000000000001', 'step' || i, gen_random_uuid(), 'mh1:' || i, '{}',
                    CASE i % 3 WHEN 0 THEN 'succeeded' WHEN 1 THEN 'failed' ELSE 'partially_failed' END,
                    '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z'::timestamptz + make_interval(secs => i)
                FROM generate_series(1, 100) i
                """)
            _ = try await client.query("""
                INSERT INTO steps (id, job_id, name, correlation_id, session_context, request, state, created_at, submitted_at, finished_at)
                VALUES (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000001', 'late', gen_random_uuid(), 'mh1:late', '{}', 'succeeded',
                    '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z', '2026-03-01T13:00:00Z')
                """)
            let stats = try Self.json(try await Self.get(http, Self.statsQuery))
            let latency = try #require(stats["callbackLatency"] as? [String: Any])
            #expect(latency["count"] as? Int == 100)
            let p50 = try #require(latency["p50Seconds"] as? Double), p95 = try #require(latency["p95Seconds"] as? Double)
            let p99 = try #require(latency["p99Seconds"] as? Double)
            // percentile_cont's values, read back from the histogram: each within a bin's width.
            #expect(Self.withinABin(p50, of: 50.5), "\(p50)")
            #expect(Self.withinABin(p95, of: 95.05), "\(p95)")
            #expect(Self.withinABin(p99, of: 99.01), "\(p99)")

            let empty = try Self.json(try await Self.get(http, "/v1/stats?window=1h&until=2026-02-01T00:00:00Z"))
            #expect(empty["callbackLatency"] as? [String: Int] == ["count": 0])
        }
    }

    /// Outputs of two jobs (one of a workflow, one a bare request), as the applier writes them:
    /// `media_seconds` is the input's duration from the report's `Metadatas`.
    static func seedMedia(_ client: PostgresClient) async throws {
        _ = try await Self.save(WorkflowJobsAPITests.tiny(), client)
        _ = try await client.query("""
            INSERT INTO jobs (id, state, created_at, workflow_id) VALUES
                ('a0000000-0000-4000-8000-000000000001', 'succeeded', '2026-03-01T10:00:00Z', (SELECT id FROM workflows)),
                ('a0000000-0000-4000-8000-000000000002', 'succeeded', '2026-03-01T10:00:00Z', NULL)
            """)
        for (step, job) in [(1, 1), (2, 1), (3, 2)] {
            _ = try await client.query("""
                INSERT INTO steps (id, job_id, name, correlation_id, session_context, request, state, created_at, submitted_at, finished_at)
                VALUES (\(Self.id("s", step))::uuid, \(Self.id("j", job))::uuid, \("step\(step)"), \(Self.id("c", step))::uuid,
                    \("mh1:\(step)"), '{}', 'succeeded', '2026-03-01T10:00:00Z', '2026-03-01T10:00:01Z', '2026-03-01T10:05:00Z')
                """)
        }
        let english = #"[{"kind":"recognition","language":"en","path":"/a.vtt"},{"kind":"translation","language":"fr","path":"/b.vtt"}]"#
        // (step, input, status, results, seconds, recorded): 1/2 outside the window, 2/1 failed, 3/1 without a duration.
        let outputs: [(Int, Int, String, String?, Double?, String)] = [
            (1, 0, "SUCCESS", english, 60.5, "10:04:00"), (1, 1, "SUCCESS", #"[{"kind":"recognition","language":"en","path":"/c.vtt"}]"#, 30, "11:59:00"),
            (1, 2, "SUCCESS", english, 1000, "12:00:00"),
            (2, 0, "SUCCESS", #"[{"kind":"recognition","language":"de","path":"/d.vtt"}]"#, 100, "10:04:00"), (2, 1, "FAIL", nil, 7, "10:04:00"),
            (3, 0, "SUCCESS", #"[{"kind":"recognition","language":"en","path":"/e.vtt"},{"kind":"recognition"}]"#, 12, "09:00:00"),
            (3, 1, "SUCCESS", #"[{"kind":"recognition","language":"en","path":"/f.vtt"}]"#, nil, "09:00:00"),
        ]
        for (step, input, status, results, seconds, recorded) in outputs {
            _ = try await client.query("""
                INSERT INTO outputs (step_id, input_index, input_url, status, results, media_seconds, updated_at)
                VALUES (\(Self.id("s", step))::uuid, \(input), 'https://e.com/v.mp4', \(status), \(results)::jsonb, \(seconds),
                    \("2026-03-01T\(recorded)Z")::timestamptz)
                """)
        }
    }

    static func mediaRows(_ http: some TestClientProtocol) async throws -> [String] {
        let stats = try Self.json(try await Self.get(http, Self.statsQuery))
        let media = try #require(stats["media"] as? [[String: Any]])
        return media.map { "\($0["workflow"] ?? "-") \($0["kind"] ?? "") \($0["language"] ?? "-") \($0["seconds"] ?? "") \($0["outputs"] ?? "")" }
    }

    @Test func processedMediaIsSummedPerWorkflowKindAndLanguageOverTheOutputsThatSucceededInTheWindow() async throws {
        try await withAPI { client, http in
            try await Self.seedMedia(client)
            #expect(try await Self.mediaRows(http) == [
                "tiny recognition de 100 1", "tiny recognition en 90.5 2", "tiny translation fr 60.5 1", "- recognition - 12 1", "- recognition en 12 1",
            ])
        }
    }

    @Test func mediaFollowsTheOutputsWhenTheyChangeAndWhenTheRollUpMovesTheCounts() async throws {
        try await withAPI { client, http in
            try await Self.seedMedia(client)
            // The failed output succeeds; step 1's first output is reset (a resubmit); 3/1 gets its duration late.
            _ = try await client.query("""
                UPDATE outputs SET status = 'SUCCESS', results = '[{"kind":"recognition","language":"de"}]', updated_at = '2026-03-01T10:30:00Z'
                WHERE step_id = \(Self.id("s", 2))::uuid AND input_index = 1
                """)
            _ = try await client.query("""
                UPDATE outputs SET status = 'WAITING', results = NULL, media_seconds = NULL
                WHERE step_id = \(Self.id("s", 1))::uuid AND input_index = 0
                """)
            _ = try await client.query("UPDATE outputs SET media_seconds = 8 WHERE step_id = \(Self.id("s", 3))::uuid AND input_index = 1")
            let expected = ["tiny recognition de 107 2", "tiny recognition en 30 1", "- recognition en 20 2", "- recognition - 12 1"]
            #expect(try await Self.mediaRows(http) == expected)
            var moved = 0
            while case let batch = try await StatsRollupStore(client: client).move(limit: 3), batch > 0 { moved += batch }
            #expect(moved > 0)
            #expect(try await client.query("SELECT count(*) FROM stats_deltas")[0].decode(Int.self, at: 0) == 0)
            #expect(try await Self.mediaRows(http) == expected)
        }
    }

    /// A database that held data before migration 0012 gets it counted by the migration, media
    /// durations read from the latest applied report of each step as before.
    @Test func theMigrationCountsWhatWasStoredBeforeIt() async throws {
        let all = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                _ = try await Migrator(all.migrations.filter { $0.version <= 11 }).migrate(client, logger: quiet)
                try await Self.seed(client)
                _ = try await client.query("""
                    INSERT INTO steps (id, job_id, name, correlation_id, session_context, request, state, created_at, submitted_at, finished_at)
                    VALUES (\(Self.id("s", 20))::uuid, \(Self.id("j", 3))::uuid, 'media', \(Self.id("c", 20))::uuid, 'mh1:20', '{}', 'succeeded',
                        '2026-03-01T10:20:00Z', '2026-03-01T10:20:01Z', '2026-03-01T10:25:00Z')
                    """)
                _ = try await client.query("""
                    INSERT INTO outputs (step_id, input_index, input_url, status, results, updated_at) VALUES
                        (\(Self.id("s", 20))::uuid, 0, 'https://e.com/a.mp4', 'SUCCESS', '[{"kind":"recognition","language":"en"}]', '2026-03-01T10:25:00Z'),
                        (\(Self.id("s", 20))::uuid, 1, 'https://e.com/b.mp4', 'SUCCESS', '[{"kind":"recognition","language":"en"}]', '2026-03-01T10:25:00Z')
                    """)
                // An older report (not read), the latest (read), and an orphan (not applied: not read).
                let bodies: [(String, String, String)] = [
                    ("10:21:00", "applied", #"{"BatchTaskEvent":{"Metadatas":[{"Duration":1},{"Duration":1}]}}"#),
                    ("10:24:00", "applied", #"{"Response":{"BatchTaskEvent":{"Metadatas":[{"Duration":60.5},{"Duration":"x"}]}}}"#),
                    ("10:26:00", "orphan", #"{"BatchTaskEvent":{"Metadatas":[{"Duration":1000}]}}"#),
                ]
                for (index, (time, outcome, body)) in bodies.enumerated() {
                    _ = try await client.query("""
                        INSERT INTO notifications (content_hash, correlation_id, event_type, body, received_at, outcome)
                        VALUES (sha256(\("m\(index)")::bytea), \(Self.id("c", 20))::uuid, 'BatchTask', \(body),
                            \("2026-03-01T\(time)Z")::timestamptz, \(outcome))
                        """)
                }
                _ = try await all.migrate(client, logger: quiet)

                let window = StatsWindow.covering(seconds: 3 * 3600, until: try #require(ISO8601DateFormatter().date(from: "2026-03-01T12:00:00Z")), bucket: .hour)
                let report = try await StatsStore(client: client).report(window)
                #expect(report.jobs.map { "\($0.state.rawValue)=\($0.count)" }.sorted() == ["failed=1", "running=1", "succeeded=1", "succeeded=1"])
                #expect(report.steps.reduce(0) { $0 + $1.count } == 8)
                #expect(report.notifications.filter { $0.state == .applied }.reduce(0) { $0 + $1.count } == 9)
                #expect(report.stepErrors.map(\.code) == ["FailedOperation.Asr", "InvalidParameter.Url"])
                #expect(report.callErrors.map(\.count) == [2, 1])
                #expect(report.latency.count == 4)
                #expect(report.lostNow == 1 && report.submitUnknownNow == 1)
                #expect(report.media == [StatsMedia(workflow: "tiny", kind: "recognition", language: "en", seconds: 60.5, outputs: 1)])
            }
        }
    }

    @Test func aBadWindowBucketOrUntilIs400NamingIt() async throws {
        try await withAPI { _, http in
            let cases: [(String, String)] = [
                ("window=0m", "window"), ("window=32d", "window"), ("window=1w", "window"), ("window=h", "window"),
                ("window=-5m", "window"), ("window=%2B5m", "window"), ("window=01h", "window"), ("window=44641m", "window"), ("window=1h&window=2h", "window"),
                ("bucket=week", "bucket"), ("window=2d&bucket=minute", "bucket"), ("window=31d&bucket=minute", "bucket"),
                ("until=yesterday", "until"), ("until=0001-01-01T00:00:00Z", "until"), ("since=2026-01-01T00:00:00Z", "since"),
            ]
            for (query, parameter) in cases {
                let response = try await Self.get(http, "/v1/stats?" + query)
                #expect(response.status == .badRequest, "\(query)")
                let problem = try Self.json(response)
                #expect((problem["errors"] as? [[String: Any]])?.first?["field"] as? String == parameter, "\(query)")
            }
            // The widest accepted: a day by the minute, 31 days by the hour.
            #expect(try await Self.get(http, "/v1/stats?window=1d&bucket=minute").status == .ok)
            let month = try await Self.get(http, "/v1/stats?window=31d&bucket=hour")
            #expect(month.status == .ok)
            #expect((try Self.json(month)["buckets"] as? [Any])?.count ?? 0 >= 744)
            // Defaults: an hour by the minute, until now.
            let standard = try Self.json(try await Self.get(http, "/v1/stats"))
            #expect(standard["bucket"] as? String == "minute")
            #expect((standard["buckets"] as? [Any])?.count ?? 0 >= 60)
        }
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}

import Foundation
import Postgres
import Store
import Testing

/// Migration 0012's counts kept by triggers (`stats_deltas`) and moved into `stats_rollup`
/// (``StatsRollupStore``), held against a recount of the tables themselves.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct StatsRollupTests {
    /// Every (kind, minute, key) → (count, seconds) as the tables are now: the facts of every row.
    static let recount = """
        SELECT kind, minute, key, sum(count)::bigint, sum(seconds) FROM (
            SELECT f.kind, f.minute, f.key, 1 AS count, f.seconds FROM jobs r, stats_job_facts(r.created_at, r.state) f
            UNION ALL
            SELECT f.kind, f.minute, f.key, 1, f.seconds FROM steps r, stats_step_facts(r.created_at, r.state, r.error_code, r.submitted_at, r.finished_at) f
            UNION ALL
            SELECT f.kind, f.minute, f.key, 1, f.seconds FROM notifications r, stats_notification_facts(r.received_at, r.outcome) f
            UNION ALL
            SELECT f.kind, f.minute, f.key, 1, f.seconds FROM attempts r, stats_attempt_facts(r.started_at, r.action, r.error_code) f
            UNION ALL
            SELECT f.kind, f.minute, f.key, 1, f.seconds
            FROM outputs r JOIN steps s ON s.id = r.step_id JOIN jobs j ON j.id = s.job_id LEFT JOIN workflows w ON w.id = j.workflow_id,
                stats_output_facts(r.updated_at, r.status, r.results, r.media_seconds, w.name) f
        ) facts GROUP BY 1, 2, 3 HAVING sum(count) <> 0
        """

    /// The same from the kept counts of one width (minute rows, or hour/day rows against the
    /// recount binned alike), deltas included.
    static func kept(width: StatsBucket) -> PostgresQuery {
        """
        SELECT kind, start, key, sum(count)::bigint, sum(seconds) FROM (
            SELECT kind, start, key, count, seconds FROM stats_rollup WHERE width = \(width.rawValue)
            UNION ALL
            SELECT kind, date_bin(\("1 \(width.rawValue)")::interval, minute, timestamptz '2000-01-01 00:00:00+00'), key, count, seconds FROM stats_deltas
        ) kept GROUP BY 1, 2, 3 HAVING sum(count) <> 0
        """
    }

    struct Fact: Hashable, CustomStringConvertible {
        var kind: String, start: Date, key: String

        var description: String { "\(kind) \(start) \(key)" }
    }

    static func read(_ rows: PostgresRows) throws -> [Fact: (count: Int, seconds: Double)] {
        var facts: [Fact: (Int, Double)] = [:]
        for row in rows {
            let (kind, start, key, count, seconds) = try row.decode((String, Date, String, Int, Double).self)
            facts[Fact(kind: kind, start: start, key: key)] = (count, seconds)
        }
        return facts
    }

    static func expectKeptEqualsRecount(_ client: PostgresClient, _ comment: Comment) async throws {
        let minutes = try read(try await client.query(PostgresQuery(unsafeSQL: recount)))
        #expect(!minutes.isEmpty)
        for width in StatsBucket.allCases {
            var expected: [Fact: (count: Int, seconds: Double)] = [:]
            for (fact, value) in minutes {
                let seconds = Double(width.seconds)
                let start = Date(timeIntervalSince1970: (fact.start.timeIntervalSince1970 / seconds).rounded(.down) * seconds)
                let binned = Fact(kind: fact.kind, start: start, key: fact.key)
                expected[binned, default: (0, 0)].count += value.count
                expected[binned, default: (0, 0)].seconds += value.seconds
            }
            expected = expected.filter { $0.value.count != 0 }
            let kept = try read(try await client.query(kept(width: width)))
            #expect(Set(kept.keys) == Set(expected.keys), "\(comment) \(width): missing \(Set(expected.keys).subtracting(kept.keys).sorted { $0.description < $1.description }.prefix(5)), extra \(Set(kept.keys).subtracting(expected.keys).sorted { $0.description < $1.description }.prefix(5))")
            for (fact, value) in expected {
                guard let found = kept[fact] else { continue }
                #expect(found.count == value.count, "\(comment) \(width) \(fact)")
                #expect(abs(found.seconds - value.seconds) < 1e-6, "\(comment) \(width) \(fact)")
            }
        }
    }

    /// Random batches of the writes mpshook makes (inserts, state changes, errors set and
    /// cleared, outputs succeeding and reset, deletes), with the mover run now and then in small
    /// batches: after each round, the kept counts of every width equal a recount.
    @Test func theKeptCountsEqualARecountAfterRandomWritesAndMoves() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            _ = try await client.query("INSERT INTO workflows (name, version, content_hash, canonical, source) VALUES ('wf', 1, 'h', '{}', '')")
            let seed = UInt64.random(in: 0..<1_000_000)
            let store = StatsRollupStore(client: client)
            for round in 0..<8 {
                // setseed makes each round's random() repeatable from the seed printed on failure.
                _ = try await client.query("SELECT setseed(\(Double(seed % 1000) / 1000 - 0.5 + Double(round) / 100))")
                _ = try await client.query("""
                    INSERT INTO jobs (id, state, created_at, workflow_id)
                    SELECT gen_random_uuid(), (ARRAY['running', 'succeeded', 'failed'])[1 + floor(random() * 3)::int],
                        timestamptz '2026-03-01 00:00:00+00' + random() * interval '3 days',
                        CASE WHEN random() < 0.5 THEN (SELECT id FROM workflows LIMIT 1) END
                    FROM generate_series(1, 40)
                    """)
                _ = try await client.query("""
                    INSERT INTO steps (id, job_id, name, correlation_id, session_context, request, state, error_code, created_at, submitted_at, finished_at)
                    SELECT gen_random_uuid(), j.id, 'step' || gen_random_uuid(), gen_random_uuid(), 'mh1:' || gen_random_uuid(), '{}', s.state,
                        CASE WHEN s.state = 'failed' THEN (ARRAY['A', 'B', 'C'])[1 + floor(random() * 3)::int] END,
                        j.created_at, j.created_at + interval '1 second',
                        CASE WHEN s.state IN ('succeeded', 'failed', 'partially_failed') THEN j.created_at + random() * interval '2 hours' END
                    FROM (SELECT id, created_at FROM jobs ORDER BY random() LIMIT 30) j,
                        LATERAL (SELECT (ARRAY['pending', 'submitted', 'succeeded', 'failed', 'lost'])[1 + floor(random() * 5)::int] AS state) s
                    """)
                _ = try await client.query("""
                    INSERT INTO outputs (step_id, input_index, input_url, status, results, media_seconds, updated_at)
                    SELECT s.id, 100 * \(round) + (row_number() OVER ())::int, 'https://e.com/v.mp4',
                        CASE WHEN random() < 0.7 THEN 'SUCCESS' ELSE 'WAITING' END,
                        '[{"kind":"recognition","language":"en"},{"kind":"translation","language":"fr"}]', round((random() * 500)::numeric, 3),
                        timestamptz '2026-03-01 00:00:00+00' + random() * interval '3 days'
                    FROM (SELECT id FROM steps ORDER BY random() LIMIT 20) s
                    """)
                _ = try await client.query("""
                    INSERT INTO notifications (content_hash, event_type, body, received_at, outcome)
                    SELECT sha256((\(round) * 1000 + i)::text::bytea), 'BatchTask', '{}',
                        timestamptz '2026-03-01 00:00:00+00' + random() * interval '3 days',
                        (ARRAY['pending', 'pending', 'applied', 'orphan'])[1 + floor(random() * 4)::int]
                    FROM generate_series(1, 60) i
                    """)
                _ = try await client.query("""
                    INSERT INTO attempts (action, error_code, error_class, latency_ms, started_at)
                    SELECT 'BatchProcessMedia', CASE WHEN random() < 0.5 THEN 'InternalError' END, NULL, 10,
                        timestamptz '2026-03-01 00:00:00+00' + random() * interval '3 days'
                    FROM generate_series(1, 10)
                    """)
                // Changes, several rows per statement, some touching no counted column.
                _ = try await client.query("UPDATE jobs SET state = 'succeeded' WHERE state = 'running' AND random() < 0.5")
                _ = try await client.query("UPDATE steps SET polls = polls + 1 WHERE random() < 0.5")
                _ = try await client.query("""
                    UPDATE steps SET state = 'failed', error_code = 'Late', finished_at = created_at + random() * interval '1 hour'
                    WHERE state IN ('pending', 'submitted', 'lost') AND random() < 0.4
                    """)
                _ = try await client.query("UPDATE steps SET state = 'pending', error_code = NULL, finished_at = NULL WHERE state = 'failed' AND random() < 0.2")
                _ = try await client.query("UPDATE notifications SET outcome = 'applied' WHERE outcome = 'pending' AND random() < 0.6")
                _ = try await client.query("UPDATE outputs SET status = 'WAITING', results = NULL, media_seconds = NULL WHERE status = 'SUCCESS' AND random() < 0.2")
                _ = try await client.query("UPDATE outputs SET status = 'SUCCESS', updated_at = updated_at + interval '7 minutes' WHERE status = 'WAITING' AND results IS NOT NULL AND random() < 0.5")
                _ = try await client.query("UPDATE attempts SET error_code = 'RequestLimitExceeded' WHERE error_code IS NULL AND random() < 0.3")
                _ = try await client.query("DELETE FROM outputs WHERE random() < 0.05")
                _ = try await client.query("DELETE FROM attempts WHERE random() < 0.05")
                _ = try await client.query("DELETE FROM notifications WHERE random() < 0.05")
                if round % 2 == 1 {
                    _ = try await store.move(limit: 37)
                }
                try await Self.expectKeptEqualsRecount(client, "seed \(seed), round \(round):")
            }
            while try await store.move(limit: 500) > 0 {}
            #expect(try await client.query("SELECT count(*) FROM stats_deltas")[0].decode(Int.self, at: 0) == 0)
            #expect(try await client.query("SELECT count(*) FROM stats_rollup WHERE count = 0")[0].decode(Int.self, at: 0) == 0)
            try await Self.expectKeptEqualsRecount(client, "seed \(seed), all moved:")
        }
    }

    /// Movers on several connections at once (every replica runs one): each delta is moved once.
    @Test func moversRunningAtOnceMoveEachDeltaOnce() async throws {
        try await TestDatabase.withMigratedDatabase(maximumConnections: 6) { client in
            _ = try await client.query("""
                INSERT INTO attempts (action, error_code, latency_ms, started_at)
                SELECT 'BatchProcessMedia', 'E' || (i % 7), 10, timestamptz '2026-03-01 00:00:00+00' + i * interval '13 seconds'
                FROM generate_series(1, 3000) i
                """)
            // One delta row per statement: 300 statements of 10 rows.
            for batch in 0..<300 {
                _ = try await client.query("UPDATE attempts SET error_class = 'retryable' WHERE id > \(batch * 10) AND id <= \(batch * 10 + 10)")
                _ = try await client.query("UPDATE attempts SET error_code = error_code || 'x' WHERE id > \(batch * 10) AND id <= \(batch * 10 + 10)")
            }
            let store = StatsRollupStore(client: client)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { while try await store.move(limit: 50) > 0 {} }
                }
                try await group.waitForAll()
            }
            while try await store.move() > 0 {}
            let total = try await client.query("SELECT sum(count) FROM stats_rollup WHERE kind = 'call_error' AND width = 'day'")[0].decode(Int.self, at: 0)
            #expect(total == 3000)
            try await Self.expectKeptEqualsRecount(client, "after concurrent moves:")
        }
    }

    @Test func theDatabaseFilesALatencyInTheBinLatencyHistogramReadsItFrom() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            var values: [Double] = [0, -3, 0.0001, 0.001, 0.5, 1, 1.09, 2, 3, 60, 61.5, 3600, 86_400, 1e9]
            var generator = SystemRandomNumberGenerator()
            values += (0..<500).map { _ in pow(2, Double.random(in: -12...27, using: &generator)) }
            let rows = try await client.query("SELECT stats_latency_bin(v) FROM unnest(\(values)::float8[]) WITH ORDINALITY AS u(v, i) ORDER BY i")
            let bins = try rows.map { row in try row.decode(Int.self, at: 0) }
            #expect(bins == values.map { LatencyHistogram.bin(seconds: $0) })
        }
    }
}

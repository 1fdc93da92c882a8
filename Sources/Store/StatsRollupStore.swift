public import Postgres

/// Moves the counts the triggers of migration 0012 append to `stats_deltas` into
/// `stats_rollup`, summed per minute, hour and day, so a stats read stays a few hundred rows
/// whatever the traffic was. Readers add both tables up, so moving changes no answer: it only
/// keeps the deltas few. Safe to run from every replica at once: one moves, the others find the
/// lock taken and return.
public struct StatsRollupStore: Sendable {
    /// The advisory lock the mover holds for its transaction ("mpshook.stats" in ASCII).
    public static let lockKey: Int64 = 0x6D70_7368_2E73_7461

    /// The most delta rows one move takes.
    public static let batchSize = 20_000

    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Moves up to `limit` delta rows; answers how many it moved (0 when another replica holds
    /// the lock). Then removes the roll-up rows that summed to nothing.
    public func move(limit: Int = batchSize) async throws -> Int {
        try await client.withTransaction { connection in
            let locked = try await connection.query("SELECT pg_try_advisory_xact_lock(\(Self.lockKey))")
            guard try locked.first?.decode(Bool.self, at: 0) == true else { return 0 }
            let moved = try await connection.query("""
                WITH moved AS (
                    DELETE FROM stats_deltas WHERE ctid = ANY(ARRAY(SELECT ctid FROM stats_deltas LIMIT \(limit)))
                    RETURNING minute, kind, key, count, seconds
                ), summed AS (
                    SELECT w.width, date_bin(w.step, m.minute, timestamptz '2000-01-01 00:00:00+00') AS start, m.kind, m.key,
                        sum(m.count) AS count, sum(m.seconds) AS seconds
                    FROM moved m CROSS JOIN (VALUES ('minute', interval '1 minute'), ('hour', interval '1 hour'), ('day', interval '1 day'))
                        AS w(width, step)
                    GROUP BY 1, 2, 3, 4
                ), written AS (
                    INSERT INTO stats_rollup AS r (kind, width, start, key, count, seconds)
                    SELECT kind, width, start, key, count, seconds FROM summed
                    ON CONFLICT (kind, width, start, key) DO UPDATE SET count = r.count + excluded.count, seconds = r.seconds + excluded.seconds
                )
                SELECT count(*) FROM moved
                """)
            let count = try moved.first?.decode(Int.self, at: 0) ?? 0
            if count > 0 {
                _ = try await connection.query("DELETE FROM stats_rollup WHERE count = 0")
            }
            return count
        }
    }

    /// Vacuums and analyses `stats_deltas` (skipped when another session is at it): the rows a
    /// move deleted stop costing readers at once, not at autovacuum's next round.
    public func vacuum() async throws {
        _ = try await client.query("VACUUM (ANALYZE, SKIP_LOCKED) stats_deltas")
    }
}

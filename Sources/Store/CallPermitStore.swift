public import Postgres

/// A rate limiter for MPS calls coordinated through PostgreSQL, so every replica sharing the
/// database together stays under the limit: at most `limit` calls per bucket in any window of
/// `window`.
///
/// It hands out evenly spaced time slots (`window / limit` apart) rather than bursts: each
/// caller reserves the next free slot in one short transaction and sleeps until it. Even
/// spacing matters because a burst of `limit` calls at once lets network jitter push one call
/// of the next burst into the same second at MPS; spaced calls need a full slot of jitter.
public struct CallPermitStore: Sendable {
    let client: PostgresClient
    public let bucket: String
    public let limit: Int
    public let window: Duration

    /// - Parameter window: a little over a second keeps the spacing a little over 1/`limit`
    ///   seconds, room for calls to reach MPS a few milliseconds apart from when they were granted.
    public init(client: PostgresClient, bucket: String, limit: Int, window: Duration = .milliseconds(1050)) {
        self.client = client
        self.bucket = bucket
        self.limit = max(1, limit)
        self.window = window
    }

    /// The gap between two consecutive slots.
    public var spacing: Duration { window / limit }

    /// Reserves the next free slot and returns when it is, on this process's clock.
    ///
    /// The instant is taken when the INSERT answers (inside the transaction), not after the
    /// commit: a slow commit must not make every later call of this process late.
    public func reserve() async throws -> ContinuousClock.Instant {
        let spacingMicroseconds = Int(spacing.components.seconds * 1_000_000 + spacing.components.attoseconds / 1_000_000_000_000)
        return try await client.withTransaction { connection in
            // A reservation need not survive a crash: a lost one only leaves a gap.
            _ = try await connection.query("SET LOCAL synchronous_commit = off")
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("mpshook.permits." + bucket)))")
            let rows = try await connection.query("""
                INSERT INTO mps_call_permits (bucket, granted_at)
                SELECT \(bucket), greatest(clock_timestamp(), max(granted_at) + \(spacingMicroseconds) * interval '1 microsecond')
                FROM mps_call_permits WHERE bucket = \(bucket)
                RETURNING extract(epoch FROM granted_at - clock_timestamp())::float8
                """)
            let answered = ContinuousClock.now
            let seconds = try rows[0].decode(Double.self, at: 0)
            _ = try await connection.query("DELETE FROM mps_call_permits WHERE bucket = \(bucket) AND granted_at < clock_timestamp() - interval '1 minute'")
            return seconds > 0 ? answered + .microseconds(Int64((seconds * 1_000_000).rounded(.up))) : answered
        }
    }

    /// Reserves a slot and sleeps until it: call MPS right after this returns.
    ///
    /// A caller that wakes up late (a busy machine) gives its slot up and takes a new one: a
    /// late call would sit closer than `spacing` to the next one, and twenty such gaps in a
    /// row are how a one-second window at MPS would see more than `limit` calls.
    ///
    /// `prepare` runs once, `lead` before the first slot (at once when the slot is nearer), so
    /// its own time is spent while waiting (the dispatcher commits `sent_at` there); a slot it
    /// still makes late is given up like any other. If it throws, so does this.
    public func waitForPermit(lead: Duration = .zero, preparing prepare: () async throws -> Void = {}) async throws {
        let tolerance = spacing / 4
        var prepared = false
        while true {
            let slot = try await reserve()
            if !prepared {
                if slot - lead > .now {
                    try await Task.sleep(until: slot - lead, clock: .continuous)
                }
                try await prepare()
                prepared = true
            }
            if slot > .now {
                try await Task.sleep(until: slot, clock: .continuous)
            }
            if ContinuousClock.now - slot <= tolerance { return }
        }
    }
}

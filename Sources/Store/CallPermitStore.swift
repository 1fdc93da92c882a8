public import Postgres

/// A rate limiter for MPS calls coordinated through PostgreSQL, so every replica sharing the
/// database together stays under the limit: at most `limit` grants per bucket in any sliding
/// window of `window`.
public struct CallPermitStore: Sendable {
    /// The answer to a request for a permit.
    public enum Permit: Sendable, Equatable {
        /// Granted: make the call now.
        case granted
        /// Not now: ask again after this long.
        case wait(Duration)
    }

    let client: PostgresClient
    public let bucket: String
    public let limit: Int
    public let window: Duration

    /// - Parameter window: a little over a second leaves room for calls granted at a window's
    ///   edge to reach MPS a few milliseconds apart and still count in separate seconds there.
    public init(client: PostgresClient, bucket: String, limit: Int, window: Duration = .milliseconds(1050)) {
        self.client = client
        self.bucket = bucket
        self.limit = max(1, limit)
        self.window = window
    }

    /// Grants a permit when fewer than `limit` were granted in the last `window`, else says how
    /// long until the oldest of them leaves the window.
    public func acquire() async throws -> Permit {
        let windowMicroseconds = window.components.seconds * 1_000_000 + window.components.attoseconds / 1_000_000_000_000
        return try await client.withTransaction { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("mpshook.permits." + bucket)))")
            let recent = try await connection.query("""
                SELECT count(*), coalesce(extract(epoch FROM min(granted_at) + \(Int(windowMicroseconds)) * interval '1 microsecond' - clock_timestamp()), 0)::float8
                FROM mps_call_permits
                WHERE bucket = \(bucket) AND granted_at > clock_timestamp() - \(Int(windowMicroseconds)) * interval '1 microsecond'
                """)
            let (used, secondsUntilFree) = try recent[0].decode((Int, Double).self)
            guard used < limit else {
                return .wait(.milliseconds(max(1, Int64((secondsUntilFree * 1000).rounded(.up)))))
            }
            _ = try await connection.query("INSERT INTO mps_call_permits (bucket, granted_at) VALUES (\(bucket), clock_timestamp())")
            _ = try await connection.query("DELETE FROM mps_call_permits WHERE bucket = \(bucket) AND granted_at < clock_timestamp() - interval '1 minute'")
            return .granted
        }
    }

    /// Waits until a permit is granted (polling no faster than the limiter frees permits).
    public func waitForPermit() async throws {
        while true {
            switch try await acquire() {
            case .granted:
                return
            case .wait(let delay):
                try await Task.sleep(for: delay)
            }
        }
    }
}

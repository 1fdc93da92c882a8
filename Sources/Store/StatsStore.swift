public import Foundation
public import Postgres
public import Workflows

/// The width of a stats bucket.
public enum StatsBucket: String, Sendable, Hashable, CaseIterable, Codable {
    case minute, hour, day

    /// Its length in seconds (a day is 86,400: buckets are in UTC, which has no daylight saving).
    public var seconds: Int {
        switch self {
        case .minute: 60
        case .hour: 3600
        case .day: 86_400
        }
    }
}

/// The span ``StatsStore`` counts over: rows from `since` (included) to `until` (excluded), in
/// buckets of `bucket` aligned to whole UTC minutes, hours or days (the first and last may be
/// partly outside the span; only rows inside it are counted).
public struct StatsWindow: Sendable, Hashable {
    public var since: Date
    public var until: Date
    public var bucket: StatsBucket

    public init(since: Date, until: Date, bucket: StatsBucket) {
        self.since = since
        self.until = until
        self.bucket = bucket
    }

    /// The start of the bucket holding `date`.
    public func bucketStart(_ date: Date) -> Date {
        let seconds = Double(bucket.seconds)
        return Date(timeIntervalSince1970: (date.timeIntervalSince1970 / seconds).rounded(.down) * seconds)
    }

    /// The start of every bucket the span touches, in order.
    public var bucketStarts: [Date] {
        var starts: [Date] = []
        var start = bucketStart(since)
        while start < until {
            starts.append(start)
            start += Double(bucket.seconds)
        }
        return starts
    }
}

/// How many rows of one state fell in one bucket.
public struct StatsCount<State: Sendable & Hashable>: Sendable, Hashable {
    public var bucket: Date
    public var state: State
    public var count: Int
}

/// An error code and how often it was seen.
public struct StatsErrorCount: Sendable, Hashable {
    /// The MPS API action for calls; nil for steps.
    public var action: String?
    public var code: String
    public var count: Int
}

/// Seconds from submission to the terminal report, over the steps that finished in the window.
public struct StatsLatency: Sendable, Hashable {
    public var count: Int
    /// Continuous percentiles (interpolated); nil when no step finished.
    public var p50: Double?
    public var p95: Double?
    public var p99: Double?
}

/// Media MPS processed, as it reported it (`Metadatas[i].Duration`), per workflow, subtitle
/// kind and language.
public struct StatsMedia: Sendable, Hashable {
    /// nil for jobs created with a bare request (no workflow).
    public var workflow: String?
    /// `recognition` or `translation`.
    public var kind: String
    public var language: String?
    public var seconds: Double
    /// How many outputs (one input of one step each) the seconds are summed over.
    public var outputs: Int
}

/// Everything `GET /v1/stats` shows for one window.
public struct StatsReport: Sendable, Hashable {
    public var window: StatsWindow
    /// Jobs created in the window, by bucket of creation and their state now.
    public var jobs: [StatsCount<JobState>]
    /// Steps created in the window, by bucket of creation and their state now.
    public var steps: [StatsCount<StepState>]
    /// Notifications received in the window, by bucket of receipt and their outcome now.
    public var notifications: [StatsCount<NotificationOutcome>]
    /// The most frequent error codes of steps created in the window, most frequent first.
    public var stepErrors: [StatsErrorCount]
    /// The most frequent error codes of MPS calls started in the window, most frequent first.
    public var callErrors: [StatsErrorCount]
    public var latency: StatsLatency
    /// Steps `lost` and `submit_unknown` now, whenever they were created: the ones needing a person.
    public var lostNow: Int
    public var submitUnknownNow: Int
    public var media: [StatsMedia]
}

/// SQL for `GET /v1/stats`: read only, each part one statement over the window.
///
/// What is counted where (the indexes are in migrations 0008 and 0010):
/// - jobs and steps by creation time and present state: index-only range scans of
///   `jobs_state_created_id` / `steps_state_created`, one per state;
/// - notifications by receipt time and present outcome: `notifications_received` for all of
///   them, the partial `notifications_unapplied` and `notifications_pending` for the outcomes
///   that are not `applied` (the door's hot table has no index with the outcome for every row;
///   `applied` is the rest);
/// - error codes through the partial indexes on error codes (`steps_error_created`,
///   `attempts_error_started`);
/// - latency and media over the steps finished in the window (`steps_finished`); a step's
///   durations come from its latest applied notification (`media_durations`, one body read per step).
///
/// Every statement runs under `statementTimeout`, so a wide window on a big table fails (the
/// caller answers 503) instead of holding a connection.
public struct StatsStore: Sendable {
    /// How many error codes each list shows.
    public static let topErrors = 10

    let client: PostgresClient
    let statementTimeout: Duration

    public init(client: PostgresClient, statementTimeout: Duration = .seconds(10)) {
        self.client = client
        self.statementTimeout = statementTimeout
    }

    /// The report for `window`.
    public func report(_ window: StatsWindow) async throws -> StatsReport {
        let timeout = "\(max(1, statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000))ms"
        return try await client.withTransaction { connection in
            _ = try await connection.query("SELECT set_config('statement_timeout', \(timeout), true)")
            _ = try await connection.query("SET TRANSACTION READ ONLY")
            return StatsReport(
                window: window,
                jobs: try await Self.counts(Self.jobsQuery(window), on: connection),
                steps: try await Self.counts(Self.stepsQuery(window), on: connection),
                notifications: try await Self.counts(Self.notificationsQuery(window), on: connection),
                stepErrors: try await Self.errors(Self.stepErrorsQuery(window), on: connection),
                callErrors: try await Self.errors(Self.callErrorsQuery(window), on: connection),
                latency: try await Self.latency(window, on: connection),
                lostNow: try await Self.needingAttention(.lost, on: connection),
                submitUnknownNow: try await Self.needingAttention(.submitUnknown, on: connection),
                media: try await Self.media(window, on: connection)
            )
        }
    }

    // MARK: Statements (public for the benchmark's EXPLAIN)

    /// Jobs created in the window: (bucket, state, count).
    public static func jobsQuery(_ window: StatsWindow) -> PostgresQuery {
        """
        SELECT date_bin(\(interval(window.bucket))::interval, created_at, timestamptz '2000-01-01 00:00:00+00'), state, count(*)
        FROM jobs
        WHERE state = ANY(\(JobState.allCases.map(\.rawValue))::text[]) AND created_at >= \(window.since) AND created_at < \(window.until)
        GROUP BY 1, 2
        """
    }

    /// Steps created in the window: (bucket, state, count).
    public static func stepsQuery(_ window: StatsWindow) -> PostgresQuery {
        """
        SELECT date_bin(\(interval(window.bucket))::interval, created_at, timestamptz '2000-01-01 00:00:00+00'), state, count(*)
        FROM steps
        WHERE state = ANY(\(StepState.allCases.map(\.rawValue))::text[]) AND created_at >= \(window.since) AND created_at < \(window.until)
        GROUP BY 1, 2
        """
    }

    /// Notifications received in the window: (bucket, outcome, count). Every row through the
    /// time index alone, the outcomes other than `applied` through their partial indexes, one
    /// branch per outcome (an equality on the index's first column: given `IN (…)` the planner
    /// takes the time index and reads every row of the window from the heap, 14 ms instead of
    /// 0.1 ms for an hour at 10M rows); `applied` is what is left.
    public static func notificationsQuery(_ window: StatsWindow) -> PostgresQuery {
        """
        WITH every AS (
            SELECT date_bin(\(interval(window.bucket))::interval, received_at, timestamptz '2000-01-01 00:00:00+00') AS bucket, count(*) AS count
            FROM notifications WHERE received_at >= \(window.since) AND received_at < \(window.until)
            GROUP BY 1
        ), other AS (
            SELECT date_bin(\(interval(window.bucket))::interval, received_at, timestamptz '2000-01-01 00:00:00+00') AS bucket, outcome, count(*) AS count
            FROM (
                SELECT received_at, outcome FROM notifications
                WHERE outcome = 'orphan' AND received_at >= \(window.since) AND received_at < \(window.until)
                UNION ALL
                SELECT received_at, outcome FROM notifications
                WHERE outcome = 'unsupported' AND received_at >= \(window.since) AND received_at < \(window.until)
                UNION ALL
                SELECT received_at, outcome FROM notifications
                WHERE outcome = 'failed' AND received_at >= \(window.since) AND received_at < \(window.until)
                UNION ALL
                SELECT received_at, outcome FROM notifications
                WHERE outcome = 'pending' AND received_at >= \(window.since) AND received_at < \(window.until)
            ) unapplied
            GROUP BY 1, 2
        )
        SELECT bucket, outcome, count FROM other
        UNION ALL
        SELECT every.bucket, 'applied', every.count - coalesce((SELECT sum(other.count) FROM other WHERE other.bucket = every.bucket), 0)
        FROM every
        """
    }

    /// The most frequent error codes of steps created in the window.
    public static func stepErrorsQuery(_ window: StatsWindow) -> PostgresQuery {
        """
        SELECT NULL::text, error_code, count(*) FROM steps
        WHERE error_code IS NOT NULL AND created_at >= \(window.since) AND created_at < \(window.until)
        GROUP BY error_code ORDER BY count(*) DESC, error_code LIMIT \(topErrors)
        """
    }

    /// The most frequent (action, error code) of MPS calls started in the window.
    public static func callErrorsQuery(_ window: StatsWindow) -> PostgresQuery {
        """
        SELECT action, error_code, count(*) FROM attempts
        WHERE error_code IS NOT NULL AND started_at >= \(window.since) AND started_at < \(window.until)
        GROUP BY action, error_code ORDER BY count(*) DESC, error_code, action LIMIT \(topErrors)
        """
    }

    /// Submission to terminal report of the steps that finished in the window (a step failed
    /// before it was ever sent has no submission and is not counted).
    public static func latencyQuery(_ window: StatsWindow) -> PostgresQuery {
        """
        SELECT count(*), percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - submitted_at))
        FROM steps
        WHERE finished_at >= \(window.since) AND finished_at < \(window.until) AND submitted_at IS NOT NULL
            AND state = ANY(\(StepState.allCases.filter(\.isTerminal).map(\.rawValue))::text[])
        """
    }

    /// Seconds of media per (workflow, kind, language) over the successful outputs of the steps
    /// that finished in the window: each output's input duration counted once per subtitle file
    /// it produced (recognition, and each translation's language).
    public static func mediaQuery(_ window: StatsWindow) -> PostgresQuery {
        """
        SELECT w.name, f.kind, f.language, sum(d.durations[o.input_index + 1]), count(*)
        FROM steps s
        JOIN jobs j ON j.id = s.job_id
        LEFT JOIN workflows w ON w.id = j.workflow_id
        CROSS JOIN LATERAL (
            SELECT media_durations(n.body) AS durations FROM notifications n
            WHERE n.correlation_id = s.correlation_id AND n.outcome = 'applied'
            ORDER BY n.received_at DESC LIMIT 1
        ) d
        JOIN outputs o ON o.step_id = s.id AND o.status = 'SUCCESS' AND jsonb_typeof(o.results) = 'array'
        CROSS JOIN LATERAL jsonb_to_recordset(o.results) AS f(kind text, language text)
        WHERE s.finished_at >= \(window.since) AND s.finished_at < \(window.until)
            AND s.state IN ('succeeded', 'partially_failed') AND d.durations[o.input_index + 1] IS NOT NULL AND f.kind IS NOT NULL
        GROUP BY 1, 2, 3
        ORDER BY 4 DESC, 1, 2, 3
        """
    }

    // MARK: Reading

    private static func interval(_ bucket: StatsBucket) -> String {
        "1 \(bucket.rawValue)"
    }

    private static func counts<State: RawRepresentable<String> & Sendable & Hashable>(
        _ query: PostgresQuery, on connection: PostgresConnection
    ) async throws(PostgresError) -> [StatsCount<State>] {
        var counts: [StatsCount<State>] = []
        for row in try await connection.query(query) {
            let (bucket, raw, count) = try row.decode((Date, String, Int).self)
            guard count > 0 else { continue }
            guard let state = State(rawValue: raw) else {
                throw PostgresError(code: .decoding, reason: "unknown state \(raw)", column: "state")
            }
            counts.append(StatsCount(bucket: bucket, state: state, count: count))
        }
        return counts
            .sorted { ($0.bucket, $0.state.rawValue) < ($1.bucket, $1.state.rawValue) }
    }

    private static func errors(_ query: PostgresQuery, on connection: PostgresConnection) async throws(PostgresError) -> [StatsErrorCount] {
        try await connection.query(query).map { row throws(PostgresError) in
            let (action, code, count) = try row.decode((String?, String, Int).self)
            return StatsErrorCount(action: action, code: code, count: count)
        }
    }

    private static func latency(_ window: StatsWindow, on connection: PostgresConnection) async throws(PostgresError) -> StatsLatency {
        let rows = try await connection.query(latencyQuery(window))
        guard let row = rows.first else { return StatsLatency(count: 0) }
        let (count, percentiles) = try row.decode((Int, [Double]?).self)
        let values = percentiles ?? []
        return StatsLatency(
            count: count, p50: values.count == 3 ? values[0] : nil, p95: values.count == 3 ? values[1] : nil,
            p99: values.count == 3 ? values[2] : nil
        )
    }

    private static func needingAttention(_ state: StepState, on connection: PostgresConnection) async throws(PostgresError) -> Int {
        // The partial index steps_unfinished holds exactly the steps in these states.
        let rows = try await connection.query("""
            SELECT count(*) FROM steps WHERE state = \(state.rawValue) AND state IN ('submitted', 'submit_unknown', 'lost')
            """)
        return try rows.first?.decode(Int.self, at: 0) ?? 0
    }

    private static func media(_ window: StatsWindow, on connection: PostgresConnection) async throws(PostgresError) -> [StatsMedia] {
        try await connection.query(mediaQuery(window)).map { row throws(PostgresError) in
            let (workflow, kind, language, seconds, outputs) = try row.decode((String?, String, String?, Double, Int).self)
            return StatsMedia(workflow: workflow, kind: kind, language: language, seconds: seconds, outputs: outputs)
        }
    }
}

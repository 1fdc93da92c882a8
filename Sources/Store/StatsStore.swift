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
/// buckets of `bucket` aligned to whole UTC minutes, hours or days. The counts are kept per
/// minute (migration 0012), so a window is always made of whole buckets: ``covering(seconds:until:bucket:)``
/// widens a request to them.
public struct StatsWindow: Sendable, Hashable {
    public var since: Date
    public var until: Date
    public var bucket: StatsBucket

    /// `since` and `until` should be on `bucket` boundaries (``covering(seconds:until:bucket:)``);
    /// the store counts whole minutes either way.
    public init(since: Date, until: Date, bucket: StatsBucket) {
        self.since = since
        self.until = until
        self.bucket = bucket
    }

    /// The whole buckets covering the `seconds` before `until`: `until` moved up to the end of its
    /// bucket (unless it is on a boundary), `since` down to the start of its own.
    public static func covering(seconds: Int, until: Date, bucket: StatsBucket) -> StatsWindow {
        let width = Double(bucket.seconds)
        let end = (until.timeIntervalSince1970 / width).rounded(.up) * width
        let start = ((until.timeIntervalSince1970 - Double(seconds)) / width).rounded(.down) * width
        return StatsWindow(since: Date(timeIntervalSince1970: start), until: Date(timeIntervalSince1970: end), bucket: bucket)
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

    /// The span cut into the fewest aligned runs of whole days, hours and minutes (at most one
    /// run of days, two of hours, four of minutes): the rows a window total reads.
    public var runs: [(width: StatsBucket, from: Date, to: Date)] {
        let from = Self.floor(since, .minute), to = Self.ceil(until, .minute)
        guard from < to else { return [] }
        var runs: [(StatsBucket, Date, Date)] = []
        func split(_ from: Date, _ to: Date, widths: ArraySlice<StatsBucket>) {
            guard from < to else { return }
            guard let width = widths.first, width != .minute else {
                runs.append((.minute, from, to))
                return
            }
            let inner = (Self.ceil(from, width), Self.floor(to, width))
            guard inner.0 < inner.1 else {
                split(from, to, widths: widths.dropFirst())
                return
            }
            split(from, inner.0, widths: widths.dropFirst())
            runs.append((width, inner.0, inner.1))
            split(inner.1, to, widths: widths.dropFirst())
        }
        split(from, to, widths: [.day, .hour, .minute])
        return runs.sorted { $0.1 < $1.1 }
    }

    static func floor(_ date: Date, _ width: StatsBucket) -> Date {
        let seconds = Double(width.seconds)
        return Date(timeIntervalSince1970: (date.timeIntervalSince1970 / seconds).rounded(.down) * seconds)
    }

    static func ceil(_ date: Date, _ width: StatsBucket) -> Date {
        let seconds = Double(width.seconds)
        return Date(timeIntervalSince1970: (date.timeIntervalSince1970 / seconds).rounded(.up) * seconds)
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

    public init(workflow: String?, kind: String, language: String?, seconds: Double, outputs: Int) {
        self.workflow = workflow
        self.kind = kind
        self.language = language
        self.seconds = seconds
        self.outputs = outputs
    }
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

/// `GET /v1/stats`, read from the counts migration 0012 keeps as rows change (`stats_rollup`,
/// summed per minute, hour and day, plus the `stats_deltas` not moved into it yet) in one
/// statement, whatever the window: about a millisecond at 10M notifications.
///
/// What is counted where:
/// - jobs and steps by creation minute and present state, notifications by receipt minute and
///   present outcome (pending ones, a backlog the door inserts without counting, read live from
///   their partial index): rows of the window's bucket width;
/// - error codes (steps created, calls started), callback latency (a histogram, steps finished)
///   and media (successful outputs, by when their result was recorded): window totals, from the
///   fewest day, hour and minute rows that cover it (``StatsWindow/runs``);
/// - steps `lost` and `submit_unknown` now: their partial index.
public struct StatsStore: Sendable {
    /// How many error codes each list shows.
    public static let topErrors = 10
    /// The kinds counted per bucket, and those only summed over the window.
    static let bucketKinds = ["job", "step", "notification"]
    static let totalKinds = ["step_error", "call_error", "latency", "media"]
    /// Separates the parts of a key (U+001F, as migration 0012 writes it).
    static let separator: Character = "\u{1F}"

    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// The report for `window`.
    public func report(_ window: StatsWindow) async throws -> StatsReport {
        var jobs: [StatsCount<JobState>] = [], steps: [StatsCount<StepState>] = [], notifications: [StatsCount<NotificationOutcome>] = []
        var stepErrors: [String: Int] = [:], callErrors: [String: Int] = [:]
        var histogram = LatencyHistogram()
        var media: [String: (seconds: Double, outputs: Int)] = [:]
        var lost = 0, submitUnknown = 0
        for row in try await client.query(Self.reportQuery(window)) {
            let (kind, bucket, key, count, seconds) = try row.decode((String, Date?, String, Int, Double).self)
            switch kind {
            case "job": jobs.append(StatsCount(bucket: try bucket.unwrapped(), state: try Self.state(key), count: count))
            case "step": steps.append(StatsCount(bucket: try bucket.unwrapped(), state: try Self.state(key), count: count))
            case "notification": notifications.append(StatsCount(bucket: try bucket.unwrapped(), state: try Self.state(key), count: count))
            case "step_error": stepErrors[key, default: 0] += count
            case "call_error": callErrors[key, default: 0] += count
            case "latency": histogram.add(bin: Int(key) ?? LatencyHistogram.lowestBin, count: count)
            case "media":
                media[key, default: (0, 0)].seconds += seconds
                media[key, default: (0, 0)].outputs += count
            case "attention" where key == StepState.lost.rawValue: lost = count
            case "attention" where key == StepState.submitUnknown.rawValue: submitUnknown = count
            default: throw PostgresError(code: .decoding, reason: "unknown stats kind \(kind)", column: "kind")
            }
        }
        return StatsReport(
            window: window,
            jobs: Self.sorted(jobs), steps: Self.sorted(steps), notifications: Self.sorted(notifications),
            stepErrors: Self.top(stepErrors) { StatsErrorCount(action: nil, code: $0, count: $1) },
            callErrors: Self.top(callErrors) { key, count in
                let parts = key.split(separator: Self.separator, maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                return StatsErrorCount(action: parts.count == 2 ? parts[0] : nil, code: parts.last ?? key, count: count)
            },
            latency: StatsLatency(
                count: histogram.total, p50: histogram.percentile(0.5), p95: histogram.percentile(0.95), p99: histogram.percentile(0.99)
            ),
            lostNow: lost, submitUnknownNow: submitUnknown,
            media: media.compactMap { key, value -> StatsMedia? in
                guard value.outputs > 0 else { return nil }
                let parts = key.split(separator: Self.separator, omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 3 else { return nil }
                return StatsMedia(
                    workflow: parts[0].isEmpty ? nil : parts[0], kind: parts[1], language: parts[2].isEmpty ? nil : parts[2],
                    seconds: value.seconds, outputs: value.outputs
                )
            }
            .sorted { ($1.seconds, $0.workflow ?? "", $0.kind, $0.language ?? "") < ($0.seconds, $1.workflow ?? "", $1.kind, $1.language ?? "") }
        )
    }

    // MARK: The statement (public for the benchmark's EXPLAIN)

    /// Every count of the window: (kind, bucket start or NULL for window totals, key, count, seconds).
    public static func reportQuery(_ window: StatsWindow) -> PostgresQuery {
        let runs = window.runs
        let step = "1 \(window.bucket.rawValue)"
        return """
            SELECT kind, bucket, key, sum(count)::bigint, sum(seconds) FROM (
                SELECT kind, start AS bucket, key, count, seconds FROM stats_rollup
                WHERE kind = ANY(\(bucketKinds)::text[]) AND width = \(window.bucket.rawValue) AND start >= \(window.since) AND start < \(window.until)
                UNION ALL
                SELECT kind, date_bin(\(step)::interval, minute, timestamptz '2000-01-01 00:00:00+00'), key, count, seconds FROM stats_deltas
                WHERE kind = ANY(\(bucketKinds)::text[]) AND minute >= \(window.since) AND minute < \(window.until)
                UNION ALL
                SELECT 'notification', date_bin(\(step)::interval, received_at, timestamptz '2000-01-01 00:00:00+00'), 'pending', 1, 0
                FROM notifications WHERE outcome = 'pending' AND received_at >= \(window.since) AND received_at < \(window.until)
                UNION ALL
                SELECT r.kind, NULL, r.key, r.count, r.seconds
                FROM unnest(\(runs.map(\.width.rawValue))::text[], \(runs.map(\.from))::timestamptz[], \(runs.map(\.to))::timestamptz[]) AS b(width, since, until)
                CROSS JOIN LATERAL (
                    SELECT kind, key, count, seconds FROM stats_rollup
                    WHERE kind = ANY(\(totalKinds)::text[]) AND width = b.width AND start >= b.since AND start < b.until
                ) r
                UNION ALL
                SELECT kind, NULL, key, count, seconds FROM stats_deltas
                WHERE kind = ANY(\(totalKinds)::text[]) AND minute >= \(window.since) AND minute < \(window.until)
                UNION ALL
                SELECT 'attention', NULL, state, 1, 0 FROM steps WHERE state IN ('submit_unknown', 'lost')
            ) counted
            GROUP BY kind, bucket, key
            HAVING sum(count) <> 0
            """
    }

    // MARK: Reading

    private static func state<State: RawRepresentable<String>>(_ raw: String) throws(PostgresError) -> State {
        guard let state = State(rawValue: raw) else { throw PostgresError(code: .decoding, reason: "unknown state \(raw)", column: "key") }
        return state
    }

    private static func sorted<State: RawRepresentable<String>>(_ counts: [StatsCount<State>]) -> [StatsCount<State>] {
        counts.filter { $0.count > 0 }.sorted { ($0.bucket, $0.state.rawValue) < ($1.bucket, $1.state.rawValue) }
    }

    /// The ``topErrors`` most frequent, most frequent first, then by key.
    private static func top(_ counts: [String: Int], _ make: (String, Int) -> StatsErrorCount) -> [StatsErrorCount] {
        counts.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(topErrors).map { make($0.key, $0.value) }
    }
}

extension Optional where Wrapped == Date {
    /// A bucket start the statement always gives for the per-bucket kinds.
    fileprivate func unwrapped() throws(PostgresError) -> Date {
        guard let self else { throw PostgresError(code: .decoding, reason: "a bucket count without a bucket", column: "bucket") }
        return self
    }
}

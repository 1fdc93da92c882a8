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
        // Rows of a key come from the roll-up, the deltas not moved yet and (pending) the live
        // index: summed here, not by the statement (its numeric sums cost more than the reading).
        var buckets: [String: [Date: [String: Int]]] = [:]
        var totals: [String: [String: Int]] = [:]
        var media: [String: (seconds: Double, outputs: Int)] = [:]
        for row in try await client.query(Self.reportQuery(window)) {
            let (kind, bucket, key, count, seconds) = try row.decode((String, Int?, String, Int, Double).self)
            if let bucket {
                buckets[kind, default: [:]][Date(timeIntervalSince1970: Double(bucket)), default: [:]][key, default: 0] += count
            } else if kind == "media" {
                media[key, default: (0, 0)].seconds += seconds
                media[key, default: (0, 0)].outputs += count
            } else {
                totals[kind, default: [:]][key, default: 0] += count
            }
        }
        var histogram = LatencyHistogram()
        for (bin, count) in totals["latency"] ?? [:] { histogram.add(bin: Int(bin) ?? LatencyHistogram.lowestBin, count: count) }
        let attention = totals["attention"] ?? [:]
        return StatsReport(
            window: window,
            jobs: try Self.counts(buckets["job"]), steps: try Self.counts(buckets["step"]), notifications: try Self.counts(buckets["notification"]),
            stepErrors: Self.top(totals["step_error"] ?? [:]) { StatsErrorCount(action: nil, code: $0, count: $1) },
            callErrors: Self.top(totals["call_error"] ?? [:]) { key, count in
                let parts = key.split(separator: Self.separator, maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                return StatsErrorCount(action: parts.count == 2 ? parts[0] : nil, code: parts.last ?? key, count: count)
            },
            latency: StatsLatency(
                count: histogram.total, p50: histogram.percentile(0.5), p95: histogram.percentile(0.95), p99: histogram.percentile(0.99)
            ),
            lostNow: attention[StepState.lost.rawValue] ?? 0, submitUnknownNow: attention[StepState.submitUnknown.rawValue] ?? 0,
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

    /// Every count of the window: (kind, bucket start in Unix seconds or NULL for window totals,
    /// key, count, seconds), a key's count possibly over several rows (the roll-up's and the
    /// deltas'). Times as integers: reading 10,000 timestamps' text cost more than the statement.
    public static func reportQuery(_ window: StatsWindow) -> PostgresQuery {
        let runs = window.runs
        let step = "1 \(window.bucket.rawValue)"
        return """
            SELECT kind, extract(epoch FROM start)::bigint, key, count, seconds FROM stats_rollup
            WHERE kind = ANY(\(bucketKinds)::text[]) AND width = \(window.bucket.rawValue) AND start >= \(window.since) AND start < \(window.until)
            UNION ALL
            SELECT kind, extract(epoch FROM date_bin(\(step)::interval, minute, timestamptz '2000-01-01 00:00:00+00'))::bigint, key, count, seconds
            FROM stats_deltas
            WHERE kind = ANY(\(bucketKinds)::text[]) AND minute >= \(window.since) AND minute < \(window.until)
            UNION ALL
            SELECT 'notification', extract(epoch FROM date_bin(\(step)::interval, received_at, timestamptz '2000-01-01 00:00:00+00'))::bigint,
                'pending', count(*), 0
            FROM notifications WHERE outcome = 'pending' AND received_at >= \(window.since) AND received_at < \(window.until)
            GROUP BY 2
            UNION ALL
            SELECT kind, NULL, key, sum(count)::bigint, sum(seconds) FROM (
                SELECT r.kind, r.key, r.count, r.seconds
                FROM unnest(\(runs.map(\.width.rawValue))::text[], \(runs.map(\.from))::timestamptz[], \(runs.map(\.to))::timestamptz[])
                    AS b(width, since, until)
                CROSS JOIN LATERAL (
                    SELECT kind, key, count, seconds FROM stats_rollup
                    WHERE kind = ANY(\(totalKinds)::text[]) AND width = b.width AND start >= b.since AND start < b.until
                ) r
                UNION ALL
                SELECT kind, key, count, seconds FROM stats_deltas
                WHERE kind = ANY(\(totalKinds)::text[]) AND minute >= \(window.since) AND minute < \(window.until)
            ) totals
            GROUP BY kind, key
            UNION ALL
            SELECT 'attention', NULL, state, count(*), 0 FROM steps WHERE state IN ('submit_unknown', 'lost') GROUP BY state
            """
    }

    // MARK: Reading

    /// The non-zero counts of one kind, by bucket then state.
    private static func counts<State: RawRepresentable<String>>(_ table: [Date: [String: Int]]?) throws(PostgresError) -> [StatsCount<State>] {
        guard let table else { return [] }
        var counts: [StatsCount<State>] = []
        counts.reserveCapacity(table.count * 4)
        // Buckets in order, then a bucket's few states by name: no sort of every count.
        for bucket in table.keys.sorted() {
            for (raw, count) in (table[bucket] ?? [:]).sorted(by: { $0.key < $1.key }) where count != 0 {
                guard let state = State(rawValue: raw) else { throw PostgresError(code: .decoding, reason: "unknown state \(raw)", column: "key") }
                counts.append(StatsCount(bucket: bucket, state: state, count: count))
            }
        }
        return counts
    }

    /// The ``topErrors`` most frequent, most frequent first, then by key.
    private static func top(_ counts: [String: Int], _ make: (String, Int) -> StatsErrorCount) -> [StatsErrorCount] {
        counts.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(topErrors).map { make($0.key, $0.value) }
    }
}

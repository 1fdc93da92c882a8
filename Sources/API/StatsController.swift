import Access
public import Foundation
import Hummingbird
import Logging
public import Postgres
public import Store
import Workflows

/// `GET /v1/stats` (scope `read`): what happened over a window, for dashboards.
///
/// Parameters (each refused with a 400 naming it):
/// - `window`: how far back from `until`, `<n>m`, `<n>h` or `<n>d`, from 1 minute to 31 days
///   (default `1h`);
/// - `bucket`: `minute`, `hour` or `day` (default: `minute` up to a 2-hour window, `hour` up to
///   7 days, else `day`); at most ``maximumBuckets`` buckets of it in the window;
/// - `until`: the window's end, RFC 3339 (default: now).
///
/// The window answered is made of whole buckets (``StatsWindow/covering(seconds:until:bucket:)``):
/// `until` moves up to the end of its bucket, the start down to the start of its own, so an
/// hour by the minute at 10:30:20 is 09:30–10:31 (61 buckets, the last one still filling).
/// Answers a ``StatsDocument``; `503` when the database fails.
public struct StatsController: Sendable {
    /// The widest window: 31 days.
    public static let maximumWindowSeconds = 31 * 86_400
    /// The most buckets a window is cut into.
    public static let maximumBuckets = 1440

    let store: StatsStore

    public init(client: PostgresClient) {
        self.store = StatsStore(client: client)
    }

    /// Adds the route to the API's scoped groups.
    public func register(on routes: APIRoutes) {
        routes.on(.get, "stats", scope: .read) { request, context in try await self.show(request, context: context) }
    }

    func show(_ request: Request, context: APIRequestContext) async throws(APIProblem) -> Response {
        let window = try Self.window(QueryReader(request, allowed: ["window", "bucket", "until"]), now: Date())
        let report = try await DatabaseCall.run("stats not read", context: context) { try await store.report(window) }
        return try APIResponse.json(.ok, StatsDocument(report))
    }

    /// The window the query asks for, checked.
    static func window(_ query: QueryReader, now: Date) throws(APIProblem) -> StatsWindow {
        let seconds = try query.string("window", maximumLength: 10).map { (text) throws(APIProblem) -> Int in
            guard let seconds = parseWindow(text) else {
                throw .invalidParameter("window", "a duration from 1m to 31d: a whole number and m, h or d (e.g. 15m, 24h, 7d)")
            }
            return seconds
        } ?? 3600
        let bucket = try query.value("bucket", as: StatsBucket.self) ?? (seconds <= 7200 ? .minute : seconds <= 7 * 86_400 ? .hour : .day)
        let count = (seconds + bucket.seconds - 1) / bucket.seconds
        guard count <= maximumBuckets else {
            throw .invalidParameter(
                "bucket", "a \(seconds / 60)-minute window in \(bucket.rawValue) buckets makes \(count) buckets; at most \(maximumBuckets): take a wider bucket"
            )
        }
        let until = try query.time("until") ?? now
        // Before 9999-12-31, so that its bucket's end is still a four-digit year.
        guard until.timeIntervalSince1970 >= 86_400 * 366, until.timeIntervalSince1970 < 253_402_214_400 else {
            throw .invalidParameter("until", "a time from 1971 to 9999-12-30")
        }
        return StatsWindow.covering(seconds: seconds, until: until, bucket: bucket)
    }

    /// `15m`, `24h`, `7d` in seconds, within 1 minute … 31 days, no leading zero (the spec's
    /// pattern says the same); nil otherwise.
    static func parseWindow(_ text: String) -> Int? {
        let digits = text.dropLast()
        guard let unit = text.last, digits.first != "0", digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) else {
            return nil
        }
        let seconds: Int
        switch unit {
        case "m": seconds = number * 60
        case "h": seconds = number * 3600
        case "d": seconds = number * 86_400
        default: return nil
        }
        guard number > 0, seconds <= maximumWindowSeconds else { return nil }
        return seconds
    }
}

/// What `GET /v1/stats` answers. Jobs and steps are counted by when they were created and the
/// state they are in now, notifications by when they were received and their outcome now: each
/// bucket says what became of the work that arrived in it. Every state is present in every
/// counts object (0 when none). Rates are per minute over the whole window.
///
/// ```json
/// {"bucket":"hour","bucketSeconds":3600,"since":"…","until":"…",
///  "buckets":[{"start":"…","jobs":{"running":2,…},"steps":{…},"notifications":{…}}],
///  "totals":{…},"ratesPerMinute":{…},"topErrors":{"steps":[{"code":"…","count":3}],"calls":[…]},
///  "callbackLatency":{"count":40,"p50Seconds":31.5,"p95Seconds":88,"p99Seconds":120},
///  "needAttention":{"lost":1,"submitUnknown":0},
///  "media":[{"workflow":"subtitles","kind":"translation","language":"fr","seconds":5400,"outputs":12}]}
/// ```
public struct StatsDocument: Encodable, Sendable {
    public var since: Date
    public var until: Date
    public var bucket: StatsBucket
    public var bucketSeconds: Int
    /// Every bucket the window touches, oldest first.
    public var buckets: [Bucket]
    public var totals: Counts
    public var ratesPerMinute: Rates
    public var topErrors: TopErrors
    public var callbackLatency: Latency
    public var needAttention: NeedAttention
    /// Largest first.
    public var media: [Media]

    public struct Bucket: Encodable, Sendable {
        public var start: Date
        public var jobs: [String: Int]
        public var steps: [String: Int]
        public var notifications: [String: Int]
    }

    public struct Counts: Encodable, Sendable {
        public var jobs: [String: Int]
        public var steps: [String: Int]
        public var notifications: [String: Int]
    }

    public struct Rates: Encodable, Sendable {
        public var jobs: [String: Double]
        public var steps: [String: Double]
        public var notifications: [String: Double]
    }

    public struct TopErrors: Encodable, Sendable {
        /// Error codes of steps created in the window.
        public var steps: [ErrorCount]
        /// Error codes of MPS calls started in the window, with the call's action.
        public var calls: [ErrorCount]
    }

    public struct ErrorCount: Encodable, Sendable {
        public var action: String?
        public var code: String
        public var count: Int
    }

    /// Submission to terminal report (the step's `submittedAt` to its `finishedAt`), over the
    /// steps that finished in the window; the percentiles are absent when none did.
    public struct Latency: Encodable, Sendable {
        public var count: Int
        public var p50Seconds: Double?
        public var p95Seconds: Double?
        public var p99Seconds: Double?
    }

    /// Steps in these states now, whenever they were created.
    public struct NeedAttention: Encodable, Sendable {
        public var lost: Int
        public var submitUnknown: Int
    }

    public struct Media: Encodable, Sendable {
        /// Absent for jobs created with a bare request.
        public var workflow: String?
        public var kind: String
        public var language: String?
        public var seconds: Double
        public var outputs: Int
    }

    public init(_ report: StatsReport) {
        let window = report.window
        since = window.since
        until = window.until
        bucket = window.bucket
        bucketSeconds = window.bucket.seconds
        let jobs = Self.table(report.jobs), steps = Self.table(report.steps), notifications = Self.table(report.notifications)
        buckets = window.bucketStarts.map { start in
            Bucket(
                start: start, jobs: Self.filled(jobs[start], JobState.self), steps: Self.filled(steps[start], StepState.self),
                notifications: Self.filled(notifications[start], NotificationOutcome.self)
            )
        }
        totals = Counts(
            jobs: Self.filled(Self.sum(report.jobs), JobState.self), steps: Self.filled(Self.sum(report.steps), StepState.self),
            notifications: Self.filled(Self.sum(report.notifications), NotificationOutcome.self)
        )
        let minutes = max(window.until.timeIntervalSince(window.since) / 60, 1)
        ratesPerMinute = Rates(
            jobs: totals.jobs.mapValues { Double($0) / minutes }, steps: totals.steps.mapValues { Double($0) / minutes },
            notifications: totals.notifications.mapValues { Double($0) / minutes }
        )
        topErrors = TopErrors(
            steps: report.stepErrors.map { ErrorCount(action: nil, code: $0.code, count: $0.count) },
            calls: report.callErrors.map { ErrorCount(action: $0.action, code: $0.code, count: $0.count) }
        )
        callbackLatency = Latency(
            count: report.latency.count, p50Seconds: report.latency.p50, p95Seconds: report.latency.p95, p99Seconds: report.latency.p99
        )
        needAttention = NeedAttention(lost: report.lostNow, submitUnknown: report.submitUnknownNow)
        media = report.media.map { Media(workflow: $0.workflow, kind: $0.kind, language: $0.language, seconds: $0.seconds, outputs: $0.outputs) }
    }

    /// Counts by bucket start, then state.
    private static func table<State>(_ counts: [StatsCount<State>]) -> [Date: [String: Int]] where State: RawRepresentable<String> {
        var table: [Date: [String: Int]] = [:]
        for count in counts { table[count.bucket, default: [:]][count.state.rawValue, default: 0] += count.count }
        return table
    }

    private static func sum<State>(_ counts: [StatsCount<State>]) -> [String: Int] where State: RawRepresentable<String> {
        var total: [String: Int] = [:]
        for count in counts { total[count.state.rawValue, default: 0] += count.count }
        return total
    }

    /// `counts` with every state of `type` present.
    private static func filled<State: CaseIterable & RawRepresentable<String>>(_ counts: [String: Int]?, _ type: State.Type) -> [String: Int] {
        var all: [String: Int] = [:]
        for state in State.allCases { all[state.rawValue] = counts?[state.rawValue] ?? 0 }
        return all
    }
}

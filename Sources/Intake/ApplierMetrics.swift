import Metrics
import Store
import Workflows

/// The applier's metrics, counted once the batch's transaction committed: notifications by
/// outcome, the lag from received to applied, and the callback latency of each step a batch
/// finished (submitted → the report that finished it), by the state it finished in.
public enum ApplierMetrics {
    private static let counters: [ApplyOutcome: Counter] = Dictionary(
        uniqueKeysWithValues: [ApplyOutcome.applied, .orphan, .unsupported, .failed].map { outcome in
            (outcome, Counter(label: "mpshook_applier_notifications_total", dimensions: [("outcome", outcome.rawValue)]))
        }
    )
    private static let lag = Metrics.Timer(label: "mpshook_applier_lag_seconds", preferredDisplayUnit: .seconds)
    private static let callbackLatency: [StepState: Metrics.Timer] = Dictionary(
        uniqueKeysWithValues: StepState.allCases.filter(\.isTerminal).map { state in
            (state, Metrics.Timer(label: "mpshook_callback_latency_seconds", dimensions: [("state", state.rawValue)], preferredDisplayUnit: .seconds))
        }
    )

    /// Histogram buckets by metric name: lags from milliseconds (a live applier) to an hour (a
    /// backlog); callback latencies from a second to a day (MPS tasks take minutes to hours).
    public static let durationBuckets: [String: [Duration]] = [
        "mpshook_applier_lag_seconds": [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
            .seconds(300), .seconds(900), .seconds(3600),
        ],
        "mpshook_callback_latency_seconds": [
            .seconds(1), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600),
            .seconds(1200), .seconds(1800), .seconds(3600), .seconds(7200), .seconds(14400), .seconds(43200), .seconds(86400),
        ],
    ]

    /// Makes every series now, so each is scraped (at zero) before its first event.
    public static func prepare() {
        _ = (counters, lag, callbackLatency)
    }

    static func count(_ outcomes: [ApplyOutcome]) {
        for outcome in outcomes { counters[outcome]?.increment() }
    }

    static func record(_ batch: AppliedBatch) {
        count(batch.outcomes)
        for seconds in batch.lagSeconds { lag.record(seconds: seconds) }
        for step in batch.finishedSteps { callbackLatency[step.state]?.record(seconds: step.seconds) }
    }
}

extension Metrics.Timer {
    /// Records `seconds` (clamped at zero: two clocks may disagree by a little).
    func record(seconds: Double) {
        recordNanoseconds(Int64(min(max(0, seconds), 1e9) * 1e9))
    }
}

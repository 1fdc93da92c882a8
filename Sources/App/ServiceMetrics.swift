import API
import Intake
import Metrics
public import Postgres
public import Prometheus
import StepDispatch
import Store
import Webhooks
import Workflows

/// The process's metrics: the Prometheus registry behind `GET /metrics`, bootstrapped once by
/// `mpshook serve` with each module's histogram buckets, and every family made up front so a
/// scrape shows it (at zero) before its first event. Families and what they mean: the README's
/// "Metrics" section.
public enum ServiceMetrics {
    /// Bootstraps the metrics system with a Prometheus factory over a new registry (call once,
    /// from the executable: never from a library or a test) and returns the registry.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(factory(registry: registry))
        prepare()
        return registry
    }

    /// A factory over `registry` with each family's buckets.
    static func factory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        for buckets in [
            IntakeMetrics.durationBuckets, ApplierMetrics.durationBuckets, DispatchMetrics.durationBuckets, durationBuckets,
        ] {
            factory.durationHistogramBuckets.merge(buckets) { _, new in new }
        }
        factory.valueHistogramBuckets.merge(GroupCommitMetrics.valueBuckets) { _, new in new }
        return factory
    }

    /// From a tenth of a millisecond (an idle pooled connection) to the checkout timeout's range.
    static let durationBuckets: [String: [Duration]] = {
        let fast: [Duration] = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
            .seconds(5), .seconds(10),
        ]
        return ["mpshook_db_pool_checkout_wait_seconds": fast, "mpshook_http_request_duration_seconds": fast]
    }()

    static func prepare() {
        IntakeMetrics.prepare()
        GroupCommitMetrics.prepare()
        ApplierMetrics.prepare()
        DispatchMetrics.prepare()
        ReconcilerMetrics.prepare()
        WebhookMetrics.prepare()
        PoolMetrics.prepare()
        WorkloadGauges.prepare()
        for reason in ["header", "idle", "body", "evicted"] {
            _ = Counter(label: "mpshook_http_connections_closed_total", dimensions: [("reason", reason)])
        }
    }
}

/// The database pool's checkouts: `mpshook_db_pool_checkout_wait_seconds` (every checkout,
/// however short) and `mpshook_db_pool_checkout_timeouts_total`. The pool's in-use, idle and
/// waiting counts are gauges ``WorkloadGauges`` samples.
public struct PoolMetrics: PostgresPoolObserver {
    static let wait = Metrics.Timer(label: "mpshook_db_pool_checkout_wait_seconds", preferredDisplayUnit: .seconds)
    static let timeouts = Counter(label: "mpshook_db_pool_checkout_timeouts_total")

    public init() {}

    static func prepare() {
        _ = (wait, timeouts)
    }

    public func checkedOut(after wait: Duration) {
        Self.wait.recordNanoseconds(Int64(wait / .nanoseconds(1)))
    }

    public func checkoutTimedOut() {
        Self.timeouts.increment()
    }
}

public import Logging
public import Postgres
public import ServiceLifecycle
import Metrics
import Store
import Workflows

/// Gauges sampled rather than counted: every second the pool's in-use, idle and waiting counts
/// and readiness (memory reads); every `interval` the work in hand from the database, in one
/// cheap statement (``WorkloadStore``): the dispatcher's due steps and the oldest one's wait, the
/// applier's unapplied notifications and the oldest one's age, jobs and steps in each state
/// that holds work. `mpshook_database_up` says whether that statement last succeeded.
///
/// Every replica samples, not the reconciler's leader alone: the numbers are the database's, so
/// every replica reports the same (dashboards take `max` across instances), there is no gap
/// while leadership moves, and a replica without MPS credentials (no reconciler) still reports.
/// The cost is one indexed statement per replica every few seconds.
public final class WorkloadGauges: Service, Sendable {
    static let ready = Gauge(label: "mpshook_ready")
    static let databaseUp = Gauge(label: "mpshook_database_up")
    static let inUse = Gauge(label: "mpshook_db_pool_in_use_connections")
    static let idle = Gauge(label: "mpshook_db_pool_idle_connections")
    static let waiting = Gauge(label: "mpshook_db_pool_waiting_requests")
    static let maximum = Gauge(label: "mpshook_db_pool_max_connections")
    static let dueSteps = Gauge(label: "mpshook_dispatch_due_steps")
    static let oldestDue = Gauge(label: "mpshook_dispatch_oldest_due_seconds")
    static let pendingNotifications = Gauge(label: "mpshook_applier_pending_notifications")
    static let oldestPending = Gauge(label: "mpshook_applier_oldest_pending_seconds")
    static let steps: [StepState: Gauge] = Dictionary(uniqueKeysWithValues: Workload.stepStates.map { state in
        (state, Gauge(label: "mpshook_steps_in_state", dimensions: [("state", state.rawValue)]))
    })
    static let jobs: [JobState: Gauge] = Dictionary(uniqueKeysWithValues: Workload.jobStates.map { state in
        (state, Gauge(label: "mpshook_jobs_in_state", dimensions: [("state", state.rawValue)]))
    })

    static func prepare() {
        _ = (ready, databaseUp, inUse, idle, waiting, maximum, dueSteps, oldestDue, pendingNotifications, oldestPending, steps, jobs)
    }

    private let client: PostgresClient
    private let store: WorkloadStore
    private let readiness: DatabaseReadiness
    private let interval: Duration
    private let logger: Logger

    public init(client: PostgresClient, readiness: DatabaseReadiness, interval: Duration = .seconds(5), logger: Logger) {
        self.client = client
        self.store = WorkloadStore(client: client)
        self.readiness = readiness
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        Self.maximum.record(client.configuration.maximumConnections)
        await cancelWhenGracefulShutdown {
            var nextRead = ContinuousClock.now
            var failing = false
            while !Task.isCancelled {
                self.samplePool()
                if ContinuousClock.now >= nextRead {
                    nextRead = .now + self.interval
                    do {
                        Self.record(try await self.store.read())
                        Self.databaseUp.record(1)
                        if failing { self.logger.info("workload gauges: reading again") }
                        failing = false
                    } catch {
                        Self.databaseUp.record(0)
                        if !failing { self.logger.info("workload gauges: cannot read the database now", metadata: ["error": "\(error)"]) }
                        failing = true
                    }
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func samplePool() {
        let pool = client.statistics
        Self.inUse.record(pool.leased)
        Self.idle.record(pool.idle)
        Self.waiting.record(pool.waiting)
        Self.ready.record(readiness.state == .ready ? 1 : 0)
    }

    static func record(_ workload: Workload) {
        dueSteps.record(workload.dueSteps)
        oldestDue.record(workload.oldestDueSeconds)
        pendingNotifications.record(workload.pendingNotifications)
        oldestPending.record(workload.oldestPendingSeconds)
        for (state, count) in workload.steps { steps[state]?.record(count) }
        for (state, count) in workload.jobs { jobs[state]?.record(count) }
    }
}

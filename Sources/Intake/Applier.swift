import Foundation
import Metrics
public import Logging
import MPS
public import Postgres
public import ServiceLifecycle
public import Store
import Workflows

/// Applies stored notifications behind the door: in batches (`FOR UPDATE SKIP LOCKED`, so
/// replicas share the work), one transaction per batch, each notification under its own
/// savepoint so one that fails is kept with its error (outcome `failed`, re-appliable) without
/// undoing the rest.
///
/// Applying matches the notification to its step through the correlation id from
/// `SessionContext`, moves each output only forward (WAITING → PROCESSING → SUCCESS | FAIL; a
/// stale report changes nothing), resolves a `submit_unknown` step (the task exists), finishes
/// the step when every output is final, and finishes the job when every step is. Outcomes:
/// `applied`, `orphan` (no such step: kept, listable), `unsupported` (another EventType).
public final class Applier: Service, Sendable {
    private let client: PostgresClient
    private let batchSize: Int
    private let pollInterval: Duration
    private let logger: Logger
    private let catalog: WorkflowCatalog
    private let workers: Int
    private let listener: PostgresListener
    /// True when ``listener`` is this applier's own, run by it (none was shared with it).
    private let runsListener: Bool

    /// `workers` batches are applied at once (each in its own transaction): while one waits on
    /// the database, another decodes and plans, so a backlog drains on two cores instead of one.
    /// Workers are woken through `listener`, the process's shared one (without it, the applier
    /// runs a listener of its own).
    public init(
        client: PostgresClient, batchSize: Int = 100, workers: Int = 1, pollInterval: Duration = .seconds(2),
        catalog: WorkflowCatalog = WorkflowCatalog(), listener: PostgresListener? = nil, logger: Logger
    ) {
        self.client = client
        self.listener = listener ?? PostgresListener(client: client, logger: logger)
        self.runsListener = listener == nil
        self.catalog = catalog
        self.workers = max(1, workers)
        self.batchSize = max(1, batchSize)
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Applies until graceful shutdown. A transient failure (the database away, a timeout, a
    /// lost conflict) leaves the notifications pending and is retried with a growing pause;
    /// stopping mid-batch is routine (the batch rolls back and is applied later), not an error.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                if self.runsListener {
                    group.addTask { try? await self.listener.run() }
                }
                await withDiscardingTaskGroup { workers in
                    for _ in 0..<self.workers {
                        workers.addTask { await self.work() }
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// One worker: applies batches while there are pending notifications, then waits for the
    /// door's wake-up, or the poll interval (the safety net: a wake-up lost with the listening
    /// session, or no session at all).
    private func work() async {
        let wakeups = listener.subscribe([NotificationStore.notificationsChannel])
        defer { wakeups.cancel() }
        var backoff = RetryBackoff()
        while !Task.isCancelled {
            do {
                while try await self.applyBatch() > 0, !Task.isCancelled {}
                backoff.reset()
            } catch {
                if Task.isCancelled { break }
                let pause = backoff.next()
                let metadata: Logger.Metadata = ["error": "\(error)", "retry.in_ms": "\(pause / .milliseconds(1))"]
                if Self.isTransient(error) {
                    self.logger.warning("applying notifications failed for now; they stay pending", metadata: metadata)
                } else {
                    self.logger.error("applying notifications failed", metadata: metadata)
                }
                try? await Task.sleep(for: pause)
                continue
            }
            _ = await wakeups.next(within: self.pollInterval)
        }
    }

    /// A failure worth retrying later (see ``PostgresError/isTransient``): the notification
    /// stays pending instead of being marked `failed`.
    static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? PostgresError { return error.isTransient }
        return error is CancellationError
    }

    /// Applies up to one batch of pending notifications; returns how many it took.
    ///
    /// The batch is applied in one transaction with a few statements that each cover it
    /// whole. When that fails (a broken row, a bug), the batch is rolled back and its
    /// notifications are applied one per transaction, so only the one that fails is kept as
    /// `failed`, with its error.
    @discardableResult
    public func applyBatch() async throws -> Int {
        do {
            let applied = try await client.withTransaction { connection in
                let pending = try await ApplyStore(connection: connection).claimPending(limit: self.batchSize)
                return try await Self.apply(pending, on: connection, catalog: self.catalog)
            }
            ApplierMetrics.record(applied)
            return applied.outcomes.count
        } catch where Self.isTransient(error) {
            throw error
        } catch {
            logger.warning("a notification batch failed to apply; applying its notifications one by one", metadata: ["error": "\(error)"])
            return try await applyOneByOne()
        }
    }

    private func applyOneByOne() async throws -> Int {
        var taken = 0
        for id in try await ApplyStore.pendingIds(limit: batchSize, client: client) {
            do {
                let applied = try await client.withTransaction { connection in
                    let pending = try await ApplyStore(connection: connection).claimPending(limit: 1, id: id)
                    return try await Self.apply(pending, on: connection, catalog: self.catalog)
                }
                ApplierMetrics.record(applied)
                taken += applied.outcomes.count
            } catch where Self.isTransient(error) {
                // Not the notification's fault: it stays pending and is retried later.
                throw error
            } catch {
                let reason = (error as? PostgresError).map { "\($0)" } ?? "\(error)"
                try await ApplyStore.markFailed(id: id, error: reason, client: client)
                ApplierMetrics.count([.failed])
                logger.warning("a notification could not be applied; kept as failed", metadata: ["notification.id": "\(id)"])
                taken += 1
            }
        }
        return taken
    }

    /// Applies `pending` (already locked) on `connection`; returns each one's outcome, and what
    /// the metrics want of it (count it only once the transaction committed).
    ///
    /// Reading and deciding are `Workflows`' (merging each report forward into the outputs, the
    /// step's transitions); persisting them and planning what follows a finished step is the one
    /// completion path, ``CompletionStore/complete(_:)``, in the same transaction.
    static func apply(_ pending: [PendingNotification], on connection: PostgresConnection, catalog: WorkflowCatalog) async throws -> AppliedBatch {
        guard !pending.isEmpty else { return AppliedBatch() }
        let completion = CompletionStore(connection: connection, catalog: catalog)
        let wanted = Set(pending.compactMap { $0.eventType == "BatchTask" ? $0.correlationId : nil })
        var steps: [UUID: LockedStep] = [:]
        for step in try await completion.lockSteps(correlationIds: Array(wanted)) { steps[step.correlationId] = step }

        var outcomes: [(id: Int64, outcome: ApplyOutcome, error: String?)] = []
        var merged: [UUID: [OutputRecord]] = [:]
        var changed: [UUID: Set<Int>] = [:]
        var matched: [UUID: LockedStep] = [:]
        for notification in pending {
            guard notification.eventType == "BatchTask" else {
                outcomes.append((notification.id, .unsupported, nil))
                continue
            }
            guard let correlationId = notification.correlationId, let step = steps[correlationId] else {
                outcomes.append((notification.id, .orphan, nil))
                continue
            }
            let report: NotificationReport
            do {
                // The door's own reading: what it verified is what is applied.
                report = try NotificationReport.decode(Array(notification.body.utf8))
            } catch {
                outcomes.append((notification.id, .failed, "the stored body cannot be read: \(error)"))
                continue
            }
            if let problem = report.eventProblem {
                // Applied as "nothing reported" it would vanish; kept failed, it stays visible.
                outcomes.append((notification.id, .failed, problem))
                continue
            }
            matched[step.id] = step
            var outputs = merged[step.id] ?? step.outputs
            // Outputs[i] reports input i (MPS keeps the order of InputInfo).
            for (index, output) in report.outputs.enumerated() where index < outputs.count {
                guard let next = outputs[index].merging(output) else { continue }
                outputs[index] = next
                changed[step.id, default: []].insert(index)
            }
            merged[step.id] = outputs
            outcomes.append((notification.id, .applied, nil))
        }
        // A report proves the task exists; outputs all final finish the step as they say.
        var changes: [StepChange] = []
        var finished: [(state: StepState, seconds: Double)] = []
        for step in matched.values.sorted(by: { $0.id < $1.id }) {
            let outputs = merged[step.id] ?? step.outputs
            var state = step.state.after(.taskReported) ?? step.state
            if let outcome = StepOutcome(outputs: outputs.map(\.state)), let finished = state.after(.outputsFinal(outcome)) {
                state = finished
            }
            let touched = (changed[step.id] ?? []).sorted().map { outputs[$0] }
            // Even a report that changes nothing is news from MPS for a step still waiting on
            // it (the reconciler's deadlines); a finished step is left as it is.
            let reported = !step.state.isTerminal
            guard state != step.state || !touched.isEmpty || reported else { continue }
            if state.isTerminal, !step.state.isTerminal, let seconds = step.secondsSinceSubmitted {
                finished.append((state, seconds))
            }
            changes.append(StepChange(stepId: step.id, jobId: step.jobId, from: step.state, to: state, outputs: touched, reported: reported))
        }
        _ = try await completion.complete(changes)
        try await ApplyStore(connection: connection).record(outcomes)
        return AppliedBatch(
            outcomes: outcomes.map(\.outcome), lagSeconds: pending.map(\.secondsSinceReceived), finishedSteps: finished
        )
    }

    /// Puts failed (or the given) notifications back to pending, to apply again after a fix.
    /// Returns how many were requeued.
    public static func reapply(ids: [Int64]?, client: PostgresClient) async throws(PostgresError) -> Int {
        try await ApplyStore.requeue(ids: ids, client: client)
    }
}

/// The pause before retrying after a failure: doubling from half a second up to 30 seconds,
/// back to the start after a success.
struct RetryBackoff {
    private static let first = Duration.milliseconds(500)
    private static let longest = Duration.seconds(30)
    private var current: Duration?

    mutating func next() -> Duration {
        let pause = current.map { min(Self.longest, $0 * 2) } ?? Self.first
        current = pause
        return pause
    }

    mutating func reset() { current = nil }
}

/// What one applied batch tells the metrics.
struct AppliedBatch: Sendable {
    /// Each notification's outcome.
    var outcomes: [ApplyOutcome] = []
    /// For each notification, seconds from received to applied.
    var lagSeconds: [Double] = []
    /// Steps this batch finished, with the seconds since they were submitted.
    var finishedSteps: [(state: StepState, seconds: Double)] = []
}

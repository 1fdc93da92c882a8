import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Metrics
public import Logging
public import Postgres
public import ServiceLifecycle
public import Store
import Synchronization

/// Stores notifications through a group commit: concurrent requests join a batch that one
/// writer inserts in a single statement (one commit), and each request learns its outcome only
/// after that commit. A batch waits at most `linger` after its oldest row, and holds at most
/// `batchSize` rows. When a batch fails, its rows are retried one by one, so one bad row fails
/// only its own request.
///
/// The queue is bounded (``Limits``): past its rows or bytes, or while commits are stalled (one
/// in flight for longer than `stallAfter`) or failing (the last one failed transiently; one
/// probe at a time is let through), a request is refused at once with ``Unavailable`` instead of
/// waiting out its timeout. A request answered early (timeout, cancellation) leaves the queue;
/// if its row was already in a batch being committed it may still commit (a retry is then a
/// duplicate, answered 200).
public final class GroupCommitter: Service, Sendable {
    /// What happened to one submitted notification.
    public enum Outcome: Sendable, Equatable {
        /// Committed now.
        case stored
        /// The same content was already stored (a duplicate delivery).
        case duplicate
    }

    /// Bounds on what waits to be committed, and when commits count as stalled. The defaults
    /// never bite in healthy traffic (the queue stays near a batch or two deep).
    public struct Limits: Sendable {
        /// Rows queued (not yet in a batch) at most.
        public var rows: Int
        /// Bytes of queued rows (bodies and headers) at most; one row is always admitted.
        public var bytes: Int
        /// A commit in flight for longer than this marks the database as stalled.
        public var stallAfter: Duration
        /// How long a failed commit keeps new requests refused (but for a probe), when no
        /// commit succeeds meanwhile.
        public var failureMemory: Duration

        public init(rows: Int = 4096, bytes: Int = 64 << 20, stallAfter: Duration = .seconds(2), failureMemory: Duration = .seconds(5)) {
            self.rows = max(1, rows)
            self.bytes = max(1, bytes)
            self.stallAfter = stallAfter
            self.failureMemory = failureMemory
        }
    }

    /// The request was refused at once: the door answers 503 and MPS retries.
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        public enum Reason: Sendable, Equatable {
            /// The queue holds its limit of rows or bytes.
            case queueFull
            /// A commit has been in flight for longer than the stall limit.
            case commitsStalled
            /// The last commit failed; a probe is already finding out whether the next works.
            case commitsFailing
        }

        public var reason: Reason

        public var description: String {
            switch reason {
            case .queueFull: "the notification queue is full"
            case .commitsStalled: "notification commits are stalled"
            case .commitsFailing: "notification commits are failing"
            }
        }
    }

    /// The request gave up waiting; its row may still be committed later (a retry of the same
    /// content is then a duplicate, answered 200).
    public struct Timeout: Error, Sendable {}

    /// Whether commits are completing, for readiness.
    public enum Health: Sendable, Equatable {
        case healthy
        case unhealthy(reason: String)

        /// Why it is unhealthy; nil when healthy.
        public var reason: String? {
            if case .unhealthy(let reason) = self { return reason }
            return nil
        }
    }

    /// What waits, for metrics and tests.
    public struct QueueStatistics: Sendable, Equatable {
        /// Rows queued, not yet in a batch.
        public var rows: Int
        /// Their bytes (bodies and headers).
        public var bytes: Int
        /// Batches being committed now.
        public var committing: Int
    }

    private struct Pending {
        var id: Int
        var notification: IncomingNotification
        var enqueued: ContinuousClock.Instant
        var bytes: Int
    }

    private struct Waiter {
        var continuation: CheckedContinuation<Outcome, any Error>
        var deadline: ContinuousClock.Instant
    }

    /// Everything under one lock. A request is in `waiters` until it is answered, and its row
    /// in `queue` until a writer takes it into a batch; whoever removes a waiter resumes it, so
    /// each is resumed exactly once.
    private struct State: ~Copyable {
        var queue: [Pending] = []
        var queuedBytes = 0
        var waiters: [Int: Waiter] = [:]
        var nextId = 0
        var isClosed = false
        /// Start of each batch being committed, by batch number.
        var committing: [Int: ContinuousClock.Instant] = [:]
        var nextBatch = 0
        /// The last commit's transient failure, cleared by a success.
        var lastFailure: (at: ContinuousClock.Instant, error: String)?
        /// The most bytes queued since the queue was last empty, to give memory back after a backlog.
        var backlogBytes = 0
        var trimDue = false

        func refusal(now: ContinuousClock.Instant, limits: Limits, bytes: Int) -> Unavailable.Reason? {
            if queue.count >= limits.rows || (!queue.isEmpty && queuedBytes + bytes > limits.bytes) { return .queueFull }
            if let oldest = committing.values.min(), now - oldest > limits.stallAfter { return .commitsStalled }
            if let failure = lastFailure, now - failure.at < limits.failureMemory, !(queue.isEmpty && committing.isEmpty) {
                return .commitsFailing
            }
            return nil
        }

        /// Removes answered rows from the queue, and lets go of a large array once it is empty.
        mutating func dropQueued(_ ids: Set<Int>) {
            guard !ids.isEmpty, !queue.isEmpty else { return }
            queue.removeAll { pending in
                guard ids.contains(pending.id) else { return false }
                queuedBytes -= pending.bytes
                return true
            }
            noteDrained()
        }

        mutating func noteDrained() {
            guard queue.isEmpty else { return }
            if queue.capacity > 1024 { queue = [] }
            if waiters.isEmpty, waiters.capacity > 1024 { waiters = [:] }
            if backlogBytes >= GroupCommitter.trimAfterBacklog { trimDue = true }
            backlogBytes = 0
        }
    }

    /// A backlog of at least this many bytes, once drained, returns its memory to the system.
    static let trimAfterBacklog = 8 << 20

    private let store: any NotificationWriter
    private let batchSize: Int
    private let writers: Int
    private let linger: Duration
    private let limits: Limits
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public convenience init(
        client: PostgresClient, batchSize: Int = 64, linger: Duration = .milliseconds(1), writers: Int = 1,
        limits: Limits = Limits(), logger: Logger
    ) {
        self.init(store: NotificationStore(client: client), batchSize: batchSize, linger: linger, writers: writers, limits: limits, logger: logger)
    }

    /// A committer writing through `store` (the database's ``NotificationStore``, or a double in tests).
    public init(
        store: some NotificationWriter, batchSize: Int = 64, linger: Duration = .milliseconds(1), writers: Int = 1,
        limits: Limits = Limits(), logger: Logger
    ) {
        self.store = store
        self.batchSize = max(1, batchSize)
        self.writers = max(1, writers)
        self.linger = linger
        self.limits = limits
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Rows and bytes queued and batches committing now.
    public var queueStatistics: QueueStatistics {
        state.withLock { QueueStatistics(rows: $0.queue.count, bytes: $0.queuedBytes, committing: $0.committing.count) }
    }

    /// Unhealthy while a commit has been in flight for longer than the stall limit, or the last
    /// commit failed transiently (for at most `failureMemory` without a success).
    public var health: Health {
        let now = ContinuousClock.now
        return state.withLock { state in
            if let oldest = state.committing.values.min(), now - oldest > limits.stallAfter {
                return .unhealthy(reason: "a notification commit has been running for \(Self.seconds(now - oldest))")
            }
            if let failure = state.lastFailure, now - failure.at < limits.failureMemory {
                return .unhealthy(reason: "the last notification commit failed: \(failure.error)")
            }
            return .healthy
        }
    }

    /// Queues `notification` and returns once its batch has committed. Throws ``Unavailable``
    /// at once when the queue is full or commits are stalled or failing; otherwise throws when
    /// the batch failed, `timeout` passed first (checked every few milliseconds by the writer's
    /// sweeper), or the calling task was cancelled. A request that gives up leaves the queue.
    public func submit(_ notification: IncomingNotification, timeout: Duration) async throws -> Outcome {
        let id = state.withLock { state -> Int in
            state.nextId += 1
            return state.nextId
        }
        let bytes = Self.size(of: notification)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let now = ContinuousClock.now
                let refused = self.state.withLock { state -> (any Error)? in
                    if state.isClosed { return PostgresError(code: .poolClosed, reason: "the notification writer has stopped") }
                    if Task.isCancelled { return CancellationError() }
                    if let reason = state.refusal(now: now, limits: self.limits, bytes: bytes) { return Unavailable(reason: reason) }
                    state.waiters[id] = Waiter(continuation: continuation, deadline: now + timeout)
                    state.queue.append(Pending(id: id, notification: notification, enqueued: now, bytes: bytes))
                    state.queuedBytes += bytes
                    state.backlogBytes = max(state.backlogBytes, state.queuedBytes)
                    return nil
                }
                if let refused {
                    continuation.resume(throwing: refused)
                    return
                }
                self.wake.yield()
            }
        } onCancel: {
            self.finish(id, with: .failure(CancellationError()), dropQueued: true)
        }
    }

    /// What a queued row holds on to, roughly: its texts and a fixed overhead.
    static func size(of notification: IncomingNotification) -> Int {
        notification.body.utf8.count + notification.headers.utf8.count + (notification.sessionContext?.utf8.count ?? 0)
            + notification.contentHash.count + 256
    }

    /// Fails every request whose deadline has passed, and drops its row if still queued (a row
    /// already in a batch may still commit).
    private func expireOverdue() {
        let now = ContinuousClock.now
        let overdue = state.withLock { state -> [CheckedContinuation<Outcome, any Error>] in
            let ids = state.waiters.filter { $0.value.deadline <= now }.map(\.key)
            guard !ids.isEmpty else { return [] }
            let continuations = ids.compactMap { state.waiters.removeValue(forKey: $0)?.continuation }
            state.dropQueued(Set(ids))
            return continuations
        }
        for continuation in overdue {
            continuation.resume(throwing: Timeout())
        }
    }

    private func finish(_ id: Int, with result: Result<Outcome, any Error>, dropQueued: Bool = false) {
        let continuation = state.withLock { state -> CheckedContinuation<Outcome, any Error>? in
            let waiter = state.waiters.removeValue(forKey: id)
            if dropQueued, waiter != nil { state.dropQueued([id]) }
            return waiter?.continuation
        }
        continuation?.resume(with: result)
    }

    /// The writer: flushes batches until cancelled, then fails whatever is still queued.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(20))
                        self.expireOverdue()
                        self.housekeeping()
                    }
                }
                for await _ in self.wakeups {
                    await self.flushAll()
                }
                group.cancelAll()
            }
        }
        // A request still waiting at shutdown was not stored: it must not be acknowledged.
        let left = state.withLock { state -> [CheckedContinuation<Outcome, any Error>] in
            state.isClosed = true
            defer {
                state.waiters.removeAll()
                state.queue.removeAll()
                state.queuedBytes = 0
            }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in left {
            continuation.resume(throwing: PostgresError(code: .poolClosed, reason: "shutting down before the batch was stored"))
        }
    }

    /// Publishes the queue's size, and gives memory back once a large backlog has drained
    /// (glibc keeps freed memory in its arenas otherwise, so the process stays at its peak).
    private func housekeeping() {
        let (statistics, trim) = state.withLock { state -> (QueueStatistics, Bool) in
            let trim = state.trimDue && state.committing.isEmpty
            if trim { state.trimDue = false }
            return (QueueStatistics(rows: state.queue.count, bytes: state.queuedBytes, committing: state.committing.count), trim)
        }
        GroupCommitMetrics.queueRows.record(statistics.rows)
        GroupCommitMetrics.queueBytes.record(statistics.bytes)
        if trim { MemoryTrim.giveBack() }
    }

    /// Flushes until the queue is empty, with at most `writers` batches committing at once (a
    /// second writer fills its batch while the first one's commit is in flight).
    private func flushAll() async {
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while true {
                if inFlight == writers, await group.next() != nil { inFlight -= 1 }
                // Linger briefly after the oldest row so concurrent requests share the commit.
                let oldest = state.withLock { state in state.queue.count < batchSize ? state.queue.first?.enqueued : nil }
                if let oldest {
                    let waitUntil = oldest + linger
                    if waitUntil > .now { try? await Task.sleep(until: waitUntil, clock: .continuous) }
                }
                let now = ContinuousClock.now
                let taken = state.withLock { state -> (number: Int, rows: [Pending])? in
                    guard !state.queue.isEmpty else { return nil }
                    let rows = Array(state.queue.prefix(batchSize))
                    state.queue.removeFirst(rows.count)
                    state.queuedBytes -= rows.reduce(0) { $0 + $1.bytes }
                    state.noteDrained()
                    state.nextBatch += 1
                    state.committing[state.nextBatch] = now
                    return (state.nextBatch, rows)
                }
                guard let taken else { return }
                group.addTask { await self.flush(taken.rows, number: taken.number) }
                inFlight += 1
            }
        }
    }

    private func flush(_ batch: [Pending], number: Int) async {
        let started = ContinuousClock.now
        var failure: PostgresError?
        defer {
            GroupCommitMetrics.commit.recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
            GroupCommitMetrics.rows.record(batch.count)
            state.withLock { state in
                state.committing[number] = nil
                if let failure {
                    state.lastFailure = (.now, failure.description)
                } else {
                    state.lastFailure = nil
                }
            }
        }
        do {
            let fresh = try await store.insert(batch.map(\.notification))
            for (item, isNew) in zip(batch, fresh) {
                finish(item.id, with: .success(isNew ? .stored : .duplicate))
            }
        } catch {
            // A sick database is no row's fault: fail the batch (MPS retries) rather than
            // retrying each row against it.
            guard batch.count > 1, !error.isTransient else {
                if error.isTransient { failure = error }
                for item in batch { finish(item.id, with: .failure(error)) }
                return
            }
            logger.warning("a notification batch failed; storing its rows one by one", metadata: ["batch.size": "\(batch.count)"])
            for item in batch {
                do {
                    let fresh = try await store.insert([item.notification])
                    finish(item.id, with: .success(fresh.first == true ? .stored : .duplicate))
                } catch {
                    if error.isTransient { failure = error }
                    finish(item.id, with: .failure(error))
                }
            }
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration / .milliseconds(1)
        return "\((milliseconds / 100).rounded() / 10) s"
    }
}

/// glibc's `malloc_trim(0)`: returns free heap memory to the system. Looked up at run time
/// because Glibc's Swift module does not export `<malloc.h>`; a no-op where it is missing.
enum MemoryTrim {
    #if canImport(Glibc)
    private typealias Trim = @convention(c) (Int) -> Int32
    private static let trim: Trim? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim").map { unsafeBitCast($0, to: Trim.self) }
    #endif

    static func giveBack() {
        #if canImport(Glibc)
        _ = trim?(0)
        #endif
    }
}

/// Where the group commit writes a batch: one statement, one commit.
public protocol NotificationWriter: Sendable {
    /// Stores `batch` in one commit; per row, true when new and false for a duplicate.
    func insert(_ batch: [IncomingNotification]) async throws(PostgresError) -> [Bool]
}

extension NotificationStore: NotificationWriter {}

/// How the group commit behaves: time per batch insert (one commit) and rows per batch.
public enum GroupCommitMetrics {
    static let commit = Metrics.Timer(label: "mpshook_intake_commit_seconds", preferredDisplayUnit: .seconds)
    static let rows = Recorder(label: "mpshook_intake_batch_rows", aggregate: true)
    /// Rows and bytes queued for the group commit (sampled every few milliseconds).
    static let queueRows = Gauge(label: "mpshook_intake_queue_rows")
    static let queueBytes = Gauge(label: "mpshook_intake_queue_bytes")

    /// Batch sizes from one row to the largest batch setting.
    public static let valueBuckets: [String: [Double]] = [
        "mpshook_intake_batch_rows": [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
    ]

    /// Makes every series now, so each is scraped (at zero) before its first event.
    public static func prepare() {
        _ = (commit, rows, queueRows, queueBytes)
    }
}

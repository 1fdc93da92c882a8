import Foundation
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
public final class GroupCommitter: Service, Sendable {
    /// What happened to one submitted notification.
    public enum Outcome: Sendable, Equatable {
        /// Committed now.
        case stored
        /// The same content was already stored (a duplicate delivery).
        case duplicate
    }

    private struct Pending {
        var id: Int
        var notification: IncomingNotification
        var enqueued: ContinuousClock.Instant
    }

    /// Requests still waiting for their outcome; whoever removes one (writer, sweeper or
    /// cancellation) resumes it, so each is resumed exactly once.
    private struct Waiting: ~Copyable {
        var continuations: [Int: (continuation: CheckedContinuation<Outcome, any Error>, deadline: ContinuousClock.Instant)] = [:]
        var nextId = 0
        var isClosed = false
    }

    private let store: NotificationStore
    private let batchSize: Int
    private let writers: Int
    private let linger: Duration
    private let logger: Logger
    private let queue = Mutex<[Pending]>([])
    private let waiting = Mutex(Waiting())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public init(client: PostgresClient, batchSize: Int = 64, linger: Duration = .milliseconds(1), writers: Int = 1, logger: Logger) {
        self.store = NotificationStore(client: client)
        self.batchSize = max(1, batchSize)
        self.writers = max(1, writers)
        self.linger = linger
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The request gave up waiting; its row may still be committed later (a retry of the same
    /// content is then a duplicate, answered 200).
    public struct Timeout: Error, Sendable {}

    /// Queues `notification` and returns once its batch has committed, or throws when the batch
    /// failed, `timeout` passed first (checked every few milliseconds by the writer's sweeper),
    /// or the calling task was cancelled.
    public func submit(_ notification: IncomingNotification, timeout: Duration) async throws -> Outcome {
        let id = waiting.withLock { state -> Int in
            state.nextId += 1
            return state.nextId
        }
        let deadline = ContinuousClock.now + timeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let accepted = self.waiting.withLock { state -> Bool in
                    guard !state.isClosed else { return false }
                    state.continuations[id] = (continuation, deadline)
                    return true
                }
                guard accepted else {
                    continuation.resume(throwing: PostgresError(code: .poolClosed, reason: "the notification writer has stopped"))
                    return
                }
                self.queue.withLock { $0.append(Pending(id: id, notification: notification, enqueued: .now)) }
                self.wake.yield()
            }
        } onCancel: {
            self.finish(id, with: .failure(CancellationError()))
        }
    }

    /// Fails every request whose deadline has passed (its row may still commit later).
    private func expireOverdue() {
        let now = ContinuousClock.now
        let overdue = waiting.withLock { state -> [CheckedContinuation<Outcome, any Error>] in
            let ids = state.continuations.filter { $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { state.continuations.removeValue(forKey: $0)?.continuation }
        }
        for continuation in overdue {
            continuation.resume(throwing: Timeout())
        }
    }

    private func finish(_ id: Int, with result: Result<Outcome, any Error>) {
        let continuation = waiting.withLock { $0.continuations.removeValue(forKey: id)?.continuation }
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
                    }
                }
                for await _ in self.wakeups {
                    await self.flushAll()
                }
                group.cancelAll()
            }
        }
        // A request still waiting at shutdown was not stored: it must not be acknowledged.
        let left = waiting.withLock { state -> [CheckedContinuation<Outcome, any Error>] in
            state.isClosed = true
            defer { state.continuations.removeAll() }
            return state.continuations.values.map(\.continuation)
        }
        queue.withLock { $0.removeAll() }
        for continuation in left {
            continuation.resume(throwing: PostgresError(code: .poolClosed, reason: "shutting down before the batch was stored"))
        }
    }

    /// Flushes until the queue is empty, with at most `writers` batches committing at once (a
    /// second writer fills its batch while the first one's commit is in flight).
    private func flushAll() async {
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while true {
                if inFlight == writers, await group.next() != nil { inFlight -= 1 }
                // Linger briefly after the oldest row so concurrent requests share the commit.
                if let oldest = queue.withLock({ $0.first?.enqueued }), queue.withLock({ $0.count }) < batchSize {
                    let waitUntil = oldest + linger
                    if waitUntil > .now { try? await Task.sleep(until: waitUntil, clock: .continuous) }
                }
                let batch = queue.withLock { pending -> [Pending] in
                    let taken = Array(pending.prefix(batchSize))
                    pending.removeFirst(taken.count)
                    return taken
                }
                if batch.isEmpty { return }
                group.addTask { await self.flush(batch) }
                inFlight += 1
            }
        }
    }

    private func flush(_ batch: [Pending]) async {
        let started = ContinuousClock.now
        defer {
            GroupCommitMetrics.commit.recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
            GroupCommitMetrics.rows.record(batch.count)
        }
        do {
            let fresh = try await store.insert(batch.map(\.notification))
            for (item, isNew) in zip(batch, fresh) {
                finish(item.id, with: .success(isNew ? .stored : .duplicate))
            }
        } catch {
            guard batch.count > 1, !error.isConnectionLoss else {
                for item in batch { finish(item.id, with: .failure(error)) }
                return
            }
            logger.warning("a notification batch failed; storing its rows one by one", metadata: ["batch.size": "\(batch.count)"])
            for item in batch {
                do {
                    let fresh = try await store.insert([item.notification])
                    finish(item.id, with: .success(fresh.first == true ? .stored : .duplicate))
                } catch {
                    finish(item.id, with: .failure(error))
                }
            }
        }
    }
}

/// How the group commit behaves: time per batch insert (one commit) and rows per batch.
enum GroupCommitMetrics {
    static let commit = Metrics.Timer(label: "mpshook_intake_commit_seconds", preferredDisplayUnit: .seconds)
    static let rows = Recorder(label: "mpshook_intake_batch_rows", aggregate: true)
}

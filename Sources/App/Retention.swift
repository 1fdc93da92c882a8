public import Foundation
public import Logging
public import Postgres
public import ServiceLifecycle
import Store

/// Prunes what ``RetentionConfiguration`` says is old (``RetentionStore``): every `interval`, a
/// pass walks the notifications, then the call records, oldest first in batches of `batchSize`
/// rows, pausing between batches. Every replica runs it; the advisory lock each batch takes lets
/// one prune at a time (a replica that finds it taken ends its pass). A failure is logged once
/// per outage and the pass is tried again at the next tick: nothing is half-pruned (each batch
/// commits whole or not at all).
public final class Retention: Service, Sendable {
    let store: RetentionStore
    let configuration: RetentionConfiguration
    let logger: Logger

    public init(client: PostgresClient, configuration: RetentionConfiguration, logger: Logger) {
        self.store = RetentionStore(client: client)
        self.configuration = configuration
        self.logger = logger
    }

    /// What one pass did.
    public struct Pass: Sendable, Equatable {
        /// Notifications whose body and headers were dropped.
        public var notifications = 0
        /// Call records deleted.
        public var attempts = 0
        /// Whether another replica was pruning (this pass stopped early).
        public var yielded = false

        public init(notifications: Int = 0, attempts: Int = 0, yielded: Bool = false) {
            self.notifications = notifications
            self.attempts = attempts
            self.yielded = yielded
        }
    }

    public func run() async throws {
        guard configuration.enabled else { return }
        await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                do {
                    let pass = try await self.pass(now: Date())
                    if pass.notifications > 0 || pass.attempts > 0 {
                        self.logger.info("retention: pruned", metadata: [
                            "retention.notifications": "\(pass.notifications)", "retention.attempts": "\(pass.attempts)",
                        ])
                    }
                    if failing { self.logger.info("retention: pruning again") }
                    failing = false
                } catch {
                    if !Task.isCancelled, !failing {
                        self.logger.info("retention: cannot prune now; retrying", metadata: ["error": "\(error)"])
                    }
                    failing = true
                }
                try? await Task.sleep(for: self.configuration.interval)
            }
        }
    }

    /// One pass: everything older than the ages counted back from `now`, batch by batch, until
    /// none is left, another replica takes over, or the task is cancelled.
    public func pass(now: Date) async throws -> Pass {
        var pass = Pass()
        let limit = configuration.batchSize
        let cutoff = now.addingTimeInterval(-Self.seconds(configuration.age))
        var position = RetentionPosition.start
        while !Task.isCancelled {
            let batch = try await store.pruneNotifications(receivedBefore: cutoff, after: position, limit: limit)
            pass.notifications += batch.count
            pass.yielded = !batch.locked
            if batch.finishes(limit: limit) { break }
            position = batch.last ?? position
            try await pauseBetweenBatches()
        }
        guard !pass.yielded, let attemptsAge = configuration.attemptsAge else { return pass }
        let attemptsCutoff = now.addingTimeInterval(-Self.seconds(attemptsAge))
        position = .start
        while !Task.isCancelled {
            let batch = try await store.deleteAttempts(startedBefore: attemptsCutoff, after: position, limit: limit)
            pass.attempts += batch.count
            pass.yielded = !batch.locked
            if batch.finishes(limit: limit) { break }
            position = batch.last ?? position
            try await pauseBetweenBatches()
        }
        return pass
    }

    private func pauseBetweenBatches() async throws {
        if configuration.pause > .zero { try await Task.sleep(for: configuration.pause) }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

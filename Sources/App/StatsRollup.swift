import Foundation
public import Logging
public import Postgres
public import ServiceLifecycle
import Store

/// Keeps `GET /v1/stats` cheap: every `interval`, moves the counts the database's triggers
/// appended since into the per-minute/hour/day roll-up (``StatsRollupStore``), in batches until
/// none is left, vacuuming the deltas' table after every couple of thousand rows moved. Every replica runs it; one at a time moves (an advisory lock). A failure is
/// logged once per outage and retried at the next tick: the stats stay exact meanwhile (readers
/// add the deltas not moved yet), only slower to read.
public final class StatsRollup: Service, Sendable {
    /// Moved rows after which the deltas' table is vacuumed (a few times a minute under load).
    static let vacuumAfter = 2000

    let store: StatsRollupStore
    let interval: Duration
    let logger: Logger

    public init(client: PostgresClient, interval: Duration = .seconds(2), logger: Logger) {
        self.store = StatsRollupStore(client: client)
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var failing = false
            var movedSinceVacuum = 0
            while !Task.isCancelled {
                do {
                    // A full batch means more are waiting (after an outage, or a migration's backfill).
                    var moved = try await self.store.move()
                    movedSinceVacuum += moved
                    while moved == StatsRollupStore.batchSize, !Task.isCancelled {
                        moved = try await self.store.move()
                        movedSinceVacuum += moved
                    }
                    if movedSinceVacuum >= Self.vacuumAfter {
                        try await self.store.vacuum()
                        movedSinceVacuum = 0
                    }
                    if failing { self.logger.info("stats roll-up: moving again") }
                    failing = false
                } catch {
                    if !failing { self.logger.info("stats roll-up: cannot move counts now; retrying", metadata: ["error": "\(error)"]) }
                    failing = true
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}

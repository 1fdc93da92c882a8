import Foundation
public import Logging
public import Postgres
public import ServiceLifecycle
import Synchronization

/// Watches the database in the background so `/readyz` answers at once, never blocking on a
/// hung server: ready means the last check, at most a few intervals ago, reached the database
/// and found every migration applied.
public final class DatabaseReadiness: Service, Sendable {
    /// What `/readyz` reports.
    public enum State: Sendable, Equatable {
        case ready
        case notReady(reason: String)
    }

    private struct Observation {
        var lastReason: String? = "no database check has run yet"
        var lastSuccess: ContinuousClock.Instant?
    }

    private let client: PostgresClient
    private let migrator: Migrator
    private let interval: Duration
    private let logger: Logger
    private let observation = Mutex(Observation())

    public init(client: PostgresClient, migrator: Migrator, interval: Duration, logger: Logger) {
        self.client = client
        self.migrator = migrator
        self.interval = interval
        self.logger = logger
    }

    /// The current verdict. A check that has not succeeded for three intervals (a hung
    /// database) counts as not ready even while that check is still waiting.
    public var state: State {
        observation.withLock { observed in
            if let reason = observed.lastReason { return .notReady(reason: reason) }
            guard let lastSuccess = observed.lastSuccess,
                ContinuousClock.now - lastSuccess <= interval * 3 + .seconds(1)
            else { return .notReady(reason: "database check overdue: the database is not answering") }
            return .ready
        }
    }

    /// Checks once now and records the result.
    public func check() async {
        let reason: String?
        do {
            let status = try await migrator.status(client)
            reason = status.isCurrent
                ? nil
                : "\(status.pending.count) pending migration(s) (first: \(status.pending[0].name)); run `mpshook migrate`"
        } catch {
            reason = error.isConnectionLoss ? "database unreachable: \(error.reason)" : "\(error)"
        }
        let changed = observation.withLock { observed -> Bool in
            let changed = observed.lastReason != reason
            observed.lastReason = reason
            if reason == nil { observed.lastSuccess = .now }
            return changed
        }
        if changed {
            if let reason {
                logger.warning("not ready", metadata: ["readiness.reason": "\(reason)"])
            } else {
                logger.info("ready: database reachable and migrations current")
            }
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.check()
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}

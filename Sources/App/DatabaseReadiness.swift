import Foundation
public import Logging
public import Postgres
public import ServiceLifecycle
import Store
import Synchronization

/// Watches the database in the background so `/readyz` answers at once, never blocking on a
/// hung server: ready means the last check, at most a few intervals ago, reached the database,
/// found every migration applied and could take the lock a write to `notifications` needs
/// (so a locked table is not ready), and every check added with ``require(_:)`` (the door's
/// own commits completing) passes now.
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
    private let requirements = Mutex<[@Sendable () -> String?]>([])

    public init(client: PostgresClient, migrator: Migrator, interval: Duration, logger: Logger) {
        self.client = client
        self.migrator = migrator
        self.interval = interval
        self.logger = logger
    }

    /// The current verdict. A check that has not succeeded for three intervals (a hung
    /// database) counts as not ready even while that check is still waiting.
    public var state: State {
        let database = observation.withLock { observed -> State in
            if let reason = observed.lastReason { return .notReady(reason: reason) }
            guard let lastSuccess = observed.lastSuccess,
                ContinuousClock.now - lastSuccess <= interval * 3 + .seconds(1)
            else { return .notReady(reason: "database check overdue: the database is not answering") }
            return .ready
        }
        guard database == .ready else { return database }
        for check in requirements.withLock({ $0 }) {
            if let reason = check() { return .notReady(reason: reason) }
        }
        return .ready
    }

    /// How long the write probe waits for the `notifications` table's lock: well inside an
    /// interval, so a locked table shows within one check.
    private var lockTimeout: Duration { max(.milliseconds(50), min(.seconds(1), interval / 2)) }

    /// Adds a check of this process's own ability to store: not ready while it returns a
    /// reason. Called on every `/readyz`, so it must answer at once.
    public func require(_ check: @escaping @Sendable () -> String?) {
        requirements.withLock { $0.append(check) }
    }

    /// Checks once now and records the result.
    public func check() async {
        let reason: String?
        var ahead: [String] = []
        do {
            let status = try await migrator.status(client)
            ahead = status.ahead
            // A database ahead by additive migrations only is one being upgraded: this replica
            // keeps serving until it is replaced.
            if status.isCurrent {
                reason = try await writeProbe()
            } else {
                reason = "\(status.pending.count) pending migration(s) (first: \(status.pending[0].name)); run `mpshook migrate`"
            }
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
                if ahead.isEmpty {
                    logger.info("ready: database reachable and migrations current")
                } else {
                    logger.info(
                        "ready: database reachable; it has newer additive migrations this build does not know (an upgrade is under way)",
                        metadata: ["migrations.ahead": "\(ahead.joined(separator: ","))"]
                    )
                }
            }
        }
    }

    /// Why a row could not be written to `notifications` now (a lock held elsewhere), or nil.
    private func writeProbe() async throws(PostgresError) -> String? {
        try await NotificationStore(client: client).canWrite(lockTimeout: lockTimeout)
            ? nil : "the notifications table cannot be written now: another session holds a lock on it"
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
